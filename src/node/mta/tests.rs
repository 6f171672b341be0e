//! The MTA in a running world: the bundled `hello` lesson with one
//! change each, checked on the trace (the bytes on the wire and the
//! facts the MTAs report).

use crate::scenario::{self, Plan};
use crate::sim;
use crate::smtp::Mailbox;
use crate::trace::{Dir, EventKind, HostId, Trace};

fn hello(to: &[&str]) -> Plan {
    let mut plan = scenario::load("hello").expect("hello loads").plan;
    plan.clients[0].send[0].to = to
        .iter()
        .map(|t| Mailbox::parse(t).expect("a valid address"))
        .collect();
    plan
}

fn host(trace: &Trace, name: &str) -> HostId {
    trace.host_named(name).expect("the host exists")
}

/// Everything one host sent as a client on port 25.
fn relayed_by(trace: &Trace, from: HostId) -> String {
    let conns: Vec<_> = trace
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Connect {
                conn,
                from: f,
                port: 25,
                ..
            } if f == from => Some(conn),
            _ => None,
        })
        .collect();
    let mut sent = String::new();
    for e in trace.events() {
        if let EventKind::Bytes {
            conn,
            dir: Dir::Up,
            data,
            ..
        } = &e.kind
            && conns.contains(conn)
        {
            sent.push_str(&String::from_utf8_lossy(data.as_bytes()));
        }
    }
    sent
}

/// What `at` stored, as (mailbox, content).
fn delivered(trace: &Trace, at: HostId) -> Vec<(String, String)> {
    trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { host, rest, .. } if *host == at => Some((
                rest.mailbox.clone(),
                String::from_utf8_lossy(&rest.content.as_bytes()).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn relay_keeps_the_local_part_case_end_to_end_rfc5321_2_4() {
    let run = sim::run(&hello(&["Bob@example.net"]));
    let trace = &run.trace;
    let sent = relayed_by(trace, host(trace, "smtp.example.org"));
    assert!(sent.contains("RCPT TO:<Bob@example.net>\r\n"), "{sent}");
    // Only bob's own server folds the case, to find the mailbox.
    let stored = delivered(trace, host(trace, "mx.example.net"));
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "bob@example.net");
    assert!(
        stored[0].1.contains("for <Bob@example.net>"),
        "{}",
        stored[0].1
    );
}

/// Issue 9 item 15: two spellings of one mailbox in one transaction.
#[test]
fn a_mailbox_named_twice_is_stored_once_end_to_end() {
    let run = sim::run(&hello(&["bob@example.net", "BOB@example.net"]));
    let trace = &run.trace;
    // Relayed as two recipients (the relay may not fold, §2.4) ...
    let sent = relayed_by(trace, host(trace, "smtp.example.org"));
    assert!(sent.contains("RCPT TO:<bob@example.net>\r\n"), "{sent}");
    assert!(sent.contains("RCPT TO:<BOB@example.net>\r\n"), "{sent}");
    // ... and filed once by the mailbox's own server.
    let stored = delivered(trace, host(trace, "mx.example.net"));
    assert_eq!(stored.len(), 1, "{stored:?}");
}

#[test]
fn smtputf8_transactions_are_stamped_utf8smtp_rfc6531_3_7_3() {
    let mut plan = hello(&["jörg@example.net"]);
    let mx = plan
        .mtas
        .iter()
        .position(|m| plan.host(m.host).name == "mx.example.net")
        .expect("mx.example.net is an MTA");
    plan.mtas[mx]
        .mailboxes
        .insert("jörg@example.net".to_owned(), "secret".to_owned());
    let run = sim::run(&plan);
    let trace = &run.trace;
    let stored = delivered(trace, host(trace, "mx.example.net"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    let message = stored[0].1.replace("\r\n ", " ");
    // Submission was authenticated, the relay hop was not.
    assert!(
        message.contains("by smtp.example.org with UTF8SMTPA id"),
        "{message}"
    );
    assert!(
        message.contains("by mx.example.net with UTF8SMTP id"),
        "{message}"
    );
}
