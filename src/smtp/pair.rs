//! Two machines wired back to back with no IO: a client session and a
//! server session exchanging bytes in memory, in the manner of
//! quinn-proto's test `Pair`. The demo, the tests, the fuzzer and the
//! benchmarks drive SMTP through it.

use std::time::{Duration, Instant};

use super::client::{ClientConfig, ClientEvent, ClientSession, Transaction};
use super::policy::{Peer, Policy};
use super::server::{ServerConfig, ServerEvent, ServerSession};

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// Alters bytes in flight, for fault tests (in the manner of rustls's
/// test helpers).
pub type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;

/// A client and a server talking over a perfect in-memory wire.
pub struct Pair<P: Policy> {
    pub client: ClientSession,
    pub server: ServerSession,
    pub policy: P,
    pub now: Instant,
    /// Every chunk that crossed the wire, in order.
    pub wire: Vec<(Direction, Vec<u8>)>,
    /// Simulated one-way latency added per chunk.
    pub latency: Duration,
    /// Record chunks in `wire` (benchmarks turn it off).
    pub record: bool,
    tamper: Option<Tamper>,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
}

impl<P: Policy> Pair<P> {
    pub fn new(
        client: ClientConfig,
        transactions: Vec<Transaction>,
        server: ServerConfig,
        mut policy: P,
        now: Instant,
    ) -> Pair<P> {
        let server = ServerSession::new(server, Peer::default(), now, &mut policy);
        let client = ClientSession::new(client, transactions, now);
        Pair {
            client,
            server,
            policy,
            now,
            wire: Vec::new(),
            latency: Duration::ZERO,
            record: true,
            tamper: None,
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    /// Alters every chunk before it is delivered.
    pub fn tamper(&mut self, tamper: Tamper) {
        self.tamper = Some(tamper);
    }

    /// Moves bytes both ways until neither side has anything to say.
    pub fn drive(&mut self) {
        loop {
            let mut moved = false;
            if let Some(mut bytes) = self.server.poll_transmit() {
                self.deliver(Direction::ServerToClient, &mut bytes);
                self.client.handle_input(&bytes, self.now);
                moved = true;
            }
            if let Some(mut bytes) = self.client.poll_transmit() {
                self.deliver(Direction::ClientToServer, &mut bytes);
                self.server.handle_input(&bytes, self.now, &mut self.policy);
                moved = true;
            }
            self.collect_events();
            if !moved {
                break;
            }
        }
        // A side that closed takes the connection down for the other.
        if self.server.is_closed() {
            self.client.handle_close();
        }
        if self.client.is_closed() {
            self.server.handle_close();
        }
        self.collect_events();
    }

    fn deliver(&mut self, direction: Direction, bytes: &mut Vec<u8>) {
        self.now += self.latency;
        if let Some(tamper) = &mut self.tamper {
            tamper(direction, bytes);
        }
        if self.record {
            self.wire.push((direction, bytes.clone()));
        }
    }

    fn collect_events(&mut self) {
        self.client_events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
    }

    /// Events of the client so far, oldest first.
    pub fn client_events(&self) -> &[ClientEvent] {
        &self.client_events
    }

    pub fn server_events(&self) -> &[ServerEvent] {
        &self.server_events
    }

    /// The wire as a transcript: one `C: `/`S: ` line per line sent.
    pub fn transcript(&self) -> Vec<(Direction, String)> {
        let mut lines = Vec::new();
        for (direction, chunk) in &self.wire {
            let text = String::from_utf8_lossy(chunk);
            for line in text.split_inclusive("\r\n") {
                lines.push((*direction, line.trim_end_matches("\r\n").to_owned()));
            }
        }
        lines
    }
}
