//! Verifying (RFC 6376 §6): each `DKIM-Signature` is checked on its own,
//! its key fetched from DNS at `<s>._domainkey.<d>`; the results are those
//! of RFC 8601 §2.7.1.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, UnparsedPublicKey};

use super::canon;
use super::sign::signed_data;
use super::tags::{self, get, unfold_base64};
use super::{Algorithm, Canon, key_name};
use crate::auth::{Dns, keys, txt_strings};
use crate::dns::{LookupError, QueryType};

/// Signatures checked per message, at most: a message with hundreds of
/// signatures must not make the receiver ask DNS hundreds of times
/// (§8.4 "Attacks involving extremely large messages" in spirit).
pub const MAX_SIGNATURES: usize = 5;

/// A result of RFC 8601 §2.7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimResult {
    None,
    Pass,
    Fail,
    Neutral,
    TempError,
    PermError,
}

impl DkimResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::None => "none",
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One signature's result and what it was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimOutcome {
    pub result: DkimResult,
    /// `d=`, lower case (empty when unreadable).
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `a=` as written.
    pub algorithm: String,
    /// The first 8 characters of `b=`, to tell signatures apart
    /// (RFC 6008 `header.b`).
    pub b_prefix: String,
    /// Why it did not pass.
    pub problem: Option<String>,
}

/// The parts of a signature that checking needs.
struct Signature {
    algorithm: Algorithm,
    header_canon: Canon,
    body_canon: Canon,
    domain: String,
    selector: String,
    names: Vec<String>,
    body_hash: Vec<u8>,
    signature: Vec<u8>,
    length: Option<usize>,
    expires: Option<i64>,
}

/// Checks every `DKIM-Signature` of `message` (the first
/// [`MAX_SIGNATURES`]) at Unix time `now`. No signature: an empty list.
pub async fn verify(dns: &mut impl Dns, message: &[u8], now: i64) -> Vec<DkimOutcome> {
    let (fields, body_offset) = canon::split(message);
    let body = message.get(body_offset..).unwrap_or(&[]);
    let mut outcomes = Vec::new();
    for field in fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("DKIM-Signature"))
        .take(MAX_SIGNATURES)
    {
        let value = String::from_utf8_lossy(field.raw.get(field.name.len() + 1..).unwrap_or(&[]))
            .into_owned();
        let tags = tags::parse(&value).unwrap_or_default();
        let mut outcome = DkimOutcome {
            result: DkimResult::Neutral,
            domain: get(&tags, "d").unwrap_or("").to_ascii_lowercase(),
            selector: get(&tags, "s").unwrap_or("").to_owned(),
            algorithm: get(&tags, "a").unwrap_or("").to_owned(),
            b_prefix: unfold_base64(get(&tags, "b").unwrap_or(""))
                .chars()
                .take(8)
                .collect(),
            problem: None,
        };
        let (result, problem) = match check(dns, &value, &fields, field.raw, body, now).await {
            Ok(()) => (DkimResult::Pass, None),
            Err((result, problem)) => (result, Some(problem)),
        };
        outcome.result = result;
        outcome.problem = problem;
        outcomes.push(outcome);
    }
    outcomes
}

type Failure = (DkimResult, String);

fn neutral(problem: impl Into<String>) -> Failure {
    (DkimResult::Neutral, problem.into())
}

fn permerror(problem: impl Into<String>) -> Failure {
    (DkimResult::PermError, problem.into())
}

async fn check(
    dns: &mut impl Dns,
    value: &str,
    fields: &[canon::RawField<'_>],
    raw: &[u8],
    body: &[u8],
    now: i64,
) -> Result<(), Failure> {
    let signature = parse_signature(value).map_err(neutral)?;
    if let Some(expires) = signature.expires
        && expires < now
    {
        return Err((
            DkimResult::Fail,
            "the signature has expired (x=, RFC 6376 section 3.5)".into(),
        ));
    }
    let name = key_name(&signature.selector, &signature.domain);
    let records = match dns.lookup(&name, QueryType::Txt).await {
        Ok(records) => txt_strings(&records),
        Err(LookupError::NxDomain) => Vec::new(),
        Err(error) => {
            return Err((
                DkimResult::TempError,
                format!("key lookup of {name} failed: {error}"),
            ));
        }
    };
    let Some(record) = records.first() else {
        return Err(permerror(format!(
            "no key published at {name} (RFC 6376 section 6.1.2)"
        )));
    };
    let key = parse_key(record, signature.algorithm)
        .map_err(|e| permerror(format!("the key at {name}: {e}")))?;

    // §3.7: the body hash first, over at most l= octets.
    let mut canonical = canon::body(body, signature.body_canon);
    if let Some(length) = signature.length {
        if length > canonical.len() {
            return Err((
                DkimResult::Fail,
                format!(
                    "l={length} is longer than the body ({} octets): the body was cut",
                    canonical.len()
                ),
            ));
        }
        canonical.truncate(length);
    }
    let hash = ring::digest::digest(&ring::digest::SHA256, &canonical);
    if hash.as_ref() != signature.body_hash.as_slice() {
        return Err((
            DkimResult::Fail,
            "body hash did not verify: the body changed on the way".into(),
        ));
    }
    let data = signed_data(fields, &signature.names, raw, signature.header_canon);
    let good = match signature.algorithm {
        Algorithm::RsaSha256 => {
            let pkcs1 = keys::rsa_public_key(&key)
                .ok_or_else(|| permerror("p= is not an RSA public key"))?;
            UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, pkcs1)
                .verify(&data, &signature.signature)
                .is_ok()
        }
        Algorithm::Ed25519Sha256 => {
            let digest = ring::digest::digest(&ring::digest::SHA256, &data);
            UnparsedPublicKey::new(&ED25519, &key)
                .verify(digest.as_ref(), &signature.signature)
                .is_ok()
        }
    };
    if good {
        Ok(())
    } else {
        Err((DkimResult::Fail, "signature did not verify: a signed header field changed, or the key is not the signer's".into()))
    }
}

fn parse_signature(value: &str) -> Result<Signature, String> {
    let tags = tags::parse(value)?;
    let need = |name: &str| {
        get(&tags, name)
            .ok_or_else(|| format!("the required tag {name}= is missing (RFC 6376 section 3.5)"))
    };
    if need("v")? != "1" {
        return Err("v= is not 1".into());
    }
    let algorithm = Algorithm::parse(need("a")?).ok_or_else(|| {
        format!(
            "a={} is not an algorithm this verifier knows",
            need("a").unwrap_or("")
        )
    })?;
    let (header_canon, body_canon) = match get(&tags, "c").map(str::to_ascii_lowercase).as_deref() {
        None | Some("simple") | Some("simple/simple") => (Canon::Simple, Canon::Simple),
        Some("relaxed") | Some("relaxed/simple") => (Canon::Relaxed, Canon::Simple),
        Some("simple/relaxed") => (Canon::Simple, Canon::Relaxed),
        Some("relaxed/relaxed") => (Canon::Relaxed, Canon::Relaxed),
        Some(other) => {
            return Err(format!(
                "c={other} is not a canonicalization (RFC 6376 section 3.4)"
            ));
        }
    };
    let domain = need("d")?.to_ascii_lowercase();
    let names: Vec<String> = need("h")?
        .split(':')
        .map(|n| n.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if !names.iter().any(|n| n.eq_ignore_ascii_case("from")) {
        return Err("h= does not include From, which must be signed (RFC 6376 section 5.4)".into());
    }
    if let Some(agent) = get(&tags, "i") {
        let i_domain = agent
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        if i_domain != domain && !i_domain.ends_with(&format!(".{domain}")) {
            return Err(format!(
                "i={agent} is not in d={domain} (RFC 6376 section 3.5)"
            ));
        }
    }
    let base64 = |name: &str| -> Result<Vec<u8>, String> {
        BASE64
            .decode(unfold_base64(need(name)?))
            .map_err(|_| format!("{name}= is not base64"))
    };
    let number = |name: &str| -> Result<Option<i64>, String> {
        get(&tags, name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| format!("{name}={v} is not a number"))
            })
            .transpose()
    };
    Ok(Signature {
        algorithm,
        header_canon,
        body_canon,
        selector: need("s")?.to_owned(),
        domain,
        names,
        body_hash: base64("bh")?,
        signature: base64("b")?,
        length: number("l")?.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        expires: number("x")?,
    })
}

/// The public key of a key record (§3.6.1), checked against the
/// signature's algorithm.
fn parse_key(record: &str, algorithm: Algorithm) -> Result<Vec<u8>, String> {
    let tags = tags::parse(record)?;
    if let Some(v) = get(&tags, "v")
        && (v != "DKIM1" || tags.first().is_none_or(|(n, _)| n != "v"))
    {
        return Err("v= must be DKIM1 and come first (RFC 6376 section 3.6.1)".into());
    }
    let k = get(&tags, "k").unwrap_or("rsa");
    if !k.eq_ignore_ascii_case(algorithm.key_type()) {
        return Err(format!("k={k} does not match a={}", algorithm.as_str()));
    }
    if let Some(h) = get(&tags, "h")
        && !h
            .split(':')
            .any(|a| a.trim().eq_ignore_ascii_case("sha256"))
    {
        return Err(format!("h={h} does not allow sha256"));
    }
    if let Some(s) = get(&tags, "s")
        && !s.split(':').any(|t| matches!(t.trim(), "*" | "email"))
    {
        return Err(format!("s={s}: the key is not for email"));
    }
    let p = get(&tags, "p").ok_or("p= is missing")?;
    if p.is_empty() {
        return Err("p= is empty: the key was revoked (RFC 6376 section 3.6.1)".into());
    }
    BASE64
        .decode(unfold_base64(p))
        .map_err(|_| "p= is not base64".into())
}

/// The signature field with the value of its `b=` tag removed, everything
/// else (folding included) kept as it was (§3.7).
pub(crate) fn without_b_value(field: &[u8]) -> Vec<u8> {
    let colon = field.iter().position(|&b| b == b':').map_or(0, |i| i + 1);
    let end = if field.ends_with(b"\r\n") {
        field.len() - 2
    } else {
        field.len()
    };
    let mut out = field[..colon].to_vec();
    let mut start = colon;
    while start <= end {
        let stop = field[start..end]
            .iter()
            .position(|&b| b == b';')
            .map_or(end, |i| start + i);
        let segment = &field[start..stop];
        let is_b = segment.iter().position(|&b| b == b'=').is_some_and(|eq| {
            segment[..eq]
                .iter()
                .filter(|b| !b.is_ascii_whitespace())
                .eq(b"b".iter())
        });
        match segment.iter().position(|&b| b == b'=') {
            Some(eq) if is_b => out.extend_from_slice(&segment[..=eq]),
            _ => out.extend_from_slice(segment),
        }
        if stop < end {
            out.push(b';');
        }
        start = stop + 1;
    }
    out.extend_from_slice(&field[end..]);
    out
}
