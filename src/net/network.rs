//! The shared medium of a simulated world. Hosts share nothing with each
//! other; they share this wire, as real machines share a network. Every
//! connect, byte and datagram is tapped into the trace here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::datagram::{Datagram, DatagramSocket};
use super::link::{Link, Window};
use super::stream::{Listener, Pending, SimStream};
use crate::trace::{ConnId, EventKind, HostId, HostInfo, Protocol, SimTime, Trace};

/// How long a connect to a dead host waits before giving up (Postfix's
/// smtp_connect_timeout is 30 s too).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a connection did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConnectError {
    #[error("connection refused: nothing listens on that port")]
    Refused,
    #[error("connection timed out: the host or the link is down")]
    Unreachable,
}

pub(crate) struct State {
    start: Instant,
    pub(crate) trace: Trace,
    rngs: Vec<Xoshiro256PlusPlus>,
    down: Vec<Vec<Window>>,
    links: BTreeMap<(HostId, HostId), Link>,
    default_link: Link,
    listeners: BTreeMap<(HostId, u16), mpsc::UnboundedSender<Pending<SimStream>>>,
    sockets: BTreeMap<(HostId, u16), mpsc::UnboundedSender<Pending<Datagram>>>,
    next_conn: u32,
    next_port: Vec<u16>,
    /// A live copy of every event, for a dashboard or printer on another
    /// thread while the world runs (`mailflow serve`).
    tap: Option<std::sync::mpsc::Sender<crate::trace::Event>>,
}

impl State {
    pub(crate) fn now(&self) -> SimTime {
        SimTime(Instant::now().saturating_duration_since(self.start))
    }

    pub(crate) fn instant(&self, t: SimTime) -> Instant {
        self.start + t.0
    }

    fn link(&self, a: HostId, b: HostId) -> &Link {
        let key = if a <= b { (a, b) } else { (b, a) };
        self.links.get(&key).unwrap_or(&self.default_link)
    }

    fn reachable(&self, a: HostId, b: HostId, t: SimTime) -> bool {
        let up = |h: HostId| !self.down[usize::from(h.0)].iter().any(|w| w.contains(t));
        up(a) && up(b) && !self.link(a, b).is_down(t)
    }

    /// When bytes sent now from `a` reach `b`: latency plus seeded jitter,
    /// never before `after` (a stream does not reorder).
    pub(crate) fn arrival(&mut self, a: HostId, b: HostId, after: SimTime) -> SimTime {
        let link = self.link(a, b).clone();
        let jitter = if link.jitter.is_zero() {
            Duration::ZERO
        } else {
            let nanos = link.jitter.as_nanos() as u64;
            Duration::from_nanos(self.rngs[usize::from(a.0)].random_range(0..=nanos))
        };
        SimTime(self.now().0 + link.latency + jitter).max(after)
    }

    pub(crate) fn record(&mut self, kind: EventKind) {
        let now = self.now();
        let seq = self.trace.push(now, kind);
        if let Some(tap) = &self.tap {
            let event = self.trace.events()[seq as usize].clone();
            if tap.send(event).is_err() {
                // Nobody watches any more; stop copying.
                self.tap = None;
            }
        }
    }

    fn host_by_ip(&self, ip: IpAddr) -> Option<HostId> {
        self.trace
            .hosts
            .iter()
            .position(|h| h.ip == ip)
            .map(|i| HostId(i as u16))
    }
}

/// The network of one world. Create it inside the runtime that will run
/// the world: it reads that runtime's clock.
pub struct Network {
    pub(crate) state: RefCell<State>,
}

impl Network {
    /// `down[i]` are the windows when host `i` is off the network.
    pub fn new(
        hosts: Vec<HostInfo>,
        down: Vec<Vec<Window>>,
        default_link: Link,
        seed: u64,
    ) -> Rc<Network> {
        let n = hosts.len();
        let rngs = (0..n)
            .map(|i| Xoshiro256PlusPlus::seed_from_u64(seed ^ ((i as u64 + 1) << 32)))
            .collect();
        let mut down = down;
        down.resize(n, Vec::new());
        Rc::new(Network {
            state: RefCell::new(State {
                start: Instant::now(),
                trace: Trace::new(hosts),
                rngs,
                down,
                links: BTreeMap::new(),
                default_link,
                listeners: BTreeMap::new(),
                sockets: BTreeMap::new(),
                next_conn: 0,
                next_port: vec![49152; n],
                tap: None,
            }),
        })
    }

    /// Sends a copy of every event from now on to `tap`, as it happens.
    pub fn set_tap(&self, tap: std::sync::mpsc::Sender<crate::trace::Event>) {
        self.state.borrow_mut().tap = Some(tap);
    }

    /// The trace's header (hosts, links, zones) without its events.
    pub fn header(&self) -> Trace {
        let state = self.state.borrow();
        let mut header = Trace::new(state.trace.hosts.clone());
        header.links = state.trace.links.clone();
        header.zones = state.trace.zones.clone();
        header
    }

    /// Sets the link between two hosts (either order).
    pub fn set_link(&self, a: HostId, b: HostId, link: Link) {
        let key = if a <= b { (a, b) } else { (b, a) };
        let mut state = self.state.borrow_mut();
        state.trace.links.push(crate::trace::LinkInfo {
            a: key.0,
            b: key.1,
            latency: SimTime(link.latency),
            down: link.down.iter().map(|w| (w.from, w.until)).collect(),
        });
        state.links.insert(key, link);
    }

    /// Describes a zone of a DNS server in the trace, for the views.
    pub fn describe_zone(&self, zone: crate::trace::ZoneInfo) {
        self.state.borrow_mut().trace.zones.push(zone);
    }

    /// A handle through which `host` uses the network.
    pub fn handle(self: &Rc<Network>, host: HostId) -> NetHandle {
        NetHandle {
            net: Rc::clone(self),
            host,
        }
    }

    pub fn now(&self) -> SimTime {
        self.state.borrow().now()
    }

    /// The trace so far, taken out of the network (the run is over).
    pub fn take_trace(&self) -> Trace {
        let empty = self.header();
        std::mem::replace(&mut self.state.borrow_mut().trace, empty)
    }
}

/// One host's view of the network.
#[derive(Clone)]
pub struct NetHandle {
    pub(crate) net: Rc<Network>,
    pub(crate) host: HostId,
}

impl NetHandle {
    pub fn host(&self) -> HostId {
        self.host
    }

    pub fn ip(&self) -> IpAddr {
        self.net.state.borrow().trace.hosts[usize::from(self.host.0)].ip
    }

    pub fn now(&self) -> SimTime {
        self.net.now()
    }

    /// The same moment as a std `Instant`, for the sans-IO machines.
    pub fn instant(&self) -> std::time::Instant {
        Instant::now().into_std()
    }

    /// The tokio instant of a simulated time, for sleeping until it.
    pub fn instant_of(&self, t: SimTime) -> Instant {
        self.net.state.borrow().instant(t)
    }

    /// Appends a node fact to the trace at the current time.
    pub fn record(&self, kind: EventKind) {
        self.net.state.borrow_mut().record(kind);
    }

    /// Runs `f` with this host's seeded random number generator.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut Xoshiro256PlusPlus) -> T) -> T {
        let mut state = self.net.state.borrow_mut();
        f(&mut state.rngs[usize::from(self.host.0)])
    }

    /// Accepts connections on `port`.
    pub fn listen(&self, port: u16) -> Listener {
        let (tx, rx) = mpsc::unbounded_channel();
        self.net
            .state
            .borrow_mut()
            .listeners
            .insert((self.host, port), tx);
        Listener::new(self.clone(), rx)
    }

    /// Receives datagrams on `port`; port 0 picks an ephemeral one.
    pub fn bind(&self, port: u16) -> DatagramSocket {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = self.net.state.borrow_mut();
        let port = if port == 0 {
            take_port(&mut state, self.host)
        } else {
            port
        };
        state.sockets.insert((self.host, port), tx);
        DatagramSocket::new(self.clone(), port, rx)
    }

    /// Releases a datagram port.
    pub(crate) fn unbind(&self, port: u16) {
        self.net
            .state
            .borrow_mut()
            .sockets
            .remove(&(self.host, port));
    }

    /// Opens a stream to `ip:port`, as TCP would: refused at once when
    /// nothing listens, a timeout when the host or link is down.
    pub async fn connect(&self, ip: IpAddr, port: u16) -> Result<SimStream, ConnectError> {
        let (conn, target, outcome) = {
            let mut state = self.net.state.borrow_mut();
            let conn = ConnId(state.next_conn);
            state.next_conn += 1;
            let target = state.host_by_ip(ip);
            let now = state.now();
            if let Some(to) = target {
                let protocol = Protocol::from_port(port);
                state.record(EventKind::Connect {
                    conn,
                    from: self.host,
                    to,
                    port,
                    protocol,
                });
            }
            let outcome = match target {
                Some(to) if state.reachable(self.host, to, now) => state
                    .listeners
                    .get(&(to, port))
                    .cloned()
                    .ok_or(ConnectError::Refused),
                _ => Err(ConnectError::Unreachable),
            };
            (conn, target, outcome)
        };
        match (outcome, target) {
            (Ok(listener), Some(to)) => {
                let (client, server) = SimStream::pair(self, conn, to);
                let arrives = self
                    .net
                    .state
                    .borrow_mut()
                    .arrival(self.host, to, SimTime::ZERO);
                if listener.send(Pending::new(arrives, server)).is_err() {
                    return self.fail(conn, ConnectError::Refused, to).await;
                }
                // The handshake: one round trip before the client may send.
                let back = self.net.state.borrow_mut().arrival(to, self.host, arrives);
                tokio::time::sleep_until(self.instant_of(back)).await;
                Ok(client)
            }
            (Err(error), Some(to)) => self.fail(conn, error, to).await,
            (_, None) => {
                tokio::time::sleep(CONNECT_TIMEOUT).await;
                self.record(EventKind::NoRoute {
                    from: self.host,
                    ip,
                    port,
                });
                Err(ConnectError::Unreachable)
            }
        }
    }

    async fn fail(
        &self,
        conn: ConnId,
        error: ConnectError,
        to: HostId,
    ) -> Result<SimStream, ConnectError> {
        let wait = match error {
            ConnectError::Refused => {
                let mut state = self.net.state.borrow_mut();
                let there = state.arrival(self.host, to, SimTime::ZERO);
                state.arrival(to, self.host, there).0 - state.now().0
            }
            ConnectError::Unreachable => CONNECT_TIMEOUT,
        };
        tokio::time::sleep(wait).await;
        let kind = match error {
            ConnectError::Refused => EventKind::Refused { conn },
            ConnectError::Unreachable => EventKind::Unreachable { conn },
        };
        self.record(kind);
        Err(error)
    }

    /// Sends a datagram; it may be lost (link loss, host or link down, or
    /// nothing bound at the destination).
    pub(crate) fn send_datagram(&self, from_port: u16, ip: IpAddr, port: u16, data: &[u8]) {
        let mut state = self.net.state.borrow_mut();
        let Some(to) = state.host_by_ip(ip) else {
            return;
        };
        let now = state.now();
        let link = state.link(self.host, to).clone();
        let lost = link.loss > 0.0
            && state.rngs[usize::from(self.host.0)].random_bool(link.loss.clamp(0.0, 1.0));
        let arrives = (!lost && state.reachable(self.host, to, now))
            .then(|| state.arrival(self.host, to, SimTime::ZERO));
        let payload = crate::trace::Payload::new(data);
        state.record(EventKind::Datagram {
            from: self.host,
            from_port,
            to,
            to_port: port,
            arrives,
            data: payload.clone(),
        });
        if let (Some(arrives), Some(socket)) = (arrives, state.sockets.get(&(to, port))) {
            let from_ip = state.trace.hosts[usize::from(self.host.0)].ip;
            let datagram = Datagram {
                data: payload,
                from: (from_ip, from_port),
            };
            let _ = socket.send(Pending::new(arrives, datagram));
        }
    }
}

fn take_port(state: &mut State, host: HostId) -> u16 {
    let port = &mut state.next_port[usize::from(host.0)];
    let taken = *port;
    *port = port.checked_add(1).unwrap_or(49152);
    taken
}
