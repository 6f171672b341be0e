//! The sequence (ladder) diagram of the followed message: the hosts it
//! meets as columns, and every command, reply, lookup and queue fact of its
//! trip as arrows down the page, like a textbook figure. Message data is
//! folded into one arrow.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::pane;
use crate::dns::Summary;
use crate::trace::describe::describe;
use crate::trace::transcript::LineKind;
use crate::trace::{Dir, EventKind, HostId, SimTime};
use crate::tui::app::App;

/// One row of the ladder.
#[derive(Debug, Clone)]
pub enum Row {
    Arrow { at: SimTime, seq: u64, from: HostId, to: HostId, label: String, style: Style },
    Note { at: SimTime, seq: u64, host: HostId, text: String, style: Style },
}

impl Row {
    fn seq(&self) -> u64 {
        match self {
            Row::Arrow { seq, .. } | Row::Note { seq, .. } => *seq,
        }
    }
}

/// The rows of the followed message up to the playhead, and its hosts in
/// order of appearance.
pub fn rows(app: &App) -> (Vec<HostId>, Vec<Row>) {
    let Some(id) = &app.follow else { return (Vec::new(), Vec::new()) };
    let theme = &app.theme;
    let index = &app.world.index;
    let trace = app.trace();
    let seqs = index.message_seqs(id);
    let mut rows = Vec::new();
    let mut hosts_seen: BTreeSet<HostId> = BTreeSet::new();
    for &seq in &seqs {
        if seq as usize >= app.pos {
            break;
        }
        let event = &trace.events()[seq as usize];
        match &event.kind {
            EventKind::Connect { conn, .. } => {
                let Some(s) = index.session(*conn) else { continue };
                let (client, server) = (s.connection.from, s.connection.to);
                hosts_seen.extend([client, server]);
                let mut data_lines = 0;
                for &i in &s.lines {
                    let line = &index.lines[i];
                    if line.seq as usize >= app.pos {
                        break;
                    }
                    let (from, to) = if line.dir == Dir::Up { (client, server) } else { (server, client) };
                    if line.kind == LineKind::Data {
                        data_lines += 1;
                        if line.text != "." {
                            continue;
                        }
                    }
                    let (label, style) = match line.kind {
                        LineKind::Data => (format!("‹message data, {} lines› .", data_lines - 1), theme.dim),
                        LineKind::Reply { code } => (line.text.clone(), theme.reply(code, &line.text)),
                        LineKind::Command => (line.text.clone(), theme.client),
                    };
                    rows.push(Row::Arrow { at: line.at, seq: line.seq, from, to, label, style });
                }
            }
            kind => {
                let host = match kind {
                    EventKind::Composed { host, .. }
                    | EventKind::Queued { host, .. }
                    | EventKind::Relayed { host, .. }
                    | EventKind::Delivered { host, .. }
                    | EventKind::Deferred { host, .. }
                    | EventKind::Bounced { host, .. }
                    | EventKind::Expired { host, .. }
                    | EventKind::Retrieved { host, .. } => *host,
                    _ => continue,
                };
                hosts_seen.insert(host);
                let style = if matches!(kind, EventKind::Deferred { .. } | EventKind::Bounced { .. } | EventKind::Expired { .. }) {
                    theme.warn
                } else {
                    theme.accent
                };
                let text = describe(trace, kind).unwrap_or_default();
                rows.push(Row::Note { at: event.at, seq, host, text, style });
            }
        }
    }
    // The DNS lookups its hosts made while it travelled.
    if let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) {
        let last = last.min(app.pos.saturating_sub(1) as u64);
        for e in &trace.events()[first as usize..=(last as usize).max(first as usize).min(trace.len().saturating_sub(1))] {
            if let EventKind::Datagram { from, to, data, .. } = &e.kind
                && (hosts_seen.contains(from) || hosts_seen.contains(to))
                && (e.seq as usize) < app.pos
            {
                let label = Summary::decode(data.as_bytes()).map(|s| s.to_string()).unwrap_or_default();
                rows.push(Row::Arrow { at: e.at, seq: e.seq, from: *from, to: *to, label, style: theme.dns });
            }
        }
    }
    rows.sort_by_key(Row::seq);
    let mut hosts: Vec<HostId> = Vec::new();
    for row in &rows {
        let ids: Vec<HostId> = match row {
            Row::Arrow { from, to, .. } => vec![*from, *to],
            Row::Note { host, .. } => vec![*host],
        };
        for id in ids {
            if !hosts.contains(&id) {
                hosts.push(id);
            }
        }
    }
    (hosts, rows)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let title = match &app.follow {
        Some(id) => format!(" Ladder of {id} "),
        None => " Ladder ".into(),
    };
    let block = pane(title, true, app);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (hosts, rows) = rows(app);
    if hosts.is_empty() {
        let text = if app.follow.is_none() {
            "Press f to follow a message."
        } else {
            "The followed message has not started yet: press Space or →."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim), inner);
        return;
    }
    let time_w: u16 = 11;
    if inner.width <= time_w + 4 || inner.height < 3 {
        return;
    }
    let lane_w = (inner.width - time_w) / hosts.len() as u16;
    let x_of = |h: HostId| inner.x + time_w + lane_w * hosts.iter().position(|&x| x == h).unwrap_or(0) as u16 + lane_w / 2;
    let buf = frame.buffer_mut();
    for &h in &hosts {
        let name = app.trace().name(h);
        let w = lane_w.saturating_sub(1).max(1) as usize;
        let label: String = name.chars().take(w).collect();
        let x = x_of(h).saturating_sub(label.chars().count() as u16 / 2).max(inner.x + time_w);
        buf.set_string(x, inner.y, &label, theme.title);
    }
    let body = inner.height - 1;
    let start = rows.len().saturating_sub(body as usize + app.views.scroll as usize);
    for (r, row) in rows.iter().skip(start).take(body as usize).enumerate() {
        let y = inner.y + 1 + r as u16;
        for &h in &hosts {
            buf.set_string(x_of(h), y, "│", theme.dim);
        }
        match row {
            Row::Arrow { at, from, to, label, style, .. } => {
                buf.set_string(inner.x, y, format!("{:>10}", at.to_string()), theme.dim);
                draw_arrow(buf, y, x_of(*from), x_of(*to), label, *style);
            }
            Row::Note { at, host, text, style, .. } => {
                buf.set_string(inner.x, y, format!("{:>10}", at.to_string()), theme.dim);
                let x = x_of(*host);
                let room = (inner.x + inner.width).saturating_sub(x + 2) as usize;
                let text: String = format!("● {text}").chars().take(room.max(1)).collect();
                buf.set_string(x, y, text, *style);
            }
        }
    }
    if app.current().is_some_and(|e| rows.last().is_some_and(|r| r.seq() == e.seq)) {
        let y = inner.y + (rows.len() - start).min(body as usize) as u16;
        buf.set_string(inner.x + time_w - 1, y, "▶", theme.accent);
    }
}

/// `──── label ────▶` from one lifeline to another.
fn draw_arrow(buf: &mut Buffer, y: u16, x1: u16, x2: u16, label: &str, style: Style) {
    if x1 == x2 {
        buf.set_string(x1, y, format!("↺ {label}"), style);
        return;
    }
    let (left, right) = (x1.min(x2), x1.max(x2));
    let span = (right - left) as usize;
    let mut cells: Vec<char> = vec!['─'; span.saturating_sub(1)];
    let text: Vec<char> = format!(" {label} ").chars().collect();
    let room = cells.len().saturating_sub(2);
    let text: Vec<char> = text.into_iter().take(room).collect();
    let offset = (cells.len().saturating_sub(text.len())) / 2;
    for (i, c) in text.into_iter().enumerate() {
        cells[offset + i] = c;
    }
    let mut line: String = cells.into_iter().collect();
    if x2 > x1 {
        line.push('▶');
        Line::styled(line, style).render(Rect::new(left + 1, y, span as u16, 1), buf);
    } else {
        line.insert(0, '◀');
        Line::styled(line, style).render(Rect::new(left, y, span as u16, 1), buf);
    }
}
