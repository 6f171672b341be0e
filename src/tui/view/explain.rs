//! What the line under the playhead means: the command or reply, the DNS
//! question or answer, the queue fact, with its explanation from the same
//! catalog as `mailflow explain`, and the RFC section it comes from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::wrap;
use super::transcript::event_lines;
use crate::dns::Summary;
use crate::explain::{Catalog, Entry};
use crate::trace::describe::event_text;
use crate::trace::transcript::{Line as TLine, LineKind};
use crate::trace::{Dir, Event, EventKind, Protocol};
use crate::tui::app::{App, Focus};

/// The heading (what happened) and the catalog entries that explain it.
pub fn explanation<'c>(app: &App, event: &Event, catalog: &'c Catalog) -> (String, Vec<&'c Entry>) {
    let index = &app.world.index;
    if let EventKind::Bytes { .. } = event.kind {
        let lines: Vec<&TLine> = index
            .session_of(event.seq)
            .map(|s| {
                event_lines(app, s, event.seq)
                    .iter()
                    .map(|&i| &index.lines[i])
                    .collect()
            })
            .unwrap_or_default();
        let Some(line) = lines
            .iter()
            .rev()
            .find(|l| l.kind != LineKind::Data || l.text == ".")
        else {
            return (
                "message data (the letter itself)".into(),
                catalog.lookup("envelope").into_iter().collect(),
            );
        };
        let tag = if line.dir == Dir::Up { "C:" } else { "S:" };
        // Pipelined commands, or a multi-line reply, arrive together; the
        // last line is the one explained.
        let together = lines.iter().filter(|l| l.kind != LineKind::Data).count();
        let heading = if together > 1 && line.kind != LineKind::Data {
            format!(
                "{tag} {}   (the last of {together} lines that came at once)",
                line.text
            )
        } else {
            format!("{tag} {}", line.text)
        };
        return (heading, line_entries(line, catalog));
    }
    // "* " marks a node's own fact in a transcript; here it is noise.
    let text = event_text(app.trace(), event);
    let heading = text.strip_prefix("* ").map_or(text.clone(), str::to_owned);
    let entries = match &event.kind {
        EventKind::Datagram { data, .. } => match Summary::decode(data.as_bytes()) {
            Ok(s) => catalog.explain_dns_line(&s.to_string()),
            Err(_) => catalog.lookup("DNS").into_iter().collect(),
        },
        kind => fact_name(kind)
            .and_then(|k| catalog.explain_event(k))
            .into_iter()
            .collect(),
    };
    (heading, entries)
}

/// The catalog entries for one transcript line.
fn line_entries<'c>(line: &TLine, catalog: &'c Catalog) -> Vec<&'c Entry> {
    if line.kind == LineKind::Data {
        return catalog.lookup(".").into_iter().collect();
    }
    match (line.protocol, line.dir) {
        (Protocol::Pop3, _) => catalog.explain_pop3_line(&line.text),
        (_, Dir::Up) => {
            let verb = line.text.split([' ', ':']).next().unwrap_or_default();
            catalog.explain_command(verb).into_iter().collect()
        }
        (_, Dir::Down) => {
            let Some(code) = line.text.get(..3).and_then(|c| c.parse().ok()) else {
                return Vec::new();
            };
            let enhanced = line
                .text
                .get(4..)
                .and_then(|t| t.split(' ').next())
                .filter(|t| t.contains('.'));
            catalog.explain_reply(code, enhanced)
        }
    }
}

/// The catalog's name for a node fact.
fn fact_name(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::Queued { .. } => "queued",
        EventKind::Deferred { .. } => "deferred",
        EventKind::Bounced { .. } => "bounced",
        EventKind::Expired { .. } => "expired",
        EventKind::LoopDetected { .. } => "loop detected",
        EventKind::Relayed { .. } => "relayed",
        EventKind::Delivered { .. } => "delivered",
        EventKind::Attempting { .. } => "attempting",
        EventKind::Retrieved { .. } => "retrieved",
        EventKind::Refused { .. } | EventKind::Unreachable { .. } | EventKind::NoRoute { .. } => {
            "retry"
        }
        _ => return None,
    })
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
            let (heading, entries) = explanation(app, event, catalog);
            add(vec![Span::styled(heading, theme.title)]);
            if let Some(first) = entries.first() {
                add(vec![
                    Span::styled(format!("{} ", first.title), theme.accent),
                    Span::styled(format!("({})", first.rfc), theme.dim),
                ]);
                add(vec![Span::styled(first.meaning.clone(), theme.base)]);
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
