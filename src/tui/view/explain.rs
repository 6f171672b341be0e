//! What the line under the playhead means: the command or reply, the DNS
//! question or answer, the queue fact, with its explanation from the same
//! catalog as `mailflow explain`, and the RFC section it comes from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::wrap;
use crate::dns::Summary;
use crate::explain::{Catalog, Entry};
use crate::trace::describe::{event_text, topic};
use crate::trace::transcript::{Line as TLine, LineKind};
use crate::trace::{Dir, Event, EventKind};
use crate::tui::app::{App, Focus};

/// What the pane says about the event (or line) under the playhead.
pub struct Explanation<'c> {
    /// What happened, in a line.
    pub heading: String,
    /// Where it stands in the story: which command a reply answers, which
    /// deferral a retry follows, which line of a group this is.
    pub context: Vec<String>,
    /// The catalog entries, most specific first.
    pub entries: Vec<&'c Entry>,
}

/// The explanation of the current event: for wire bytes, of the selected
/// line; for anything else, of the event itself.
pub fn explanation<'c>(app: &App, event: &Event, catalog: &'c Catalog) -> Explanation<'c> {
    if let EventKind::Bytes { .. } = event.kind {
        return match app.selected_line() {
            Some(i) => line_explanation(app, i, catalog),
            None => Explanation {
                heading: "part of a line: the rest is still on its way".into(),
                context: vec![
                    "Bytes cross the wire in pieces; a line is read once its CR LF has come."
                        .into(),
                ],
                entries: catalog.lookup("limits").into_iter().collect(),
            },
        };
    }
    // "* " marks a node's own fact in a transcript; here it is noise.
    let text = event_text(app.trace(), event);
    let heading = text.strip_prefix("* ").map_or(text.clone(), str::to_owned);
    let entries = match &event.kind {
        EventKind::Datagram { data, .. } => match Summary::decode(data.as_bytes()) {
            Ok(s) => catalog.explain_dns_line(&s.to_string()),
            Err(_) => catalog.lookup("DNS").into_iter().collect(),
        },
        kind => topic(kind)
            .and_then(|t| catalog.lookup(t))
            .into_iter()
            .collect(),
    };
    let mut context = super::why::why_now(app, event);
    if let EventKind::Datagram { from, .. } = &event.kind
        && let Some(point) = answered_by_what_if(app.trace(), event.seq, *from)
    {
        context.insert(
            0,
            format!(
                "✎ A what-if changed this answer ({point}): the zone's own answer was skipped."
            ),
        );
    }
    Explanation {
        heading,
        context,
        entries,
    }
}

/// The what-if that wrote this reply line, if one did: a `WhatIf` event
/// on its connection with this very text, after the server's previous
/// reply there.
fn changed_by_what_if(trace: &crate::trace::Trace, line: &TLine) -> Option<(String, String)> {
    for e in trace.events()[..line.seq as usize].iter().rev() {
        match &e.kind {
            EventKind::Bytes {
                conn,
                dir: Dir::Down,
                ..
            } if *conn == line.conn => return None,
            EventKind::WhatIf {
                conn: Some(conn),
                rest,
                ..
            } if *conn == line.conn && rest.instead == line.text => {
                return Some((rest.point.clone(), rest.instead.clone()));
            }
            _ => {}
        }
    }
    None
}

/// The what-if behind DNS answer `seq` from `server`: recorded just
/// before it, with no other answer of that server between.
fn answered_by_what_if(
    trace: &crate::trace::Trace,
    seq: u64,
    server: crate::trace::HostId,
) -> Option<String> {
    for e in trace.events()[..seq as usize].iter().rev() {
        match &e.kind {
            EventKind::Datagram { from, .. } if *from == server => return None,
            EventKind::WhatIf {
                host,
                conn: None,
                rest,
            } if *host == server => return Some(format!("{}: {}", rest.point, rest.instead)),
            _ => {}
        }
    }
    None
}

/// A plaintext command pipelined behind a STARTTLS that was answered 220
/// and itself never answered: the server discarded it (RFC 3207 §4.2).
/// Read from the session's lines as the observer paired them: walking
/// back over other unanswered commands, the first answered one is a
/// STARTTLS whose reply is 220.
fn thrown_away_behind_starttls(session: &[&TLine], line: &TLine) -> bool {
    let reply_to = |l: &TLine| {
        session.iter().find_map(|r| match r.kind {
            LineKind::Reply { code } if r.exchange == l.exchange => Some(code),
            _ => None,
        })
    };
    if line.kind != LineKind::Command || line.sealed || reply_to(line).is_some() {
        return false;
    }
    let Some(pos) = session.iter().position(|l| std::ptr::eq(*l, line)) else {
        return false;
    };
    for l in session[..pos].iter().rev() {
        if l.kind != LineKind::Command {
            return false;
        }
        match reply_to(l) {
            None => continue,
            Some(code) => return l.text.eq_ignore_ascii_case("STARTTLS") && code == Some(220),
        }
    }
    false
}

/// One transcript line: what it is, what it answers, and its entries.
fn line_explanation<'c>(app: &App, i: usize, catalog: &'c Catalog) -> Explanation<'c> {
    let index = &app.world.index;
    let line = &index.lines[i];
    let session = index.session(line.conn);
    let session_lines: Vec<&TLine> = session
        .map(|s| s.lines.iter().map(|&k| &index.lines[k]).collect())
        .unwrap_or_default();
    let mut context = Vec::new();
    let stops = app.stops();
    if stops.len() > 1 {
        let k = stops.iter().position(|&s| s == i).map_or(1, |k| k + 1);
        let then = if k < stops.len() {
            "→ reads the next"
        } else {
            "← reads the one before"
        };
        context.push(format!(
            "Line {k} of {} that came at once: {then}.",
            stops.len()
        ));
    }
    if line.sealed {
        context.push(
            "🔒 Inside TLS: the two ends read this line; the link carried only encrypted records."
                .into(),
        );
    }
    if thrown_away_behind_starttls(&session_lines, line) {
        context.push(
            "Sent in plaintext behind a STARTTLS that got 220: the server threw it away unread, so no reply comes (RFC 3207 §4.2, CVE-2011-0411). What the entry below says comes next does not happen here."
                .into(),
        );
    }
    // The lines of this line's kind that came with it: one run of data.
    let run = || {
        session
            .map(|s| index.event_lines(s, line.seq))
            .unwrap_or_default()
            .iter()
            .filter(|&&k| index.lines[k].kind == line.kind)
            .count()
    };
    if line.kind == LineKind::Chunk {
        let run = run();
        let heading = format!("BDAT chunk: {run} lines of the letter, counted, never scanned");
        context.push(
            "The BDAT line said how many octets follow; the server reads exactly that many. A lone `.` here is part of the letter, not its end (RFC 3030 §2)."
                .into(),
        );
        return Explanation {
            heading,
            context,
            entries: catalog.lookup("BDAT").into_iter().collect(),
        };
    }
    if line.kind == LineKind::Data {
        let run = run();
        let heading = if line.text == "." {
            format!("C: .   (the end of the message data, after {run} lines)")
        } else {
            format!("message data: {run} lines of the letter itself")
        };
        return Explanation {
            heading,
            context,
            entries: catalog.lookup(".").into_iter().collect(),
        };
    }
    let tag = if line.dir == Dir::Up { "C:" } else { "S:" };
    let asked = answered_line(&session_lines, line);
    if let Some(asked) = asked {
        context.push(format!("Answers C: {}", asked.text));
    } else if line.dir == Dir::Down && line.exchange == Some(0) {
        context.push("The greeting: the server's first words on a new connection.".into());
    }
    let mut entries = catalog.explain_transcript_line(line);
    if line.dir == Dir::Down
        && let Some((point, instead)) = changed_by_what_if(app.trace(), line)
    {
        context.insert(
            0,
            format!("✎ A what-if changed this reply ({point}: {instead}): the server's own decision was skipped."),
        );
        entries.extend(catalog.lookup("what-if"));
    }
    if let Some(asked) = asked
        && asked.text.eq_ignore_ascii_case("DATA")
        && matches!(
            line.kind,
            LineKind::Reply {
                code: Some(503 | 554)
            }
        )
        && !any_recipient_accepted(&session_lines, asked)
    {
        // RFC 2920 §3.1: pipelined after refused RCPTs, DATA's refusal is
        // the expected consequence, not a client mistake.
        context.push(
            "No RCPT of this transaction was accepted, so this refusal was expected: \
             the client sent DATA in the same pipelined group before it could know."
                .into(),
        );
        entries.splice(0..0, catalog.lookup("no valid recipients"));
    }
    Explanation {
        heading: format!("{tag} {}", line.text),
        context,
        entries,
    }
}

/// The client line a reply answers: the one that opened its exchange.
fn answered_line<'a>(lines: &[&'a TLine], reply: &TLine) -> Option<&'a TLine> {
    if reply.dir != Dir::Down || reply.kind == LineKind::Data {
        return None;
    }
    let exchange = reply.exchange.filter(|&e| e > 0)?;
    lines
        .iter()
        .find(|l| l.dir == Dir::Up && l.exchange == Some(exchange))
        .copied()
}

/// Did any RCPT since the last MAIL before `data` get a 2xx reply?
fn any_recipient_accepted(lines: &[&TLine], data: &TLine) -> bool {
    let upto = lines
        .iter()
        .position(|l| std::ptr::eq(*l, data))
        .unwrap_or(lines.len());
    let since = lines[..upto]
        .iter()
        .rposition(|l| l.kind == LineKind::Command && starts_with_word(&l.text, "MAIL"))
        .unwrap_or(0);
    lines[since..upto]
        .iter()
        .filter(|l| l.kind == LineKind::Command && starts_with_word(&l.text, "RCPT"))
        .any(|rcpt| {
            lines.iter().any(|r| {
                r.dir == Dir::Down
                    && r.exchange == rcpt.exchange
                    && matches!(
                        r.kind,
                        LineKind::Reply {
                            code: Some(200..=299)
                        }
                    )
            })
        })
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.get(..word.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(word))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let focused = app.focus == Focus::Explain;
    let block = pane(" Explain ".into(), focused, app);
    let inner = block.inner(area);
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut add = |spans: Vec<Span>| lines.extend(wrap(&spans, width, 0));
    match app.current() {
        None => {
            add(vec![Span::styled(app.world.title.clone(), theme.title)]);
            add(vec![Span::styled(app.world.about.clone(), theme.base)]);
            add(vec![Span::styled(
                "Space plays, → steps one event, ? lists every key.",
                theme.dim,
            )]);
        }
        Some(event) => {
            let catalog = Catalog::builtin();
            let Explanation {
                heading,
                context,
                entries,
            } = explanation(app, event, catalog);
            add(vec![Span::styled(heading, theme.title)]);
            for line in context {
                add(vec![Span::styled(line, theme.info)]);
            }
            if let Some(first) = entries.first() {
                add(vec![
                    Span::styled(format!("{} ", first.title), theme.accent),
                    Span::styled(format!("({})", first.rfc), theme.dim),
                ]);
                // The short form: `mailflow explain` has the whole entry.
                add(vec![Span::styled(
                    first.short_meaning().to_owned(),
                    theme.base,
                )]);
                add(vec![
                    Span::styled("Why now: ", theme.title),
                    Span::styled(first.when.clone(), theme.base),
                ]);
                add(vec![
                    Span::styled("Next: ", theme.title),
                    Span::styled(first.next.clone(), theme.base),
                ]);
                for more in entries.iter().skip(1) {
                    add(vec![
                        Span::styled("See also ", theme.dim),
                        Span::styled(format!("{}: {} ", more.topic, more.title), theme.info),
                        Span::styled(format!("({})", more.rfc), theme.dim),
                    ]);
                }
            }
        }
    }
    // Scrolling stops at the last line; what is below is announced.
    let height = inner.height as usize;
    let scroll = (app.views.explain_scroll as usize).min(lines.len().saturating_sub(height));
    let below = lines.len().saturating_sub(scroll + height);
    let mut block = block;
    if below > 0 {
        let noun = if below == 1 { "line" } else { "lines" };
        let hint = if focused {
            format!(" ↓ {below} more {noun} ")
        } else {
            format!(" ↓ {below} more {noun}: Tab here, then ↓ ")
        };
        block = block.title_bottom(Line::styled(hint, theme.accent).right_aligned());
    }
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}
