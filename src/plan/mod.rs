//! The plan: the one description of a world, validated. `scenario`
//! builds it from a file (names resolved to hosts, durations and addresses
//! parsed); `sim` and `serve` build the world from it, and each node reads
//! its own section directly. It knows no scenario file and no node.
//!
//! * `mta`, `client`: the sections the nodes read
//! * `expect`: the claims checked against the trace afterwards
//! * `whatif`: the replies and DNS answers a what-if replaces

mod client;
mod expect;
mod mta;
mod whatif;

use std::net::IpAddr;
use std::time::Duration;

use crate::dns::Zone;
use crate::trace::{HostId, Role};

pub use client::{ClientPlan, MessageDsn, MessagePlan};
pub use expect::{Count, Expectation, Scope, Window};
pub use mta::{AuthPlan, DkimSigner, ListPlan, MtaPlan};
pub use whatif::{DnsAnswer, Override};

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
    /// Every host, the one with id `HostId(n)` at `n`: the trace lists
    /// them in the same order.
    pub hosts: Vec<PlanHost>,
    pub dns: Vec<DnsPlan>,
    pub mtas: Vec<MtaPlan>,
    pub clients: Vec<ClientPlan>,
    pub links: Vec<LinkPlan>,
    pub externals: Vec<ExternalPlan>,
    pub expect: Vec<Expectation>,
    /// What-ifs: replies and DNS answers replaced (empty for a plain run).
    pub overrides: Vec<Override>,
}

impl Plan {
    /// A world with real machines in it must run on the wall clock.
    pub fn has_externals(&self) -> bool {
        !self.externals.is_empty()
    }

    pub fn host(&self, id: HostId) -> &PlanHost {
        &self.hosts[id.index()]
    }

    /// The MX records of `domain` in the world's zones, as (preference,
    /// exchange), the most preferred first (RFC 5321 §5.1).
    pub fn mx_exchanges(&self, domain: &str) -> Vec<(u16, &str)> {
        let mut mxs: Vec<(u16, &str)> = self
            .dns
            .iter()
            .flat_map(|d| d.zones.iter().flat_map(|z| &z.records))
            .filter(|r| r.name.trim_end_matches('.').eq_ignore_ascii_case(domain))
            .filter_map(|r| match &r.data {
                crate::dns::RecordData::Mx {
                    preference,
                    exchange,
                } => Some((*preference, exchange.trim_end_matches('.'))),
                _ => None,
            })
            .collect();
        mxs.sort();
        mxs
    }

    /// Adds a host after the scenario's own (`serve`'s outside), or
    /// `None` when no id is left for it.
    pub fn add_host(&mut self, host: PlanHost) -> Option<HostId> {
        let id = HostId::try_from(self.hosts.len()).ok()?;
        self.hosts.push(host);
        Some(id)
    }
}

/// A real SMTP server outside the world.
#[derive(Debug, Clone)]
pub struct ExternalPlan {
    pub host: HostId,
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
    /// A short name for the map.
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DnsPlan {
    pub host: HostId,
    pub zones: Vec<Zone>,
}

/// When a reset cuts connections on a link (see `net::link::Reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetPlan {
    /// Every connection open on the link then.
    At(Duration),
    /// The `session`th connection over the link (from 1), once its client
    /// has sent `after` octets.
    After { session: u32, after: usize },
}

#[derive(Debug, Clone)]
pub struct LinkPlan {
    pub a: HostId,
    pub b: HostId,
    pub latency: Option<Duration>,
    pub jitter: Option<Duration>,
    pub loss: f64,
    pub down: Vec<(Duration, Duration)>,
    pub resets: Vec<ResetPlan>,
    /// Windows (from, until) when the link holds every byte back.
    pub stalls: Vec<(Duration, Duration)>,
    pub duplicate: f64,
    pub reorder: f64,
}
