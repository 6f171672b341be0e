//! The sequence (ladder) diagram of the followed message: the hosts it
//! meets as lanes, in the map's left-to-right order, and every command,
//! reply, lookup and queue fact of its trip as arrows down the page, like a
//! textbook figure. Message data is folded into one arrow.
//!
//! The lanes are laid out for the whole trip, so they stand still while
//! the playhead moves, and spaced by the labels that travel between them.
//! A label too long for its arrow is written beside the arrow instead,
//! over the lanes that take no part in that row.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::{dns_label, fit, host_name, width};
use crate::trace::describe::describe;
use crate::trace::index::{Outcome, Session};
use crate::trace::transcript::LineKind;
use crate::trace::{ConnId, Dir, EventKind, HostId, SimTime};
use crate::tui::app::App;

/// One row of the ladder.
#[derive(Debug, Clone)]
pub enum Row {
    Arrow {
        at: SimTime,
        seq: u64,
        /// The transcript line it carries (an index into `Index::lines`),
        /// so that one line of a pipelined group can be the selected one.
        line: Option<usize>,
        from: HostId,
        to: HostId,
        label: String,
        style: Style,
    },
    Note {
        at: SimTime,
        seq: u64,
        host: HostId,
        text: String,
        style: Style,
    },
}

impl Row {
    fn seq(&self) -> u64 {
        match self {
            Row::Arrow { seq, .. } | Row::Note { seq, .. } => *seq,
        }
    }

    fn at(&self) -> SimTime {
        match self {
            Row::Arrow { at, .. } | Row::Note { at, .. } => *at,
        }
    }

    fn line(&self) -> Option<usize> {
        match self {
            Row::Arrow { line, .. } => *line,
            Row::Note { .. } => None,
        }
    }

    fn text(&self) -> &str {
        match self {
            Row::Arrow { label, .. } => label,
            Row::Note { text, .. } => text,
        }
    }
}

/// The rows of the followed message up to the playhead, and its hosts in
/// the map's order.
pub fn rows(app: &App) -> (Vec<HostId>, Vec<Row>) {
    rows_until(app, app.pos)
}

/// The rows of the followed message among the first `pos` events.
fn rows_until(app: &App, pos: usize) -> (Vec<HostId>, Vec<Row>) {
    let Some(id) = &app.follow else {
        return (Vec::new(), Vec::new());
    };
    let theme = &app.theme;
    let index = &app.world.index;
    let trace = app.trace();
    let seqs = index.message_seqs(id);
    let mut rows = Vec::new();
    let mut hosts_seen: BTreeSet<HostId> = BTreeSet::new();
    let mut conns: BTreeSet<ConnId> = BTreeSet::new();
    let mut queued_at: BTreeSet<HostId> = BTreeSet::new();
    for &seq in seqs.iter().take_while(|&&s| (s as usize) < pos) {
        let event = &trace.events()[seq as usize];
        match &event.kind {
            EventKind::Connect { conn, .. } => {
                let Some(s) = index.session(*conn) else {
                    continue;
                };
                let (client, server) = (s.connection.from, s.connection.to);
                hosts_seen.extend([client, server]);
                failed_connect(app, s, pos, &mut rows);
                conns.insert(*conn);
                let mut data_lines = 0;
                for &i in &s.lines {
                    let line = &index.lines[i];
                    if line.seq as usize >= pos {
                        break;
                    }
                    let (from, to) = if line.dir == Dir::Up {
                        (client, server)
                    } else {
                        (server, client)
                    };
                    if line.kind == LineKind::Chunk {
                        // The BDAT arrow above says how many octets.
                        continue;
                    }
                    if line.kind == LineKind::Data {
                        data_lines += 1;
                        if line.text != "." {
                            continue;
                        }
                    }
                    let (label, style) = match line.kind {
                        LineKind::Data => (
                            format!("‹message data, {} lines› .", data_lines - 1),
                            theme.dim,
                        ),
                        LineKind::Reply { code } => {
                            (line.text.clone(), theme.reply(code, &line.text))
                        }
                        LineKind::Command | LineKind::SaslResponse | LineKind::Chunk => {
                            (line.text.clone(), theme.client)
                        }
                    };
                    rows.push(Row::Arrow {
                        at: line.at,
                        seq: line.seq,
                        line: Some(i),
                        from,
                        to,
                        label,
                        style,
                    });
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
                if matches!(kind, EventKind::Queued { .. }) {
                    queued_at.insert(host);
                }
                let style = if matches!(
                    kind,
                    EventKind::Deferred { .. }
                        | EventKind::Bounced { .. }
                        | EventKind::Expired { .. }
                ) {
                    theme.warn
                } else {
                    theme.accent
                };
                // The lane says who; the note says what.
                let text = describe(trace, kind).unwrap_or_default();
                let who = format!("* {} ", trace.name(host));
                let text = text.strip_prefix(&who).map(str::to_owned).unwrap_or(text);
                rows.push(Row::Note {
                    at: event.at,
                    seq,
                    host,
                    text,
                    style,
                });
            }
        }
    }
    // The DNS lookups its hosts made while it travelled, and the
    // connections that failed before the message could be offered (the
    // index ties a session to a message only once it is greeted).
    if let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) {
        let end = (last as usize + 1).min(pos).min(trace.len());
        for e in trace.events().get(first as usize..end).unwrap_or_default() {
            match &e.kind {
                EventKind::Datagram { from, to, data, .. }
                    if hosts_seen.contains(from) || hosts_seen.contains(to) =>
                {
                    let label = dns_label(data.as_bytes());
                    rows.push(Row::Arrow {
                        at: e.at,
                        seq: e.seq,
                        line: None,
                        from: *from,
                        to: *to,
                        label,
                        style: theme.dns,
                    });
                }
                EventKind::Connect { conn, from, .. }
                    if queued_at.contains(from) && !conns.contains(conn) =>
                {
                    if let Some(s) = index.session(*conn) {
                        failed_connect(app, s, pos, &mut rows);
                    }
                }
                _ => {}
            }
        }
    }
    rows.sort_by_key(Row::seq);
    let mut used: BTreeSet<HostId> = BTreeSet::new();
    for row in &rows {
        match row {
            Row::Arrow { from, to, .. } => used.extend([*from, *to]),
            Row::Note { host, .. } => {
                used.insert(*host);
            }
        }
    }
    let hosts = super::map::host_order(app)
        .into_iter()
        .filter(|h| used.contains(h))
        .collect();
    (hosts, rows)
}

/// An arrow for a connection that was refused or never answered.
fn failed_connect(app: &App, s: &Session, pos: usize, rows: &mut Vec<Row>) {
    let label = match s.outcome {
        Outcome::Refused => "✗ connection refused",
        Outcome::Unreachable => "✗ connect: no answer",
        Outcome::Open => return,
    };
    if (s.last_seq as usize) < pos {
        let at = app.trace().events()[s.last_seq as usize].at;
        let (from, to) = (s.connection.from, s.connection.to);
        rows.push(Row::Arrow {
            at,
            seq: s.last_seq,
            line: None,
            from,
            to,
            label: label.into(),
            style: app.theme.err,
        });
    }
}

/// Where each lane's lifeline stands, from the labels of the whole trip:
/// each gap as wide as the longest label between its two lanes asks, then
/// all scaled to the room there is.
fn lanes(hosts: &[HostId], rows: &[Row], room: u16) -> Vec<u16> {
    let n = hosts.len();
    let lane = |h: HostId| hosts.iter().position(|&x| x == h).unwrap_or(0);
    let mut gaps = vec![14usize; n.saturating_sub(1)];
    let spans: Vec<(usize, usize, usize)> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Arrow {
                from, to, label, ..
            } if from != to => {
                let (a, b) = (lane(*from).min(lane(*to)), lane(*from).max(lane(*to)));
                Some((a, b, width(label).min(48) + 4))
            }
            _ => None,
        })
        .collect();
    crate::lanes::widen(&mut gaps, spans);
    // The first name and the last notes need some room at the edges;
    // what is left over widens the gaps, up to twice what they asked.
    let (edge_left, edge_right) = (6usize, 12usize);
    let total: usize = gaps.iter().sum::<usize>() + edge_left + edge_right;
    let room = usize::from(room);
    let scale = if total > room {
        room as f64 / total as f64
    } else {
        let spare = (room - total).saturating_sub(30) as f64;
        let asked: usize = gaps.iter().sum();
        1.0 + (spare / asked.max(1) as f64).min(1.0)
    };
    let mut x = edge_left;
    let mut out = vec![x as u16];
    for g in gaps {
        x += ((g as f64 * scale) as usize).max(4);
        out.push(x.min(room.saturating_sub(1)) as u16);
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let title = match &app.follow {
        Some(id) => format!(" Ladder of {id} "),
        None => " Ladder ".into(),
    };
    let room = area.width.saturating_sub(2) as usize;
    let block = pane(fit(&title, room).into_owned(), true, app);
    let inner = block.inner(area);
    let (all_hosts, all_rows) = rows_until(app, app.len());
    let (_, rows) = rows(app);
    if all_hosts.is_empty() || rows.is_empty() {
        let text = if app.follow.is_none() {
            "No message to follow: press f to choose one."
        } else {
            "The followed message has not left yet: press Space or →, or } to jump to its first hop."
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(theme.dim)
                .block(block),
            area,
        );
        return;
    }
    let time_w = all_rows
        .iter()
        .map(|r| r.at().to_string().len())
        .max()
        .unwrap_or(0) as u16
        + 1;
    if inner.width <= time_w + 8 || inner.height < 3 {
        frame.render_widget(block, area);
        return;
    }
    let xs = lanes(&all_hosts, &all_rows, inner.width - time_w - 1);
    let x_of =
        |h: HostId| inner.x + time_w + 1 + xs[all_hosts.iter().position(|&x| x == h).unwrap_or(0)];
    // Rows hidden above the screen are announced in the bottom border.
    let body = (inner.height - 1) as usize;
    let back = (app.views.scroll as usize).min(rows.len().saturating_sub(body));
    let start = rows.len().saturating_sub(body + back);
    let note = (start > 0).then(|| format!(" ↑ {start} earlier rows: ↑ scrolls "));
    let note_w = note.as_deref().map_or(0, width);
    let block = match note {
        Some(note) => block.title_bottom(Line::styled(note, theme.accent).right_aligned()),
        None => block,
    };
    let current = app.current().map(|e| e.seq);
    let selected = selected_row(app, &rows, current);
    // The selected row in full along the bottom border when the ladder
    // had to cut it: the line a student is reading is never cut.
    let cut = selected
        .filter(|&i| (start..start + body).contains(&i))
        .map(|i| &rows[i])
        .filter(|row| {
            row_width(row, &all_hosts, &xs, inner.width - time_w - 1) < width(row.text())
        });
    let block = match cut {
        Some(row) => {
            let room = usize::from(inner.width).saturating_sub(note_w + 6);
            let text = format!(" ▶ {} ", fit(row.text(), room));
            block.title_bottom(Line::styled(text, theme.playhead).left_aligned())
        }
        None => block,
    };
    frame.render_widget(block, area);
    let buf = frame.buffer_mut();
    let right = inner.x + inner.width;
    let lanes_room = inner.width - time_w - 1;
    let mut names_end = 0;
    for (i, &h) in all_hosts.iter().enumerate() {
        // A name centred on its lane, as wide as half the gap on either
        // side allows (the edges count whole).
        let before = i.checked_sub(1).map_or(xs[i] * 2, |j| xs[i] - xs[j]);
        let after = xs
            .get(i + 1)
            .map_or(lanes_room.saturating_sub(xs[i]) * 2, |&x| x - xs[i]);
        let name = host_name(
            app.trace(),
            h,
            usize::from(before.min(after).saturating_sub(1)).max(3),
        );
        let w = width(&name) as u16;
        let x = x_of(h)
            .saturating_sub(w / 2)
            .min(right.saturating_sub(w))
            .max(inner.x + time_w)
            .max(names_end);
        // No room left for this name: better none than two run together.
        if x + w.min(3) <= right && x <= x_of(h) {
            buf.set_stringn(x, inner.y, &name, usize::from(right - x), theme.title);
            names_end = x + w + 1;
        }
    }
    for (r, row) in rows.iter().enumerate().skip(start).take(body) {
        let r = r - start;
        let y = inner.y + 1 + r as u16;
        for &h in &all_hosts {
            if x_of(h) < right {
                buf.set_string(x_of(h), y, "│", theme.dim);
            }
        }
        // ▶ on the selected row, · on the rest of its group.
        let (mark, time_style) = if selected == Some(r + start) {
            ("▶", theme.playhead)
        } else if current == Some(row.seq()) {
            ("▷", theme.playhead)
        } else {
            (" ", theme.dim)
        };
        buf.set_string(inner.x, y, mark, theme.accent);
        buf.set_string(
            inner.x + 1,
            y,
            format!("{:>w$}", row.at().to_string(), w = usize::from(time_w - 1)),
            time_style,
        );
        match row {
            Row::Arrow {
                from,
                to,
                label,
                style,
                ..
            } => {
                draw_arrow(
                    buf,
                    y,
                    (x_of(*from), x_of(*to)),
                    (inner.x + time_w, right),
                    label,
                    *style,
                );
            }
            Row::Note {
                host, text, style, ..
            } => {
                let x = x_of(*host);
                let text = format!("● {text}");
                let after = usize::from(right.saturating_sub(x));
                let before = usize::from(x.saturating_sub(inner.x + time_w + 1));
                if after >= width(&text).min(24) || after >= before {
                    buf.set_stringn(x, y, fit(&text, after), after, *style);
                } else {
                    // A lane near the right edge: the note ends at it.
                    let kept = fit(&text["● ".len()..], before.saturating_sub(2)).into_owned();
                    let text = format!("{kept} ●");
                    let x = x + 1 - width(&text) as u16;
                    buf.set_string(x, y, text, *style);
                }
            }
        }
    }
}

/// The row the playhead selects: of the current event's rows, the one
/// carrying the selected transcript line (a data line is read with the
/// run it ends), else its last.
fn selected_row(app: &App, rows: &[Row], current: Option<u64>) -> Option<usize> {
    let current = current?;
    let of_event: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].seq() == current)
        .collect();
    let line = app.selected_line();
    of_event
        .iter()
        .copied()
        .find(|&i| matches!((rows[i].line(), line), (Some(l), Some(s)) if l >= s))
        .or(of_event.last().copied())
}

/// How many cells of a row's text the ladder can show: between the two
/// lifelines, or beside them up to the edge, whichever is wider.
fn row_width(row: &Row, hosts: &[HostId], xs: &[u16], room: u16) -> usize {
    let x = |h: HostId| xs[hosts.iter().position(|&x| x == h).unwrap_or(0)];
    match row {
        Row::Arrow { from, to, .. } => {
            let (a, b) = (x(*from).min(x(*to)), x(*from).max(x(*to)));
            let inside = usize::from(b - a).saturating_sub(5);
            let after = usize::from(room.saturating_sub(b + 2));
            let before = usize::from(a.saturating_sub(2));
            if a == b {
                usize::from(room.saturating_sub(a + 2))
            } else {
                inside.max(after).max(before)
            }
        }
        Row::Note { host, .. } => {
            let at = x(*host);
            usize::from(room.saturating_sub(at + 2)).max(usize::from(at.saturating_sub(2)))
        }
    }
}

/// `──── label ───▶` from one lifeline to the other, or the arrow alone
/// and its label beside it when the label does not fit between them.
fn draw_arrow(
    buf: &mut Buffer,
    y: u16,
    (x1, x2): (u16, u16),
    (left_edge, right_edge): (u16, u16),
    label: &str,
    style: Style,
) {
    if x1 == x2 {
        let room = usize::from(right_edge - x1);
        buf.set_stringn(x1, y, fit(&format!("↺ {label}"), room), room, style);
        return;
    }
    let (left, right) = (x1.min(x2), x1.max(x2));
    let inside = usize::from(right - left - 1);
    if inside == 0 || right >= right_edge {
        return;
    }
    let head = if x2 > x1 { '▶' } else { '◀' };
    let wide = width(label) + 4 <= inside;
    let mut cells: Vec<char> = vec!['─'; inside];
    if x2 > x1 {
        cells[inside - 1] = head;
    } else {
        cells[0] = head;
    }
    if wide {
        let text: Vec<char> = format!(" {label} ").chars().collect();
        let offset = (inside - text.len()) / 2;
        cells.splice(offset..offset + text.len(), text);
    }
    buf.set_string(left + 1, y, cells.into_iter().collect::<String>(), style);
    if wide {
        return;
    }
    // Beside the arrow, on the side with more room; cut if need be.
    let after = usize::from(right_edge.saturating_sub(right + 2));
    let before = usize::from(left.saturating_sub(left_edge + 2));
    let w = width(label);
    // After the arrow reads on naturally; before it only when that side
    // shows the label whole, or much more of it.
    if w <= after || (w > before && after + 8 >= before) {
        buf.set_stringn(right + 2, y, fit(label, after), after, style);
    } else {
        let text = fit(label, before).into_owned();
        buf.set_string(left - 1 - width(&text) as u16, y, text, style);
    }
}
