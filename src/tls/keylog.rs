//! The session secrets of a world's TLS, in the key log format of
//! SSLKEYLOGFILE (NSS; draft-ietf-tls-keylogfile): `LABEL CLIENT_RANDOM
//! SECRET`, hex. A capture carries them (pcapng's Decryption Secrets
//! Block), so Wireshark reads a STARTTLS session as the two ends did.

use super::seeded;

/// Collects each secret rustls derives into the lent source of the call.
#[derive(Debug)]
pub struct Collect;

impl rustls::KeyLog for Collect {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        seeded::log_secret(format!("{label} {} {}", hex(client_random), hex(secret)));
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
