//! Sender authentication: SPF (RFC 7208), DKIM (RFC 6376, RFC 8463),
//! DMARC (RFC 7489), and the header fields that report them
//! (Authentication-Results, RFC 8601; Received-SPF, RFC 7208 §9.1).
//!
//! Everything here is a pure function of the message, the envelope and
//! the DNS answers. DNS comes through [`Dns`], which the MTA implements
//! with its stub resolver, so every lookup is a genuine query on the
//! world's network; the tests implement it with a table.
//!
//! * `spf`: `check_host()` of RFC 7208 §4 with its limits (§4.6.4) and
//!   macros (§7)
//! * `dkim`: canonicalization (§3.4), signing (§5) and verifying (§6)
//! * `keys`: DKIM signing keys: Ed25519 from the world's seed, RSA given
//!   or the shipped test key
//! * `dmarc`: policy discovery (§6.6.3), alignment (§3.1), the verdict
//! * `results`: the Authentication-Results and Received-SPF fields
//!
//! The crypto is `ring` (already in the tree under rustls): RSA PKCS#1
//! v1.5 SHA-256 and Ed25519 signing and verifying, and SHA-256.

pub mod dkim;
pub mod dmarc;
pub mod keys;
pub mod results;
pub mod spf;

use std::future::Future;

use crate::dns::{LookupError, QueryType, Record, RecordData};

/// Where the checks get their DNS answers.
pub trait Dns {
    /// The records of `qtype` at `name`; NODATA is `Ok(vec![])`.
    fn lookup(
        &mut self,
        name: &str,
        qtype: QueryType,
    ) -> impl Future<Output = Result<Vec<Record>, LookupError>>;
}

/// The texts of the TXT records among `records` (a CNAME chain is
/// skipped).
pub fn txt_strings(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RecordData::Txt(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// A table of DNS answers for tests: name and type → answer, and a log of
/// the questions asked.
#[cfg(test)]
pub(crate) mod table {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct Table {
        pub answers: BTreeMap<(String, QueryType), Result<Vec<RecordData>, LookupError>>,
        pub asked: Vec<(String, QueryType)>,
    }

    impl Table {
        pub fn with(mut self, name: &str, data: RecordData) -> Table {
            let key = (name.to_ascii_lowercase(), data.query_type());
            if let Ok(v) = self.answers.entry(key).or_insert_with(|| Ok(Vec::new())) {
                v.push(data);
            }
            self
        }
        pub fn txt(self, name: &str, text: &str) -> Table {
            self.with(name, RecordData::Txt(text.into()))
        }
        pub fn a(self, name: &str, ip: &str) -> Table {
            self.with(name, RecordData::A(ip.parse().expect("an IPv4 address")))
        }
        pub fn fail(mut self, name: &str, qtype: QueryType, error: LookupError) -> Table {
            self.answers
                .insert((name.to_ascii_lowercase(), qtype), Err(error));
            self
        }
    }

    impl Dns for Table {
        async fn lookup(
            &mut self,
            name: &str,
            qtype: QueryType,
        ) -> Result<Vec<Record>, LookupError> {
            let name = crate::dns::canonical_name(name);
            self.asked.push((name.clone(), qtype));
            match self.answers.get(&(name.clone(), qtype)) {
                Some(Ok(data)) => Ok(data
                    .iter()
                    .map(|d| Record::new(&name, 300, d.clone()))
                    .collect()),
                Some(Err(e)) => Err(e.clone()),
                // A name with other records exists: NODATA; else NXDOMAIN.
                None if self.answers.keys().any(|(n, _)| *n == name) => Ok(Vec::new()),
                None => Err(LookupError::NxDomain),
            }
        }
    }

    /// Runs a future whose DNS is a table, so it never waits.
    pub fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }
}
