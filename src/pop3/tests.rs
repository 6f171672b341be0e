//! Both machines wired back to back in memory: a client fetching bob's
//! mail from a server, with no IO and no clock but the one handed in.

use std::time::{Duration, Instant};

use super::client::{ClientConfig, Pop3Client, Pop3ClientEvent};
use super::maildrop::MemoryMaildrop;
use super::server::{AUTOLOGOUT, CloseReason, Pop3Server, Pop3ServerEvent, SessionState};
use crate::session::pair::{Direction, Pair};

const WELCOME: &[u8] = b"From: alice@example.org\r\nTo: bob@example.net\r\n\
    Subject: welcome\r\n\r\nHello Bob.\r\n";
/// Lines that begin with dots, a lone dot, and what looks like an end.
const DOTS: &[u8] = b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend.\r\n. \r\n\r\n.\r\n";

/// Big enough to leave the server in several pieces.
fn big() -> Vec<u8> {
    let mut content = b"Subject: big\r\n\r\n".to_vec();
    for i in 0..12_000 {
        content.extend_from_slice(format!("line {i} .\r\n.{i}\r\n").as_bytes());
    }
    content
}

fn bobs_maildrop() -> MemoryMaildrop {
    let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
    drop.deliver("bob", "1700000000.welcome", WELCOME);
    drop.deliver("bob", "1700000001.dots", DOTS);
    drop.deliver("bob", "1700000002.big", big());
    drop
}

/// A client and a server over a perfect in-memory wire: the session kit's
/// test `Pair`, with bob's maildrop as the server's host.
type Wire = Pair<Pop3Client, Pop3Server, MemoryMaildrop>;

fn wire(delete_after_retrieve: bool) -> Wire {
    wire_at(delete_after_retrieve, Instant::now())
}

fn wire_at(delete_after_retrieve: bool, now: Instant) -> Wire {
    let config = ClientConfig {
        user: "bob".into(),
        password: "secret".into(),
        delete_after_retrieve,
    };
    Pair::connect(
        Pop3Client::new(config, now),
        Pop3Server::new("pop.example.net", now),
        bobs_maildrop(),
        now,
    )
}

/// QUIT never reaches the server, as if the connection broke first.
fn keep_back_quit(wire: &mut Wire) {
    wire.tamper(Box::new(|dir, bytes| {
        if dir == Direction::ClientToServer && bytes.starts_with(b"QUIT") {
            bytes.clear();
        }
    }));
}

/// Everything the client sent, in order.
fn commands(wire: &Wire) -> Vec<u8> {
    wire.wire
        .iter()
        .filter(|(dir, _)| *dir == Direction::ClientToServer)
        .flat_map(|(_, bytes)| bytes.iter().copied())
        .collect()
}

fn retrieved(wire: &Wire) -> Vec<(&str, &[u8])> {
    wire.client_events()
        .iter()
        .filter_map(|e| match e {
            Pop3ClientEvent::Retrieved { uid, content } => Some((uid.as_str(), &content[..])),
            _ => None,
        })
        .collect()
}

#[test]
fn client_fetches_three_messages_byte_for_byte_and_deletes_them_rfc1939() {
    let mut wire = wire(true);
    wire.drive();
    let big = big();
    assert_eq!(
        retrieved(&wire),
        [
            ("1700000000.welcome", WELCOME),
            ("1700000001.dots", DOTS),
            ("1700000002.big", &big[..]),
        ]
    );
    assert_eq!(
        String::from_utf8_lossy(&commands(&wire)),
        "USER bob\r\nPASS secret\r\nLIST\r\nUIDL\r\n\
         RETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nRETR 3\r\nDELE 3\r\nQUIT\r\n"
    );
    assert!(wire.host.messages("bob").is_empty());
    assert_eq!(
        wire.client_events().first(),
        Some(&Pop3ClientEvent::LoggedIn)
    );
    assert_eq!(wire.client_events().last(), Some(&Pop3ClientEvent::Closed));
    assert_eq!(
        wire.server_events().last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::Quit
        })
    );
    assert!(wire.server_events().contains(&Pop3ServerEvent::Deleted {
        user: "bob".into(),
        uids: vec![
            "1700000000.welcome".into(),
            "1700000001.dots".into(),
            "1700000002.big".into()
        ]
    }));
    assert!(wire.client.is_closed() && wire.server.is_closed());
}

#[test]
fn leaving_mail_on_the_server_deletes_nothing_rfc1939_6() {
    let mut wire = wire(false);
    wire.drive();
    assert_eq!(retrieved(&wire).len(), 3);
    assert_eq!(wire.host.messages("bob").len(), 3);
    assert!(
        !wire
            .server_events()
            .iter()
            .any(|e| matches!(e, Pop3ServerEvent::Deleted { .. }))
    );
}

#[test]
fn dropped_connection_before_quit_deletes_nothing_rfc1939_6() {
    let mut wire = wire(true);
    keep_back_quit(&mut wire);
    wire.drive();
    assert_eq!(retrieved(&wire).len(), 3, "all retrieved and marked");
    wire.server.handle_close();
    wire.client.handle_close();
    wire.drive();
    assert_eq!(wire.host.messages("bob").len(), 3);
    assert_eq!(
        wire.server_events().last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::PeerClosed
        })
    );
}

#[test]
fn autologout_before_quit_deletes_nothing_rfc1939_3() {
    let mut wire = wire(true);
    keep_back_quit(&mut wire);
    wire.drive();
    let deadline = wire.server.poll_timeout().expect("the timer runs");
    assert_eq!(deadline, wire.now + AUTOLOGOUT);
    wire.server.handle_timeout(deadline);
    assert_eq!(wire.server.poll_transmit(), None);
    wire.client.handle_close();
    wire.drive();
    assert_eq!(wire.host.messages("bob").len(), 3);
    assert!(wire.server_events().contains(&Pop3ServerEvent::Closed {
        reason: CloseReason::Timeout
    }));
}

#[test]
fn wrong_password_fetches_nothing_rfc1939_7() {
    let mut wire = wire(true);
    wire.client = Pop3Client::new(
        ClientConfig {
            user: "bob".into(),
            password: "guess".into(),
            delete_after_retrieve: true,
        },
        wire.now,
    );
    wire.drive();
    assert!(retrieved(&wire).is_empty());
    assert_eq!(
        wire.client_events(),
        [
            Pop3ClientEvent::Failed {
                reply: "-ERR authentication failed".into()
            },
            Pop3ClientEvent::Closed
        ]
    );
    assert_eq!(wire.host.messages("bob").len(), 3);
}

/// A server alone, fed by hand.
fn server_output(server: &mut Pop3Server) -> String {
    let mut out = Vec::new();
    while let Some(chunk) = server.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn shutdown_says_err_and_deletes_nothing_rfc1939_6() {
    let now = Instant::now();
    let mut maildrop = bobs_maildrop();
    let mut server = Pop3Server::new("pop.example.net", now);
    server.handle_input(b"USER bob\r\nPASS secret\r\nDELE 1\r\n", now, &mut maildrop);
    server_output(&mut server);
    server.shutdown();
    assert!(server_output(&mut server).starts_with("-ERR "));
    assert!(server.is_closed());
    assert_eq!(maildrop.messages("bob").len(), 3);
    assert_eq!(
        std::iter::from_fn(|| server.poll_event()).last(),
        Some(Pop3ServerEvent::Closed {
            reason: CloseReason::Shutdown
        })
    );
}

#[test]
fn a_shorter_autologout_is_the_hosts_choice_rfc1939_3() {
    let now = Instant::now();
    let mut limits = Pop3Server::default_limits();
    limits.idle = Duration::from_secs(5);
    let server = Pop3Server::with_limits("pop.example.net", limits, now);
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(5)));
}

#[test]
fn endless_line_is_cut_off_with_err() {
    let now = Instant::now();
    let mut maildrop = bobs_maildrop();
    let mut server = Pop3Server::new("pop.example.net", now);
    server_output(&mut server);
    let chunk = [b'A'; 4096];
    let mut fed = 0;
    while !server.is_closed() && fed < 10 * super::server::MAX_OVERLONG {
        server.handle_input(&chunk, now, &mut maildrop);
        fed += chunk.len();
    }
    assert!(server.is_closed());
    assert!(fed <= super::server::MAX_OVERLONG + 2 * chunk.len());
    assert!(server_output(&mut server).starts_with("-ERR "));
}

/// A server for bob with the given limits, logged in at `start` with
/// message 1 marked for deletion; its output so far is read and dropped.
fn limited(
    idle: u64,
    session: u64,
    max_commands: usize,
    start: Instant,
) -> (Pop3Server, MemoryMaildrop) {
    let mut maildrop = bobs_maildrop();
    let mut limits = Pop3Server::default_limits();
    limits.idle = Duration::from_secs(idle);
    limits.session = Some(Duration::from_secs(session));
    limits.max_commands = Some(max_commands);
    let mut server = Pop3Server::with_limits("pop.example.net", limits, start);
    server.handle_input(
        b"USER bob\r\nPASS secret\r\nDELE 1\r\n",
        start,
        &mut maildrop,
    );
    let out = server_output(&mut server);
    assert!(out.ends_with("+OK message 1 deleted\r\n"), "{out}");
    (server, maildrop)
}

fn server_events(server: &mut Pop3Server) -> Vec<Pop3ServerEvent> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

/// Closed past a limit, with nothing deleted: DELE only marked.
fn assert_closed_by_limit_without_update(server: &mut Pop3Server, maildrop: &MemoryMaildrop) {
    assert!(server.is_closed());
    assert_eq!(server.state(), SessionState::Closed);
    assert_eq!(server.poll_timeout(), None);
    let events = server_events(server);
    assert_eq!(
        events.last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::Limit
        })
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Pop3ServerEvent::Deleted { .. }))
    );
    assert_eq!(
        maildrop.messages("bob").len(),
        3,
        "the DELE-marked one stays"
    );
}

#[test]
fn session_allowance_ends_a_busy_session_without_update_rfc1939_6() {
    let start = Instant::now();
    let (mut server, mut maildrop) = limited(10, 60, 1000, start);
    // NOOP every 5 s: the autologout timer never expires, and the host,
    // never idle, never calls handle_timeout.
    let mut now = start;
    while now < start + Duration::from_secs(55) {
        now += Duration::from_secs(5);
        server.handle_input(b"NOOP\r\n", now, &mut maildrop);
        assert_eq!(server_output(&mut server), "+OK\r\n");
    }
    // Even QUIT does not reach UPDATE once the allowance is spent.
    now += Duration::from_secs(5);
    server.handle_input(b"QUIT\r\n", now, &mut maildrop);
    assert_eq!(
        server_output(&mut server),
        "-ERR session too long; closing\r\n"
    );
    assert_closed_by_limit_without_update(&mut server, &maildrop);
}

#[test]
fn session_allowance_is_also_met_by_handle_timeout_rfc1939_6() {
    let start = Instant::now();
    let (mut server, mut maildrop) = limited(40, 60, 1000, start);
    server.handle_input(b"NOOP\r\n", start + Duration::from_secs(30), &mut maildrop);
    server_output(&mut server);
    // The allowance (60 s) comes before the autologout timer (30 + 40 s).
    let at = server.poll_timeout().unwrap();
    assert_eq!(at, start + Duration::from_secs(60));
    server.handle_timeout(at - Duration::from_millis(1));
    assert!(!server.is_closed());
    server.handle_timeout(at);
    // Unlike autologout, the client is told why.
    assert_eq!(
        server_output(&mut server),
        "-ERR session too long; closing\r\n"
    );
    assert_closed_by_limit_without_update(&mut server, &maildrop);
}

#[test]
fn command_cap_closes_without_update() {
    let start = Instant::now();
    // USER, PASS, DELE 1: the DELE is work, so the count starts again;
    // then five lines that take no mail.
    let (mut server, mut maildrop) = limited(600, 3600, 5, start);
    server.handle_input(
        b"STAT\r\nNOOP\r\nSTAT\r\nNOOP\r\nSTAT\r\nQUIT\r\nSTAT\r\n",
        start,
        &mut maildrop,
    );
    let stat = format!("+OK 2 {}\r\n", DOTS.len() + big().len());
    assert_eq!(
        server_output(&mut server),
        format!(
            "{stat}+OK\r\n{stat}+OK\r\n{stat}-ERR too many commands without retrieving mail; closing\r\n"
        ),
        "the sixth line since the DELE, QUIT, is refused and what follows never answered"
    );
    assert_closed_by_limit_without_update(&mut server, &maildrop);
}

#[test]
fn retrieving_mail_starts_the_command_count_again() {
    let start = Instant::now();
    let (mut server, mut maildrop) = limited(600, 3600, 3, start);
    // Far more lines than the cap of 3, but a RETR in every third.
    let mut input = Vec::new();
    for _ in 0..10 {
        input.extend_from_slice(b"NOOP\r\nSTAT\r\nRETR 2\r\n");
    }
    server.handle_input(&input, start, &mut maildrop);
    let out = server_output(&mut server);
    assert!(
        !out.contains("-ERR"),
        "never cut while it takes mail: {out}"
    );
    assert!(!server.is_closed());
}

#[test]
fn poll_timeout_is_the_earlier_of_autologout_and_allowance_rfc1939_3() {
    let start = Instant::now();
    let secs = Duration::from_secs;
    let (mut server, mut maildrop) = limited(30, 60, 1000, start);
    assert_eq!(
        server.poll_timeout(),
        Some(start + secs(30)),
        "autologout first"
    );
    server.handle_input(b"NOOP\r\n", start + secs(45), &mut maildrop);
    assert_eq!(
        server.poll_timeout(),
        Some(start + secs(60)),
        "allowance first"
    );
    // Silence before the allowance: autologout, silent, as before.
    let (mut server, maildrop) = limited(10, 60, 1000, start);
    server.handle_timeout(start + secs(10));
    assert!(server.is_closed());
    assert_eq!(server_output(&mut server), "");
    assert_eq!(
        server_events(&mut server).last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::Timeout
        })
    );
    assert_eq!(maildrop.messages("bob").len(), 3);
}

// ------------------------------------------------ through the session Pair

#[test]
fn the_pair_drives_pop3_with_latency_each_way_rfc1939() {
    let start = Instant::now();
    let mut p = wire_at(true, start);
    p.latency_to_server = Duration::from_millis(30);
    p.latency_to_client = Duration::from_millis(70);
    p.drive();
    assert!(p.client.is_closed() && p.server.is_closed());
    assert!(p.host.messages("bob").is_empty(), "retrieved and deleted");
    // The greeting, then one round trip per command: USER, PASS, LIST,
    // UIDL, RETR and DELE for each of three messages, QUIT.
    assert_eq!(p.now - start, Duration::from_millis(70 + 11 * 100));
}

#[test]
fn autologout_through_the_pair_is_silent_and_deletes_nothing_rfc1939_3() {
    let start = Instant::now();
    let mut p = wire_at(true, start);
    // The server's words reach the client a second late, so its timer
    // (from the +OK to USER) runs out after the server's (from USER).
    p.latency_to_client = Duration::from_secs(1);
    // PASS and everything after it are lost: the server hears nothing more.
    p.tamper(Box::new(|dir, bytes| {
        if dir == Direction::ClientToServer && !bytes.starts_with(b"USER") {
            bytes.clear();
        }
    }));
    p.run();
    assert_eq!(p.now, start + Duration::from_secs(1) + AUTOLOGOUT);
    assert_eq!(
        p.server_events().last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::Timeout
        })
    );
    let said: Vec<&[u8]> = p
        .wire
        .iter()
        .filter(|(d, _)| *d == Direction::ServerToClient)
        .map(|(_, b)| &b[..])
        .collect();
    assert_eq!(
        said,
        [
            &b"+OK pop.example.net POP3 ready\r\n"[..],
            b"+OK bob: send PASS\r\n"
        ]
    );
    assert!(p.client.is_closed());
    assert_eq!(p.host.messages("bob").len(), 3);
}

#[test]
fn autologout_is_reset_by_any_byte_even_mid_command_rfc1939_3() {
    let start = Instant::now();
    let minutes = |m: u64| start + Duration::from_secs(60 * m);
    let mut maildrop = bobs_maildrop();
    let mut server = Pop3Server::new("pop.example.net", start);
    server_output(&mut server);
    // Half a command at 9 minutes: the client is there.
    server.handle_input(b"NO", minutes(9), &mut maildrop);
    assert_eq!(server.poll_timeout(), Some(minutes(9) + AUTOLOGOUT));
    server.handle_timeout(start + AUTOLOGOUT);
    assert!(!server.is_closed());
    server.handle_input(b"OP\r\n", minutes(18), &mut maildrop);
    assert_eq!(
        server_output(&mut server),
        "-ERR NOOP is not valid before login; log in with USER and PASS (RFC 1939 section 4)\r\n"
    );
    assert_eq!(server.poll_timeout(), Some(minutes(18) + AUTOLOGOUT));
    // No byte, no reset.
    server.handle_input(b"", minutes(25), &mut maildrop);
    server.handle_timeout(minutes(18) + AUTOLOGOUT);
    assert!(server.is_closed());
}

/// Every status line the server writes is printable US-ASCII and at most
/// 512 octets with its CRLF (RFC 2449 §4), whatever the client sent that
/// it echoes; texts that cite "§7" say "section 7" on the wire.
#[test]
fn every_response_is_printable_us_ascii_rfc1939_3() {
    let inputs = [
        "CAPA\r\nUSER jörg\r\nPASS x\r\nPASS y\r\nSTAT\r\nXTND é\r\nAPOP a b\r\nretr\r\nLIST x\r\nQUIT\r\n",
        "USER bob\r\nPASS wrong\r\nUSER bob\r\nNOOP\r\nPASS secret\r\n",
        "USER bob\r\nPASS secret\r\nSTAT\r\nLIST\r\nLIST 2\r\nLIST 9\r\nUIDL\r\nUIDL 1\r\nTOP 1 0\r\n\
         DELE 1\r\nRETR 1\r\nDELE 1\r\nRSET\r\nNOOP x\r\nUSER bob\r\nRETR ü\r\nQUIT\r\n",
        "USER bob\r\nPASS secret\r\nDELE 1\r\nQUIT\r\n",
        "NOOP\nQUIT\r\n",
    ];
    let long = format!("USER {}\r\nQUIT\r\n", "é".repeat(120));
    let mut checked = 0;
    for input in inputs.iter().copied().chain([long.as_str()]) {
        let now = Instant::now();
        let mut maildrop = bobs_maildrop();
        let mut server = Pop3Server::new("pop.example.net", now);
        server.handle_input(input.as_bytes(), now, &mut maildrop);
        let mut wire = Vec::new();
        while let Some(chunk) = server.poll_transmit() {
            wire.extend(chunk);
        }
        for line in wire.split_inclusive(|&b| b == b'\n') {
            assert!(line.len() <= 512, "{}", line.escape_ascii());
            let text = line.strip_suffix(b"\r\n").expect("lines end in CRLF");
            assert!(
                text.iter()
                    .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)),
                "not printable US-ASCII: {}",
                text.escape_ascii()
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} lines checked");
}
