//! A mail user agent: someone's mail program. It writes messages at their
//! scheduled times and submits them to its server on port 587 with AUTH
//! PLAIN, and it fetches its mailbox over POP3 at the fetch times.

use std::rc::Rc;

use tokio::time::sleep_until;

use crate::mail::headers::message_id_of;
use crate::mail::{Draft, NamedMailbox, compose, message_id};
use crate::net::NetHandle;
use crate::node::pump::{drive, drive_with};
use crate::node::resolve::StubResolver;
use crate::node::{Activity, HostContext};
use crate::plan::{ClientPlan, MessagePlan};
use crate::pop3::{ClientConfig as Pop3Config, Pop3Client, Pop3ClientEvent};
use crate::smtp::client::{ClientConfig, Transaction};
use crate::smtp::{ClientSession, ForwardPath, Mailbox, ReversePath};
use crate::trace::{ComposedRest, EventKind, RetrievedRest, SimTime};

/// A client's plan and its host, shared by its tasks.
struct Mua {
    plan: ClientPlan,
    host: HostContext,
}

/// Schedules every send and fetch of this client, but those due at or
/// before `done` (done in an earlier sitting of a live world).
pub fn spawn(
    net: NetHandle,
    mut plan: ClientPlan,
    host: HostContext,
    activity: &Activity,
    done: Option<SimTime>,
) {
    // Each task owns its message and shares the rest: cloning the whole
    // plan per message would copy every message N times (N² in all).
    let messages = std::mem::take(&mut plan.send);
    let mua = Rc::new(Mua { plan, host });
    let due = |at: std::time::Duration| done.is_none_or(|done| SimTime::from(at) > done);
    for (n, message) in messages.into_iter().enumerate() {
        if !due(message.at) {
            continue;
        }
        let job = activity.begin();
        let (net, mua) = (net.clone(), Rc::clone(&mua));
        tokio::task::spawn_local(async move {
            sleep_until(net.instant_of(SimTime::from(message.at))).await;
            // Boxed: the task waits with a pointer, not the whole session's
            // state; a world of N messages spawns N tasks at its start, and
            // their cells were ~4 KiB of RSS a message (issue 14 §1).
            Box::pin(send(&net, &mua, &message, n + 1)).await;
            drop(job);
        });
    }
    for at in mua.plan.fetch.iter().copied().filter(|&at| due(at)) {
        let job = activity.begin();
        let (net, mua) = (net.clone(), Rc::clone(&mua));
        tokio::task::spawn_local(async move {
            sleep_until(net.instant_of(SimTime::from(at))).await;
            fetch(&net, &mua).await;
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
    // Sized at once, not grown by `format!`: one a message.
    use std::fmt::Write as _;
    let mut out = String::with_capacity(42 + run.map_or(0, str::len));
    let _ = write!(out, "{date}.{n}");
    if let Some(run) = run {
        out.push('.');
        out.push_str(run);
    }
    out
}

/// Writes message number `n` and submits it.
async fn send(net: &NetHandle, mua: &Mua, message: &MessagePlan, n: usize) {
    let (plan, host) = (&mua.plan, &mua.host);
    let from = &plan.account;
    let date = host.epoch.unix_seconds(net.now());
    let id = message_id(&local_part(date, n, host.epoch.run_id()), &host.hostname);
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
    let message_id = message_id_of(&content).unwrap_or(id);
    net.record(EventKind::Composed {
        host: net.host(),
        message_id,
        rest: Box::new(ComposedRest {
            from: from.to_string(),
            rcpts: forward_paths.iter().map(|f| f.to_string()).collect(),
        }),
    });
    let Some(mut stream) = connect(net, mua, 587).await else {
        return;
    };
    let dsn = message.dsn.request(&forward_paths);
    let transaction = Transaction {
        reverse_path: ReversePath::Mailbox(from.clone()),
        forward_paths,
        content,
    };
    let mut smtp =
        ClientConfig::new(&host.hostname).with_credentials(&from.to_string(), &plan.password);
    smtp.pipelining = plan.pipelining;
    smtp.chunking = plan.chunking;
    smtp.chunk_size = plan.chunk_size;
    let tls = host.tls.as_ref().map(|world| world.client(&plan.server));
    if tls.is_some() {
        smtp.starttls = plan.starttls;
        smtp.inject_after_starttls = plan.inject_after_starttls.clone();
    }
    let mut session = ClientSession::new(smtp, vec![transaction], net.instant());
    session.request_dsn(0, dsn);
    drive(net, &mut stream, &mut session, tls.as_ref()).await;
}

/// Looks up the server and connects to `port`; failures are in the trace.
async fn connect(net: &NetHandle, mua: &Mua, port: u16) -> Option<crate::net::Stream> {
    let mut dns = StubResolver::new(net, mua.host.resolver);
    let ips = dns.addresses(&mua.plan.server).await.ok()?;
    for ip in ips {
        if let Ok(stream) = net.connect(ip, port).await {
            return Some(stream);
        }
    }
    None
}

/// Fetches the mailbox over POP3.
async fn fetch(net: &NetHandle, mua: &Mua) {
    let Some(mut stream) = connect(net, mua, 110).await else {
        return;
    };
    let plan = &mua.plan;
    let pop3 = Pop3Config {
        user: plan.account.to_string(),
        password: plan.password.clone(),
        delete_after_retrieve: !plan.keep_on_server,
    };
    let mut client = Pop3Client::new(pop3, net.instant());
    drive_with(net, &mut stream, &mut client, None, |event| {
        if let Pop3ClientEvent::Retrieved { uid, content } = event {
            net.record(EventKind::Retrieved {
                host: net.host(),
                mailbox: plan.account.to_string(),
                rest: Box::new(RetrievedRest {
                    uid,
                    message_id: message_id_of(&content),
                }),
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
