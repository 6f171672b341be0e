//! In-memory pipes: reliable ordered streams, as TCP gives. What one side
//! sends arrives at the other after the link's delay, in order, never
//! lost. Every chunk is tapped into the trace when it is sent, with the
//! time it arrives.

use std::rc::Rc;

use tokio::sync::mpsc;

use super::delay::{Inbox, Pending};
use super::medium::Medium;
use crate::trace::{ConnId, Dir, EventKind, HostId, Payload, SimTime};

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
    tx: Option<mpsc::UnboundedSender<Pending<Segment>>>,
    inbox: Inbox<Segment>,
    last_arrival: SimTime,
    eof: bool,
}

impl SimStream {
    /// Both ends of a new connection from `client` to `server`.
    pub(crate) fn pair(
        medium: &Rc<Medium>,
        conn: ConnId,
        client: HostId,
        server: HostId,
    ) -> (SimStream, SimStream) {
        let (up_tx, up_rx) = mpsc::unbounded_channel();
        let (down_tx, down_rx) = mpsc::unbounded_channel();
        let client_end = SimStream {
            medium: Rc::clone(medium),
            host: client,
            conn,
            dir: Dir::Up,
            peer: server,
            tx: Some(up_tx),
            inbox: Inbox::new(down_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
        };
        let server_end = SimStream {
            medium: Rc::clone(medium),
            host: server,
            conn,
            dir: Dir::Down,
            peer: client,
            tx: Some(down_tx),
            inbox: Inbox::new(up_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
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
            secrets,
        });
    }

    /// Puts `wire` on the link and records what was sent.
    fn transmit(&mut self, wire: Payload, event: impl FnOnce(ConnId, Dir, SimTime) -> EventKind) {
        if wire.as_bytes().is_empty() {
            return;
        }
        let Some(tx) = &self.tx else { return };
        let arrives = self.medium.arrival(self.host, self.peer, self.last_arrival);
        self.medium.record(event(self.conn, self.dir, arrives));
        self.last_arrival = arrives;
        // A peer that is gone just never reads it, as with a real socket.
        let _ = tx.send(Pending::new(arrives, Segment::Data(wire)));
    }

    /// The next chunk from the other side; `None` once it has closed.
    /// Cancel-safe: a chunk is never lost to a dropped call.
    pub async fn recv(&mut self) -> Option<Payload> {
        if self.eof {
            return None;
        }
        match self.inbox.next(&self.medium).await {
            Some(Segment::Data(data)) => Some(data),
            Some(Segment::Fin) | None => {
                self.eof = true;
                None
            }
        }
    }

    /// Closes this side (a FIN); the peer reads `None` once it arrives.
    pub fn close(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        let arrives = self.medium.arrival(self.host, self.peer, self.last_arrival);
        self.medium.record(EventKind::Close {
            conn: self.conn,
            dir: self.dir,
            arrives,
        });
        let _ = tx.send(Pending::new(arrives, Segment::Fin));
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.close();
    }
}
