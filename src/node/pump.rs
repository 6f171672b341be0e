//! The driver: read bytes from a stream, feed the sans-IO machine, write
//! what it says, and hand it the time when its deadline passes. One loop
//! serves every [`Session`] (SMTP and POP3, server and client), over
//! simulated pipes and real sockets alike.

use tokio::time::Instant;

use crate::net::{NetHandle, Stream};
use crate::session::{Session, SessionLimits};

/// Drives a client `machine` over `stream` until it closes; returns its
/// events.
pub async fn drive<M: Session>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
) -> Vec<M::Event> {
    let mut events = Vec::new();
    drive_server(net, stream, machine, &mut (), |e| events.push(e)).await;
    events
}

/// Drives a client `machine`, handing each event to `on_event` as it
/// happens (so a fact recorded there gets the time it happened at).
pub async fn drive_with<M: Session>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    on_event: impl FnMut(M::Event),
) {
    drive_server(net, stream, machine, &mut (), on_event).await;
}

/// Drives `machine` until it closes, with `host` (an SMTP policy, a POP3
/// maildrop) to answer its questions; each event goes to `on_event` as it
/// happens.
pub async fn drive_server<H, M: Session<H>>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    host: &mut H,
    mut on_event: impl FnMut(M::Event),
) {
    let mut stopping = std::pin::pin!(net.stopping());
    let mut stopped = false;
    loop {
        while let Some(bytes) = machine.poll_transmit() {
            stream.send(&bytes);
            // A big POP3 RETR leaves at the pace the peer reads it.
            stream.flushed().await;
        }
        while let Some(event) = machine.poll_event() {
            on_event(event);
        }
        if machine.is_closed() || stopped {
            break;
        }
        let deadline = machine.poll_timeout();
        tokio::select! {
            biased;
            chunk = stream.recv() => match chunk {
                Some(bytes) => machine.handle_input(bytes.as_bytes(), net.instant(), host),
                None => machine.handle_close(),
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
    stream.close();
    stream.linger().await;
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
