//! From a parsed file to a `Plan`: every name must point somewhere, every
//! duration and address must parse, and each mistake is reported with its
//! place in the file and, where a likely fix exists, a suggestion.
//!
//! Every check knows where in the file the value it checks was written (a
//! path such as `mtas[1].mailboxes["bob@example.net"]`, resolved by
//! [`SourceMap`]), so the marker lands on that text even when the same name
//! appears elsewhere too. All problems are collected, not just the first.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use super::diagnostic::{Problem, line_of};
use super::duration::parse_duration;
use super::plan::*;
use super::ron::{SourceMap, Step};
use super::schema::{self, Expect, Record, Scenario};
use super::suggest::closest;
use crate::dns::{Fault, FaultKind, Record as DnsRecord, RecordData, Zone};
use crate::smtp::Mailbox;
use crate::trace::Role;

use Step::{Field, FieldName, Item, Key};

/// Checks `scenario` (parsed from `source`) and builds its plan, or lists
/// every problem found.
pub fn validate(scenario: &Scenario, source: &str) -> Result<Plan, Vec<Problem>> {
    let mut v = Validator {
        source,
        map: OnceCell::new(),
        problems: Vec::new(),
        mailboxes: scenario
            .mtas
            .iter()
            .flat_map(|m| m.mailboxes.keys().map(|a| a.to_lowercase()))
            .collect(),
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
    /// Built on the first problem: a good file never needs it.
    map: OnceCell<SourceMap>,
    problems: Vec<Problem>,
    /// Every mailbox of the scenario, for suggestions.
    mailboxes: Vec<String>,
}

/// A host as the scenario file lists it: which list, which item.
#[derive(Clone, Copy)]
struct HostRef<'s> {
    section: &'static str,
    index: usize,
    name: &'s str,
    ip: &'s str,
    role: Role,
    down: &'s [(String, String)],
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Dns => "a DNS server",
        Role::Mta => "an MTA",
        Role::Client => "a client",
        Role::External => "an external host",
    }
}

impl Validator<'_> {
    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::new(self.source))
    }

    /// A problem marking the value at `path` (or the nearest thing around
    /// it that is written in the file).
    fn at(&self, message: impl Into<String>, path: &[Step]) -> Problem {
        let problem = Problem::new(message);
        match self.map().nearest(path) {
            Some((start, end)) => problem.span(self.source, start, end),
            None => problem,
        }
    }

    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The line the value at `path` is written on.
    fn line(&self, path: &[Step]) -> Option<usize> {
        self.map()
            .find(path)
            .map(|(start, _)| line_of(self.source, start))
    }

    fn offset(&self, path: &[Step]) -> usize {
        self.map().find(path).map_or(usize::MAX, |(start, _)| start)
    }

    fn duration(&mut self, text: &str, what: &str, path: &[Step]) -> Duration {
        parse_duration(text).unwrap_or_else(|e| {
            let problem = if e.contains("too") {
                self.at(format!("{what} {text:?} is too long"), path)
                    .help("a scenario runs for days at most: write e.g. \"7d\"")
            } else {
                let general = "a duration is a number and a unit, with no space: \
                               \"150ms\", \"30s\", \"5m\", \"2h\", \"1d\", or a sum like \"1h30m\"";
                let help = match fix_duration(text) {
                    Some(fixed) => format!("did you mean {fixed:?}? A{}", &general[1..]),
                    None => general.to_owned(),
                };
                self.at(format!("{what} {text:?} is not a duration"), path)
                    .help(help)
            };
            self.push(problem);
            Duration::ZERO
        })
    }

    /// `down: [(from, until), ...]` of `owner`, at `path` (the list).
    fn windows(
        &mut self,
        down: &[(String, String)],
        owner: &str,
        path: &[Step],
    ) -> Vec<(Duration, Duration)> {
        down.iter()
            .enumerate()
            .map(|(k, (from, until))| {
                let at = |end: usize| [path, &[Item(k), Item(end)]].concat();
                let a = self.duration(from, "the start of a down window", &at(0));
                let b = self.duration(until, "the end of a down window", &at(1));
                let window = [path, &[Item(k)]].concat();
                let both_parse = parse_duration(from).is_ok() && parse_duration(until).is_ok();
                if both_parse && b == a {
                    let problem = self
                        .at(
                            format!(
                                "the down window ({from:?}, {until:?}) of {owner} ends when it starts, so it lasts no time"
                            ),
                            &window,
                        )
                        .help("write (from, until) with `until` later than `from`, e.g. (\"5m\", \"10m\")");
                    self.push(problem);
                } else if both_parse && b < a {
                    let problem = self
                        .at(
                            format!(
                                "the down window ({from:?}, {until:?}) of {owner} ends before it starts"
                            ),
                            &window,
                        )
                        .help(format!(
                            "write (from, until), the earlier time first: did you mean ({until:?}, {from:?})?"
                        ));
                    self.push(problem);
                }
                (a, b)
            })
            .collect()
    }

    fn mailbox(&mut self, text: &str, what: &str, path: &[Step]) -> String {
        match Mailbox::parse(text) {
            Ok(m) if m.domain().is_some() => text.to_lowercase(),
            _ => {
                let suggestion = self.mailbox_suggestion(text);
                let help = match suggestion {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => "write a full address like \"bob@example.net\"".to_owned(),
                };
                let problem = self
                    .at(format!("{what} {text:?} is not a mail address"), path)
                    .help(help);
                self.push(problem);
                text.to_lowercase()
            }
        }
    }

    /// A mailbox of the scenario that `text` probably meant.
    fn mailbox_suggestion(&self, text: &str) -> Option<String> {
        let text = text.trim().to_lowercase();
        let by_local = (!text.contains('@'))
            .then(|| {
                self.mailboxes
                    .iter()
                    .find(|m| m.split('@').next() == Some(text.as_str()))
            })
            .flatten();
        by_local
            .map(String::as_str)
            .or_else(|| closest(&text, self.mailboxes.iter().map(String::as_str)))
            .map(str::to_owned)
    }

    fn plan(&mut self, s: &Scenario) -> Plan {
        let refs = host_refs(s);
        let mut hosts = self.hosts(&refs);
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.resolvers(s, &refs, &mut hosts);
        let dns = self.dns(s, &hosts);
        let mtas = self.mtas(s, &refs);
        let clients = self.clients(s, &refs, &mtas);
        let links = self.links(s, &names);
        let externals = self.externals(s, &refs);
        self.mx_targets(s, &dns, &refs);
        let expect = s
            .expect
            .iter()
            .enumerate()
            .map(|(k, e)| self.expectation(e, k))
            .collect();
        let start_unix = parse_start(&s.start).unwrap_or_else(|| {
            let problem = self
                .at(format!("the start {:?} is not a date and time", s.start), &[Field("start")])
                .help("write it like \"2026-12-01 09:00:00\": year-month-day hours:minutes:seconds, in UTC");
            self.push(problem);
            0
        });
        Plan {
            title: s.title.clone(),
            about: s.about.clone(),
            seed: s.seed,
            start_unix,
            run_for: self.duration(&s.run_for, "`run_for`", &[Field("run_for")]),
            latency: self.duration(&s.latency, "the latency", &[Field("latency")]),
            hosts,
            dns,
            mtas,
            clients,
            links,
            externals,
            expect,
        }
    }

    fn externals(&mut self, s: &Scenario, refs: &[HostRef]) -> Vec<ExternalPlan> {
        let first = refs.iter().take_while(|h| h.role != Role::External).count();
        let mut out = Vec::new();
        for (i, e) in s.externals.iter().enumerate() {
            match e.address.parse::<std::net::SocketAddr>() {
                Ok(address) => out.push(ExternalPlan {
                    host: first + i,
                    address,
                }),
                Err(_) => {
                    let problem = self
                        .at(
                            format!(
                                "the address {:?} of {} is not an IP address with a port",
                                e.address, e.name
                            ),
                            &[Field("externals"), Item(i), Field("address")],
                        )
                        .help("write where the real server listens, like \"127.0.0.1:8025\"");
                    self.push(problem);
                }
            }
        }
        out
    }

    /// Hosts in plan order: DNS servers, MTAs, clients.
    fn hosts(&mut self, refs: &[HostRef]) -> Vec<PlanHost> {
        let parsed: Vec<Option<IpAddr>> = refs.iter().map(|h| h.ip.parse().ok()).collect();
        let mut hosts: Vec<PlanHost> = Vec::new();
        for (n, h) in refs.iter().enumerate() {
            let name_path = [Field(h.section), Item(h.index), Field("name")];
            let ip_path = [Field(h.section), Item(h.index), Field("ip")];
            if let Some(first) = refs[..n]
                .iter()
                .find(|other| other.name.eq_ignore_ascii_case(h.name))
            {
                let first_path = [Field(first.section), Item(first.index), Field("name")];
                self.duplicate(
                    format!("two hosts are called {:?}", h.name),
                    (&first_path, role_name(first.role)),
                    (&name_path, role_name(h.role)),
                    "give each host its own name".to_owned(),
                );
            }
            let ip = match parsed[n] {
                Some(ip) if is_documentation(ip) => {
                    if let Some(first) = refs[..n]
                        .iter()
                        .zip(&parsed)
                        .find(|(_, other)| **other == Some(ip))
                        .map(|(other, _)| other)
                    {
                        let first_path = [Field(first.section), Item(first.index), Field("ip")];
                        let free = free_address(ip, &parsed);
                        let help = match free {
                            Some(free) => {
                                format!("give each host its own address, e.g. \"{free}\"")
                            }
                            None => "give each host its own address".to_owned(),
                        };
                        self.duplicate(
                            format!("{} and {} share the address {ip}", first.name, h.name),
                            (&first_path, first.name),
                            (&ip_path, h.name),
                            help,
                        );
                    }
                    ip
                }
                Some(ip) => {
                    let free = match ip {
                        IpAddr::V4(v4) => {
                            free_address(IpAddr::from([192, 0, 2, v4.octets()[3].max(1)]), &parsed)
                        }
                        IpAddr::V6(_) => Some("2001:db8::1".parse().unwrap_or(ip)),
                    };
                    let example = free.map_or_else(String::new, |f| format!(", e.g. \"{f}\""));
                    let problem = self
                        .at(
                            format!(
                                "{} has the address {ip}, which is not one of the addresses set aside for documentation",
                                h.name
                            ),
                            &ip_path,
                        )
                        .note("a scenario uses only documentation addresses, so it can never point at a real machine")
                        .help(format!(
                            "use 192.0.2.x, 198.51.100.x, 203.0.113.x (RFC 5737) or 2001:db8::x (RFC 3849){example}"
                        ));
                    self.push(problem);
                    IpAddr::from([192, 0, 2, 1])
                }
                None => {
                    let help = if h.ip.contains(':') {
                        "an IPv6 address looks like \"2001:db8::25\""
                    } else {
                        "an IPv4 address is four numbers from 0 to 255 with dots between, like \"192.0.2.25\""
                    };
                    let problem = self
                        .at(
                            format!("the address {:?} of {} is not an IP address", h.ip, h.name),
                            &ip_path,
                        )
                        .help(help);
                    self.push(problem);
                    IpAddr::from([192, 0, 2, 1])
                }
            };
            if !crate::smtp::address::is_domain(h.name) {
                let problem = self
                    .at(format!("{:?} is not a host name", h.name), &name_path)
                    .help("use letters, digits, `-` and dots, like \"mx.example.net\"");
                self.push(problem);
            }
            let down_path = [Field(h.section), Item(h.index), Field("down")];
            let down = self.windows(h.down, h.name, &down_path);
            hosts.push(PlanHost {
                name: h.name.to_lowercase(),
                ip,
                role: h.role,
                down,
                resolver: None,
            });
        }
        hosts
    }

    /// Reports a value written twice, at the second place in the file, with
    /// a note saying where the first is. `first` and `second` are (path,
    /// what is there).
    fn duplicate(
        &mut self,
        message: String,
        first: (&[Step], &str),
        second: (&[Step], &str),
        help: String,
    ) {
        let (earlier, later) = if self.offset(first.0) <= self.offset(second.0) {
            (first, second)
        } else {
            (second, first)
        };
        let mut problem = self.at(message, later.0).help(help);
        if let Some(line) = self.line(earlier.0) {
            problem = problem.note(format!("the first is {} on line {line}", earlier.1));
        }
        self.push(problem);
    }

    fn resolvers(&mut self, s: &Scenario, refs: &[HostRef], hosts: &mut [PlanHost]) {
        let wanted: Vec<(&str, usize, &str, &Option<String>)> = s
            .mtas
            .iter()
            .enumerate()
            .map(|(i, m)| ("mtas", i, m.name.as_str(), &m.resolver))
            .chain(
                s.clients
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ("clients", i, c.name.as_str(), &c.resolver)),
            )
            .collect();
        if wanted.is_empty() {
            return;
        }
        if s.dns.is_empty() {
            let section = if s.mtas.is_empty() { "clients" } else { "mtas" };
            let problem = self
                .at(
                    "mail hosts need a DNS server to find each other, and this scenario has none",
                    &[FieldName(section)],
                )
                .help(
                    "add one: dns: [(name: \"ns.example.net\", ip: \"192.0.2.53\", \
                     zones: [(origin: \"example.net\", records: [...])])]",
                );
            self.push(problem);
            return;
        }
        let dns_names: Vec<&str> = s.dns.iter().map(|d| d.name.as_str()).collect();
        let default = s.dns[0].name.clone();
        for (section, index, host, chosen) in wanted {
            let resolver = chosen.clone().unwrap_or_else(|| default.clone());
            let ip = hosts
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(&resolver) && h.role == Role::Dns)
                .map(|h| h.ip);
            match ip {
                Some(ip) => {
                    if let Some(h) = hosts.iter_mut().find(|h| h.name.eq_ignore_ascii_case(host)) {
                        h.resolver = Some(ip);
                    }
                }
                None => {
                    let path = [Field(section), Item(index), Field("resolver")];
                    let other = refs.iter().find(|r| r.name.eq_ignore_ascii_case(&resolver));
                    let message = match other {
                        Some(r) => format!(
                            "the resolver of {host}, {resolver:?}, is {}, not a DNS server",
                            role_name(r.role)
                        ),
                        None => format!(
                            "the resolver of {host}, {resolver:?}, is not a DNS server of this scenario"
                        ),
                    };
                    let help = match closest(&resolver, dns_names.iter().copied()) {
                        Some(c) => format!("did you mean {c:?}?"),
                        None => format!("the DNS servers here are: {}", dns_names.join(", ")),
                    };
                    let problem = self.at(message, &path).help(help);
                    self.push(problem);
                }
            }
        }
    }

    fn dns(&mut self, s: &Scenario, hosts: &[PlanHost]) -> Vec<DnsPlan> {
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
                host: i,
                zones: server
                    .zones
                    .iter()
                    .enumerate()
                    .map(|(z, zone)| self.zone(zone, hosts, &origins, i, z))
                    .collect(),
            })
            .collect()
    }

    fn zone(
        &mut self,
        z: &schema::Zone,
        hosts: &[PlanHost],
        origins: &[String],
        server: usize,
        index: usize,
    ) -> Zone {
        let zone_path = [Field("dns"), Item(server), Field("zones"), Item(index)];
        let origin = z.origin.trim_end_matches('.').to_lowercase();
        if !crate::smtp::address::is_domain(&origin) {
            let problem = self
                .at(
                    format!("the zone origin {:?} is not a domain name", z.origin),
                    &[&zone_path[..], &[Field("origin")]].concat(),
                )
                .help("write a domain like \"example.net\"");
            self.push(problem);
        }
        let mut records: Vec<DnsRecord> = z
            .records
            .iter()
            .enumerate()
            .map(|(r, record)| {
                let path = [&zone_path[..], &[Field("records"), Item(r)]].concat();
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
                let path = [&zone_path[..], &[Field("faults"), Item(f)]].concat();
                self.fault(fault, &path)
            })
            .collect();
        Zone {
            origin,
            records,
            faults,
        }
    }

    fn record(
        &mut self,
        r: &Record,
        origin: &str,
        hosts: &[PlanHost],
        origins: &[String],
        path: &[Step],
    ) -> DnsRecord {
        let item = |n: usize| [path, &[Item(n)]].concat();
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

    fn fault(&mut self, f: &schema::DnsFault, path: &[Step]) -> Fault {
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
            from: self.duration(from, "the start of the fault", &field("from")),
            until: until
                .as_ref()
                .map(|u| self.duration(u, "the end of the fault", &field("until"))),
        }
    }

    fn mtas(&mut self, s: &Scenario, refs: &[HostRef]) -> Vec<MtaPlan> {
        let offset = s.dns.len();
        let mta_names: Vec<&str> = s.mtas.iter().map(|m| m.name.as_str()).collect();
        // Which MTA serves which domain, for "move the mailbox there".
        let served_by: BTreeMap<String, &str> = s
            .mtas
            .iter()
            .flat_map(|m| {
                m.domains
                    .iter()
                    .map(|d| (d.trim_end_matches('.').to_lowercase(), m.name.as_str()))
            })
            .collect();
        s.mtas
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let field = |f: &'static str| [Field("mtas"), Item(i), Field(f)];
                let domains: Vec<String> = m
                    .domains
                    .iter()
                    .map(|d| d.trim_end_matches('.').to_lowercase())
                    .collect();
                let mut mailboxes = BTreeMap::new();
                for (written, password) in &m.mailboxes {
                    let path = [Field("mtas"), Item(i), Field("mailboxes"), Key(written)];
                    let address = self.mailbox(written, "the mailbox", &path);
                    let domain = address.rsplit('@').next().unwrap_or_default().to_owned();
                    let local = address.split('@').next().unwrap_or_default();
                    if address.contains('@') && !domains.contains(&domain) {
                        let typo = closest(&domain, domains.iter().map(String::as_str));
                        let help = match (served_by.get(&domain), typo) {
                            (Some(other), _) => {
                                format!("{domain} is served by {other}: move the mailbox there")
                            }
                            (None, Some(typo)) => format!("did you mean \"{local}@{typo}\"?"),
                            (None, None) => {
                                format!("add \"{domain}\" to the domains of {}", m.name)
                            }
                        };
                        let serves = if domains.is_empty() {
                            "it serves no domain".to_owned()
                        } else {
                            format!("it serves {}", domains.join(", "))
                        };
                        let problem = self
                            .at(
                                format!(
                                    "the mailbox {address} is in {domain}, which {} does not serve",
                                    m.name
                                ),
                                &path,
                            )
                            .note(serves)
                            .help(help);
                        self.push(problem);
                    }
                    mailboxes.insert(address, password.clone());
                }
                if let Some(smarthost) = &m.smarthost
                    && !mta_names.iter().any(|n| n.eq_ignore_ascii_case(smarthost))
                {
                    let other = refs.iter().find(|r| r.name.eq_ignore_ascii_case(smarthost));
                    let message = match other {
                        Some(r) => format!(
                            "the smarthost of {}, {smarthost:?}, is {}, not an MTA",
                            m.name,
                            role_name(r.role)
                        ),
                        None => format!(
                            "the smarthost of {}, {smarthost:?}, is not an MTA of this scenario",
                            m.name
                        ),
                    };
                    let help = match closest(smarthost, mta_names.iter().copied()) {
                        Some(c) => format!("did you mean {c:?}?"),
                        None => format!("the MTAs here are: {}", mta_names.join(", ")),
                    };
                    let problem = self.at(message, &field("smarthost")).help(help);
                    self.push(problem);
                }
                let relay_networks = m
                    .relay_networks
                    .iter()
                    .enumerate()
                    .map(|(k, n)| {
                        self.network(
                            n,
                            &[Field("mtas"), Item(i), Field("relay_networks"), Item(k)],
                        )
                    })
                    .collect();
                let retry: Vec<Duration> = m
                    .retry
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        self.duration(
                            r,
                            "the retry wait",
                            &[Field("mtas"), Item(i), Field("retry"), Item(k)],
                        )
                    })
                    .collect();
                if retry.is_empty() {
                    let problem = self
                        .at(
                            format!("{} has an empty retry list", m.name),
                            &field("retry"),
                        )
                        .help("write e.g. retry: [\"5m\", \"30m\"]; the last wait repeats");
                    self.push(problem);
                }
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
                    max_age: self.duration(&m.max_age, "`max_age`", &field("max_age")),
                    greylisting: m
                        .greylisting
                        .as_ref()
                        .map(|g| self.duration(g, "the greylisting delay", &field("greylisting"))),
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

    fn network(&mut self, text: &str, path: &[Step]) -> (IpAddr, u8) {
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
                let problem = self
                    .at(
                        format!("the relay network {text:?} is not an address or address/prefix"),
                        path,
                    )
                    .help(
                        "write e.g. \"192.0.2.0/24\" for a network, or \"192.0.2.10\" for one host",
                    );
                self.push(problem);
                (IpAddr::from([0, 0, 0, 0]), 32)
            }
        }
    }

    fn clients(&mut self, s: &Scenario, refs: &[HostRef], mtas: &[MtaPlan]) -> Vec<ClientPlan> {
        let offset = s.dns.len() + s.mtas.len();
        let mta_names: Vec<&str> = s.mtas.iter().map(|m| m.name.as_str()).collect();
        s.clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let field = |f: &'static str| [Field("clients"), Item(i), Field(f)];
                let account = self.mailbox(&c.account, "the account", &field("account"));
                let server = c.server.to_lowercase();
                match mta_names.iter().position(|n| n.eq_ignore_ascii_case(&server)) {
                    None => {
                        let other = refs.iter().find(|r| r.name.eq_ignore_ascii_case(&server));
                        let message = match other {
                            Some(r) => format!(
                                "the server of {}, {:?}, is {}, not an MTA",
                                c.name,
                                c.server,
                                role_name(r.role)
                            ),
                            None => format!(
                                "the server of {}, {:?}, is not an MTA of this scenario",
                                c.name, c.server
                            ),
                        };
                        // The MTA holding the account's mailbox is the best guess.
                        let holder = mtas
                            .iter()
                            .position(|m| m.mailboxes.contains_key(&account))
                            .map(|m| mta_names[m]);
                        let help = match closest(&server, mta_names.iter().copied()).or(holder) {
                            Some(c) => format!("did you mean {c:?}?"),
                            None if mta_names.is_empty() => {
                                "add an MTA under `mtas` for this client to use".to_owned()
                            }
                            None => format!("the MTAs here are: {}", mta_names.join(", ")),
                        };
                        let problem = self.at(message, &field("server")).help(help);
                        self.push(problem);
                    }
                    Some(m) => {
                        let mta = &mtas[m];
                        if !mta.mailboxes.contains_key(&account) {
                            let elsewhere = mtas
                                .iter()
                                .position(|other| other.mailboxes.contains_key(&account))
                                .map(|other| mta_names[other]);
                            let help = match elsewhere {
                                Some(other) => format!(
                                    "{account} has its mailbox on {other}: did you mean server: {other:?}?"
                                ),
                                None => format!(
                                    "add \"{account}\": \"{}\" to the mailboxes of {server}",
                                    c.password
                                ),
                            };
                            let problem = self
                                .at(
                                    format!(
                                        "{account} has no mailbox on {server}, so this client cannot log in there"
                                    ),
                                    &field("account"),
                                )
                                .help(help);
                            self.push(problem);
                        } else if mta.mailboxes.get(&account) != Some(&c.password) {
                            let problem = self
                                .at(
                                    format!(
                                        "the password of {account} differs from the one its mailbox on {server} has"
                                    ),
                                    &field("password"),
                                )
                                .help(format!(
                                    "use the same password in both places (the client's `password` and the mailboxes of {server})"
                                ));
                            self.push(problem);
                        }
                        if !c.send.is_empty() && !mta.submission {
                            let problem = self
                                .at(
                                    format!(
                                        "{} sends mail through {server}, which has no submission port",
                                        c.name
                                    ),
                                    &field("server"),
                                )
                                .help(format!("set submission: true on {server}"));
                            self.push(problem);
                        }
                    }
                }
                let send = c
                    .send
                    .iter()
                    .enumerate()
                    .map(|(k, m)| {
                        let path = [Field("clients"), Item(i), Field("send"), Item(k)];
                        self.message(m, &c.name, &account, &path)
                    })
                    .collect();
                let fetch = c
                    .fetch
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        self.duration(f, "the fetch time", &[Field("clients"), Item(i), Field("fetch"), Item(k)])
                    })
                    .collect();
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

    fn message(
        &mut self,
        m: &schema::Message,
        sender: &str,
        account: &str,
        path: &[Step],
    ) -> MessagePlan {
        let list = |v: &mut Self, field: &'static str, addrs: &[String]| {
            addrs
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    v.mailbox(
                        a,
                        "the recipient",
                        &[path, &[Field(field), Item(j)]].concat(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let to = list(self, "to", &m.to);
        let cc = list(self, "cc", &m.cc);
        let bcc = list(self, "bcc", &m.bcc);
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            let which = if m.subject.is_empty() {
                format!("a message from {sender}")
            } else {
                format!("the message {:?} from {sender}", m.subject)
            };
            let example = self
                .mailboxes
                .iter()
                .find(|m| *m != account)
                .map_or("bob@example.net", String::as_str);
            let problem = self
                .at(format!("{which} has no recipients"), path)
                .help(format!("add to: [\"{example}\"] (or cc, or bcc)"));
            self.push(problem);
        }
        MessagePlan {
            at: self.duration(&m.at, "the send time", &[path, &[Field("at")]].concat()),
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
            .enumerate()
            .map(|(i, l)| {
                let field = |f: &'static str| [Field("links"), Item(i), Field(f)];
                let end = |v: &mut Self, name: &str, k: usize| {
                    names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(name))
                        .unwrap_or_else(|| {
                            let help = match closest(name, names.iter().copied()) {
                                Some(c) => format!("did you mean {c:?}?"),
                                None => format!("the hosts here are: {}", names.join(", ")),
                            };
                            let problem = v
                                .at(
                                    format!("a link names {name:?}, which is no host of this scenario"),
                                    &[Field("links"), Item(i), Field("between"), Item(k)],
                                )
                                .help(help);
                            v.push(problem);
                            0
                        })
                };
                let a = end(self, &l.between.0, 0);
                let b = end(self, &l.between.1, 1);
                if !(0.0..=1.0).contains(&l.loss) {
                    let problem = self
                        .at(format!("the loss {} is not between 0.0 and 1.0", l.loss), &field("loss"))
                        .help("a loss is a chance: 0.0 loses nothing, 0.25 one datagram in four, 1.0 all");
                    self.push(problem);
                }
                let owner = format!("the link {} – {}", l.between.0, l.between.1);
                LinkPlan {
                    a,
                    b,
                    latency: l
                        .latency
                        .as_ref()
                        .map(|d| self.duration(d, "the latency", &field("latency"))),
                    jitter: l
                        .jitter
                        .as_ref()
                        .map(|d| self.duration(d, "the jitter", &field("jitter"))),
                    loss: l.loss.clamp(0.0, 1.0),
                    down: self.windows(&l.down, &owner, &field("down")),
                }
            })
            .collect()
    }

    /// Every MX must lead to an address (an address with no host behind it
    /// is allowed: it teaches what a dead server looks like).
    fn mx_targets(&mut self, s: &Scenario, dns: &[DnsPlan], refs: &[HostRef]) {
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
                        Field("dns"),
                        Item(i),
                        Field("zones"),
                        Item(z),
                        Field("records"),
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

    fn expectation(&mut self, e: &Expect, k: usize) -> Expectation {
        let path = |f: &'static str| [Field("expect"), Item(k), Field(f)];
        match e {
            Expect::Delivered { to, within } => Expectation::Delivered {
                to: self.mailbox(to, "the expected mailbox", &path("to")),
                within: within
                    .as_ref()
                    .map(|w| self.duration(w, "`within`", &path("within"))),
            },
            Expect::NotDelivered { to } => Expectation::NotDelivered {
                to: self.mailbox(to, "the expected mailbox", &path("to")),
            },
            Expect::Bounced { to, status } => Expectation::Bounced {
                to: self.mailbox(to, "the expected mailbox", &path("to")),
                status: status.clone(),
            },
            Expect::Deferred { at_least } => Expectation::Deferred {
                at_least: *at_least,
            },
            Expect::Hops { exactly } => Expectation::Hops { exactly: *exactly },
            Expect::ReceivedHeaders { mailbox, count } => Expectation::ReceivedHeaders {
                mailbox: self.mailbox(mailbox, "the expected mailbox", &path("mailbox")),
                count: *count,
            },
            Expect::Retrieved { by, at_least } => Expectation::Retrieved {
                by: self.mailbox(by, "the account", &path("by")),
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

/// Every host of the file, in plan order: DNS servers, MTAs, clients,
/// external machines.
fn host_refs(s: &Scenario) -> Vec<HostRef<'_>> {
    let dns = s.dns.iter().enumerate().map(|(index, d)| HostRef {
        section: "dns",
        index,
        name: &d.name,
        ip: &d.ip,
        role: Role::Dns,
        down: &d.down,
    });
    let mtas = s.mtas.iter().enumerate().map(|(index, m)| HostRef {
        section: "mtas",
        index,
        name: &m.name,
        ip: &m.ip,
        role: Role::Mta,
        down: &m.down,
    });
    let clients = s.clients.iter().enumerate().map(|(index, c)| HostRef {
        section: "clients",
        index,
        name: &c.name,
        ip: &c.ip,
        role: Role::Client,
        down: &[],
    });
    let externals = s.externals.iter().enumerate().map(|(index, e)| HostRef {
        section: "externals",
        index,
        name: &e.name,
        ip: &e.ip,
        role: Role::External,
        down: &[],
    });
    dns.chain(mtas).chain(clients).chain(externals).collect()
}

/// A documentation address near `ip` that no host uses.
fn free_address(ip: IpAddr, used: &[Option<IpAddr>]) -> Option<IpAddr> {
    let IpAddr::V4(v4) = ip else {
        return None;
    };
    let [a, b, c, d] = v4.octets();
    (1..255u8)
        .map(|step| IpAddr::from([a, b, c, d.wrapping_add(step - 1).max(1)]))
        .find(|candidate| is_documentation(*candidate) && !used.contains(&Some(*candidate)))
}

/// `"5 minutes"` → `"5m"`, `"1 hour 30 min"` → `"1h30m"`: the duration a
/// teacher probably meant, if there is one.
fn fix_duration(text: &str) -> Option<String> {
    let mut fixed = String::new();
    let mut word = String::new();
    let unit = |word: &str| -> Option<&'static str> {
        Some(match word {
            "ms" | "msec" | "millisecond" | "milliseconds" => "ms",
            "s" | "sec" | "secs" | "second" | "seconds" => "s",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "h" | "hr" | "hrs" | "hour" | "hours" => "h",
            "d" | "day" | "days" => "d",
            "and" | "" => "",
            _ => return None,
        })
    };
    for c in text.trim().to_lowercase().chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        fixed.push_str(unit(&word)?);
        word.clear();
        if c.is_ascii_digit() {
            fixed.push(c);
        } else if !(c.is_whitespace() || c == ',') {
            return None;
        }
    }
    (fixed != text && parse_duration(&fixed).is_ok()).then_some(fixed)
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

    #[test]
    fn durations_written_in_words_are_fixed() {
        assert_eq!(fix_duration("5 minutes").as_deref(), Some("5m"));
        assert_eq!(fix_duration("1 hour 30 mins").as_deref(), Some("1h30m"));
        assert_eq!(fix_duration("30 Seconds").as_deref(), Some("30s"));
        assert_eq!(fix_duration("5m"), None);
        assert_eq!(fix_duration("soon"), None);
        assert_eq!(fix_duration("1.5h"), None);
    }

    #[test]
    fn free_addresses_stay_in_the_documentation_ranges() {
        let used = [Some("192.0.2.25".parse().unwrap())];
        assert_eq!(
            free_address("192.0.2.25".parse().unwrap(), &used),
            Some("192.0.2.26".parse().unwrap())
        );
    }
}
