//! TLS for SMTP's STARTTLS (RFC 3207) and implicit TLS (RFC 8314), built
//! on rustls with the world's own randomness, clock and certificates.
//!
//! * `seeded`: where the TLS machines' randomness and clock come from: the
//!   world while it runs on simulated time, the OS otherwise
//! * `provider`: rustls's ring provider, with a key exchange and a random
//!   source drawn from `seeded`, so a seed gives the same records each run
//! * `layer`: one end's TLS between a session machine and the wire
//! * `record`: what a flight of records holds, read from its bytes
//! * `keylog`: the secrets, as SSLKEYLOGFILE lines, for captures
//! * `pki`: each world's certificate authority and its hosts' certificates
//!
//! A world's TLS is a lesson, not a secret: every key follows from the
//! scenario's seed, so anyone with the scenario can decrypt its captures,
//! which is what a key log for Wireshark gives anyway. `serve` with real
//! clients draws from the OS instead.

pub mod keylog;
pub mod layer;
pub mod pki;
pub mod provider;
pub mod record;
pub mod seeded;

pub use layer::Layer;
pub use pki::{HostCertificate, Pki, Validity};
pub use provider::provider;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("certificate for {name}: {source}")]
    Certificate {
        name: String,
        #[source]
        source: rcgen::Error,
    },
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

#[cfg(test)]
mod tests;
