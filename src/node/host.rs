//! What a node needs beyond its section of the plan: its own entry in the
//! plan's host table (name, resolver) and the run it is part of (the
//! epoch, which only the clock that runs the world can give).

use std::net::IpAddr;
use std::rc::Rc;

use crate::node::Epoch;
use crate::node::tls::WorldTls;
use crate::plan::PlanHost;

#[derive(Debug, Clone)]
pub struct HostContext {
    pub hostname: String,
    /// The DNS server it asks.
    pub resolver: Option<IpAddr>,
    /// The real time at the world's zero, for header dates, and the run
    /// id that keeps Message-IDs and POP3 unique-ids apart across runs.
    pub epoch: Epoch,
    /// The world's TLS, when any host of it speaks TLS.
    pub tls: Option<Rc<WorldTls>>,
}

impl HostContext {
    pub fn new(host: &PlanHost, epoch: Epoch) -> HostContext {
        HostContext {
            hostname: host.name.clone(),
            resolver: host.resolver,
            epoch,
            tls: None,
        }
    }
}
