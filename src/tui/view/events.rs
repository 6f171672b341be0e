//! Every event of the run, one line each, filterable (hide DNS, failures
//! only, one host); Enter jumps the playhead there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::{fit, fit_spans};
use crate::trace::describe::{event_text, is_failure_line};
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
        EventKind::Bytes {
            data,
            dir: crate::trace::Dir::Down,
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

fn involves(app: &App, event: &Event, host: u16) -> bool {
    let h = crate::trace::HostId(host);
    match &event.kind {
        EventKind::Connect { from, to, .. } | EventKind::Datagram { from, to, .. } => {
            *from == h || *to == h
        }
        EventKind::Bytes { conn, .. }
        | EventKind::Tls { conn, .. }
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
        | EventKind::Notified { host, .. }
        | EventKind::Expired { host, .. }
        | EventKind::LoopDetected { host, .. }
        | EventKind::Resolved { host, .. }
        | EventKind::Retrieved { host, .. }
        | EventKind::Wake { host, .. }
        | EventKind::WhatIf { host, .. }
        | EventKind::HostDown { host, .. }
        | EventKind::HostUp { host } => *host == h,
    }
}

/// The line of event `seq` that refuses (an index into `Index::lines`),
/// so that a failure found in a pipelined group is the line selected.
pub fn failure_line(app: &App, seq: u64) -> Option<usize> {
    let index = &app.world.index;
    index.stops_of(seq).into_iter().find(|&i| {
        index.lines[i].dir == crate::trace::Dir::Down && is_failure_line(&index.lines[i].text)
    })
}

/// The events the filter lets through: their indices in the trace. In
/// predict mode only those before the playhead: a future reply (or a
/// failure marked ahead) would give the answer away.
pub fn filtered(app: &App, filter: &EventFilter) -> Vec<usize> {
    let shown = if app.predict.on { app.pos } else { app.len() };
    app.trace().events()[..shown]
        .iter()
        .filter(|e| {
            !(filter.hide_dns
                && matches!(
                    e.kind,
                    EventKind::Datagram { .. } | EventKind::Resolved { .. }
                ))
        })
        .filter(|e| !filter.failures_only || is_failure(e))
        .filter(|e| filter.host.is_none_or(|h| involves(app, e, h)))
        .map(|e| e.seq as usize)
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let filter = &app.views.events_filter;
    let mut notes = Vec::new();
    if filter.hide_dns {
        notes.push("no DNS".to_owned());
    }
    if filter.failures_only {
        notes.push("failures only".to_owned());
    }
    if let Some(h) = filter.host {
        notes.push(format!("only {}", trace.name(crate::trace::HostId(h))));
    }
    let list = filtered(app, filter);
    let title = if notes.is_empty() {
        format!(" Events ({} of {}) ", list.len(), trace.len())
    } else {
        format!(
            " Events ({} of {}: {}) ",
            list.len(),
            trace.len(),
            notes.join(", ")
        )
    };
    let room = area.width.saturating_sub(2) as usize;
    let keys = " ▶ playhead, · not yet │ d DNS, x failures, o host, Enter jumps ";
    let block = pane(fit(&title, room).into_owned(), true, app)
        .title_bottom(Line::styled(fit(keys, room).into_owned(), theme.dim));
    let height = block.inner(area).height as usize;
    if list.is_empty() {
        let text = "Nothing passes the filter: d, x and o change it.";
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim)).block(block),
            area,
        );
        return;
    }
    let selected = app.views.events_selected.min(list.len() - 1);
    let start = selected
        .saturating_sub(height / 2)
        .min(list.len().saturating_sub(height));
    let shown = &list[start..(start + height).min(list.len())];
    let num_w = trace.len().to_string().len();
    let time_w = shown
        .iter()
        .map(|&i| trace.events()[i].at.to_string().len())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = shown
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let e = &trace.events()[i];
            let happened = i < app.pos;
            // Not yet happened: dimmed, and marked for terminals without dim.
            let marker = if i + 1 == app.pos {
                "▶"
            } else if happened {
                " "
            } else {
                "·"
            };
            let style = match (is_failure(e), happened) {
                (true, _) => theme.err,
                (false, true) => theme.base,
                (false, false) => theme.dim,
            };
            let spans = vec![
                Span::styled(marker, theme.accent),
                Span::styled(
                    format!("{:>num_w$} {:>time_w$} ", i + 1, e.at.to_string()),
                    theme.dim,
                ),
                Span::styled(event_text(trace, e), style),
            ];
            let line = Line::from(fit_spans(spans, room));
            if start + row == selected {
                line.style(theme.playhead)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}
