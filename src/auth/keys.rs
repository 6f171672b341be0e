//! DKIM signing keys: Ed25519 (RFC 8463) made from the world's seed, RSA
//! given by the scenario or the shipped test key (`assets/dkim/`), and
//! the key record each publishes (RFC 6376 §3.6.1).
//!
//! `ring` signs and verifies both but makes no RSA keys; see
//! `assets/dkim/README.md` for why no generator was added.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{self, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::dkim::Algorithm;

/// The shipped RSA-2048 test key (PKCS#1 DER), public test material.
const TEST_RSA_KEY: &[u8] = include_bytes!("../../assets/dkim/test-rsa-2048.der");

/// A private key that signs for one domain and selector.
#[derive(Debug)]
pub struct SigningKey {
    pub algorithm: Algorithm,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Why a key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the private key is not base64: {0}")]
    Base64(String),
    #[error("the private key is not an RSA key in PKCS#8 or PKCS#1 DER: {0}")]
    Rsa(String),
    #[error("an Ed25519 key is made from the world's seed; a given private_key is for Rsa only")]
    GivenEd25519,
}

impl SigningKey {
    /// An RSA key: `given` (base64 of PKCS#8 or PKCS#1 DER), or the
    /// test key.
    pub fn rsa(given: Option<&str>) -> Result<SigningKey, KeyError> {
        let der = match given {
            Some(text) => {
                let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                BASE64
                    .decode(text)
                    .map_err(|e| KeyError::Base64(e.to_string()))?
            }
            None => TEST_RSA_KEY.to_vec(),
        };
        let pair = RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map_err(|e| KeyError::Rsa(e.to_string()))?;
        Ok(SigningKey {
            algorithm: Algorithm::RsaSha256,
            kind: Kind::Rsa(pair),
        })
    }

    /// An Ed25519 key made from the world's seed and the key's place
    /// (domain, selector): the same world gives the same key every run.
    pub fn ed25519(world_seed: u64, domain: &str, selector: &str) -> SigningKey {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(b"mailflow dkim ed25519\0");
        context.update(&world_seed.to_le_bytes());
        context.update(domain.to_ascii_lowercase().as_bytes());
        context.update(b"\0");
        context.update(selector.to_ascii_lowercase().as_bytes());
        let seed = context.finish();
        // 32 octets of SHA-256 are exactly an Ed25519 seed (RFC 8032 §5.1.5).
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
            .unwrap_or_else(|_| unreachable!("a SHA-256 digest is a 32-octet seed"));
        SigningKey {
            algorithm: Algorithm::Ed25519Sha256,
            kind: Kind::Ed25519(pair),
        }
    }

    /// Signs `data`: RSASSA-PKCS1-v1_5 with SHA-256 over the data, or
    /// Ed25519 over the SHA-256 of the data (RFC 8463 §3).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        match &self.kind {
            Kind::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                // PKCS#1 v1.5 is deterministic; the generator only blinds.
                let rng = ring::rand::SystemRandom::new();
                match pair.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut out) {
                    Ok(()) => out,
                    Err(_) => Vec::new(),
                }
            }
            Kind::Ed25519(pair) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                pair.sign(digest.as_ref()).as_ref().to_vec()
            }
        }
    }

    /// The `p=` of the key record: SubjectPublicKeyInfo for RSA (as
    /// `openssl rsa -pubout` writes it), the raw 32 octets for Ed25519
    /// (RFC 8463 §4.2).
    pub fn public_key(&self) -> Vec<u8> {
        match &self.kind {
            Kind::Rsa(pair) => rsa_spki(pair.public().as_ref()),
            Kind::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// The TXT record to publish at `<selector>._domainkey.<domain>`.
    pub fn record(&self) -> String {
        format!(
            "v=DKIM1; k={}; p={}",
            self.algorithm.key_type(),
            BASE64.encode(self.public_key())
        )
    }
}

/// The rsaEncryption AlgorithmIdentifier: OID 1.2.840.113549.1.1.1, NULL.
const RSA_ALGORITHM_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

fn der_length(len: usize, out: &mut Vec<u8>) {
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
}

/// Wraps a PKCS#1 RSAPublicKey into SubjectPublicKeyInfo (RFC 5280 §4.1).
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    let mut bits = vec![0x03];
    der_length(pkcs1.len() + 1, &mut bits);
    bits.push(0);
    bits.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_length(RSA_ALGORITHM_ID.len() + bits.len(), &mut out);
    out.extend_from_slice(RSA_ALGORITHM_ID);
    out.extend_from_slice(&bits);
    out
}

/// Reads one DER header: (tag, content start, content end).
fn der_item(der: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *der.get(at)?;
    let first = *der.get(at + 1)?;
    let (len, start) = match first {
        0..=0x7f => (usize::from(first), at + 2),
        0x81 => (usize::from(*der.get(at + 2)?), at + 3),
        0x82 => (
            usize::from(*der.get(at + 2)?) << 8 | usize::from(*der.get(at + 3)?),
            at + 4,
        ),
        _ => return None,
    };
    let end = start.checked_add(len)?;
    (end <= der.len()).then_some((tag, start, end))
}

/// The PKCS#1 RSAPublicKey inside `p=`: a SubjectPublicKeyInfo is
/// unwrapped, a bare RSAPublicKey is taken as it is (both are met, RFC
/// 6376 §3.6.1 and practice).
pub fn rsa_public_key(p: &[u8]) -> Option<&[u8]> {
    let (tag, start, _) = der_item(p, 0)?;
    if tag != 0x30 {
        return None;
    }
    let (inner, _, inner_end) = der_item(p, start)?;
    if inner == 0x30 && p.get(start..inner_end) == Some(RSA_ALGORITHM_ID) {
        let (bits, bits_start, bits_end) = der_item(p, inner_end)?;
        if bits != 0x03 || p.get(bits_start) != Some(&0) {
            return None;
        }
        return p.get(bits_start + 1..bits_end);
    }
    // An INTEGER first: already an RSAPublicKey.
    (inner == 0x02).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_keys_come_from_the_seed_and_the_selector() {
        let a = SigningKey::ed25519(1, "example.org", "mail");
        let b = SigningKey::ed25519(1, "EXAMPLE.org", "mail");
        let c = SigningKey::ed25519(2, "example.org", "mail");
        let d = SigningKey::ed25519(1, "example.org", "other");
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
        assert_ne!(a.public_key(), d.public_key());
        assert_eq!(a.public_key().len(), 32, "RFC 8463 §4.2: the raw key");
        assert!(a.record().starts_with("v=DKIM1; k=ed25519; p="));
    }

    #[test]
    fn rsa_record_is_subject_public_key_info_rfc6376_3_6_1() {
        let key = SigningKey::rsa(None).unwrap();
        let p = key.public_key();
        let pkcs1 = rsa_public_key(&p).unwrap();
        assert_eq!(pkcs1[0], 0x30);
        assert_eq!(
            rsa_public_key(pkcs1),
            Some(pkcs1),
            "bare RSAPublicKey accepted"
        );
        // openssl's own SPKI of the same key starts the same way.
        assert!(
            BASE64
                .encode(&p)
                .starts_with("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
        );
        assert!(rsa_public_key(b"\x30\x03\x02\x01").is_none(), "truncated");
        assert!(rsa_public_key(b"").is_none());
    }

    #[test]
    fn a_given_key_that_is_not_pkcs8_is_a_clear_error() {
        assert!(matches!(
            SigningKey::rsa(Some("not base64!")),
            Err(KeyError::Base64(_))
        ));
        assert!(matches!(
            SigningKey::rsa(Some("AAAA")),
            Err(KeyError::Rsa(_))
        ));
    }
}
