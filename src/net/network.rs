//! The network of one world: the registry of who listens and is bound
//! where, and the only place that knows every transport. A connect picks
//! a pipe to a simulated host or a real socket to an external machine;
//! what crosses either is tapped into the trace by the shared medium.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use rand::rngs::Xoshiro256PlusPlus;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::datagram::{DatagramSocket, Ports};
use super::delay::Pending;
use super::link::{Link, Window};
use super::medium::{Durable, Medium};
use super::pipe::SimStream;
use super::socket::{Limits, Parts, RealStream, Slot, Writers};
use super::stop::Stop;
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

/// What the network keeps apart from the medium: who listens and is
/// bound where, which hosts are real machines, and the numbers it hands out.
struct Registry {
    listeners: BTreeMap<(HostId, u16), mpsc::UnboundedSender<Pending<Stream>>>,
    ports: Ports,
    /// Hosts that are real machines outside the world, and where.
    externals: BTreeMap<HostId, std::net::SocketAddr>,
    writers: Writers,
    /// Set when the world is going down (Ctrl-C under `mailflow serve`).
    stopping: Rc<Stop>,
    next_conn: u32,
    next_port: Vec<u16>,
}

impl Registry {
    fn conn_id(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        conn
    }

    /// The next ephemeral port of `host`.
    fn take_port(&mut self, host: HostId) -> u16 {
        let port = &mut self.next_port[usize::from(host.0)];
        let taken = *port;
        *port = port.checked_add(1).unwrap_or(49152);
        taken
    }
}

/// The network of one world. Create it inside the runtime that will run
/// the world: it reads that runtime's clock.
pub struct Network {
    medium: Rc<Medium>,
    registry: RefCell<Registry>,
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
        Rc::new(Network {
            medium: Rc::new(Medium::new(hosts, down, default_link, seed)),
            registry: RefCell::new(Registry {
                listeners: BTreeMap::new(),
                ports: Ports::default(),
                externals: BTreeMap::new(),
                writers: Writers::default(),
                stopping: Rc::default(),
                next_conn: 0,
                next_port: vec![49152; n],
            }),
        })
    }

    /// Sends every event from now on to `tap` as it happens, instead of
    /// keeping it: the trace is whatever the receiver keeps. Call it before
    /// the first event, so that sequence numbers start at `first` (0, or
    /// the events of the recording a live world goes on from). The channel
    /// is bounded, so memory is too. When it is full, a `lossy` stream
    /// may drop the event (its number is skipped: the receiver can tell;
    /// see the tap for when); otherwise the world waits for the receiver, and TCP holds back the
    /// real clients. With `durable`, bytes to a real peer leave only once
    /// `durable` counts every event before them (they are on disk).
    pub fn stream_to(
        &self,
        tap: impl super::Tap + 'static,
        lossy: bool,
        first: u64,
        durable: Option<Durable>,
    ) {
        self.medium.stream_to(tap, lossy, first, durable);
    }

    /// Goes on from a recording: the clock reads `at` now, and the next
    /// connection is numbered `conns`, after every one it holds.
    pub fn go_on(&self, at: SimTime, conns: u32) {
        self.medium.set_origin(at);
        let mut registry = self.registry.borrow_mut();
        registry.next_conn = registry.next_conn.max(conns);
    }

    /// The trace's header (hosts, links, zones) without its events.
    pub fn header(&self) -> Trace {
        self.medium.header()
    }

    /// Makes `host` a real machine at `addr`: connections to it leave the
    /// world over TCP.
    pub fn set_external(&self, host: HostId, addr: std::net::SocketAddr) {
        self.registry.borrow_mut().externals.insert(host, addr);
    }

    /// Tells every session to end now, as a host going down does (RFC 5321
    /// §3.8: servers answer 421).
    pub fn stop(&self) {
        let stopping = Rc::clone(&self.registry.borrow().stopping);
        stopping.stop();
    }

    /// Real connections whose last bytes are still being written.
    pub fn writers(&self) -> Writers {
        self.registry.borrow().writers.clone()
    }

    /// Sets the link between two hosts (either order).
    pub fn set_link(&self, a: HostId, b: HostId, link: Link) {
        self.medium.set_link(a, b, link);
    }

    /// Describes a zone of a DNS server in the trace, for the views.
    pub fn describe_zone(&self, zone: crate::trace::ZoneInfo) {
        self.medium.describe_zone(zone);
    }

    /// A handle through which `host` uses the network.
    pub fn handle(self: &Rc<Network>, host: HostId) -> NetHandle {
        NetHandle {
            net: Rc::clone(self),
            host,
        }
    }

    pub fn now(&self) -> SimTime {
        self.medium.now()
    }

    /// Reads the clock once per turn of the runtime from now on (see
    /// `net::clock`): only for a world run by `sim::runtime(true)`.
    pub fn read_clock_per_turn(&self) {
        self.medium.read_clock_per_turn();
    }

    /// The trace so far, taken out of the network (the run is over).
    pub fn take_trace(&self) -> Trace {
        self.medium.take_trace()
    }
}

/// One host's view of the network.
#[derive(Clone)]
pub struct NetHandle {
    net: Rc<Network>,
    host: HostId,
}

impl NetHandle {
    pub fn host(&self) -> HostId {
        self.host
    }

    fn medium(&self) -> &Rc<Medium> {
        &self.net.medium
    }

    pub fn ip(&self) -> IpAddr {
        self.medium().ip_of(self.host)
    }

    pub fn now(&self) -> SimTime {
        self.medium().now()
    }

    /// The same moment as a std `Instant`, for the sans-IO machines.
    pub fn instant(&self) -> std::time::Instant {
        self.medium().clock_now().into_std()
    }

    /// The tokio instant of a simulated time, for sleeping until it.
    pub fn instant_of(&self, t: SimTime) -> Instant {
        self.medium().instant(t)
    }

    /// Resolves once the world is told to stop.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + 'static {
        self.net.registry.borrow().stopping.wait()
    }

    /// Appends a node fact to the trace at the current time.
    pub fn record(&self, kind: EventKind) {
        self.medium().record(kind);
    }

    /// Runs `f` with this host's seeded random number generator.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut Xoshiro256PlusPlus) -> T) -> T {
        self.medium().with_rng(self.host, f)
    }

    /// Accepts connections on `port`.
    pub fn listen(&self, port: u16) -> Listener {
        let (tx, rx) = mpsc::unbounded_channel();
        self.net
            .registry
            .borrow_mut()
            .listeners
            .insert((self.host, port), tx);
        Listener::new(Rc::clone(self.medium()), rx)
    }

    /// Receives datagrams on `port`; port 0 picks an ephemeral one.
    pub fn bind(&self, port: u16) -> DatagramSocket {
        let (ports, port) = {
            let mut registry = self.net.registry.borrow_mut();
            let port = if port == 0 {
                registry.take_port(self.host)
            } else {
                port
            };
            (registry.ports.clone(), port)
        };
        DatagramSocket::new(Rc::clone(self.medium()), ports, self.host, port)
    }

    /// Opens a stream to `ip:port`, as TCP would: refused at once when
    /// nothing listens, a timeout when the host or link is down.
    pub async fn connect(&self, ip: IpAddr, port: u16) -> Result<Stream, ConnectError> {
        let medium = self.medium();
        let target = medium.host_by_ip(ip);
        let external = target.and_then(|to| {
            let registry = self.net.registry.borrow();
            registry.externals.get(&to).map(|addr| (to, *addr))
        });
        if let Some((to, addr)) = external {
            return self.connect_real(to, port, addr).await;
        }
        let conn = self.net.registry.borrow_mut().conn_id();
        let now = medium.now();
        if let Some(to) = target {
            medium.record(EventKind::Connect {
                conn,
                from: self.host,
                to,
                port,
                protocol: Protocol::from_port(port),
                real: None,
            });
        }
        let outcome = match target {
            Some(to) if medium.reachable(self.host, to, now) => self
                .net
                .registry
                .borrow()
                .listeners
                .get(&(to, port))
                .cloned()
                .ok_or(ConnectError::Refused),
            _ => Err(ConnectError::Unreachable),
        };
        match (outcome, target) {
            (Ok(listener), Some(to)) => {
                if let Some(stall) = medium.stall(self.host, to) {
                    medium.record(EventKind::Stalled {
                        from: self.host,
                        to,
                        conn: Some(conn),
                        until: stall.until,
                    });
                }
                let (client, server) = SimStream::pair(medium, conn, self.host, to);
                let arrives = medium.arrival(self.host, to, SimTime::ZERO);
                if listener
                    .send(Pending::new(arrives, Stream::Sim(server)))
                    .is_err()
                {
                    return self.fail(conn, ConnectError::Refused, to).await;
                }
                // The handshake: one round trip before the client may send.
                let back = medium.arrival(to, self.host, arrives);
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
                    peer_addr: addr,
                };
                let stream = RealStream::new(Rc::clone(self.medium()), tcp, parts);
                self.record(EventKind::Accept { conn });
                return Ok(Stream::Real(stream));
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

    /// A real client outside the world, at `peer_addr` (as `accept` gave
    /// it: no `getpeername` per connection), connected to `to:port`: the
    /// server end of that connection, recorded as a connect from this
    /// host (the one that stands for the outside). Hand it on with
    /// `hand_over`.
    pub fn admit(
        &self,
        (tcp, peer_addr): (tokio::net::TcpStream, std::net::SocketAddr),
        to: HostId,
        port: u16,
        limits: Option<Limits>,
        slot: Option<Slot>,
    ) -> Stream {
        let conn = self.connect_from_here(to, port, peer_addr);
        let parts = Parts {
            conn,
            dir: crate::trace::Dir::Down,
            peer: self.host,
            limits,
            slot,
            writers: self.net.writers(),
            peer_addr,
        };
        Stream::Real(RealStream::new(Rc::clone(self.medium()), tcp, parts))
    }

    /// Gives an admitted connection to whatever listens on `to:port`; it
    /// comes back when nothing does.
    pub fn hand_over(&self, stream: Stream, to: HostId, port: u16) -> Option<Stream> {
        let listener = self
            .net
            .registry
            .borrow()
            .listeners
            .get(&(to, port))
            .cloned();
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
        let conn = self.net.registry.borrow_mut().conn_id();
        self.record(EventKind::Connect {
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
                let medium = self.medium();
                let there = medium.arrival(self.host, to, SimTime::ZERO);
                medium.arrival(to, self.host, there).duration() - medium.now().duration()
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
}
