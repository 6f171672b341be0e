//! Properties of the SMTP machines, checked on random input (proptest).
//!
//! 1. Content survives: whatever lines a message holds (dots at the start,
//!    bare CR, bare LF, NUL, 8-bit bytes), `ClientSession` stuffs it and
//!    `ServerSession` unstuffs it back to the same bytes (RFC 5321 §4.5.2),
//!    with and without PIPELINING (RFC 2920).
//! 2. Arbitrary bytes never make either machine panic, and what they send
//!    back stays in proportion to what they were given; a line that never
//!    ends cannot make them hoard memory (RFC 5321 §4.5.3.1.4).
//! 3. How the bytes are cut into chunks does not change what the server
//!    answers (TCP may deliver any split).

use std::time::{Duration, Instant};

use mailflow::session::stuffing;
use mailflow::smtp::client::{ClientConfig, ClientEvent, ClientSession, Outcome, Transaction};
use mailflow::smtp::pair::Pair;
use mailflow::smtp::server::{
    BareLineEndings, MAX_OVERLONG, ServerConfig, ServerEvent, ServerSession,
};
use mailflow::smtp::{ForwardPath, Peer, Reply, ReplyParser, ReversePath, SimplePolicy};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Keep no regression files beside the tests; a failure prints its
        // minimal input instead.
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

fn policy() -> SimplePolicy {
    SimplePolicy::for_domain("example.net", &["bob", "carol"]).with_account("alice", "alice")
}

// ---------------------------------------------------------------------------
// 1. Content survives
// ---------------------------------------------------------------------------

/// The alphabet of line bodies, weighted towards the bytes that make
/// trouble: dots, bare CR, bare LF, NUL and 8-bit bytes. A random octet
/// picks its byte from this table, so shrinking (towards 0) gives letters.
const BODY_BYTES: [u8; 32] = [
    b'a', b'b', b'c', b'x', b'y', b'z', b'M', b' ', // letters
    b'.', b'.', b'.', b'.', b'.', b'.', // dots
    b'\r', b'\r', b'\r', b'\n', b'\n', b'\n', // line-ending halves
    0, 0, // NUL
    0x80, 0xc3, 0xa9, 0xff, 0xfe, // 8-bit
    b':', b'<', b'>', b'@', b'\t',
];

/// A line body of `len` bytes with bare CRs and LFs but no CRLF: only the
/// line's own end is a CRLF.
fn body(len: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), len).prop_map(|seeds| {
        let mut body: Vec<u8> = seeds
            .iter()
            .map(|&s| BODY_BYTES[usize::from(s) % BODY_BYTES.len()])
            .collect();
        for i in 1..body.len() {
            if body[i - 1] == b'\r' && body[i] == b'\n' {
                body[i] = b'.';
            }
        }
        body
    })
}

/// One line: up to 998 octets (often starting with one or more dots), then
/// CRLF. 998 + CRLF is the longest text line of RFC 5321 §4.5.3.1.6; the
/// dot a client adds for transparency does not count.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let dots = prop_oneof![3 => Just(0usize), 2 => 1usize..4];
    let len = prop_oneof![
        12 => 0usize..40,
        1 => 900usize..998,
        1 => Just(998usize),
    ];
    (dots, len).prop_flat_map(|(dots, len)| {
        let dots = dots.min(len);
        body(len - dots).prop_map(move |body| {
            let mut line = vec![b'.'; dots];
            line.extend(body);
            line.extend_from_slice(b"\r\n");
            line
        })
    })
}

/// Message content; shown as escaped text when proptest reports it.
#[derive(Clone, PartialEq, Eq)]
struct Content(Vec<u8>);

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

fn content() -> impl Strategy<Value = Content> {
    vec(line(), 0..16).prop_map(|lines| Content(lines.concat()))
}

fn mailbox(text: &str) -> ForwardPath {
    ForwardPath::parse(text).unwrap()
}

proptest! {
    #![proptest_config(config(128))]

    /// RFC 5321 §4.5.2: dot-stuffing is undone exactly; §2.3.8 bare CR/LF
    /// are kept as data under `BareLineEndings::Keep`.
    #[test]
    fn content_survives_byte_for_byte_rfc5321_4_5_2(
        contents in vec(content(), 1..4),
        pipelining in any::<bool>(),
    ) {
        let mut client = ClientConfig::new("client.example");
        if !pipelining {
            client = client.without_pipelining();
        }
        let server = ServerConfig {
            bare_line_endings: BareLineEndings::Keep,
            ..ServerConfig::new("mx.example.net")
        };
        let transactions: Vec<Transaction> = contents
            .iter()
            .map(|content| Transaction {
                reverse_path: ReversePath::parse("<alice@example.org>").unwrap(),
                forward_paths: vec![mailbox("<bob@example.net>"), mailbox("<carol@example.net>")],
                content: content.0.clone(),
            })
            .collect();
        let mut pair = Pair::new(client, transactions, server, policy(), Instant::now());
        pair.drive();

        prop_assert_eq!(pair.client.pipelining(), pipelining);
        let received: Vec<&Vec<u8>> = pair
            .server_events()
            .iter()
            .filter_map(|e| match e {
                ServerEvent::MessageReceived { content, .. } => Some(content),
                _ => None,
            })
            .collect();
        let refused: Vec<String> = pair
            .server_events()
            .iter()
            .filter_map(|e| match e {
                ServerEvent::MessageRefused { reply, .. } => Some(reply.to_string()),
                _ => None,
            })
            .collect();
        prop_assert!(refused.is_empty(), "the server refused a message: {:?}", refused);
        prop_assert_eq!(received.len(), contents.len());
        for (i, (got, Content(sent))) in received.iter().zip(&contents).enumerate() {
            prop_assert!(
                *got == sent,
                "message {} changed in transit\n sent: {}\n got:  {}",
                i,
                sent.escape_ascii(),
                got.escape_ascii()
            );
        }
        for event in pair.client_events() {
            if let ClientEvent::TransactionDone { outcomes, .. } = event {
                prop_assert!(
                    outcomes.iter().all(|o| matches!(o, Outcome::Delivered { .. })),
                    "not delivered: {:?}",
                    outcomes
                );
            }
        }
        prop_assert!(pair.server.is_closed() && pair.client.is_closed());
    }
}

// ---------------------------------------------------------------------------
// 2. Arbitrary bytes
// ---------------------------------------------------------------------------

const COMMAND_LINES: &[&str] = &[
    "EHLO client.example\r\n",
    "HELO client.example\r\n",
    "EHLO\r\n",
    "MAIL FROM:<alice@example.org>\r\n",
    "MAIL FROM:<> SIZE=10 BODY=8BITMIME\r\n",
    "MAIL FROM:<jörg@example.org> SMTPUTF8\r\n",
    "RCPT TO:<bob@example.net>\r\n",
    "RCPT TO:<Postmaster>\r\n",
    "RCPT TO:<x@elsewhere.example>\r\n",
    "RCPT TO:<bob@example.net> NOTIFY=NEVER\r\n",
    "DATA\r\n",
    ".\r\n",
    "\r\n.\r\n",
    "..stuffed\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "HELP\r\n",
    "VRFY bob\r\n",
    "EXPN staff\r\n",
    "STARTTLS\r\n",
    "BDAT 10 LAST\r\n",
    "AUTH PLAIN AGFsaWNlAGFsaWNl\r\n",
    "AUTH PLAIN\r\n",
    "AUTH LOGIN\r\n",
    "YWxpY2U=\r\n",
    "*\r\n",
    "=\r\n",
    "QUIT\r\n",
];

const REPLY_LINES: &[&str] = &[
    "220 mx.example.net ready\r\n",
    "220-mx.example.net\r\n",
    "250 OK\r\n",
    "250-mx.example.net\r\n",
    "250-SIZE 100\r\n",
    "250-SIZE\r\n",
    "250-PIPELINING\r\n",
    "250-8BITMIME\r\n",
    "250-SMTPUTF8\r\n",
    "250-AUTH PLAIN LOGIN\r\n",
    "250 ENHANCEDSTATUSCODES\r\n",
    "235 2.7.0 ok\r\n",
    "334 \r\n",
    "354 go ahead\r\n",
    "421 4.3.2 going down\r\n",
    "452 4.5.3 too many\r\n",
    "500 what\r\n",
    "550 5.1.1 no such user\r\n",
    "554 no service\r\n",
    "221 bye\r\n",
    "199 not a reply\r\n",
    "25\r\n",
];

/// Bytes that look like `lines` now and then, and like junk otherwise.
fn smtp_ish(lines: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => select(lines).prop_map(|l| l.as_bytes().to_vec()),
        2 => vec(any::<u8>(), 0..48),
        2 => vec(select(b"\r\n.:<>@= AZaz09\0\xff-".as_slice()), 0..32),
        1 => (500usize..1200, select(b"x.\r\n".as_slice())).prop_map(|(n, b)| vec![b; n]),
    ];
    vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// Chunk sizes, cycled over the input: from byte-by-byte to large.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(
        prop_oneof![3 => 1usize..4, 3 => 1usize..64, 1 => 1usize..2000],
        1..32,
    )
}

fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = bytes;
    for &n in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(n.clamp(1, rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The longest reply the server writes for one short line is HELP's, about
/// 250 octets for the 6 of `HELP\r\n`; a bare `\n` earns about 75. So the
/// output is at most 64 octets per input octet, plus the greeting and a 421.
fn server_output_bound(input: usize) -> usize {
    64 * input + 1024
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn junk_never_panics_the_server(
        input in smtp_ish(COMMAND_LINES),
        cuts in cuts(),
        submission in any::<bool>(),
        keep_bare in any::<bool>(),
    ) {
        let now = Instant::now();
        let mut policy = policy();
        policy.max_message_size = Some(4096);
        let mut config = ServerConfig::new("mx.example.net");
        config.submission = submission;
        if keep_bare {
            config.bare_line_endings = BareLineEndings::Keep;
        }
        let mut server = ServerSession::new(config, Peer::default(), now, &mut policy);
        let mut out = Vec::new();
        let mut events = 0usize;
        for piece in split(&input, &cuts) {
            server.handle_input(piece, now, &mut policy);
            while let Some(bytes) = server.poll_transmit() {
                out.extend(bytes);
            }
            events += std::iter::from_fn(|| server.poll_event()).count();
        }
        server.handle_timeout(now + Duration::from_secs(60));
        server.shutdown();
        server.handle_close();
        out.extend(server.poll_transmit().unwrap_or_default());
        events += std::iter::from_fn(|| server.poll_event()).count();

        prop_assert!(server.is_closed());
        prop_assert!(
            out.len() <= server_output_bound(input.len()),
            "{} octets out for {} in",
            out.len(),
            input.len()
        );
        // At most one event per line, plus Closed (and a message event).
        let lines = input.iter().filter(|&&b| b == b'\n').count();
        prop_assert!(events <= lines + 2, "{} events for {} lines", events, lines);
        // What the server says is always well-formed replies.
        let mut parser = ReplyParser::new();
        parser.push(&out);
        let mut replies = 0;
        while let Some(reply) = parser.next_reply() {
            prop_assert!(reply.is_ok(), "bad reply from the server: {:?}", reply);
            replies += 1;
        }
        prop_assert!(!parser.has_partial());
        prop_assert!(replies >= 1);
    }

    #[test]
    fn junk_never_panics_the_client(
        input in smtp_ish(REPLY_LINES),
        cuts in cuts(),
        pipelining in any::<bool>(),
        credentials in any::<bool>(),
        transactions in 0usize..4,
    ) {
        let now = Instant::now();
        let mut config = ClientConfig::new("client.example");
        if !pipelining {
            config = config.without_pipelining();
        }
        if credentials {
            config = config.with_credentials("alice", "alice");
        }
        let content = b"Subject: hi\r\n\r\n.dot\r\nbody\r\n".to_vec();
        let transactions: Vec<Transaction> = (0..transactions)
            .map(|i| Transaction {
                reverse_path: ReversePath::parse("<alice@example.org>").unwrap(),
                forward_paths: (0..=i)
                    .map(|j| mailbox(&format!("<r{j}@example.net>")))
                    .collect(),
                content: content.clone(),
            })
            .collect();
        let total_content: usize = transactions.iter().map(|t| t.content.len() + 8).sum();
        let mut client = ClientSession::new(config, transactions, now);
        let mut out = Vec::new();
        let mut events = 0usize;
        for piece in split(&input, &cuts) {
            client.handle_input(piece, now);
            while let Some(bytes) = client.poll_transmit() {
                out.extend(bytes);
            }
            events += std::iter::from_fn(|| client.poll_event()).count();
        }
        client.handle_timeout(now + Duration::from_secs(3600));
        client.handle_close();
        out.extend(client.poll_transmit().unwrap_or_default());
        events += std::iter::from_fn(|| client.poll_event()).count();

        prop_assert!(client.is_closed());
        prop_assert_eq!(client.poll_timeout(), None);
        // Each reply earns at most a group of commands (or one message).
        prop_assert!(
            out.len() <= 64 * input.len() + total_content + 1024,
            "{} octets out for {} in",
            out.len(),
            input.len()
        );
        let lines = input.iter().filter(|&&b| b == b'\n').count();
        prop_assert!(events <= lines + 8, "{} events for {} lines", events, lines);
    }
}

const TEN_MB: usize = 10 * 1000 * 1000;
const CHUNK: usize = 64 * 1024;

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets. A peer that
/// sends ten megabytes without CRLF is not speaking SMTP: it is answered
/// 500 5.5.2, then 421, after `MAX_OVERLONG` octets, and nothing it sends
/// afterwards is read or kept.
#[test]
fn endless_command_line_is_bounded_and_answered_with_500_5_5_2() {
    let now = Instant::now();
    let mut policy = policy();
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    server.poll_transmit();
    let chunk = vec![b'x'; CHUNK];
    let mut sent = 0;
    let mut out = Vec::new();
    while sent < TEN_MB {
        server.handle_input(&chunk, now, &mut policy);
        out.extend(server.poll_transmit().unwrap_or_default());
        if sent < MAX_OVERLONG {
            assert!(!server.is_closed(), "cut off at {sent} octets");
        }
        sent += CHUNK;
    }
    assert!(server.is_closed());
    server.handle_input(b"\r\nNOOP\r\n", now, &mut policy);
    assert_eq!(
        server.poll_transmit(),
        None,
        "nothing is read after the cut"
    );
    let replies = replies(&out);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0].code().get(), 500);
    assert_eq!(
        replies[0].enhanced().map(|e| e.to_string()).as_deref(),
        Some("5.5.2")
    );
    assert_eq!(replies[1].code().get(), 421);
}

/// The client reads replies with the same 512-octet limit (RFC 5321
/// §4.5.3.1.5): an endless reply line is dropped, and when it ends the
/// client gives up on the server, deferring its mail.
#[test]
fn endless_reply_line_is_bounded_for_the_client() {
    let now = Instant::now();
    let transaction = Transaction {
        reverse_path: ReversePath::parse("<alice@example.org>").unwrap(),
        forward_paths: vec![mailbox("<bob@example.net>")],
        content: b"hi\r\n".to_vec(),
    };
    let mut client =
        ClientSession::new(ClientConfig::new("client.example"), vec![transaction], now);
    client.handle_input(b"220 mx.example.net ready\r\n", now);
    assert!(client.poll_transmit().is_some(), "EHLO");
    let chunk = vec![b'x'; CHUNK];
    let mut sent = 0;
    while sent < TEN_MB {
        client.handle_input(&chunk, now);
        assert_eq!(client.poll_transmit(), None);
        sent += CHUNK;
    }
    client.handle_input(b"\r\n250 OK\r\n", now);
    assert!(client.is_closed());
    let events: Vec<ClientEvent> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            ClientEvent::TransactionDone { outcomes, .. }
                if outcomes.iter().all(|o| matches!(o, Outcome::Deferred { .. }))
        )),
        "{events:?}"
    );
}

/// Inside DATA there is no 512 limit, but the message limit bounds what is
/// kept: 10 MB without a line end against a 1 MiB limit gets 552 5.3.4
/// (RFC 1870 §6.3), and the session goes on.
#[test]
fn endless_data_line_is_bounded_by_the_size_limit_rfc1870_6_3() {
    let now = Instant::now();
    let mut policy = policy();
    policy.max_message_size = Some(1 << 20);
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    server.handle_input(
        b"EHLO c.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
        now,
        &mut policy,
    );
    assert_eq!(
        codes(&server.poll_transmit().unwrap()),
        [220, 250, 250, 250, 354]
    );
    let chunk = vec![b'x'; CHUNK];
    let mut sent = 0;
    while sent < TEN_MB {
        server.handle_input(&chunk, now, &mut policy);
        assert_eq!(server.poll_transmit(), None);
        sent += CHUNK;
    }
    server.handle_input(b"\r\n.\r\nNOOP\r\n", now, &mut policy);
    let replies = replies(&server.poll_transmit().unwrap());
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0].code().get(), 552);
    assert_eq!(
        replies[0].enhanced().map(|e| e.to_string()).as_deref(),
        Some("5.3.4")
    );
    assert_eq!(replies[1].code().get(), 250);
}

// ---------------------------------------------------------------------------
// 3. Splitting invariance
// ---------------------------------------------------------------------------

/// One command or one whole message of a plausible session.
fn session_piece() -> impl Strategy<Value = Vec<u8>> {
    let simple = select(
        &[
            "NOOP\r\n",
            "RSET\r\n",
            "HELP\r\n",
            "VRFY bob\r\n",
            "EHLO again.example\r\n",
            "XYZZY\r\n",
            "MAIL FROM:<broken\r\n",
        ][..],
    )
    .prop_map(|l| l.as_bytes().to_vec());
    let recipient = select(
        &[
            "<bob@example.net>",
            "<carol@example.net>",
            "<nobody@example.net>",
            "<Postmaster>",
            "<x@elsewhere.example>",
        ][..],
    );
    let text_line = vec(select(b"..ab \x80\0".as_slice()), 0..30).prop_map(|mut l| {
        l.extend_from_slice(b"\r\n");
        l
    });
    let transaction = (vec(recipient, 0..4), vec(text_line, 0..6)).prop_map(|(rcpts, lines)| {
        let mut wire = b"MAIL FROM:<alice@example.org>\r\n".to_vec();
        for r in &rcpts {
            wire.extend_from_slice(format!("RCPT TO:{r}\r\n").as_bytes());
        }
        wire.extend_from_slice(b"DATA\r\n");
        let accepted = rcpts
            .iter()
            .any(|r| !r.contains("nobody") && !r.contains("elsewhere"));
        if accepted {
            stuffing::stuff(&lines.concat(), &mut wire);
        }
        wire
    });
    prop_oneof![1 => simple, 2 => transaction]
}

fn session() -> impl Strategy<Value = Vec<u8>> {
    vec(session_piece(), 0..8).prop_map(|pieces| {
        let mut wire = b"EHLO client.example\r\n".to_vec();
        wire.extend(pieces.concat());
        wire.extend_from_slice(b"QUIT\r\n");
        wire
    })
}

/// Feeds `pieces` to a fresh server; returns all it sent and its events.
fn serve(pieces: &[&[u8]]) -> (Vec<u8>, Vec<ServerEvent>) {
    let now = Instant::now();
    let mut policy = policy();
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    let mut out = Vec::new();
    for piece in pieces {
        server.handle_input(piece, now, &mut policy);
        while let Some(bytes) = server.poll_transmit() {
            out.extend(bytes);
        }
    }
    (out, std::iter::from_fn(|| server.poll_event()).collect())
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn chunking_does_not_change_the_replies(wire in session(), cuts in cuts()) {
        let (whole, whole_events) = serve(&[&wire]);
        let (split_out, split_events) = serve(&split(&wire, &cuts));
        prop_assert!(
            whole == split_out,
            "different replies\n one chunk: {}\n split:     {}",
            whole.escape_ascii(),
            split_out.escape_ascii()
        );
        prop_assert_eq!(whole_events, split_events);
        // The session ends with QUIT: the last reply is 221.
        let codes = codes(&whole);
        prop_assert_eq!(codes.last(), Some(&221));
    }
}

// ---------------------------------------------------------------------------

fn replies(bytes: &[u8]) -> Vec<Reply> {
    let mut parser = ReplyParser::new();
    parser.push(bytes);
    std::iter::from_fn(|| parser.next_reply())
        .map(|r| r.expect("a well-formed reply"))
        .collect()
}

fn codes(bytes: &[u8]) -> Vec<u16> {
    replies(bytes).iter().map(|r| r.code().get()).collect()
}
