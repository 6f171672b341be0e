//! In-memory pipes: reliable ordered streams, as TCP gives. What one side
//! sends arrives at the other after the link's delay, in order, never
//! lost. Every chunk is tapped into the trace when it is sent, with the
//! time it arrives. A connection is cut (a reset: both ends read the end
//! at once, and what was in flight is gone) when either host or the link
//! goes down, or a reset of the scenario falls on it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::delay::Pending;
use super::flight::{self, Arrivals, Moved};
use super::medium::{Doom, Medium};
use crate::trace::{ConnId, Dir, EventKind, HostId, Payload, SimTime};

/// What both ends of one connection share: whether and when it is cut.
struct Wire {
    conn: ConnId,
    /// When it will be cut, and why; moved earlier by `Reset::After`.
    cut_at: RefCell<Option<(SimTime, String)>>,
    /// The cut happened (and is recorded).
    cut: Cell<bool>,
    /// Wakes the ends when `cut_at` moves or the cut happens.
    moved: Moved,
    /// Octets the client may still send before a `Reset::After` falls.
    allowance: Cell<Option<usize>>,
    /// The start of the last stall this connection was told of.
    stalled: Cell<Option<SimTime>>,
}

impl Wire {
    /// Resolves once the connection is cut, recording the cut the first
    /// time either end sees it. Cancel-safe.
    async fn cut(&self, medium: &Medium) {
        loop {
            if self.cut.get() {
                return;
            }
            let moved = self.moved.changed();
            let at = self.cut_at.borrow().as_ref().map(|(t, _)| *t);
            match at {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(medium.instant(at)) => {
                            self.fire(medium);
                            return;
                        }
                        () = moved => {}
                    }
                }
                None => moved.await,
            }
        }
    }

    fn fire(&self, medium: &Medium) {
        if self.cut.replace(true) {
            return;
        }
        let why = self
            .cut_at
            .borrow()
            .as_ref()
            .map_or_else(String::new, |(_, why)| why.clone());
        medium.record(EventKind::Reset {
            conn: self.conn,
            why,
        });
        self.moved.notify_waiters();
    }

    /// A `Reset::After` falls when the octets sent up to it arrive.
    fn cut_when(&self, arrives: SimTime) {
        let mut cut_at = self.cut_at.borrow_mut();
        if cut_at.as_ref().is_none_or(|(t, _)| arrives < *t) {
            *cut_at = Some((arrives, "a reset on the link".to_owned()));
            drop(cut_at);
            self.moved.notify_waiters();
        }
    }
}

enum Segment {
    Data(Payload),
    Fin,
}

/// One end of a connection.
pub struct SimStream {
    medium: Rc<Medium>,
    /// The host that holds this end.
    host: HostId,
    conn: ConnId,
    /// The direction of what this end sends.
    dir: Dir,
    peer: HostId,
    tx: Option<flight::Sender<Segment>>,
    inbox: Arrivals<Segment>,
    last_arrival: SimTime,
    eof: bool,
    wire: Rc<Wire>,
}

impl SimStream {
    /// Both ends of a new connection from `client` to `server`.
    pub(crate) fn pair(
        medium: &Rc<Medium>,
        conn: ConnId,
        client: HostId,
        server: HostId,
    ) -> (SimStream, SimStream) {
        let [(up_tx, up_rx), (down_tx, down_rx)] = flight::pair();
        let Doom { cut, after } = medium.open_session(client, server);
        let wire = Rc::new(Wire {
            conn,
            cut_at: RefCell::new(cut),
            cut: Cell::new(false),
            moved: Moved::default(),
            allowance: Cell::new(after),
            stalled: Cell::new(None),
        });
        let client_end = SimStream {
            medium: Rc::clone(medium),
            host: client,
            conn,
            dir: Dir::Up,
            peer: server,
            tx: Some(up_tx),
            inbox: Arrivals::new(down_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
            wire: Rc::clone(&wire),
        };
        let server_end = SimStream {
            medium: Rc::clone(medium),
            host: server,
            conn,
            dir: Dir::Down,
            peer: client,
            tx: Some(down_tx),
            inbox: Arrivals::new(up_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
            wire,
        };
        (client_end, server_end)
    }

    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// The host at the other end.
    pub fn peer(&self) -> HostId {
        self.peer
    }

    /// The other end's address.
    pub fn peer_ip(&self) -> std::net::IpAddr {
        self.medium.ip_of(self.peer)
    }

    /// Sends bytes; they arrive after the link's delay. Sending on a closed
    /// stream does nothing.
    pub fn send(&mut self, bytes: &[u8]) {
        let data = Payload::new(bytes);
        self.transmit(data.clone(), |conn, dir, arrives| EventKind::Bytes {
            conn,
            dir,
            arrives,
            data,
            sealed: None,
        });
    }

    /// Sends TLS records that carry `plaintext`.
    pub fn send_sealed(&mut self, plaintext: &[u8], records: &[u8]) {
        let sealed = Payload::new(records);
        let data = Payload::new(plaintext);
        self.transmit(sealed.clone(), |conn, dir, arrives| EventKind::Bytes {
            conn,
            dir,
            arrives,
            data,
            sealed: Some(sealed),
        });
    }

    /// Sends TLS records of the handshake, an alert or close_notify, with
    /// the key log lines derived before them.
    pub fn send_tls(&mut self, records: &[u8], secrets: Vec<String>) {
        let data = Payload::new(records);
        self.transmit(data.clone(), |conn, dir, arrives| EventKind::Tls {
            conn,
            dir,
            arrives,
            data,
            secrets: secrets.into(),
        });
    }

    /// Puts `wire` on the link and records what was sent. On a cut
    /// connection nothing leaves; under a `Reset::After` only the octets
    /// before it do, and the cut falls when they arrive.
    fn transmit(&mut self, wire: Payload, event: impl FnOnce(ConnId, Dir, SimTime) -> EventKind) {
        if wire.as_bytes().is_empty() || self.wire.cut.get() {
            return;
        }
        let Some(tx) = &self.tx else { return };
        let allowance = self.wire.allowance.get().filter(|_| self.dir == Dir::Up);
        if allowance == Some(0) {
            return;
        }
        // A reset that falls inside this chunk: the part before it is what
        // crossed the wire.
        let part = allowance
            .filter(|&left| left < wire.as_bytes().len())
            .map(|left| Payload::new(&wire.as_bytes()[..left]));
        let wire = part.clone().unwrap_or(wire);
        if let Some(stall) = self.medium.stall(self.host, self.peer)
            && self.wire.stalled.replace(Some(stall.from)) != Some(stall.from)
        {
            self.medium.record(EventKind::Stalled {
                from: self.host,
                to: self.peer,
                conn: Some(self.conn),
                until: stall.until,
            });
        }
        let arrives = self.medium.arrival(self.host, self.peer, self.last_arrival);
        self.medium.record(match part {
            Some(data) => EventKind::Bytes {
                conn: self.conn,
                dir: self.dir,
                arrives,
                data,
                sealed: None,
            },
            None => event(self.conn, self.dir, arrives),
        });
        self.last_arrival = arrives;
        if let Some(left) = allowance {
            let left = left - wire.as_bytes().len();
            self.wire.allowance.set(Some(left));
            if left == 0 {
                self.wire.cut_when(arrives);
            }
        }
        // A peer that is gone just never reads it, as with a real socket.
        tx.send(Pending::new(arrives, Segment::Data(wire)));
    }

    /// The next chunk from the other side; `None` once it has closed.
    /// Cancel-safe: a chunk is never lost to a dropped call.
    pub async fn recv(&mut self) -> Option<Payload> {
        if self.eof || self.wire.cut.get() {
            return None;
        }
        let wire = Rc::clone(&self.wire);
        // What arrives before the cut is read; nothing after it.
        let segment = tokio::select! {
            biased;
            segment = self.inbox.next(&self.medium) => segment,
            () = wire.cut(&self.medium) => None,
        };
        match segment {
            Some(Segment::Data(data)) if !self.wire.cut.get() => Some(data),
            _ => {
                self.eof = true;
                None
            }
        }
    }

    /// Closes this side (a FIN); the peer reads `None` once it arrives.
    /// A cut connection has nothing left to close.
    pub fn close(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        if self.wire.cut.get() {
            return;
        }
        let arrives = self.medium.arrival(self.host, self.peer, self.last_arrival);
        self.medium.record(EventKind::Close {
            conn: self.conn,
            dir: self.dir,
            arrives,
        });
        tx.send(Pending::new(arrives, Segment::Fin));
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.close();
    }
}
