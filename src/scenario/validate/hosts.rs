//! The hosts of every section: names and addresses unique and well
//! formed, the resolvers they ask, and the real machines outside.

use std::net::IpAddr;

use super::Validator;
use crate::plan::{ExternalPlan, PlanHost};
use crate::scenario::ron::Step::{Field, FieldName, Item};
use crate::scenario::schema::Scenario;
use crate::scenario::suggest::closest;
use crate::trace::{HostId, Role};

/// A host as the scenario file lists it: which list, which item.
#[derive(Clone, Copy)]
pub(super) struct HostRef<'s> {
    pub(super) section: &'static str,
    pub(super) index: usize,
    pub(super) name: &'s str,
    pub(super) ip: &'s str,
    pub(super) role: Role,
    pub(super) down: &'s [(String, String)],
    pub(super) label: Option<&'s str>,
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Dns => "a DNS server",
        Role::Mta => "an MTA",
        Role::Client => "a client",
        Role::External => "an external host",
    }
}

impl Validator<'_> {
    pub(super) fn externals(&mut self, s: &Scenario, refs: &[HostRef]) -> Vec<ExternalPlan> {
        let first = refs.iter().take_while(|h| h.role != Role::External).count();
        let mut out = Vec::new();
        for (i, e) in s.externals.iter().enumerate() {
            match e.address.parse::<std::net::SocketAddr>() {
                Ok(address) => out.push(ExternalPlan {
                    host: host_id(first + i),
                    address,
                }),
                Err(_) => {
                    let problem = self
                        .at(
                            format!(
                                "the address {:?} of {} is not an IP address with a port",
                                e.address, e.name
                            ),
                            &[
                                Field(name!(Scenario.externals)),
                                Item(i),
                                Field(name!(External.address)),
                            ],
                        )
                        .help("write where the real server listens, like \"127.0.0.1:8025\"");
                    self.push(problem);
                }
            }
        }
        out
    }

    /// Hosts in plan order: DNS servers, MTAs, clients.
    pub(super) fn hosts(&mut self, refs: &[HostRef]) -> Vec<PlanHost> {
        if let Some(past) = refs.get(usize::from(u16::MAX) + 1) {
            let problem = self
                .at(
                    format!(
                        "{} is one host too many: a world holds at most 65536",
                        past.name
                    ),
                    &[Field(past.section), Item(past.index)],
                )
                .help("split the scenario into smaller worlds");
            self.push(problem);
        }
        let parsed: Vec<Option<IpAddr>> = refs.iter().map(|h| h.ip.parse().ok()).collect();
        let mut hosts: Vec<PlanHost> = Vec::new();
        for (n, h) in refs.iter().enumerate() {
            let name_path = [
                Field(h.section),
                Item(h.index),
                Field(name!(DnsServer | Mta | Client | External.name)),
            ];
            let ip_path = [
                Field(h.section),
                Item(h.index),
                Field(name!(DnsServer | Mta | Client | External.ip)),
            ];
            if let Some(first) = refs[..n]
                .iter()
                .find(|other| other.name.eq_ignore_ascii_case(h.name))
            {
                let first_path = [
                    Field(first.section),
                    Item(first.index),
                    Field(name!(DnsServer | Mta | Client | External.name)),
                ];
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
                        let first_path = [
                            Field(first.section),
                            Item(first.index),
                            Field(name!(DnsServer | Mta | Client | External.ip)),
                        ];
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
            let down_path = [
                Field(h.section),
                Item(h.index),
                Field(name!(DnsServer | Mta.down)),
            ];
            let down = self.windows(h.down, h.name, &down_path);
            hosts.push(PlanHost {
                name: h.name.to_lowercase(),
                ip,
                role: h.role,
                down,
                resolver: None,
                label: h
                    .label
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty()),
            });
        }
        hosts
    }

    pub(super) fn resolvers(&mut self, s: &Scenario, refs: &[HostRef], hosts: &mut [PlanHost]) {
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
            let section = if s.mtas.is_empty() {
                name!(Scenario.clients)
            } else {
                name!(Scenario.mtas)
            };
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
                    let path = [
                        Field(section),
                        Item(index),
                        Field(name!(Mta | Client.resolver)),
                    ];
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
}

/// The id of the host at `index` in plan order. A file with more hosts
/// than ids is reported by `hosts`, and its plan is never used.
pub(super) fn host_id(index: usize) -> HostId {
    HostId::try_from(index).unwrap_or(HostId(u16::MAX))
}

/// Every host of the file, in plan order: DNS servers, MTAs, clients,
/// external machines.
pub(super) fn host_refs(s: &Scenario) -> Vec<HostRef<'_>> {
    let dns = s.dns.iter().enumerate().map(|(index, d)| HostRef {
        section: name!(Scenario.dns),
        index,
        name: &d.name,
        ip: &d.ip,
        role: Role::Dns,
        down: &d.down,
        label: d.label.as_deref(),
    });
    let mtas = s.mtas.iter().enumerate().map(|(index, m)| HostRef {
        section: name!(Scenario.mtas),
        index,
        name: &m.name,
        ip: &m.ip,
        role: Role::Mta,
        down: &m.down,
        label: m.label.as_deref(),
    });
    let clients = s.clients.iter().enumerate().map(|(index, c)| HostRef {
        section: name!(Scenario.clients),
        index,
        name: &c.name,
        ip: &c.ip,
        role: Role::Client,
        down: &[],
        label: c.label.as_deref(),
    });
    let externals = s.externals.iter().enumerate().map(|(index, e)| HostRef {
        section: name!(Scenario.externals),
        index,
        name: &e.name,
        ip: &e.ip,
        role: Role::External,
        down: &[],
        label: e.label.as_deref(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_ranges_rfc5737() {
        assert!(is_documentation("203.0.113.7".parse().unwrap()));
        assert!(is_documentation("2001:db8::25".parse().unwrap()));
        assert!(!is_documentation("10.0.0.1".parse().unwrap()));
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
