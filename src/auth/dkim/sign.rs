//! Signing (RFC 6376 §5) with relaxed/relaxed canonicalization, the form
//! that survives ordinary re-folding on the way.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::canon::{self, RawField};
use super::{Canon, verify::without_b_value};
use crate::auth::keys::SigningKey;

/// The fields a signer signs when present (§5.4.1 lists these as the
/// ones that SHOULD be signed). From is always among them (§5.4).
pub const SIGNED_FIELDS: [&str; 12] = [
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// The whole `DKIM-Signature:` field (CRLF included) for `message`, signed
/// by `key` for `domain` with `selector`, at Unix time `timestamp`.
pub fn sign(
    message: &[u8],
    key: &SigningKey,
    domain: &str,
    selector: &str,
    timestamp: i64,
) -> String {
    let (fields, body_offset) = canon::split(message);
    let body = canon::body(message.get(body_offset..).unwrap_or(&[]), Canon::Relaxed);
    let bh = BASE64.encode(ring::digest::digest(&ring::digest::SHA256, &body));
    // Each instance present is signed once (§5.4.2 picks them bottom-up).
    let names: Vec<String> = SIGNED_FIELDS
        .iter()
        .flat_map(|name| {
            let count = fields
                .iter()
                .filter(|f| f.name.eq_ignore_ascii_case(name))
                .count();
            std::iter::repeat_n(name.to_ascii_lowercase(), count)
        })
        .collect();
    let head = format!(
        "DKIM-Signature: v=1; a={}; c=relaxed/relaxed; d={domain}; s={selector};\r\n\tt={timestamp}; h={};\r\n\tbh={bh};\r\n\tb=",
        key.algorithm.as_str(),
        fold_list(&names),
    );
    let data = signed_data(&fields, &names, head.as_bytes(), Canon::Relaxed);
    let b = BASE64.encode(key.sign(&data));
    format!("{head}{}\r\n", fold_base64(&b))
}

/// The octets the header signature covers (§3.7): the selected fields,
/// then the signature field with an empty `b=` and no final CRLF.
pub(crate) fn signed_data(
    fields: &[RawField<'_>],
    names: &[String],
    signature_field: &[u8],
    canon: Canon,
) -> Vec<u8> {
    let mut data = Vec::new();
    for raw in canon::select(fields, names) {
        data.extend_from_slice(&canon::header(raw, canon));
    }
    let emptied = without_b_value(signature_field);
    let mut own = canon::header(&emptied, canon);
    if own.ends_with(b"\r\n") {
        own.truncate(own.len() - 2);
    }
    data.extend_from_slice(&own);
    data
}

/// `h=` names joined by `:`, folded so no line runs long.
fn fold_list(names: &[String]) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(':');
            line += 1;
        }
        if line + name.len() > 60 {
            out.push_str("\r\n\t ");
            line = 0;
        }
        out.push_str(name);
        line += name.len();
    }
    out
}

/// The signature value in lines of 64 (folding whitespace is allowed in
/// `b=`, §3.5, and is ignored by verifiers).
fn fold_base64(b: &str) -> String {
    b.as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n\t ")
}
