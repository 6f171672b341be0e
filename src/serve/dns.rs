//! Real DNS queries answered by the scenario's name server, over UDP and
//! over TCP (two-octet length prefix, RFC 1035 §4.2.2, RFC 7766). Both
//! are recorded as datagrams between `outside` and the server: the trace
//! shows DNS messages, whatever carried them.

use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::expose::{Gate, next_connection};
use crate::dns::{Answer, Authority};
use crate::net::NetHandle;
use crate::trace::{EventKind, HostId, Payload};

/// Where real queries are answered.
#[derive(Clone)]
pub(crate) struct Desk {
    pub outside: NetHandle,
    pub server: HostId,
    pub authority: Rc<Authority>,
}

impl Desk {
    /// Records the query, asks the zones, records the answer; `udp` cuts
    /// an answer too long for the asker (TC set: it retries over TCP).
    fn answer(&self, query: &[u8], peer_port: u16, udp: bool) -> Option<Vec<u8>> {
        let now = self.outside.now();
        self.outside.record(EventKind::Datagram {
            from: self.outside.host(),
            from_port: peer_port,
            to: self.server,
            to_port: 53,
            arrives: Some(now),
            data: Payload::new(query),
        });
        match self.authority.answer(query, now.duration()) {
            Answer::Reply(bytes) => {
                let bytes = if udp {
                    crate::dns::wire::fit_for_udp(query, bytes)
                } else {
                    bytes
                };
                self.outside.record(EventKind::Datagram {
                    from: self.server,
                    from_port: 53,
                    to: self.outside.host(),
                    to_port: peer_port,
                    arrives: Some(self.outside.now()),
                    data: Payload::new(&bytes),
                });
                Some(bytes)
            }
            Answer::Drop => None,
        }
    }
}

/// Answers datagrams until the world stops.
pub(crate) async fn udp(desk: Desk, socket: tokio::net::UdpSocket) {
    let mut stopping = std::pin::pin!(desk.outside.stopping());
    // The largest UDP payload; a query is rarely over 512 octets.
    let mut buf = vec![0; 65_535];
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut buf) => r,
            () = &mut stopping => return,
        };
        let Ok((n, peer)) = received else {
            continue;
        };
        if let Some(reply) = desk.answer(&buf[..n], peer.port(), true) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

/// Accepts DNS-over-TCP connections until the world stops; each counts
/// against the connection limit and gets the idle limit.
pub(crate) async fn tcp(desk: Desk, listener: tokio::net::TcpListener, gate: Gate) {
    let mut stopping = std::pin::pin!(desk.outside.stopping());
    while let Some((stream, peer)) = next_connection(&listener, &mut stopping).await {
        let Some(slot) = gate.slot() else {
            // Over the limit: close at once; DNS has no way to say why.
            drop(stream);
            continue;
        };
        let desk = desk.clone();
        let limits = gate.limits.clone();
        tokio::task::spawn_local(async move {
            let _slot = slot;
            let _ = converse(&desk, stream, peer.port(), &limits).await;
        });
    }
}

/// One TCP connection: length-prefixed queries, answered in order.
async fn converse(
    desk: &Desk,
    mut stream: tokio::net::TcpStream,
    peer_port: u16,
    limits: &crate::net::Limits,
) -> std::io::Result<()> {
    let mut stopping = std::pin::pin!(desk.outside.stopping());
    for _ in 0..limits.max_commands {
        let mut len = [0u8; 2];
        let read = tokio::select! {
            r = tokio::time::timeout(limits.idle, stream.read_exact(&mut len)) => r,
            () = &mut stopping => return Ok(()),
        };
        let Ok(read) = read else {
            return Ok(()); // idle: close quietly, as RFC 7766 §6.2.3 allows
        };
        read?;
        let mut query = vec![0; usize::from(u16::from_be_bytes(len))];
        tokio::time::timeout(limits.idle, stream.read_exact(&mut query))
            .await
            .map_err(|_| std::io::ErrorKind::TimedOut)??;
        if let Some(reply) = desk.answer(&query, peer_port, false) {
            let Ok(n) = u16::try_from(reply.len()) else {
                continue;
            };
            let mut framed = n.to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            tokio::time::timeout(limits.idle, stream.write_all(&framed))
                .await
                .map_err(|_| std::io::ErrorKind::TimedOut)??;
        }
    }
    Ok(())
}
