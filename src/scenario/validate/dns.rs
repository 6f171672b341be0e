//! DNS servers: zones, their records and faults, and every MX leading to
//! an address.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::Validator;
use super::hosts::{HostRef, host_id};
use crate::dns::{Fault, FaultKind, Record as DnsRecord, RecordData, Zone};
use crate::plan::{DnsPlan, PlanHost};
use crate::scenario::ron::Step::{self, Field, Item};
use crate::scenario::schema::{self, Record, Scenario};
use crate::scenario::suggest::closest;

impl Validator<'_> {
    pub(super) fn dns(&mut self, s: &Scenario, hosts: &[PlanHost]) -> Vec<DnsPlan> {
        let origins: Vec<String> = s
            .dns
            .iter()
            .flat_map(|d| d.zones.iter())
            .map(|z| z.origin.trim_end_matches('.').to_lowercase())
            .collect();
        s.dns
            .iter()
            .enumerate()
            .map(|(i, server)| DnsPlan {
                host: host_id(i),
                zones: server
                    .zones
                    .iter()
                    .enumerate()
                    .map(|(z, zone)| self.zone(zone, hosts, &origins, i, z))
                    .collect(),
            })
            .collect()
    }

    pub(super) fn zone(
        &mut self,
        z: &schema::Zone,
        hosts: &[PlanHost],
        origins: &[String],
        server: usize,
        index: usize,
    ) -> Zone {
        let zone_path = [
            Field(name!(Scenario.dns)),
            Item(server),
            Field(name!(DnsServer.zones)),
            Item(index),
        ];
        let origin = z.origin.trim_end_matches('.').to_lowercase();
        if !crate::smtp::address::is_domain(&origin) {
            let problem = self
                .at(
                    format!("the zone origin {:?} is not a domain name", z.origin),
                    &[&zone_path[..], &[Field(name!(Zone.origin))]].concat(),
                )
                .help("write a domain like \"example.net\"");
            self.push(problem);
        }
        let mut records: Vec<DnsRecord> = z
            .records
            .iter()
            .enumerate()
            .map(|(r, record)| {
                let path = [&zone_path[..], &[Field(name!(Zone.records)), Item(r)]].concat();
                self.record(record, &origin, hosts, origins, &path)
            })
            .collect();
        // Hosts inside the zone are published automatically.
        for host in hosts {
            let inside = host.name == origin || host.name.ends_with(&format!(".{origin}"));
            let listed = records.iter().any(|r| {
                r.name.eq_ignore_ascii_case(&host.name)
                    && matches!(
                        r.data,
                        RecordData::A(_) | RecordData::Aaaa(_) | RecordData::Cname(_)
                    )
            });
            if inside && !listed {
                let data = match host.ip {
                    IpAddr::V4(v4) => RecordData::A(v4),
                    IpAddr::V6(v6) => RecordData::Aaaa(v6),
                };
                records.push(DnsRecord {
                    name: host.name.clone(),
                    ttl: 300,
                    data,
                });
            }
        }
        let faults = z
            .faults
            .iter()
            .enumerate()
            .map(|(f, fault)| {
                let path = [&zone_path[..], &[Field(name!(Zone.faults)), Item(f)]].concat();
                self.fault(fault, &path)
            })
            .collect();
        Zone {
            origin,
            records,
            faults,
        }
    }

    pub(super) fn record(
        &mut self,
        r: &Record,
        origin: &str,
        hosts: &[PlanHost],
        origins: &[String],
        path: &[Step],
    ) -> DnsRecord {
        let item = |n: usize| [path, &[Item(n)]].concat();
        // The owner of a record a helper places (`_dmarc.example.org`).
        let owner: String;
        let (name, data) = match r {
            Record::Mx(name, preference, exchange) => (
                name,
                RecordData::Mx {
                    preference: *preference,
                    exchange: exchange.trim_end_matches('.').to_lowercase(),
                },
            ),
            Record::NullMx(name) => (
                name,
                RecordData::Mx {
                    preference: 0,
                    exchange: ".".into(),
                },
            ),
            Record::A(name, ip) => match ip.parse() {
                Ok(ip) => (name, RecordData::A(ip)),
                Err(_) => {
                    let problem = self
                        .at(
                            format!("the A record of {name} needs an IPv4 address, not {ip:?}"),
                            &item(1),
                        )
                        .help(if ip.contains(':') {
                            "an IPv6 address goes in an Aaaa record: Aaaa(\"mx.example.net\", \"2001:db8::25\")"
                        } else {
                            "an IPv4 address is four numbers from 0 to 255 with dots between, like \"192.0.2.25\""
                        });
                    self.push(problem);
                    (name, RecordData::A([192, 0, 2, 1].into()))
                }
            },
            Record::Aaaa(name, ip) => match ip.parse() {
                Ok(ip) => (name, RecordData::Aaaa(ip)),
                Err(_) => {
                    let problem = self
                        .at(
                            format!("the AAAA record of {name} needs an IPv6 address, not {ip:?}"),
                            &item(1),
                        )
                        .help(if ip.contains('.') && !ip.contains(':') {
                            "an IPv4 address goes in an A record: A(\"mx.example.net\", \"192.0.2.25\")"
                        } else {
                            "an IPv6 address looks like \"2001:db8::25\""
                        });
                    self.push(problem);
                    (
                        name,
                        RecordData::Aaaa(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                    )
                }
            },
            Record::Txt(name, text) => (name, RecordData::Txt(text.clone())),
            Record::Cname(name, target) => (
                name,
                RecordData::Cname(target.trim_end_matches('.').to_lowercase()),
            ),
            Record::Spf(..) | Record::Dmarc(..) | Record::DkimKey { .. } => {
                let data;
                (owner, data) = self.auth_record(r, path);
                (&owner, data)
            }
        };
        let written = name;
        let name = name.trim_end_matches('.').to_lowercase();
        if name != origin && !name.ends_with(&format!(".{origin}")) {
            let inside = |o: &String| name == *o || name.ends_with(&format!(".{o}"));
            // A typo of a name that belongs here, or a record in the wrong zone.
            let known: Vec<&str> = std::iter::once(origin)
                .chain(
                    hosts
                        .iter()
                        .map(|h| h.name.as_str())
                        .filter(|h| h.ends_with(&format!(".{origin}"))),
                )
                .collect();
            let help = match (
                closest(&name, known.iter().copied()),
                origins.iter().find(|o| inside(o)),
            ) {
                (Some(typo), _) if typo == origin => format!(
                    "the record's name and the zone's origin {origin:?} differ by a letter or two: one of them is misspelt"
                ),
                (Some(typo), _) => format!("did you mean {typo:?}?"),
                (None, Some(other)) => format!("move it into the zone {other:?}"),
                (None, None) => format!(
                    "a zone holds only names ending in {origin}; add a zone for {name} or fix the name"
                ),
            };
            let problem = self
                .at(
                    format!("the record for {written:?} lies outside its zone {origin:?}"),
                    &item(0),
                )
                .help(help);
            self.push(problem);
        }
        DnsRecord {
            name,
            ttl: 300,
            data,
        }
    }

    pub(super) fn fault(&mut self, f: &schema::DnsFault, path: &[Step]) -> Fault {
        let (kind, name, from, until) = match f {
            schema::DnsFault::ServFail { name, from, until } => {
                (FaultKind::ServFail, name, from, until)
            }
            schema::DnsFault::NxDomain { name, from, until } => {
                (FaultKind::NxDomain, name, from, until)
            }
            schema::DnsFault::NoAnswer { name, from, until } => {
                (FaultKind::NoAnswer, name, from, until)
            }
        };
        let field = |f: &'static str| [path, &[Field(f)]].concat();
        Fault {
            name: name
                .as_ref()
                .map(|n| n.trim_end_matches('.').to_lowercase()),
            kind,
            from: self.duration(
                from,
                "the start of the fault",
                &field(name!(DnsFault::ServFail.from)),
            ),
            until: until.as_ref().map(|u| {
                self.duration(
                    u,
                    "the end of the fault",
                    &field(name!(DnsFault::ServFail.until)),
                )
            }),
        }
    }

    /// Every MX must lead to an address (an address with no host behind it
    /// is allowed: it teaches what a dead server looks like).
    pub(super) fn mx_targets(&mut self, s: &Scenario, dns: &[DnsPlan], refs: &[HostRef]) {
        let named: BTreeSet<&str> = dns
            .iter()
            .flat_map(|d| d.zones.iter().flat_map(|z| z.records.iter()))
            .filter(|r| {
                matches!(
                    r.data,
                    RecordData::A(_) | RecordData::Aaaa(_) | RecordData::Cname(_)
                )
            })
            .map(|r| r.name.as_str())
            .collect();
        for (i, server) in s.dns.iter().enumerate() {
            for (z, zone) in server.zones.iter().enumerate() {
                for (r, record) in zone.records.iter().enumerate() {
                    let Record::Mx(domain, _, exchange) = record else {
                        continue;
                    };
                    let exchange = exchange.trim_end_matches('.').to_lowercase();
                    if exchange == "." || named.contains(exchange.as_str()) {
                        continue;
                    }
                    let path = [
                        Field(name!(Scenario.dns)),
                        Item(i),
                        Field(name!(DnsServer.zones)),
                        Item(z),
                        Field(name!(Zone.records)),
                        Item(r),
                        Item(2),
                    ];
                    let host = refs.iter().find(|h| h.name.eq_ignore_ascii_case(&exchange));
                    let parent = exchange.split_once('.').map_or("", |(_, p)| p);
                    let help = match (closest(&exchange, named.iter().copied()), host) {
                        (Some(c), _) => format!("did you mean {c:?}?"),
                        (None, Some(_)) => format!(
                            "{exchange} is a host here, but no zone holds its name: add a zone with origin {parent:?}"
                        ),
                        (None, None) => format!(
                            "add a host called {exchange:?}, or a record A({exchange:?}, \"192.0.2.x\")"
                        ),
                    };
                    let domain = domain.trim_end_matches('.').to_lowercase();
                    let problem = if exchange.is_empty() {
                        self.at(format!("the MX of {domain} names no host"), &path)
                            .help(format!(
                                "name its mail host, or write NullMx({domain:?}) for a domain that takes no mail (RFC 7505)"
                            ))
                    } else {
                        self.at(
                            format!(
                                "the MX of {domain} points to {exchange}, which has no address in DNS"
                            ),
                            &path,
                        )
                        .help(help)
                    };
                    self.push(problem);
                }
            }
        }
    }
}
