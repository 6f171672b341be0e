//! Fuzzes the server session machine with arbitrary client bytes.
//!
//! Input layout (see `fuzz/README.md`):
//!
//! * byte 0, flags: bit 0 submission port, bit 1 keep bare line endings,
//!   bits 2-3 how the session ends (timeout, shutdown, peer close, early
//!   timeout check then peer close), bit 4 a tight policy (64-octet
//!   messages, 2 recipients), bit 5 CHUNKING and BINARYMIME offered;
//! * byte 1: `n` = how many chunk-length bytes follow (`n % 8`);
//! * `n` bytes: chunk lengths (`len + 1`), used in turn until the input ends;
//! * the rest: what the client sent.
//!
//! The same bytes are also fed as one single chunk: a sans-IO machine must
//! not care how its input was split, so both runs must write the same bytes
//! and report the same events.

#![no_main]

mod input;

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailflow::smtp::command::Body;
use mailflow::smtp::policy::Policy;
use mailflow::smtp::server::{BareLineEndings, CloseReason};
use mailflow::smtp::{
    ForwardPath, Peer, ReplyParser, ReversePath, ServerConfig, ServerEvent, ServerSession,
    SimplePolicy,
};

/// Longest text line of a message, CRLF included (RFC 5321 §4.5.3.1.6).
const MAX_TEXT_LINE: usize = 1000;

#[derive(Clone, Copy)]
enum Ending {
    Timeout,
    Shutdown,
    PeerClose,
    EarlyTimeoutThenClose,
}

struct Setup {
    submission: bool,
    bare: BareLineEndings,
    ending: Ending,
    tight: bool,
    chunking: bool,
}

impl Setup {
    fn from_flags(flags: u8) -> Setup {
        Setup {
            submission: flags & 1 != 0,
            bare: if flags & 2 != 0 {
                BareLineEndings::Keep
            } else {
                BareLineEndings::Refuse
            },
            ending: match (flags >> 2) & 3 {
                0 => Ending::Timeout,
                1 => Ending::Shutdown,
                2 => Ending::PeerClose,
                _ => Ending::EarlyTimeoutThenClose,
            },
            tight: flags & 16 != 0,
            chunking: flags & 32 != 0,
        }
    }

    fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::new("mx.example.net");
        if self.submission {
            config = config.submission();
        }
        config.bare_line_endings = self.bare;
        config.chunking = self.chunking;
        config
    }

    fn policy(&self) -> SimplePolicy {
        let mut policy = SimplePolicy::for_domain("example.net", &["bob", "carol", "jörg"])
            .with_account("alice", "alice");
        if self.tight {
            policy.max_message_size = Some(64);
            policy.max_recipients = Some(2);
        }
        policy
    }
}

/// Everything one run produced.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    out: Vec<u8>,
    events: Vec<ServerEvent>,
}

fn run<'a>(setup: &Setup, chunks: impl Iterator<Item = &'a [u8]>, now: Instant) -> Run {
    let config = setup.config();
    let timeout = config.limits.idle;
    let mut policy = setup.policy();
    let mut session = ServerSession::new(config, Peer::default(), now, &mut policy);
    let mut out = Vec::new();
    let mut events = Vec::new();
    let drain = |session: &mut ServerSession, out: &mut Vec<u8>, events: &mut Vec<ServerEvent>| {
        let before = (out.len(), events.len());
        while let Some(bytes) = session.poll_transmit() {
            assert!(
                !bytes.is_empty(),
                "poll_transmit returned an empty transmit"
            );
            out.extend_from_slice(&bytes);
        }
        events.extend(std::iter::from_fn(|| session.poll_event()));
        before != (out.len(), events.len())
    };
    drain(&mut session, &mut out, &mut events);
    for chunk in chunks {
        let was_closed = session.is_closed();
        session.handle_input(chunk, now, &mut policy);
        let said_something = drain(&mut session, &mut out, &mut events);
        assert!(
            !(was_closed && said_something),
            "a closed session answered input"
        );
    }
    let was_closed = session.is_closed();
    match setup.ending {
        Ending::Timeout => session.handle_timeout(now + timeout),
        Ending::Shutdown => session.shutdown(),
        Ending::PeerClose => session.handle_close(),
        Ending::EarlyTimeoutThenClose => {
            let before = out.len();
            session.handle_timeout(now + timeout - Duration::from_nanos(1));
            assert!(!drain(&mut session, &mut out, &mut events) || was_closed);
            assert_eq!(out.len(), before, "timeout fired before its deadline");
            session.handle_close();
        }
    }
    let said_something = drain(&mut session, &mut out, &mut events);
    assert!(
        !(was_closed && said_something),
        "a closed session spoke again"
    );
    assert!(
        session.is_closed(),
        "the session is still open after it was ended"
    );
    assert_eq!(
        session.poll_timeout(),
        None,
        "a closed session wants a timer"
    );
    // Once closed, nothing more.
    session.handle_input(b"QUIT\r\n", now, &mut policy);
    session.shutdown();
    session.handle_timeout(now + timeout * 2);
    session.handle_close();
    assert!(
        !drain(&mut session, &mut out, &mut events),
        "a closed session spoke again"
    );
    Run { out, events }
}

/// Every reply parses; no more replies than command lines (plus the
/// greeting and one closing 421); output bounded by input.
fn check_replies(out: &[u8], input: &[u8]) {
    let mut parser = ReplyParser::new();
    parser.push(out);
    let mut replies = 0usize;
    while let Some(reply) = parser.next_reply() {
        if let Err(e) = reply {
            panic!(
                "server wrote an unparsable reply: {e}\n{}",
                String::from_utf8_lossy(out)
            );
        }
        replies += 1;
    }
    assert!(!parser.has_partial(), "server output ends inside a reply");
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    assert!(
        replies <= lines + 3,
        "{replies} replies for {lines} input lines"
    );
    assert!(
        out.len() <= 48 * input.len() + 8192,
        "{} output octets for {} input octets",
        out.len(),
        input.len()
    );
}

/// The events tell a consistent story.
fn check_events(setup: &Setup, events: &[ServerEvent]) {
    let policy = setup.policy();
    let closed: Vec<_> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, ServerEvent::Closed { .. }))
        .collect();
    assert_eq!(closed.len(), 1, "exactly one Closed event: {events:?}");
    assert_eq!(closed[0].0, events.len() - 1, "Closed is the last event");
    let mut authenticated = false;
    let mut greeted = false;
    let mut sender: Option<ReversePath> = None;
    let mut recipients: Vec<ForwardPath> = Vec::new();
    for event in events {
        match event {
            ServerEvent::Greeted { .. } => greeted = true,
            ServerEvent::Authenticated { .. } => {
                assert!(setup.submission, "AUTH succeeded on a plain port");
                assert!(!authenticated, "authenticated twice");
                authenticated = true;
            }
            ServerEvent::SenderAccepted { reverse_path } => {
                assert!(greeted, "MAIL accepted before EHLO/HELO");
                assert!(
                    !setup.submission || authenticated,
                    "MAIL accepted before AUTH on submission"
                );
                sender = Some(reverse_path.clone());
                recipients.clear();
            }
            ServerEvent::RecipientAccepted { forward_path } => {
                assert!(sender.is_some(), "RCPT accepted outside a transaction");
                recipients.push(forward_path.clone());
                assert!(
                    recipients.len() <= policy.max_recipients(),
                    "too many recipients accepted"
                );
            }
            ServerEvent::MessageReceived {
                envelope, content, ..
            } => {
                let Some(from) = sender.take() else {
                    panic!("message without a transaction")
                };
                assert_eq!(envelope.reverse_path, from);
                assert_eq!(
                    envelope.forward_paths, recipients,
                    "envelope differs from accepted RCPTs"
                );
                assert!(!recipients.is_empty(), "message accepted with no recipient");
                let ascii = from.is_ascii() && recipients.iter().all(ForwardPath::is_ascii);
                assert!(
                    ascii || envelope.params.smtputf8,
                    "UTF-8 envelope without SMTPUTF8"
                );
                assert!(
                    content.len() <= policy.max_message_size(),
                    "oversized message accepted"
                );
                let binary = envelope.params.body == Some(Body::BinaryMime);
                assert!(
                    !binary || setup.chunking,
                    "BINARYMIME taken where not offered"
                );
                check_content(setup, content, binary);
                recipients.clear();
            }
            // This target's server offers no STARTTLS (tls_session fuzzes
            // the TLS-wrapped session), so no handshake may ever start.
            ServerEvent::TlsStarting { .. } => panic!("TLS started where it was not offered"),
            ServerEvent::MessageRefused { reply, .. } => {
                assert!(sender.take().is_some(), "refusal without a transaction");
                assert!(!reply.code().is_positive(), "refusal with a positive reply");
                recipients.clear();
            }
            ServerEvent::Closed { reason } => {
                let expected = match setup.ending {
                    Ending::Timeout => CloseReason::Timeout,
                    Ending::Shutdown => CloseReason::Shutdown,
                    Ending::PeerClose | Ending::EarlyTimeoutThenClose => CloseReason::PeerClosed,
                };
                assert!(
                    matches!(reason, CloseReason::Quit | CloseReason::TooManyErrors)
                        || *reason == expected,
                    "closed for {reason:?}, expected {expected:?}"
                );
            }
        }
    }
}

/// Accepted content: empty or ends with CRLF (after DATA; a BDAT body
/// ends where its count does); with `Refuse`, no bare CR or LF and no line
/// over 1000 octets, unless it is BINARYMIME octets (RFC 3030 §3).
fn check_content(setup: &Setup, content: &[u8], binary: bool) {
    if binary {
        return;
    }
    assert!(
        setup.chunking || content.is_empty() || content.ends_with(b"\r\n"),
        "content does not end with CRLF: {content:?}"
    );
    let mut line_len = 0;
    for (i, &b) in content.iter().enumerate() {
        line_len += 1;
        if b == b'\n' && i > 0 && content[i - 1] == b'\r' {
            assert!(
                line_len <= MAX_TEXT_LINE,
                "accepted a line of {line_len} octets"
            );
            line_len = 0;
        }
    }
    if setup.bare == BareLineEndings::Refuse {
        for (i, &b) in content.iter().enumerate() {
            match b {
                b'\r' => assert_eq!(content.get(i + 1), Some(&b'\n'), "bare CR accepted"),
                b'\n' => assert!(i > 0 && content[i - 1] == b'\r', "bare LF accepted"),
                _ => {}
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input::Input {
        flags,
        chunks,
        payload,
    }) = input::read(data)
    else {
        return;
    };
    let setup = Setup::from_flags(flags);
    let now = Instant::now();

    let split = run(&setup, chunks.into_iter(), now);
    check_replies(&split.out, payload);
    check_events(&setup, &split.events);

    let whole = run(&setup, std::iter::once(payload), now);
    assert!(
        whole == split,
        "output depends on how the input was split:\nwhole: {:?}\nsplit: {:?}",
        String::from_utf8_lossy(&whole.out),
        String::from_utf8_lossy(&split.out)
    );
});
