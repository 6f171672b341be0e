//! Real TCP connections into the exposed node: each is admitted into the
//! world as a connection from the `outside` host and handed to the node's
//! own listener, so the node serves it exactly as a simulated one. Past
//! the connection limit a client is told 421 4.3.2 (RFC 3463: system not
//! accepting network messages) and closed at once.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use crate::net::{Limits, NetHandle, Slot, Stream};
use crate::trace::{EventKind, HostId, Protocol};

/// What every accepted connection passes through.
#[derive(Clone)]
pub(crate) struct Gate {
    /// The host standing for real clients.
    pub outside: NetHandle,
    pub node: HostId,
    pub hostname: String,
    pub limits: Limits,
    /// Real connections open now, over every exposed service.
    pub open: Rc<Cell<usize>>,
    pub max: usize,
}

impl Gate {
    /// A place for one more connection, if the limit allows.
    pub fn slot(&self) -> Option<Slot> {
        Slot::take(&self.open, self.max)
    }
}

/// Accepts on `listener` until the world stops; `port` is the node's port
/// inside the world (25 or 110).
pub(crate) async fn accept(gate: Gate, listener: tokio::net::TcpListener, port: u16) {
    let mut stopping = std::pin::pin!(gate.outside.stopping());
    while let Some(accepted) = next_connection(&listener, &mut stopping).await {
        let slot = gate.slot();
        let full = slot.is_none();
        let stream = gate
            .outside
            .admit(accepted, gate.node, port, Some(gate.limits.clone()), slot);
        if full {
            refuse(&gate, stream, port, "Too many connections; try again later");
        } else if let Some(stream) = gate.outside.hand_over(stream, gate.node, port) {
            refuse(&gate, stream, port, "Service not available here");
        }
    }
}

/// The next connection on `listener`, or `None` once the world stops.
pub(crate) async fn next_connection(
    listener: &tokio::net::TcpListener,
    stopping: &mut (impl std::future::Future<Output = ()> + Unpin),
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => return Some(connection),
                // Out of descriptors, or a connection reset before we took
                // it: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            () = &mut *stopping => return None,
        }
    }
}

/// Says no in the protocol's own words, then closes.
fn refuse(gate: &Gate, mut stream: Stream, port: u16, why: &str) {
    gate.outside.record(EventKind::Accept {
        conn: stream.conn(),
    });
    let line = if Protocol::from_port(port) == Protocol::Pop3 {
        format!("-ERR {} {why}\r\n", gate.hostname)
    } else {
        format!("421 4.3.2 {} {why}\r\n", gate.hostname)
    };
    stream.send(line.as_bytes());
    stream.close();
}
