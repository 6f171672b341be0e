//! rustls's ring provider with the world's randomness in it.
//!
//! ring draws every random byte from the OS, which would make each run's
//! TLS records differ. Two parts of the provider therefore come from
//! [`seeded`](super::seeded): the random source (client and server
//! randoms, session ids) and the key exchange (X25519, RFC 7748, whose
//! secret is 32 random bytes). Signatures need no randomness: the world's
//! keys are Ed25519 (RFC 8032, deterministic), never ECDSA or RSA-PSS,
//! whose signers in ring draw from the OS. Ciphers (AES-GCM,
//! ChaCha20-Poly1305) take their nonces from record sequence numbers.

use std::sync::Arc;

use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, SecureRandom, SharedSecret,
    SupportedKxGroup,
};
use rustls::time_provider::TimeProvider;
use rustls::{Error, NamedGroup, PeerMisbehaved};

use super::seeded;

/// The provider every TLS session of a world uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        kx_groups: vec![&SEEDED_X25519],
        secure_random: &SEEDED_RANDOM,
        ..ring()
    })
}

/// rustls's ring provider. rustls 0.23.48 deprecates it for lacking the
/// post-quantum ML-KEM exchange; a world exchanges keys over seeded X25519
/// anyway, which a class can follow, and aws-lc-rs wants a C toolchain.
#[expect(deprecated, reason = "ring lacks ML-KEM, which a world does not use")]
fn ring() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The clock certificate validity is checked against: simulated time.
pub fn clock() -> Arc<dyn TimeProvider> {
    Arc::new(SeededClock)
}

#[derive(Debug)]
struct SeededClock;

impl TimeProvider for SeededClock {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        Some(seeded::now())
    }
}

#[derive(Debug)]
struct SeededRandom;

static SEEDED_RANDOM: SeededRandom = SeededRandom;

impl SecureRandom for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        if seeded::fill(buf) {
            return Ok(());
        }
        ring().secure_random.fill(buf)
    }
}

#[derive(Debug)]
struct SeededX25519;

static SEEDED_X25519: SeededX25519 = SeededX25519;

impl SupportedKxGroup for SeededX25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut secret = [0u8; 32];
        SEEDED_RANDOM
            .fill(&mut secret)
            .map_err(|_| Error::FailedToGetRandomBytes)?;
        let public = x25519_dalek::x25519(secret, x25519_dalek::X25519_BASEPOINT_BYTES);
        Ok(Box::new(X25519Share { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Share {
    secret: [u8; 32],
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Share {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = x25519_dalek::x25519(self.secret, peer);
        // RFC 7748 §6.1: an all-zero result means a small-order point.
        if shared == [0u8; 32] {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}
