//! The shared medium of a simulated world. Hosts share nothing with each
//! other; they share this wire, as real machines share a network. Every
//! connect, byte and datagram is tapped into the trace here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::datagram::{Datagram, DatagramSocket};
use super::link::{Link, Window};
use super::pipe::{Pending, SimStream};
use super::socket::{Limits, Parts, RealStream, Slot, Writers};
use super::stream::{Listener, Stream};
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
    listeners: BTreeMap<(HostId, u16), mpsc::UnboundedSender<Pending<Stream>>>,
    /// Hosts that are real machines outside the world, and where.
    externals: BTreeMap<HostId, std::net::SocketAddr>,
    writers: Writers,
    /// Set when the world is going down (Ctrl-C under `mailflow serve`).
    stopping: tokio::sync::watch::Sender<bool>,
    sockets: BTreeMap<(HostId, u16), mpsc::UnboundedSender<Pending<Datagram>>>,
    next_conn: u32,
    next_port: Vec<u16>,
    /// A live copy of every event, for a dashboard or printer on another
    /// thread while the world runs (`mailflow serve`).
    tap: Option<SyncSender<crate::trace::Event>>,
    /// Events go to the tap, not into `trace`.
    streaming: bool,
    /// Events sent to the tap so far.
    streamed: u64,
    /// Drop events the tap has no room for, rather than wait.
    lossy: bool,
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
        let at = self.now();
        if !self.streaming {
            self.trace.push(at, kind);
            return;
        }
        // After the watcher has gone the events go nowhere: the world is
        // being taken down.
        let Some(tap) = &self.tap else {
            return;
        };
        // Streamed: the watcher keeps what it needs, the network nothing,
        // so a world that runs for days does not grow with its traffic.
        let event = crate::trace::Event {
            seq: self.streamed,
            at,
            kind,
        };
        self.streamed += 1;
        let gone = if self.lossy {
            // A printer too slow to keep up misses events (it sees the gap
            // in their numbers) rather than freeze every session.
            matches!(tap.try_send(event), Err(TrySendError::Disconnected(_)))
        } else {
            tap.send(event).is_err()
        };
        if gone {
            // Nobody watches any more.
            self.tap = None;
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
                externals: BTreeMap::new(),
                writers: Writers::default(),
                stopping: tokio::sync::watch::Sender::new(false),
                sockets: BTreeMap::new(),
                next_conn: 0,
                next_port: vec![49152; n],
                tap: None,
                streaming: false,
                streamed: 0,
                lossy: false,
            }),
        })
    }

    /// Sends every event from now on to `tap` as it happens, instead of
    /// keeping it: the trace is whatever the receiver keeps. Call it before
    /// the first event, so that sequence numbers start at 0. The channel
    /// is bounded, so memory is too. When it is full, a `lossy` stream
    /// drops the event (its number is skipped: the receiver can tell);
    /// otherwise the world waits for the receiver, and TCP holds back the
    /// real clients.
    pub fn stream_to(&self, tap: SyncSender<crate::trace::Event>, lossy: bool) {
        let mut state = self.state.borrow_mut();
        assert!(
            state.trace.is_empty(),
            "stream_to after events were recorded: they would never be sent"
        );
        state.streaming = true;
        state.lossy = lossy;
        state.tap = Some(tap);
    }

    /// The trace's header (hosts, links, zones) without its events.
    pub fn header(&self) -> Trace {
        let state = self.state.borrow();
        let mut header = Trace::new(state.trace.hosts.clone());
        header.links = state.trace.links.clone();
        header.zones = state.trace.zones.clone();
        header
    }

    /// Makes `host` a real machine at `addr`: connections to it leave the
    /// world over TCP.
    pub fn set_external(&self, host: HostId, addr: std::net::SocketAddr) {
        self.state.borrow_mut().externals.insert(host, addr);
    }

    /// Tells every session to end now, as a host going down does (RFC 5321
    /// §3.8: servers answer 421).
    pub fn stop(&self) {
        self.state.borrow().stopping.send_replace(true);
    }

    /// Real connections whose last bytes are still being written.
    pub fn writers(&self) -> Writers {
        self.state.borrow().writers.clone()
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

    /// Resolves once the world is told to stop.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + 'static {
        let mut rx = self.net.state.borrow().stopping.subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
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
    pub async fn connect(&self, ip: IpAddr, port: u16) -> Result<Stream, ConnectError> {
        let external = {
            let state = self.net.state.borrow();
            state
                .host_by_ip(ip)
                .and_then(|to| state.externals.get(&to).map(|addr| (to, *addr)))
        };
        if let Some((to, addr)) = external {
            return self.connect_real(to, port, addr).await;
        }
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
                    real: None,
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
                if listener
                    .send(Pending::new(arrives, Stream::Sim(server)))
                    .is_err()
                {
                    return self.fail(conn, ConnectError::Refused, to).await;
                }
                // The handshake: one round trip before the client may send.
                let back = self.net.state.borrow_mut().arrival(to, self.host, arrives);
                tokio::time::sleep_until(self.instant_of(back)).await;
                Ok(Stream::Sim(client))
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

    /// Connects to a real machine outside the world: port 25 of its host
    /// in the world is `addr` in the real one; other ports are closed.
    async fn connect_real(
        &self,
        to: HostId,
        port: u16,
        addr: std::net::SocketAddr,
    ) -> Result<Stream, ConnectError> {
        let conn = self.connect_from_here(to, port, addr);
        let tcp = if port == 25 {
            tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await
        } else {
            Ok(Err(std::io::ErrorKind::ConnectionRefused.into()))
        };
        let error = match tcp {
            Ok(Ok(tcp)) => {
                let parts = Parts {
                    conn,
                    dir: crate::trace::Dir::Up,
                    peer: to,
                    limits: None,
                    slot: None,
                    writers: self.net.writers(),
                };
                match RealStream::new(self.clone(), tcp, parts) {
                    Ok(stream) => {
                        self.record(EventKind::Accept { conn });
                        return Ok(Stream::Real(stream));
                    }
                    Err(_) => ConnectError::Unreachable,
                }
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                ConnectError::Refused
            }
            Ok(Err(_)) | Err(_) => ConnectError::Unreachable,
        };
        self.record(match error {
            ConnectError::Refused => EventKind::Refused { conn },
            ConnectError::Unreachable => EventKind::Unreachable { conn },
        });
        Err(error)
    }

    /// A real client outside the world connected to `to:port`: the server
    /// end of that connection, recorded as a connect from this host (the
    /// one that stands for the outside). Hand it on with `hand_over`.
    pub fn admit(
        &self,
        tcp: tokio::net::TcpStream,
        to: HostId,
        port: u16,
        limits: Option<Limits>,
        slot: Option<Slot>,
    ) -> std::io::Result<Stream> {
        let conn = self.connect_from_here(to, port, tcp.peer_addr()?);
        let parts = Parts {
            conn,
            dir: crate::trace::Dir::Down,
            peer: self.host,
            limits,
            slot,
            writers: self.net.writers(),
        };
        RealStream::new(self.net.handle(to), tcp, parts).map(Stream::Real)
    }

    /// Gives an admitted connection to whatever listens on `to:port`; it
    /// comes back when nothing does.
    pub fn hand_over(&self, stream: Stream, to: HostId, port: u16) -> Option<Stream> {
        let listener = self.net.state.borrow().listeners.get(&(to, port)).cloned();
        match listener {
            Some(listener) => listener
                .send(Pending::new(self.now(), stream))
                .err()
                .map(|e| e.0.into_item()),
            None => Some(stream),
        }
    }

    /// Numbers a real connection from this host to `to:port` and records
    /// its connect, with the real address at the far end.
    fn connect_from_here(&self, to: HostId, port: u16, real: std::net::SocketAddr) -> ConnId {
        let mut state = self.net.state.borrow_mut();
        let conn = ConnId(state.next_conn);
        state.next_conn += 1;
        state.record(EventKind::Connect {
            conn,
            from: self.host,
            to,
            port,
            protocol: Protocol::from_port(port),
            real: Some(real),
        });
        conn
    }

    async fn fail(
        &self,
        conn: ConnId,
        error: ConnectError,
        to: HostId,
    ) -> Result<Stream, ConnectError> {
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
