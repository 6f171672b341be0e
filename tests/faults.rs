//! Faults of the network and of slow servers (issue 14 §4), each in a
//! small world, checked on the trace: resets inside a command and inside
//! DATA, a link or host going down under an open session, a stall, DNS
//! datagrams duplicated and reordered, and a server that answers the
//! final dot past the client's wait (RFC 5321 §4.5.3.2.6, §6.1).

use std::time::Duration;

use mailflow::trace::{ConnId, Dir, EventKind, SimTime, Trace};

/// alice@example.org → bob@example.net through smtp.example.org and
/// mx.example.net; `mx` and `link` are added to the MX and to the link
/// between the two servers.
fn world(mx: &str, link: &str) -> String {
    format!(
        r#"(
    title: "faults",
    run_for: "3h",
    dns: [(name: "ns.example.org", ip: "192.0.2.53", zones: [
        (origin: "example.org", records: [Mx("example.org", 10, "smtp.example.org")]),
        (origin: "example.net", records: [Mx("example.net", 10, "mx.example.net")]),
    ])],
    mtas: [
        (name: "smtp.example.org", ip: "192.0.2.25", domains: ["example.org"],
         mailboxes: {{"alice@example.org": "alice"}}, submission: true, retry: ["15m"]),
        (name: "mx.example.net", ip: "198.51.100.25", domains: ["example.net"],
         mailboxes: {{"bob@example.net": "bob"}}{mx}),
    ],
    clients: [(name: "laptop.example.org", ip: "192.0.2.10", account: "alice@example.org",
        password: "alice", server: "smtp.example.org",
        send: [(to: ["bob@example.net"], subject: "Faults", body: "Hello Bob,\n\nthis is a message of some length, so that a reset can fall inside it.\n\nAlice\n")])],
    links: [(between: ("smtp.example.org", "mx.example.net"){link})],
)"#
    )
}

fn run(source: &str) -> Trace {
    let loaded = mailflow::scenario::parse(source, "faults.ron").unwrap_or_else(|e| panic!("{e}"));
    mailflow::sim::run(&loaded.plan).trace
}

fn minutes(t: SimTime) -> f64 {
    t.duration().as_secs_f64() / 60.0
}

/// The SMTP sessions from smtp.example.org to mx.example.net.
fn relay_sessions(trace: &Trace) -> Vec<ConnId> {
    let mx = trace.host_named("mx.example.net").expect("mx");
    trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Connect {
                conn, to, port: 25, ..
            } if *to == mx => Some(*conn),
            _ => None,
        })
        .collect()
}

fn deliveries_to_bob(trace: &Trace) -> Vec<SimTime> {
    trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } if rest.mailbox == "bob@example.net" => Some(e.at),
            _ => None,
        })
        .collect()
}

/// What the client sent on `conn`, all of it.
fn client_bytes(trace: &Trace, conn: ConnId) -> String {
    let mut out = String::new();
    for e in trace.events() {
        if let EventKind::Bytes {
            conn: c,
            dir: Dir::Up,
            data,
            ..
        } = &e.kind
            && *c == conn
        {
            out.push_str(&String::from_utf8_lossy(data.as_bytes()));
        }
    }
    out
}

fn reset_of(trace: &Trace, conn: ConnId) -> Option<(SimTime, String)> {
    trace.events().iter().find_map(|e| match &e.kind {
        EventKind::Reset { conn: c, why } if *c == conn => Some((e.at, why.clone())),
        _ => None,
    })
}

fn queued_on(trace: &Trace, conn: ConnId) -> bool {
    trace
        .events()
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Queued { rest, .. } if rest.conn == Some(conn)))
}

#[test]
fn a_reset_mid_data_leaves_the_message_queued_for_retry() {
    let trace = run(&world("", ", resets: [(session: 1, after: 300)]"));
    let sessions = relay_sessions(&trace);
    let first = sessions[0];
    let sent = client_bytes(&trace, first);
    assert_eq!(sent.len(), 300, "the client's octets stop at the reset");
    assert!(
        sent.contains("DATA\r\n") && !sent.ends_with("\r\n.\r\n"),
        "{sent}"
    );
    let (_, why) = reset_of(&trace, first).expect("the first session is reset");
    assert_eq!(why, "a reset on the link");
    // The server never read a final dot: it took nothing.
    assert!(!queued_on(&trace, first));
    let deferred = trace
        .events()
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Deferred { rest, .. } if rest.attempt == 1));
    assert!(deferred, "the sender keeps the message for a retry");
    // The retry, 15 minutes later, delivers it: once.
    let delivered = deliveries_to_bob(&trace);
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(minutes(delivered[0]) >= 15.0);
}

#[test]
fn a_reset_mid_command_cuts_the_line_and_the_session() {
    // 40 octets: past EHLO, inside MAIL FROM.
    let trace = run(&world("", ", resets: [(session: 1, after: 40)]"));
    let first = relay_sessions(&trace)[0];
    let sent = client_bytes(&trace, first);
    assert!(
        sent.starts_with("EHLO") && sent.contains("MAIL FROM:<"),
        "{sent}"
    );
    assert!(
        !sent.ends_with("\r\n"),
        "the reset falls inside a line: {sent:?}"
    );
    assert!(reset_of(&trace, first).is_some());
    assert_eq!(deliveries_to_bob(&trace).len(), 1);
}

#[test]
fn a_reset_at_a_time_cuts_what_is_open_then_and_nothing_later() {
    // The server holds the final dot for 5 minutes; the reset at 2m
    // falls inside that wait.
    let trace = run(&world(
        ", slow_data_reply: (delay: \"5m\", until: \"1m\")",
        ", resets: [(at: \"2m\")]",
    ));
    let sessions = relay_sessions(&trace);
    let (at, _) = reset_of(&trace, sessions[0]).expect("cut at 2m");
    assert_eq!(at.duration(), Duration::from_secs(120));
    assert!(sessions[1..].iter().all(|&c| reset_of(&trace, c).is_none()));
}

#[test]
fn a_link_going_down_cuts_open_sessions() {
    // The server holds its answer to the final dot for 5 minutes; the
    // link goes down at 2m, with the session open.
    let trace = run(&world(
        ", slow_data_reply: (delay: \"5m\", until: \"1m\")",
        ", down: [(\"2m\", \"3m\")]",
    ));
    let first = relay_sessions(&trace)[0];
    let (at, why) = reset_of(&trace, first).expect("the session is cut");
    assert_eq!(at.duration(), Duration::from_secs(120));
    assert_eq!(why, "the link went down");
    // The sender learns at once (not after its 10-minute wait) and defers.
    let deferred = trace.events().iter().find_map(|e| match &e.kind {
        EventKind::Deferred { .. } => Some(e.at),
        _ => None,
    });
    assert_eq!(deferred, Some(at));
    // mx.example.net took the message at 5m, after the cut: its 250 was
    // never read, so the retry brings a second copy (RFC 5321 §6.1).
    assert!(queued_on(&trace, first));
    assert_eq!(deliveries_to_bob(&trace).len(), 2);
}

#[test]
fn a_host_going_down_cuts_open_sessions() {
    let trace = run(&world(
        ", slow_data_reply: (delay: \"5m\", until: \"1m\"), down: [(\"2m\", \"4m\")]",
        "",
    ));
    let first = relay_sessions(&trace)[0];
    let (at, why) = reset_of(&trace, first).expect("the session is cut");
    assert_eq!(at.duration(), Duration::from_secs(120));
    assert_eq!(why, "mx.example.net went down");
}

#[test]
fn a_stall_holds_bytes_until_it_ends() {
    // The link holds everything for the first 12 minutes: the relay
    // session's handshake, and so all it carries, waits for the end.
    let trace = run(&world("", ", stalls: [(\"0s\", \"12m\")]"));
    let stalled: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Stalled { .. }))
        .collect();
    assert!(!stalled.is_empty());
    let first = relay_sessions(&trace)[0];
    let late = trace.events().iter().any(|e| {
        matches!(&e.kind, EventKind::Bytes { conn, arrives, .. }
            if *conn == first && arrives.duration() >= Duration::from_secs(12 * 60))
    });
    assert!(late, "bytes sent in the stall arrive after it");
    assert_eq!(deliveries_to_bob(&trace).len(), 1);
}

#[test]
fn rfc5321_s4_5_3_2_6_client_waits_ten_minutes_for_the_data_reply() {
    for (delay, deferrals) in [("9m", 0), ("11m", 1)] {
        let trace = run(&world(
            &format!(", slow_data_reply: (delay: \"{delay}\", until: \"1m\")"),
            "",
        ));
        let first = relay_sessions(&trace)[0];
        let dot = trace
            .events()
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Bytes {
                    conn,
                    dir: Dir::Up,
                    arrives,
                    data,
                    ..
                } if *conn == first && data.as_bytes().ends_with(b"\r\n.\r\n") => Some(*arrives),
                _ => None,
            })
            .expect("the final dot");
        let deferred: Vec<SimTime> = trace
            .events()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Deferred { .. } => Some(e.at),
                _ => None,
            })
            .collect();
        assert_eq!(deferred.len(), deferrals, "{delay}");
        if let Some(gave_up) = deferred.first() {
            // Ten minutes after the dot left (it left a link's delay
            // before it arrived).
            let waited = gave_up.duration() - dot.duration() + Duration::from_millis(5);
            assert_eq!(waited, Duration::from_secs(600), "{delay}");
        }
    }
}

#[test]
fn rfc5321_s6_1_a_timeout_after_the_final_dot_can_deliver_twice() {
    let loaded = mailflow::scenario::load("duplicate-delivery").expect("bundled");
    let trace = mailflow::sim::run(&loaded.plan).trace;
    let ids: Vec<&str> = trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } if rest.mailbox == "bob@example.net" => {
                Some(rest.message_id.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2, "two copies");
    assert_eq!(ids[0], ids[1], "of one message (one Message-ID)");
    // Why, from the trace: the first session's server took the message,
    // but its 250 left after the client had closed.
    let first = relay_sessions(&trace)[0];
    assert!(queued_on(&trace, first));
    let closed = trace
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Close {
                conn, dir: Dir::Up, ..
            } if *conn == first => Some(e.at),
            _ => None,
        })
        .expect("the client closed");
    let accepted = trace
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Bytes {
                conn,
                dir: Dir::Down,
                data,
                ..
            } if *conn == first && data.as_bytes().starts_with(b"250 2.6.0") => Some(e.at),
            _ => None,
        })
        .expect("the server's 250 to the dot");
    assert!(closed < accepted);
    assert!(
        trace
            .events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::SlowReply { conn, .. } if conn == first))
    );
}

#[test]
fn a_duplicated_dns_answer_is_ignored() {
    // Every datagram between the sender and the name server arrives
    // twice: each lookup takes the first answer and drops the copy.
    let source = world("", "").replace(
        r#"links: [(between: ("smtp.example.org", "mx.example.net"))]"#,
        r#"links: [(between: ("smtp.example.org", "ns.example.org"), duplicate: 1.0)]"#,
    );
    let trace = run(&source);
    let duplicated = trace
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Duplicated { .. }))
        .count();
    assert!(duplicated >= 2, "queries and answers both doubled");
    let looked_up: Vec<&str> = trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Resolved { rest, .. } => Some(rest.outcome.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        looked_up
            .iter()
            .all(|o| !o.contains("imeout") && !o.contains("alformed")),
        "{looked_up:?}"
    );
    assert_eq!(deliveries_to_bob(&trace).len(), 1);
}

#[test]
fn a_reordered_datagram_is_overtaken_and_the_lookup_still_matches_by_id() {
    let source = world("", "").replace(
        r#"links: [(between: ("smtp.example.org", "mx.example.net"))]"#,
        r#"links: [(between: ("smtp.example.org", "ns.example.org"), reorder: 1.0)]"#,
    );
    let trace = run(&source);
    let held: Vec<SimTime> = trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Reordered { until, .. } => Some(*until),
            _ => None,
        })
        .collect();
    assert!(!held.is_empty());
    // Each held datagram's event carries the later arrival.
    for (i, e) in trace.events().iter().enumerate() {
        if let EventKind::Reordered { until, .. } = &e.kind {
            let next = &trace.events()[i + 1].kind;
            assert!(matches!(next, EventKind::Datagram { arrives: Some(a), .. } if a == until));
        }
    }
    assert_eq!(deliveries_to_bob(&trace).len(), 1);
}

#[test]
fn same_faults_same_seed_same_trace() {
    let source = world(
        ", slow_data_reply: (delay: \"11m\", until: \"1m\")",
        ", resets: [(session: 2, after: 250)], stalls: [(\"30m\", \"31m\")]",
    );
    let a = serde_json::to_string(run(&source).events()).expect("json");
    let b = serde_json::to_string(run(&source).events()).expect("json");
    assert_eq!(a, b);
}
