//! What-ifs (issue 11 §2): one reply or DNS answer replaced, the world run
//! again from the start, and the branch is a plain run.

use mailflow::plan::{Override, Plan};
use mailflow::scenario::{self, bundled, whatif};
use mailflow::smtp::Instead;
use mailflow::trace::index::Index;
use mailflow::trace::point::{self, Point};
use mailflow::trace::{EventKind, Trace, compare};
use mailflow::{export, sim};

fn plan(name: &str, what_ifs: &[&str]) -> Plan {
    let mut plan = scenario::load(name).expect("bundled").plan;
    for line in what_ifs {
        let o = whatif::parse_line(line, &plan).unwrap_or_else(|e| panic!("{line}: {e}"));
        plan.overrides.push(o);
    }
    plan
}

fn run(name: &str, what_ifs: &[&str]) -> Trace {
    sim::run(&plan(name, what_ifs)).trace
}

fn count(trace: &Trace, pick: impl Fn(&EventKind) -> bool) -> usize {
    trace.events().iter().filter(|e| pick(&e.kind)).count()
}

fn delivered_to(trace: &Trace, mailbox: &str) -> Vec<(mailflow::trace::SimTime, String)> {
    trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } if rest.mailbox == mailbox => Some((
                e.at,
                String::from_utf8_lossy(&rest.content.as_bytes()).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_branch_run_twice_is_byte_identical() {
    for what_if in [
        "mx.example.net RCPT#1 250",
        "mx.example.net DATA#1 lost",
        "mx.example.net DOT#1 timeout",
        "dns example.net MX#1 SERVFAIL",
    ] {
        let first = export::json::render(&run("greylisting", &[what_if]));
        let second = export::json::render(&run("greylisting", &[what_if]));
        assert_eq!(first, second, "{what_if}");
        assert_ne!(
            first,
            export::json::render(&run("greylisting", &[])),
            "{what_if} changed nothing"
        );
    }
}

#[test]
fn greylisting_450_overridden_with_250_delivers_at_once_without_a_retry() {
    let plain = run("greylisting", &[]);
    assert!(count(&plain, |k| matches!(k, EventKind::Deferred { .. })) > 0);
    let branch = run("greylisting", &["mx.example.net RCPT#1 250 2.1.5 ok"]);
    assert_eq!(
        count(&branch, |k| matches!(k, EventKind::Deferred { .. })),
        0
    );
    let delivered = delivered_to(&branch, "bob@example.net");
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0].0.duration() < std::time::Duration::from_secs(1),
        "{:?}",
        delivered[0].0
    );
    // The reply on the wire is the what-if's, and the trace says so first.
    let text = export::text::render_with(&branch, false);
    let mark = text
        .find("what-if: mx.example.net answers RCPT #1 with 250 2.1.5 ok")
        .expect("marked");
    let reply = text.find("S: 250 2.1.5 ok").expect("the reply on the wire");
    assert!(mark < reply);
    // The comparison says bob's mail came at once, with no retry.
    let changes = compare::changes(
        &compare::fates(&plain, &mailflow::trace::state::State::build(&plain)),
        &compare::fates(&branch, &mailflow::trace::state::State::build(&branch)),
    );
    let bob = changes
        .iter()
        .find(|c| c.rcpt == "<bob@example.net>")
        .expect("bob");
    assert!(bob.before.as_ref().unwrap().retries.len() == 1);
    assert!(bob.after.as_ref().unwrap().retries.is_empty());
    assert_eq!(bob.after.as_ref().unwrap().end.kind(), "delivered");
}

#[test]
fn a_550_to_rcpt_bounces_with_a_dsn_to_the_sender_rfc5321_4_2_5_rfc3464() {
    let branch = run(
        "hello",
        &["mx.example.net RCPT#1 550 5.1.1 no such user here"],
    );
    assert!(delivered_to(&branch, "bob@example.net").is_empty());
    let dsn = delivered_to(&branch, "alice@example.org");
    assert_eq!(dsn.len(), 1, "one DSN for alice");
    assert!(dsn[0].1.contains("Status: 5.1.1"), "{}", dsn[0].1);
    assert!(dsn[0].1.contains("no such user here"), "{}", dsn[0].1);
    let fates = compare::fates(&branch, &mailflow::trace::state::State::build(&branch));
    let bob = fates
        .iter()
        .find(|f| f.rcpt == "<bob@example.net>")
        .unwrap();
    assert!(
        matches!(&bob.end, compare::End::Bounced { dsn_to: Some(to), .. } if to == "<alice@example.org>"),
        "{bob:?}"
    );
}

#[test]
fn a_421_to_rcpt_closes_the_session_and_the_client_defers_rfc5321_3_8() {
    let branch = run("hello", &["mx.example.net RCPT#1 421"]);
    let text = export::text::render_with(&branch, false);
    assert!(
        text.contains("S: 421 4.0.0 Service not available"),
        "{text}"
    );
    assert!(count(&branch, |k| matches!(k, EventKind::Deferred { .. })) >= 1);
    // The retry delivers: the world goes on as a real one would.
    assert_eq!(delivered_to(&branch, "bob@example.net").len(), 1);
}

#[test]
fn a_lost_connection_and_a_silent_server_defer_rfc5321_4_5_3_2() {
    for (what_if, words) in [
        ("mx.example.net DATA#1 lost", "closed the connection"),
        ("mx.example.net MAIL#1 timeout", "Timeout waiting"),
    ] {
        let branch = run("hello", &[what_if]);
        let deferred = branch.events().iter().find_map(|e| match &e.kind {
            EventKind::Deferred { rest, .. } => Some(rest.attempts[0].reason.clone()),
            _ => None,
        });
        let reason = deferred.unwrap_or_else(|| panic!("{what_if}: no deferral"));
        assert!(reason.contains(words), "{what_if}: {reason}");
        assert_eq!(
            delivered_to(&branch, "bob@example.net").len(),
            1,
            "{what_if}"
        );
    }
}

#[test]
fn an_nxdomain_override_bounces_at_once_rfc5321_5_1() {
    let branch = run("hello", &["dns example.net MX#1 NXDOMAIN"]);
    assert!(delivered_to(&branch, "bob@example.net").is_empty());
    let dsn = delivered_to(&branch, "alice@example.org");
    assert_eq!(dsn.len(), 1);
    assert!(dsn[0].1.contains("NXDOMAIN"), "{}", dsn[0].1);
    let text = export::text::render_with(&branch, false);
    assert!(
        text.contains("DNS response id") && text.contains("NXDOMAIN: example.net. MX?"),
        "{text}"
    );
}

#[test]
fn another_mx_set_sends_the_mail_elsewhere() {
    // mx-backup: the backup relays to the primary once it is back.
    let branch = run("hello", &["dns example.net MX#1 MX 10 smtp.example.org"]);
    let text = export::text::render_with(&branch, false);
    assert!(text.contains("MX 10 smtp.example.org"), "{text}");
    assert!(delivered_to(&branch, "bob@example.net").is_empty());
}

/// (the what-if line, the column the error marks, words of the message).
const BAD: &[(&str, usize, &str)] = &[
    ("", 1, "the what-if is missing"),
    ("mx.exmaple.net RCPT#1 451", 1, "no host called"),
    ("ns.example.org RCPT#1 451", 1, "not an MTA"),
    ("mx.example.net RCTP#1 451", 16, "not a command"),
    ("mx.example.net RCPT#0 451", 21, "counts from 1"),
    ("mx.example.net RCPT#one 451", 21, "not a number"),
    ("mx.example.net RCPT#1", 22, "the reply is missing"),
    ("mx.example.net RCPT#1 45", 23, "not a reply code"),
    ("mx.example.net RCPT#1 651", 23, "not an SMTP reply code"),
    ("mx.example.net RCPT#1 461", 23, "not an SMTP reply code"),
    ("mx.example.net RCPT#1 451 5.3.0 no", 27, "does not match"),
    (
        "mx.example.net RCPT#1 451 4.x.0 no",
        27,
        "not an enhanced status code",
    ),
    (
        "mx.example.net RCPT#1 451 4.3.0 caf\u{e9}",
        36,
        "cannot be sent",
    ),
    ("mx.example.net RCPT#1 lost now", 28, "nothing may follow"),
    ("dns example.com MX#1 NXDOMAIN", 5, "no DNS server"),
    ("dns example.net MZ#1 NXDOMAIN", 17, "not a record type"),
    ("dns example.net MX#1 NOPE", 22, "not a DNS answer"),
    (
        "dns example.net A#1 MX 10 mx.example.net",
        21,
        "cannot answer",
    ),
    ("dns example.net MX#1 MX 10", 25, "pairs"),
    (
        "dns example.net MX#1 MX ten mx.example.net",
        25,
        "not a preference",
    ),
    (
        "dns example.net MX#1 MX 10 mx.exampel.net",
        28,
        "no host of this world",
    ),
];

#[test]
fn what_if_parse_errors_point_at_the_bad_token() {
    let hello = plan("hello", &[]);
    for &(line, column, words) in BAD {
        let error = whatif::parse_line(line, &hello).expect_err(line);
        let problem = &error.problems[0];
        assert_eq!(problem.at.map(|(_, c)| c), Some(column), "{line}: {error}");
        assert!(
            problem.message.contains(words),
            "{line}: {}",
            problem.message
        );
        assert!(
            problem.help.as_ref().is_some_and(|h| !h.is_empty()),
            "{line}"
        );
        let shown = error.to_string();
        assert!(shown.contains(&format!("--what-if:1:{column}")), "{shown}");
    }
}

#[test]
fn every_reply_and_dns_query_of_every_bundled_scenario_is_a_point_a_what_if_reaches() {
    // The count a point is found by (from the trace) is the count the
    // server keeps: a what-if there forks the run exactly at that reply.
    for name in bundled::names() {
        let base = plan(name, &[]);
        let trace = sim::run(&base).trace;
        let index = Index::build(&trace);
        let mut points = Vec::new();
        for i in 0..index.lines.len() {
            if let Some(p) = point::of_line(&trace, &index, i)
                && let Point::Reply {
                    line: Some(target), ..
                } = p
                && !points.iter().any(|(q, _)| *q == p)
            {
                points.push((p, index.lines[target].seq));
            }
        }
        for e in trace.events() {
            if let EventKind::Datagram {
                to_port: 53,
                arrives: Some(_),
                ..
            } = e.kind
                && let Some(p) = point::of_event(&trace, &index, e.seq)
            {
                points.push((p, e.seq));
            }
        }
        assert!(!points.is_empty(), "{name} has no point");
        for (p, seq) in points {
            let o = match &p {
                Point::Reply { .. } => Override::reply_at(&p, Instead::Lost),
                Point::Dns { .. } => Override::answer_at(&p, mailflow::dns::DnsAnswer::ServFail),
            }
            .unwrap();
            let mut branch = base.clone();
            branch.overrides.push(o.clone());
            let branch = sim::run(&branch).trace;
            let fork = compare::fork(&trace, &branch)
                .unwrap_or_else(|| panic!("{name}: {} changed nothing", p.describe(&trace)));
            // A reply forks at its own bytes (or before: a queued fact
            // comes first); a DNS answer after the query it answers.
            let placed = match p {
                Point::Reply { .. } => fork as u64 <= seq,
                Point::Dns { .. } => fork as u64 > seq,
            };
            assert!(
                placed,
                "{name}: {} forks at {fork}, event {seq}",
                p.describe(&trace)
            );
            match &branch.events()[fork].kind {
                EventKind::WhatIf { rest, .. } => assert_eq!(rest.point, o.point(), "{name}"),
                other => panic!("{name}: {} forks at {other:?}", p.describe(&trace)),
            }
        }
    }
}

fn mailflow(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailflow"))
        .args(args)
        .output()
        .expect("mailflow runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_runs_a_branch_checks_its_expectations_and_refuses_a_bad_what_if() {
    // The branch is a plain run: greylisting's own claims (a 450, a
    // deferral) fail in it, and the exit code says so.
    let (code, out, _) = mailflow(&[
        "run",
        "greylisting",
        "--what-if",
        "mx.example.net RCPT#1 250",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("✎ what-if: mx.example.net answers RCPT #1"),
        "{out}"
    );
    assert!(out.contains("FAILED some server replied 450"), "{out}");
    assert!(out.contains("held   delivered to bob@example.net"), "{out}");
    // Exports carry it too.
    let (_, json, _) = mailflow(&[
        "export",
        "greylisting",
        "--format",
        "json",
        "--what-if",
        "mx.example.net RCPT#1 250",
    ]);
    assert!(json.contains("\"kind\":\"what_if\""), "{json}");
    // check validates what-ifs against each file.
    let (code, out, _) = mailflow(&[
        "check",
        "hello",
        "--what-if",
        "dns example.net MX#2 SERVFAIL",
    ]);
    assert_eq!(code, Some(0));
    assert!(out.contains("(with 1 what-if)"), "{out}");
    let (code, _, err) = mailflow(&["check", "hello", "--what-if", "mx.example.net RCTP#1 451"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--what-if:1:16") && err.contains("did you mean RCPT?"),
        "{err}"
    );
    let (code, _, err) = mailflow(&["run", "hello", "--what-if", "mx.example.net RCPT#1 4x1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--what-if:1:23"), "{err}");
}
