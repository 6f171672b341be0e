//! Sender authentication in a scenario: the helpers `Spf`, `Dmarc` and
//! `DkimKey` become TXT records at the names the RFCs give them, DKIM keys
//! are made once, and each MTA gets the keys of its own domains. Also the
//! forwarding and mailing lists that the lessons on them need.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Validator;
use crate::auth::dkim::key_name;
use crate::auth::keys::SigningKey;
use crate::auth::{dmarc, spf};
use crate::dns::RecordData;
use crate::plan::{AuthPlan, DkimSigner, ListPlan};
use crate::scenario::ron::Step::{self, Field, Item, Key};
use crate::scenario::schema::{DkimAlgorithm, Mta, Record, Scenario};
use crate::smtp::Mailbox;

fn lower(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

impl Validator<'_> {
    /// Every `DkimKey` of every zone, its key made (or read) once.
    pub(super) fn dkim_keys(&mut self, s: &Scenario) -> Vec<DkimSigner> {
        let mut keys = Vec::new();
        for (i, server) in s.dns.iter().enumerate() {
            for (z, zone) in server.zones.iter().enumerate() {
                for (r, record) in zone.records.iter().enumerate() {
                    let Record::DkimKey {
                        domain,
                        selector,
                        algorithm,
                        private_key,
                    } = record
                    else {
                        continue;
                    };
                    let path = [
                        Field(name!(Scenario.dns)),
                        Item(i),
                        Field(name!(DnsServer.zones)),
                        Item(z),
                        Field(name!(Zone.records)),
                        Item(r),
                    ];
                    let key = match algorithm {
                        DkimAlgorithm::Ed25519 if private_key.is_some() => {
                            Err(crate::auth::keys::KeyError::GivenEd25519)
                        }
                        DkimAlgorithm::Ed25519 => Ok(SigningKey::ed25519(s.seed, domain, selector)),
                        DkimAlgorithm::Rsa => SigningKey::rsa(private_key.as_deref()),
                    };
                    match key {
                        Ok(key) => keys.push(DkimSigner {
                            domain: lower(domain),
                            selector: selector.trim().to_owned(),
                            key: Arc::new(key),
                        }),
                        Err(error) => {
                            let problem = self
                                .at(format!("the DKIM key of {domain} ({selector}): {error}"), &path)
                                .help("leave private_key out to use the shipped RSA test key, or give base64 of a PKCS#8 or PKCS#1 DER RSA key");
                            self.push(problem);
                        }
                    }
                }
            }
        }
        keys
    }

    /// The owner and TXT data of an `Spf`, `Dmarc` or `DkimKey` helper;
    /// a policy that does not parse is reported here, where it is written,
    /// rather than as a permerror in the middle of a run.
    pub(super) fn auth_record(&mut self, r: &Record, path: &[Step]) -> (String, RecordData) {
        let item = |n: usize| [path, &[Item(n)]].concat();
        match r {
            Record::Spf(domain, text) => {
                if let Err(e) = spf::parse_record(text) {
                    let problem = self
                        .at(
                            format!("the SPF record of {domain} does not parse: {e}"),
                            &item(1),
                        )
                        .help(
                            "write e.g. \"v=spf1 mx ip4:192.0.2.0/24 -all\" (RFC 7208 section 4.6)",
                        );
                    self.push(problem);
                }
                (lower(domain), RecordData::Txt(text.clone()))
            }
            Record::Dmarc(domain, text) => {
                if let Err(e) = dmarc::parse_record(text) {
                    let problem = self
                        .at(
                            format!("the DMARC record of {domain} does not parse: {e}"),
                            &item(1),
                        )
                        .help("write e.g. \"v=DMARC1; p=reject\" (RFC 7489 section 6.3)");
                    self.push(problem);
                }
                (
                    format!("_dmarc.{}", lower(domain)),
                    RecordData::Txt(text.clone()),
                )
            }
            Record::DkimKey {
                domain, selector, ..
            } => {
                let domain = lower(domain);
                let owner = key_name(selector.trim(), &domain);
                let text = self
                    .dkim
                    .iter()
                    .find(|k| k.domain == domain && k.selector == selector.trim())
                    .map_or_else(|| "v=DKIM1; p=".to_owned(), |k| k.key.record());
                (owner, RecordData::Txt(text))
            }
            _ => unreachable!("only the authentication helpers come here"),
        }
    }

    /// What MTA `index` checks, and the keys it signs with: one per domain
    /// it serves (the selector it is told, or the first key written).
    pub(super) fn auth_plan(&mut self, m: &Mta, index: usize, domains: &[String]) -> AuthPlan {
        let mut signers: Vec<DkimSigner> = Vec::new();
        for domain in domains {
            let chosen = m
                .dkim_selectors
                .iter()
                .find(|(d, _)| lower(d) == *domain)
                .map(|(_, s)| s.trim());
            let key = self
                .dkim
                .iter()
                .find(|k| k.domain == *domain && chosen.is_none_or(|s| s == k.selector));
            match (key, chosen) {
                (Some(key), _) => signers.push(key.clone()),
                (None, Some(selector)) => {
                    let path = [
                        Field(name!(Scenario.mtas)),
                        Item(index),
                        Field(name!(Mta.dkim_selectors)),
                        Key(domain),
                    ];
                    let problem = self
                        .at(format!("{domain} has no DKIM key with selector {selector:?}"), &path)
                        .help(format!(
                            "add DkimKey(domain: {domain:?}, selector: {selector:?}) to its zone, or name a selector it has"
                        ));
                    self.push(problem);
                }
                (None, None) => {}
            }
        }
        AuthPlan {
            verify: m.verify_senders,
            spf_reject: m.spf_reject,
            dmarc_enforce: m.dmarc_enforce,
            signers,
        }
    }
}

impl Validator<'_> {
    /// An address of the scenario as a mailbox, or a problem at `path`.
    fn address(&mut self, text: &str, what: &str, path: &[Step]) -> Option<Mailbox> {
        match Mailbox::parse(text.trim()) {
            Ok(m) => Some(m),
            Err(e) => {
                let problem = self
                    .at(format!("{what} {text:?} is not a mail address: {e}"), path)
                    .help("write it like \"bob@example.com\"");
                self.push(problem);
                None
            }
        }
    }

    /// Where the forwarded addresses of MTA `index` send their mail.
    pub(super) fn forwards(&mut self, m: &Mta, index: usize) -> BTreeMap<String, Vec<Mailbox>> {
        let mut out = BTreeMap::new();
        for (from, targets) in &m.forward {
            let path = [
                Field(name!(Scenario.mtas)),
                Item(index),
                Field(name!(Mta.forward)),
                Key(from),
            ];
            self.address(from, "the forwarded address", &path);
            let targets: Vec<Mailbox> = targets
                .iter()
                .filter_map(|t| self.address(t, "the forwarding target", &path))
                .collect();
            out.insert(from.trim().to_lowercase(), targets);
        }
        out
    }

    /// The mailing lists of MTA `index`; each needs its `-bounces` mailbox.
    pub(super) fn lists(&mut self, m: &Mta, index: usize) -> BTreeMap<String, ListPlan> {
        let mut out = BTreeMap::new();
        for (list, spec) in &m.lists {
            let path = [
                Field(name!(Scenario.mtas)),
                Item(index),
                Field(name!(Mta.lists)),
                Key(list),
            ];
            let Some(address) = self.address(list, "the list address", &path) else {
                continue;
            };
            let members = spec
                .members
                .iter()
                .filter_map(|t| self.address(t, "the list member", &path))
                .collect();
            let domain = address.domain().unwrap_or_default().to_lowercase();
            let bounces_text = format!("{}-bounces@{domain}", address.local_part().to_lowercase());
            if !m
                .mailboxes
                .keys()
                .any(|k| k.eq_ignore_ascii_case(&bounces_text))
            {
                let problem = self
                    .at(
                        format!(
                            "the list {list} sends from {bounces_text}, which is no mailbox of {}",
                            m.name
                        ),
                        &path,
                    )
                    .help(format!(
                        "add \"{bounces_text}\" to its mailboxes: bounces of list mail go there"
                    ));
                self.push(problem);
            }
            let Ok(bounces) = Mailbox::parse(&bounces_text) else {
                continue;
            };
            out.insert(
                list.trim().to_lowercase(),
                ListPlan {
                    members,
                    footer: spec.footer.clone(),
                    bounces,
                },
            );
        }
        out
    }
}
