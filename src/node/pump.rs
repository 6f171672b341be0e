//! Drivers: read bytes from a stream, feed the sans-IO machine, write what
//! it says, and hand it the time when its deadline passes. The same loop
//! will serve real sockets.

use tokio::time::Instant;

use crate::net::{NetHandle, SimStream};
use crate::smtp::client::{ClientEvent, ClientSession};
use crate::smtp::{Policy, ServerEvent, ServerSession};

/// Sleeps until `deadline`, or forever when there is none.
async fn until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

/// Serves one SMTP session until it closes; returns its events.
pub async fn serve_smtp(
    net: &NetHandle,
    stream: &mut SimStream,
    session: &mut ServerSession,
    policy: &mut impl Policy,
) -> Vec<ServerEvent> {
    let mut events = Vec::new();
    loop {
        while let Some(bytes) = session.poll_transmit() {
            stream.send(&bytes);
        }
        events.extend(std::iter::from_fn(|| session.poll_event()));
        if session.is_closed() {
            break;
        }
        tokio::select! {
            biased;
            chunk = stream.recv() => match chunk {
                Some(bytes) => session.handle_input(bytes.as_bytes(), net.instant(), policy),
                None => session.handle_close(),
            },
            () = until(session.poll_timeout()) => session.handle_timeout(net.instant()),
        }
    }
    stream.close();
    events
}

/// Runs an SMTP client session until it closes; returns its events.
pub async fn run_smtp_client(
    net: &NetHandle,
    stream: &mut SimStream,
    session: &mut ClientSession,
) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    loop {
        while let Some(bytes) = session.poll_transmit() {
            stream.send(&bytes);
        }
        events.extend(std::iter::from_fn(|| session.poll_event()));
        if session.is_closed() {
            break;
        }
        tokio::select! {
            biased;
            chunk = stream.recv() => match chunk {
                Some(bytes) => session.handle_input(bytes.as_bytes(), net.instant()),
                None => session.handle_close(),
            },
            () = until(session.poll_timeout()) => session.handle_timeout(net.instant()),
        }
    }
    stream.close();
    events
}
