//! Handshakes between rustls ends in memory, with the world's provider.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::ServerName;
use rustls::{
    ClientConfig, ClientConnection, ServerConfig, ServerConnection, SupportedProtocolVersion,
};

use super::seeded::{self, Source};
use super::{Pki, Validity, provider};

const START: Duration = Duration::from_secs(1_800_000_000);

fn start() -> SystemTime {
    UNIX_EPOCH + START
}

struct Ends {
    client: ClientConnection,
    server: ServerConnection,
    client_source: Source,
    server_source: Source,
}

fn ends(
    pki: &Pki,
    cert_name: &str,
    dial: &str,
    validity: Validity,
    version: &'static SupportedProtocolVersion,
    now: SystemTime,
) -> Ends {
    let host = pki
        .host(&[cert_name.to_owned()], 1, validity)
        .expect("certificate");
    let mut server_config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(host.chain, host.key)
        .expect("server config");
    server_config.send_tls13_tickets = 0;
    let client_config = ClientConfig::builder_with_details(provider(), super::provider::clock())
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_root_certificates(pki.roots())
        .with_no_client_auth();
    let mut client_source = Source::new(7, 1, "client");
    client_source.set_now(now);
    let mut server_source = Source::new(7, 1, "server");
    server_source.set_now(now);
    let name = ServerName::try_from(dial.to_owned()).expect("name");
    let client = seeded::scope(&mut client_source, || {
        ClientConnection::new(Arc::new(client_config), name).expect("client")
    });
    let server = ServerConnection::new(Arc::new(server_config)).expect("server");
    Ends {
        client,
        server,
        client_source,
        server_source,
    }
}

/// Pumps records both ways until neither end has more to say; returns
/// every record in wire order, tagged with its direction, and the first
/// error either end met.
fn pump(ends: &mut Ends) -> (Vec<(bool, Vec<u8>)>, Option<rustls::Error>) {
    let mut wire = Vec::new();
    for _ in 0..20 {
        let mut moved = false;
        let mut up = Vec::new();
        while ends.client.wants_write() {
            ends.client.write_tls(&mut up).expect("write");
        }
        if !up.is_empty() {
            moved = true;
            wire.push((true, up.clone()));
            ends.server.read_tls(&mut &up[..]).expect("read");
            let Ends {
                server,
                server_source,
                ..
            } = ends;
            if let Err(error) = seeded::scope(server_source, || server.process_new_packets()) {
                let mut alert = Vec::new();
                let _ = ends.server.write_tls(&mut alert);
                return (wire, Some(error));
            }
        }
        let mut down = Vec::new();
        while ends.server.wants_write() {
            ends.server.write_tls(&mut down).expect("write");
        }
        if !down.is_empty() {
            moved = true;
            wire.push((false, down.clone()));
            ends.client.read_tls(&mut &down[..]).expect("read");
            let Ends {
                client,
                client_source,
                ..
            } = ends;
            if let Err(error) = seeded::scope(client_source, || client.process_new_packets()) {
                return (wire, Some(error));
            }
        }
        if !moved {
            break;
        }
    }
    (wire, None)
}

fn handshake(version: &'static SupportedProtocolVersion) -> Vec<(bool, Vec<u8>)> {
    let pki = Pki::new("test", 7, start()).expect("CA");
    let mut ends = ends(
        &pki,
        "mx.example.net",
        "mx.example.net",
        Validity::around(start()),
        version,
        start() + Duration::from_secs(5),
    );
    use std::io::Write as _;
    ends.client
        .writer()
        .write_all(b"EHLO smtp.example.org\r\n")
        .expect("plaintext");
    let (mut wire, error) = pump(&mut ends);
    assert!(error.is_none(), "handshake failed: {error:?}");
    let mut read = Vec::new();
    use std::io::Read as _;
    let _ = ends.server.reader().read_to_end(&mut read);
    assert_eq!(read, b"EHLO smtp.example.org\r\n");
    ends.server
        .writer()
        .write_all(b"250 mx.example.net\r\n")
        .expect("plaintext");
    let (more, error) = pump(&mut ends);
    assert!(error.is_none());
    wire.extend(more);
    wire
}

#[test]
fn the_same_seed_gives_byte_identical_tls_1_3_records() {
    let first = handshake(&rustls::version::TLS13);
    assert!(
        first.len() >= 3,
        "a TLS 1.3 handshake is at least three flights"
    );
    assert_eq!(first, handshake(&rustls::version::TLS13));
}

#[test]
fn the_same_seed_gives_byte_identical_tls_1_2_records() {
    let first = handshake(&rustls::version::TLS12);
    assert_eq!(first, handshake(&rustls::version::TLS12));
}

#[test]
fn another_seed_gives_other_keys() {
    let a = Pki::new("test", 7, start()).expect("CA");
    let b = Pki::new("test", 8, start()).expect("CA");
    assert_ne!(a.certificate(), b.certificate());
    assert_eq!(
        a.certificate(),
        Pki::new("test", 7, start()).expect("CA").certificate()
    );
}

fn failure(cert_name: &str, validity: Validity, now: SystemTime) -> rustls::Error {
    let pki = Pki::new("test", 7, start()).expect("CA");
    let mut ends = ends(
        &pki,
        cert_name,
        "mx.example.net",
        validity,
        &rustls::version::TLS13,
        now,
    );
    pump(&mut ends)
        .1
        .expect("the client refuses the certificate")
}

#[test]
fn an_expired_certificate_is_refused_at_simulated_time_rfc5280_4_1_2_5() {
    let validity = Validity {
        not_before: start() - Duration::from_secs(200 * 86_400),
        not_after: start() - Duration::from_secs(86_400),
    };
    let error = failure("mx.example.net", validity, start());
    assert!(
        matches!(
            error,
            rustls::Error::InvalidCertificate(rustls::CertificateError::ExpiredContext { .. })
                | rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)
        ),
        "{error:?}"
    );
    // The same certificate was good while the world's clock said so.
    let pki = Pki::new("test", 7, start()).expect("CA");
    let mut ends = ends(
        &pki,
        "mx.example.net",
        "mx.example.net",
        validity,
        &rustls::version::TLS13,
        start() - Duration::from_secs(100 * 86_400),
    );
    assert!(pump(&mut ends).1.is_none());
}

#[test]
fn a_certificate_for_another_name_is_refused_rfc6125_6_4() {
    let error = failure("mail.example.com", Validity::around(start()), start());
    assert!(
        matches!(
            error,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. }
            ) | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        ),
        "{error:?}"
    );
}
