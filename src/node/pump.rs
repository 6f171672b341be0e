//! The driver: read bytes from a stream, feed the sans-IO machine, write
//! what it says, and hand it the time when its deadline passes. One loop
//! serves every [`Session`] (SMTP and POP3, server and client), over
//! simulated pipes and real sockets alike.

use std::sync::Arc;

use rand::Rng as _;
use tokio::time::Instant;

use crate::net::{NetHandle, Stream};
use crate::node::epoch::Epoch;
use crate::session::{Session, SessionLimits, Settle};
use crate::tls::Layer;
use crate::tls::seeded::Source;

/// What a driver needs to run TLS when its machine asks for it (SMTP's
/// STARTTLS): this end's rustls configuration, and the world's clock for
/// certificate validity.
#[derive(Clone)]
pub struct TlsSetup {
    pub role: TlsRole,
    pub epoch: Epoch,
}

/// Which end of the handshake this is.
#[derive(Clone)]
pub enum TlsRole {
    /// `logged` is `config` with a key log, for real clients, whose
    /// secrets only this end can log.
    Server {
        config: Arc<rustls::ServerConfig>,
        logged: Arc<rustls::ServerConfig>,
    },
    /// `server_name` is the host dialled, checked against its certificate.
    Client {
        config: Arc<rustls::ClientConfig>,
        server_name: String,
    },
}

impl TlsSetup {
    /// This end's TLS on connection `conn`, its randomness drawn from the
    /// world's generator; `real` when the peer is a real machine.
    fn start(&self, net: &NetHandle, conn: u64, real: bool) -> Result<Layer, rustls::Error> {
        let seed = net.with_rng(|rng| rng.next_u64());
        let mut layer = match &self.role {
            TlsRole::Server { config, logged } => {
                let config = if real { logged } else { config };
                Layer::server(config.clone(), Source::new(seed, conn, "server"))?
            }
            TlsRole::Client {
                config,
                server_name,
            } => Layer::client(
                config.clone(),
                server_name,
                Source::new(seed, conn, "client"),
            )?,
        };
        layer.set_now(self.epoch.system_time(net.now()));
        Ok(layer)
    }
}

/// Drives a client `machine` over `stream` until it closes; returns its
/// events.
pub async fn drive<M: Session>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    tls: Option<&TlsSetup>,
) -> Vec<M::Event> {
    let mut events = Vec::new();
    drive_server(net, stream, machine, &mut (), tls, |e| events.push(e)).await;
    events
}

/// Drives a client `machine`, handing each event to `on_event` as it
/// happens (so a fact recorded there gets the time it happened at).
pub async fn drive_with<M: Session>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    tls: Option<&TlsSetup>,
    on_event: impl FnMut(M::Event),
) {
    drive_server(net, stream, machine, &mut (), tls, on_event).await;
}

/// Drives `machine` until it closes, with `host` (an SMTP policy, a POP3
/// maildrop) to answer its questions; each event goes to `on_event` as it
/// happens. When the machine asks for TLS, `tls` says how; the machine
/// then reads and writes plaintext while the wire carries records.
pub async fn drive_server<H: Settle, M: Session<H>>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    host: &mut H,
    tls: Option<&TlsSetup>,
    mut on_event: impl FnMut(M::Event),
) {
    let mut stopping = std::pin::pin!(net.stopping());
    let mut stopped = false;
    let mut layer: Option<Layer> = None;
    // A real peer's records not yet whole (see `read_real`).
    let mut cut = Vec::new();
    // The handshake failed: the alert is sent, nothing more is.
    let mut broken = false;
    // One timer for the machine's deadline, moved only when the deadline
    // moves: a new one per turn of the loop was a timer registered and
    // removed for every line (see benches/README.md, engine4).
    let mut timer = std::pin::pin!(tokio::time::sleep_until(far_future()));
    let mut armed: Option<Instant> = None;
    let mut polled = false;
    loop {
        // The bytes are copied into the trace's payload as they leave, so
        // the machine keeps its buffer.
        while machine.transmit(&mut |bytes| match &mut layer {
            Some(layer) => {
                let records = layer.seal(bytes);
                stream.send_sealed(bytes, &records);
            }
            None => stream.send(bytes),
        }) {
            // A big POP3 RETR leaves at the pace the peer reads it.
            stream.flushed().await;
        }
        while let Some(event) = machine.poll_event() {
            on_event(event);
        }
        if machine.take_tls_start() {
            let (conn, real) = (u64::from(stream.conn().0), stream.is_real());
            match tls.map(|setup| setup.start(net, conn, real)) {
                Some(Ok(mut started)) => {
                    stream.seal_input();
                    send_handshake(stream, &mut started);
                    layer = Some(started);
                }
                Some(Err(error)) => machine.handle_tls_failed(&error.to_string()),
                None => machine.handle_tls_failed("this end has no TLS configured"),
            }
            continue;
        }
        if machine.is_closed() || stopped || broken {
            break;
        }
        if machine.is_holding() {
            // The host's checks (DNS lookups) run; the client waits for
            // the reply, and what it sends meanwhile waits in the stream.
            let settled = tokio::select! {
                biased;
                () = &mut stopping => false,
                () = host.settle() => true,
            };
            if settled {
                machine.resume(net.instant(), host);
            } else {
                machine.shutdown();
                stopped = true;
            }
            continue;
        }
        let deadline = machine.poll_timeout().map(Instant::from_std);
        tokio::select! {
            biased;
            chunk = stream.recv() => match (chunk, &mut layer) {
                (Some(bytes), None) => machine.handle_input(bytes.as_bytes(), net.instant(), host),
                (Some(bytes), Some(layer)) => {
                    if let Some(setup) = tls {
                        layer.set_now(setup.epoch.system_time(net.now()));
                    }
                    let read = if stream.is_real() {
                        read_real(stream, layer, &mut cut, bytes.as_bytes())
                    } else {
                        layer.read(bytes.as_bytes())
                    };
                    match read {
                        Ok(read) => {
                            send_handshake(stream, layer);
                            if read.established {
                                machine.handle_tls_established(net.instant());
                            }
                            if !read.plaintext.is_empty() {
                                machine.handle_input(&read.plaintext, net.instant(), host);
                            }
                            if read.closed {
                                machine.handle_close();
                            }
                        }
                        Err(error) => {
                            // The alert that says why goes out; then nothing.
                            send_handshake(stream, layer);
                            machine.handle_tls_failed(&error.to_string());
                            broken = true;
                        }
                    }
                }
                (None, _) => machine.handle_close(),
            },
            () = async {
                match deadline {
                    Some(d) => {
                        // Armed when first polled, as a new timer would be.
                        if armed != Some(d) {
                            timer.as_mut().reset(d);
                            armed = Some(d);
                            polled = false;
                        }
                        std::future::poll_fn(|cx| {
                            // Once polled, it holds this task's waker: until
                            // it has run out, polling it again only says so.
                            if polled && !timer.is_elapsed() {
                                return std::task::Poll::Pending;
                            }
                            polled = true;
                            timer.as_mut().poll(cx)
                        })
                        .await;
                    }
                    None => std::future::pending().await,
                }
            } => machine.handle_timeout(net.instant()),
            () = &mut stopping => {
                machine.shutdown();
                stopped = true;
            }
        }
    }
    if let Some(layer) = &mut layer
        && !broken
    {
        let records = layer.close();
        stream.send_tls(&records, Vec::new());
    }
    stream.close();
    stream.linger().await;
}

/// A deadline no machine reaches, for a timer not yet armed (never
/// polled before it is).
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
}

/// Reads what a real peer sent through `layer` record by record, and
/// records it as a simulated peer's send would have been: its handshake
/// records as TLS, with the secrets they led to, and the records that
/// carried plaintext as sealed bytes. `cut` keeps a record's start until
/// the rest arrives.
fn read_real(
    stream: &mut Stream,
    layer: &mut Layer,
    cut: &mut Vec<u8>,
    wire: &[u8],
) -> Result<crate::tls::layer::Read, rustls::Error> {
    cut.extend_from_slice(wire);
    let mut read = crate::tls::layer::Read::default();
    // Consecutive records of one kind make one event.
    let (mut records, mut plaintext) = (Vec::new(), Vec::new());
    fn flush(
        stream: &mut Stream,
        layer: &mut Layer,
        records: &mut Vec<u8>,
        plaintext: &mut Vec<u8>,
    ) {
        // Secrets go with the handshake records that led to them.
        let secrets = if plaintext.is_empty() {
            layer.take_secrets()
        } else {
            Vec::new()
        };
        stream.received(records, plaintext, secrets);
        records.clear();
        plaintext.clear();
    }
    while let Some(len) = crate::tls::record::first_len(cut) {
        let record: Vec<u8> = cut.drain(..len).collect();
        let result = layer.read(&record);
        let carried = result.as_ref().map_or(&[][..], |r| &r.plaintext[..]);
        if carried.is_empty() != plaintext.is_empty() && !records.is_empty() {
            flush(stream, layer, &mut records, &mut plaintext);
        }
        records.extend_from_slice(&record);
        plaintext.extend_from_slice(carried);
        match result {
            Ok(one) => {
                read.plaintext.extend(one.plaintext);
                read.established |= one.established;
                read.closed |= one.closed;
            }
            Err(error) => {
                flush(stream, layer, &mut records, &mut plaintext);
                return Err(error);
            }
        }
    }
    flush(stream, layer, &mut records, &mut plaintext);
    Ok(read)
}

/// Sends what the handshake has to say, with the secrets derived before
/// it (kept for a later flight when there is nothing to send now).
fn send_handshake(stream: &mut Stream, layer: &mut Layer) {
    let records = layer.take_handshake();
    if !records.is_empty() {
        stream.send_tls(&records, layer.take_secrets());
    }
}

/// A session's own `limits` under those of the stream: a real client of
/// `mailflow serve` gets the classroom's idle timer, allowance and count
/// of commands. Each protocol adds what only it can bound (SMTP: octets,
/// from its message size).
pub fn bounded(stream: &Stream, limits: SessionLimits) -> SessionLimits {
    match stream.limits() {
        Some(real) => SessionLimits {
            idle: real.idle,
            session: Some(real.session),
            max_commands: Some(real.max_commands),
            ..limits
        },
        None => limits,
    }
}
