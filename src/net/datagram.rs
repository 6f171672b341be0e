//! Datagrams, as UDP gives: each may be lost, and nobody says so. DNS
//! queries and answers travel this way.

use std::net::IpAddr;

use tokio::sync::mpsc;

use super::network::NetHandle;
use super::pipe::{Inbox, Pending};
use crate::trace::Payload;

/// A datagram as it arrived.
pub struct Datagram {
    pub data: Payload,
    /// The sender's address and port.
    pub from: (IpAddr, u16),
}

/// A bound port of one host.
pub struct DatagramSocket {
    net: NetHandle,
    port: u16,
    inbox: Inbox<Datagram>,
}

impl DatagramSocket {
    pub(crate) fn new(
        net: NetHandle,
        port: u16,
        rx: mpsc::UnboundedReceiver<Pending<Datagram>>,
    ) -> DatagramSocket {
        DatagramSocket {
            net,
            port,
            inbox: Inbox::new(rx),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn send_to(&self, data: &[u8], ip: IpAddr, port: u16) {
        self.net.send_datagram(self.port, ip, port, data);
    }

    /// The next datagram for this port. Cancel-safe.
    pub async fn recv_from(&mut self) -> Option<Datagram> {
        self.inbox.next(&self.net).await
    }
}

impl Drop for DatagramSocket {
    /// Frees the port, so a late answer cannot reach a later socket there.
    fn drop(&mut self) {
        self.net.unbind(self.port);
    }
}
