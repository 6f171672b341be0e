//! Every reply code and enhanced status code that mailflow's SMTP machines
//! can produce has an entry in the teaching catalog, so `mailflow explain`
//! and the dashboard never meet a code they cannot explain.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use mailflow::explain::{Catalog, Kind};
use mailflow::smtp::client::{ClientConfig, ClientEvent, Outcome, Reason, Transaction};
use mailflow::smtp::server::BareLineEndings;
use mailflow::smtp::{
    ForwardPath, Mailbox, Peer, ReplyParser, ReversePath, ServerConfig, ServerSession, SimplePolicy,
};

/// Sessions that between them walk every reply path of the server.
fn server_inputs() -> Vec<(ServerConfig, SimplePolicy, String)> {
    let mx = || ServerConfig::new("mx.example.net");
    let chunking = || {
        let mut config = mx();
        config.chunking = true;
        config
    };
    let sub = || ServerConfig::new("smtp.example.org").submission();
    let local = || {
        let mut p =
            SimplePolicy::for_domain("example.net", &["bob"]).with_account("alice", "alice");
        p.max_message_size = Some(2000);
        p.max_recipients = Some(1);
        p
    };
    let refusing = || {
        let mut p = local();
        p.refuse_service = Some("no service".into());
        p
    };
    let plain = BASE64.encode("\0alice\0alice");
    let wrong = BASE64.encode("\0alice\0nope");
    let long_line = "y".repeat(1200);
    let big = "z\r\n".repeat(1000);
    let tx = "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";
    vec![
        (mx(), refusing(), "NOOP\r\nQUIT\r\n".into()),
        (
            mx(),
            local(),
            "HELP\r\nVRFY bob\r\nEXPN x\r\nSTARTTLS\r\nETRN x\r\nXYZZY\r\nEHLO\r\nMAIL FROM:<a@b.example>\r\n\
             HELO c.example\r\nMAIL FROM:<a@b.example> SIZE=1\r\nEHLO c.example\r\nMAIL FROM:<bad>\r\n\
             MAIL FROM:<a@b.example> SIZE=x\r\nMAIL FROM:<a@b.example> XFOO\r\nMAIL FROM:<a@b.example> SIZE=99999\r\n\
             MAIL FROM:<jörg@b.example>\r\nRCPT TO:<bob@example.net>\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n\
             RCPT TO:<bad>\r\nRCPT TO:<nobody@example.net>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\n\
             RCPT TO:<bob@example.net>\r\nRCPT TO:<bob@example.net>\r\nRSET\r\nNOOP\r\nAUTH PLAIN\r\nQUIT\r\n"
                .into(),
        ),
        (mx(), local(), format!("{tx}ok\r\n.\r\n{tx}{long_line}\r\n.\r\n{tx}a\nb\r\n.\r\n{tx}{big}.\r\nQUIT\r\n")),
        (mx(), local(), format!("NOOP {long_line}\r\nNOOP\nQUIT\r\n")),
        (
            sub(),
            local(),
            format!(
                "AUTH PLAIN {plain}\r\nEHLO l.example\r\nMAIL FROM:<a@b.example>\r\nAUTH FOO\r\nAUTH PLAIN {wrong}\r\n\
                 AUTH PLAIN !!\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\nYQ==\r\nYQ==\r\nAUTH PLAIN {plain}\r\nAUTH PLAIN {plain}\r\n\
                 MAIL FROM:<a@b.example>\r\nAUTH PLAIN {plain}\r\nQUIT\r\n"
            ),
        ),
        (mx(), local(), "XYZZY\r\n".repeat(25)),
        // CHUNKING (RFC 3030): not offered, after HELO, without MAIL or
        // RCPT, chunks, past the size limit, DATA after BDAT, BINARYMIME
        // by DATA, bare LF in a text chunk.
        (mx(), local(), "EHLO c.example\r\nBDAT 0 LAST\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nQUIT\r\n".into()),
        (chunking(), local(), {
            let bin = "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<bob@example.net>\r\n";
            let mail = "MAIL FROM:<a@b.example>\r\n";
            let rcpt = "RCPT TO:<bob@example.net>\r\n";
            format!(
                "HELO c.example\r\nBDAT 2\r\nEHLO c.example\r\nBDAT 2\r\nxy{mail}BDAT 1\r\nz{rcpt}\
                 BDAT 3\r\nabcDATA\r\nRSET\r\n{mail}{rcpt}BDAT 3000\r\n{}RSET\r\n{bin}DATA\r\n\
                 BDAT 4 LAST\r\na\nb\r\n{mail}{rcpt}BDAT 3 LAST\r\na\nb{mail}{rcpt}BDAT 0 LAST\r\nQUIT\r\n",
                "q".repeat(3000)
            )
        }),
    ]
}

fn server_codes() -> BTreeSet<(u16, Option<String>)> {
    let mut seen = BTreeSet::new();
    for (mut config, mut policy, input) in server_inputs() {
        for keep in [BareLineEndings::Refuse, BareLineEndings::Keep] {
            config.bare_line_endings = keep;
            let now = Instant::now();
            let mut session = ServerSession::new(config.clone(), Peer::default(), now, &mut policy);
            session.handle_input(input.as_bytes(), now, &mut policy);
            session.handle_timeout(now + Duration::from_secs(3600));
            let mut parser = ReplyParser::new();
            parser.push(&session.poll_transmit().unwrap_or_default());
            while let Some(reply) = parser.next_reply() {
                let reply = reply.expect("the server writes valid replies");
                seen.insert((reply.code().get(), reply.enhanced().map(|e| e.to_string())));
            }
        }
    }
    let mut shut = ServerSession::new(
        ServerConfig::new("mx"),
        Peer::default(),
        Instant::now(),
        &mut SimplePolicy::default(),
    );
    shut.shutdown();
    let mut parser = ReplyParser::new();
    parser.push(&shut.poll_transmit().unwrap_or_default());
    while let Some(Ok(reply)) = parser.next_reply() {
        seen.insert((reply.code().get(), reply.enhanced().map(|e| e.to_string())));
    }
    seen
}

#[test]
fn every_server_reply_is_in_the_catalog() {
    let catalog = Catalog::builtin();
    let seen = server_codes();
    // The walk above really reached the interesting corners.
    for must in [
        220, 221, 235, 250, 252, 214, 334, 354, 421, 452, 500, 501, 502, 503, 504, 530, 535, 550,
        552, 553, 554, 555,
    ] {
        assert!(
            seen.iter().any(|(c, _)| *c == must),
            "no {must} seen: {seen:?}"
        );
    }
    let missing: Vec<String> = seen
        .iter()
        .flat_map(|(code, esc)| [Some(code.to_string()), esc.clone()])
        .flatten()
        .filter(|topic| catalog.lookup(topic).is_none())
        .collect();
    assert!(missing.is_empty(), "not in assets/explain.ron: {missing:?}");
}

#[test]
fn every_client_local_reason_is_in_the_catalog() {
    let catalog = Catalog::builtin();
    let mailbox = |s: &str| Mailbox::parse(s).unwrap();
    let tx = |to: &str| Transaction {
        reverse_path: ReversePath::Mailbox(mailbox("alice@example.org")),
        forward_paths: vec![ForwardPath::Mailbox(mailbox(to))],
        content: b"x\r\n".to_vec(),
    };
    let now = Instant::now();
    let scripts: Vec<(ClientConfig, Transaction, Vec<&[u8]>, bool)> = vec![
        (ClientConfig::new("c"), tx("bob@example.net"), vec![], true),
        (
            ClientConfig::new("c"),
            tx("bob@example.net"),
            vec![b"garbage\r\n"],
            false,
        ),
        (
            ClientConfig::new("c"),
            tx("jörg@example.net"),
            vec![b"220 x\r\n", b"250 x\r\n"],
            false,
        ),
        (
            ClientConfig::new("c").with_credentials("a", "b"),
            tx("bob@example.net"),
            vec![b"220 x\r\n", b"250 x\r\n"],
            false,
        ),
        // A binary body where BINARYMIME is not offered (RFC 3030 §3).
        (
            {
                let mut config = ClientConfig::new("c");
                config.chunking = true;
                config
            },
            Transaction {
                content: b"bare\nLF\r\n".to_vec(),
                ..tx("bob@example.net")
            },
            vec![b"220 x\r\n", b"250 x\r\n"],
            false,
        ),
    ];
    let mut enhanced = BTreeSet::new();
    for (config, transaction, replies, time_out) in scripts {
        let mut client = mailflow::smtp::ClientSession::new(config, vec![transaction], now);
        for reply in replies {
            client.handle_input(reply, now);
        }
        if time_out {
            client.handle_timeout(now + Duration::from_secs(3600));
        }
        client.handle_close();
        while let Some(event) = client.poll_event() {
            let ClientEvent::TransactionDone { outcomes, .. } = event else {
                continue;
            };
            for outcome in outcomes {
                if let Outcome::Deferred {
                    reason: Reason::Local { enhanced: e, .. },
                }
                | Outcome::Failed {
                    reason: Reason::Local { enhanced: e, .. },
                } = outcome
                {
                    enhanced.insert(e.to_string());
                }
            }
        }
    }
    assert!(enhanced.len() >= 5, "{enhanced:?}");
    let missing: Vec<&String> = enhanced
        .iter()
        .filter(|t| catalog.lookup(t).is_none())
        .collect();
    assert!(missing.is_empty(), "not in assets/explain.ron: {missing:?}");
}

/// One event of every kind the trace knows. The `match` in
/// [`is_listed`] has no wildcard, so a new `EventKind` variant stops this
/// file compiling until it is added here, and then its topic is checked.
fn one_event_of_each_kind() -> Vec<mailflow::trace::EventKind> {
    use mailflow::trace::{Attempt, ConnId, Dir, EventKind, HostId, Payload, Protocol, SimTime};
    let (host, conn, at) = (HostId(0), ConnId(1), SimTime::from(Duration::from_secs(1)));
    let attempt = || Attempt {
        rcpt: "<bob@example.net>".into(),
        reason: "450 4.2.0 Greylisted".into(),
    };
    let kinds = vec![
        EventKind::Connect {
            conn,
            from: host,
            to: HostId(1),
            port: 25,
            protocol: Protocol::Smtp,
            real: None,
        },
        EventKind::Accept { conn },
        EventKind::Refused { conn },
        EventKind::Unreachable { conn },
        EventKind::NoRoute {
            from: host,
            ip: std::net::IpAddr::from([192, 0, 2, 99]),
            port: 25,
        },
        EventKind::Bytes {
            conn,
            dir: Dir::Up,
            arrives: at,
            data: Payload(b"QUIT\r\n"[..].into()),
            sealed: None,
        },
        EventKind::Tls {
            conn,
            dir: Dir::Up,
            arrives: at,
            // A ClientHello record (RFC 8446 §5.1), cut short.
            data: Payload(b"\x16\x03\x01\x00\x04\x01\x00\x00\x00"[..].into()),
            secrets: Box::default(),
        },
        EventKind::Close {
            conn,
            dir: Dir::Down,
            arrives: at,
        },
        EventKind::Datagram {
            from: host,
            from_port: 5353,
            to: HostId(1),
            to_port: 53,
            arrives: None,
            data: Payload(b""[..].into()),
        },
        EventKind::Composed {
            host,
            message_id: "<1@example.org>".into(),
            rest: Box::new(mailflow::trace::ComposedRest {
                from: "<alice@example.org>".into(),
                rcpts: vec!["<bob@example.net>".into()],
            }),
        },
        EventKind::Queued {
            host,
            queue_id: "MX0001".into(),
            rest: Box::new(mailflow::trace::QueuedRest {
                message_id: "<1@example.org>".into(),
                from: "<alice@example.org>".into(),
                rcpts: vec!["<bob@example.net>".into()],
                conn: Some(conn),
            }),
        },
        EventKind::Attempting {
            host,
            queue_id: "MX0001".into(),
            conn,
            rcpts: vec!["<bob@example.net>".into()].into(),
        },
        EventKind::Relayed {
            host,
            queue_id: "MX0001".into(),
            rcpts: vec!["<bob@example.net>".into()].into(),
            to: HostId(1),
        },
        EventKind::Delivered {
            host,
            queue_id: "MX0001".into(),
            rest: Box::new(mailflow::trace::DeliveredRest {
                mailbox: "bob".into(),
                uid: "1".into(),
                message_id: "<1@example.org>".into(),
                content: mailflow::trace::Letter::new(b"Subject: hi\r\n\r\nhi\r\n"),
            }),
        },
        EventKind::Deferred {
            host,
            queue_id: "MX0001".into(),
            rest: Box::new(mailflow::trace::DeferredRest {
                attempts: vec![attempt()],
                retry_at: at,
                attempt: 1,
            }),
        },
        EventKind::Dequeued {
            host,
            queue_id: "MX0001".into(),
        },
        EventKind::Removed {
            host,
            mailbox: "bob".into(),
            uids: vec!["1".into()].into(),
        },
        EventKind::Bounced {
            host,
            queue_id: "MX0001".into(),
            rest: Box::new(mailflow::trace::BouncedRest {
                failures: vec![attempt()],
                dsn_queue_id: Some("MX0002".into()),
            }),
        },
        EventKind::Notified {
            host,
            queue_id: "MX0001".into(),
            rest: Box::new(mailflow::trace::NotifiedRest {
                action: "relayed".into(),
                rcpts: vec!["bob@example.net".into()],
                dsn_queue_id: Some("MX0002".into()),
                why: "mx.example.net offers no DSN".into(),
            }),
        },
        EventKind::Expired {
            host,
            queue_id: "MX0001".into(),
            rcpts: vec!["<bob@example.net>".into()].into(),
        },
        EventKind::LoopDetected {
            host,
            queue_id: "MX0001".into(),
            hops: 10,
        },
        EventKind::Resolved {
            host,
            name: "example.net".into(),
            rest: Box::new(mailflow::trace::ResolvedRest {
                qtype: "MX".into(),
                outcome: "NXDOMAIN".into(),
            }),
        },
        EventKind::Retrieved {
            host,
            mailbox: "bob".into(),
            rest: Box::new(mailflow::trace::RetrievedRest {
                uid: "1".into(),
                message_id: None,
            }),
        },
        EventKind::Wake {
            host,
            why: "retry MX0001".into(),
        },
        EventKind::WhatIf {
            host,
            conn: None,
            rest: Box::new(mailflow::trace::WhatIfRest {
                point: "RCPT #1".into(),
                instead: "250 2.0.0 OK".into(),
            }),
        },
        EventKind::HostDown {
            host,
            until: mailflow::trace::SimTime::from(std::time::Duration::from_secs(60)),
        },
        EventKind::HostUp { host },
        EventKind::Reset {
            conn: mailflow::trace::ConnId(0),
            why: "mx.example.net went down".into(),
        },
        EventKind::Stalled {
            from: host,
            to: host,
            conn: None,
            until: mailflow::trace::SimTime::from(std::time::Duration::from_secs(60)),
        },
        EventKind::Reordered {
            from: host,
            to: host,
            until: mailflow::trace::SimTime::from(std::time::Duration::from_secs(1)),
        },
        EventKind::Duplicated {
            from: host,
            to: host,
        },
        EventKind::SlowReply {
            host,
            conn: mailflow::trace::ConnId(0),
            until: mailflow::trace::SimTime::from(std::time::Duration::from_secs(660)),
        },
    ];
    assert!(kinds.iter().all(is_listed));
    kinds
}

/// Exhaustive on purpose: see [`one_event_of_each_kind`].
fn is_listed(kind: &mailflow::trace::EventKind) -> bool {
    use mailflow::trace::EventKind as K;
    match kind {
        K::Connect { .. }
        | K::Accept { .. }
        | K::Refused { .. }
        | K::Unreachable { .. }
        | K::NoRoute { .. }
        | K::Bytes { .. }
        | K::Tls { .. }
        | K::Close { .. }
        | K::Datagram { .. }
        | K::Composed { .. }
        | K::Queued { .. }
        | K::Attempting { .. }
        | K::Relayed { .. }
        | K::Delivered { .. }
        | K::Deferred { .. }
        | K::Dequeued { .. }
        | K::Removed { .. }
        | K::Bounced { .. }
        | K::Notified { .. }
        | K::Expired { .. }
        | K::LoopDetected { .. }
        | K::Resolved { .. }
        | K::Retrieved { .. }
        | K::Wake { .. }
        | K::WhatIf { .. }
        | K::HostDown { .. }
        | K::HostUp { .. }
        | K::Reset { .. }
        | K::Stalled { .. }
        | K::Reordered { .. }
        | K::Duplicated { .. }
        | K::SlowReply { .. } => true,
    }
}

#[test]
fn every_event_kind_has_an_entry() {
    use mailflow::trace::EventKind;
    let catalog = Catalog::builtin();
    let kinds = one_event_of_each_kind();
    assert_eq!(kinds.len(), 32);
    for kind in &kinds {
        match mailflow::trace::describe::topic(kind) {
            Some(topic) => {
                assert!(
                    catalog.lookup(topic).is_some(),
                    "no entry for the event topic {topic:?}"
                );
                assert!(catalog.explain_event(topic).is_some(), "{topic}");
            }
            // Wire bytes are explained line by line, datagrams by their summary.
            None => assert!(
                matches!(kind, EventKind::Bytes { .. } | EventKind::Datagram { .. }),
                "{kind:?} has no topic"
            ),
        }
    }
}

#[test]
fn every_event_entry_says_why_now() {
    // The pane shows `when` beside an event: it must be the event's own
    // entry, not a neighbour's, for the kinds students stop on.
    let catalog = Catalog::builtin();
    for (topic, word) in [
        ("retry", "timer"),
        ("connect", "When"),
        ("close", "QUIT"),
        ("deferred", "Now because"),
        ("bounced", "Now because"),
    ] {
        let entry = catalog.lookup(topic).expect(topic);
        assert_eq!(entry.topic, topic);
        assert!(entry.when.contains(word), "{topic}: {:?}", entry.when);
    }
}

#[test]
fn every_ehlo_keyword_the_server_can_advertise_has_an_entry_rfc5321_4_1_1_1() {
    use mailflow::smtp::Reply;
    use mailflow::smtp::extensions::{Extensions, Mechanism};
    let catalog = Catalog::builtin();
    // Every field set, and no `..Default`: a new extension must be added here.
    let all = Extensions {
        size: Some(10_485_760),
        pipelining: true,
        eight_bit_mime: true,
        enhanced_status_codes: true,
        smtputf8: true,
        auth: vec![Mechanism::Plain, Mechanism::Login],
        starttls: true,
        chunking: true,
        binarymime: true,
        dsn: true,
    };
    let mut lines = vec!["mx.example.net".to_string()];
    lines.extend(all.to_lines());
    let reply = Reply::multiline(250, None, lines);
    assert_eq!(
        Extensions::from_ehlo(&reply),
        all,
        "the walk covers every keyword"
    );
    for line in reply.to_string().lines().skip(1) {
        let found = catalog.explain_line(line);
        let first = found
            .first()
            .unwrap_or_else(|| panic!("{line:?} is unexplained"));
        // STARTTLS and AUTH are commands as well as keywords.
        assert!(
            matches!(first.kind, Kind::Extension | Kind::Command),
            "{line:?} opens {:?}",
            first.topic
        );
    }
    // Keywords real servers send beside mailflow's own ("250-AUTH PLAIN"
    // explains AUTH, then the mechanism).
    for keyword in [
        "DSN",
        "CHUNKING",
        "BINARYMIME",
        "STARTTLS",
        "AUTH PLAIN",
        "AUTH LOGIN",
    ] {
        let found = catalog.explain_line(&format!("250-{keyword}"));
        assert!(
            found.iter().any(|entry| entry.topic == keyword),
            "250-{keyword}: {:?}",
            found.iter().map(|e| &e.topic).collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_see_also_leads_to_an_entry() {
    let catalog = Catalog::builtin();
    for entry in catalog.entries() {
        for see in &entry.see {
            assert!(catalog.lookup(see).is_some(), "{}: {see:?}", entry.topic);
        }
    }
}
