//! What the line under the playhead means: the command or reply, the DNS
//! question or answer, the queue fact, with its explanation from the same
//! catalog as `mailflow explain`, and the RFC section it comes from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
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
        let lines: Vec<&TLine> = index.lines.iter().filter(|l| l.seq == event.seq).collect();
        let Some(line) = lines.iter().rev().find(|l| l.kind != LineKind::Data || l.text == ".") else {
            return ("message data (the letter itself)".into(), catalog.lookup("envelope").into_iter().collect());
        };
        let tag = if line.dir == Dir::Up { "C:" } else { "S:" };
        let heading = format!("{tag} {}", line.text);
        return (heading, line_entries(line, catalog));
    }
    let heading = event_text(app.trace(), event);
    let entries = match &event.kind {
        EventKind::Datagram { data, .. } => match Summary::decode(data.as_bytes()) {
            Ok(s) => catalog.explain_dns_line(&s.to_string()),
            Err(_) => catalog.lookup("DNS").into_iter().collect(),
        },
        kind => fact_name(kind).and_then(|k| catalog.explain_event(k)).into_iter().collect(),
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
            let Some(code) = line.text.get(..3).and_then(|c| c.parse().ok()) else { return Vec::new() };
            let enhanced = line.text.get(4..).and_then(|t| t.split(' ').next()).filter(|t| t.contains('.'));
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
        EventKind::Refused { .. } | EventKind::Unreachable { .. } | EventKind::NoRoute { .. } => "retry",
        _ => return None,
    })
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let block = pane(" Explain ".into(), app.focus == Focus::Explain, app);
    let Some(event) = app.current() else {
        let intro = vec![
            Line::styled(app.world.title.clone(), theme.title),
            Line::styled(app.world.about.clone(), theme.base),
            Line::styled("Space plays, → steps one event, ? lists every key.", theme.dim),
        ];
        frame.render_widget(Paragraph::new(intro).wrap(Wrap { trim: true }).block(block), area);
        return;
    };
    let catalog = Catalog::builtin();
    let (heading, entries) = explanation(app, event, catalog);
    let mut lines = vec![Line::styled(heading, theme.title)];
    if let Some(first) = entries.first() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", first.title), theme.accent),
            Span::styled(format!("({})", first.rfc), theme.dim),
        ]));
        lines.push(Line::styled(first.meaning.clone(), theme.base));
        lines.push(Line::from(vec![Span::styled("Why now: ", theme.title), Span::styled(first.when.clone(), theme.base)]));
        lines.push(Line::from(vec![Span::styled("Next: ", theme.title), Span::styled(first.next.clone(), theme.base)]));
        for more in entries.iter().skip(1) {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: {} ", more.topic, more.title), theme.info),
                Span::styled(format!("({})", more.rfc), theme.dim),
            ]));
        }
    }
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .scroll((app.views.explain_scroll, 0))
        .block(block);
    frame.render_widget(paragraph, area);
}
