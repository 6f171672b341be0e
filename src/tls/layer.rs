//! One end's TLS on a connection that started in plaintext: what the
//! driver puts between a session machine and the wire once STARTTLS got
//! its 220 (RFC 3207 §4), or from the start on an implicit-TLS port.
//!
//! The machine keeps reading and writing plaintext lines; the layer turns
//! wire bytes into plaintext ([`Layer::read`]) and plaintext into records
//! ([`Layer::seal`]), and says what the handshake wants to send
//! ([`Layer::take_handshake`]). Every call into rustls runs inside the
//! end's [`seeded`](super::seeded) scope, so a world's records are the
//! same run after run.

use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::SystemTime;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

use super::seeded::{self, Source};

/// One end's TLS.
pub struct Layer {
    connection: Connection,
    source: Source,
    /// The handshake was complete at the last look: [`Layer::read`] says
    /// when it completes, once.
    established: bool,
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer")
            .field("established", &self.established)
            .finish()
    }
}

/// What one read of wire bytes gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Read {
    /// Application data, decrypted.
    pub plaintext: Vec<u8>,
    /// The handshake completed with this read.
    pub established: bool,
    /// The peer ended TLS (close_notify, RFC 8446 §6.1).
    pub closed: bool,
}

impl Layer {
    /// The client end; its ClientHello is ready at once
    /// ([`Layer::take_handshake`]). `name` is the server's host name, checked
    /// against its certificate (RFC 6125).
    pub fn client(
        config: Arc<ClientConfig>,
        name: &str,
        mut source: Source,
    ) -> Result<Layer, rustls::Error> {
        let name = ServerName::try_from(name.to_owned())
            .map_err(|_| rustls::Error::General(format!("not a host name: {name}")))?;
        let connection = seeded::scope(&mut source, || ClientConnection::new(config, name))?;
        Ok(Layer {
            connection: connection.into(),
            source,
            established: false,
        })
    }

    /// The server end; it waits for the ClientHello.
    pub fn server(config: Arc<ServerConfig>, source: Source) -> Result<Layer, rustls::Error> {
        Ok(Layer {
            connection: ServerConnection::new(config)?.into(),
            source,
            established: false,
        })
    }

    /// The simulated wall-clock time of what follows (certificate validity).
    pub fn set_now(&mut self, now: SystemTime) {
        self.source.set_now(now);
    }

    /// True until the handshake completes.
    pub fn is_handshaking(&self) -> bool {
        self.connection.is_handshaking()
    }

    /// The negotiated protocol version and cipher suite, once known.
    pub fn negotiated(&self) -> Option<(rustls::ProtocolVersion, rustls::CipherSuite)> {
        let version = self.connection.protocol_version()?;
        let suite = self.connection.negotiated_cipher_suite()?.suite();
        Some((version, suite))
    }

    /// Wire bytes from the peer. An error is the handshake or a record
    /// failing; the alert that says so is then waiting in
    /// [`Layer::take_handshake`].
    pub fn read(&mut self, mut wire: &[u8]) -> Result<Read, rustls::Error> {
        let mut read = Read::default();
        while !wire.is_empty() {
            // A chunk larger than rustls buffers at once is fed in parts.
            let used = self
                .connection
                .read_tls(&mut wire)
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            let Layer {
                connection, source, ..
            } = self;
            let state = seeded::scope(source, || connection.process_new_packets())?;
            if state.peer_has_closed() {
                read.closed = true;
            }
            match self.connection.reader().read_to_end(&mut read.plaintext) {
                Ok(_) => {}
                // No application data yet, or TLS ended without close_notify.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => read.closed = true,
                Err(e) => return Err(rustls::Error::General(e.to_string())),
            }
            if used == 0 {
                break;
            }
        }
        if !self.established && !self.connection.is_handshaking() {
            self.established = true;
            read.established = true;
        }
        Ok(read)
    }

    /// Records the TLS machinery wants to send on its own: handshake
    /// flights, alerts, close_notify.
    pub fn take_handshake(&mut self) -> Vec<u8> {
        self.take_wire()
    }

    /// Plaintext from the machine, as records for the wire. Before the
    /// handshake completes, rustls keeps it and sends it after.
    pub fn seal(&mut self, plaintext: &[u8]) -> Vec<u8> {
        // rustls buffers what it cannot send yet; writing to a Vec-backed
        // buffer cannot fail.
        let _ = self.connection.writer().write_all(plaintext);
        self.take_wire()
    }

    /// Key log lines (SSLKEYLOGFILE) derived so far and not yet taken:
    /// a client's, when its configuration logs keys.
    pub fn take_secrets(&mut self) -> Vec<String> {
        self.source.take_secrets()
    }

    /// Says close_notify (RFC 8446 §6.1) before the connection closes.
    pub fn close(&mut self) -> Vec<u8> {
        self.connection.send_close_notify();
        self.take_wire()
    }

    fn take_wire(&mut self) -> Vec<u8> {
        let mut wire = Vec::new();
        while self.connection.wants_write() {
            if self.connection.write_tls(&mut wire).is_err() {
                break;
            }
        }
        wire
    }
}
