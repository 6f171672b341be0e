//! Two machines wired back to back with no IO, in the manner of
//! quinn-proto's test `Pair`: any client [`Session`] and any server
//! [`Session`] exchanging bytes in memory on virtual time.
//!
//! Each direction has its own latency: a chunk sent at `now` arrives at
//! `now + latency`. [`Pair::drive`] moves bytes until both sides are quiet
//! and never fires a timer; [`Pair::step`] also advances time to the
//! earlier of the two machines' `poll_timeout`s (or the next arrival) and
//! calls `handle_timeout`, so an idle timeout can be tested end to end.
//! The demo, the tests, the fuzzers and the benchmarks drive SMTP and POP3
//! through it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::Session;

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// Alters bytes in flight, for fault tests (in the manner of rustls's
/// test helpers).
pub type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;

/// A client and a server talking over an in-memory wire. `H` is what the
/// server asks of its host (a policy, a maildrop).
pub struct Pair<C: Session, S: Session<H>, H> {
    pub client: C,
    pub server: S,
    /// The server's host: its policy or its maildrop.
    pub host: H,
    pub now: Instant,
    /// Every chunk that crossed the wire, in the order it was sent.
    pub wire: Vec<(Direction, Vec<u8>)>,
    /// One-way latency of what the client sends.
    pub latency_to_server: Duration,
    /// One-way latency of what the server sends.
    pub latency_to_client: Duration,
    /// Record chunks in `wire` (benchmarks turn it off).
    pub record: bool,
    tamper: Option<Tamper>,
    /// Chunks on their way, with their arrival time, per direction.
    to_server: VecDeque<(Instant, Vec<u8>)>,
    to_client: VecDeque<(Instant, Vec<u8>)>,
    client_events: Vec<C::Event>,
    server_events: Vec<S::Event>,
}

impl<C: Session, S: Session<H>, H> Pair<C, S, H> {
    /// Wires `client` to `server`, whose host is `host`, at `now`.
    pub fn connect(client: C, server: S, host: H, now: Instant) -> Pair<C, S, H> {
        Pair {
            client,
            server,
            host,
            now,
            wire: Vec::new(),
            latency_to_server: Duration::ZERO,
            latency_to_client: Duration::ZERO,
            record: true,
            tamper: None,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    /// Alters every chunk before it is delivered.
    pub fn tamper(&mut self, tamper: Tamper) {
        self.tamper = Some(tamper);
    }

    /// Moves bytes both ways until neither side has anything to say and
    /// nothing is in flight; time advances only to arrivals, never to a
    /// machine's timeout. A side that closed then takes the connection
    /// down for the other.
    pub fn drive(&mut self) {
        loop {
            if self.exchange() {
                continue;
            }
            match self.next_arrival() {
                Some(at) => self.now = self.now.max(at),
                None => break,
            }
        }
        self.close_behind();
    }

    /// One step on virtual time: move what can move now; when nothing
    /// can, advance to the earliest of the next arrival and the two
    /// `poll_timeout`s and tell whoever's timer came. Returns false when
    /// nothing is left to happen (both closed, or no timer anywhere).
    pub fn step(&mut self) -> bool {
        if self.exchange() || self.close_behind() {
            return true;
        }
        let client_at = self.client.poll_timeout();
        let server_at = self.server.poll_timeout();
        let Some(at) = [self.next_arrival(), client_at, server_at]
            .into_iter()
            .flatten()
            .min()
        else {
            return false;
        };
        self.now = self.now.max(at);
        if client_at.is_some_and(|t| t <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if server_at.is_some_and(|t| t <= self.now) {
            self.server.handle_timeout(self.now);
        }
        self.collect_events();
        true
    }

    /// Steps until nothing is left to happen.
    pub fn run(&mut self) {
        while self.step() {}
    }

    /// Sends what each side has to say and delivers what has arrived; true
    /// if any byte moved. The server speaks first, as SMTP and POP3 do.
    fn exchange(&mut self) -> bool {
        let mut moved = false;
        if let Some(bytes) = self.server.poll_transmit() {
            self.send(Direction::ServerToClient, bytes);
            moved = true;
        }
        moved |= self.deliver(Direction::ServerToClient);
        if let Some(bytes) = self.client.poll_transmit() {
            self.send(Direction::ClientToServer, bytes);
            moved = true;
        }
        moved |= self.deliver(Direction::ClientToServer);
        self.collect_events();
        moved
    }

    fn send(&mut self, direction: Direction, mut bytes: Vec<u8>) {
        if let Some(tamper) = &mut self.tamper {
            tamper(direction, &mut bytes);
        }
        if self.record {
            self.wire.push((direction, bytes.clone()));
        }
        let (queue, latency) = match direction {
            Direction::ClientToServer => (&mut self.to_server, self.latency_to_server),
            Direction::ServerToClient => (&mut self.to_client, self.latency_to_client),
        };
        queue.push_back((self.now + latency, bytes));
    }

    /// Hands every chunk due by now to its receiver; true if any.
    fn deliver(&mut self, direction: Direction) -> bool {
        let mut delivered = false;
        loop {
            let queue = match direction {
                Direction::ClientToServer => &mut self.to_server,
                Direction::ServerToClient => &mut self.to_client,
            };
            if queue.front().is_none_or(|(at, _)| *at > self.now) {
                return delivered;
            }
            let Some((_, bytes)) = queue.pop_front() else {
                return delivered;
            };
            match direction {
                Direction::ClientToServer => {
                    self.server.handle_input(&bytes, self.now, &mut self.host)
                }
                Direction::ServerToClient => self.client.handle_input(&bytes, self.now, &mut ()),
            }
            delivered = true;
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        let first = |q: &VecDeque<(Instant, Vec<u8>)>| q.front().map(|(at, _)| *at);
        [first(&self.to_server), first(&self.to_client)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Once nothing is in flight, a side that closed closes the connection
    /// for the other; true if that changed anything.
    fn close_behind(&mut self) -> bool {
        if self.next_arrival().is_some() {
            return false;
        }
        let mut changed = false;
        if self.server.is_closed() && !self.client.is_closed() {
            self.client.handle_close();
            changed = true;
        }
        if self.client.is_closed() && !self.server.is_closed() {
            self.server.handle_close();
            changed = true;
        }
        self.collect_events();
        changed
    }

    fn collect_events(&mut self) {
        self.client_events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
    }

    /// Events of the client so far, oldest first.
    pub fn client_events(&self) -> &[C::Event] {
        &self.client_events
    }

    pub fn server_events(&self) -> &[S::Event] {
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
