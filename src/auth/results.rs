//! The header fields a receiver adds to say what it checked:
//! `Authentication-Results:` (RFC 8601) for SPF, DKIM and DMARC together,
//! and `Received-SPF:` (RFC 7208 §9.1) for SPF in its own words.
//!
//! ```text
//! Authentication-Results: mx.example.net;
//!         spf=pass smtp.mailfrom=alice@example.org;
//!         dkim=pass header.d=example.org header.s=mail header.b=Ab3dEf9h;
//!         dmarc=pass (p=reject) header.from=example.org
//! ```

use super::dkim::DkimOutcome;
use super::dmarc::{DmarcOutcome, DmarcResult};
use super::spf::{Identity, Scope, SpfOutcome, SpfResult};

/// The header field that marks a message DMARC quarantined: what a mail
/// program files in its junk folder (as SpamAssassin's `X-Spam-Flag`).
pub const QUARANTINE_FIELD: &str = "X-Quarantine";

/// `Authentication-Results:` by `authserv_id` (the receiving host, §2.5),
/// CRLF included.
pub fn authentication_results(
    authserv_id: &str,
    identity: &Identity,
    spf: &SpfOutcome,
    dkim: &[DkimOutcome],
    dmarc: Option<&DmarcOutcome>,
) -> String {
    let mut methods = Vec::new();
    let property = match identity.scope {
        Scope::MailFrom => format!("smtp.mailfrom={}", identity.sender),
        Scope::Helo => format!("smtp.helo={}", identity.helo),
    };
    methods.push(format!("spf={} {property}", spf.result));
    if dkim.is_empty() {
        methods.push("dkim=none".to_owned());
    }
    for d in dkim {
        let reason = d
            .problem
            .as_deref()
            .map(|p| format!(" ({})", comment(p)))
            .unwrap_or_default();
        methods.push(format!(
            "dkim={}{reason} header.d={} header.s={} header.a={} header.b={}",
            d.result, d.domain, d.selector, d.algorithm, d.b_prefix
        ));
    }
    if let Some(dmarc) = dmarc {
        let comment = match (dmarc.policy, dmarc.result) {
            (Some(p), DmarcResult::Fail) => format!(" (p={p} dis={})", dmarc.disposition),
            (Some(p), _) => format!(" (p={p})"),
            (None, _) => String::new(),
        };
        methods.push(format!(
            "dmarc={}{comment} header.from={}",
            dmarc.result, dmarc.from_domain
        ));
    }
    format!(
        "Authentication-Results: {authserv_id};\r\n\t{}\r\n",
        methods.join(";\r\n\t")
    )
}

/// `Received-SPF:` (RFC 7208 §9.1): the result, a comment a person can
/// read, and the key-value pairs a program can.
pub fn received_spf(receiver: &str, identity: &Identity, spf: &SpfOutcome) -> String {
    let ip = identity.ip;
    let who = &identity.sender;
    let why = match spf.result {
        SpfResult::Pass => format!("domain of {who} designates {ip} as permitted sender"),
        SpfResult::Fail => format!("domain of {who} does not designate {ip} as permitted sender"),
        SpfResult::SoftFail => {
            format!("domain of transitioning {who} does not designate {ip} as permitted sender")
        }
        SpfResult::Neutral => format!("{ip} is neither permitted nor denied by domain of {who}"),
        SpfResult::None => format!("domain of {who} does not provide an SPF record"),
        SpfResult::TempError | SpfResult::PermError => format!(
            "error in processing during lookup of {who}: {}",
            spf.problem.as_deref().unwrap_or("unknown")
        ),
    };
    let mut pairs = vec![
        format!("client-ip={ip}"),
        format!("envelope-from=\"{}\"", who.replace(['"', '\\'], "")),
        format!("helo={}", identity.helo),
        format!("receiver={receiver}"),
    ];
    if let Some(m) = &spf.mechanism {
        pairs.push(format!("mechanism=\"{}\"", m.replace(['"', '\\'], "")));
    }
    pairs.push(format!("identity={}", identity.scope.as_str()));
    format!(
        "Received-SPF: {} ({receiver}: {})\r\n\t{}\r\n",
        spf.result,
        comment(&why),
        pairs.join(";\r\n\t")
    )
}

/// Text safe inside a header comment: no parentheses, backslashes or
/// line breaks (RFC 5322 §3.2.2 `ctext`).
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '(' | ')' | '\\' | '\r' | '\n' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::dkim::DkimResult;
    use crate::auth::dmarc::Policy;

    fn identity() -> Identity {
        Identity::of(
            "192.0.2.25".parse().unwrap(),
            Some("alice@example.org"),
            "smtp.example.org",
        )
    }

    fn spf(result: SpfResult) -> SpfOutcome {
        SpfOutcome {
            result,
            domain: "example.org".into(),
            mechanism: Some("-all".into()),
            problem: None,
            dns_terms: 1,
            void_lookups: 0,
        }
    }

    #[test]
    fn authentication_results_names_each_method_and_property_rfc8601_2_2() {
        let dkim = [DkimOutcome {
            result: DkimResult::Fail,
            domain: "example.org".into(),
            selector: "mail".into(),
            algorithm: "rsa-sha256".into(),
            b_prefix: "AbCdEfGh".into(),
            problem: Some("body hash did not verify (changed)".into()),
        }];
        let dmarc = DmarcOutcome {
            result: DmarcResult::Fail,
            from_domain: "example.org".into(),
            policy: Some(Policy::Reject),
            disposition: Policy::Reject,
            spf_aligned: false,
            dkim_aligned: false,
            problem: None,
        };
        let field = authentication_results(
            "mx.example.net",
            &identity(),
            &spf(SpfResult::Fail),
            &dkim,
            Some(&dmarc),
        );
        assert_eq!(
            field,
            "Authentication-Results: mx.example.net;\r\n\tspf=fail smtp.mailfrom=alice@example.org;\r\n\t\
             dkim=fail (body hash did not verify  changed ) header.d=example.org header.s=mail \
             header.a=rsa-sha256 header.b=AbCdEfGh;\r\n\tdmarc=fail (p=reject dis=reject) header.from=example.org\r\n"
        );
        let none = authentication_results(
            "mx.example.net",
            &identity(),
            &spf(SpfResult::Pass),
            &[],
            None,
        );
        assert!(none.contains("dkim=none"));
        // It reads back as one header field.
        let parsed = crate::mail::Headers::parse(format!("{field}\r\n").as_bytes());
        assert_eq!(parsed.len(), 1);
    }

    #[test]
    fn received_spf_has_comment_and_key_value_pairs_rfc7208_9_1() {
        let field = received_spf("mx.example.net", &identity(), &spf(SpfResult::Fail));
        assert!(field.starts_with(
            "Received-SPF: fail (mx.example.net: domain of alice@example.org does not designate 192.0.2.25 as permitted sender)"
        ));
        for pair in [
            "client-ip=192.0.2.25",
            "envelope-from=\"alice@example.org\"",
            "helo=smtp.example.org",
            "receiver=mx.example.net",
            "mechanism=\"-all\"",
            "identity=mailfrom",
        ] {
            assert!(field.contains(pair), "{pair}");
        }
        let helo = Identity::of("192.0.2.25".parse().unwrap(), None, "smtp.example.org");
        assert!(received_spf("mx", &helo, &spf(SpfResult::Pass)).contains("identity=helo"));
    }
}

/// The result words of each method (RFC 8601 §2.7), for checking claims.
pub const SPF_RESULTS: [&str; 7] = [
    "none",
    "neutral",
    "pass",
    "fail",
    "softfail",
    "temperror",
    "permerror",
];
pub const DKIM_RESULTS: [&str; 7] = [
    "none",
    "pass",
    "fail",
    "policy",
    "neutral",
    "temperror",
    "permerror",
];
pub const DMARC_RESULTS: [&str; 5] = ["none", "pass", "fail", "temperror", "permerror"];

/// What a message says about its authentication: the results of the
/// topmost `Authentication-Results` field (the last receiver's), and the
/// quarantine flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// (method, result) in the order written: `("dkim", "pass")`.
    pub results: Vec<(String, String)>,
    pub quarantined: bool,
}

impl Found {
    /// The first result of `method`.
    pub fn result(&self, method: &str) -> Option<&str> {
        self.results
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, r)| r.as_str())
    }
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.results.is_empty() {
            f.write_str("no Authentication-Results")?;
        } else {
            let list: Vec<String> = self
                .results
                .iter()
                .map(|(m, r)| format!("{m}={r}"))
                .collect();
            f.write_str(&list.join(", "))?;
        }
        if self.quarantined {
            f.write_str(", quarantined")?;
        }
        Ok(())
    }
}

/// The `method=result` pairs of one Authentication-Results value, in
/// order, after its authserv-id.
pub fn methods(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .skip(1)
        .filter_map(|part| {
            let token = part.trim().split([' ', '\t', '(']).next()?;
            let (method, result) = token.split_once('=')?;
            Some((method.to_ascii_lowercase(), result.to_ascii_lowercase()))
        })
        .collect()
}

/// Reads `method=result` of the topmost Authentication-Results field
/// (RFC 8601 §2.2: `authserv-id; method=result properties; ...`).
pub fn read(message: &[u8]) -> Found {
    let headers = crate::mail::Headers::parse(message);
    let results = headers
        .get("Authentication-Results")
        .map(methods)
        .unwrap_or_default();
    Found {
        results,
        quarantined: headers.get(QUARANTINE_FIELD).is_some(),
    }
}

/// `content` without the Authentication-Results fields that claim to be
/// from `authserv_id`: anyone can write one, so a receiver removes those
/// bearing its own name before adding its own (RFC 8601 §5).
pub fn strip_own(content: &[u8], authserv_id: &str) -> Vec<u8> {
    let (fields, body) = super::dkim::canon::split(content);
    let forged = |raw: &[u8]| {
        let value = String::from_utf8_lossy(raw);
        let id = value
            .split_once(':')
            .map(|(_, v)| v.split(';').next().unwrap_or("").trim().to_owned())
            .unwrap_or_default();
        id.eq_ignore_ascii_case(authserv_id)
    };
    let mut out = Vec::with_capacity(content.len());
    for field in &fields {
        if !(field.name.eq_ignore_ascii_case("Authentication-Results") && forged(field.raw)) {
            out.extend_from_slice(field.raw);
        }
    }
    let header_end = fields.last().map_or(0, |f| {
        f.raw.as_ptr() as usize - content.as_ptr() as usize + f.raw.len()
    });
    out.extend_from_slice(content.get(header_end.min(body)..).unwrap_or(&[]));
    out
}

#[cfg(test)]
mod strip_tests {
    use super::*;

    #[test]
    fn own_authserv_id_from_outside_is_removed_rfc8601_5() {
        let m = b"Authentication-Results: mx.example.net; dmarc=pass\r\n\
Authentication-Results: other.example; spf=fail\r\nFrom: a@example.org\r\n\r\nbody\r\n";
        let out = strip_own(m, "MX.example.net");
        assert_eq!(
            out,
            b"Authentication-Results: other.example; spf=fail\r\nFrom: a@example.org\r\n\r\nbody\r\n".to_vec()
        );
        let clean = b"From: a@example.org\r\n\r\nbody\r\n";
        assert_eq!(strip_own(clean, "mx.example.net"), clean.to_vec());
    }
}
