//! The trace as a teacher's board: one line per protocol line, lookup and
//! queue fact, with simulated times, in the order things happened.

use std::fmt::Write;
use std::time::Duration;

use crate::dns::Summary;
use crate::explain::Catalog;
use crate::scenario::duration::format_duration;
use crate::trace::transcript::{Line, LineKind, Transcriber};
use crate::trace::{Dir, EventKind, Protocol, SimTime, Trace};

/// A quiet stretch longer than this is announced.
const GAP: Duration = Duration::from_secs(60);

/// Renders the whole trace.
pub fn render(trace: &Trace) -> String {
    render_with(trace, false)
}

/// Renders the whole trace; with `explain`, each command and reply is
/// followed by what it means and its RFC section, from the catalog.
pub fn render_with(trace: &Trace, explain: bool) -> String {
    let mut out = String::new();
    let mut transcriber = Transcriber::new();
    let mut last = SimTime::ZERO;
    for event in trace.events() {
        if event.at.0.saturating_sub(last.0) >= GAP {
            let _ = writeln!(
                out,
                "           ⏩ {} later",
                format_duration(event.at.0 - last.0)
            );
        }
        last = event.at;
        for line in transcriber.feed(event) {
            let tag = match (line.dir, line.kind) {
                (_, LineKind::Data) => "  |",
                (Dir::Up, _) => "C:",
                (Dir::Down, _) => "S:",
            };
            let EventKind::Bytes { conn, .. } = &event.kind else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:>10}  [{}] {tag} {}",
                event.at.to_string(),
                conn.0,
                line.text
            );
            if explain && let Some((title, rfc)) = explanation(&line) {
                let _ = writeln!(out, "{:>10}        └─ {title} ({rfc})", "");
            }
        }
        if let Some(text) = describe(trace, &event.kind) {
            let _ = writeln!(out, "{:>10}  {text}", event.at.to_string());
        }
    }
    out
}

/// The catalog's one-line meaning of a command or of a reply's last line.
fn explanation(line: &Line) -> Option<(String, String)> {
    let catalog = Catalog::builtin();
    if !matches!(line.protocol, Protocol::Smtp | Protocol::Submission) {
        return None;
    }
    let entry = match (line.dir, line.kind) {
        (_, LineKind::Data) => return None,
        (Dir::Up, _) => {
            let verb = line.text.split([' ', ':']).next()?;
            catalog.explain_command(verb)?
        }
        (Dir::Down, LineKind::Reply { code: Some(code) }) => {
            // Only the last line of a multi-line reply ("250 ...") is explained.
            if line.text.as_bytes().get(3) == Some(&b'-') {
                return None;
            }
            let enhanced = line
                .text
                .get(4..)
                .and_then(|t| t.split(' ').next())
                .filter(|t| t.contains('.'));
            catalog.explain_reply(code, enhanced).into_iter().next()?
        }
        (Dir::Down, _) => return None,
    };
    Some((entry.title.clone(), entry.rfc.clone()))
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Smtp => "SMTP relay",
        Protocol::Submission => "submission",
        Protocol::Pop3 => "POP3",
        Protocol::Dns => "DNS",
        Protocol::Other => "other",
    }
}

/// Everything but the protocol lines, in a sentence each.
fn describe(trace: &Trace, kind: &EventKind) -> Option<String> {
    let name = |h| trace.name(h);
    Some(match kind {
        EventKind::Connect {
            conn,
            from,
            to,
            port,
            protocol,
        } => format!(
            "[{}] {} → {}:{port} connect ({})",
            conn.0,
            name(*from),
            name(*to),
            protocol_name(*protocol)
        ),
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
        EventKind::Accept { .. }
        | EventKind::Bytes { .. }
        | EventKind::Close { .. }
        | EventKind::Resolved { .. } => {
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
            rcpts,
            ..
        } => {
            format!(
                "* {} writes {message_id} to {}",
                name(*host),
                rcpts.join(", ")
            )
        }
        EventKind::Queued {
            host,
            queue_id,
            from,
            rcpts,
            ..
        } => {
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
            mailbox,
            ..
        } => {
            format!(
                "* {} stored {queue_id} in the mailbox of {mailbox}",
                name(*host)
            )
        }
        EventKind::Deferred {
            host,
            queue_id,
            attempts,
            retry_at,
            attempt,
        } => {
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
            failures,
            dsn_queue_id,
        } => {
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
            message_id,
            ..
        } => format!(
            "* {} fetched {} from the mailbox of {mailbox}",
            name(*host),
            message_id.as_deref().unwrap_or("a message")
        ),
        EventKind::Wake { host, why } => format!("⏩ {}: {why}", name(*host)),
    })
}
