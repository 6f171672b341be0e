//! Each world's certificate authority and the certificates of its hosts.
//!
//! A world has one CA, "mailflow <title> CA", whose key and every host's
//! key follow from the scenario's seed (Ed25519 keys are 32 seed bytes,
//! RFC 8032 §5.1.5), and whose certificates are dated from the world's
//! start: the same scenario always has the same certificates, so its
//! captures and traces are byte-identical run after run, and a lesson can
//! make a certificate expire or name the wrong host. `serve` writes the
//! CA's certificate to a file so real clients can trust it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng as _, SeedableRng as _};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ED25519, SerialNumber,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Error;

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl Validity {
    /// A certificate as a CA would issue it for a world starting at
    /// `start`: valid from a day before for 90 days.
    pub fn around(start: SystemTime) -> Self {
        const DAY: Duration = Duration::from_secs(86_400);
        Validity {
            not_before: start.checked_sub(DAY).unwrap_or(UNIX_EPOCH),
            not_after: start + 90 * DAY,
        }
    }
}

/// A host's certificate and key, ready for rustls.
#[derive(Debug)]
pub struct HostCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// A world's certificate authority.
pub struct Pki {
    seed: u64,
    issuer: Issuer<'static, KeyPair>,
    certificate: CertificateDer<'static>,
    pem: String,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").field("seed", &self.seed).finish()
    }
}

impl Pki {
    /// The CA of a world named `title`, seeded by `seed`, starting at `start`.
    pub fn new(title: &str, seed: u64, start: SystemTime) -> Result<Self, Error> {
        let name = format!("mailflow {title} CA");
        let failed = |source| Error::Certificate {
            name: name.clone(),
            source,
        };
        let key = ed25519_key(seed, "ca").map_err(failed)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, &name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let validity = Validity::around(start);
        params.not_before = to_time(validity.not_before);
        params.not_after = to_time(start + Duration::from_secs(10 * 365 * 86_400));
        params.serial_number = Some(SerialNumber::from(1u64.to_be_bytes().to_vec()));
        let certificate = params.self_signed(&key).map_err(failed)?;
        Ok(Pki {
            seed,
            pem: certificate.pem(),
            certificate: certificate.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate, DER.
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.certificate
    }

    /// The CA's certificate, PEM, for real clients (`swaks --tls-ca-path`).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A trust store holding only this CA.
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        // The CA certificate is our own and well formed; a failure here
        // leaves the store empty and every handshake says why.
        let _ = roots.add(self.certificate.clone());
        roots
    }

    /// A server certificate for `names` (its subjectAltNames, RFC 6125;
    /// the first is also its common name), issued by this CA; `serial`
    /// tells certificates apart.
    pub fn host(
        &self,
        names: &[String],
        serial: u64,
        validity: Validity,
    ) -> Result<HostCertificate, Error> {
        let name = names.first().map_or("", String::as_str);
        let failed = |source| Error::Certificate {
            name: name.to_owned(),
            source,
        };
        let label = format!("host {name}");
        let key = ed25519_key(self.seed, &label).map_err(failed)?;
        let mut params = CertificateParams::new(names.to_vec()).map_err(failed)?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = to_time(validity.not_before);
        params.not_after = to_time(validity.not_after);
        params.serial_number = Some(SerialNumber::from((serial + 2).to_be_bytes().to_vec()));
        params.use_authority_key_identifier_extension = true;
        let certificate = params.signed_by(&key, &self.issuer).map_err(failed)?;
        Ok(HostCertificate {
            chain: vec![certificate.der().clone(), self.certificate.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// An Ed25519 key from the world's seed and a label: the PKCS #8 form of
/// RFC 8410 §7 around 32 seed bytes.
fn ed25519_key(seed: u64, label: &str) -> Result<KeyPair, rcgen::Error> {
    const PKCS8_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(super::seeded::mix(seed, 0, label));
    let mut der = PKCS8_PREFIX.to_vec();
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    der.extend_from_slice(&secret);
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der), &PKCS_ED25519)
}

fn to_time(at: SystemTime) -> time::OffsetDateTime {
    let seconds = match at.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    time::OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
