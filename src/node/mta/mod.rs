//! A mail transfer agent: it listens on 25 (relay), on 587 (submission with
//! AUTH) and on 110 (POP3 for its mailboxes); it queues what it accepts,
//! delivers local mail into mailboxes and relays the rest by MX, retrying
//! with backoff and bouncing what cannot be delivered.
//!
//! * `policy`: the answers its SMTP server sessions get (relay, mailboxes,
//!   greylisting, quota, loop detection) and what happens on acceptance
//! * `queue`: queue entries and their recipients
//! * `delivery`: the queue runner, routing by MX and SMTP client sessions
//! * `bounce`: delivery status notifications back to the sender
//! * `pop3`: the mailbox access service

mod bounce;
mod delivery;
mod policy;
mod pop3;
mod queue;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::net::NetHandle;
use crate::node::Activity;
use crate::node::pump::{bounded, drive_server};
use crate::smtp::{Peer, ServerConfig, ServerSession};
use crate::trace::{EventKind, Payload};
use policy::MtaPolicy;
use queue::QueueEntry;

/// How one MTA is set up.
#[derive(Debug, Clone)]
pub struct MtaConfig {
    pub hostname: String,
    /// Local domains, lower case.
    pub domains: Vec<String>,
    /// Address (lower case) → password.
    pub mailboxes: BTreeMap<String, String>,
    pub submission: bool,
    pub relay_networks: Vec<(IpAddr, u8)>,
    pub relay_domains: Vec<String>,
    pub smarthost: Option<String>,
    pub retry: Vec<Duration>,
    pub max_age: Duration,
    pub greylisting: Option<Duration>,
    pub max_size: usize,
    pub max_recipients: usize,
    pub quota: Option<usize>,
    pub max_hops: usize,
    pub pipelining: bool,
    pub keep_bare_line_endings: bool,
    /// The DNS server to ask.
    pub resolver: Option<IpAddr>,
    /// Unix time of the simulation's start, for header dates.
    pub start_unix: i64,
}

/// A message in a mailbox.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub uid: String,
    pub content: Arc<[u8]>,
}

/// Everything the MTA owns. Its sessions and delivery tasks share it, as
/// the processes of one real MTA share its spool.
pub(crate) struct MtaState {
    pub config: Rc<MtaConfig>,
    pub mailboxes: BTreeMap<String, Vec<Stored>>,
    pub queue: BTreeMap<String, QueueEntry>,
    /// (client address, sender, recipient) → when first seen (RFC 6647).
    pub greylist: BTreeMap<(IpAddr, String, String), Duration>,
    next_id: u64,
    next_uid: u64,
}

impl MtaState {
    /// A queue id such as `MX0007`: the host's first label and a counter,
    /// so each hop's id differs, as in real MTAs.
    pub fn new_queue_id(&mut self) -> String {
        self.next_id += 1;
        let label = self.config.hostname.split('.').next().unwrap_or("Q");
        format!("{}{:04}", label.to_ascii_uppercase(), self.next_id)
    }

    pub fn is_local(&self, domain: &str) -> bool {
        self.config
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }

    pub fn mailbox_size(&self, address: &str) -> usize {
        self.mailboxes
            .get(address)
            .map_or(0, |m| m.iter().map(|s| s.content.len()).sum())
    }

    /// Stores a message in a local mailbox and records the delivery.
    pub fn store(
        &mut self,
        net: &NetHandle,
        address: &str,
        queue_id: &str,
        message_id: &str,
        content: Vec<u8>,
    ) {
        self.next_uid += 1;
        let uid = format!("{}.{}", self.config.hostname, self.next_uid);
        let content: Arc<[u8]> = Arc::from(content);
        net.record(EventKind::Delivered {
            host: net.host(),
            queue_id: queue_id.to_owned(),
            mailbox: address.to_owned(),
            uid: uid.clone(),
            message_id: message_id.to_owned(),
            content: Payload(Arc::clone(&content)),
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
    /// Seconds since the Unix epoch in simulated time.
    pub fn unix_now(&self) -> i64 {
        let config = &self.state.borrow().config;
        config.start_unix + self.net.now().0.as_secs() as i64
    }
}

/// Starts an MTA's listeners and queue runner on the current `LocalSet`.
pub fn spawn(net: NetHandle, config: MtaConfig, activity: Activity) {
    let config = Rc::new(config);
    let mailboxes = config
        .mailboxes
        .keys()
        .map(|a| (a.clone(), Vec::new()))
        .collect();
    let mta = Mta {
        net,
        state: Rc::new(RefCell::new(MtaState {
            config: Rc::clone(&config),
            mailboxes,
            queue: BTreeMap::new(),
            greylist: BTreeMap::new(),
            next_id: 0,
            next_uid: 0,
        })),
        activity,
        wake: Rc::new(Notify::new()),
    };
    tokio::task::spawn_local(listen_smtp(mta.clone(), 25));
    if config.submission {
        tokio::task::spawn_local(listen_smtp(mta.clone(), 587));
    }
    if !config.mailboxes.is_empty() {
        tokio::task::spawn_local(pop3::listen(mta.clone()));
    }
    tokio::task::spawn_local(delivery::run_queue(mta));
}

/// Accepts SMTP connections on `port`, one task per session.
async fn listen_smtp(mta: Mta, port: u16) {
    let mut listener = mta.net.listen(port);
    while let Some(mut stream) = listener.accept().await {
        let job = mta.activity.begin();
        let mta = mta.clone();
        tokio::task::spawn_local(async move {
            let config = {
                let state = mta.state.borrow();
                let c = &state.config;
                let mut server = ServerConfig::new(&c.hostname);
                server.submission = port == 587;
                server.pipelining = c.pipelining;
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
                server
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
            drive_server(&mta.net, &mut stream, &mut session, &mut policy, |_| {}).await;
            drop(job);
        });
    }
}
