//! Running a world: build the network and the nodes from a validated plan,
//! then run on a current-thread tokio runtime whose clock is paused, so the
//! clock jumps to the next timer whenever every task waits. Hours of
//! retries take milliseconds, and the same seed gives the same trace.
//!
//! A world with real machines in it (`externals`, or `mailflow serve`)
//! runs on the wall clock instead: a real server answers in real time, and
//! a paused clock would time it out while it thinks. Such a run is not
//! reproducible, and must not pretend to be: its Date and Received stamps
//! are today's, and its Message-IDs and POP3 unique-ids carry a run id so
//! that no real server or client meets the same id twice (see `Epoch`).

use std::time::Duration;

use crate::dns::Authority;
use std::rc::Rc;

mod continuation;
pub mod driven;

pub use continuation::{Continuation, Sitting};

use crate::net::link::Reset;
use crate::net::{Link, NetHandle, Network, Window};
use crate::node::{Activity, Epoch, HostContext, dns_server, mta, mua};
use crate::plan::{Override, Plan, ResetPlan};
use crate::trace::{EventKind, HostId, HostInfo, SimTime, Trace};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Nothing was left to do.
    Quiet,
    /// The run limit came first; mail may still be queued.
    TimeLimit,
    /// A live world (`mailflow serve`) was told to stop: Ctrl-C, SIGTERM,
    /// or its dashboard quit.
    Stopped,
}

/// The result of a run.
pub struct Run {
    pub trace: Trace,
    pub ending: Ending,
    /// Simulated time at the end.
    pub ended_at: SimTime,
}

/// Records the moments a host leaves the network and comes back, so a
/// view can stop on them. It opens no job: a host due back later does not
/// keep a world running that has nothing left to do.
async fn outages(net: NetHandle, down: Vec<(Duration, Duration)>) {
    let host = net.host();
    for (from, until) in down {
        tokio::time::sleep_until(net.instant_of(SimTime::from(from))).await;
        net.record(EventKind::HostDown {
            host,
            until: SimTime::from(until),
        });
        tokio::time::sleep_until(net.instant_of(SimTime::from(until))).await;
        net.record(EventKind::HostUp { host });
    }
}

/// Down windows in order, overlapping or touching ones joined: the host
/// is down from the first start to the last end of each group.
fn merged(list: &[(Duration, Duration)]) -> Vec<(Duration, Duration)> {
    let mut sorted = list.to_vec();
    sorted.sort();
    let mut out: Vec<(Duration, Duration)> = Vec::new();
    for (from, until) in sorted {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => out.push((from, until)),
        }
    }
    out
}

fn windows(list: &[(Duration, Duration)]) -> Vec<Window> {
    list.iter()
        .map(|(from, until)| Window {
            from: SimTime::from(*from),
            until: SimTime::from(*until),
        })
        .collect()
}

/// Which clock a world runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Paused and jumping: the scenario's start, reproducible per seed.
    Simulated,
    /// Real time, for a world that meets real machines.
    Wall,
}

impl Clock {
    /// The clock `mailflow run` gives a plan: the wall clock as soon as a
    /// real machine is in it.
    pub fn of(plan: &Plan) -> Clock {
        if plan.has_externals() {
            Clock::Wall
        } else {
            Clock::Simulated
        }
    }

    /// Where this clock's zero stands in real time, read now: call it
    /// just before the network starts counting.
    fn epoch(self, plan: &Plan) -> Epoch {
        match self {
            Clock::Simulated => Epoch::simulated(plan.start_unix),
            Clock::Wall => Epoch::wall_clock(),
        }
    }
}

/// Runs the plan to completion (or to its run limit).
pub fn run(plan: &Plan) -> Run {
    let clock = Clock::of(plan);
    let runtime = runtime(clock == Clock::Simulated);
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, world(plan, clock, None))
}

/// Runs the plan as `run` does, but sends every event to `tap` as it
/// happens (waiting when the receiver lags), numbered from 0: a watcher on
/// another thread sees the run while it computes (`mailflow tui`, the
/// progress of `mailflow run`). The trace returned holds the header only;
/// the header followed by the events sent is the trace `run` returns.
pub fn run_streamed(plan: &Plan, tap: std::sync::mpsc::SyncSender<crate::trace::Event>) -> Run {
    let clock = Clock::of(plan);
    let runtime = runtime(clock == Clock::Simulated);
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, world(plan, clock, Some(tap)))
}

/// A current-thread runtime; `paused` for the simulated clock.
///
/// A paused world has no real machine in it (`Clock::of`), so it gets
/// no IO driver: with one, every park of the runtime was an `epoll_wait`
/// and every timer due before the next one an `eventfd` write, about 70
/// system calls per message for nothing (see benches/README.md, engine4).
/// Without it the runtime parks on a flag; when it wakes and how far the
/// clock jumps are the same, so the trace is too.
pub fn runtime(paused: bool) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    if paused {
        // Its clock moves only while it parks: count the turns, so that
        // a world reads it once per turn (`net::clock`).
        builder
            .enable_time()
            .on_thread_unpark(crate::net::clock::turned);
    } else {
        builder.enable_all();
    }
    builder
        .start_paused(paused)
        .build()
        .expect("a current-thread runtime can always be built")
}

/// A world that is running: its network (with the trace) and its count
/// of open jobs.
pub struct Built {
    pub network: Rc<Network>,
    pub activity: Activity,
    /// The world's TLS, when it has any (its CA for real clients).
    pub tls: Option<Rc<crate::node::tls::WorldTls>>,
}

async fn world(
    plan: &Plan,
    clock: Clock,
    tap: Option<std::sync::mpsc::SyncSender<crate::trace::Event>>,
) -> Run {
    let Built {
        network, activity, ..
    } = build(plan, clock);
    if clock == Clock::Simulated {
        network.read_clock_per_turn();
    }
    if let Some(tap) = tap {
        // Before the first task runs: nothing is recorded yet.
        network.stream_to(tap, false, 0, None);
    }
    // Let every task start (and open its jobs) before looking for quiet.
    tokio::task::yield_now().await;
    let ending = until_quiet_or(&activity, plan.run_for).await;
    let ended_at = network.now();
    Run {
        trace: network.take_trace(),
        ending,
        ended_at,
    }
}

/// Whether the world fell quiet before its run limit. This future is
/// polled each time any node's task is woken (it is what `block_on`
/// runs), so the limit's timer is polled again only once it has run out:
/// before that it holds this future's waker and can only say "not yet".
async fn until_quiet_or(activity: &Activity, run_for: Duration) -> Ending {
    let mut idle = std::pin::pin!(activity.idle());
    let mut limit = std::pin::pin!(tokio::time::sleep(run_for));
    let mut polled = false;
    std::future::poll_fn(|cx| {
        if idle.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Ending::Quiet);
        }
        if (!polled || limit.is_elapsed()) && {
            polled = true;
            limit.as_mut().poll(cx).is_ready()
        } {
            return std::task::Poll::Ready(Ending::TimeLimit);
        }
        std::task::Poll::Pending
    })
    .await
}

/// Builds the network and starts every node. Call it inside the `LocalSet`
/// of the runtime that will run the world (paused for `Clock::Simulated`):
/// the nodes are its tasks.
pub fn build(plan: &Plan, clock: Clock) -> Built {
    build_with(plan, clock.epoch(plan), None, false)
}

/// Builds a live world for one sitting of `mailflow serve` (see
/// [`Sitting`]): on the wall clock, counted from the sitting's
/// `start_unix`, and going on from what earlier sittings left.
/// With `tls`, the world has its TLS (its CA, and each MTA's certificate)
/// even where no host of the scenario speaks TLS: `serve`'s submission
/// ports need it.
pub fn build_live(plan: &Plan, sitting: &Sitting, tls: bool) -> Built {
    build_with(
        plan,
        Epoch::wall_clock_from(sitting.start_unix),
        Some(sitting),
        tls,
    )
}

/// The header a world of `plan` has (hosts, links, zones), without
/// running it.
pub fn header(plan: &Plan) -> Trace {
    network(plan).header()
}

/// The network of `plan`, its links, real machines and zones described.
fn network(plan: &Plan) -> Rc<Network> {
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
                .map(|(a, b)| (SimTime::from(*a), SimTime::from(*b)))
                .collect(),
            label: h.label.clone(),
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
            resets: l
                .resets
                .iter()
                .map(|r| match *r {
                    ResetPlan::At(t) => Reset::At(SimTime::from(t)),
                    ResetPlan::After { session, after } => Reset::After { session, after },
                })
                .collect(),
            stalls: windows(&l.stalls),
            duplicate: l.duplicate,
            reorder: l.reorder,
        };
        network.set_link(l.a, l.b, link);
    }
    for e in &plan.externals {
        network.set_external(e.host, e.address);
    }
    for d in &plan.dns {
        for zone in &d.zones {
            network.describe_zone(crate::trace::ZoneInfo {
                server: d.host,
                origin: zone.origin.clone(),
                records: zone.records.iter().map(|r| r.to_string()).collect(),
            });
        }
    }
    network
}

/// Builds the world with `epoch` read just now, so that the world's zero
/// is this instant in both; a sitting sets where its clock goes on from.
fn build_with(plan: &Plan, epoch: Epoch, sitting: Option<&Sitting>, tls: bool) -> Built {
    let network = network(plan);
    let carried = sitting.and_then(|s| s.carried.as_ref());
    if let Some(sitting) = sitting {
        network.go_on(sitting.at, carried.map_or(0, |c| c.conns));
    }
    let activity = Activity::new();
    // Spawned before the nodes, so that a host down from the start is
    // down before anyone tries it.
    for (i, h) in plan.hosts.iter().enumerate() {
        if let (false, Ok(id)) = (h.down.is_empty(), HostId::try_from(i)) {
            tokio::task::spawn_local(outages(network.handle(id), merged(&h.down)));
        }
    }
    let dns_whatifs = plan.overrides.iter().filter_map(|o| match o {
        Override::Dns {
            name,
            qtype,
            attempt,
            answer,
        } => Some((name.clone(), *qtype, *attempt, answer.clone())),
        Override::Server { .. } => None,
    });
    let dns_whatifs = Rc::new(std::cell::RefCell::new(dns_server::DnsWhatIfs::new(
        dns_whatifs,
    )));
    for d in &plan.dns {
        tokio::task::spawn_local(dns_server::run(
            network.handle(d.host),
            Authority::new(d.zones.clone()),
            Rc::clone(&dns_whatifs),
        ));
    }
    // Queue ids unique in the world: each MTA gets its own prefix.
    let prefixes = mta::queue_prefixes(plan.mtas.iter().map(|m| plan.host(m.host).name.as_str()));
    let tls = world_tls(plan, &epoch, tls);
    for (m, queue_prefix) in plan.mtas.iter().zip(prefixes) {
        let mut host = HostContext::new(plan.host(m.host), epoch.clone());
        host.tls = tls.clone();
        let kept = carried
            .and_then(|c| c.mtas.get(&m.host).cloned())
            .unwrap_or_default();
        let whatifs = plan.overrides.iter().filter_map(|o| match o {
            Override::Server {
                host,
                step,
                attempt,
                instead,
            } if *host == m.host => Some((*step, *attempt, instead.clone())),
            _ => None,
        });
        mta::spawn(
            network.handle(m.host),
            m.clone(),
            host,
            &queue_prefix,
            activity.clone(),
            kept,
            mta::WhatIfs::new(whatifs),
        );
    }
    // What was due before the last event was done in an earlier sitting.
    let done = carried.map(|c| c.last);
    for c in &plan.clients {
        let mut host = HostContext::new(plan.host(c.host), epoch.clone());
        host.tls = tls.clone();
        mua::spawn(network.handle(c.host), c.clone(), host, &activity, done);
    }
    Built {
        network,
        activity,
        tls,
    }
}

/// The world's TLS, when any host speaks it or `wanted`: a world without
/// it builds no keys, and its trace stays as it always was.
fn world_tls(
    plan: &Plan,
    epoch: &Epoch,
    wanted: bool,
) -> Option<std::rc::Rc<crate::node::tls::WorldTls>> {
    use crate::smtp::client::StartTls;
    use crate::smtp::server::Tls;
    let speaks = plan
        .mtas
        .iter()
        .any(|m| m.starttls != Tls::Off || m.relay_tls != StartTls::Never)
        || plan.clients.iter().any(|c| c.starttls != StartTls::Never);
    if !speaks && !wanted {
        return None;
    }
    crate::node::tls::WorldTls::new(&plan.title, plan.seed, epoch.clone())
        .ok()
        .map(std::rc::Rc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_down_windows_are_one_outage() {
        let m = |a: u64, b: u64| (Duration::from_secs(a), Duration::from_secs(b));
        assert_eq!(
            merged(&[m(50, 60), m(0, 10), m(5, 20), m(20, 30)]),
            [m(0, 30), m(50, 60)]
        );
        assert_eq!(merged(&[]), []);
    }
    use crate::mail::{Headers, parse_rfc5322_date};
    use crate::trace::EventKind;

    /// alice writes to bob on her own server; `externals` names a real
    /// machine (on loopback, never contacted: the mail stays local), which
    /// is enough to put the world on the wall clock.
    fn local_mail(real: bool) -> Plan {
        let (zone, externals) = if real {
            (
                r#"(origin: "partner.example", records: [Mx("partner.example", 10, "mx.partner.example")]),"#,
                r#"(name: "mx.partner.example", ip: "203.0.113.25", address: "127.0.0.1:9")"#,
            )
        } else {
            ("", "")
        };
        let source = format!(
            r#"(
    title: "local mail",
    start: "2026-12-01 09:00:00",
    run_for: "1m",
    dns: [(name: "ns.example.org", ip: "192.0.2.53", zones: [
        (origin: "example.org", records: [Mx("example.org", 10, "smtp.example.org")]),
        {zone}
    ])],
    mtas: [(name: "smtp.example.org", ip: "192.0.2.25", domains: ["example.org"],
        mailboxes: {{"alice@example.org": "alice", "bob@example.org": "bob"}}, submission: true)],
    externals: [{externals}],
    clients: [(name: "laptop.example.org", ip: "192.0.2.10", account: "alice@example.org",
        password: "alice", server: "smtp.example.org",
        send: [(to: ["bob@example.org"], subject: "hi", body: "hi")])],
)"#
        );
        crate::scenario::parse(&source, "local.ron")
            .unwrap_or_else(|e| panic!("{e}"))
            .plan
    }

    /// What bob's mailbox got: (Date, Received stamp, Message-ID, uid).
    fn delivered(plan: &Plan) -> (i64, i64, String, String) {
        let run = run(plan);
        let (content, uid) = run
            .trace
            .events()
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Delivered { rest, .. } => {
                    Some((rest.content.as_bytes().into_owned(), rest.uid.clone()))
                }
                _ => None,
            })
            .expect("bob's message is delivered");
        let headers = Headers::parse(&content);
        let date = headers
            .get("Date")
            .and_then(parse_rfc5322_date)
            .expect("a Date field");
        let received = headers
            .get("Received")
            .and_then(|r| r.rsplit(';').next())
            .and_then(parse_rfc5322_date)
            .expect("a Received stamp");
        let id = headers.message_id().expect("a Message-ID").to_owned();
        (date, received, id, uid)
    }

    fn unix_now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }

    #[test]
    fn a_simulated_world_dates_from_its_start_and_repeats_its_ids() {
        let plan = local_mail(false);
        assert_eq!(Clock::of(&plan), Clock::Simulated);
        let (date, received, id, uid) = delivered(&plan);
        assert_eq!(date, plan.start_unix);
        assert!((date..date + 5).contains(&received), "{received}");
        assert_eq!(uid, "smtp.example.org.1");
        assert_eq!(delivered(&plan), (date, received, id, uid));
    }

    #[test]
    fn a_world_with_externals_stamps_real_time_and_never_repeats_a_message_id_rfc5322_3_6_4() {
        let plan = local_mail(true);
        assert_eq!(Clock::of(&plan), Clock::Wall);
        let before = unix_now();
        let (date, received, first_id, first_uid) = delivered(&plan);
        let (_, _, second_id, second_uid) = delivered(&plan);
        let after = unix_now();
        for stamp in [date, received] {
            assert!(
                (before..=after).contains(&stamp),
                "stamp {stamp} is not now ({before}..={after})"
            );
        }
        assert_ne!(first_id, second_id, "two runs wrote the same Message-ID");
        assert_ne!(
            first_uid, second_uid,
            "two runs gave the same POP3 unique-id"
        );
    }
}
