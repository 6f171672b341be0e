//! MTAs: their mailboxes in the domains they serve, smarthosts that are
//! MTAs, relay networks, retry waits.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use super::Validator;
use super::hosts::{HostRef, host_id, role_name};
use crate::plan::MtaPlan;
use crate::scenario::ron::Step::{self, Field, Item, Key};
use crate::scenario::schema::Scenario;
use crate::scenario::suggest::closest;

impl Validator<'_> {
    pub(super) fn mtas(&mut self, s: &Scenario, refs: &[HostRef]) -> Vec<MtaPlan> {
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
                let field = |f: &'static str| [Field(name!(Scenario.mtas)), Item(i), Field(f)];
                let domains: Vec<String> = m
                    .domains
                    .iter()
                    .map(|d| d.trim_end_matches('.').to_lowercase())
                    .collect();
                let mut mailboxes = BTreeMap::new();
                for (written, password) in &m.mailboxes {
                    let path = [
                        Field(name!(Scenario.mtas)),
                        Item(i),
                        Field(name!(Mta.mailboxes)),
                        Key(written),
                    ];
                    let address = self.mailbox_name(written, "the mailbox", &path);
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
                    let problem = self.at(message, &field(name!(Mta.smarthost))).help(help);
                    self.push(problem);
                }
                let relay_networks = m
                    .relay_networks
                    .iter()
                    .enumerate()
                    .map(|(k, n)| {
                        self.network(
                            n,
                            &[
                                Field(name!(Scenario.mtas)),
                                Item(i),
                                Field(name!(Mta.relay_networks)),
                                Item(k),
                            ],
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
                            &[
                                Field(name!(Scenario.mtas)),
                                Item(i),
                                Field(name!(Mta.retry)),
                                Item(k),
                            ],
                        )
                    })
                    .collect();
                if retry.is_empty() {
                    let problem = self
                        .at(
                            format!("{} has an empty retry list", m.name),
                            &field(name!(Mta.retry)),
                        )
                        .help("write e.g. retry: [\"5m\", \"30m\"]; the last wait repeats");
                    self.push(problem);
                }
                MtaPlan {
                    host: host_id(offset + i),
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
                    max_age: self.duration(&m.max_age, "`max_age`", &field(name!(Mta.max_age))),
                    greylisting: m.greylisting.as_ref().map(|g| {
                        self.duration(g, "the greylisting delay", &field(name!(Mta.greylisting)))
                    }),
                    slow_data_reply: m.slow_data_reply.as_ref().map(|s| {
                        let path =
                            |f| [&field(name!(Mta.slow_data_reply))[..], &[Field(f)]].concat();
                        let delay = self.duration(
                            &s.delay,
                            "the delay of the data reply",
                            &path(name!(SlowReply.delay)),
                        );
                        let until = s.until.as_ref().map(|u| {
                            self.duration(
                                u,
                                "the end of the slow data replies",
                                &path(name!(SlowReply.until)),
                            )
                        });
                        (delay, until)
                    }),
                    dsn: m.dsn,
                    delay_warning: m.delay_warning.as_ref().map(|d| {
                        self.duration(d, "`delay_warning`", &field(name!(Mta.delay_warning)))
                    }),
                    max_size: m.max_size,
                    max_recipients: m.max_recipients.max(1),
                    quota: m.quota,
                    max_hops: m.max_hops,
                    pipelining: m.pipelining,
                    keep_bare_line_endings: m.keep_bare_line_endings,
                    chunking: m.chunking,
                    chunk_size: m.chunk_size,
                    starttls: m.starttls.into(),
                    relay_tls: m.relay_tls.into(),
                    certificate: m.certificate.clone(),
                    auth: self.auth_plan(m, i, &domains_of(m)),
                    forward: self.forwards(m, i),
                    lists: self.lists(m, i),
                }
            })
            .collect()
    }

    pub(super) fn network(&mut self, text: &str, path: &[Step]) -> (IpAddr, u8) {
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
}

/// An MTA's domains as the plan writes them.
fn domains_of(m: &crate::scenario::schema::Mta) -> Vec<String> {
    m.domains
        .iter()
        .map(|d| d.trim_end_matches('.').to_lowercase())
        .collect()
}
