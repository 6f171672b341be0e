//! From a parsed file to a `Plan`: every name must point somewhere, every
//! duration and address must parse, and each mistake is reported with its
//! place in the file and, where a likely fix exists, a suggestion.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use super::duration::parse_duration;
use super::error::{Problem, closest};
use super::plan::*;
use super::schema::{self, Expect, Record, Scenario};
use crate::dns::{Fault, FaultKind, Record as DnsRecord, RecordData, Zone};
use crate::smtp::Mailbox;
use crate::trace::Role;

/// Checks `scenario` (parsed from `source`) and builds its plan, or lists
/// every problem found.
pub fn validate(scenario: &Scenario, source: &str) -> Result<Plan, Vec<Problem>> {
    let mut v = Validator {
        source,
        problems: Vec::new(),
    };
    let plan = v.plan(scenario);
    if v.problems.is_empty() {
        Ok(plan)
    } else {
        Err(v.problems)
    }
}

struct Validator<'a> {
    source: &'a str,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn problem(&mut self, message: String, near: &str, help: Option<String>) {
        let mut p = Problem::new(message).near(self.source, near);
        p.help = help;
        self.problems.push(p);
    }

    fn duration(&mut self, text: &str, what: &str) -> Duration {
        parse_duration(text).unwrap_or_else(|e| {
            self.problem(format!("{what}: {e}"), text, None);
            Duration::ZERO
        })
    }

    fn windows(&mut self, down: &[(String, String)]) -> Vec<(Duration, Duration)> {
        down.iter()
            .map(|(from, until)| {
                let (a, b) = (
                    self.duration(from, "down from"),
                    self.duration(until, "down until"),
                );
                if b <= a {
                    self.problem(
                        format!("down window ({from:?}, {until:?}) ends before it starts"),
                        from,
                        None,
                    );
                }
                (a, b)
            })
            .collect()
    }

    fn ip(&mut self, text: &str, host: &str) -> IpAddr {
        match text.parse::<IpAddr>() {
            Ok(ip) if is_documentation(ip) => ip,
            Ok(_) => {
                self.problem(
                    format!("{host} has address {text}, outside the documentation ranges"),
                    text,
                    Some("use 192.0.2.x, 198.51.100.x, 203.0.113.x or 2001:db8::x (RFC 5737, RFC 3849)".into()),
                );
                IpAddr::from([192, 0, 2, 1])
            }
            Err(_) => {
                self.problem(
                    format!("{host} has {text:?}, which is not an IP address"),
                    text,
                    None,
                );
                IpAddr::from([192, 0, 2, 1])
            }
        }
    }

    fn mailbox(&mut self, text: &str, what: &str) -> String {
        match Mailbox::parse(text) {
            Ok(m) if m.domain().is_some() => text.to_lowercase(),
            _ => {
                self.problem(
                    format!("{what} {text:?} is not a mail address"),
                    text,
                    Some("write it like \"bob@example.net\"".into()),
                );
                text.to_lowercase()
            }
        }
    }

    fn plan(&mut self, s: &Scenario) -> Plan {
        let mut hosts = self.hosts(s);
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let dns_names: Vec<&str> = s.dns.iter().map(|d| d.name.as_str()).collect();
        let mta_names: Vec<&str> = s.mtas.iter().map(|m| m.name.as_str()).collect();
        self.resolvers(s, &mut hosts, &dns_names);
        let dns = self.dns(s, &hosts);
        let mtas = self.mtas(s, &hosts, &mta_names);
        let clients = self.clients(s, &hosts, &mtas, &mta_names);
        let links = self.links(s, &names);
        self.mx_targets(&dns);
        let expect = s.expect.iter().map(|e| self.expectation(e)).collect();
        Plan {
            title: s.title.clone(),
            about: s.about.clone(),
            seed: s.seed,
            start_unix: parse_start(&s.start).unwrap_or_else(|| {
                self.problem(
                    format!("start {:?} is not a date", s.start),
                    &s.start,
                    Some("write it like \"2026-12-01 09:00:00\" (UTC)".into()),
                );
                0
            }),
            run_for: self.duration(&s.run_for, "run_for"),
            latency: self.duration(&s.latency, "latency"),
            hosts,
            dns,
            mtas,
            clients,
            links,
            expect,
        }
    }

    /// Hosts in file order: DNS servers, MTAs, clients.
    fn hosts(&mut self, s: &Scenario) -> Vec<PlanHost> {
        let mut hosts: Vec<PlanHost> = Vec::new();
        let mut add =
            |v: &mut Self, name: &str, ip: &str, role: Role, down: &[(String, String)]| {
                if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
                    v.problem(
                        format!("two hosts are called {name:?}"),
                        name,
                        Some("give each host its own name".into()),
                    );
                }
                let ip = v.ip(ip, name);
                if let Some(other) = hosts.iter().find(|h| h.ip == ip) {
                    v.problem(
                        format!("{name} and {} share the address {ip}", other.name),
                        &ip.to_string(),
                        None,
                    );
                }
                if !crate::smtp::address::is_domain(name) {
                    v.problem(
                        format!("{name:?} is not a host name"),
                        name,
                        Some("use a name like \"mx.example.net\"".into()),
                    );
                }
                let down = v.windows(down);
                hosts.push(PlanHost {
                    name: name.to_lowercase(),
                    ip,
                    role,
                    down,
                    resolver: None,
                });
            };
        for d in &s.dns {
            add(self, &d.name, &d.ip, Role::Dns, &d.down);
        }
        for m in &s.mtas {
            add(self, &m.name, &m.ip, Role::Mta, &m.down);
        }
        for c in &s.clients {
            add(self, &c.name, &c.ip, Role::Client, &[]);
        }
        hosts
    }

    fn resolvers(&mut self, s: &Scenario, hosts: &mut [PlanHost], dns_names: &[&str]) {
        let wanted = s
            .mtas
            .iter()
            .map(|m| (&m.name, &m.resolver))
            .chain(s.clients.iter().map(|c| (&c.name, &c.resolver)));
        let default = s.dns.first().map(|d| d.name.clone());
        let mut needs_dns = false;
        let choices: Vec<(String, Option<String>)> = wanted
            .map(|(host, chosen)| {
                needs_dns = true;
                (
                    host.to_lowercase(),
                    chosen.clone().or_else(|| default.clone()),
                )
            })
            .collect();
        if needs_dns && s.dns.is_empty() {
            self.problems.push(
                Problem::new("mail hosts need a DNS server to find each other, and this scenario has none")
                    .help("add dns: [DnsServer(name: \"ns.example.net\", ip: \"192.0.2.53\", zones: [...])]"),
            );
            return;
        }
        for (host, resolver) in choices {
            let Some(resolver) = resolver else { continue };
            let ip = hosts
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(&resolver) && h.role == Role::Dns)
                .map(|h| h.ip);
            match ip {
                Some(ip) => {
                    if let Some(h) = hosts.iter_mut().find(|h| h.name == host) {
                        h.resolver = Some(ip);
                    }
                }
                None => {
                    let help = closest(&resolver, dns_names.iter().copied())
                        .map(|c| format!("did you mean {c:?}?"));
                    self.problem(
                        format!(
                            "resolver {resolver:?} of {host} is not a DNS server of this scenario"
                        ),
                        &resolver,
                        help,
                    );
                }
            }
        }
    }

    fn dns(&mut self, s: &Scenario, hosts: &[PlanHost]) -> Vec<DnsPlan> {
        s.dns
            .iter()
            .enumerate()
            .map(|(i, server)| DnsPlan {
                host: i,
                zones: server.zones.iter().map(|z| self.zone(z, hosts)).collect(),
            })
            .collect()
    }

    fn zone(&mut self, z: &schema::Zone, hosts: &[PlanHost]) -> Zone {
        let origin = z.origin.trim_end_matches('.').to_lowercase();
        if !crate::smtp::address::is_domain(&origin) {
            self.problem(
                format!("zone origin {:?} is not a domain name", z.origin),
                &z.origin,
                None,
            );
        }
        let mut records: Vec<DnsRecord> =
            z.records.iter().map(|r| self.record(r, &origin)).collect();
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
        let faults = z.faults.iter().map(|f| self.fault(f)).collect();
        Zone {
            origin,
            records,
            faults,
        }
    }

    fn record(&mut self, r: &Record, origin: &str) -> DnsRecord {
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
                    self.problem(
                        format!("A record of {name} needs an IPv4 address, not {ip:?}"),
                        ip,
                        None,
                    );
                    (name, RecordData::A([192, 0, 2, 1].into()))
                }
            },
            Record::Aaaa(name, ip) => match ip.parse() {
                Ok(ip) => (name, RecordData::Aaaa(ip)),
                Err(_) => {
                    self.problem(
                        format!("AAAA record of {name} needs an IPv6 address, not {ip:?}"),
                        ip,
                        None,
                    );
                    (
                        name,
                        RecordData::Aaaa(
                            "2001:db8::1"
                                .parse()
                                .unwrap_or(std::net::Ipv6Addr::LOCALHOST),
                        ),
                    )
                }
            },
            Record::Txt(name, text) => (name, RecordData::Txt(text.clone())),
            Record::Cname(name, target) => (
                name,
                RecordData::Cname(target.trim_end_matches('.').to_lowercase()),
            ),
        };
        let name = name.trim_end_matches('.').to_lowercase();
        if name != origin && !name.ends_with(&format!(".{origin}")) {
            self.problem(
                format!("record {name:?} lies outside its zone {origin:?}"),
                &name,
                Some(format!(
                    "put it in a zone whose origin is a parent of {name}"
                )),
            );
        }
        DnsRecord {
            name,
            ttl: 300,
            data,
        }
    }

    fn fault(&mut self, f: &schema::DnsFault) -> Fault {
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
        Fault {
            name: name
                .as_ref()
                .map(|n| n.trim_end_matches('.').to_lowercase()),
            kind,
            from: self.duration(from, "fault from"),
            until: until.as_ref().map(|u| self.duration(u, "fault until")),
        }
    }

    fn mtas(&mut self, s: &Scenario, hosts: &[PlanHost], mta_names: &[&str]) -> Vec<MtaPlan> {
        let offset = s.dns.len();
        let all_domains: BTreeSet<String> = s
            .mtas
            .iter()
            .flat_map(|m| m.domains.iter().map(|d| d.to_lowercase()))
            .collect();
        s.mtas
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let domains: Vec<String> = m
                    .domains
                    .iter()
                    .map(|d| d.trim_end_matches('.').to_lowercase())
                    .collect();
                let mut mailboxes = BTreeMap::new();
                for (address, password) in &m.mailboxes {
                    let address = self.mailbox(address, "mailbox");
                    let domain = address.rsplit('@').next().unwrap_or_default().to_owned();
                    if !domains.contains(&domain) {
                        let help = if all_domains.contains(&domain) {
                            format!("{domain} is served by another MTA; move the mailbox there")
                        } else {
                            format!("add {domain:?} to the domains of {}", m.name)
                        };
                        self.problem(
                            format!(
                                "mailbox {address} is in {domain}, which {} does not serve",
                                m.name
                            ),
                            &address,
                            Some(help),
                        );
                    }
                    mailboxes.insert(address, password.clone());
                }
                if let Some(smarthost) = &m.smarthost
                    && !mta_names.iter().any(|n| n.eq_ignore_ascii_case(smarthost))
                {
                    let help = closest(smarthost, mta_names.iter().copied())
                        .map(|c| format!("did you mean {c:?}?"));
                    self.problem(
                        format!(
                            "smarthost {smarthost:?} of {} is not an MTA of this scenario",
                            m.name
                        ),
                        smarthost,
                        help,
                    );
                }
                let relay_networks = m.relay_networks.iter().map(|n| self.network(n)).collect();
                let retry: Vec<Duration> =
                    m.retry.iter().map(|r| self.duration(r, "retry")).collect();
                if retry.is_empty() {
                    self.problem(
                        format!("{} has an empty retry list", m.name),
                        &m.name,
                        Some("write e.g. retry: [\"5m\", \"30m\"]".into()),
                    );
                }
                let _ = hosts;
                MtaPlan {
                    host: offset + i,
                    domains,
                    mailboxes,
                    submission: m.submission,
                    relay_networks,
                    relay_domains: m
                        .relay_domains
                        .iter()
                        .map(|d| d.trim_end_matches('.').to_lowercase())
                        .collect(),
                    smarthost: m.smarthost.as_ref().map(|h| h.to_lowercase()),
                    retry,
                    max_age: self.duration(&m.max_age, "max_age"),
                    greylisting: m
                        .greylisting
                        .as_ref()
                        .map(|g| self.duration(g, "greylisting")),
                    max_size: m.max_size,
                    max_recipients: m.max_recipients.max(1),
                    quota: m.quota,
                    max_hops: m.max_hops,
                    pipelining: m.pipelining,
                    keep_bare_line_endings: m.keep_bare_line_endings,
                }
            })
            .collect()
    }

    fn network(&mut self, text: &str) -> (IpAddr, u8) {
        let (ip, prefix) = text.split_once('/').unwrap_or((text, ""));
        let ip: Option<IpAddr> = ip.parse().ok();
        let max = if matches!(ip, Some(IpAddr::V6(_))) {
            128
        } else {
            32
        };
        let prefix = if prefix.is_empty() {
            Some(max)
        } else {
            prefix.parse().ok().filter(|p| *p <= max)
        };
        match (ip, prefix) {
            (Some(ip), Some(prefix)) => (ip, prefix),
            _ => {
                self.problem(
                    format!("relay network {text:?} is not an address or address/prefix"),
                    text,
                    Some("write e.g. \"192.0.2.0/24\"".into()),
                );
                (IpAddr::from([0, 0, 0, 0]), 32)
            }
        }
    }

    fn clients(
        &mut self,
        s: &Scenario,
        hosts: &[PlanHost],
        mtas: &[MtaPlan],
        mta_names: &[&str],
    ) -> Vec<ClientPlan> {
        let offset = s.dns.len() + s.mtas.len();
        let _ = hosts;
        s.clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let account = self.mailbox(&c.account, "account");
                let server = c.server.to_lowercase();
                match mta_names.iter().position(|n| n.eq_ignore_ascii_case(&server)) {
                    None => {
                        let help = closest(&server, mta_names.iter().copied()).map(|c| format!("did you mean {c:?}?"));
                        self.problem(format!("server {:?} of {} is not an MTA of this scenario", c.server, c.name), &c.server, help);
                    }
                    Some(m) => {
                        let mta = &mtas[m];
                        if !mta.mailboxes.contains_key(&account) {
                            self.problem(
                                format!("{account} has no mailbox on {server}, so it cannot log in there"),
                                &c.account,
                                Some(format!("add \"{account}\": \"{}\" to the mailboxes of {server}", c.password)),
                            );
                        } else if mta.mailboxes.get(&account) != Some(&c.password) {
                            self.problem(format!("the password of {account} differs from its mailbox's on {server}"), &c.password, None);
                        }
                        if !c.send.is_empty() && !mta.submission {
                            self.problem(
                                format!("{} sends mail through {server}, which has no submission port", c.name),
                                &c.server,
                                Some(format!("set submission: true on {server}")),
                            );
                        }
                    }
                }
                let send = c.send.iter().map(|m| self.message(m)).collect();
                let fetch = c.fetch.iter().map(|f| self.duration(f, "fetch")).collect();
                ClientPlan {
                    host: offset + i,
                    account,
                    password: c.password.clone(),
                    server,
                    send,
                    fetch,
                    keep_on_server: c.keep_on_server,
                    pipelining: c.pipelining,
                }
            })
            .collect()
    }

    fn message(&mut self, m: &schema::Message) -> MessagePlan {
        let list = |v: &mut Self, addrs: &[String]| {
            addrs
                .iter()
                .map(|a| v.mailbox(a, "recipient"))
                .collect::<Vec<_>>()
        };
        let to = list(self, &m.to);
        let cc = list(self, &m.cc);
        let bcc = list(self, &m.bcc);
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            self.problem(
                "a message has no recipients".into(),
                &m.subject,
                Some("add to: [\"bob@example.net\"]".into()),
            );
        }
        MessagePlan {
            at: self.duration(&m.at, "at"),
            to,
            cc,
            bcc,
            subject: m.subject.clone(),
            body: m.body.clone(),
            raw: m.raw.clone(),
        }
    }

    fn links(&mut self, s: &Scenario, names: &[&str]) -> Vec<LinkPlan> {
        s.links
            .iter()
            .map(|l| {
                let end = |v: &mut Self, name: &str| {
                    names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(name))
                        .unwrap_or_else(|| {
                            let help = closest(name, names.iter().copied())
                                .map(|c| format!("did you mean {c:?}?"));
                            v.problem(
                                format!("link names {name:?}, which is no host of this scenario"),
                                name,
                                help,
                            );
                            0
                        })
                };
                let a = end(self, &l.between.0);
                let b = end(self, &l.between.1);
                if !(0.0..=1.0).contains(&l.loss) {
                    self.problem(
                        format!("loss {} is not between 0.0 and 1.0", l.loss),
                        "loss",
                        None,
                    );
                }
                LinkPlan {
                    a,
                    b,
                    latency: l.latency.as_ref().map(|d| self.duration(d, "latency")),
                    jitter: l.jitter.as_ref().map(|d| self.duration(d, "jitter")),
                    loss: l.loss.clamp(0.0, 1.0),
                    down: self.windows(&l.down),
                }
            })
            .collect()
    }

    /// Every MX must lead to an address (an address with no host behind it
    /// is allowed: it teaches what a dead server looks like).
    fn mx_targets(&mut self, dns: &[DnsPlan]) {
        let records: Vec<&DnsRecord> = dns
            .iter()
            .flat_map(|d| d.zones.iter().flat_map(|z| z.records.iter()))
            .collect();
        let named: Vec<&str> = records
            .iter()
            .filter(|r| {
                matches!(
                    r.data,
                    RecordData::A(_) | RecordData::Aaaa(_) | RecordData::Cname(_)
                )
            })
            .map(|r| r.name.as_str())
            .collect();
        for r in &records {
            match &r.data {
                RecordData::Mx { exchange, .. }
                    if exchange != "." && !named.contains(&exchange.as_str()) =>
                {
                    let help = closest(exchange, named.iter().copied())
                        .map(|c| format!("did you mean {c:?}?"));
                    self.problem(
                        format!(
                            "the MX of {} points to {exchange}, which has no address in DNS",
                            r.name
                        ),
                        exchange,
                        help.or(Some(format!(
                            "add A(\"{exchange}\", \"...\") or a host with that name"
                        ))),
                    );
                }
                _ => {}
            }
        }
    }

    fn expectation(&mut self, e: &Expect) -> Expectation {
        match e {
            Expect::Delivered { to, within } => Expectation::Delivered {
                to: self.mailbox(to, "expected mailbox"),
                within: within.as_ref().map(|w| self.duration(w, "within")),
            },
            Expect::NotDelivered { to } => Expectation::NotDelivered {
                to: self.mailbox(to, "expected mailbox"),
            },
            Expect::Bounced { to, status } => Expectation::Bounced {
                to: self.mailbox(to, "expected mailbox"),
                status: status.clone(),
            },
            Expect::Deferred { at_least } => Expectation::Deferred {
                at_least: *at_least,
            },
            Expect::Hops { exactly } => Expectation::Hops { exactly: *exactly },
            Expect::ReceivedHeaders { mailbox, count } => Expectation::ReceivedHeaders {
                mailbox: self.mailbox(mailbox, "expected mailbox"),
                count: *count,
            },
            Expect::Retrieved { by, at_least } => Expectation::Retrieved {
                by: self.mailbox(by, "account"),
                at_least: *at_least,
            },
            Expect::Reply { code, status } => Expectation::Reply {
                code: *code,
                status: status.clone(),
            },
            Expect::LoopDetected => Expectation::LoopDetected,
            Expect::Expired => Expectation::Expired,
        }
    }
}

/// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849).
fn is_documentation(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => matches!(
            v4.octets(),
            [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]
        ),
        IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0x0db8],
    }
}

/// `"2026-12-01 09:00:00"` (UTC) to Unix seconds.
fn parse_start(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_dates() {
        assert_eq!(parse_start("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_start("2000-03-01 00:00:00"), Some(951_868_800));
        assert_eq!(parse_start("2026-12-01T09:00:00Z"), Some(1_796_115_600));
        assert_eq!(parse_start("2026-13-01 00:00:00"), None);
        assert_eq!(parse_start("yesterday"), None);
    }

    #[test]
    fn documentation_ranges_rfc5737() {
        assert!(is_documentation("203.0.113.7".parse().unwrap()));
        assert!(is_documentation("2001:db8::25".parse().unwrap()));
        assert!(!is_documentation("10.0.0.1".parse().unwrap()));
    }
}
