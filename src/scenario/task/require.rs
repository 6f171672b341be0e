//! Constraints a task sets on a student's world, checked against its
//! validated plan (what the student configured), each with a sentence of
//! feedback.

use std::net::IpAddr;

use serde::Deserialize;

use crate::dns::RecordData;
use crate::plan::Plan;

/// A constraint on the world's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Require {
    /// No MTA relays for the whole internet: every `relay_networks` entry
    /// is a site's own network (a prefix of /16 or longer, /48 for IPv6).
    NoOpenRelay,
    /// The domain has a backup MX: a second MX record with a higher
    /// preference number, pointing at another MTA that accepts the
    /// domain's mail (it serves it or relays for it).
    BackupMx { domain: String },
}

/// One criterion's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub claim: String,
    pub held: bool,
    pub feedback: String,
}

impl Require {
    pub fn check(&self, plan: &Plan) -> Criterion {
        match self {
            Require::NoOpenRelay => no_open_relay(plan),
            Require::BackupMx { domain } => backup_mx(plan, &domain.trim().to_lowercase()),
        }
    }
}

fn no_open_relay(plan: &Plan) -> Criterion {
    let open: Vec<String> = plan
        .mtas
        .iter()
        .flat_map(|m| {
            m.relay_networks
                .iter()
                .filter(|(ip, prefix)| match ip {
                    IpAddr::V4(_) => *prefix < 16,
                    IpAddr::V6(_) => *prefix < 48,
                })
                .map(move |(ip, prefix)| {
                    format!("{} relays for {ip}/{prefix}", plan.host(m.host).name)
                })
        })
        .collect();
    Criterion {
        claim: "no MTA is an open relay".into(),
        held: open.is_empty(),
        feedback: if open.is_empty() {
            "every MTA relays only for its own network and its logged-in users".into()
        } else {
            format!(
                "{}: anyone on the internet may send mail through it; list only your own network in relay_networks",
                open.join(", ")
            )
        },
    }
}

fn backup_mx(plan: &Plan, domain: &str) -> Criterion {
    let claim = format!("{domain} has a backup MX with a higher preference number");
    let mut records: Vec<(u16, String)> = plan
        .dns
        .iter()
        .flat_map(|d| &d.zones)
        .flat_map(|z| &z.records)
        .filter(|r| r.name.trim_end_matches('.').eq_ignore_ascii_case(domain))
        .filter_map(|r| match &r.data {
            RecordData::Mx {
                preference,
                exchange,
            } if exchange != "." => {
                Some((*preference, exchange.trim_end_matches('.').to_lowercase()))
            }
            _ => None,
        })
        .collect();
    records.sort();
    records.dedup();
    let accepts = |host: &str| {
        plan.mtas.iter().any(|m| {
            plan.host(m.host).name.eq_ignore_ascii_case(host)
                && (m.domains.iter().any(|d| d == domain)
                    || m.relay_domains.iter().any(|d| d == domain))
        })
    };
    let listed = records
        .iter()
        .map(|(p, h)| format!("MX {p} {h}"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some((best, primary)) = records.first().cloned() else {
        return Criterion {
            claim,
            held: false,
            feedback: format!(
                "{domain} has no MX record: add Mx(\"{domain}\", 10, \"mx1.{domain}\")"
            ),
        };
    };
    let backup = records
        .iter()
        .find(|(p, h)| *p > best && *h != primary && accepts(h));
    match backup {
        Some((p, h)) => Criterion {
            claim,
            held: true,
            feedback: format!(
                "{listed}: {h} (preference {p}) takes the mail when {primary} cannot"
            ),
        },
        None => {
            let why = match records.iter().find(|(p, h)| *p > best && *h != primary) {
                Some((_, h)) => format!(
                    "{h} does not accept mail for {domain}: add \"{domain}\" to its relay_domains"
                ),
                None if records.len() > 1 => format!(
                    "the records share the preference {best}: give the backup a higher number, e.g. 20"
                ),
                None => {
                    format!("only one MX: add a second MTA and Mx(\"{domain}\", 20, \"its name\")")
                }
            };
            Criterion {
                claim,
                held: false,
                feedback: format!("{listed}; {why}"),
            }
        }
    }
}
