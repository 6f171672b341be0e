//! Fuzzes the SMTP server machine behind the world's TLS: the session a
//! client gets after STARTTLS (RFC 3207), as `mailflow` drives it.
//!
//! Input layout (see `fuzz/README.md`):
//!
//! * byte 0, flags: bit 0 the raw mode (below), bit 1 `Tls::Required`
//!   rather than `Offered`, bit 2 CHUNKING offered (BDAT, RFC 3030);
//! * byte 1: `n` = how many chunk-length bytes follow (`n % 8`);
//! * `n` bytes: chunk lengths (`len + 1`), used in turn until the input ends;
//! * the rest: the payload.
//!
//! Both modes start the same: `EHLO`, `STARTTLS`, 220, and the server's
//! TLS layer starts.
//!
//! * plaintext mode: the world's seeded rustls client completes the
//!   handshake, then seals the payload chunk by chunk; the server layer
//!   opens the records and the machine reads the plaintext (EHLO again,
//!   MAIL, BDAT, anything). Its replies are sealed back and the client
//!   opens them: every reply must parse.
//! * raw mode: the payload chunks are the wire itself, records or not,
//!   fed to the server's layer as a hostile peer would send them.
//!
//! Either way: no panic, the server's output bounded by its input, and a
//! failed TLS ends the session.

#![no_main]

mod input;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use mailflow::session::Session;
use mailflow::smtp::server::Tls;
use mailflow::smtp::{Peer, ReplyParser, ServerConfig, ServerSession, SimplePolicy};
use mailflow::tls::seeded::Source;
use mailflow::tls::{Layer, Pki, Validity};

const HOST: &str = "mx.example.net";

/// The TLS hand-offs are the driver's trait's, as `node::pump` calls them.
type Driven = ServerSession;

/// The world's TLS, made once: a CA, the server's certificate, and the
/// client configuration that trusts the CA.
struct World {
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
    now: SystemTime,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let now = UNIX_EPOCH + Duration::from_secs(1_796_115_600);
        let pki = Pki::new("fuzz", 1, now).expect("a CA");
        let host = pki
            .host(&[HOST.to_owned()], 1, Validity::around(now))
            .expect("a certificate");
        let mut server = rustls::ServerConfig::builder_with_provider(mailflow::tls::provider())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(host.chain, host.key)
            .expect("a server configuration");
        server.send_tls13_tickets = 0;
        let client = rustls::ClientConfig::builder_with_details(
            mailflow::tls::provider(),
            mailflow::tls::provider::clock(),
        )
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(pki.roots())
        .with_no_client_auth();
        World {
            server: Arc::new(server),
            client: Arc::new(client),
            now,
        }
    })
}

fn source(side: &str) -> Source {
    let mut source = Source::new(1, 1, side);
    source.set_now(world().now);
    source
}

/// The server machine and its TLS layer, as the driver holds them.
struct Server {
    session: ServerSession,
    policy: SimplePolicy,
    layer: Option<Layer>,
    now: Instant,
    /// Octets the machine wrote, plaintext.
    written: usize,
    /// Octets it was given, plaintext.
    read: usize,
}

impl Server {
    fn new(flags: u8) -> Server {
        let mut config = ServerConfig::new(HOST);
        config.tls = if flags & 2 != 0 {
            Tls::Required
        } else {
            Tls::Offered
        };
        config.chunking = flags & 4 != 0;
        let mut policy = SimplePolicy::for_domain("example.net", &["bob"]);
        policy.max_message_size = Some(4096);
        let now = Instant::now();
        let session = ServerSession::new(config, Peer::default(), now, &mut policy);
        Server {
            session,
            policy,
            layer: None,
            now,
            written: 0,
            read: 0,
        }
    }

    /// Plaintext in; what the machine answers (plaintext, or sealed once
    /// TLS is up), and whether it now wants TLS.
    fn plaintext(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.read += bytes.len();
        self.session.handle_input(bytes, self.now, &mut self.policy);
        let mut out = Vec::new();
        while let Some(reply) = self.session.poll_transmit() {
            self.written += reply.len();
            match &mut self.layer {
                Some(layer) => out.extend(layer.seal(&reply)),
                None => out.extend(reply),
            }
        }
        if <Driven as Session<SimplePolicy>>::take_tls_start(&mut self.session) {
            assert!(self.layer.is_none(), "TLS started twice");
            let layer =
                Layer::server(world().server.clone(), source("server")).expect("a server layer");
            self.layer = Some(layer);
        }
        out
    }

    /// Wire bytes in (TLS records); wire bytes out.
    fn wire(&mut self, bytes: &[u8]) -> Vec<u8> {
        let Some(layer) = &mut self.layer else {
            return self.plaintext(bytes);
        };
        match layer.read(bytes) {
            Ok(read) => {
                let mut out = layer.take_handshake();
                if read.established {
                    <Driven as Session<SimplePolicy>>::handle_tls_established(
                        &mut self.session,
                        self.now,
                    );
                }
                if !read.plaintext.is_empty() {
                    out.extend(self.plaintext(&read.plaintext));
                }
                if read.closed {
                    self.session.handle_close();
                }
                out
            }
            Err(e) => {
                let out = layer.take_handshake();
                <Driven as Session<SimplePolicy>>::handle_tls_failed(
                    &mut self.session,
                    &e.to_string(),
                );
                assert!(
                    self.session.is_closed(),
                    "a failed TLS left the session open"
                );
                out
            }
        }
    }

    fn check_bounded(&self) {
        assert!(
            self.written <= 48 * self.read + 8192,
            "{} octets written for {} read",
            self.written,
            self.read
        );
    }
}

/// Greeting, EHLO, STARTTLS, 220: the server's layer is waiting for a
/// ClientHello. Returns the plaintext replies.
fn start(server: &mut Server) -> Vec<u8> {
    let mut replies = server.session.poll_transmit().unwrap_or_default();
    replies.extend(server.plaintext(b"EHLO client.example\r\nSTARTTLS\r\n"));
    assert!(server.layer.is_some(), "STARTTLS did not start TLS");
    replies
}

fn check_replies(plaintext: &[u8]) {
    let mut parser = ReplyParser::new();
    parser.push(plaintext);
    while let Some(reply) = parser.next_reply() {
        if let Err(e) = reply {
            panic!("an unparsable reply inside TLS: {e}");
        }
    }
}

/// The honest client's handshake, then the payload as its plaintext.
fn plaintext_mode(flags: u8, chunks: &[&[u8]]) {
    let mut server = Server::new(flags);
    start(&mut server);
    let mut client =
        Layer::client(world().client.clone(), HOST, source("client")).expect("a client layer");
    let mut to_server = client.take_handshake();
    let mut established = false;
    for _ in 0..8 {
        if to_server.is_empty() {
            break;
        }
        let back = server.wire(&std::mem::take(&mut to_server));
        let read = client.read(&back).expect("the world's handshake succeeds");
        established |= read.established;
        to_server = client.take_handshake();
    }
    assert!(established, "the handshake did not complete");
    let mut replies = Vec::new();
    for chunk in chunks {
        let records = client.seal(chunk);
        let back = server.wire(&records);
        match client.read(&back) {
            Ok(read) => replies.extend(read.plaintext),
            Err(e) => panic!("the server sent records its client cannot read: {e}"),
        }
        server.check_bounded();
        if server.session.is_closed() {
            break;
        }
    }
    check_replies(&replies);
}

/// The payload as raw wire bytes after STARTTLS's 220.
fn raw_mode(flags: u8, chunks: &[&[u8]]) {
    let mut server = Server::new(flags);
    start(&mut server);
    for chunk in chunks {
        let out = server.wire(chunk);
        assert!(
            out.len() <= 64 * 1024 + 48 * chunk.len(),
            "{} octets of records for {} in",
            out.len(),
            chunk.len()
        );
        server.check_bounded();
        if server.session.is_closed() {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input::Input { flags, chunks, .. }) = input::read(data) else {
        return;
    };
    if flags & 1 != 0 {
        raw_mode(flags, &chunks);
    } else {
        plaintext_mode(flags, &chunks);
    }
});
