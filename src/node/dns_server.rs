//! An authoritative DNS server: answers every query datagram on port 53
//! from its zones, or stays silent when a fault says so.

use crate::dns::{Answer, Authority};
use crate::net::NetHandle;

/// Serves DNS forever (the world ends it).
pub async fn run(net: NetHandle, authority: Authority) {
    let mut socket = net.bind(53);
    while let Some(datagram) = socket.recv_from().await {
        match authority.answer(datagram.data.as_bytes(), net.now().0) {
            Answer::Reply(bytes) => socket.send_to(&bytes, datagram.from.0, datagram.from.1),
            Answer::Drop => {}
        }
    }
}
