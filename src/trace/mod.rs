//! The trace: an append-only log of everything that crossed the wire and
//! every fact the nodes report. It is the truth every view reads.
//!
//! Wire events hold the raw bytes (shared, never copied per reader);
//! parsed commands, replies and DNS answers are derived from those bytes by
//! `transcript`, never stored beside them. Node facts (queued, deferred,
//! delivered, bounced...) are events of their own.

pub mod compare;
pub mod describe;
pub mod index;
mod payload;
pub mod point;
pub mod postings;
pub mod search;
pub mod state;
pub mod transcript;

pub use payload::{Letter, Payload};

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Simulated time since the start of the run, in nanoseconds: 8 bytes
/// where a `Duration` takes 16, and every event holds one or two (issue
/// 14 §1); recordings store nanoseconds already. 2^64 ns is 584 years:
/// longer durations saturate.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    /// The time `since` the start of the run.
    pub const fn from_duration(since: Duration) -> SimTime {
        let nanos = since.as_nanos();
        SimTime(if nanos > u64::MAX as u128 {
            u64::MAX
        } else {
            nanos as u64
        })
    }

    pub const fn from_nanos(nanos: u64) -> SimTime {
        SimTime(nanos)
    }

    /// The time since the start of the run.
    pub const fn duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
}

impl From<Duration> for SimTime {
    fn from(since: Duration) -> SimTime {
        SimTime::from_duration(since)
    }
}

impl fmt::Debug for SimTime {
    /// As it printed when it held a `Duration`: `SimTime(1.5s)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimTime").field(&self.duration()).finish()
    }
}

impl fmt::Display for SimTime {
    /// `+1h02m03.004s`-style, short for small times: `+0.125s`, `+4m05.000s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.duration().as_millis();
        let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        match (h, m) {
            (0, 0) => write!(f, "+{s}.{ms:03}s"),
            (0, _) => write!(f, "+{m}m{s:02}.{ms:03}s"),
            _ => write!(f, "+{h}h{m:02}m{s:02}.{ms:03}s"),
        }
    }
}

impl Serialize for SimTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.as_micros())
    }
}

/// A host of the world, by index into `Trace::hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HostId(pub u16);

impl HostId {
    /// Its place in `Trace::hosts`, and in the plan's host list.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The id of the host at `index`, if the id has room for it.
impl TryFrom<usize> for HostId {
    type Error = std::num::TryFromIntError;

    fn try_from(index: usize) -> Result<HostId, Self::Error> {
        u16::try_from(index).map(HostId)
    }
}

/// A stream connection, numbered in order of the connect attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConnId(pub u32);

/// What a host is in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A mail user agent: someone's laptop or phone.
    Client,
    /// A mail transfer agent (it may also hold mailboxes).
    Mta,
    /// An authoritative DNS server.
    Dns,
    /// A real machine outside the simulation, reached over a real socket:
    /// a declared external peer, or the real clients of `mailflow serve`.
    External,
}

/// A host as the views see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    pub name: String,
    pub ip: std::net::IpAddr,
    pub role: Role,
    /// When the host is off the network: (from, until).
    pub down: Vec<(SimTime, SimTime)>,
    /// A short name for the map, where the full name does not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A zone as its DNS server holds it, records in zone-file form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneInfo {
    pub server: HostId,
    pub origin: String,
    pub records: Vec<String>,
}

/// A link with its own settings, as the views see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkInfo {
    pub a: HostId,
    pub b: HostId,
    /// One-way delay.
    pub latency: SimTime,
    /// When the link carries nothing: (from, until).
    pub down: Vec<(SimTime, SimTime)>,
}

/// The application protocol on a connection, known from its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Port 25: relay between MTAs.
    Smtp,
    /// Port 587, or 465 over implicit TLS: a client submitting mail
    /// (RFC 6409, RFC 8314).
    Submission,
    /// Port 110: a client retrieving mail (RFC 1939).
    Pop3,
    /// Port 53.
    Dns,
    Other,
}

impl Protocol {
    pub fn from_port(port: u16) -> Protocol {
        match port {
            25 => Protocol::Smtp,
            // 465: submission over implicit TLS (RFC 8314 §7.3).
            587 | 465 => Protocol::Submission,
            110 => Protocol::Pop3,
            53 => Protocol::Dns,
            _ => Protocol::Other,
        }
    }

    /// The name a reader knows: `SMTP`, `submission`, `POP3`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Submission => "submission",
            Protocol::Pop3 => "POP3",
            Protocol::Dns => "DNS",
            Protocol::Other => "TCP",
        }
    }
}

impl Role {
    /// What the host is, in words a reader knows.
    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "mail client",
            Role::Mta => "mail server (MTA)",
            Role::Dns => "DNS server",
            Role::External => "real host outside the world",
        }
    }

    /// The symbol the dashboard's map and the handout's ladder draw it
    /// with.
    pub fn symbol(self) -> &'static str {
        match self {
            Role::Client => "▣",
            Role::Mta => "■",
            Role::Dns => "◆",
            Role::External => "◎",
        }
    }
}

/// Which way bytes went on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// From the side that connected (the client: `C:` lines).
    Up,
    /// From the side that accepted (the server: `S:` lines).
    Down,
}

/// One recipient's delivery state as a node reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub rcpt: String,
    /// What the next hop or the resolver said, e.g. `550 5.1.1 no such user`.
    pub reason: String,
}

// The fields of the facts larger than a `Bytes` event, after their
// `host` and `queue_id`, live in a box of their own: every event is as
// large as the largest kind, and most events are bytes on the wire
// (issue 14 §1). Serialized flattened, so the JSON is as before. A kind
// whose only large field is a list (`Attempting`, `Relayed`, `Removed`,
// `Expired`) boxes that list: a `Box<Vec<_>>` serializes as the list.

/// The rest of a [`EventKind::Queued`]: the envelope taken on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedRest {
    pub message_id: String,
    pub from: String,
    pub rcpts: Vec<String>,
    /// The session that brought it, if one did.
    pub conn: Option<ConnId>,
}

/// The rest of a [`EventKind::Delivered`]: where it was stored, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveredRest {
    pub mailbox: String,
    /// The message's unique id in the mailbox (POP3's UIDL).
    pub uid: String,
    pub message_id: String,
    pub content: Letter,
}

/// The rest of a [`EventKind::Notified`]: the report and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifiedRest {
    pub action: String,
    pub rcpts: Vec<String>,
    pub dsn_queue_id: Option<String>,
    pub why: String,
}

/// The rest of a [`EventKind::Composed`]: the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComposedRest {
    pub from: String,
    pub rcpts: Vec<String>,
}

/// The rest of a [`EventKind::Deferred`]: why, and when again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeferredRest {
    pub attempts: Vec<Attempt>,
    pub retry_at: SimTime,
    pub attempt: u32,
}

/// The rest of a [`EventKind::Bounced`]: what failed, and the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BouncedRest {
    pub failures: Vec<Attempt>,
    pub dsn_queue_id: Option<String>,
}

/// The rest of a [`EventKind::Resolved`]: the question's type and the
/// answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedRest {
    pub qtype: String,
    pub outcome: String,
}

/// The rest of a [`EventKind::Retrieved`]: which message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetrievedRest {
    pub uid: String,
    pub message_id: Option<String>,
}

/// The rest of a [`EventKind::WhatIf`]: the point and the answer given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIfRest {
    pub point: String,
    pub instead: String,
}

/// Whether a [`EventKind::Tls`] flight derived no key log lines (then the
/// JSON has no `secrets`).
#[allow(clippy::borrowed_box)] // serde hands the field as it is
pub(crate) fn no_secrets(secrets: &Box<Vec<String>>) -> bool {
    secrets.is_empty()
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    // --- the network
    /// A host asked for a connection.
    Connect {
        conn: ConnId,
        from: HostId,
        to: HostId,
        port: u16,
        protocol: Protocol,
        /// The real socket address at the far end, when one side is a
        /// real machine outside the world (`mailflow serve`, externals).
        #[serde(skip_serializing_if = "Option::is_none")]
        real: Option<std::net::SocketAddr>,
    },
    /// The server side took it.
    Accept { conn: ConnId },
    /// Nobody listens on that port: refused at once.
    Refused { conn: ConnId },
    /// The host or the link is down: the attempt timed out.
    Unreachable { conn: ConnId },
    /// No host of the world has this address: the attempt timed out.
    NoRoute {
        from: HostId,
        ip: std::net::IpAddr,
        port: u16,
    },
    /// Bytes sent; `arrives` is when the other side reads them. Inside
    /// TLS, `data` is the plaintext the two ends wrote and read, and
    /// `sealed` the records that carried it on the wire.
    Bytes {
        conn: ConnId,
        dir: Dir,
        arrives: SimTime,
        data: Payload,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed: Option<Payload>,
    },
    /// TLS records an end sent on its own (RFC 8446 §5): a handshake
    /// flight, an alert, close_notify. No plaintext of the session.
    /// `secrets` are the key log lines (SSLKEYLOGFILE) the sender derived
    /// before this flight: what lets a capture be decrypted.
    Tls {
        conn: ConnId,
        dir: Dir,
        arrives: SimTime,
        data: Payload,
        #[serde(default, skip_serializing_if = "no_secrets")]
        // One pointer, not a `Vec`'s three words: keeps `Tls` as small
        // as `Bytes` (issue 14 §1); the rest of the flight is rare.
        #[allow(clippy::box_collection)]
        secrets: Box<Vec<String>>,
    },
    /// One side closed; the other side learns it at `arrives`.
    Close {
        conn: ConnId,
        dir: Dir,
        arrives: SimTime,
    },
    /// A datagram (DNS); `arrives` is `None` when it was lost.
    Datagram {
        from: HostId,
        from_port: u16,
        to: HostId,
        to_port: u16,
        arrives: Option<SimTime>,
        data: Payload,
    },

    // --- facts reported by nodes
    /// A client wrote a message (its Message-ID lets views follow it).
    Composed {
        host: HostId,
        message_id: String,
        #[serde(flatten)]
        rest: Box<ComposedRest>,
    },
    /// An MTA took responsibility for a message: a new queue entry.
    Queued {
        host: HostId,
        queue_id: String,
        #[serde(flatten)]
        rest: Box<QueuedRest>,
    },
    /// An MTA opened `conn` to deliver (part of) a queue entry.
    Attempting {
        host: HostId,
        queue_id: String,
        conn: ConnId,
        rcpts: Box<Vec<String>>,
    },
    /// The next hop took these recipients.
    Relayed {
        host: HostId,
        queue_id: String,
        rcpts: Box<Vec<String>>,
        to: HostId,
    },
    /// Stored in a local mailbox: the message as stored, with its
    /// Return-Path and Received headers.
    Delivered {
        host: HostId,
        queue_id: String,
        #[serde(flatten)]
        rest: Box<DeliveredRest>,
    },
    /// Will try again at `retry_at`.
    Deferred {
        host: HostId,
        queue_id: String,
        #[serde(flatten)]
        rest: Box<DeferredRest>,
    },
    /// The entry left the queue: every recipient is done, failed or
    /// expired (for local-only mail, at once).
    Dequeued { host: HostId, queue_id: String },
    /// POP3's UPDATE state removed messages from a mailbox (RFC 1939 §6).
    Removed {
        host: HostId,
        mailbox: String,
        uids: Box<Vec<String>>,
    },
    /// Given up on: a delivery status notification goes back.
    Bounced {
        host: HostId,
        queue_id: String,
        #[serde(flatten)]
        rest: Box<BouncedRest>,
    },
    /// A delivery status notification other than a bounce (RFC 3461):
    /// `action` (`delivered`, `relayed`, `delayed`) for `rcpts`, queued as
    /// `dsn_queue_id`; or `None` when the sender's NOTIFY (or a null
    /// reverse-path) withheld a report, of a failure too. `why` says which.
    Notified {
        host: HostId,
        queue_id: String,
        #[serde(flatten)]
        rest: Box<NotifiedRest>,
    },
    /// Too old to keep trying.
    Expired {
        host: HostId,
        queue_id: String,
        rcpts: Box<Vec<String>>,
    },
    /// Too many Received headers: a mail loop (RFC 5321 §6.3).
    LoopDetected {
        host: HostId,
        queue_id: String,
        hops: usize,
    },
    /// A DNS lookup and its outcome, as the resolving host saw it.
    Resolved {
        host: HostId,
        name: String,
        #[serde(flatten)]
        rest: Box<ResolvedRest>,
    },
    /// A client fetched a message over POP3.
    Retrieved {
        host: HostId,
        mailbox: String,
        #[serde(flatten)]
        rest: Box<RetrievedRest>,
    },
    /// A quiet stretch is over: why the clock jumped (e.g. a retry timer).
    Wake { host: HostId, why: String },
    /// A what-if changed this point of the run: `host` (an MTA, or the DNS
    /// server) answered `point` (`RCPT #1`, `example.net MX? #1`) with
    /// `instead` rather than its own decision. Recorded just before the
    /// reply leaves (on `conn` for SMTP), so the bytes after it are the
    /// ones the what-if chose.
    WhatIf {
        host: HostId,
        conn: Option<ConnId>,
        #[serde(flatten)]
        rest: Box<WhatIfRest>,
    },
    /// A host went off the network (a `down` window of the scenario
    /// begins): connections to it time out until it is back.
    HostDown {
        host: HostId,
        /// When it comes back.
        until: SimTime,
    },
    /// A host is back on the network.
    HostUp { host: HostId },

    // --- faults of the network (the scenario's `links`)
    /// The connection was cut (a TCP reset): both ends learn at once and
    /// whatever was still in flight is gone. `why`: a host or the link
    /// went down, or a reset the scenario put on the link.
    Reset { conn: ConnId, why: String },
    /// The link from `from` to `to` holds every byte back until `until`;
    /// on `conn` (once per stall), or a datagram (`conn` is `None`).
    Stalled {
        from: HostId,
        to: HostId,
        #[serde(skip_serializing_if = "Option::is_none")]
        conn: Option<ConnId>,
        until: SimTime,
    },
    /// The link held the next datagram back until `until`, so a later
    /// one may overtake it.
    Reordered {
        from: HostId,
        to: HostId,
        until: SimTime,
    },
    /// `host` answers the final dot on `conn` late: its reply leaves at
    /// `until` (the scenario's `slow_data_reply`).
    SlowReply {
        host: HostId,
        conn: ConnId,
        until: SimTime,
    },
    /// The link delivers the datagram just sent twice: the next
    /// `Datagram` event is the copy.
    Duplicated { from: HostId, to: HostId },
}

impl EventKind {
    /// Whether this fact commits state a restart of a live world restores
    /// (`serve --record`): a message taken on or filed, which the 250 to
    /// DATA acknowledges, and a POP3 deletion, which the +OK to QUIT
    /// acknowledges (RFC 1939 §6). A reply after one leaves only once it
    /// is synced to disk.
    pub fn commits(&self) -> bool {
        matches!(
            self,
            EventKind::Queued { .. } | EventKind::Delivered { .. } | EventKind::Removed { .. }
        )
    }
}

impl EventKind {
    /// The bytes this event put on a connection's wire, and which way:
    /// the records inside TLS, else the bytes themselves.
    pub fn wire(&self) -> Option<(ConnId, Dir, &Payload)> {
        match self {
            EventKind::Bytes {
                conn,
                dir,
                data,
                sealed,
                ..
            } => Some((*conn, *dir, sealed.as_ref().unwrap_or(data))),
            EventKind::Tls {
                conn, dir, data, ..
            } => Some((*conn, *dir, data)),
            _ => None,
        }
    }
}

/// One entry of the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub seq: u64,
    pub at: SimTime,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The append-only log of a run.
#[derive(Debug, Default, Serialize)]
pub struct Trace {
    pub hosts: Vec<HostInfo>,
    /// Links whose settings differ from the default.
    pub links: Vec<LinkInfo>,
    /// The DNS zones of the world.
    pub zones: Vec<ZoneInfo>,
    events: Vec<Event>,
}

impl Trace {
    pub fn new(hosts: Vec<HostInfo>) -> Trace {
        Trace {
            hosts,
            links: Vec::new(),
            zones: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Appends an event at `at`; sequence numbers count from 0.
    pub fn push(&mut self, at: SimTime, kind: EventKind) -> u64 {
        let seq = self.events.len() as u64;
        self.events.push(Event { seq, at, kind });
        seq
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn host(&self, id: HostId) -> &HostInfo {
        &self.hosts[id.index()]
    }

    /// The host's name, for printing.
    pub fn name(&self, id: HostId) -> &str {
        &self.host(id).name
    }

    /// The host called `name`.
    pub fn host_named(&self, name: &str) -> Option<HostId> {
        self.hosts
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|i| HostId::try_from(i).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event is as large as the largest kind, times every event of
    /// a run: hello ×1,000,000 within 8 GB (issue 14 §1) needs them small.
    /// A new large field belongs in its kind's boxed rest.
    #[test]
    fn an_event_stays_small_issue_14_1() {
        assert!(
            std::mem::size_of::<Event>() <= 64,
            "trace::Event grew to {} bytes",
            std::mem::size_of::<Event>()
        );
    }

    /// The boxed rest of a fact is flattened: the JSON reads as it did
    /// when its fields were the variant's own.
    #[test]
    fn a_boxed_rest_serializes_flat_in_field_order() {
        let event = Event {
            seq: 3,
            at: SimTime::from(Duration::from_millis(5)),
            kind: EventKind::Queued {
                host: HostId(1),
                queue_id: "Q1".into(),
                rest: Box::new(QueuedRest {
                    message_id: "<m@x>".into(),
                    from: "<a@x>".into(),
                    rcpts: vec!["<b@y>".into()],
                    conn: Some(ConnId(7)),
                }),
            },
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"seq":3,"at":5000,"kind":"queued","host":1,"queue_id":"Q1","message_id":"<m@x>","from":"<a@x>","rcpts":["<b@y>"],"conn":7}"#
        );
    }
}
