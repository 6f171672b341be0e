//! DMARC (RFC 7489): ties SPF and DKIM to the domain a reader sees, the
//! one in `From:`. A message passes when SPF passed for a MAIL FROM
//! domain, or DKIM passed for a `d=` domain, that is *aligned* with the
//! From domain (§3.1); otherwise the From domain's published policy
//! (`p=none`, `quarantine`, `reject`) says what the receiver should do.
//!
//! The organizational domain (§3.2) is found by mailflow's simple rule,
//! in place of the Public Suffix List: the last two labels of the name,
//! or the last three when the last two are one of a few well-known
//! two-label suffixes ([`TWO_LABEL_SUFFIXES`]). `mail.example.org` →
//! `example.org`; `www.example.co.uk` → `example.co.uk`.

use std::fmt;

use super::dkim::{DkimOutcome, DkimResult};
use super::spf::{SpfOutcome, SpfResult};
use super::{Dns, txt_strings};
use crate::dns::{LookupError, QueryType};
use crate::mail::NamedMailbox;
use crate::mail::headers::values_of;

/// Public suffixes of two labels that the simple rule knows.
pub const TWO_LABEL_SUFFIXES: [&str; 12] = [
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "com.br",
    "co.za", "com.cn",
];

/// The organizational domain of `domain` by the simple rule above.
pub fn organizational_domain(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let keep = if labels.len() >= 3
        && TWO_LABEL_SUFFIXES.contains(&labels[labels.len() - 2..].join(".").as_str())
    {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// `adkim=` and `aspf=` (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// The organizational domains are the same (the default).
    Relaxed,
    /// The domains are the same.
    Strict,
}

impl Alignment {
    /// Identifier alignment (§3.1.1, §3.1.2).
    pub fn aligned(self, a: &str, b: &str) -> bool {
        match self {
            Alignment::Strict => a
                .trim_end_matches('.')
                .eq_ignore_ascii_case(b.trim_end_matches('.')),
            Alignment::Relaxed => organizational_domain(a) == organizational_domain(b),
        }
    }
}

/// `p=` and `sp=` (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    fn parse(text: &str) -> Option<Policy> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The next weaker policy, for messages outside `pct=` (§6.6.4).
    fn weaker(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            _ => Policy::None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A DMARC record (§6.3); tags this receiver does not act on (`rua`,
/// `ruf`, `fo`, `rf`, `ri`) are read and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRecord {
    pub p: Policy,
    pub sp: Option<Policy>,
    pub adkim: Alignment,
    pub aspf: Alignment,
    pub pct: u8,
}

/// Reads a record: `v=DMARC1` first, then `p=` (§6.3, §6.4).
pub fn parse_record(text: &str) -> Result<DmarcRecord, String> {
    let tags = super::dkim::tags::parse(text)?;
    match tags.first() {
        Some((v, value)) if v == "v" && value == "DMARC1" => {}
        _ => return Err("it does not start with v=DMARC1 (RFC 7489 section 6.4)".into()),
    }
    let get = |name: &str| {
        tags.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let policy = |name: &str| -> Result<Option<Policy>, String> {
        get(name)
            .map(|v| {
                Policy::parse(v)
                    .ok_or_else(|| format!("{name}={v} is not none, quarantine or reject"))
            })
            .transpose()
    };
    let alignment = |name: &str| -> Result<Alignment, String> {
        match get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("r") => Ok(Alignment::Relaxed),
            Some("s") => Ok(Alignment::Strict),
            Some(other) => Err(format!("{name}={other} is not r or s")),
        }
    };
    let p = policy("p")?.ok_or("p= is missing (RFC 7489 section 6.3)")?;
    let pct = match get("pct") {
        None => 100,
        Some(v) => v
            .parse::<u8>()
            .ok()
            .filter(|&n| n <= 100)
            .ok_or(format!("pct={v} is not 0 to 100"))?,
    };
    Ok(DmarcRecord {
        p,
        sp: policy("sp")?,
        adkim: alignment("adkim")?,
        aspf: alignment("aspf")?,
        pct,
    })
}

/// The author's domain: the one address of the one `From:` field
/// (§6.6.1). Messages with none, several, or an unreadable one are
/// refused by the receiver rather than guessed at.
pub fn author_domain(message: &[u8]) -> Result<String, String> {
    let froms: Vec<String> = values_of(message, "From").collect();
    let [from] = froms.as_slice() else {
        return Err(format!(
            "the message has {} From fields; exactly one is allowed (RFC 5322 section 3.6)",
            froms.len()
        ));
    };
    let list = NamedMailbox::parse_list(from);
    let [author] = list.as_slice() else {
        return Err("From must name exactly one author for DMARC (RFC 7489 section 6.6.1)".into());
    };
    author
        .mailbox
        .domain()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| "the From address has no domain".into())
}

/// A DMARC result (RFC 8601 §2.7.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcResult {
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What DMARC concluded, and what the receiver should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOutcome {
    pub result: DmarcResult,
    /// The From domain.
    pub from_domain: String,
    /// The policy that applies (`p=`, or `sp=` for a subdomain), when a
    /// record was found.
    pub policy: Option<Policy>,
    /// What to do with this message: the policy when it failed (weakened
    /// outside `pct=`), `None` otherwise.
    pub disposition: Policy,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    pub problem: Option<String>,
}

/// Policy discovery (§6.6.3) and the verdict (§6.6.2) for `from_domain`.
/// `roll` is a number from 0 to 99 for `pct=` sampling.
pub async fn evaluate(
    dns: &mut impl Dns,
    from_domain: &str,
    spf: &SpfOutcome,
    dkim: &[DkimOutcome],
    roll: u8,
) -> DmarcOutcome {
    let from_domain = from_domain.to_ascii_lowercase();
    let mut outcome = DmarcOutcome {
        result: DmarcResult::None,
        from_domain: from_domain.clone(),
        policy: None,
        disposition: Policy::None,
        spf_aligned: false,
        dkim_aligned: false,
        problem: None,
    };
    let organizational = organizational_domain(&from_domain);
    let found = match discover(dns, &from_domain).await {
        Ok(None) if organizational != from_domain => discover(dns, &organizational)
            .await
            .map(|r| r.map(|r| (r, true))),
        other => other.map(|r| r.map(|r| (r, false))),
    };
    let (record, at_organizational) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return outcome,
        Err(problem) => {
            outcome.result = DmarcResult::TempError;
            outcome.problem = Some(problem);
            return outcome;
        }
    };
    let policy = if at_organizational {
        record.sp.unwrap_or(record.p)
    } else {
        record.p
    };
    outcome.policy = Some(policy);
    outcome.spf_aligned =
        spf.result == SpfResult::Pass && record.aspf.aligned(&spf.domain, &from_domain);
    outcome.dkim_aligned = dkim
        .iter()
        .any(|d| d.result == DkimResult::Pass && record.adkim.aligned(&d.domain, &from_domain));
    if outcome.spf_aligned || outcome.dkim_aligned {
        outcome.result = DmarcResult::Pass;
        return outcome;
    }
    outcome.result = DmarcResult::Fail;
    outcome.disposition = if roll < record.pct {
        policy
    } else {
        policy.weaker()
    };
    outcome
}

/// The DMARC record at `_dmarc.<domain>`: `Ok(None)` when there is none
/// or more than one (§6.6.3 step 5), `Err` on a DNS failure.
async fn discover(dns: &mut impl Dns, domain: &str) -> Result<Option<DmarcRecord>, String> {
    let name = format!("_dmarc.{domain}");
    let texts = match dns.lookup(&name, QueryType::Txt).await {
        Ok(records) => txt_strings(&records),
        Err(LookupError::NxDomain) => Vec::new(),
        Err(error) => return Err(format!("the lookup of {name} failed: {error}")),
    };
    let records: Vec<DmarcRecord> = texts
        .iter()
        .filter(|t| t.starts_with("v=DMARC1"))
        .filter_map(|t| parse_record(t).ok())
        .collect();
    Ok(match <[DmarcRecord; 1]>::try_from(records) {
        Ok([one]) => Some(one),
        Err(_) => None,
    })
}

#[cfg(test)]
mod tests;
