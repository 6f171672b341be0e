//! In-memory pipes: reliable ordered streams, as TCP gives. What one side
//! sends arrives at the other after the link's delay, in order, never
//! lost. Every chunk is tapped into the trace when it is sent, with the
//! time it arrives.

use tokio::sync::mpsc;
use tokio::time::sleep_until;

use super::network::NetHandle;
use crate::trace::{ConnId, Dir, EventKind, HostId, Payload, SimTime};

/// Something on its way, to be taken at `arrives`.
pub(crate) struct Pending<T> {
    arrives: SimTime,
    item: T,
}

impl<T> Pending<T> {
    pub(crate) fn new(arrives: SimTime, item: T) -> Pending<T> {
        Pending { arrives, item }
    }

    pub(crate) fn into_item(self) -> T {
        self.item
    }
}

/// A queue of arriving things whose `next` is cancel-safe: a caller that
/// gives up while waiting for the arrival time loses nothing.
pub(crate) struct Inbox<T> {
    rx: mpsc::UnboundedReceiver<Pending<T>>,
    held: Option<Pending<T>>,
}

impl<T> Inbox<T> {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Pending<T>>) -> Inbox<T> {
        Inbox { rx, held: None }
    }

    pub(crate) async fn next(&mut self, net: &NetHandle) -> Option<T> {
        if self.held.is_none() {
            self.held = Some(self.rx.recv().await?);
        }
        let arrives = self.held.as_ref().map(|p| p.arrives)?;
        sleep_until(net.instant_of(arrives)).await;
        self.held.take().map(|p| p.item)
    }
}

enum Segment {
    Data(Payload),
    Fin,
}

/// One end of a connection.
pub struct SimStream {
    net: NetHandle,
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
    /// Both ends of a new connection from `net`'s host to `server`.
    pub(crate) fn pair(net: &NetHandle, conn: ConnId, server: HostId) -> (SimStream, SimStream) {
        let (up_tx, up_rx) = mpsc::unbounded_channel();
        let (down_tx, down_rx) = mpsc::unbounded_channel();
        let client = SimStream {
            net: net.clone(),
            conn,
            dir: Dir::Up,
            peer: server,
            tx: Some(up_tx),
            inbox: Inbox::new(down_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
        };
        let server = SimStream {
            net: net.net.handle(server),
            conn,
            dir: Dir::Down,
            peer: net.host,
            tx: Some(down_tx),
            inbox: Inbox::new(up_rx),
            last_arrival: SimTime::ZERO,
            eof: false,
        };
        (client, server)
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
        self.net.net.state.borrow().trace.hosts[usize::from(self.peer.0)].ip
    }

    /// Sends bytes; they arrive after the link's delay. Sending on a closed
    /// stream does nothing.
    pub fn send(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Some(tx) = &self.tx else { return };
        let data = Payload::new(bytes);
        let arrives = {
            let mut state = self.net.net.state.borrow_mut();
            let arrives = state.arrival(self.net.host, self.peer, self.last_arrival);
            state.record(EventKind::Bytes {
                conn: self.conn,
                dir: self.dir,
                arrives,
                data: data.clone(),
            });
            arrives
        };
        self.last_arrival = arrives;
        // A peer that is gone just never reads it, as with a real socket.
        let _ = tx.send(Pending::new(arrives, Segment::Data(data)));
    }

    /// The next chunk from the other side; `None` once it has closed.
    /// Cancel-safe: a chunk is never lost to a dropped call.
    pub async fn recv(&mut self) -> Option<Payload> {
        if self.eof {
            return None;
        }
        match self.inbox.next(&self.net).await {
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
        let arrives = {
            let mut state = self.net.net.state.borrow_mut();
            let arrives = state.arrival(self.net.host, self.peer, self.last_arrival);
            state.record(EventKind::Close {
                conn: self.conn,
                dir: self.dir,
                arrives,
            });
            arrives
        };
        let _ = tx.send(Pending::new(arrives, Segment::Fin));
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.close();
    }
}
