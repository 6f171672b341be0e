//! The driver: read bytes from a stream, feed the sans-IO machine, write
//! what it says, and hand it the time when its deadline passes. One loop
//! serves every protocol machine (SMTP and POP3, server and client), over
//! simulated pipes and real sockets alike.

use tokio::time::Instant;

use crate::net::{NetHandle, Stream};
use crate::pop3::{Maildrop, Pop3Client, Pop3ClientEvent, Pop3Server, Pop3ServerEvent};
use crate::smtp::client::{ClientEvent, ClientSession};
use crate::smtp::{Policy, ServerEvent, ServerSession};

/// What the driver needs of a sans-IO session machine.
pub trait Machine {
    type Event;
    fn input(&mut self, bytes: &[u8], now: std::time::Instant);
    fn timeout(&mut self, now: std::time::Instant);
    fn peer_closed(&mut self);
    fn deadline(&self) -> Option<std::time::Instant>;
    fn transmit(&mut self) -> Option<Vec<u8>>;
    fn event(&mut self) -> Option<Self::Event>;
    fn closed(&self) -> bool;
    /// The host is going down: say so if the protocol can, then close.
    fn shutdown(&mut self) {}
}

/// Drives `machine` over `stream` until it closes; returns its events.
pub async fn drive<M: Machine>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
) -> Vec<M::Event> {
    let mut events = Vec::new();
    drive_with(net, stream, machine, |e| events.push(e)).await;
    events
}

/// Drives `machine`, handing each event to `on_event` as it happens (so a
/// fact recorded there gets the time it happened at).
pub async fn drive_with<M: Machine>(
    net: &NetHandle,
    stream: &mut Stream,
    machine: &mut M,
    mut on_event: impl FnMut(M::Event),
) {
    let mut stopping = std::pin::pin!(net.stopping());
    let mut stopped = false;
    loop {
        while let Some(bytes) = machine.transmit() {
            stream.send(&bytes);
            // A big POP3 RETR leaves at the pace the peer reads it.
            stream.flushed().await;
        }
        while let Some(event) = machine.event() {
            on_event(event);
        }
        if machine.closed() || stopped {
            break;
        }
        let deadline = machine.deadline();
        tokio::select! {
            biased;
            chunk = stream.recv() => match chunk {
                Some(bytes) => machine.input(bytes.as_bytes(), net.instant()),
                None => machine.peer_closed(),
            },
            () = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            } => machine.timeout(net.instant()),
            () = &mut stopping => {
                machine.shutdown();
                stopped = true;
            }
        }
    }
    stream.close();
    stream.linger().await;
}

/// The part of `Machine` that every session type spells with the same
/// method names; `$field` reaches the session inside a wrapper.
macro_rules! same_names {
    ($($field:ident)?) => {
        fn timeout(&mut self, now: std::time::Instant) {
            self$(.$field)?.handle_timeout(now);
        }
        fn peer_closed(&mut self) {
            self$(.$field)?.handle_close();
        }
        fn deadline(&self) -> Option<std::time::Instant> {
            self$(.$field)?.poll_timeout()
        }
        fn transmit(&mut self) -> Option<Vec<u8>> {
            self$(.$field)?.poll_transmit()
        }
        fn event(&mut self) -> Option<Self::Event> {
            self$(.$field)?.poll_event()
        }
        fn closed(&self) -> bool {
            self$(.$field)?.is_closed()
        }
    };
}

/// An SMTP server session together with the policy it asks.
pub struct Served<'a, P: Policy> {
    pub session: &'a mut ServerSession,
    pub policy: &'a mut P,
}

impl<P: Policy> Machine for Served<'_, P> {
    type Event = ServerEvent;
    fn input(&mut self, bytes: &[u8], now: std::time::Instant) {
        self.session.handle_input(bytes, now, self.policy);
    }
    fn shutdown(&mut self) {
        self.session.shutdown();
    }
    same_names!(session);
}

impl Machine for ClientSession {
    type Event = ClientEvent;
    fn input(&mut self, bytes: &[u8], now: std::time::Instant) {
        self.handle_input(bytes, now);
    }
    same_names!();
}

/// A POP3 server session together with the maildrop it opens.
pub struct Fetched<'a, D: Maildrop> {
    pub session: &'a mut Pop3Server,
    pub maildrop: &'a mut D,
}

impl<D: Maildrop> Machine for Fetched<'_, D> {
    type Event = Pop3ServerEvent;
    fn input(&mut self, bytes: &[u8], now: std::time::Instant) {
        self.session.handle_input(bytes, now, self.maildrop);
    }
    fn shutdown(&mut self) {
        self.session.shutdown();
    }
    same_names!(session);
}

impl Machine for Pop3Client {
    type Event = Pop3ClientEvent;
    fn input(&mut self, bytes: &[u8], now: std::time::Instant) {
        self.handle_input(bytes, now);
    }
    same_names!();
}
