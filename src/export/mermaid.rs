//! The run as a Mermaid `sequenceDiagram`: hosts as participants in the
//! order the mail meets them, each SMTP/POP3 command and reply line as an
//! arrow, message data as one arrow, DNS as decoded arrows, queue facts
//! and long quiet stretches as notes. GitHub renders it in Markdown.
//!
//! Mermaid's sequence grammar ends a statement at `;` and starts a comment
//! at `#` and `%%`, and its renderer reads `<...>` as HTML; so every text
//! goes through `escape`, which writes those as entity codes (`#59;`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use crate::dns::{Rcode, RecordData, Summary};
use crate::trace::describe::describe;
use crate::trace::transcript::{LineKind, Transcriber};
use crate::trace::{ConnId, Dir, Event, EventKind, HostId, Role, Trace};

/// A quiet stretch at least this long gets its own note, as on the board.
const GAP: Duration = Duration::from_secs(60);

/// The diagram; `title` (may be empty) becomes its title line.
pub fn render(trace: &Trace, title: &str) -> String {
    let mut story = Story::default();
    for event in trace.events() {
        story.event(trace, event);
    }
    story.flush();
    story.write(trace, title)
}

/// One statement of the diagram, hosts not yet named by alias.
enum Step {
    /// `reply` draws the dashed arrow of an answer.
    Arrow {
        from: HostId,
        to: HostId,
        reply: bool,
        text: String,
    },
    Note {
        over: HostId,
        to: Option<HostId>,
        text: String,
    },
    /// A note across every participant: time jumped.
    Gap(String),
}

/// Consecutive data lines of one connection and direction, drawn as one
/// arrow: a person wants to see that the message went, not each line.
struct DataRun {
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
            && event.at.0.saturating_sub(last) >= GAP
        {
            self.push(Step::Gap(format!("⏩ {} later", words(event.at.0 - last))));
        }
        self.last = Some(event.at.0);
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
                over: *from,
                to: Some(*to),
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
            if line.kind == LineKind::Data {
                self.data_line(line.conn, line.dir, (from, to), line.exchange, &line.text);
                continue;
            }
            if line.kind == LineKind::Command
                && let Some(exchange) = line.exchange
            {
                let verb = line.text.split(' ').next().unwrap_or("");
                self.verbs
                    .insert((line.conn, exchange), verb.to_ascii_uppercase());
            }
            let text = if line.text.trim().is_empty() {
                "(empty line)".to_owned()
            } else {
                line.text
            };
            self.push(Step::Arrow {
                from,
                to,
                reply: line.dir == Dir::Down,
                text,
            });
        }
        self.fact(trace, event);
    }

    /// DNS and the facts the nodes report; wire bytes were drawn above.
    fn fact(&mut self, trace: &Trace, event: &Event) {
        let (host, to) = match &event.kind {
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
                    from: *from,
                    to: *to,
                    reply,
                    text,
                });
                return;
            }
            EventKind::Refused { conn } | EventKind::Unreachable { conn } => {
                let Some(&(from, to)) = self.ends.get(conn) else {
                    return;
                };
                (from, Some(to))
            }
            EventKind::NoRoute { from, .. } => (*from, None),
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
            | EventKind::Wake { host, .. } => (*host, None),
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
        self.push(Step::Note {
            over: host,
            to,
            text,
        });
    }

    fn data_line(
        &mut self,
        conn: ConnId,
        dir: Dir,
        (from, to): (HostId, HostId),
        exchange: Option<u32>,
        text: &str,
    ) {
        if self
            .data
            .as_ref()
            .is_some_and(|d| d.conn != conn || d.dir != dir)
        {
            self.flush();
        }
        let verb = exchange.and_then(|x| self.verbs.get(&(conn, x)));
        let run = self.data.get_or_insert_with(|| DataRun {
            conn,
            dir,
            from,
            to,
            // SMTP's DATA and POP3's RETR/TOP carry a message; POP3's
            // LIST, UIDL, CAPA a listing.
            what: match verb.map(String::as_str) {
                Some("LIST" | "UIDL" | "CAPA") => "listing",
                _ => "message data",
            },
            lines: 0,
            dots: 0,
            last_is_dot: false,
            subject: None,
            in_headers: true,
        });
        run.lines += 1;
        run.last_is_dot = text == ".";
        run.dots += usize::from(run.last_is_dot);
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
        if !run.last_is_dot {
            text.push_str(", cut off before the final dot");
        }
        // A smuggled dot (after a bare LF, say) is data, not the end.
        if run.dots > usize::from(run.last_is_dot) {
            text.push_str(", with a lone dot inside that did not end it");
        }
        self.push_now(Step::Arrow {
            from: run.from,
            to: run.to,
            reply: run.dir == Dir::Down,
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
            Step::Gap(_) => [None, None],
        };
        for host in hosts.into_iter().flatten() {
            if !self.seen.contains(&host) {
                self.seen.push(host);
            }
        }
        self.steps.push(step);
    }

    fn write(&self, trace: &Trace, title: &str) -> String {
        // The mail's path reads left to right; DNS servers, asked by
        // everyone, stand at the right edge where arrows to them cross least.
        let mut cast: Vec<HostId> = self.seen.clone();
        cast.sort_by_key(|&h| trace.host(h).role == Role::Dns);
        let aliases = aliases(trace, &cast);
        let alias = |h: HostId| aliases.get(&h).map_or("unknown", String::as_str);
        let mut out = String::from("sequenceDiagram\n");
        if !title.trim().is_empty() {
            let _ = writeln!(out, "    title {}", escape(title.trim()));
        }
        for &h in &cast {
            let host = trace.host(h);
            let role = match host.role {
                Role::Client => "mail client",
                Role::Mta => "MTA",
                Role::Dns => "DNS",
                Role::External => "real host",
            };
            let _ = writeln!(
                out,
                "    participant {} as {}",
                alias(h),
                escape(&format!("{} ({role})", host.name))
            );
        }
        for step in &self.steps {
            let _ = match step {
                Step::Arrow {
                    from,
                    to,
                    reply,
                    text,
                } => writeln!(
                    out,
                    "    {}{}{}: {}",
                    alias(*from),
                    if *reply { "-->>" } else { "->>" },
                    alias(*to),
                    escape(text)
                ),
                Step::Note { over, to, text } => {
                    let over = match to {
                        Some(to) if to != over => format!("{},{}", alias(*over), alias(*to)),
                        _ => alias(*over).to_owned(),
                    };
                    writeln!(out, "    Note over {over}: {}", escape(text))
                }
                Step::Gap(text) => {
                    let span = match (cast.first(), cast.last()) {
                        (Some(&a), Some(&b)) if a != b => format!("{},{}", alias(a), alias(b)),
                        (Some(&a), _) => alias(a).to_owned(),
                        _ => continue,
                    };
                    writeln!(out, "    Note over {span}: {}", escape(text))
                }
            };
        }
        out
    }
}

/// A datagram as an arrow's text: `MX? example.net` for a query,
/// `10 mx.example.net` for its answer; and whether it is an answer.
fn dns(bytes: &[u8]) -> (bool, String) {
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

/// Mermaid ids for the hosts: the first label of the name when it is
/// unique (`smtp`), else the whole name; letters, digits and `_` only,
/// never one of the grammar's keywords, never starting with a digit.
fn aliases(trace: &Trace, cast: &[HostId]) -> BTreeMap<HostId, String> {
    let id = |name: &str| -> String {
        let mut id: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !id.starts_with(|c: char| c.is_ascii_alphabetic())
            || KEYWORDS.contains(&&*id.to_ascii_lowercase())
        {
            id.insert_str(0, "h_");
        }
        id
    };
    let short = |h: HostId| id(trace.name(h).split('.').next().unwrap_or(""));
    let mut out = BTreeMap::new();
    let mut taken = Vec::new();
    for &h in cast {
        let first = short(h);
        let unique = cast.iter().filter(|&&o| short(o) == first).count() == 1;
        let mut alias = if unique { first } else { id(trace.name(h)) };
        if taken.contains(&alias) {
            alias = format!("{alias}_{}", h.0);
        }
        taken.push(alias.clone());
        out.insert(h, alias);
    }
    out
}

/// Words Mermaid's sequence lexer reads as keywords (case-insensitive).
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "sequencediagram", "participant", "actor", "create", "destroy", "as", "box", "loop", "rect",
    "opt", "alt", "else", "par", "par_over", "and", "critical", "option", "break", "end", "left",
    "right", "of", "over", "note", "links", "link", "properties", "details", "activate",
    "deactivate", "title", "autonumber", "off", "acctitle", "accdescr",
];

/// Text safe inside a message, a note or a participant's label: entity
/// codes for what the grammar or the HTML renderer would take as syntax.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `6 minutes`, `8 minutes 59 seconds`, `4 hours 1 minute`.
fn words(d: Duration) -> String {
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
    fn escape_writes_entity_codes_for_mermaid_syntax() {
        assert_eq!(
            escape("354 End data with <CR><LF>.<CR><LF>"),
            "354 End data with #lt;CR#gt;#lt;LF#gt;.#lt;CR#gt;#lt;LF#gt;"
        );
        assert_eq!(escape("a; b # 100% & c"), "a#59; b #35; 100#37; #amp; c");
    }

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
