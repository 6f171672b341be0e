//! A mail user agent: someone's mail program. It writes messages at their
//! scheduled times and submits them to its server on port 587 with AUTH
//! PLAIN, and it fetches its mailbox over POP3 at the fetch times.

use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::sleep_until;

use crate::mail::{Draft, Headers, NamedMailbox, compose, message_id};
use crate::net::NetHandle;
use crate::node::pump::{drive, drive_with};
use crate::node::resolve::StubResolver;
use crate::node::{Activity, Epoch};
use crate::pop3::{ClientConfig as Pop3Config, Pop3Client, Pop3ClientEvent};
use crate::smtp::client::{ClientConfig, Transaction};
use crate::smtp::{ClientSession, ForwardPath, Mailbox, ReversePath};
use crate::trace::{EventKind, SimTime};

/// One message to write.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub at: Duration,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    pub body: String,
    /// Exact DATA content to send instead of a composed message.
    pub raw: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MuaConfig {
    pub hostname: String,
    pub account: Mailbox,
    pub password: String,
    /// The submission and POP3 server's host name.
    pub server: String,
    pub send: Vec<Outgoing>,
    pub fetch: Vec<Duration>,
    pub keep_on_server: bool,
    pub pipelining: bool,
    pub resolver: Option<IpAddr>,
    /// Dates and, in a world that meets real machines, the run id that
    /// keeps Message-IDs apart from other runs'.
    pub epoch: Epoch,
}

/// Schedules every send and fetch of this client.
pub fn spawn(net: NetHandle, mut config: MuaConfig, activity: &Activity) {
    // Each task owns its message and shares the rest: cloning the whole
    // config per message would copy every message N times (N² in all).
    let messages = std::mem::take(&mut config.send);
    let config = Rc::new(config);
    for (n, message) in messages.into_iter().enumerate() {
        let job = activity.begin();
        let (net, config) = (net.clone(), Rc::clone(&config));
        tokio::task::spawn_local(async move {
            sleep_until(net.instant_of(SimTime(message.at))).await;
            send(&net, &config, &message, n + 1).await;
            drop(job);
        });
    }
    for at in config.fetch.iter().copied() {
        let job = activity.begin();
        let (net, config) = (net.clone(), Rc::clone(&config));
        tokio::task::spawn_local(async move {
            sleep_until(net.instant_of(SimTime(at))).await;
            fetch(&net, &config).await;
            drop(job);
        });
    }
}

fn mailboxes(list: &[Mailbox]) -> Vec<NamedMailbox> {
    list.iter().cloned().map(NamedMailbox::new).collect()
}

/// The Message-ID's left part (RFC 5322 §3.6.4): unique per host through
/// the date and the message's number, and, where real servers keep what
/// this world sends, through the run id too: two runs of one scenario
/// write different messages.
fn local_part(date: i64, n: usize, run: Option<&str>) -> String {
    match run {
        Some(run) => format!("{date}.{n}.{run}"),
        None => format!("{date}.{n}"),
    }
}

/// Writes message number `n` and submits it.
async fn send(net: &NetHandle, config: &MuaConfig, message: &Outgoing, n: usize) {
    let from = &config.account;
    let date = config.epoch.unix_seconds(net.now());
    let id = message_id(
        &local_part(date, n, config.epoch.run_id()),
        &config.hostname,
    );
    let draft = Draft {
        from: NamedMailbox::new(from.clone()),
        to: mailboxes(&message.to),
        cc: mailboxes(&message.cc),
        bcc: mailboxes(&message.bcc),
        subject: message.subject.clone(),
        body: message.body.clone(),
        date,
        message_id: id.clone(),
    };
    let forward_paths: Vec<ForwardPath> = draft.envelope_recipients();
    let content = match &message.raw {
        Some(raw) => raw.as_bytes().to_vec(),
        None => compose(&draft),
    };
    let message_id = Headers::parse(&content)
        .message_id()
        .map_or(id, str::to_owned);
    net.record(EventKind::Composed {
        host: net.host(),
        message_id,
        from: from.to_string(),
        rcpts: forward_paths.iter().map(|f| f.to_string()).collect(),
    });
    let Some(mut stream) = connect(net, config, 587).await else {
        return;
    };
    let transaction = Transaction {
        reverse_path: ReversePath::Mailbox(from.clone()),
        forward_paths,
        content,
    };
    let mut smtp =
        ClientConfig::new(&config.hostname).with_credentials(&from.to_string(), &config.password);
    smtp.pipelining = config.pipelining;
    let mut session = ClientSession::new(smtp, vec![transaction], net.instant());
    drive(net, &mut stream, &mut session).await;
}

/// Looks up the server and connects to `port`; failures are in the trace.
async fn connect(net: &NetHandle, config: &MuaConfig, port: u16) -> Option<crate::net::Stream> {
    let mut dns = StubResolver::new(net, config.resolver);
    let ips = dns.addresses(&config.server).await.ok()?;
    for ip in ips {
        if let Ok(stream) = net.connect(ip, port).await {
            return Some(stream);
        }
    }
    None
}

/// Fetches the mailbox over POP3.
async fn fetch(net: &NetHandle, config: &MuaConfig) {
    let Some(mut stream) = connect(net, config, 110).await else {
        return;
    };
    let pop3 = Pop3Config {
        user: config.account.to_string(),
        password: config.password.clone(),
        delete_after_retrieve: !config.keep_on_server,
    };
    let mut client = Pop3Client::new(pop3, net.instant());
    drive_with(net, &mut stream, &mut client, |event| {
        if let Pop3ClientEvent::Retrieved { uid, content } = event {
            net.record(EventKind::Retrieved {
                host: net.host(),
                mailbox: config.account.to_string(),
                uid,
                message_id: Headers::parse(&content).message_id().map(str::to_owned),
            });
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_carry_the_run_id_only_when_there_is_one_rfc5322_3_6_4() {
        assert_eq!(local_part(1_796_115_600, 1, None), "1796115600.1");
        assert_eq!(
            local_part(1_796_115_600, 2, Some("k3x9a0")),
            "1796115600.2.k3x9a0"
        );
    }
}
