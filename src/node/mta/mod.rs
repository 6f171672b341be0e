//! A mail transfer agent: it listens on 25 (relay), on 587 (submission with
//! AUTH), on 465 (submission over implicit TLS, when the world has TLS)
//! and on 110 (POP3 for its mailboxes); it queues what it accepts,
//! delivers local mail into mailboxes and relays the rest by MX, retrying
//! with backoff and bouncing what cannot be delivered.
//!
//! The decisions are plain values, tested without a network:
//! * `core`: the queue (intake, due entries, settling an attempt) and the
//!   effects each decision asks for
//! * `route`: MX ordering from a DNS answer (RFC 5321 §5.1)
//! * `retry`: the retry schedule and the maximum age
//! * `local`: which recipients are ours, and their mailboxes
//! * `bounce`: the DSN that reports failures
//! * `notify`: which reports a recipient's NOTIFY asks for (RFC 3461)
//! * `queue`, `queue_id`: queue entries and their ids
//!
//! The async parts carry the effects out and record them in the trace:
//! * `effects`: each effect carried out and recorded
//! * `policy`: the answers its SMTP server sessions get (relay, mailboxes,
//!   greylisting, quota, loop detection) and what happens on acceptance
//! * `authenticate`: SPF, DKIM and DMARC of mail from other servers, and
//!   DKIM signatures on its own users' mail
//! * `expand`: forwarded addresses and mailing lists
//! * `delivery`: the queue runner, DNS lookups and SMTP client sessions
//! * `pop3`: the mailbox access service
//! * `whatif`: the replies a what-if puts in place of its own

mod authenticate;
mod bounce;
mod core;
mod delivery;
mod effects;
mod expand;
mod local;
mod notify;
mod policy;
mod pop3;
mod queue;
mod queue_id;
mod retry;
mod route;
mod whatif;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;

use self::core::{Now, Queue};
use crate::net::NetHandle;
use crate::node::activity::Job;
use crate::node::pump::{TlsSetup, bounded, drive_server};
use crate::node::{Activity, HostContext};
use crate::plan::MtaPlan;
use crate::smtp::server::Tls;
use crate::smtp::{Peer, ServerConfig, ServerSession};
use crate::trace::{DeliveredRest, EventKind, Letter};
use local::LocalDomains;
use policy::MtaPolicy;
use queue_id::QueueIds;
pub use queue_id::queue_prefixes;
use retry::RetryPolicy;
pub use whatif::WhatIfs;

/// What an MTA held when its live world stopped, read back from the
/// trace (see `sim::Continuation`), to go on with.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// Each mailbox's messages: unique-id and content, in order.
    pub mailboxes: BTreeMap<String, Vec<(String, Letter)>>,
    /// The queue ids it issued, so that new ones come after them.
    pub queue_ids: Vec<String>,
    /// Messages it filed so far, so that unique-ids count on.
    pub stored: u64,
}

/// A message in a mailbox.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub uid: String,
    /// The trace's own copy (the mailbox and the trace share it).
    pub content: Letter,
}

/// Everything the MTA owns. Its sessions and delivery tasks share it, as
/// the processes of one real MTA share its spool.
pub(crate) struct MtaState {
    /// How it is set up, as the plan says.
    pub plan: MtaPlan,
    pub host: HostContext,
    pub mailboxes: BTreeMap<String, Vec<Stored>>,
    pub queue: Queue,
    /// Keeps the world running while an entry waits in the queue.
    jobs: BTreeMap<String, Job>,
    /// (client address, sender, recipient) → when first seen (RFC 6647).
    pub greylist: BTreeMap<(IpAddr, String, String), Duration>,
    /// The what-ifs of this run at this MTA, and its counts of each step.
    pub whatifs: WhatIfs,
    next_uid: u64,
    /// Its end of TLS on 25, 587 and 465, when the world has TLS and it
    /// offers STARTTLS or submission.
    tls_server: Option<TlsSetup>,
}

impl MtaState {
    pub fn mailbox_size(&self, address: &str) -> usize {
        self.mailboxes
            .get(address)
            .map_or(0, |m| m.iter().map(|s| s.content.len()).sum())
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            schedule: self.plan.retry.clone(),
            max_age: self.plan.max_age,
            delay_warning: self.plan.delay_warning,
        }
    }

    /// Stores a message in a local mailbox and records the delivery.
    fn store(
        &mut self,
        net: &NetHandle,
        address: &str,
        queue_id: &str,
        message_id: &str,
        content: Vec<u8>,
    ) {
        self.next_uid += 1;
        let run = self.host.epoch.run_id();
        let uid = pop3::unique_id(&self.host.hostname, run, self.next_uid);
        let content = Letter::new(&content);
        net.record(EventKind::Delivered {
            host: net.host(),
            queue_id: queue_id.to_owned(),
            rest: Box::new(DeliveredRest {
                mailbox: address.to_owned(),
                uid: uid.clone(),
                message_id: message_id.to_owned(),
                content: content.clone(),
            }),
        });
        self.mailboxes
            .entry(address.to_owned())
            .or_default()
            .push(Stored { uid, content });
    }
}

/// The handles an MTA's tasks share.
#[derive(Clone)]
pub(crate) struct Mta {
    pub net: NetHandle,
    pub state: Rc<RefCell<MtaState>>,
    pub activity: Activity,
    /// Wakes the queue runner when an entry arrives.
    pub wake: Rc<Notify>,
}

impl Mta {
    /// The simulated time, and the world's time in Unix seconds for
    /// headers.
    pub fn now(&self) -> Now {
        let now = self.net.now();
        let unix = self.state.borrow().host.epoch.unix_seconds(now);
        Now {
            at: now.duration(),
            unix,
        }
    }
}

/// Starts an MTA's listeners and queue runner on the current `LocalSet`.
/// `queue_prefix` starts its queue ids, unique in the world (see
/// [`queue_prefixes`]); `kept` is what it held in an earlier sitting of
/// a live world (nothing for a new world).
pub fn spawn(
    net: NetHandle,
    plan: MtaPlan,
    host: HostContext,
    queue_prefix: &str,
    activity: Activity,
    kept: Kept,
    whatifs: WhatIfs,
) {
    let mut mailboxes: BTreeMap<String, Vec<Stored>> = plan
        .mailboxes
        .keys()
        .map(|a| (a.clone(), Vec::new()))
        .collect();
    for (address, held) in kept.mailboxes {
        // A mailbox the scenario no longer has cannot be opened: its mail
        // stays in the recording only.
        if let Some(mailbox) = mailboxes.get_mut(&address) {
            mailbox.extend(
                held.into_iter()
                    .map(|(uid, content)| Stored { uid, content }),
            );
        }
    }
    let mut ids = QueueIds::new(queue_prefix);
    for id in &kept.queue_ids {
        ids.go_on_after(id);
    }
    let queue = Queue::new(
        &host.hostname,
        LocalDomains::new(&plan.domains, &host.hostname),
        ids,
        host.epoch.run_id(),
    );
    let (submission, pop3) = (plan.submission, !plan.mailboxes.is_empty());
    // Certificate names are checked when the scenario loads; a world
    // whose TLS could not be set up has no TLS at all.
    let tls_server = match (&host.tls, plan.starttls, submission) {
        (None, _, _) | (_, Tls::Off, false) => None,
        (Some(world), _, _) => world
            .server(&host.hostname, &plan.certificate, u64::from(net.host().0))
            .ok(),
    };
    let smtps = submission && tls_server.is_some();
    let mta = Mta {
        net,
        state: Rc::new(RefCell::new(MtaState {
            plan,
            host,
            mailboxes,
            queue,
            jobs: BTreeMap::new(),
            greylist: BTreeMap::new(),
            whatifs,
            next_uid: kept.stored,
            tls_server,
        })),
        activity,
        wake: Rc::new(Notify::new()),
    };
    tokio::task::spawn_local(listen_smtp(mta.clone(), 25));
    if submission {
        tokio::task::spawn_local(listen_smtp(mta.clone(), 587));
    }
    if smtps {
        tokio::task::spawn_local(listen_smtp(mta.clone(), 465));
    }
    if pop3 {
        tokio::task::spawn_local(pop3::listen(mta.clone()));
    }
    tokio::task::spawn_local(delivery::run_queue(mta));
}

/// How a session on `port` speaks TLS, when the MTA has it: 465 from the
/// first octet (RFC 8314 §3.3); 587 for real clients only after STARTTLS,
/// since their passwords cross a real network (RFC 8314 §4.1, Postfix's
/// `smtpd_tls_security_level=encrypt` on submission); else as configured.
fn tls_mode(port: u16, real: bool, configured: Tls) -> Tls {
    match (port, real) {
        (465, _) => Tls::Implicit,
        (587, true) => Tls::Required,
        _ => configured,
    }
}

/// Accepts SMTP connections on `port`, one task per session.
async fn listen_smtp(mta: Mta, port: u16) {
    let mut listener = mta.net.listen(port);
    while let Some(mut stream) = listener.accept().await {
        let job = mta.activity.begin();
        let mta = mta.clone();
        tokio::task::spawn_local(async move {
            let (config, tls) = {
                let state = mta.state.borrow();
                let c = &state.plan;
                let mut server = ServerConfig::new(&state.host.hostname);
                server.submission = port != 25;
                let tls = state.tls_server.clone();
                if tls.is_some() {
                    server.tls = tls_mode(port, stream.limits().is_some(), c.starttls);
                }
                server.pipelining = c.pipelining;
                server.chunking = c.chunking;
                server.dsn = c.dsn;
                if c.keep_bare_line_endings {
                    server.bare_line_endings = crate::smtp::server::BareLineEndings::Keep;
                }
                server.limits = bounded(&stream, server.limits);
                if let Some(limits) = stream.limits() {
                    // Every byte of a real client is recorded: room for
                    // two messages at the size limit, and the commands.
                    let size = limits.max_size.map_or(c.max_size, |m| m.min(c.max_size));
                    server.limits.max_input = Some(size.saturating_mul(2).saturating_add(1 << 20));
                }
                (server, tls)
            };
            let peer = Peer {
                ip: Some(stream.peer_ip()),
                ..Peer::default()
            };
            let mut policy = MtaPolicy::new(mta.clone(), stream.conn());
            if let Some(limits) = stream.limits() {
                policy = policy.for_real_client(limits.max_size);
            }
            let mut session = ServerSession::new(config, peer, mta.net.instant(), &mut policy);
            drive_server(
                &mta.net,
                &mut stream,
                &mut session,
                &mut policy,
                tls.as_ref(),
                |_| {},
            )
            .await;
            drop(job);
        });
    }
}

#[cfg(test)]
mod tests;
