//! "Why now?" for the events that are not protocol lines: what earlier
//! event led to this one, read from the trace. A retry names the deferral
//! that scheduled it, a connection names the queue entry it carries, a
//! bounce says where its DSN went. Only what the trace says is said.

use crate::trace::{ConnId, Dir, Event, EventKind, Protocol, Trace};
use crate::tui::app::App;

/// Lines that answer "why now?" for `event`; empty when the event speaks
/// for itself.
pub fn why_now(app: &App, event: &Event) -> Vec<String> {
    let trace = app.trace();
    let before = &trace.events()[..event.seq as usize];
    let after = &trace.events()[event.seq as usize + 1..];
    match &event.kind {
        EventKind::Connect {
            conn,
            from,
            protocol,
            real,
            ..
        } => vec![connect_reason(
            trace,
            *conn,
            *from,
            *protocol,
            real.is_some(),
            after,
        )],
        EventKind::Accept { .. } => {
            vec!["The server took the connection; its greeting comes next.".into()]
        }
        EventKind::Close { conn, dir, .. } => vec![close_reason(app, *conn, *dir)],
        EventKind::Wake { why, .. } => retry_reason(why, before),
        EventKind::Deferred { rest, .. } => vec![format!(
            "A 4xx reply (or no answer) is temporary: the message stays queued, \
             and the next attempt is due at {}.",
            rest.retry_at
        )],
        EventKind::Bounced { host, rest, .. } => vec![match &rest.dsn_queue_id {
            Some(dsn) if filed_locally(*host, dsn, after) => format!(
                "The delivery status notification {dsn} is for a mailbox on {} itself: \
                 it is filed straight into that mailbox with Return-Path: <>, \
                 and no SMTP session carries it.",
                trace.name(*host)
            ),
            Some(dsn) => format!(
                "The delivery status notification {dsn} is a new message, sent back \
                 over SMTP with the null reverse-path MAIL FROM:<>."
            ),
            None => "No notification goes back: the message itself had the null \
                     reverse-path <> (it was a bounce), and bounces are never bounced."
                .into(),
        }],
        EventKind::Refused { .. } | EventKind::Unreachable { .. } | EventKind::NoRoute { .. } => {
            vec![
                "Nothing was delivered, and nothing is lost: an MTA keeps the message \
                 queued and tries again later."
                    .into(),
            ]
        }
        EventKind::Dequeued { .. } => {
            vec!["Every recipient of this entry is done: delivered, relayed or bounced.".into()]
        }
        _ => Vec::new(),
    }
}

/// Who opens a connection, and for what.
fn connect_reason(
    trace: &Trace,
    conn: ConnId,
    from: crate::trace::HostId,
    protocol: Protocol,
    real: bool,
    after: &[Event],
) -> String {
    let carries = after.iter().find_map(|e| match &e.kind {
        EventKind::Attempting {
            conn: c,
            queue_id,
            rcpts,
            ..
        } if *c == conn => Some((queue_id, rcpts)),
        _ => None,
    });
    let who = trace.name(from);
    match (carries, protocol) {
        (Some((queue_id, rcpts)), _) => format!(
            "{who} has {queue_id} in its queue for {}: it connects to hand it on.",
            rcpts.join(", ")
        ),
        _ if real => "A real machine outside the simulation connected.".into(),
        (None, Protocol::Submission) => {
            format!("{who} has a message to send: it submits it to its own server.")
        }
        (None, Protocol::Pop3) => {
            format!("{who} checks its mailbox: it fetches what was delivered.")
        }
        (None, _) => format!("{who} opens a connection."),
    }
}

/// Which side closed, and after what.
fn close_reason(app: &App, conn: ConnId, dir: Dir) -> String {
    let index = &app.world.index;
    let said = index.session(conn).and_then(|s| {
        let sent = index.lines_at(s, app.pos);
        s.lines[..sent]
            .iter()
            .rev()
            .map(|&i| &index.lines[i])
            .find(|l| l.dir == dir)
    });
    let who = match dir {
        Dir::Up => "client",
        Dir::Down => "server",
    };
    match said {
        Some(line) => format!(
            "The {who} closed its side; its last line was {:?}.",
            line.text
        ),
        None => format!("The {who} closed its side without a word."),
    }
}

/// A retry timer fired: the deferral that set it.
fn retry_reason(why: &str, before: &[Event]) -> Vec<String> {
    let Some(queue_id) = why.split_whitespace().last() else {
        return Vec::new();
    };
    let deferral = before.iter().rev().find_map(|e| match &e.kind {
        EventKind::Deferred {
            queue_id: q, rest, ..
        } if q == queue_id => Some((e.at, &rest.attempts, &rest.attempt)),
        _ => None,
    });
    let Some((at, attempts, attempt)) = deferral else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "Attempt {attempt} of {queue_id} was deferred at {at}; the retry schedule set this timer."
    )];
    out.extend(
        attempts
            .iter()
            .map(|a| format!("  {}: {}", a.rcpt, a.reason)),
    );
    out
}

/// Was queue entry `dsn` stored on `host` without any delivery attempt?
fn filed_locally(host: crate::trace::HostId, dsn: &str, after: &[Event]) -> bool {
    let mut delivered = false;
    for e in after {
        match &e.kind {
            EventKind::Attempting { queue_id, .. } if queue_id == dsn => return false,
            EventKind::Delivered {
                host: h, queue_id, ..
            } if *h == host && queue_id == dsn => delivered = true,
            EventKind::Dequeued { queue_id, .. } if queue_id == dsn => break,
            _ => {}
        }
    }
    delivered
}
