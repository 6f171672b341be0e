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
    Server(Arc<rustls::ServerConfig>),
    /// `server_name` is the host dialled, checked against its certificate.
    Client {
        config: Arc<rustls::ClientConfig>,
        server_name: String,
    },
}

impl TlsSetup {
    /// This end's TLS on connection `conn`, its randomness drawn from the
    /// world's generator.
    fn start(&self, net: &NetHandle, conn: u64) -> Result<Layer, rustls::Error> {
        let seed = net.with_rng(|rng| rng.next_u64());
        let mut layer = match &self.role {
            TlsRole::Server(config) => {
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
    // The handshake failed: the alert is sent, nothing more is.
    let mut broken = false;
    loop {
        while let Some(bytes) = machine.poll_transmit() {
            match &mut layer {
                Some(layer) => {
                    let records = layer.seal(&bytes);
                    stream.send_sealed(&bytes, &records);
                }
                None => stream.send(&bytes),
            }
            // A big POP3 RETR leaves at the pace the peer reads it.
            stream.flushed().await;
        }
        while let Some(event) = machine.poll_event() {
            on_event(event);
        }
        if machine.take_tls_start() {
            match tls.map(|setup| setup.start(net, u64::from(stream.conn().0))) {
                Some(Ok(mut started)) => {
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
        let deadline = machine.poll_timeout();
        tokio::select! {
            biased;
            chunk = stream.recv() => match (chunk, &mut layer) {
                (Some(bytes), None) => machine.handle_input(bytes.as_bytes(), net.instant(), host),
                (Some(bytes), Some(layer)) => {
                    if let Some(setup) = tls {
                        layer.set_now(setup.epoch.system_time(net.now()));
                    }
                    match layer.read(bytes.as_bytes()) {
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
                    Some(d) => tokio::time::sleep_until(Instant::from_std(d)).await,
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
