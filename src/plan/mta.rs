//! An MTA's section of the plan: what it serves, whom it relays for, how
//! it retries, and the limits it sets.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::trace::HostId;

#[derive(Debug, Clone)]
pub struct MtaPlan {
    pub host: HostId,
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
