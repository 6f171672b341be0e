//! Every event of the run, one line each, filterable (hide DNS, failures
//! only, one host); Enter jumps the playhead there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use crate::trace::describe::event_text;
use crate::trace::{Event, EventKind};
use crate::tui::app::{App, EventFilter};

/// Is this event a failure worth finding?
pub fn is_failure(event: &Event) -> bool {
    match &event.kind {
        EventKind::Refused { .. }
        | EventKind::Unreachable { .. }
        | EventKind::NoRoute { .. }
        | EventKind::Deferred { .. }
        | EventKind::Bounced { .. }
        | EventKind::Expired { .. }
        | EventKind::LoopDetected { .. } => true,
        EventKind::Bytes { data, dir: crate::trace::Dir::Down, .. } => {
            matches!(data.as_bytes().first(), Some(b'4' | b'5')) || data.as_bytes().starts_with(b"-ERR")
        }
        EventKind::Datagram { arrives: None, .. } => true,
        _ => false,
    }
}

fn involves(app: &App, event: &Event, host: u16) -> bool {
    let h = crate::trace::HostId(host);
    match &event.kind {
        EventKind::Connect { from, to, .. } | EventKind::Datagram { from, to, .. } => *from == h || *to == h,
        EventKind::Bytes { conn, .. }
        | EventKind::Accept { conn }
        | EventKind::Close { conn, .. }
        | EventKind::Refused { conn }
        | EventKind::Unreachable { conn } => app
            .world
            .index
            .session(*conn)
            .is_some_and(|s| s.connection.from == h || s.connection.to == h),
        EventKind::NoRoute { from, .. } => *from == h,
        EventKind::Composed { host, .. }
        | EventKind::Queued { host, .. }
        | EventKind::Attempting { host, .. }
        | EventKind::Relayed { host, .. }
        | EventKind::Delivered { host, .. }
        | EventKind::Dequeued { host, .. }
        | EventKind::Removed { host, .. }
        | EventKind::Deferred { host, .. }
        | EventKind::Bounced { host, .. }
        | EventKind::Expired { host, .. }
        | EventKind::LoopDetected { host, .. }
        | EventKind::Resolved { host, .. }
        | EventKind::Retrieved { host, .. }
        | EventKind::Wake { host, .. } => *host == h,
    }
}

/// The events the filter lets through: their indices in the trace.
pub fn filtered(app: &App, filter: &EventFilter) -> Vec<usize> {
    app.trace()
        .events()
        .iter()
        .filter(|e| !(filter.hide_dns && matches!(e.kind, EventKind::Datagram { .. } | EventKind::Resolved { .. })))
        .filter(|e| !filter.failures_only || is_failure(e))
        .filter(|e| filter.host.is_none_or(|h| involves(app, e, h)))
        .map(|e| e.seq as usize)
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let filter = &app.views.events_filter;
    let mut notes = Vec::new();
    if filter.hide_dns {
        notes.push("no DNS".to_owned());
    }
    if filter.failures_only {
        notes.push("failures only".to_owned());
    }
    if let Some(h) = filter.host {
        notes.push(format!("only {}", app.trace().name(crate::trace::HostId(h))));
    }
    let list = filtered(app, filter);
    let title = if notes.is_empty() {
        format!(" Events ({}) ", list.len())
    } else {
        format!(" Events ({}, {}) ", list.len(), notes.join(", "))
    };
    let block = pane(title, true, app);
    let height = block.inner(area).height as usize;
    let selected = app.views.events_selected.min(list.len().saturating_sub(1));
    let start = selected.saturating_sub(height / 2).min(list.len().saturating_sub(height));
    let trace = app.trace();
    let lines: Vec<Line> = list
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(row, &i)| {
            let e = &trace.events()[i];
            let happened = i < app.pos;
            let marker = if i + 1 == app.pos { "▶" } else if happened { " " } else { "·" };
            let style = if is_failure(e) { theme.err } else if happened { theme.base } else { theme.dim };
            let line = Line::from(vec![
                Span::styled(format!("{marker}{:>6} {:>11} ", i + 1, e.at.to_string()), theme.dim),
                Span::styled(event_text(trace, e), style),
            ]);
            if row == selected { line.style(theme.playhead) } else { line }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}
