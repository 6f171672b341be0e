//! Both machines wired back to back in memory: a client fetching bob's
//! mail from a server, with no IO and no clock but the one handed in.

use std::time::{Duration, Instant};

use super::client::{ClientConfig, Pop3Client, Pop3ClientEvent};
use super::maildrop::MemoryMaildrop;
use super::server::{AUTOLOGOUT, CloseReason, Pop3Server, Pop3ServerEvent, SessionState};

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

/// A client and a server over a perfect in-memory wire.
struct Wire {
    client: Pop3Client,
    server: Pop3Server,
    maildrop: MemoryMaildrop,
    now: Instant,
    /// Everything the client sent, in order.
    commands: Vec<u8>,
    client_events: Vec<Pop3ClientEvent>,
    server_events: Vec<Pop3ServerEvent>,
}

impl Wire {
    fn new(delete_after_retrieve: bool) -> Wire {
        let now = Instant::now();
        let config = ClientConfig {
            user: "bob".into(),
            password: "secret".into(),
            delete_after_retrieve,
        };
        Wire {
            client: Pop3Client::new(config, now),
            server: Pop3Server::new("pop.example.net", now),
            maildrop: bobs_maildrop(),
            now,
            commands: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    /// Moves bytes both ways until neither side has anything to say, or
    /// until the client is about to send `stop_before` (which is then kept
    /// back, as if the connection broke first).
    fn drive(&mut self, stop_before: Option<&[u8]>) {
        loop {
            let mut moved = false;
            while let Some(bytes) = self.server.poll_transmit() {
                self.client.handle_input(&bytes, self.now);
                moved = true;
            }
            if let Some(bytes) = self.client.poll_transmit() {
                if stop_before.is_some_and(|s| bytes.starts_with(s)) {
                    break;
                }
                self.commands.extend_from_slice(&bytes);
                self.server
                    .handle_input(&bytes, self.now, &mut self.maildrop);
                moved = true;
            }
            if !moved {
                break;
            }
        }
        if self.server.is_closed() {
            self.client.handle_close();
        }
        self.collect();
    }

    fn collect(&mut self) {
        self.client_events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
        self.server_events
            .extend(std::iter::from_fn(|| self.server.poll_event()));
    }

    fn retrieved(&self) -> Vec<(&str, &[u8])> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                Pop3ClientEvent::Retrieved { uid, content } => Some((uid.as_str(), &content[..])),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn client_fetches_three_messages_byte_for_byte_and_deletes_them_rfc1939() {
    let mut wire = Wire::new(true);
    wire.drive(None);
    let big = big();
    assert_eq!(
        wire.retrieved(),
        [
            ("1700000000.welcome", WELCOME),
            ("1700000001.dots", DOTS),
            ("1700000002.big", &big[..]),
        ]
    );
    assert_eq!(
        String::from_utf8_lossy(&wire.commands),
        "USER bob\r\nPASS secret\r\nLIST\r\nUIDL\r\n\
         RETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nRETR 3\r\nDELE 3\r\nQUIT\r\n"
    );
    assert!(wire.maildrop.messages("bob").is_empty());
    assert_eq!(wire.client_events.first(), Some(&Pop3ClientEvent::LoggedIn));
    assert_eq!(wire.client_events.last(), Some(&Pop3ClientEvent::Closed));
    assert_eq!(
        wire.server_events.last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::Quit
        })
    );
    assert!(wire.server_events.contains(&Pop3ServerEvent::Deleted {
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
    let mut wire = Wire::new(false);
    wire.drive(None);
    assert_eq!(wire.retrieved().len(), 3);
    assert_eq!(wire.maildrop.messages("bob").len(), 3);
    assert!(
        !wire
            .server_events
            .iter()
            .any(|e| matches!(e, Pop3ServerEvent::Deleted { .. }))
    );
}

#[test]
fn dropped_connection_before_quit_deletes_nothing_rfc1939_6() {
    let mut wire = Wire::new(true);
    wire.drive(Some(b"QUIT"));
    assert_eq!(wire.retrieved().len(), 3, "all retrieved and marked");
    wire.server.handle_close();
    wire.client.handle_close();
    wire.collect();
    assert_eq!(wire.maildrop.messages("bob").len(), 3);
    assert_eq!(
        wire.server_events.last(),
        Some(&Pop3ServerEvent::Closed {
            reason: CloseReason::PeerClosed
        })
    );
}

#[test]
fn autologout_before_quit_deletes_nothing_rfc1939_3() {
    let mut wire = Wire::new(true);
    wire.drive(Some(b"QUIT"));
    let deadline = wire.server.poll_timeout().expect("the timer runs");
    assert_eq!(deadline, wire.now + AUTOLOGOUT);
    wire.server.handle_timeout(deadline);
    assert_eq!(wire.server.poll_transmit(), None);
    wire.client.handle_close();
    wire.collect();
    assert_eq!(wire.maildrop.messages("bob").len(), 3);
    assert!(wire.server_events.contains(&Pop3ServerEvent::Closed {
        reason: CloseReason::Timeout
    }));
}

#[test]
fn wrong_password_fetches_nothing_rfc1939_7() {
    let mut wire = Wire::new(true);
    wire.client = Pop3Client::new(
        ClientConfig {
            user: "bob".into(),
            password: "guess".into(),
            delete_after_retrieve: true,
        },
        wire.now,
    );
    wire.drive(None);
    assert!(wire.retrieved().is_empty());
    assert_eq!(
        wire.client_events,
        [
            Pop3ClientEvent::Failed {
                reply: "-ERR authentication failed".into()
            },
            Pop3ClientEvent::Closed
        ]
    );
    assert_eq!(wire.maildrop.messages("bob").len(), 3);
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
    // USER, PASS, DELE 1, then two more.
    let (mut server, mut maildrop) = limited(600, 3600, 5, start);
    server.handle_input(b"STAT\r\nNOOP\r\nQUIT\r\nSTAT\r\n", start, &mut maildrop);
    assert_eq!(
        server_output(&mut server),
        format!(
            "+OK 2 {}\r\n+OK\r\n-ERR too many commands; closing\r\n",
            DOTS.len() + big().len()
        ),
        "the sixth line, QUIT, is refused and what follows never answered"
    );
    assert_closed_by_limit_without_update(&mut server, &maildrop);
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
