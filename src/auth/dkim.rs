//! DKIM (RFC 6376, with Ed25519 of RFC 8463): a domain signs the messages
//! it sends, and publishes the public key in DNS at
//! `<selector>._domainkey.<domain>`; anyone on the way can check that the
//! signed header fields and the body arrived as they left.
//!
//! ```text
//! DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;
//!         s=mail; t=1796115600; h=from:to:subject:date:message-id;
//!         bh=<SHA-256 of the canonical body>; b=<signature of the header hash>
//! ```
//!
//! * `canon`: the two canonicalizations of §3.4 for header and body
//! * `tags`: tag=value lists (§3.2) of signatures and key records
//! * `sign`: §5, with relaxed/relaxed and the fields a signer should sign
//! * `verify`: §6, one result per signature, the key fetched over DNS

pub mod canon;
pub mod sign;
pub mod tags;
pub mod verify;

pub use sign::{SIGNED_FIELDS, sign};
pub use verify::{DkimOutcome, DkimResult, verify};

/// A signing algorithm (`a=`, §3.3; RFC 8463 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    Ed25519Sha256,
}

impl Algorithm {
    /// The `a=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The `k=` value of the key record.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa",
            Algorithm::Ed25519Sha256 => "ed25519",
        }
    }

    pub fn parse(text: &str) -> Option<Algorithm> {
        match text.to_ascii_lowercase().as_str() {
            "rsa-sha256" => Some(Algorithm::RsaSha256),
            "ed25519-sha256" => Some(Algorithm::Ed25519Sha256),
            _ => None,
        }
    }
}

/// `c=`: how header and body are canonicalized (§3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canon {
    Simple,
    Relaxed,
}

impl Canon {
    pub fn as_str(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

/// The name of the key record: `<selector>._domainkey.<domain>` (§3.6.2.1).
pub fn key_name(selector: &str, domain: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

#[cfg(test)]
mod tests;
