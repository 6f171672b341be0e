//! One sentence per event, for transcripts, the event list and search.
//! Wire bytes are described by their connection; DNS datagrams by their
//! decoded summary.

use crate::dns::Summary;

use super::{EventKind, NotifiedRest, Protocol, QueuedRest, Trace};

/// Port 25 is named for what it carries between MTAs.
fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Smtp => "SMTP relay",
        other => other.name(),
    }
}

/// The catalog topic that explains an event of this kind, so that every
/// event the dashboard can stop on has an explanation (`mailflow explain
/// TOPIC` shows it whole). Wire bytes are explained line by line and DNS
/// datagrams by their decoded summary, so those two have none here.
pub fn topic(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::Connect { .. } => "connect",
        EventKind::Accept { .. } => "accept",
        EventKind::Refused { .. } => "connection refused",
        EventKind::Unreachable { .. } => "unreachable",
        EventKind::NoRoute { .. } => "no route",
        EventKind::Close { .. } => "close",
        EventKind::Composed { .. } => "composed",
        EventKind::Queued { .. } => "queued",
        EventKind::Attempting { .. } => "delivery attempt",
        EventKind::Relayed { .. } => "relayed",
        EventKind::Delivered { .. } => "delivered",
        EventKind::Deferred { .. } => "deferred",
        EventKind::Dequeued { .. } => "dequeued",
        EventKind::Removed { .. } => "removed",
        EventKind::Bounced { .. } => "bounced",
        EventKind::Notified { .. } => "notified",
        EventKind::Expired { .. } => "expired",
        EventKind::LoopDetected { .. } => "loop detected",
        EventKind::Resolved { .. } => "resolved",
        EventKind::Retrieved { .. } => "retrieved",
        EventKind::Wake { .. } => "retry",
        EventKind::Tls { .. } => "tls handshake",
        EventKind::WhatIf { .. } => "what-if",
        EventKind::HostDown { .. } => "host down",
        EventKind::HostUp { .. } => "host up",
        EventKind::Reset { .. } => "reset",
        EventKind::Stalled { .. } => "stalled",
        EventKind::Reordered { .. } => "reordered",
        EventKind::Duplicated { .. } => "duplicated",
        EventKind::SlowReply { .. } => "slow reply",
        EventKind::Bytes { .. } | EventKind::Datagram { .. } => return None,
    })
}

/// Everything but the protocol lines, in a sentence each.
pub fn describe(trace: &Trace, kind: &EventKind) -> Option<String> {
    let name = |h| trace.name(h);
    Some(match kind {
        EventKind::Connect {
            conn,
            from,
            to,
            port,
            protocol,
            real,
        } => {
            let real = real.map_or(String::new(), |a| format!(" over a real socket, {a}"));
            format!(
                "[{}] {} → {}:{port} connect ({}){real}",
                conn.0,
                name(*from),
                name(*to),
                protocol_name(*protocol)
            )
        }
        EventKind::Refused { conn } => {
            format!("[{}] connection refused: nothing listens there", conn.0)
        }
        EventKind::Unreachable { conn } => {
            format!("[{}] no answer: the host or the link is down", conn.0)
        }
        EventKind::NoRoute { from, ip, port } => {
            format!(
                "{} → {ip}:{port}: no answer, no host has that address",
                name(*from)
            )
        }
        EventKind::Tls {
            conn, dir, data, ..
        } => {
            let arrow = match dir {
                crate::trace::Dir::Up => "→",
                crate::trace::Dir::Down => "←",
            };
            format!(
                "[{}] {arrow} 🔒 TLS: {}",
                conn.0,
                crate::tls::record::summary(data.as_bytes())
            )
        }
        EventKind::Removed {
            host,
            mailbox,
            uids,
        } => format!(
            "* {} removed {} message(s) from the mailbox of {mailbox} (POP3 QUIT)",
            name(*host),
            uids.len()
        ),
        EventKind::Accept { .. }
        | EventKind::Bytes { .. }
        | EventKind::Close { .. }
        | EventKind::Resolved { .. }
        | EventKind::Dequeued { .. } => {
            return None;
        }
        EventKind::Datagram {
            from,
            to,
            arrives,
            data,
            ..
        } => {
            let summary = Summary::decode(data.as_bytes())
                .map_or_else(|e| format!("undecodable datagram: {e}"), |s| s.to_string());
            let lost = if arrives.is_none() { "  (lost)" } else { "" };
            format!("{} → {}  DNS {summary}{lost}", name(*from), name(*to))
        }
        EventKind::Composed {
            host,
            message_id,
            rest,
        } => {
            let rcpts = &rest.rcpts;
            format!(
                "* {} writes {message_id} to {}",
                name(*host),
                rcpts.join(", ")
            )
        }
        EventKind::Queued {
            host,
            queue_id,
            rest,
        } => {
            let QueuedRest { from, rcpts, .. } = &**rest;
            format!(
                "* {} queued {queue_id}: from {from} to {}",
                name(*host),
                rcpts.join(", ")
            )
        }
        EventKind::Attempting {
            host,
            queue_id,
            conn,
            ..
        } => {
            format!("* {} delivers {queue_id} over [{}]", name(*host), conn.0)
        }
        EventKind::Relayed {
            host,
            queue_id,
            rcpts,
            to,
        } => {
            format!(
                "* {} handed {queue_id} for {} to {}",
                name(*host),
                rcpts.join(", "),
                name(*to)
            )
        }
        EventKind::Delivered {
            host,
            queue_id,
            rest,
        } => {
            format!(
                "* {} stored {queue_id} in the mailbox of {}",
                name(*host),
                rest.mailbox
            )
        }
        EventKind::Deferred {
            host,
            queue_id,
            rest,
        } => {
            let (attempts, retry_at, attempt) = (&rest.attempts, rest.retry_at, rest.attempt);
            let why: Vec<String> = attempts
                .iter()
                .map(|a| format!("{}: {}", a.rcpt, a.reason))
                .collect();
            format!(
                "* {} deferred {queue_id} (attempt {attempt}), retry at {retry_at}: {}",
                name(*host),
                why.join("; ")
            )
        }
        EventKind::Bounced {
            host,
            queue_id,
            rest,
        } => {
            let (failures, dsn_queue_id) = (&rest.failures, &rest.dsn_queue_id);
            let why: Vec<String> = failures
                .iter()
                .map(|a| format!("{}: {}", a.rcpt, a.reason))
                .collect();
            match dsn_queue_id {
                Some(dsn) => format!(
                    "* {} bounced {queue_id} as {dsn}: {}",
                    name(*host),
                    why.join("; ")
                ),
                None => format!(
                    "* {} dropped {queue_id}, a bounce that failed: {}",
                    name(*host),
                    why.join("; ")
                ),
            }
        }
        EventKind::Notified {
            host,
            queue_id,
            rest,
        } => {
            let NotifiedRest {
                action,
                rcpts,
                dsn_queue_id,
                why,
            } = &**rest;
            match dsn_queue_id {
                Some(dsn) => format!(
                    "* {} reported {queue_id} `{action}` for {} as {dsn}: {why}",
                    name(*host),
                    rcpts.join(", ")
                ),
                None => format!(
                    "* {} sent no `{action}` report on {queue_id} for {}: {why}",
                    name(*host),
                    rcpts.join(", ")
                ),
            }
        }
        EventKind::Expired {
            host,
            queue_id,
            rcpts,
        } => {
            format!(
                "* {} gave up on {queue_id} for {}: too old",
                name(*host),
                rcpts.join(", ")
            )
        }
        EventKind::LoopDetected { host, hops, .. } => {
            format!(
                "* {} refused a message with {hops} Received headers: a mail loop",
                name(*host)
            )
        }
        EventKind::Retrieved {
            host,
            mailbox,
            rest,
        } => format!(
            "* {} fetched {} from the mailbox of {mailbox}",
            name(*host),
            rest.message_id.as_deref().unwrap_or("a message")
        ),
        EventKind::Wake { host, why } => format!("⏩ {}: {why}", name(*host)),
        EventKind::WhatIf { host, rest, .. } => format!(
            "✎ what-if: {} answers {} with {}, not its own reply",
            name(*host),
            rest.point,
            rest.instead
        ),
        EventKind::HostDown { host, until } => format!(
            "✗ {} is off the network until {until}: connections to it go unanswered",
            name(*host)
        ),
        EventKind::HostUp { host } => format!("✓ {} is back on the network", name(*host)),
        EventKind::Reset { conn, why } => format!(
            "[{}] ✗ connection reset ({why}): both ends lose it, and what was in flight",
            conn.0
        ),
        EventKind::Stalled {
            from,
            to,
            conn,
            until,
        } => {
            let what = conn.map_or_else(|| "a datagram".to_owned(), |c| format!("[{}]", c.0));
            format!(
                "⏸ {what} the link {} → {} holds every byte back until {until}",
                name(*from),
                name(*to)
            )
        }
        EventKind::Reordered { from, to, until } => format!(
            "⇄ the link {} → {} holds the next datagram back until {until}: a later one may overtake it",
            name(*from),
            name(*to)
        ),
        EventKind::SlowReply { host, conn, until } => format!(
            "[{}] ⏳ {} holds its answer to the final dot until {until}",
            conn.0,
            name(*host)
        ),
        EventKind::Duplicated { from, to } => format!(
            "⧉ the link {} → {} delivers the datagram twice: the copy follows",
            name(*from),
            name(*to)
        ),
    })
}

/// A sentence for any event, the protocol bytes included.
pub fn event_text(trace: &Trace, event: &super::Event) -> String {
    if let Some(text) = describe(trace, &event.kind) {
        return text;
    }
    match &event.kind {
        EventKind::Accept { conn } => format!("[{}] accepted", conn.0),
        EventKind::Close { conn, dir, .. } => {
            let who = match dir {
                super::Dir::Up => "client",
                super::Dir::Down => "server",
            };
            format!("[{}] closed by the {who}", conn.0)
        }
        EventKind::Bytes {
            conn,
            dir,
            data,
            sealed,
            ..
        } => {
            // 🔒: read inside TLS, as the transcript and the ladder mark it.
            let tag = match (dir, sealed.is_some()) {
                (super::Dir::Up, false) => "C:",
                (super::Dir::Down, false) => "S:",
                (super::Dir::Up, true) => "C🔒",
                (super::Dir::Down, true) => "S🔒",
            };
            let text = String::from_utf8_lossy(data.as_bytes());
            let lines: Vec<&str> = text.lines().collect();
            // The line a reader looks for: a refusal in a pipelined group
            // (a 4xx or 5xx, POP3's -ERR) before the replies around it.
            let failing = (*dir == super::Dir::Down)
                .then(|| lines.iter().position(|l| is_failure_line(l)))
                .flatten();
            match (failing, lines.len()) {
                (_, 0) => format!("[{}] {tag} …", conn.0),
                (_, 1) => format!("[{}] {tag} {}", conn.0, lines[0]),
                (Some(k), n) => format!("[{}] {tag} {} (line {} of {n})", conn.0, lines[k], k + 1),
                (None, n) => format!("[{}] {tag} {} (+{} lines)", conn.0, lines[0], n - 1),
            }
        }
        EventKind::Resolved { host, name, rest } => {
            let (qtype, outcome) = (&rest.qtype, &rest.outcome);
            format!("{} looked up {name} {qtype}: {outcome}", trace.name(*host))
        }
        EventKind::Dequeued { host, queue_id } => {
            format!("{} finished with {queue_id}", trace.name(*host))
        }
        _ => String::new(),
    }
}

/// Is this event a failure worth finding: refused, unreachable, deferred,
/// bounced, expired, a loop, a reply that refuses, a lost datagram?
pub fn is_failure(event: &super::Event) -> bool {
    match &event.kind {
        EventKind::Refused { .. }
        | EventKind::Unreachable { .. }
        | EventKind::NoRoute { .. }
        | EventKind::Deferred { .. }
        | EventKind::Bounced { .. }
        | EventKind::Expired { .. }
        | EventKind::LoopDetected { .. }
        | EventKind::Reset { .. } => true,
        EventKind::Bytes {
            data,
            dir: super::Dir::Down,
            ..
        } => {
            // Any line of the chunk: pipelined replies come several at once.
            String::from_utf8_lossy(data.as_bytes())
                .lines()
                .any(is_failure_line)
        }
        EventKind::Datagram { arrives: None, .. } => true,
        _ => false,
    }
}

/// A reply line that refuses: SMTP 4xx or 5xx (RFC 5321 §4.2.1), POP3
/// `-ERR` (RFC 1939 §3).
pub fn is_failure_line(line: &str) -> bool {
    matches!(line.as_bytes().first(), Some(b'4' | b'5'))
        && line
            .as_bytes()
            .get(1..3)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        || line.starts_with("-ERR")
}

/// A DNS message in a few words for the map and the ladder: the question
/// of a query; the answers of a response, or its error and question.
pub fn dns_label(data: &[u8]) -> String {
    let Ok(s) = Summary::decode(data) else {
        return "undecodable DNS message".into();
    };
    let question = s
        .question
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    if !s.is_response {
        return question;
    }
    let answers: Vec<String> = s
        .answers
        .iter()
        .map(ToString::to_string)
        .chain(s.other_answers.iter().cloned())
        .collect();
    if answers.is_empty() {
        let rcode = s.rcode.to_string();
        let rcode = if rcode == "NOERROR" {
            "no records:".to_owned()
        } else {
            rcode
        };
        return format!("{rcode} {question}");
    }
    answers.join("; ")
}
