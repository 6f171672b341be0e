//! Hops per recipient path: a message that fans out to three domains
//! takes three paths, each counted on its own, never their sum.
//!
//! A path is walked backwards from a delivery: the queue entry that
//! stored the message, the session that brought it there, the entry on
//! the sending host whose attempt opened that session, and so on until a
//! session comes from a host with no entry for it (the sender's client).

use super::facts::Facts;
use crate::plan::Scope;
use crate::trace::state::{Entry, What};
use crate::trace::{DeliveredRest, EventKind, HostId};

pub fn check(facts: &Facts, exactly: usize, scope: &Scope) -> (String, bool, String) {
    let message = match &scope.message {
        Some(selector) => facts.trace.events().iter().find_map(|e| match &e.kind {
            EventKind::Composed { message_id, .. } if facts.is_message(selector, message_id) => {
                Some(message_id.clone())
            }
            _ => None,
        }),
        None => facts.first_message().map(str::to_owned),
    };
    let which = match &scope.message {
        Some(m) => format!("the message {m:?}"),
        None => "the first message".to_owned(),
    };
    let claim = match &scope.rcpt {
        Some(r) => format!("{which} took exactly {exactly} SMTP hop(s) to {r}"),
        None => format!("{which} took exactly {exactly} SMTP hop(s) to each recipient"),
    };
    let Some(message) = message else {
        return (claim, false, "no such message was sent".to_owned());
    };
    let paths = paths(facts, &message, scope.rcpt.as_deref());
    if paths.is_empty() {
        let evidence = match &scope.rcpt {
            Some(r) => format!("it was never delivered to {r}"),
            None => "it was never delivered".to_owned(),
        };
        return (claim, false, evidence);
    }
    let held = paths.iter().all(|(_, n)| *n == exactly);
    let evidence = if paths.len() == 1 {
        format!("{} hop(s)", paths[0].1)
    } else {
        paths
            .iter()
            .map(|(to, n)| format!("{to}: {n} hop(s)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    (claim, held, evidence)
}

/// (mailbox, hops) of every delivery of `message_id`, to `rcpt` if given.
fn paths(facts: &Facts, message_id: &str, rcpt: Option<&str>) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for e in facts.trace.events() {
        let EventKind::Delivered {
            host,
            queue_id,
            rest,
        } = &e.kind
        else {
            continue;
        };
        let DeliveredRest {
            mailbox,
            message_id: m,
            ..
        } = &**rest;
        if m != message_id || rcpt.is_some_and(|r| !r.eq_ignore_ascii_case(mailbox)) {
            continue;
        }
        if let Some(entry) = facts.state().entry(*host, queue_id) {
            out.push((mailbox.clone(), hops(facts, entry)));
        }
    }
    out
}

/// The entries along the path that ends at `last`, counted.
fn hops(facts: &Facts, last: &Entry) -> usize {
    let mut n = 1;
    let mut entry = last;
    // A path is never longer than the entries there are: a guard against
    // a trace that loops.
    for _ in 0..facts.state().entries().len() {
        let Some(conn) = entry.conn else { break };
        let Some(session) = facts.index().session(conn) else {
            break;
        };
        let Some(previous) = sender_entry(facts, session.connection.from, &entry.message_id, conn)
        else {
            break;
        };
        n += 1;
        entry = previous;
    }
    n
}

/// The entry on `host` whose attempt opened `conn`.
fn sender_entry<'f>(
    facts: &'f Facts,
    host: HostId,
    message_id: &str,
    conn: crate::trace::ConnId,
) -> Option<&'f Entry> {
    facts.state().entries().iter().find(|e| {
        e.host == host
            && e.message_id == message_id
            && e.facts
                .iter()
                .any(|f| matches!(&f.what, What::Attempting { conn: c, .. } if *c == conn))
    })
}
