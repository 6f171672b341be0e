//! A validated scenario: names resolved to hosts, durations parsed,
//! addresses checked. The simulator builds its world from this, never from
//! the raw file.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::dns::Zone;
use crate::trace::Role;

/// Index of a host in `Plan::hosts` (and in the trace's host list).
pub type HostIndex = usize;

#[derive(Debug, Clone)]
pub struct Plan {
    pub title: String,
    pub about: String,
    pub seed: u64,
    /// Unix time at the start of the run, for Date and Received headers.
    pub start_unix: i64,
    pub run_for: Duration,
    /// Delay of links not listed.
    pub latency: Duration,
    pub hosts: Vec<PlanHost>,
    pub dns: Vec<DnsPlan>,
    pub mtas: Vec<MtaPlan>,
    pub clients: Vec<ClientPlan>,
    pub links: Vec<LinkPlan>,
    pub externals: Vec<ExternalPlan>,
    pub expect: Vec<Expectation>,
}

impl Plan {
    /// A world with real machines in it must run on the wall clock.
    pub fn has_externals(&self) -> bool {
        !self.externals.is_empty()
    }
}

/// A real SMTP server outside the world.
#[derive(Debug, Clone)]
pub struct ExternalPlan {
    pub host: HostIndex,
    /// Where port 25 of the host really is.
    pub address: std::net::SocketAddr,
}

#[derive(Debug, Clone)]
pub struct PlanHost {
    pub name: String,
    pub ip: IpAddr,
    pub role: Role,
    /// Windows (from, until) when the host is off the network.
    pub down: Vec<(Duration, Duration)>,
    /// The DNS server this host asks, if any.
    pub resolver: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub struct DnsPlan {
    pub host: HostIndex,
    pub zones: Vec<Zone>,
}

#[derive(Debug, Clone)]
pub struct MtaPlan {
    pub host: HostIndex,
    /// Local domains, lower case.
    pub domains: Vec<String>,
    /// Address (lower case) → password.
    pub mailboxes: BTreeMap<String, String>,
    pub submission: bool,
    /// (network, prefix length) pairs allowed to relay.
    pub relay_networks: Vec<(IpAddr, u8)>,
    /// Domains accepted from anyone and relayed (a backup MX).
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
}

#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub host: HostIndex,
    pub account: String,
    pub password: String,
    /// The MTA it submits to and fetches from.
    pub server: String,
    pub send: Vec<MessagePlan>,
    pub fetch: Vec<Duration>,
    pub keep_on_server: bool,
    pub pipelining: bool,
}

#[derive(Debug, Clone)]
pub struct MessagePlan {
    pub at: Duration,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub raw: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LinkPlan {
    pub a: HostIndex,
    pub b: HostIndex,
    pub latency: Option<Duration>,
    pub jitter: Option<Duration>,
    pub loss: f64,
    pub down: Vec<(Duration, Duration)>,
}

/// A claim to check against the trace; see `schema::Expect`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Delivered {
        to: String,
        within: Option<Duration>,
    },
    NotDelivered {
        to: String,
    },
    Bounced {
        to: String,
        status: Option<String>,
    },
    Deferred {
        at_least: usize,
    },
    Hops {
        exactly: usize,
    },
    ReceivedHeaders {
        mailbox: String,
        count: usize,
    },
    Retrieved {
        by: String,
        at_least: usize,
    },
    Reply {
        code: u16,
        status: Option<String>,
    },
    LoopDetected,
    Expired,
}
