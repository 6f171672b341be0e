//! Running a world: build the network and the nodes from a validated plan,
//! then run on a current-thread tokio runtime whose clock is paused, so the
//! clock jumps to the next timer whenever every task waits. Hours of
//! retries take milliseconds, and the same seed gives the same trace.
//!
//! A world with real machines in it (`externals`) runs on the wall clock
//! instead: a real server answers in real time, and a paused clock would
//! time it out while it thinks. Such a run is not reproducible.

use std::time::Duration;

use crate::dns::Authority;
use std::rc::Rc;

use crate::net::{Link, Network, Window};
use crate::node::mta::{self, MtaConfig};
use crate::node::mua::{self, MuaConfig, Outgoing};
use crate::node::{Activity, dns_server};
use crate::scenario::Plan;
use crate::trace::{HostId, HostInfo, SimTime, Trace};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Nothing was left to do.
    Quiet,
    /// The run limit came first; mail may still be queued.
    TimeLimit,
}

/// The result of a run.
pub struct Run {
    pub trace: Trace,
    pub ending: Ending,
    /// Simulated time at the end.
    pub ended_at: SimTime,
}

fn windows(list: &[(Duration, Duration)]) -> Vec<Window> {
    list.iter()
        .map(|(from, until)| Window {
            from: SimTime(*from),
            until: SimTime(*until),
        })
        .collect()
}

/// Runs the plan to completion (or to its run limit).
pub fn run(plan: &Plan) -> Run {
    let runtime = runtime(!plan.has_externals());
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, world(plan))
}

/// A current-thread runtime; `paused` for the simulated clock.
pub fn runtime(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(paused)
        .build()
        .expect("a current-thread runtime can always be built")
}

/// A world that is running: its network (with the trace) and its count
/// of open jobs.
pub struct Built {
    pub network: Rc<Network>,
    pub activity: Activity,
}

async fn world(plan: &Plan) -> Run {
    let Built { network, activity } = build(plan);
    // Let every task start (and open its jobs) before looking for quiet.
    tokio::task::yield_now().await;
    let ending = tokio::select! {
        biased;
        () = activity.idle() => Ending::Quiet,
        () = tokio::time::sleep(plan.run_for) => Ending::TimeLimit,
    };
    let ended_at = network.now();
    Run {
        trace: network.take_trace(),
        ending,
        ended_at,
    }
}

/// Builds the network and starts every node. Call it inside the `LocalSet`
/// of the runtime that will run the world: the nodes are its tasks.
pub fn build(plan: &Plan) -> Built {
    let hosts: Vec<HostInfo> = plan
        .hosts
        .iter()
        .map(|h| HostInfo {
            name: h.name.clone(),
            ip: h.ip,
            role: h.role,
            down: h
                .down
                .iter()
                .map(|(a, b)| (SimTime(*a), SimTime(*b)))
                .collect(),
        })
        .collect();
    let down = plan.hosts.iter().map(|h| windows(&h.down)).collect();
    let default_link = Link {
        latency: plan.latency,
        ..Link::default()
    };
    let network = Network::new(hosts, down, default_link.clone(), plan.seed);
    for l in &plan.links {
        let link = Link {
            latency: l.latency.unwrap_or(default_link.latency),
            jitter: l.jitter.unwrap_or_default(),
            loss: l.loss,
            down: windows(&l.down),
        };
        network.set_link(HostId(l.a as u16), HostId(l.b as u16), link);
    }
    for e in &plan.externals {
        network.set_external(HostId(e.host as u16), e.address);
    }
    let activity = Activity::new();
    let handle = |i: usize| network.handle(HostId(i as u16));
    for d in &plan.dns {
        for zone in &d.zones {
            network.describe_zone(crate::trace::ZoneInfo {
                server: HostId(d.host as u16),
                origin: zone.origin.clone(),
                records: zone.records.iter().map(|r| r.to_string()).collect(),
            });
        }
        tokio::task::spawn_local(dns_server::run(
            handle(d.host),
            Authority::new(d.zones.clone()),
        ));
    }
    // Queue ids unique in the world: each MTA gets its own prefix.
    let prefixes = mta::queue_prefixes(plan.mtas.iter().map(|m| plan.hosts[m.host].name.as_str()));
    for (m, queue_prefix) in plan.mtas.iter().zip(prefixes) {
        let config = MtaConfig {
            hostname: plan.hosts[m.host].name.clone(),
            domains: m.domains.clone(),
            mailboxes: m.mailboxes.clone(),
            submission: m.submission,
            relay_networks: m.relay_networks.clone(),
            relay_domains: m.relay_domains.clone(),
            smarthost: m.smarthost.clone(),
            retry: m.retry.clone(),
            max_age: m.max_age,
            greylisting: m.greylisting,
            max_size: m.max_size,
            max_recipients: m.max_recipients,
            quota: m.quota,
            max_hops: m.max_hops,
            pipelining: m.pipelining,
            keep_bare_line_endings: m.keep_bare_line_endings,
            resolver: plan.hosts[m.host].resolver,
            start_unix: plan.start_unix,
            queue_prefix,
        };
        mta::spawn(handle(m.host), config, activity.clone());
    }
    for c in &plan.clients {
        let config = MuaConfig {
            hostname: plan.hosts[c.host].name.clone(),
            account: c.account.clone(),
            password: c.password.clone(),
            server: c.server.clone(),
            send: c
                .send
                .iter()
                .map(|m| Outgoing {
                    at: m.at,
                    to: m.to.clone(),
                    cc: m.cc.clone(),
                    bcc: m.bcc.clone(),
                    subject: m.subject.clone(),
                    body: m.body.clone(),
                    raw: m.raw.clone(),
                })
                .collect(),
            fetch: c.fetch.clone(),
            keep_on_server: c.keep_on_server,
            pipelining: c.pipelining,
            resolver: plan.hosts[c.host].resolver,
            start_unix: plan.start_unix,
        };
        mua::spawn(handle(c.host), config, &activity);
    }
    Built { network, activity }
}
