//! The medium every transport of a world shares: the clock, the links and
//! the windows when hosts are down, each host's seeded RNG, and the sink
//! that every tapped event goes into. It knows no transport; pipes, real
//! sockets and datagram sockets each hold it and their own host, and call
//! `record` for what crosses the wire, so the one tap is this file's
//! `record`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;

use super::clock::Reading;
use super::link::{Link, Reset, Window};
use super::tap::Tap;
use crate::trace::{Event, EventKind, HostId, HostInfo, LinkInfo, SimTime, Trace, ZoneInfo};

/// Where events go.
enum Sink {
    /// Into the trace, for a run that is read when it is over.
    Keep,
    /// To a live watcher on another thread (`mailflow serve`); the network
    /// keeps nothing, so a world that runs for days does not grow.
    Stream {
        tap: Box<dyn Tap>,
        /// Events sent so far: the next one's sequence number.
        sent: u64,
        /// Drop events the watcher has no room for, rather than wait.
        lossy: bool,
    },
    /// The watcher has gone: the world is being taken down.
    Gone,
}

struct State {
    /// The instant the clock read `origin`.
    start: Instant,
    /// Where the clock stood at `start`: zero, or where a live world that
    /// is continued from its recording goes on.
    origin: Duration,
    /// The header (hosts, links, zones), and the events when they are kept.
    trace: Trace,
    sink: Sink,
    rngs: Vec<Xoshiro256PlusPlus>,
    down: Vec<Vec<Window>>,
    links: BTreeMap<(HostId, HostId), Link>,
    default_link: Link,
    /// Connections opened over each link so far, for `Reset::After`.
    sessions: BTreeMap<(HostId, HostId), u32>,
    /// Under `serve --record`: how many events are in the file; bytes to
    /// a real peer wait until the events before them are.
    durable: Option<Durable>,
    /// The sequence number of the last streamed event that commits state
    /// (`EventKind::commits`).
    last_commit: Option<u64>,
    /// How the clock is read: each time, or once per turn (`clock`).
    clock: Reading,
}

/// How far the recording has come, in events (the next sequence number):
/// written to the kernel, and synced to disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnDisk {
    pub written: u64,
    pub synced: u64,
}

/// Where the recording stands, told by the threads that write and sync it.
pub type Durable = tokio::sync::watch::Receiver<OnDisk>;

/// What will cut a connection (see `Medium::open_session`).
pub(crate) struct Doom {
    /// When, and why.
    pub cut: Option<(SimTime, String)>,
    /// The octets its client may send before a reset cuts it.
    pub after: Option<usize>,
}

/// The shared medium of one world.
pub(crate) struct Medium {
    state: RefCell<State>,
}

/// A link is the same in both directions: its key puts the lower id first.
fn key(a: HostId, b: HostId) -> (HostId, HostId) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Medium {
    /// Reads the clock of the runtime it is created in.
    pub(crate) fn new(
        hosts: Vec<HostInfo>,
        mut down: Vec<Vec<Window>>,
        default_link: Link,
        seed: u64,
    ) -> Medium {
        let n = hosts.len();
        let rngs = (0..n)
            .map(|i| Xoshiro256PlusPlus::seed_from_u64(seed ^ ((i as u64 + 1) << 32)))
            .collect();
        down.resize(n, Vec::new());
        Medium {
            state: RefCell::new(State {
                start: Instant::now(),
                origin: Duration::ZERO,
                trace: Trace::new(hosts),
                sink: Sink::Keep,
                rngs,
                down,
                links: BTreeMap::new(),
                default_link,
                sessions: BTreeMap::new(),
                durable: None,
                last_commit: None,
                clock: Reading::default(),
            }),
        }
    }

    pub(crate) fn now(&self) -> SimTime {
        self.state.borrow().now()
    }

    /// The runtime's clock now (once per turn of a paused runtime: see
    /// `clock`).
    pub(crate) fn clock_now(&self) -> Instant {
        self.state.borrow().clock.now()
    }

    /// Reads the clock once per turn from now on: the world runs on
    /// `sim::runtime(true)`, which counts its turns.
    pub(crate) fn read_clock_per_turn(&self) {
        self.state.borrow().clock.per_turn();
    }

    /// The tokio instant of a simulated time, for sleeping until it (a
    /// time before the origin is now).
    pub(crate) fn instant(&self, t: SimTime) -> Instant {
        let state = self.state.borrow();
        state.start + t.duration().saturating_sub(state.origin)
    }

    /// Sets the clock to read `at` now: a live world continued from its
    /// recording goes on from there.
    pub(crate) fn set_origin(&self, at: SimTime) {
        let mut state = self.state.borrow_mut();
        state.start = Instant::now();
        state.origin = at.duration();
    }

    /// Whether both hosts and the link between them are up at `t`.
    pub(crate) fn reachable(&self, a: HostId, b: HostId, t: SimTime) -> bool {
        let state = self.state.borrow();
        let up = |h: HostId| !state.down[usize::from(h.0)].iter().any(|w| w.contains(t));
        up(a) && up(b) && !state.link(a, b).is_down(t)
    }

    /// When bytes sent now from `a` reach `b`: latency plus seeded jitter,
    /// counted from the end of a stall the link is in, never before
    /// `after` (a stream does not reorder).
    pub(crate) fn arrival(&self, a: HostId, b: HostId, after: SimTime) -> SimTime {
        let mut state = self.state.borrow_mut();
        let link = state.link(a, b).clone();
        let now = state.now();
        let from = link.stall(now).map_or(now, |w| w.until);
        let jitter = if link.jitter.is_zero() {
            Duration::ZERO
        } else {
            let nanos = link.jitter.as_nanos() as u64;
            Duration::from_nanos(state.rngs[usize::from(a.0)].random_range(0..=nanos))
        };
        SimTime::from(from.duration() + link.latency + jitter).max(after)
    }

    /// When a datagram due at `due` arrives if the link holds it back:
    /// two more trips over it later, so that the next one overtakes it.
    pub(crate) fn held_back(&self, a: HostId, b: HostId, due: SimTime) -> SimTime {
        let state = self.state.borrow();
        let latency = state.link(a, b).latency;
        SimTime::from(due.duration() + 2 * latency + std::time::Duration::from_millis(1))
    }

    /// The stall the link between `a` and `b` is in now, if any.
    pub(crate) fn stall(&self, a: HostId, b: HostId) -> Option<Window> {
        let state = self.state.borrow();
        state.link(a, b).stall(state.now())
    }

    /// Whether a datagram sent now from `a` to `b` arrives twice; drawn
    /// only on a link that duplicates, so other runs stay as they were.
    pub(crate) fn duplicates(&self, a: HostId, b: HostId) -> bool {
        self.chance(a, b, |l| l.duplicate)
    }

    /// Whether a datagram sent now from `a` to `b` is held back so that
    /// the next one overtakes it (drawn only on a link that reorders).
    pub(crate) fn reorders(&self, a: HostId, b: HostId) -> bool {
        self.chance(a, b, |l| l.reorder)
    }

    fn chance(&self, a: HostId, b: HostId, of: impl Fn(&Link) -> f64) -> bool {
        let mut state = self.state.borrow_mut();
        let p = of(state.link(a, b));
        p > 0.0 && state.rngs[usize::from(a.0)].random_bool(p.clamp(0.0, 1.0))
    }

    /// A connection opens now from `client` to `server`: its number on
    /// their link, and what will cut it: the first moment after now when
    /// either host or the link goes down or a reset falls (with why), and
    /// the octets its client may send before a `Reset::After`.
    pub(crate) fn open_session(&self, client: HostId, server: HostId) -> Doom {
        let mut state = self.state.borrow_mut();
        let now = state.now();
        let number = {
            let n = state.sessions.entry(key(client, server)).or_insert(0);
            *n += 1;
            *n
        };
        let link = state.link(client, server);
        let name = |h: HostId| state.trace.hosts[h.index()].name.clone();
        let mut cuts: Vec<(SimTime, String)> = Vec::new();
        for host in [client, server] {
            for w in &state.down[host.index()] {
                cuts.push((w.from, format!("{} went down", name(host))));
            }
        }
        for w in &link.down {
            cuts.push((w.from, "the link went down".to_owned()));
        }
        let mut after = None;
        for reset in &link.resets {
            match *reset {
                Reset::At(t) => cuts.push((t, "a reset on the link".to_owned())),
                Reset::After {
                    session,
                    after: octets,
                } if session == number => {
                    after = Some(after.map_or(octets, |a: usize| a.min(octets)));
                }
                Reset::After { .. } => {}
            }
        }
        let cut = cuts
            .into_iter()
            .filter(|(t, _)| *t > now)
            .min_by_key(|(t, _)| *t);
        Doom { cut, after }
    }

    /// Whether a datagram sent now from `a` to `b` is lost on their link,
    /// drawn from `a`'s RNG (only on a lossy link, so others draw nothing).
    pub(crate) fn loses(&self, a: HostId, b: HostId) -> bool {
        let mut state = self.state.borrow_mut();
        let loss = state.link(a, b).loss;
        loss > 0.0 && state.rngs[usize::from(a.0)].random_bool(loss.clamp(0.0, 1.0))
    }

    /// Runs `f` with `host`'s seeded random number generator.
    pub(crate) fn with_rng<T>(
        &self,
        host: HostId,
        f: impl FnOnce(&mut Xoshiro256PlusPlus) -> T,
    ) -> T {
        f(&mut self.state.borrow_mut().rngs[usize::from(host.0)])
    }

    /// The tap: appends what happened now to the trace, or streams it;
    /// the sequence number of a streamed event.
    pub(crate) fn record(&self, kind: EventKind) -> Option<u64> {
        self.record_at(|_| kind)
    }

    /// As [`Medium::record`], for an event that names its own time (when
    /// bytes on a real socket arrive): `kind` gets the time the event is
    /// stamped with. On the wall clock a time read before would be a
    /// moment earlier, and a capture would then acknowledge the bytes
    /// before they were sent.
    pub(crate) fn record_at(&self, kind: impl FnOnce(SimTime) -> EventKind) -> Option<u64> {
        let mut state = self.state.borrow_mut();
        let at = state.now();
        let kind = kind(at);
        let state = &mut *state;
        match &mut state.sink {
            Sink::Keep => {
                state.trace.push(at, kind);
                None
            }
            Sink::Gone => None,
            Sink::Stream { tap, sent, lossy } => {
                let seq = *sent;
                if kind.commits() {
                    state.last_commit = Some(seq);
                }
                let event = Event { seq, at, kind };
                *sent += 1;
                // A lossy tap (the printer) may miss events, which it sees
                // as a gap in their numbers, rather than freeze every
                // session.
                let gone = tap.send(event, *lossy).is_err();
                if gone {
                    state.sink = Sink::Gone;
                }
                Some(seq)
            }
        }
    }

    /// Streams every event from now on to `tap`, numbered from `first`
    /// (see `Network::stream_to`).
    pub(crate) fn stream_to(
        &self,
        tap: impl Tap + 'static,
        lossy: bool,
        first: u64,
        durable: Option<Durable>,
    ) {
        let mut state = self.state.borrow_mut();
        assert!(
            state.trace.is_empty(),
            "stream_to after events were recorded: they would never be sent"
        );
        state.sink = Sink::Stream {
            tap: Box::new(tap),
            sent: first,
            lossy,
        };
        state.durable = durable;
    }

    /// What bytes to a real peer wait for, if anything.
    pub(crate) fn durable(&self) -> Option<Durable> {
        self.state.borrow().durable.clone()
    }

    /// The last event that committed state, if any was streamed.
    pub(crate) fn last_commit(&self) -> Option<u64> {
        self.state.borrow().last_commit
    }

    pub(crate) fn ip_of(&self, host: HostId) -> IpAddr {
        self.state.borrow().trace.hosts[host.index()].ip
    }

    pub(crate) fn host_by_ip(&self, ip: IpAddr) -> Option<HostId> {
        self.state
            .borrow()
            .trace
            .hosts
            .iter()
            .position(|h| h.ip == ip)
            .and_then(|i| HostId::try_from(i).ok())
    }

    /// Sets the link between two hosts (either order) and describes it in
    /// the trace.
    pub(crate) fn set_link(&self, a: HostId, b: HostId, link: Link) {
        let key = key(a, b);
        let mut state = self.state.borrow_mut();
        state.trace.links.push(LinkInfo {
            a: key.0,
            b: key.1,
            latency: SimTime::from(link.latency),
            down: link.down.iter().map(|w| (w.from, w.until)).collect(),
        });
        state.links.insert(key, link);
    }

    pub(crate) fn describe_zone(&self, zone: ZoneInfo) {
        self.state.borrow_mut().trace.zones.push(zone);
    }

    /// The trace's header (hosts, links, zones) without its events.
    pub(crate) fn header(&self) -> Trace {
        let state = self.state.borrow();
        let mut header = Trace::new(state.trace.hosts.clone());
        header.links = state.trace.links.clone();
        header.zones = state.trace.zones.clone();
        header
    }

    /// The trace so far, taken out (the run is over).
    pub(crate) fn take_trace(&self) -> Trace {
        let empty = self.header();
        std::mem::replace(&mut self.state.borrow_mut().trace, empty)
    }
}

impl State {
    fn now(&self) -> SimTime {
        SimTime::from(self.origin + self.clock.now().saturating_duration_since(self.start))
    }

    fn link(&self, a: HostId, b: HostId) -> &Link {
        self.links.get(&key(a, b)).unwrap_or(&self.default_link)
    }
}
