//! Datagrams, as UDP gives: each may be lost, duplicated or overtaken,
//! and nobody says so. DNS queries and answers travel this way.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;

use tokio::sync::mpsc;

use super::delay::{Pending, SortedInbox};
use super::medium::Medium;
use crate::trace::{EventKind, HostId, Payload, SimTime};

/// A datagram as it arrived.
pub struct Datagram {
    pub data: Payload,
    /// The sender's address and port.
    pub from: (IpAddr, u16),
}

/// How far behind the first a duplicate arrives, at least.
const MOMENT: std::time::Duration = std::time::Duration::from_micros(1);

type Door = mpsc::UnboundedSender<Pending<Datagram>>;

/// The bound datagram ports of one world: the network binds them, a
/// sending socket delivers through them, a dropped socket frees its own.
#[derive(Clone, Default)]
pub(crate) struct Ports(Rc<RefCell<BTreeMap<(HostId, u16), Door>>>);

impl Ports {
    /// Binds `host:port`, replacing whatever was bound there.
    pub(crate) fn bind(
        &self,
        host: HostId,
        port: u16,
    ) -> mpsc::UnboundedReceiver<Pending<Datagram>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.0.borrow_mut().insert((host, port), tx);
        rx
    }

    fn unbind(&self, host: HostId, port: u16) {
        self.0.borrow_mut().remove(&(host, port));
    }

    fn door(&self, host: HostId, port: u16) -> Option<Door> {
        self.0.borrow().get(&(host, port)).cloned()
    }
}

/// A bound port of one host.
pub struct DatagramSocket {
    medium: Rc<Medium>,
    host: HostId,
    port: u16,
    ports: Ports,
    inbox: SortedInbox<Datagram>,
}

impl DatagramSocket {
    /// Binds `host:port` in `ports` and receives what arrives there.
    pub(crate) fn new(medium: Rc<Medium>, ports: Ports, host: HostId, port: u16) -> DatagramSocket {
        let rx = ports.bind(host, port);
        DatagramSocket {
            medium,
            host,
            port,
            ports,
            inbox: SortedInbox::new(rx),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends a datagram; it may be lost (link loss, host or link down, or
    /// nothing bound at the destination), held back by a stall, held back
    /// further so that the next one overtakes it, or arrive twice. It is
    /// tapped either way, with its arrival time if it arrives; a copy the
    /// link made is tapped as a datagram of its own after `Duplicated`.
    pub fn send_to(&self, data: &[u8], ip: IpAddr, port: u16) {
        let medium = &self.medium;
        let Some(to) = medium.host_by_ip(ip) else {
            return;
        };
        let now = medium.now();
        let lost = medium.loses(self.host, to);
        let mut arrives = (!lost && medium.reachable(self.host, to, now))
            .then(|| medium.arrival(self.host, to, SimTime::ZERO));
        if let (Some(_), Some(stall)) = (arrives, medium.stall(self.host, to)) {
            medium.record(EventKind::Stalled {
                from: self.host,
                to,
                conn: None,
                until: stall.until,
            });
        }
        if let Some(first) = arrives
            && medium.reorders(self.host, to)
        {
            let later = medium.held_back(self.host, to, first);
            medium.record(EventKind::Reordered {
                from: self.host,
                to,
                until: later,
            });
            arrives = Some(later);
        }
        let payload = Payload::new(data);
        self.tap_and_deliver(&payload, to, port, arrives);
        if let Some(first) = arrives
            && medium.duplicates(self.host, to)
        {
            medium.record(EventKind::Duplicated {
                from: self.host,
                to,
            });
            let again = medium.arrival(self.host, to, SimTime::from(first.duration() + MOMENT));
            self.tap_and_deliver(&payload, to, port, Some(again));
        }
    }

    fn tap_and_deliver(&self, payload: &Payload, to: HostId, port: u16, arrives: Option<SimTime>) {
        let medium = &self.medium;
        medium.record(EventKind::Datagram {
            from: self.host,
            from_port: self.port,
            to,
            to_port: port,
            arrives,
            data: payload.clone(),
        });
        if let (Some(arrives), Some(door)) = (arrives, self.ports.door(to, port)) {
            let datagram = Datagram {
                data: payload.clone(),
                from: (medium.ip_of(self.host), self.port),
            };
            let _ = door.send(Pending::new(arrives, datagram));
        }
    }

    /// The next datagram for this port. Cancel-safe.
    pub async fn recv_from(&mut self) -> Option<Datagram> {
        self.inbox.next(&self.medium).await
    }
}

impl Drop for DatagramSocket {
    /// Frees the port, so a late answer cannot reach a later socket there.
    fn drop(&mut self) {
        self.ports.unbind(self.host, self.port);
    }
}
