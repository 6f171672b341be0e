//! A thousand real clients at once (issue 14 §3): `mailflow serve` with its
//! default `--max-connections` (1,000) greets every one of a thousand
//! concurrent connections with 220, answers each one's EHLO while all are
//! open, refuses the thousand-and-first with `421 4.3.2` (RFC 5321 §3.8:
//! a server that cannot serve says so and closes), and serves again once
//! they have gone. It prints the server's resident memory per open
//! connection, the figure for the notes; the limit on it is for benches,
//! not for this test.

#[path = "support/serve.rs"]
mod serve;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use serve::*;

const CLIENTS: usize = 1000;

/// This test holds a thousand sockets itself: raise its own soft limit on
/// open files where the hard one allows, or say why it cannot run.
fn room_for_clients() -> bool {
    let want = (CLIENTS + 200) as u64;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|c| c >= want) {
        return true;
    }
    if limit.maximum.is_some_and(|m| m < want) {
        eprintln!(
            "SKIP a_thousand_concurrent_connections: the hard open-file limit ({:?}) is below {want}",
            limit.maximum
        );
        return false;
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: limit.maximum,
        },
    )
    .is_ok()
}

#[test]
fn a_thousand_concurrent_connections_are_each_greeted_and_served_rfc5321_3_8() {
    if !room_for_clients() {
        return;
    }
    let server = Server::start(&["--idle-timeout", "5m"]);
    let before = server.rss_kib();
    let mut clients: Vec<Smtp> = (0..CLIENTS).map(|_| Smtp::open(server.smtp)).collect();
    for (i, smtp) in clients.iter_mut().enumerate() {
        let ehlo = smtp.ehlo(&format!("client{i}.example"));
        assert_eq!(ehlo.code, 250, "client {i}: {ehlo}");
    }
    let held = server.rss_kib();
    println!(
        "{CLIENTS} open sessions: RSS {before} KiB before, {held} KiB with all open: {:.1} KiB per connection",
        held.saturating_sub(before) as f64 / CLIENTS as f64
    );

    // Every slot is taken: one more is told so, and closed.
    let mut extra = Smtp::connect(server.smtp);
    let replies = extra.expect_closed(IO_TIMEOUT);
    assert!(
        replies.len() == 1 && replies[0].is(421, "4.3.2"),
        "connection {} should get 421 4.3.2 and the close: {replies:?}",
        CLIENTS + 1
    );

    // One of the thousand still delivers mail while the others wait.
    let tag = tag("thousand");
    clients[CLIENTS / 2].send_message("bob@example.net", &message(&tag));
    for smtp in &mut clients {
        smtp.expect("QUIT", 221, "2.0.0");
    }
    drop(clients);
    let mut again = open_when_free(server.smtp);
    again.expect("QUIT", 221, "2.0.0");
    wait_for_bob(server.pop3, &tag);
    server.stop();
}
