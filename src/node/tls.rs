//! A world's TLS: its certificate authority, what its clients trust, and
//! each server's certificate as its scenario describes it (valid, expired,
//! issued to other names), handed to the driver as a [`TlsSetup`].

use std::sync::Arc;
use std::time::Duration;

use crate::node::epoch::Epoch;
use crate::node::pump::{TlsRole, TlsSetup};
use crate::scenario::schema::Certificate;
use crate::tls::{Pki, Validity};
use crate::trace::SimTime;
use rustls::ServerConfig;

const DAY: Duration = Duration::from_secs(86_400);

/// The world's CA and the client side every host shares.
#[derive(Debug)]
pub struct WorldTls {
    pki: Pki,
    client: Arc<rustls::ClientConfig>,
    epoch: Epoch,
}

impl WorldTls {
    /// The TLS of a world named `title`, from its seed and its epoch.
    pub fn new(title: &str, seed: u64, epoch: Epoch) -> Result<WorldTls, crate::tls::Error> {
        let start = epoch.system_time(SimTime::ZERO);
        let pki = Pki::new(title, seed, start)?;
        let client = rustls::ClientConfig::builder_with_details(
            crate::tls::provider(),
            crate::tls::provider::clock(),
        )
        .with_safe_default_protocol_versions()?
        .with_root_certificates(pki.roots())
        .with_no_client_auth();
        // A world's secrets go into its trace, so captures decrypt.
        let mut client = client;
        client.key_log = Arc::new(crate::tls::keylog::Collect);
        Ok(WorldTls {
            pki,
            client: Arc::new(client),
            epoch,
        })
    }

    /// The world CA's certificate, PEM, for real clients.
    pub fn ca_pem(&self) -> &str {
        self.pki.pem()
    }

    /// A client's end of a handshake with `server_name`.
    pub fn client(&self, server_name: &str) -> TlsSetup {
        TlsSetup {
            role: TlsRole::Client {
                config: self.client.clone(),
                server_name: server_name.to_owned(),
            },
            epoch: self.epoch.clone(),
        }
    }

    /// The server end of `hostname`, showing `certificate`; `serial` tells
    /// the world's certificates apart.
    pub fn server(
        &self,
        hostname: &str,
        certificate: &Certificate,
        serial: u64,
    ) -> Result<TlsSetup, crate::tls::Error> {
        let start = self.epoch.system_time(SimTime::ZERO);
        let (names, validity) = match certificate {
            Certificate::Valid => (vec![hostname.to_owned()], Validity::around(start)),
            Certificate::Expired => (
                vec![hostname.to_owned()],
                Validity {
                    not_before: start - 91 * DAY,
                    not_after: start - DAY,
                },
            ),
            Certificate::Names(names) => (names.clone(), Validity::around(start)),
        };
        let host = self.pki.host(&names, serial, validity)?;
        let mut config = ServerConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(host.chain, host.key)?;
        // No session tickets: a world's sessions never resume, and tickets
        // would add a flight to every handshake.
        config.send_tls13_tickets = 0;
        // The server picks the suite by its own order, strongest first, as
        // a hardened MTA does; the world's own clients offer that order
        // anyway, so their sessions are unchanged.
        config.ignore_client_order = true;
        Ok(TlsSetup {
            role: TlsRole::Server {
                // Only the server can log the secrets of a real client's
                // session; in a world the client logs them already.
                logged: Arc::new({
                    let mut logged = config.clone();
                    logged.key_log = Arc::new(crate::tls::keylog::Collect);
                    logged
                }),
                config: Arc::new(config),
            },
            epoch: self.epoch.clone(),
        })
    }
}
