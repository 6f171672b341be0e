//! Our server machine driven by an independent client, lettre 0.11, over
//! an in-memory pipe.
//!
//! A tiny driver pumps one end of a `tokio::io::duplex`: it reads what
//! lettre wrote, feeds `ServerSession::handle_input`, and writes whatever
//! `poll_transmit` returns, until the session closes. The other end goes to
//! lettre through `AsyncSmtpConnection::connect_with_transport`. Every
//! write and read lettre makes is recorded, so the tests can check how the
//! session went on the wire as well as what the server concluded.
//!
//! What lettre 0.11 does, as these tests observe it:
//! * it never pipelines: one command, then it waits for the reply;
//! * it never sends SIZE; it adds `BODY=8BITMIME` when the message is not
//!   ASCII and `SMTPUTF8` when an address is not ASCII;
//! * it gives up on the whole message at the first refused RCPT (it sends
//!   QUIT and closes), reporting the reply code in its error;
//! * it always ends the data with `CRLF . CRLF`, so the content the server
//!   receives is the message plus one CRLF.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use lettre::Address;
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::extension::ClientId;
use mailflow::smtp::command::Body;
use mailflow::smtp::server::CloseReason;
use mailflow::smtp::{Command, Peer, ServerConfig, ServerEvent, ServerSession, SimplePolicy};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

/// One thing that crossed the pipe, seen from lettre's side.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wire {
    /// lettre wrote these bytes.
    Sent(Vec<u8>),
    /// lettre read these bytes.
    Received(Vec<u8>),
}

/// lettre's end of the pipe: a duplex stream that records the traffic.
/// lettre wants its own `AsyncTokioStream` (it asks for a peer address),
/// which tokio's `DuplexStream` does not implement, hence the wrapper.
#[derive(Debug)]
struct Pipe {
    inner: DuplexStream,
    log: Arc<Mutex<Vec<Wire>>>,
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let read = buf.filled()[before..].to_vec();
            if !read.is_empty() {
                self.log.lock().unwrap().push(Wire::Received(read));
            }
        }
        poll
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            self.log.lock().unwrap().push(Wire::Sent(buf[..n].to_vec()));
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Pipe {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from((Ipv4Addr::new(192, 0, 2, 25), 25)))
    }
}

/// What the server side saw.
#[derive(Debug, Default)]
struct Served {
    events: Vec<ServerEvent>,
    /// Every chunk the server read, in order.
    input: Vec<Vec<u8>>,
    /// Everything the server wrote.
    output: Vec<u8>,
}

impl Served {
    fn messages(&self) -> Vec<(&mailflow::smtp::Envelope, &[u8])> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::MessageReceived {
                    envelope, content, ..
                } => Some((envelope, content.as_slice())),
                _ => None,
            })
            .collect()
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.events.iter().find_map(|e| match e {
            ServerEvent::Closed { reason } => Some(*reason),
            _ => None,
        })
    }
}

/// The server half of the driver: bytes in, machine, bytes out.
async fn serve(mut io: DuplexStream, config: ServerConfig, mut policy: SimplePolicy) -> Served {
    let now = Instant::now();
    let mut session = ServerSession::new(config, Peer::default(), now, &mut policy);
    let mut served = Served::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while let Some(bytes) = session.poll_transmit() {
            served.output.extend_from_slice(&bytes);
            io.write_all(&bytes).await.expect("write to lettre");
        }
        served
            .events
            .extend(std::iter::from_fn(|| session.poll_event()));
        if session.is_closed() {
            break;
        }
        let n = io.read(&mut buf).await.expect("read from lettre");
        if n == 0 {
            session.handle_close();
            served
                .events
                .extend(std::iter::from_fn(|| session.poll_event()));
            break;
        }
        served.input.push(buf[..n].to_vec());
        session.handle_input(&buf[..n], now, &mut policy);
    }
    io.shutdown().await.ok();
    served
}

/// Runs `client` (given lettre's end of the pipe) against a server session.
/// Returns the client's result, the server's view, and lettre's wire log.
async fn exchange<F, Fut, T>(
    config: ServerConfig,
    policy: SimplePolicy,
    client: F,
) -> (T, Served, Vec<Wire>)
where
    F: FnOnce(Pipe) -> Fut,
    Fut: Future<Output = T>,
{
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let log = Arc::new(Mutex::new(Vec::new()));
    let pipe = Pipe {
        inner: theirs,
        log: Arc::clone(&log),
    };
    let (result, served) = tokio::join!(client(pipe), serve(ours, config, policy));
    let log = log.lock().unwrap().clone();
    (result, served, log)
}

async fn connect(pipe: Pipe) -> AsyncSmtpConnection {
    AsyncSmtpConnection::connect_with_transport(
        Box::new(pipe),
        &ClientId::Domain("client.example".into()),
    )
    .await
    .expect("lettre connects and says EHLO")
}

fn addr(s: &str) -> Address {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn envelope(from: &str, to: &[&str]) -> LettreEnvelope {
    LettreEnvelope::new(Some(addr(from)), to.iter().map(|t| addr(t)).collect()).unwrap()
}

fn mx() -> ServerConfig {
    ServerConfig::new("mx.example.net")
}

fn mailboxes(names: &[&str]) -> SimplePolicy {
    SimplePolicy::for_domain("example.net", names)
}

/// Sends one message with lettre, then QUIT: the result of `send`, and
/// whether QUIT worked.
async fn send_one(pipe: Pipe, env: LettreEnvelope, message: Vec<u8>) -> Result<u16, (u16, bool)> {
    let mut conn = connect(pipe).await;
    match conn.send(&env, &message).await {
        Ok(response) => {
            let code = u16::from(response.code());
            conn.quit().await.expect("QUIT");
            Ok(code)
        }
        Err(e) => {
            // lettre has already sent QUIT and closed (`abort`).
            let code = e.status().map(u16::from).unwrap_or(0);
            Err((code, e.is_permanent()))
        }
    }
}

/// The lines lettre wrote outside the message data, in order.
fn command_lines(log: &[Wire]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_data = false;
    for entry in log {
        let Wire::Sent(bytes) = entry else { continue };
        if in_data {
            if bytes.ends_with(b"\r\n.\r\n") {
                in_data = false;
            }
            continue;
        }
        let text = String::from_utf8(bytes.clone()).expect("commands are UTF-8");
        for line in text.split_inclusive("\r\n") {
            let line = line
                .strip_suffix("\r\n")
                .expect("every command line ends with CRLF");
            if line.eq_ignore_ascii_case("DATA") {
                in_data = true;
            }
            lines.push(line.to_owned());
        }
    }
    lines
}

/// lettre's session was valid and strictly lock-step (no pipelining, RFC
/// 2920 is optional for clients): every command write carries exactly one
/// command line that our parser accepts, and lettre read a reply before it
/// wrote the next command. Data writes follow a 354.
fn assert_lockstep_session(log: &[Wire]) {
    let mut awaiting_reply = false;
    let mut in_data = false;
    let mut commands = 0;
    for entry in log {
        match entry {
            Wire::Received(_) => awaiting_reply = false,
            Wire::Sent(bytes) if in_data => {
                if bytes.ends_with(b"\r\n.\r\n") {
                    in_data = false;
                    awaiting_reply = true;
                }
            }
            Wire::Sent(bytes) => {
                assert!(
                    !awaiting_reply,
                    "lettre pipelined {:?}",
                    String::from_utf8_lossy(bytes)
                );
                assert!(bytes.ends_with(b"\r\n"));
                let line = &bytes[..bytes.len() - 2];
                assert!(
                    !line.contains(&b'\n'),
                    "two commands in one write: {bytes:?}"
                );
                let command = Command::parse(line).unwrap_or_else(|e| {
                    panic!("lettre sent {:?}: {e}", String::from_utf8_lossy(line))
                });
                in_data = command == Command::Data;
                awaiting_reply = !in_data;
                commands += 1;
            }
        }
    }
    assert!(commands >= 2, "a session has at least EHLO and QUIT");
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!("From: alice@example.org\r\nTo: bob@example.net\r\nSubject: {subject}\r\n\r\n{body}")
        .into_bytes()
}

/// lettre ends data with CRLF.CRLF after the message, whatever its last
/// octets: the server receives the message plus CRLF.
fn as_received(message: &[u8]) -> Vec<u8> {
    let mut content = message.to_vec();
    content.extend_from_slice(b"\r\n");
    content
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_delivers_to_one_recipient_rfc5321_3_3() {
    let msg = message("one", "Hello Bob");
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, log) =
        exchange(mx(), mailboxes(&["bob"]), |p| send_one(p, env, msg.clone())).await;
    assert_eq!(result, Ok(250));
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    let (envelope, content) = messages[0];
    assert_eq!(envelope.reverse_path.to_string(), "<alice@example.org>");
    let to: Vec<String> = envelope
        .forward_paths
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(to, ["<bob@example.net>"]);
    assert_eq!(content, as_received(&msg));
    assert_eq!(served.close_reason(), Some(CloseReason::Quit));
    assert_eq!(
        command_lines(&log),
        [
            "EHLO client.example",
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.net>",
            "DATA",
            "QUIT"
        ]
    );
    assert_lockstep_session(&log);
    let replies = String::from_utf8(served.output).unwrap();
    assert!(replies.starts_with("220 mx.example.net"), "{replies}");
    assert!(
        replies.ends_with("221 2.0.0 mx.example.net Bye\r\n"),
        "{replies}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_delivers_to_fifty_recipients_rfc5321_4_5_3_1_8() {
    let names: Vec<String> = (0..50).map(|i| format!("user{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let addrs: Vec<String> = names.iter().map(|n| format!("{n}@example.net")).collect();
    let to: Vec<&str> = addrs.iter().map(String::as_str).collect();
    let env = envelope("alice@example.org", &to);
    let msg = message("many", "To all of you\r\n");
    let (result, served, log) =
        exchange(mx(), mailboxes(&refs), |p| send_one(p, env, msg.clone())).await;
    assert_eq!(result, Ok(250));
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0.forward_paths.len(), 50);
    assert_eq!(messages[0].1, as_received(&msg));
    let accepted = served
        .events
        .iter()
        .filter(|e| matches!(e, ServerEvent::RecipientAccepted { .. }))
        .count();
    assert_eq!(accepted, 50);
    assert_eq!(
        command_lines(&log)
            .iter()
            .filter(|l| l.starts_with("RCPT TO:"))
            .count(),
        50
    );
    assert_lockstep_session(&log);
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_stops_at_an_unknown_mailbox_550_rfc5321_3_3() {
    let env = envelope(
        "alice@example.org",
        &["bob@example.net", "nobody@example.net", "carol@example.net"],
    );
    let msg = message("mixed", "Who gets this?");
    let (result, served, log) = exchange(mx(), mailboxes(&["bob", "carol"]), |p| {
        send_one(p, env, msg)
    })
    .await;
    // lettre treats a refused RCPT as the failure of the whole send: it
    // reports the 550 and aborts with QUIT, so nobody gets the message
    // (a client could instead deliver to the others, RFC 5321 §3.3).
    assert_eq!(result, Err((550, true)));
    assert!(served.messages().is_empty(), "nothing is delivered");
    assert_eq!(served.close_reason(), Some(CloseReason::Quit));
    assert_eq!(
        command_lines(&log),
        [
            "EHLO client.example",
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.net>",
            "RCPT TO:<nobody@example.net>",
            "QUIT"
        ]
    );
    let replies = String::from_utf8(served.output).unwrap();
    assert!(
        replies.contains("550 5.1.1 Mailbox <nobody@example.net> does not exist here\r\n"),
        "{replies}"
    );
    assert_lockstep_session(&log);
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_sees_452_past_the_recipient_limit_rfc5321_4_5_3_1_10() {
    let mut policy = mailboxes(&["a", "b", "c"]);
    policy.max_recipients = Some(2);
    let env = envelope(
        "alice@example.org",
        &["a@example.net", "b@example.net", "c@example.net"],
    );
    let (result, served, _) = exchange(mx(), policy, |p| send_one(p, env, message("x", "y"))).await;
    // 452 is transient: lettre reports it as such and sends nothing.
    assert_eq!(result, Err((452, false)));
    assert!(served.messages().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_dot_lines_are_unstuffed_exactly_once_rfc5321_4_5_2() {
    let body = ".leading dot\r\n..two dots\r\n.\r\n...\r\nmiddle . dot\r\n. space\r\nlast";
    let msg = message("dots", body);
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, log) =
        exchange(mx(), mailboxes(&["bob"]), |p| send_one(p, env, msg.clone())).await;
    assert_eq!(result, Ok(250));
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].1,
        as_received(&msg),
        "content differs after dot-unstuffing"
    );
    // On the wire, lettre doubled each leading dot once.
    let wire: Vec<u8> = served.input.concat();
    let wire = String::from_utf8(wire).unwrap();
    assert!(
        wire.contains("\r\n..leading dot\r\n...two dots\r\n..\r\n....\r\nmiddle . dot\r\n.. space\r\nlast\r\n.\r\n"),
        "{wire}"
    );
    assert_lockstep_session(&log);
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_declares_8bitmime_for_8bit_content_rfc6152_3() {
    let msg = message("Grüße", "Ça va? Schöne Grüße aus Köln. 日本語\r\n");
    assert!(!msg.is_ascii());
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, log) =
        exchange(mx(), mailboxes(&["bob"]), |p| send_one(p, env, msg.clone())).await;
    assert_eq!(result, Ok(250));
    assert!(
        command_lines(&log).contains(&"MAIL FROM:<alice@example.org> BODY=8BITMIME".to_owned()),
        "{:?}",
        command_lines(&log)
    );
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0.params.body, Some(Body::EightBitMime));
    assert!(
        !messages[0].0.params.smtputf8,
        "ASCII addresses need no SMTPUTF8"
    );
    assert_eq!(
        messages[0].1,
        as_received(&msg),
        "8-bit octets arrive unchanged"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_ascii_content_declares_nothing_rfc5321_4_1_1_2() {
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, log) = exchange(mx(), mailboxes(&["bob"]), |p| {
        send_one(p, env, message("a", "b"))
    })
    .await;
    assert_eq!(result, Ok(250));
    // lettre does not use SIZE even though the server advertises it.
    assert!(command_lines(&log).contains(&"MAIL FROM:<alice@example.org>".to_owned()));
    assert_eq!(served.messages()[0].0.params, Default::default());
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_utf8_address_uses_smtputf8_rfc6531_3_4() {
    let msg = message("Grüße", "Hallo Jörg\r\n");
    let env = envelope("zoë@bücher.example", &["jörg@example.net"]);
    let (result, served, log) = exchange(mx(), mailboxes(&["jörg"]), |p| {
        send_one(p, env, msg.clone())
    })
    .await;
    assert_eq!(result, Ok(250));
    let lines = command_lines(&log);
    assert!(
        lines.contains(&"MAIL FROM:<zoë@bücher.example> SMTPUTF8 BODY=8BITMIME".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"RCPT TO:<jörg@example.net>".to_owned()),
        "{lines:?}"
    );
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    let envelope = messages[0].0;
    assert!(envelope.params.smtputf8);
    assert_eq!(envelope.reverse_path.to_string(), "<zoë@bücher.example>");
    assert_eq!(envelope.forward_paths[0].to_string(), "<jörg@example.net>");
    assert_eq!(messages[0].1, as_received(&msg));
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_auth_plain_then_relay_on_submission_rfc4954_4() {
    let config = mx().submission();
    let policy = mailboxes(&["bob"]).with_account("alice", "alice");
    let msg = message("submitted", "via 587");
    let env = envelope("alice@example.net", &["friend@elsewhere.example"]);
    let (result, served, log) = exchange(config, policy, |pipe| async move {
        let mut conn = connect(pipe).await;
        let creds = Credentials::new("alice".into(), "alice".into());
        let auth = conn
            .auth(&[Mechanism::Plain], &creds)
            .await
            .expect("AUTH PLAIN");
        let sent = conn.send(&env, &msg).await.expect("send");
        conn.quit().await.expect("QUIT");
        (u16::from(auth.code()), u16::from(sent.code()))
    })
    .await;
    assert_eq!(result, (235, 250));
    assert!(served.events.contains(&ServerEvent::Authenticated {
        user: "alice".into()
    }));
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].0.forward_paths[0].to_string(),
        "<friend@elsewhere.example>"
    );
    let lines = command_lines(&log);
    // "\0alice\0alice" in base64, as an initial response (RFC 4616 §2).
    assert_eq!(lines[1], "AUTH PLAIN AGFsaWNlAGFsaWNl");
    assert_lockstep_session(&log);
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_wrong_password_is_535_rfc4954_6() {
    let config = mx().submission();
    let policy = mailboxes(&["bob"]).with_account("alice", "alice");
    let ((auth, send), served, _) = exchange(config, policy, |pipe| async move {
        let mut conn = connect(pipe).await;
        let creds = Credentials::new("alice".into(), "wrong".into());
        let auth = conn
            .auth(&[Mechanism::Plain], &creds)
            .await
            .map(|r| u16::from(r.code()));
        let auth = auth.map_err(|e| e.status().map(u16::from));
        let env = envelope("alice@example.net", &["friend@elsewhere.example"]);
        let send = conn.send(&env, b"Subject: x\r\n\r\ny").await;
        (
            auth,
            send.map_err(|e| e.status().map(u16::from))
                .map(|r| u16::from(r.code())),
        )
    })
    .await;
    assert_eq!(auth, Err(Some(535)));
    // Without authentication the submission port refuses MAIL.
    assert_eq!(send, Err(Some(530)));
    assert!(served.messages().is_empty());
    assert!(
        !served
            .events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_sends_two_messages_on_one_connection_rfc5321_3_3() {
    let ((first, second), served, log) =
        exchange(mx(), mailboxes(&["bob", "carol"]), |pipe| async move {
            let mut conn = connect(pipe).await;
            let first = conn
                .send(
                    &envelope("alice@example.org", &["bob@example.net"]),
                    &message("1", "first"),
                )
                .await
                .expect("first");
            let second = conn
                .send(
                    &envelope("alice@example.org", &["carol@example.net"]),
                    &message("2", "second"),
                )
                .await
                .expect("second");
            conn.quit().await.expect("QUIT");
            (u16::from(first.code()), u16::from(second.code()))
        })
        .await;
    assert_eq!((first, second), (250, 250));
    let messages = served.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].0.forward_paths[0].to_string(),
        "<carol@example.net>"
    );
    assert_lockstep_session(&log);
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_large_message_streams_through_many_reads_rfc5321_4_5_3_1_7() {
    // 300 KB: several times the pipe's 64 KiB buffer, so the driver reads
    // the data in many pieces and lettre waits for room to write.
    let line = "0123456789 The quick brown fox jumps over the lazy dog. 0123456789\r\n";
    let body = line.repeat(300_000 / line.len());
    let msg = message("large", &body);
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, _) =
        exchange(mx(), mailboxes(&["bob"]), |p| send_one(p, env, msg.clone())).await;
    assert_eq!(result, Ok(250));
    assert!(served.input.len() > 4, "{} reads", served.input.len());
    let messages = served.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1, as_received(&msg));
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_oversized_message_is_552_after_data_rfc1870_6_3() {
    let mut policy = mailboxes(&["bob"]);
    policy.max_message_size = Some(1000);
    let msg = message("big", &"x".repeat(70).repeat(100));
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, log) = exchange(mx(), policy, |p| send_one(p, env, msg)).await;
    // lettre declares no SIZE, so the limit can only bite after the data.
    assert!(!command_lines(&log).iter().any(|l| l.contains("SIZE=")));
    assert_eq!(result, Err((552, true)));
    assert!(served.messages().is_empty());
    assert!(served.events.iter().any(
        |e| matches!(e, ServerEvent::MessageRefused { reply, .. } if reply.code().get() == 552)
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn lettre_bare_lf_in_message_is_refused_rfc5321_2_3_8() {
    // lettre sends a raw message as it is: a bare LF reaches the server,
    // which refuses the message (no SMTP smuggling through this relay).
    let msg = b"Subject: bare\r\n\r\nfirst\nsecond\r\n".to_vec();
    let env = envelope("alice@example.org", &["bob@example.net"]);
    let (result, served, _) = exchange(mx(), mailboxes(&["bob"]), |p| send_one(p, env, msg)).await;
    assert_eq!(result, Err((554, true)));
    assert!(served.messages().is_empty());
    let replies = String::from_utf8(served.output).unwrap();
    assert!(
        replies.contains("554 5.6.0 Message refused: bare LF in line 3"),
        "{replies}"
    );
}
