//! The trip of a run as a list of steps, in the order things happened:
//! each SMTP/POP3 command and reply line as an arrow, a run of message
//! data as one arrow, DNS datagrams as decoded arrows, queue facts and
//! connects as notes over their hosts, and long quiet stretches as gaps.
//! The Mermaid diagram and the HTML handout's ladder both draw it, so
//! they say the same things in the same words.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use crate::dns::{Rcode, RecordData, Summary};
use crate::trace::describe::describe;
use crate::trace::transcript::{Line, LineKind, Transcriber};
use crate::trace::{ConnId, Dir, Event, EventKind, HostId, Role, SimTime, Trace};

/// A quiet stretch at least this long gets its own note, as on the board.
const GAP: Duration = Duration::from_secs(60);

/// The trip: its steps, and its hosts in the order the steps first touch
/// them, DNS servers last.
pub struct Trip {
    pub steps: Vec<Step>,
    pub cast: Vec<HostId>,
}

/// The trip of the whole trace.
pub fn trip(trace: &Trace) -> Trip {
    let mut story = Story::default();
    for event in trace.events() {
        story.event(trace, event);
    }
    story.flush();
    // The mail's path reads left to right; DNS servers, asked by
    // everyone, stand at the right edge where arrows to them cross least.
    let mut cast = story.seen;
    cast.sort_by_key(|&h| trace.host(h).role == Role::Dns);
    Trip {
        steps: story.steps,
        cast,
    }
}

/// What a step is about, for a drawing that colours it as the dashboard
/// does (a command in the client's colour, a reply by its first digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Command,
    /// 2yz, +OK.
    Ok,
    /// 3yz.
    Info,
    /// 4yz; a deferral, an expiry.
    Warn,
    /// 5yz, -ERR; a refusal, a bounce.
    Err,
    /// A reply of no known grammar; a queue fact.
    Plain,
    /// Message data folded into one arrow.
    Data,
    Dns,
}

impl Tone {
    /// A reply line's tone by its first digit, or POP3's status.
    pub fn of_reply(code: Option<u16>, text: &str) -> Tone {
        match code.map(|c| c / 100) {
            Some(2) => Tone::Ok,
            Some(3) => Tone::Info,
            Some(4) => Tone::Warn,
            Some(5) => Tone::Err,
            _ if text.starts_with("+OK") => Tone::Ok,
            _ if text.starts_with("-ERR") => Tone::Err,
            _ => Tone::Plain,
        }
    }
}

/// One step of the trip, at the time it happened.
pub enum Step {
    /// `reply` draws the dashed arrow of an answer; `conn` is the session
    /// that carried it (none for DNS).
    Arrow {
        at: SimTime,
        from: HostId,
        to: HostId,
        reply: bool,
        conn: Option<ConnId>,
        tone: Tone,
        text: String,
    },
    /// Over one host, or across two (a connect, a refusal).
    Note {
        at: SimTime,
        over: HostId,
        to: Option<HostId>,
        conn: Option<ConnId>,
        tone: Tone,
        text: String,
    },
    /// Across every host: time jumped, `⏩ 6 minutes later`.
    Gap { at: SimTime, text: String },
}

/// Consecutive data lines of one connection and direction, drawn as one
/// arrow: a person wants to see that the message went, not each line.
struct DataRun {
    at: SimTime,
    conn: ConnId,
    dir: Dir,
    from: HostId,
    to: HostId,
    what: &'static str,
    /// Lines so far, lone dots included.
    lines: usize,
    /// Lone-dot lines so far; only the last line may end the data (RFC
    /// 5321 §4.1.1.4, RFC 1939 §3): the observer decided which, not us.
    dots: usize,
    last_is_dot: bool,
    /// A BDAT chunk (RFC 3030): counted octets, no final dot.
    counted: bool,
    subject: Option<String>,
    in_headers: bool,
}

#[derive(Default)]
struct Story {
    transcriber: Transcriber,
    /// conn → (client, server).
    ends: BTreeMap<ConnId, (HostId, HostId)>,
    /// (conn, exchange) → the command's verb, to name what data answers.
    verbs: BTreeMap<(ConnId, u32), String>,
    steps: Vec<Step>,
    /// Hosts in the order the steps first touch them.
    seen: Vec<HostId>,
    data: Option<DataRun>,
    last: Option<Duration>,
}

impl Story {
    fn event(&mut self, trace: &Trace, event: &Event) {
        if let Some(last) = self.last
            && event.at.duration().saturating_sub(last) >= GAP
        {
            self.push(Step::Gap {
                at: event.at,
                text: format!("⏩ {} later", words(event.at.duration() - last)),
            });
        }
        self.last = Some(event.at.duration());
        if let EventKind::Connect {
            conn,
            from,
            to,
            port,
            protocol,
            ..
        } = &event.kind
        {
            self.ends.insert(*conn, (*from, *to));
            self.push(Step::Note {
                at: event.at,
                over: *from,
                to: Some(*to),
                conn: Some(*conn),
                tone: Tone::Plain,
                text: format!(
                    "[{}] connect to port {port} ({}) at {}",
                    conn.0,
                    protocol.name(),
                    event.at
                ),
            });
        }
        for line in self.transcriber.feed(event) {
            let Some(&(client, server)) = self.ends.get(&line.conn) else {
                continue;
            };
            let (from, to) = match line.dir {
                Dir::Up => (client, server),
                Dir::Down => (server, client),
            };
            if matches!(line.kind, LineKind::Data | LineKind::Chunk) {
                self.data_line(&line, (from, to));
                continue;
            }
            if line.kind == LineKind::Command
                && let Some(exchange) = line.exchange
            {
                let verb = line.text.split(' ').next().unwrap_or("");
                self.verbs
                    .insert((line.conn, exchange), verb.to_ascii_uppercase());
            }
            let tone = match line.kind {
                LineKind::Reply { code } => Tone::of_reply(code, &line.text),
                _ => Tone::Command,
            };
            let text = if line.text.trim().is_empty() {
                "(empty line)".to_owned()
            } else {
                line.text.to_string()
            };
            self.push(Step::Arrow {
                at: line.at,
                from,
                to,
                reply: line.dir == Dir::Down,
                conn: Some(line.conn),
                tone,
                text,
            });
        }
        self.fact(trace, event);
    }

    /// DNS and the facts the nodes report; wire bytes were drawn above.
    fn fact(&mut self, trace: &Trace, event: &Event) {
        let (host, to, conn) = match &event.kind {
            EventKind::Datagram {
                from,
                to,
                arrives,
                data,
                ..
            } => {
                let (reply, mut text) = dns(data.as_bytes());
                if arrives.is_none() {
                    text.push_str(" (lost)");
                }
                self.push(Step::Arrow {
                    at: event.at,
                    from: *from,
                    to: *to,
                    reply,
                    conn: None,
                    tone: Tone::Dns,
                    text,
                });
                return;
            }
            EventKind::Refused { conn } | EventKind::Unreachable { conn } => {
                let Some(&(from, to)) = self.ends.get(conn) else {
                    return;
                };
                (from, Some(to), Some(*conn))
            }
            EventKind::NoRoute { from, .. } => (*from, None, None),
            EventKind::Composed { host, .. }
            | EventKind::Queued { host, .. }
            | EventKind::Relayed { host, .. }
            | EventKind::Delivered { host, .. }
            | EventKind::Deferred { host, .. }
            | EventKind::Bounced { host, .. }
            | EventKind::Expired { host, .. }
            | EventKind::LoopDetected { host, .. }
            | EventKind::Retrieved { host, .. }
            | EventKind::Removed { host, .. }
            | EventKind::Wake { host, .. } => (*host, None, None),
            _ => return,
        };
        let Some(sentence) = describe(trace, &event.kind) else {
            return;
        };
        // The note stands over the host already: say the rest once.
        let name = trace.name(host);
        let text = sentence
            .strip_prefix(&format!("* {name} "))
            .or_else(|| sentence.strip_prefix(&format!("⏩ {name}: ")))
            .unwrap_or(&sentence)
            .to_owned();
        // As the dashboard's ladder: what went wrong stands out.
        let tone = match &event.kind {
            EventKind::Deferred { .. } | EventKind::Expired { .. } | EventKind::Wake { .. } => {
                Tone::Warn
            }
            EventKind::Refused { .. }
            | EventKind::Unreachable { .. }
            | EventKind::NoRoute { .. }
            | EventKind::Bounced { .. }
            | EventKind::LoopDetected { .. } => Tone::Err,
            _ => Tone::Plain,
        };
        self.push(Step::Note {
            at: event.at,
            over: host,
            to,
            conn,
            tone,
            text,
        });
    }

    fn data_line(&mut self, line: &Line, (from, to): (HostId, HostId)) {
        let (conn, dir, text) = (line.conn, line.dir, line.text.as_str());
        if self
            .data
            .as_ref()
            .is_some_and(|d| d.conn != conn || d.dir != dir)
        {
            self.flush();
        }
        let verb = line.exchange.and_then(|x| self.verbs.get(&(conn, x)));
        let run = self.data.get_or_insert_with(|| DataRun {
            at: line.at,
            conn,
            dir,
            from,
            to,
            // SMTP's DATA and POP3's RETR/TOP carry a message; POP3's
            // LIST, UIDL, CAPA a listing.
            what: match verb.map(String::as_str) {
                Some("LIST" | "UIDL" | "CAPA") => "listing",
                Some("BDAT") => "BDAT chunk",
                _ => "message data",
            },
            lines: 0,
            dots: 0,
            last_is_dot: false,
            counted: line.kind == LineKind::Chunk,
            subject: None,
            in_headers: true,
        });
        run.lines += 1;
        run.last_is_dot = text == "." && !run.counted;
        run.dots += usize::from(text == ".");
        if text.is_empty() {
            run.in_headers = false;
        } else if run.in_headers
            && run.subject.is_none()
            && let Some((name, value)) = text.split_once(':')
            && name.eq_ignore_ascii_case("subject")
        {
            run.subject = Some(value.trim().to_owned());
        }
    }

    /// Draws the data run in progress, if any.
    fn flush(&mut self) {
        let Some(run) = self.data.take() else {
            return;
        };
        let lines = run.lines - usize::from(run.last_is_dot);
        let mut text = format!(
            "{}, {lines} line{}",
            run.what,
            if lines == 1 { "" } else { "s" }
        );
        if let Some(subject) = run.subject {
            let _ = write!(text, " (Subject: {subject})");
        }
        if !run.counted && !run.last_is_dot {
            text.push_str(", cut off before the final dot");
        }
        // A smuggled dot (after a bare LF, say) is data, not the end.
        if run.dots > usize::from(run.last_is_dot) {
            text.push_str(", with a lone dot inside that did not end it");
        }
        self.push_now(Step::Arrow {
            at: run.at,
            from: run.from,
            to: run.to,
            reply: run.dir == Dir::Down,
            conn: Some(run.conn),
            tone: Tone::Data,
            text,
        });
    }

    fn push(&mut self, step: Step) {
        self.flush();
        self.push_now(step);
    }

    fn push_now(&mut self, step: Step) {
        let hosts = match &step {
            Step::Arrow { from, to, .. } => [Some(*from), Some(*to)],
            Step::Note { over, to, .. } => [Some(*over), *to],
            Step::Gap { .. } => [None, None],
        };
        for host in hosts.into_iter().flatten() {
            if !self.seen.contains(&host) {
                self.seen.push(host);
            }
        }
        self.steps.push(step);
    }
}

/// A datagram as an arrow's text: `MX? example.net` for a query,
/// `10 mx.example.net` for its answer; and whether it is an answer.
pub fn dns(bytes: &[u8]) -> (bool, String) {
    let Ok(summary) = Summary::decode(bytes) else {
        return (false, "undecodable datagram".to_owned());
    };
    let question = summary
        .question
        .as_ref()
        .map_or("no question".to_owned(), |q| {
            format!("{}? {}", q.qtype, q.name.trim_end_matches('.'))
        });
    if !summary.is_response {
        return (false, question);
    }
    let answers: Vec<String> = summary
        .answers
        .iter()
        .map(|r| match &r.data {
            RecordData::Mx {
                preference,
                exchange,
            } if exchange == "." => format!("{preference} . (null MX: no mail here)"),
            RecordData::Mx {
                preference,
                exchange,
            } => format!("{preference} {}", exchange.trim_end_matches('.')),
            data => data.to_string().trim_end_matches('.').to_owned(),
        })
        .chain(summary.other_answers.iter().cloned())
        .collect();
    let text = match (summary.rcode, answers.is_empty()) {
        (Rcode::NoError, false) => answers.join(", "),
        (Rcode::NoError, true) => format!("no records ({question})"),
        (rcode, _) => format!("{rcode} ({question})"),
    };
    (true, text)
}

/// `6 minutes`, `8 minutes 59 seconds`, `4 hours 1 minute`.
pub fn words(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let unit = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let parts: Vec<String> = if h > 0 {
        [(h, "hour"), (m, "minute")]
    } else {
        [(m, "minute"), (s, "second")]
    }
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|&(n, w)| unit(n, w))
    .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_in_words() {
        assert_eq!(words(Duration::from_secs(360)), "6 minutes");
        assert_eq!(words(Duration::from_secs(539)), "8 minutes 59 seconds");
        assert_eq!(
            words(Duration::from_secs(4 * 3600 + 61)),
            "4 hours 1 minute"
        );
    }
}
