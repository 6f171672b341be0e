//! SPF (RFC 7208): may this IP address send mail for this domain?
//!
//! A domain publishes a TXT record such as `v=spf1 mx ip4:192.0.2.0/24
//! -all`; the receiving MTA runs `check_host()` (§4) with the client's
//! address, the domain of MAIL FROM (or of HELO when MAIL FROM is `<>`,
//! §2.4) and the sender. Terms are tried left to right; the first
//! mechanism that matches gives the result by its qualifier (§4.6.2):
//!
//! | qualifier | result   | meaning for the receiver            |
//! |-----------|----------|-------------------------------------|
//! | `+` (none)| pass     | authorized                          |
//! | `-`       | fail     | not authorized: may reject (§8.4)   |
//! | `~`       | softfail | probably not: accept and mark       |
//! | `?`       | neutral  | no statement                        |
//!
//! Supported: every mechanism of §5 (`ptr` never matches: the world has
//! no reverse zones, and §5.5 says not to use it), the `redirect`
//! modifier (§6.1), macros of §7 (`s l o d i h v`, `p` as `unknown`;
//! `exp` is read but its text is not fetched), the 10-lookup limit and
//! the 2-void-lookup limit of §4.6.4.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Dns, txt_strings};
use crate::dns::{LookupError, QueryType, RecordData};
use crate::net::prefix;

/// Terms that cause DNS lookups, at most (§4.6.4).
pub const MAX_DNS_TERMS: usize = 10;
/// Lookups that find nothing, at most (§4.6.4).
pub const MAX_VOID_LOOKUPS: usize = 2;
/// Address lookups for one `mx` mechanism, at most (§4.6.4).
pub const MAX_MX_ADDRESS_LOOKUPS: usize = 10;

/// The result of `check_host()` (§2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    /// The keyword of §2.6, as Authentication-Results writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was checked, for whom: the inputs of `check_host()` (§4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The SMTP client's address.
    pub ip: IpAddr,
    /// `local@domain` of MAIL FROM, or `postmaster@helo` (§4.3).
    pub sender: String,
    /// The name the client gave in HELO or EHLO.
    pub helo: String,
    /// Which identity this is: `mailfrom` or `helo` (§9.1).
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MailFrom,
    Helo,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MailFrom => "mailfrom",
            Scope::Helo => "helo",
        }
    }
}

impl Identity {
    /// The identity SMTP gives: MAIL FROM's, or HELO's when the
    /// reverse-path is null (§2.4).
    pub fn of(ip: IpAddr, mail_from: Option<&str>, helo: &str) -> Identity {
        match mail_from {
            Some(sender) if sender.contains('@') => Identity {
                ip,
                sender: sender.to_owned(),
                helo: helo.to_owned(),
                scope: Scope::MailFrom,
            },
            _ => Identity {
                ip,
                sender: format!("postmaster@{helo}"),
                helo: helo.to_owned(),
                scope: Scope::Helo,
            },
        }
    }

    /// The domain checked: the part after the last `@` (§4.1).
    pub fn domain(&self) -> &str {
        self.sender.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// The outcome with what led to it, for headers and explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    pub result: SpfResult,
    /// The domain `check_host()` was asked about.
    pub domain: String,
    /// The term that decided, as written (`-all`, `ip4:192.0.2.0/24`).
    pub mechanism: Option<String>,
    /// Why an error: the rule broken or the DNS failure.
    pub problem: Option<String>,
    /// Terms that caused DNS lookups (§4.6.4).
    pub dns_terms: usize,
    /// Lookups that found nothing (§4.6.4).
    pub void_lookups: usize,
}

/// `check_host()` of RFC 7208 §4 for `identity`, asking `dns`.
pub async fn check_host(dns: &mut impl Dns, identity: &Identity) -> SpfOutcome {
    let domain = identity.domain().to_ascii_lowercase();
    let mut eval = Evaluation {
        dns,
        identity,
        dns_terms: 0,
        void_lookups: 0,
    };
    let verdict = eval.check(&domain, 0).await;
    let (result, mechanism, problem) = match verdict {
        Ok(Verdict { result, mechanism }) => (result, mechanism, None),
        Err(Stop { result, problem }) => (result, None, Some(problem)),
    };
    SpfOutcome {
        result,
        domain,
        mechanism,
        problem,
        dns_terms: eval.dns_terms,
        void_lookups: eval.void_lookups,
    }
}

struct Verdict {
    result: SpfResult,
    mechanism: Option<String>,
}

/// Evaluation ends at once with this result (temperror, permerror).
struct Stop {
    result: SpfResult,
    problem: String,
}

fn perm(problem: impl Into<String>) -> Stop {
    Stop {
        result: SpfResult::PermError,
        problem: problem.into(),
    }
}

fn temp(name: &str, error: &LookupError) -> Stop {
    Stop {
        result: SpfResult::TempError,
        problem: format!("DNS lookup of {name} failed: {error}"),
    }
}

struct Evaluation<'a, D> {
    dns: &'a mut D,
    identity: &'a Identity,
    dns_terms: usize,
    void_lookups: usize,
}

impl<D: Dns> Evaluation<'_, D> {
    /// `check_host()` for `domain`; `depth` counts include/redirect hops
    /// (bounded by the term limit already; the depth is a second guard).
    async fn check(&mut self, domain: &str, depth: usize) -> Result<Verdict, Stop> {
        let none = Verdict {
            result: SpfResult::None,
            mechanism: None,
        };
        // §4.3: a malformed domain or one that does not exist gives none.
        if !is_multi_label(domain) || depth > MAX_DNS_TERMS {
            return Ok(none);
        }
        let records = match self.dns.lookup(domain, QueryType::Txt).await {
            Ok(records) => txt_strings(&records),
            Err(LookupError::NxDomain) => return Ok(none),
            Err(error) => return Err(temp(domain, &error)),
        };
        // §4.5: records that begin with exactly "v=spf1", then a space or end.
        let spf: Vec<&String> = records.iter().filter(|t| is_spf_record(t)).collect();
        let text = match spf.as_slice() {
            [] => return Ok(none),
            [one] => one.as_str(),
            _ => {
                return Err(perm(format!(
                    "{domain} publishes more than one SPF record (§4.5)"
                )));
            }
        };
        let record =
            parse_record(text).map_err(|e| perm(format!("in the SPF record of {domain}: {e}")))?;
        for directive in &record.directives {
            if self.matches(&directive.mechanism, domain, depth).await? {
                return Ok(Verdict {
                    result: directive.qualifier,
                    mechanism: Some(directive.text.clone()),
                });
            }
        }
        if let Some(target) = &record.redirect {
            // §6.1: redirect only when nothing matched (an `all` always does).
            self.count_dns_term()?;
            let target = self.expand(target, domain)?;
            let verdict = Box::pin(self.check(&target, depth + 1)).await?;
            if verdict.result == SpfResult::None {
                return Err(perm(format!(
                    "redirect={target}: that domain publishes no SPF record (§6.1)"
                )));
            }
            return Ok(verdict);
        }
        // §4.7: no match and no redirect.
        Ok(Verdict {
            result: SpfResult::Neutral,
            mechanism: None,
        })
    }

    fn count_dns_term(&mut self) -> Result<(), Stop> {
        self.dns_terms += 1;
        if self.dns_terms > MAX_DNS_TERMS {
            return Err(perm(format!(
                "more than {MAX_DNS_TERMS} mechanisms and modifiers that look up DNS (§4.6.4)"
            )));
        }
        Ok(())
    }

    /// A lookup for a mechanism: NXDOMAIN and NODATA are "void" (§4.6.4)
    /// and match nothing; a server failure ends with temperror (§5).
    async fn query(&mut self, name: &str, qtype: QueryType) -> Result<Vec<RecordData>, Stop> {
        let data: Vec<RecordData> = match self.dns.lookup(name, qtype).await {
            Ok(records) => records
                .into_iter()
                .map(|r| r.data)
                .filter(|d| d.query_type() == qtype)
                .collect(),
            Err(LookupError::NxDomain) => Vec::new(),
            Err(error) => return Err(temp(name, &error)),
        };
        if data.is_empty() {
            self.void_lookups += 1;
            if self.void_lookups > MAX_VOID_LOOKUPS {
                return Err(perm(format!(
                    "more than {MAX_VOID_LOOKUPS} lookups found nothing (void lookups, §4.6.4)"
                )));
            }
        }
        Ok(data)
    }

    /// The addresses of `name` in the client's family.
    async fn addresses(&mut self, name: &str) -> Result<Vec<IpAddr>, Stop> {
        let qtype = match self.identity.ip {
            IpAddr::V4(_) => QueryType::A,
            IpAddr::V6(_) => QueryType::Aaaa,
        };
        Ok(self
            .query(name, qtype)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                RecordData::A(ip) => Some(IpAddr::V4(ip)),
                RecordData::Aaaa(ip) => Some(IpAddr::V6(ip)),
                _ => None,
            })
            .collect())
    }

    async fn matches(
        &mut self,
        mechanism: &Mechanism,
        domain: &str,
        depth: usize,
    ) -> Result<bool, Stop> {
        let ip = self.identity.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(net, prefix) => Ok(prefix::contains(IpAddr::V4(*net), *prefix, ip)),
            Mechanism::Ip6(net, prefix) => Ok(prefix::contains(IpAddr::V6(*net), *prefix, ip)),
            Mechanism::Include(spec) => {
                self.count_dns_term()?;
                let target = self.expand(spec, domain)?;
                let verdict = Box::pin(self.check(&target, depth + 1)).await?;
                // §5.2: only pass matches; none is a permerror.
                match verdict.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::None => Err(perm(format!(
                        "include:{target}: that domain publishes no SPF record (§5.2)"
                    ))),
                    SpfResult::TempError | SpfResult::PermError => Err(Stop {
                        result: verdict.result,
                        problem: format!("include:{target} gave {}", verdict.result),
                    }),
                }
            }
            Mechanism::A(spec, cidr) => {
                self.count_dns_term()?;
                let name = self.target(spec.as_deref(), domain)?;
                let found = self.addresses(&name).await?;
                Ok(found.into_iter().any(|a| cidr.contains(ip, a)))
            }
            Mechanism::Mx(spec, cidr) => {
                self.count_dns_term()?;
                let name = self.target(spec.as_deref(), domain)?;
                let exchanges: Vec<String> = self
                    .query(&name, QueryType::Mx)
                    .await?
                    .into_iter()
                    .filter_map(|d| match d {
                        RecordData::Mx { exchange, .. } => Some(exchange),
                        _ => None,
                    })
                    .collect();
                if exchanges.len() > MAX_MX_ADDRESS_LOOKUPS {
                    return Err(perm(format!(
                        "mx: {name} has {} MX records; at most {MAX_MX_ADDRESS_LOOKUPS} are looked up (§4.6.4)",
                        exchanges.len()
                    )));
                }
                for exchange in exchanges {
                    let found = self.addresses(&exchange).await?;
                    if found.into_iter().any(|a| cidr.contains(ip, a)) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                // Counted, never matching: no reverse zones here (§5.5).
                self.count_dns_term()?;
                self.target(spec.as_deref(), domain)?;
                Ok(false)
            }
            Mechanism::Exists(spec) => {
                self.count_dns_term()?;
                let name = self.expand(spec, domain)?;
                let found = self.query(&name, QueryType::A).await?;
                Ok(!found.is_empty())
            }
        }
    }

    fn target(&self, spec: Option<&str>, domain: &str) -> Result<String, Stop> {
        match spec {
            Some(spec) => self.expand(spec, domain),
            None => Ok(domain.to_owned()),
        }
    }

    fn expand(&self, spec: &str, domain: &str) -> Result<String, Stop> {
        expand_domain_spec(spec, self.identity, domain).map_err(perm)
    }
}

fn is_spf_record(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// A fully qualified name of at least two labels, each 1–63 octets.
fn is_multi_label(domain: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// A parsed record (§4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfRecord {
    pub directives: Vec<Directive>,
    pub redirect: Option<String>,
    pub exp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: SpfResult,
    pub mechanism: Mechanism,
    /// The term as written, for explanations.
    pub text: String,
}

/// The mechanisms of §5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(String),
    A(Option<String>, DualCidr),
    Mx(Option<String>, DualCidr),
    Ptr(Option<String>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(String),
}

/// `/24//64` after `a` and `mx` (§5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DualCidr {
    pub v4: u8,
    pub v6: u8,
}

impl DualCidr {
    fn contains(self, client: IpAddr, found: IpAddr) -> bool {
        let prefix = if found.is_ipv4() { self.v4 } else { self.v6 };
        prefix::contains(found, prefix, client)
    }
}

/// Reads a whole record before any of it is evaluated: a syntax error
/// anywhere is a permerror (§4.6).
pub fn parse_record(text: &str) -> Result<SpfRecord, String> {
    let mut terms = text.split(' ').filter(|t| !t.is_empty());
    match terms.next() {
        Some(v) if v.eq_ignore_ascii_case("v=spf1") => {}
        _ => return Err("it does not start with v=spf1".into()),
    }
    let mut record = SpfRecord {
        directives: Vec::new(),
        redirect: None,
        exp: None,
    };
    for term in terms {
        if let Some((name, value)) = modifier(term) {
            let slot = match name.to_ascii_lowercase().as_str() {
                "redirect" => &mut record.redirect,
                "exp" => &mut record.exp,
                // §6: unknown modifiers are ignored.
                _ => {
                    check_macro_string(value)?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(format!("{name}= appears twice (§6)"));
            }
            check_macro_string(value)?;
            *slot = Some(value.to_owned());
            continue;
        }
        record.directives.push(directive(term)?);
    }
    Ok(record)
}

/// `name=value` with a name of §12 (`ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`).
fn modifier(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then_some((name, value))
}

fn directive(term: &str) -> Result<Directive, String> {
    let (qualifier, rest) = match term.as_bytes().first() {
        Some(b'+') => (SpfResult::Pass, &term[1..]),
        Some(b'-') => (SpfResult::Fail, &term[1..]),
        Some(b'~') => (SpfResult::SoftFail, &term[1..]),
        Some(b'?') => (SpfResult::Neutral, &term[1..]),
        _ => (SpfResult::Pass, term),
    };
    let (name, arg) = match rest.find([':', '/']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let spec = |arg: Option<&str>| -> Result<String, String> {
        match arg.and_then(|a| a.strip_prefix(':')) {
            Some(s) if !s.is_empty() => {
                check_macro_string(s)?;
                Ok(s.to_owned())
            }
            _ => Err(format!("{term}: the mechanism needs :domain")),
        }
    };
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if arg.is_none() => Mechanism::All,
        "include" => Mechanism::Include(spec(arg)?),
        "exists" => Mechanism::Exists(spec(arg)?),
        "ptr" => Mechanism::Ptr(match arg {
            None => None,
            Some(_) => Some(spec(arg)?),
        }),
        "a" | "mx" => {
            let (domain, cidr) = domain_and_cidr(arg, term)?;
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A(domain, cidr)
            } else {
                Mechanism::Mx(domain, cidr)
            }
        }
        "ip4" => {
            let value = arg
                .and_then(|a| a.strip_prefix(':'))
                .ok_or(format!("{term}: ip4 needs an address"))?;
            let (ip, prefix) = split_prefix(value, 32, term)?;
            let ip = ip
                .parse::<Ipv4Addr>()
                .map_err(|_| format!("{term}: {ip:?} is not an IPv4 address"))?;
            Mechanism::Ip4(ip, prefix)
        }
        "ip6" => {
            let value = arg
                .and_then(|a| a.strip_prefix(':'))
                .ok_or(format!("{term}: ip6 needs an address"))?;
            let (ip, prefix) = split_prefix(value, 128, term)?;
            let ip = ip
                .parse::<Ipv6Addr>()
                .map_err(|_| format!("{term}: {ip:?} is not an IPv6 address"))?;
            Mechanism::Ip6(ip, prefix)
        }
        _ => return Err(format!("{term:?} is not a mechanism of SPF (§5)")),
    };
    Ok(Directive {
        qualifier,
        mechanism,
        text: term.to_owned(),
    })
}

fn split_prefix<'a>(value: &'a str, max: u8, term: &str) -> Result<(&'a str, u8), String> {
    match value.split_once('/') {
        None => Ok((value, max)),
        Some((ip, n)) => Ok((ip, cidr_length(n, max, term)?)),
    }
}

/// A prefix length: digits without a leading zero, at most `max` (§5.6).
fn cidr_length(n: &str, max: u8, term: &str) -> Result<u8, String> {
    let bad = || format!("{term}: /{n} is not a prefix length from 0 to {max}");
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return Err(bad());
    }
    n.parse::<u8>().ok().filter(|&v| v <= max).ok_or_else(bad)
}

/// `[:domain][/v4][//v6]` after `a` and `mx`.
fn domain_and_cidr(arg: Option<&str>, term: &str) -> Result<(Option<String>, DualCidr), String> {
    let mut cidr = DualCidr { v4: 32, v6: 128 };
    let Some(arg) = arg else {
        return Ok((None, cidr));
    };
    let (domain, lengths) = match arg.find('/') {
        Some(i) => (&arg[..i], &arg[i..]),
        None => (arg, ""),
    };
    let domain = match domain.strip_prefix(':') {
        Some("") => return Err(format!("{term}: empty domain after ':'")),
        Some(d) => {
            check_macro_string(d)?;
            Some(d.to_owned())
        }
        None if domain.is_empty() => None,
        None => return Err(format!("{term}: unexpected {domain:?}")),
    };
    if !lengths.is_empty() {
        let (v4, v6) = match lengths.strip_prefix("//") {
            Some(v6) => (None, Some(v6)),
            None => {
                let rest = &lengths[1..];
                match rest.split_once("//") {
                    Some((v4, v6)) => (Some(v4), Some(v6)),
                    None => (Some(rest), None),
                }
            }
        };
        if let Some(v4) = v4 {
            cidr.v4 = cidr_length(v4, 32, term)?;
        }
        if let Some(v6) = v6 {
            cidr.v6 = cidr_length(v6, 128, term)?;
        }
    }
    Ok((domain, cidr))
}

/// Checks the macro syntax of §7.1 without expanding.
fn check_macro_string(text: &str) -> Result<(), String> {
    let identity = Identity {
        ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        sender: "x@x.x".into(),
        helo: "x.x".into(),
        scope: Scope::MailFrom,
    };
    expand(text, &identity, "x.x", false).map(|_| ())
}

/// Expands a domain-spec's macros (§7.3) and shortens the result to 253
/// octets by dropping labels from the left (§7.3, last paragraph).
pub fn expand_domain_spec(spec: &str, identity: &Identity, domain: &str) -> Result<String, String> {
    let mut name = expand(spec, identity, domain, false)?;
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest.to_owned(),
            None => break,
        }
    }
    Ok(name.trim_end_matches('.').to_owned())
}

/// Expands the macros of §7: `%{letter transformers delimiters}`, `%%`,
/// `%_` (space), `%-` (`%20`). `exp` marks the explanation string, where
/// `c`, `r` and `t` are allowed too.
pub fn expand(text: &str, identity: &Identity, domain: &str, exp: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.as_bytes().first() {
            Some(b'%') => {
                out.push('%');
                rest = &after[1..];
            }
            Some(b'_') => {
                out.push(' ');
                rest = &after[1..];
            }
            Some(b'-') => {
                out.push_str("%20");
                rest = &after[1..];
            }
            Some(b'{') => {
                let close = after.find('}').ok_or("a macro %{ is not closed with }")?;
                out.push_str(&macro_value(&after[1..close], identity, domain, exp)?);
                rest = &after[close + 1..];
            }
            _ => {
                return Err(format!(
                    "{text:?}: a lone % (write %% for a percent sign, §7.1)"
                ));
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn macro_value(
    inner: &str,
    identity: &Identity,
    domain: &str,
    exp: bool,
) -> Result<String, String> {
    let mut chars = inner.chars();
    let letter = chars.next().ok_or("an empty macro %{}")?;
    let local = identity
        .sender
        .rsplit_once('@')
        .map_or("postmaster", |(l, _)| l);
    let value = match letter.to_ascii_lowercase() {
        's' => identity.sender.clone(),
        'l' => local.to_owned(),
        'o' => identity.domain().to_owned(),
        'd' => domain.to_owned(),
        'i' => dotted_ip(identity.ip),
        // §7.3: "p" needs a validated reverse name; there is none here.
        'p' => "unknown".to_owned(),
        'v' => if identity.ip.is_ipv4() {
            "in-addr"
        } else {
            "ip6"
        }
        .to_owned(),
        'h' => identity.helo.clone(),
        'c' if exp => identity.ip.to_string(),
        'r' if exp => "unknown".to_owned(),
        't' if exp => "0".to_owned(),
        other => {
            return Err(format!(
                "%{{{inner}}}: {other:?} is not a macro letter here (§7.2)"
            ));
        }
    };
    let spec: String = chars.collect();
    let digits: String = spec.chars().take_while(char::is_ascii_digit).collect();
    let mut tail = &spec[digits.len()..];
    let reverse = tail.starts_with(['r', 'R']);
    if reverse {
        tail = &tail[1..];
    }
    if !tail.chars().all(|c| ".-+,/_=".contains(c)) {
        return Err(format!("%{{{inner}}}: {tail:?} are not delimiters (§7.1)"));
    }
    let delimiters: &str = if tail.is_empty() { "." } else { tail };
    let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    if !digits.is_empty() {
        let keep: usize = digits
            .parse()
            .map_err(|_| format!("%{{{inner}}}: bad digits"))?;
        if keep == 0 {
            return Err(format!("%{{{inner}}}: zero parts is not allowed (§7.3)"));
        }
        if parts.len() > keep {
            parts = parts.split_off(parts.len() - keep);
        }
    }
    let joined = parts.join(".");
    Ok(if letter.is_ascii_uppercase() {
        url_escape(&joined)
    } else {
        joined
    })
}

/// `%{i}`: dotted IPv4, or IPv6 as dot-separated nibbles (§7.3).
fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .flat_map(|b| [b >> 4, b & 0xf])
            .map(|n| format!("{n:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// Uppercase macro letters are URL-escaped (§7.3, RFC 3986 unreserved kept).
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
