//! The trace as a teacher's board: one line per protocol line, lookup and
//! queue fact, with simulated times, in the order things happened.

use std::fmt::Write;
use std::time::Duration;

use crate::explain::Catalog;
use crate::scenario::duration::format_duration;
use crate::smtp::reply::ReplyLine;
use crate::trace::describe::describe;
use crate::trace::transcript::{LineKind, Transcriber};
use crate::trace::{ConnId, Dir, Event, Protocol, SimTime, Trace};

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
    let mut board = Board::new(explain);
    for event in trace.events() {
        board.write(trace, event, &mut out);
    }
    out
}

/// The board written event by event, for a trace that is still growing
/// (`mailflow serve --headless` prints each event as it happens).
pub struct Board {
    transcriber: Transcriber,
    last: SimTime,
    explain: bool,
    /// The last time stamp, as written right-aligned in 10 columns: the
    /// lines of a message share it, and formatting it for each was a
    /// good part of the live transcript's cost.
    stamp: (SimTime, String),
    /// The last line's "  [conn] tag " as written: a message's lines
    /// share it, and `write!` for each line was most of the rest.
    prefix: (ConnId, &'static str, String),
}

impl Board {
    pub fn new(explain: bool) -> Board {
        Board {
            transcriber: Transcriber::new(),
            last: SimTime::ZERO,
            explain,
            stamp: (SimTime::ZERO, format!("{:>10}", SimTime::ZERO.to_string())),
            prefix: (ConnId(0), "", String::new()),
        }
    }

    /// Appends the lines of `event`; `trace` gives the host names.
    pub fn write(&mut self, trace: &Trace, event: &Event, out: &mut String) {
        if event.at.duration().saturating_sub(self.last.duration()) >= GAP {
            let _ = writeln!(
                out,
                "           ⏩ {} later",
                format_duration(event.at.duration() - self.last.duration())
            );
        }
        self.last = event.at;
        // The lines are lent, not made (`feed_with`): the board only
        // copies their text out, and under `serve --headless` it sees
        // every line a real server exchanges.
        let Board {
            transcriber,
            explain,
            stamp,
            prefix,
            ..
        } = self;
        transcriber.feed_with(event, |line| {
            let tag = match (line.dir, line.kind) {
                (_, LineKind::Data) => "  |",
                (_, LineKind::Chunk) => "  :",
                (Dir::Up, _) => "C:",
                (Dir::Down, _) => "S:",
            };
            let text = line.text_lossy();
            out.push_str(stamp_of(stamp, line.at));
            out.push_str(prefix_of(prefix, line.conn, tag));
            out.push_str(&text);
            out.push('\n');
            if *explain && let Some((title, rfc)) = explanation(line.protocol, line.kind, &text) {
                let _ = writeln!(out, "{:>10}        └─ {title} ({rfc})", "");
            }
        });
        if let Some(text) = describe(trace, &event.kind) {
            out.push_str(stamp_of(&mut self.stamp, event.at));
            out.push_str("  ");
            out.push_str(&text);
            out.push('\n');
        }
    }

    /// `at` right-aligned in 10 columns, formatted once per distinct time.
    #[cfg(test)]
    fn stamp(&mut self, at: SimTime) -> &str {
        stamp_of(&mut self.stamp, at)
    }
}

/// "  [conn] tag ", formatted again only when the line's connection or tag
/// differs from the last line's (`kept`).
fn prefix_of<'a>(
    kept: &'a mut (ConnId, &'static str, String),
    conn: ConnId,
    tag: &'static str,
) -> &'a str {
    let (last, last_tag, text) = kept;
    if text.is_empty() || *last != conn || *last_tag != tag {
        text.clear();
        let _ = write!(text, "  [{}] {tag} ", conn.0);
        (*last, *last_tag) = (conn, tag);
    }
    text
}

/// `at` right-aligned in 10 columns, formatted again only when it differs
/// from the last stamp (`kept`).
fn stamp_of(kept: &mut (SimTime, String), at: SimTime) -> &str {
    let (last, text) = kept;
    if *last != at {
        // Written in place and padded after: `{:>10}` needs the time
        // as a string first, an allocation per distinct time (most
        // lines under `serve`, where times are the wall clock's).
        text.clear();
        let _ = write!(text, "{at}");
        let width = text.chars().count();
        if width < 10 {
            text.insert_str(0, &"          "[..10 - width]);
        }
        *last = at;
    }
    text
}

/// The catalog's one-line meaning of a command, a SASL response or a
/// reply's last line; the grammar is the catalog's and the SMTP module's.
fn explanation(protocol: Protocol, kind: LineKind, text: &str) -> Option<(String, String)> {
    let catalog = Catalog::builtin();
    if !matches!(protocol, Protocol::Smtp | Protocol::Submission) {
        return None;
    }
    let entry = match kind {
        LineKind::Data | LineKind::Chunk => return None,
        LineKind::SaslResponse => catalog.lookup("334")?,
        LineKind::Command => *catalog.explain_session_line(protocol, text).first()?,
        LineKind::Reply { .. } => {
            // Only the last line of a multi-line reply ("250 ...") is explained.
            if !ReplyLine::parse(text).is_ok_and(|reply| reply.last) {
                return None;
            }
            *catalog.explain_session_line(protocol, text).first()?
        }
    };
    Some((entry.title.clone(), entry.rfc.clone()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Board;
    use crate::trace::SimTime;

    /// The stamp written in place reads as `{:>10}` of the time did, long
    /// times (wider than the column) included.
    #[test]
    fn stamp_is_the_time_right_aligned_in_ten_columns() {
        let mut board = Board::new(false);
        for ms in [0, 7, 1_234, 61_000, 3_599_999, 3_600_000, 360_000_000_000] {
            let at = SimTime::from(Duration::from_millis(ms));
            assert_eq!(
                board.stamp(at),
                format!("{:>10}", at.to_string()),
                "{ms} ms"
            );
        }
    }
}
