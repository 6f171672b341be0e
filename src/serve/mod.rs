//! `mailflow serve`: the world runs on the wall clock while real programs
//! join it. One node's SMTP and POP3 listeners are exposed on real TCP
//! sockets, a submission MTA's ports 587 and 465 with TLS and AUTH, and
//! the scenario's DNS server on real UDP and TCP; everything a real
//! client says is traced like a simulated session, and the mail it
//! hands over travels on inside the world.
//!
//! * `expose`: real SMTP and POP3 connections handed to the node
//! * `tls`: the world's CA certificate, written for real clients
//! * `dns`: real DNS queries answered from the scenario's zones
//! * `fds`: enough file descriptors for `--max-connections`
//! * `feed`: the headless printer's events, bounded in octets
//! * `node`: which node to expose when none is named
//! * `record`: `--record FILE`, written as it happens and continued on a
//!   restart
//!
//! The world runs on a thread of its own (its tasks share `Rc`s); the
//! caller gets a copy of every event through a channel, for the dashboard
//! (bounded in events: it keeps them all anyway) or for the live
//! transcript (bounded in octets: it keeps none).

mod dns;
mod expose;
mod fds;
pub mod feed;
mod node;
mod record;
mod tls;

use std::cell::Cell;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use tokio::sync::Notify;

use thiserror::Error;

use crate::dns::Authority;
use crate::net::{Limits, Tap};
use crate::plan::{Plan, PlanHost};
use crate::sim::Sitting;
use crate::trace::{Event, HostId, Role, Trace};

/// How long open sessions get to say goodbye after a stop.
const GRACE: Duration = Duration::from_secs(2);

/// What to expose, and the limits real clients get.
#[derive(Debug, Clone)]
pub struct Options {
    pub smtp: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub dns: Option<SocketAddr>,
    /// Submission with STARTTLS and AUTH (the MTA's port 587, RFC 6409).
    pub submission: Option<SocketAddr>,
    /// Submission over implicit TLS (the MTA's port 465, RFC 8314).
    pub smtps: Option<SocketAddr>,
    /// Where to write the world's CA certificate (PEM) when TLS is served.
    pub ca_file: PathBuf,
    /// The MTA to expose, by name; `None` picks the MX of the first
    /// recipient's domain.
    pub node: Option<String>,
    /// Allow addresses other than loopback.
    pub public: bool,
    pub max_connections: usize,
    pub limits: Limits,
    /// Who watches, and how much may be on its way to them.
    pub watcher: Watcher,
    /// Write the trace to this file as it happens; go on with it when it
    /// holds an earlier sitting of this world.
    pub record: Option<PathBuf>,
}

/// Who watches the world, and how its events reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watcher {
    /// The dashboard keeps every event (its copy is the trace): room for
    /// `events` on the way, so that it never slows the world between two
    /// looks at the channel; past it the world waits.
    Dashboard { events: usize },
    /// The headless printer keeps none: at most `octets` on the way,
    /// payloads counted. Past it the world waits, and drops events only
    /// while stdout is blocked (see `feed`).
    Printer { octets: usize },
}

/// How long the printer must be stuck in one write to stdout before the
/// world stops waiting for it and drops what it cannot hold: long past a
/// reader that merely takes a moment.
pub const STALL: Duration = Duration::from_millis(250);

/// Events on their way from the world to the `--record` writer (which
/// passes them on to the printer): every one reaches the file, so the
/// world waits when they are all taken.
const RECORD_ROOM: usize = 4096;

/// What the caller reads the world's events from.
pub enum Watching {
    Dashboard(mpsc::Receiver<Event>),
    Printer(feed::Feed),
}

/// Why the world could not be served.
#[derive(Debug, Error)]
pub enum ServeError {
    #[error(
        "{service} would listen on {addr}, which other machines can reach; mailflow serve listens on loopback only (127.0.0.1 or ::1) unless you add --public"
    )]
    NotLoopback {
        service: &'static str,
        addr: SocketAddr,
    },
    #[error("cannot listen for {service} on {addr}: {source}{hint}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
        hint: &'static str,
    },
    #[error("{0}")]
    Node(String),
    #[error("the scenario has no MTA to expose")]
    NoMta,
    #[error("--dns needs a DNS server in the scenario, and it has none")]
    NoDns,
    #[error("--submission and --smtps: {0}")]
    Submission(String),
    #[error("cannot write the CA certificate to {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the world stopped before it started: {0}")]
    World(String),
    #[error("{0}")]
    Record(String),
}

/// One real socket and what it leads to inside the world.
#[derive(Debug, Clone)]
pub struct Exposed {
    /// `smtp`, `submission`, `smtps`, `pop3` or `dns`.
    pub service: &'static str,
    /// Where it really listens (the port is known even when 0 was asked).
    pub addr: SocketAddr,
    /// The host inside the world.
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for Exposed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {} port {}",
            self.service, self.addr, self.host, self.port
        )?;
        if self.service == "dns" {
            write!(f, " (udp and tcp)")?;
        }
        Ok(())
    }
}

/// A world being served.
pub struct Serving {
    /// Hosts, links and zones: what the events refer to; with the events
    /// of earlier sittings when a recording goes on (the feed numbers its
    /// events after them).
    pub header: Trace,
    /// Every event, as it happens (the printer's may skip some: see
    /// `feed`); disconnected once the world is gone.
    pub feed: Watching,
    pub exposed: Vec<Exposed>,
    /// A mailbox of the exposed node, for the hints a newcomer sees.
    pub mailbox: Option<String>,
    /// Where the world's CA certificate was written, when real clients
    /// may speak TLS with it.
    pub ca_file: Option<PathBuf>,
    /// Who may log in on the submission ports: address and password.
    pub accounts: Vec<(String, String)>,
    /// What `--record` has to say: the file, what goes on from it.
    pub notes: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread writing the recording.
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Serving {
    /// Asks the world to stop: open sessions get 421 (or -ERR), real
    /// sockets are flushed and closed. Ctrl-C and SIGTERM do the same.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the world's thread to end; an error says why it failed
    /// (a panic's message).
    pub fn join(mut self) -> Result<(), String> {
        let world = self.thread.take().map_or(Ok(()), joined);
        // The world is gone: the writer ends the file and ends too.
        let writer = self.writer.take().map_or(Ok(()), joined);
        world.and(writer)
    }
}

fn joined(thread: std::thread::JoinHandle<()>) -> Result<(), String> {
    thread.join().map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "it panicked".to_owned())
    })
}

/// The host that stands for every real client in the trace.
pub const OUTSIDE: &str = "outside";

/// Binds the sockets, starts the world on its own thread and returns at
/// once. Nothing listens anywhere if an error is returned.
pub fn start(mut plan: Plan, options: &Options) -> Result<Serving, ServeError> {
    let node = match &options.node {
        Some(name) => node::named(&plan, name).map_err(ServeError::Node)?,
        None => node::default(&plan).ok_or(ServeError::NoMta)?,
    };
    let submission = if options.submission.is_some() || options.smtps.is_some() {
        let named = options.node.as_ref().map(|_| node);
        Some(node::submission(&plan, named).map_err(ServeError::Submission)?)
    } else {
        None
    };
    let dns_index = match options.dns {
        Some(_) => Some(node::dns_server(&plan, node).ok_or(ServeError::NoDns)?),
        None => None,
    };
    // POP3 only where there are mailboxes to read.
    let has_mailboxes = plan
        .mtas
        .iter()
        .any(|m| m.host == node && !m.mailboxes.is_empty());
    let mut options = options.clone();
    options.pop3 = options.pop3.filter(|_| has_mailboxes);
    let sockets = Sockets::bind(&options)?;
    let outside = add_outside(&mut plan)?;
    let mut exposed = Vec::new();
    let name = |id: HostId| plan.host(id).name.clone();
    if let Some(l) = &sockets.smtp {
        exposed.push(Exposed {
            service: "smtp",
            addr: local_addr(l),
            host: name(node),
            port: 25,
        });
    }
    for (service, l, port) in [
        ("submission", &sockets.submission, 587),
        ("smtps", &sockets.smtps, 465),
    ] {
        if let (Some(l), Some(host)) = (l, submission) {
            exposed.push(Exposed {
                service,
                addr: local_addr(l),
                host: name(host),
                port,
            });
        }
    }
    if let Some(l) = &sockets.pop3 {
        exposed.push(Exposed {
            service: "pop3",
            addr: local_addr(l),
            host: name(node),
            port: 110,
        });
    }
    if let (Some((udp, _)), Some(d)) = (&sockets.dns, dns_index) {
        exposed.push(Exposed {
            service: "dns",
            addr: udp.local_addr().unwrap_or_else(|_| unspecified()),
            host: name(plan.dns[d].host),
            port: 53,
        });
    }
    let mailbox = plan.mtas.iter().find(|m| m.host == node).and_then(|m| {
        let mut boxes = m.mailboxes.keys();
        boxes
            .clone()
            .find(|a| !a.starts_with("postmaster@"))
            .or_else(|| boxes.next())
            .cloned()
    });
    let accounts = submission.map_or_else(Vec::new, |h| node::accounts(&plan, h));
    let (feed_tx, feed, lossy, room): (Box<dyn Tap + Send>, _, _, _) = match options.watcher {
        Watcher::Dashboard { events } => {
            let (tx, rx) = mpsc::sync_channel(events.max(1));
            (Box::new(tx), Watching::Dashboard(rx), false, events)
        }
        Watcher::Printer { octets } => {
            let (tx, rx) = feed::feed(octets, STALL);
            (Box::new(tx), Watching::Printer(rx), true, RECORD_ROOM)
        }
    };
    let failed = Arc::new(Notify::new());
    let (tap, sitting, durable, writer, history, notes): (Box<dyn Tap + Send>, _, _, _, _, _) =
        match &options.record {
            None => (feed_tx, Sitting::first(), None, None, None, Vec::new()),
            Some(path) => {
                let opened = record::open(path, &plan)?;
                let first = opened.sitting.carried.as_ref().map_or(0, |c| c.events);
                let (durable_tx, durable_rx) = tokio::sync::watch::channel(crate::net::OnDisk {
                    written: first,
                    synced: first,
                });
                let syncer = opened.appender.syncer().map_err(|e| {
                    ServeError::Record(format!("cannot sync {}: {e}", path.display()))
                })?;
                // Every event reaches the writer; it drops for the watcher.
                let (tap, events) = mpsc::sync_channel(room.max(1));
                let writer = record::Writer {
                    appender: opened.appender,
                    syncer,
                    path: path.clone(),
                    events,
                    feed: feed_tx,
                    lossy,
                    durable: durable_tx,
                    failed: Arc::clone(&failed),
                };
                let writer = std::thread::Builder::new()
                    .name("mailflow-record".into())
                    .spawn(move || writer.run())
                    .map_err(|e| ServeError::World(e.to_string()))?;
                (
                    Box::new(tap),
                    opened.sitting,
                    Some(durable_rx),
                    Some(writer),
                    opened.history,
                    opened.notes,
                )
            }
        };
    let (header_tx, header_rx) = mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let world = World {
        plan,
        node,
        submission,
        outside,
        dns: dns_index,
        sockets,
        max_connections: {
            let fits = fds::fit(options.max_connections);
            if fits < options.max_connections {
                eprintln!(
                    "mailflow serve: the open-file limit allows {fits} connections at once, not {} (raise `ulimit -Hn`)",
                    options.max_connections
                );
            }
            fits
        },
        limits: options.limits.clone(),
        lossy: lossy && durable.is_none(),
        sitting,
        durable,
        failed,
    };
    let thread = std::thread::Builder::new()
        .name("mailflow-world".into())
        .spawn(move || world.run(tap, header_tx, stopped))
        .map_err(|e| ServeError::World(e.to_string()))?;
    let (header, ca_pem) = header_rx
        .recv()
        .map_err(|_| ServeError::World("its thread ended".into()))?;
    let ca_file = match ca_pem {
        Some(pem) if exposed.iter().any(|e| e.port != 53 && e.port != 110) => {
            Some(tls::write_ca(&options.ca_file, &pem)?)
        }
        _ => None,
    };
    Ok(Serving {
        header: history.unwrap_or(header),
        feed,
        exposed,
        mailbox,
        ca_file,
        accounts,
        notes,
        stop: Some(stop),
        thread: Some(thread),
        writer,
    })
}

fn local_addr(listener: &std::net::TcpListener) -> SocketAddr {
    listener.local_addr().unwrap_or_else(|_| unspecified())
}

fn unspecified() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

/// Adds the host that stands for real clients, at a documentation address
/// no scenario host uses.
fn add_outside(plan: &mut Plan) -> Result<HostId, ServeError> {
    let used: Vec<IpAddr> = plan.hosts.iter().map(|h| h.ip).collect();
    let ip = (1..=254u8)
        .rev()
        .map(|d| IpAddr::from([203, 0, 113, d]))
        .find(|ip| !used.contains(ip))
        .unwrap_or(IpAddr::from([203, 0, 113, 254]));
    plan.add_host(PlanHost {
        name: OUTSIDE.into(),
        ip,
        role: Role::External,
        down: Vec::new(),
        resolver: None,
        label: None,
    })
    .ok_or_else(|| ServeError::World("no host id is left for the outside".into()))
}

/// The real sockets, bound on the caller's thread so that errors come
/// back before anything runs.
struct Sockets {
    smtp: Option<std::net::TcpListener>,
    submission: Option<std::net::TcpListener>,
    smtps: Option<std::net::TcpListener>,
    pop3: Option<std::net::TcpListener>,
    dns: Option<(std::net::UdpSocket, std::net::TcpListener)>,
}

impl Sockets {
    fn bind(options: &Options) -> Result<Sockets, ServeError> {
        for (service, addr) in [
            ("smtp", options.smtp),
            ("submission", options.submission),
            ("smtps", options.smtps),
            ("pop3", options.pop3),
            ("dns", options.dns),
        ] {
            if let Some(addr) = addr
                && !options.public
                && !addr.ip().is_loopback()
            {
                return Err(ServeError::NotLoopback { service, addr });
            }
        }
        let tcp = |service, addr| {
            let listener =
                std::net::TcpListener::bind(addr).map_err(|e| bind_error(service, addr, e))?;
            listener
                .set_nonblocking(true)
                .map_err(|e| bind_error(service, addr, e))?;
            Ok(listener)
        };
        let smtp = options.smtp.map(|a| tcp("smtp", a)).transpose()?;
        let submission = options
            .submission
            .map(|a| tcp("submission", a))
            .transpose()?;
        let smtps = options.smtps.map(|a| tcp("smtps", a)).transpose()?;
        let pop3 = options.pop3.map(|a| tcp("pop3", a)).transpose()?;
        let dns = options.dns.map(|addr| dns_pair(addr, tcp)).transpose()?;
        Ok(Sockets {
            smtp,
            submission,
            smtps,
            pop3,
            dns,
        })
    }
}

/// DNS over UDP and over TCP on the same port (RFC 7766). With port 0 the
/// system picks a free UDP port, whose TCP twin may be taken by another
/// program: then pick again rather than fail.
fn dns_pair(
    addr: SocketAddr,
    tcp: impl Fn(&'static str, SocketAddr) -> Result<std::net::TcpListener, ServeError>,
) -> Result<(std::net::UdpSocket, std::net::TcpListener), ServeError> {
    let mut tries = 0;
    loop {
        let udp = std::net::UdpSocket::bind(addr).map_err(|e| bind_error("dns", addr, e))?;
        udp.set_nonblocking(true)
            .map_err(|e| bind_error("dns", addr, e))?;
        let port = udp.local_addr().map_or(addr.port(), |a| a.port());
        match tcp("dns", SocketAddr::new(addr.ip(), port)) {
            Ok(listener) => return Ok((udp, listener)),
            Err(ServeError::Bind { source, .. })
                if addr.port() == 0
                    && source.kind() == std::io::ErrorKind::AddrInUse
                    && tries < 16 =>
            {
                tries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn bind_error(service: &'static str, addr: SocketAddr, source: std::io::Error) -> ServeError {
    let hint = match source.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (another program, or another mailflow serve, uses that port: pick another, or port 0 for any free one)"
        }
        std::io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need root: pick one above, e.g. 2525)"
        }
        _ => "",
    };
    ServeError::Bind {
        service,
        addr,
        source,
        hint,
    }
}

/// Everything the world's thread takes with it.
struct World {
    plan: Plan,
    node: HostId,
    /// The MTA of the submission ports, when they are exposed.
    submission: Option<HostId>,
    outside: HostId,
    dns: Option<usize>,
    sockets: Sockets,
    max_connections: usize,
    limits: Limits,
    lossy: bool,
    /// Where its clock stands, and what earlier sittings left.
    sitting: Sitting,
    /// Under `--record`: how many events are in the file.
    durable: Option<crate::net::Durable>,
    /// Told when the recording cannot be written.
    failed: Arc<Notify>,
}

impl World {
    fn run(
        self,
        tx: Box<dyn Tap + Send>,
        header_tx: mpsc::Sender<(Trace, Option<String>)>,
        stopped: tokio::sync::oneshot::Receiver<()>,
    ) {
        let runtime = crate::sim::runtime(false);
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            // Real clients read the Date and Received stamps of today (not
            // of the lesson's made-up morning), and keep unique-ids across
            // restarts: the wall clock gives both.
            let tls = self.submission.is_some();
            let built = crate::sim::build_live(&self.plan, &self.sitting, tls);
            let network = built.network;
            let ca_pem = built.tls.as_ref().map(|t| t.ca_pem().to_owned());
            let first = self.sitting.carried.as_ref().map_or(0, |c| c.events);
            network.stream_to(tx, self.lossy, first, self.durable);
            // Before `start` returns (it waits for the header): a SIGTERM
            // right after the listening line must stop the world cleanly,
            // not kill the process with the default action.
            let signals = Signals::install();
            let _ = header_tx.send((network.header(), ca_pem));
            let outside = network.handle(self.outside);
            let open = Rc::new(Cell::new(0));
            let hostname = self.plan.host(self.node).name.clone();
            let gate = expose::Gate {
                outside: outside.clone(),
                node: self.node,
                hostname,
                limits: self.limits.clone(),
                open: Rc::clone(&open),
                max: self.max_connections,
            };
            let smtp = self.sockets.smtp.map(|l| (l, 25));
            let pop3 = self.sockets.pop3.map(|l| (l, 110));
            let submitter = self.submission.unwrap_or(self.node);
            let submitting = expose::Gate {
                node: submitter,
                hostname: self.plan.host(submitter).name.clone(),
                ..gate.clone()
            };
            let submission = self.sockets.submission.map(|l| (l, 587));
            let smtps = self.sockets.smtps.map(|l| (l, 465));
            let listeners = smtp.into_iter().chain(pop3).map(|l| (l, &gate)).chain(
                submission
                    .into_iter()
                    .chain(smtps)
                    .map(|l| (l, &submitting)),
            );
            for ((listener, port), gate) in listeners {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        tokio::task::spawn_local(expose::accept(gate.clone(), listener, port));
                    }
                    Err(e) => eprintln!("mailflow serve: cannot use a socket: {e}"),
                }
            }
            if let (Some((udp, tcp)), Some(d)) = (self.sockets.dns, self.dns) {
                let server = self.plan.dns[d].host;
                let authority = Rc::new(Authority::new(self.plan.dns[d].zones.clone()));
                let desk = dns::Desk {
                    outside: outside.clone(),
                    server,
                    authority,
                };
                match (
                    tokio::net::UdpSocket::from_std(udp),
                    tokio::net::TcpListener::from_std(tcp),
                ) {
                    (Ok(udp), Ok(tcp)) => {
                        tokio::task::spawn_local(dns::udp(desk.clone(), udp));
                        tokio::task::spawn_local(dns::tcp(desk, tcp, gate.clone()));
                    }
                    _ => eprintln!("mailflow serve: cannot use the DNS sockets"),
                }
            }
            wait_for_stop(stopped, &self.failed, signals).await;
            // Sessions answer 421 (or -ERR) and close; give their last
            // bytes a moment to leave.
            network.stop();
            let writers = network.writers();
            let deadline = tokio::time::Instant::now() + GRACE;
            tokio::task::yield_now().await;
            while (writers.open() > 0 || open.get() > 0) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
    }
}

/// Ctrl-C and SIGTERM, registered with the runtime at once (tokio's
/// `ctrl_c()` would register only when first polled).
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn received(self) {
        #[cfg(unix)]
        {
            async fn one(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = one(self.interrupt) => {}
                () = one(self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Until the caller asks, or Ctrl-C, or SIGTERM.
async fn wait_for_stop(
    stopped: tokio::sync::oneshot::Receiver<()>,
    failed: &Notify,
    signals: Signals,
) {
    tokio::select! {
        _ = stopped => {}
        () = failed.notified() => {}
        () = signals.received() => {}
    }
}
