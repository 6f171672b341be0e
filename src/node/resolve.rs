//! A host's stub resolver: the sans-IO `dns::Resolver` over a datagram
//! socket, asking the host's configured DNS server. Each lookup and its
//! outcome is also recorded as a fact, so views can show it plainly.

use std::net::IpAddr;

use rand::RngExt;
use tokio::time::Instant;

use crate::dns::{LookupError, QueryType, Record, Resolver, ResolverConfig};
use crate::net::{DatagramSocket, NetHandle};
use crate::trace::{EventKind, ResolvedRest};

pub struct StubResolver {
    net: NetHandle,
    socket: DatagramSocket,
    server: Option<IpAddr>,
    machine: Resolver,
}

impl StubResolver {
    pub fn new(net: &NetHandle, server: Option<IpAddr>) -> StubResolver {
        let seed = net.with_rng(|rng| rng.random::<u64>());
        StubResolver {
            socket: net.bind(0),
            net: net.clone(),
            server,
            machine: Resolver::new(ResolverConfig::default(), seed),
        }
    }

    /// Asks for `name`'s records of `qtype`; NODATA is `Ok(vec![])`.
    pub async fn lookup(
        &mut self,
        name: &str,
        qtype: QueryType,
    ) -> Result<Vec<Record>, LookupError> {
        let Some(server) = self.server else {
            return Err(LookupError::Refused);
        };
        let id = self.machine.lookup(name, qtype, self.net.instant());
        let result = loop {
            while let Some(query) = self.machine.poll_transmit() {
                self.socket.send_to(&query, server, 53);
            }
            if let Some((done, result)) = self.machine.poll_result()
                && done == id
            {
                break result;
            }
            let deadline = self.machine.poll_timeout();
            tokio::select! {
                biased;
                datagram = self.socket.recv_from() => match datagram {
                    Some(d) => self.machine.handle_datagram(d.data.as_bytes(), self.net.instant()),
                    None => break Err(LookupError::Timeout),
                },
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(Instant::from_std(d)).await,
                        None => std::future::pending().await,
                    }
                } => self.machine.handle_timeout(self.net.instant()),
            }
        };
        let outcome = match &result {
            Ok(records) if records.is_empty() => "no records (NODATA)".to_owned(),
            // Written into one String: three lookups a message.
            Ok(records) => {
                use std::fmt::Write as _;
                let mut text = String::with_capacity(64 * records.len());
                for (i, r) in records.iter().enumerate() {
                    if i > 0 {
                        text.push_str("; ");
                    }
                    let _ = write!(text, "{r}");
                }
                // The trace keeps it: no spare room.
                text.shrink_to_fit();
                text
            }
            Err(e) => format!("{e}"),
        };
        self.net.record(EventKind::Resolved {
            host: self.net.host(),
            name: name.to_owned(),
            rest: Box::new(ResolvedRest {
                qtype: qtype.to_string(),
                outcome,
            }),
        });
        result
    }

    /// The addresses of `name`: A records, then AAAA.
    pub async fn addresses(&mut self, name: &str) -> Result<Vec<IpAddr>, LookupError> {
        let mut ips: Vec<IpAddr> = Vec::new();
        let a = self.lookup(name, QueryType::A).await;
        if let Ok(records) = &a {
            ips.extend(records.iter().filter_map(|r| match r.data {
                crate::dns::RecordData::A(ip) => Some(IpAddr::V4(ip)),
                _ => None,
            }));
        }
        if ips.is_empty() {
            let aaaa = self.lookup(name, QueryType::Aaaa).await;
            if let Ok(records) = &aaaa {
                ips.extend(records.iter().filter_map(|r| match r.data {
                    crate::dns::RecordData::Aaaa(ip) => Some(IpAddr::V6(ip)),
                    _ => None,
                }));
            }
            if ips.is_empty() {
                // Report the A lookup's failure: it is the one that matters.
                a?;
                aaaa?;
            }
        }
        Ok(ips)
    }
}

/// The sender-authentication checks ask DNS through the host's resolver:
/// each of their lookups is a query on the world's network.
impl crate::auth::Dns for StubResolver {
    async fn lookup(&mut self, name: &str, qtype: QueryType) -> Result<Vec<Record>, LookupError> {
        StubResolver::lookup(self, name, qtype).await
    }
}
