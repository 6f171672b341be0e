//! A connection as a node sees it: an in-memory pipe to another simulated
//! host, or a real TCP socket to a machine outside the world. Nodes and
//! the protocol driver see one type and cannot tell them apart, except
//! that a real connection may carry the limits its server must apply.

use std::net::IpAddr;
use std::rc::Rc;

use tokio::sync::mpsc;

use super::delay::{Inbox, Pending};
use super::medium::Medium;
use super::pipe::SimStream;
use super::socket::{Limits, RealStream};
use crate::trace::{ConnId, EventKind, HostId, Payload};

/// One end of a connection.
pub enum Stream {
    Sim(SimStream),
    Real(RealStream),
}

impl Stream {
    pub fn conn(&self) -> ConnId {
        match self {
            Stream::Sim(s) => s.conn(),
            Stream::Real(s) => s.conn(),
        }
    }

    /// The host at the other end.
    pub fn peer(&self) -> HostId {
        match self {
            Stream::Sim(s) => s.peer(),
            Stream::Real(s) => s.peer(),
        }
    }

    /// The other end's address: a simulated one, or the real peer's.
    pub fn peer_ip(&self) -> IpAddr {
        match self {
            Stream::Sim(s) => s.peer_ip(),
            Stream::Real(s) => s.peer_addr().ip(),
        }
    }

    /// What a server must enforce on this connection, beyond its own
    /// configuration: set for real clients of `mailflow serve`.
    pub fn limits(&self) -> Option<&Limits> {
        match self {
            Stream::Sim(_) => None,
            Stream::Real(s) => s.limits(),
        }
    }

    /// Sends bytes; sending on a closed stream does nothing.
    pub fn send(&mut self, bytes: &[u8]) {
        match self {
            Stream::Sim(s) => s.send(bytes),
            Stream::Real(s) => s.send(bytes),
        }
    }

    /// Sends TLS records that carry `plaintext` (see [`EventKind::Bytes`]).
    pub fn send_sealed(&mut self, plaintext: &[u8], records: &[u8]) {
        match self {
            Stream::Sim(s) => s.send_sealed(plaintext, records),
            Stream::Real(s) => s.send_sealed(plaintext, records),
        }
    }

    /// Sends TLS records the TLS machinery wrote on its own, with the
    /// key log lines derived before them.
    pub fn send_tls(&mut self, records: &[u8], secrets: Vec<String>) {
        match self {
            Stream::Sim(s) => s.send_tls(records, secrets),
            Stream::Real(s) => s.send_tls(records, secrets),
        }
    }

    /// From now on the peer speaks TLS. A real peer's records are then
    /// recorded with [`Stream::received`] once read; a simulated peer's
    /// were recorded when it sent them.
    pub fn seal_input(&mut self) {
        if let Stream::Real(s) = self {
            s.seal_input();
        }
    }

    /// Whether the other end is a real machine, whose input only this end
    /// can record.
    pub fn is_real(&self) -> bool {
        matches!(self, Stream::Real(_))
    }

    /// Records TLS records a real peer sent, with the plaintext they
    /// carried (see [`RealStream::received`]); nothing for a simulated
    /// peer, whose send recorded them.
    pub fn received(&mut self, records: &[u8], plaintext: &[u8], secrets: Vec<String>) {
        if let Stream::Real(s) = self {
            s.received(records, plaintext, secrets);
        }
    }

    /// Waits until what was sent has mostly left (real sockets only: a
    /// pipe takes everything at once).
    pub async fn flushed(&mut self) {
        if let Stream::Real(s) = self {
            s.flushed().await;
        }
    }

    /// The next chunk from the other side; `None` once it has closed.
    /// Cancel-safe.
    pub async fn recv(&mut self) -> Option<Payload> {
        match self {
            Stream::Sim(s) => s.recv().await,
            Stream::Real(s) => s.recv().await,
        }
    }

    /// After `close`, reads and drops what the peer still sends for a
    /// moment (real sockets only), so that our last reply is not lost to
    /// a reset.
    pub async fn linger(&mut self) {
        if let Stream::Real(s) = self {
            s.linger().await;
        }
    }

    /// Closes this side.
    pub fn close(&mut self) {
        match self {
            Stream::Sim(s) => s.close(),
            Stream::Real(s) => s.close(),
        }
    }
}

/// Accepts connections on one port of one host: from simulated hosts and,
/// under `mailflow serve`, from real clients.
pub struct Listener {
    medium: Rc<Medium>,
    inbox: Inbox<Stream>,
}

impl Listener {
    pub(crate) fn new(
        medium: Rc<Medium>,
        rx: mpsc::UnboundedReceiver<Pending<Stream>>,
    ) -> Listener {
        Listener {
            medium,
            inbox: Inbox::new(rx),
        }
    }

    /// The next connection, once its opening packet has arrived.
    pub async fn accept(&mut self) -> Option<Stream> {
        let stream = self.inbox.next(&self.medium).await?;
        self.medium.record(EventKind::Accept {
            conn: stream.conn(),
        });
        Some(stream)
    }
}
