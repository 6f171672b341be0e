//! The network map: every host with its role symbol and badges, the links
//! between them, and a glyph that travels along the link carrying the bytes
//! of the current event (✉ for SMTP and POP3, ? and ! for DNS), with the
//! line it carries written beside it.
//!
//! Hosts stand in columns by their distance from the mail clients: clients,
//! then the servers they submit to, then the MTAs those relay to; DNS
//! servers stand in the last column.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::canvas::{Canvas, Context, Line};

use super::pane;
use crate::dns::Summary;
use crate::trace::{Dir, EventKind, HostId, Protocol, Role, SimTime, Trace};
use crate::tui::app::{App, Focus};

/// Where each host stands, in canvas units (0..100 both ways).
pub fn positions(trace: &Trace, app: &App) -> BTreeMap<HostId, (f64, f64)> {
    let n = trace.hosts.len();
    let mut layer: Vec<Option<usize>> = vec![None; n];
    for (i, h) in trace.hosts.iter().enumerate() {
        if h.role == Role::Client {
            layer[i] = Some(0);
        }
    }
    // Breadth first along the way mail travels (submission and relay, not
    // POP3 fetches), in the order sessions happened.
    let mut changed = true;
    while changed {
        changed = false;
        for s in &app.world.index.sessions {
            let (from, to) = (usize::from(s.connection.from.0), usize::from(s.connection.to.0));
            let carries_mail = matches!(s.connection.protocol, Protocol::Smtp | Protocol::Submission);
            if let (true, Some(l), None) = (carries_mail, layer[from], layer[to])
                && trace.hosts[to].role != Role::Dns
            {
                layer[to] = Some(l + 1);
                changed = true;
            }
        }
    }
    let deepest = layer.iter().flatten().copied().max().unwrap_or(0);
    for (i, h) in trace.hosts.iter().enumerate() {
        if layer[i].is_none() {
            layer[i] = Some(match h.role {
                Role::Client => 0,
                Role::Mta => 1.min(deepest + 1),
                Role::Dns => deepest + 1,
            });
        }
    }
    let columns = layer.iter().flatten().copied().max().unwrap_or(0) + 1;
    let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, l) in layer.iter().enumerate() {
        rows.entry(l.unwrap_or(0)).or_default().push(i);
    }
    let mut out = BTreeMap::new();
    for (l, hosts) in rows {
        let x = (l as f64 + 0.5) / columns as f64 * 100.0;
        // Odd columns sit a little higher, so neighbouring labels and the
        // links between hosts of one row do not run into each other.
        let lift = if l % 2 == 1 { 12.0 } else { 0.0 };
        for (r, &h) in hosts.iter().enumerate() {
            let y = 95.0 - (r as f64 + 0.5) / hosts.len() as f64 * 90.0 + lift;
            out.insert(HostId(h as u16), (x, y.clamp(5.0, 95.0)));
        }
    }
    out
}

fn role_symbol(role: Role) -> &'static str {
    match role {
        Role::Client => "▣",
        Role::Mta => "■",
        Role::Dns => "◆",
    }
}

fn is_down(windows: &[(SimTime, SimTime)], now: SimTime) -> bool {
    windows.iter().any(|(from, until)| *from <= now && now < *until)
}

/// What moves now: from, to, glyph, the line it carries.
fn traffic(app: &App) -> Option<(HostId, HostId, &'static str, String, Style)> {
    let event = app.current()?;
    let theme = &app.theme;
    let index = &app.world.index;
    match &event.kind {
        EventKind::Bytes { conn, dir, .. } => {
            let s = index.session(*conn)?;
            let (from, to) = match dir {
                Dir::Up => (s.connection.from, s.connection.to),
                Dir::Down => (s.connection.to, s.connection.from),
            };
            let label = index
                .lines
                .iter()
                .rev()
                .skip_while(|l| l.seq > event.seq)
                .find(|l| l.seq == event.seq)
                .map(|l| l.text.clone())
                .unwrap_or_default();
            let glyph = "✉";
            let style = if *dir == Dir::Down { theme.reply(label.get(..3).and_then(|c| c.parse().ok()), &label) } else { theme.accent };
            Some((from, to, glyph, label, style))
        }
        EventKind::Datagram { from, to, data, arrives, .. } => {
            let summary = Summary::decode(data.as_bytes()).ok();
            let response = summary.as_ref().is_some_and(|s| s.is_response);
            let label = summary.map(|s| s.to_string()).unwrap_or_default();
            let label = if arrives.is_none() { format!("{label} (lost)") } else { label };
            Some((*from, *to, if response { "!" } else { "?" }, label, theme.accent))
        }
        EventKind::Connect { from, to, port, .. } => Some((*from, *to, "→", format!("connect :{port}"), theme.dim)),
        _ => None,
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let trace = app.trace();
    let block = pane(" Network ".into(), app.focus == Focus::Map, app);
    let inner = block.inner(area);
    let places = positions(trace, app);
    let now = app.now();
    let index = &app.world.index;
    let pos = app.pos;
    let moving = traffic(app);
    let failed_conn = app.current().and_then(|e| match e.kind {
        EventKind::Refused { conn } | EventKind::Unreachable { conn } => index.session(conn),
        _ => None,
    });
    // Canvas units per terminal cell, to centre text.
    let cell_w = 100.0 / f64::from(inner.width.max(1));
    let cell_h = 100.0 / f64::from(inner.height.max(1));
    // Full names when every column has room for them, else first labels.
    let columns = places.values().map(|(x, _)| (x * 1000.0) as i64).collect::<std::collections::BTreeSet<_>>().len().max(1);
    let room = (inner.width as usize / columns).saturating_sub(3);
    let longest = trace.hosts.iter().map(|h| h.name.chars().count()).max().unwrap_or(0);
    let short = longest > room;
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([0.0, 100.0])
        .y_bounds([0.0, 100.0])
        .paint(|ctx: &mut Context| {
            for &(a, b) in &index.links {
                let (Some(&(x1, y1)), Some(&(x2, y2))) = (places.get(&a), places.get(&b)) else { continue };
                let down = trace.links.iter().any(|l| (l.a, l.b) == (a, b) && is_down(&l.down, now));
                let color = if down { theme.err.fg } else { theme.border.fg };
                ctx.draw(&Line { x1, y1, x2, y2, color: color.unwrap_or_default() });
                if down {
                    ctx.print((x1 + x2) / 2.0, (y1 + y2) / 2.0, Span::styled("✗ link down", theme.err));
                }
            }
            ctx.layer();
            for (id, &(x, y)) in &places {
                let host = trace.host(*id);
                let style = match host.role {
                    Role::Client => theme.client,
                    Role::Mta => theme.mta,
                    Role::Dns => theme.dns,
                };
                let name = if short { host.name.split('.').next().unwrap_or(&host.name) } else { &host.name };
                let label = format!("{} {name}", role_symbol(host.role));
                let half = label.chars().count() as f64 / 2.0 * cell_w;
                let left = (x - half).clamp(0.0, (100.0 - 2.0 * half).max(0.0));
                ctx.print(left, y, Span::styled(label, style.add_modifier(ratatui::style::Modifier::BOLD)));
                let mut badges = Vec::new();
                let queued = index.queued.get(id).map_or(0, |s| s.at(pos));
                let stored = index.stored.get(id).map_or(0, |s| s.at(pos));
                if queued > 0 {
                    badges.push(Span::styled(format!("queue {queued}"), theme.warn));
                }
                if stored > 0 {
                    badges.push(Span::styled(format!("✉ {stored}"), theme.ok));
                }
                if is_down(&host.down, now) {
                    badges.push(Span::styled("✗ down", theme.err));
                }
                if !badges.is_empty() {
                    let mut spans = Vec::new();
                    for (i, b) in badges.into_iter().enumerate() {
                        if i > 0 {
                            spans.push(Span::raw(" "));
                        }
                        spans.push(b);
                    }
                    ctx.print(left, y - cell_h, TextLine::from(spans));
                }
            }
            if let Some(s) = failed_conn {
                let (a, b) = (s.connection.from, s.connection.to);
                if let (Some(&(x1, y1)), Some(&(x2, y2))) = (places.get(&a), places.get(&b)) {
                    ctx.print((x1 + x2) / 2.0, (y1 + y2) / 2.0 + cell_h, Span::styled("✗ no connection", theme.err));
                }
            }
            if let Some((from, to, glyph, label, style)) = &moving
                && let (Some(&(x1, y1)), Some(&(x2, y2))) = (places.get(from), places.get(to))
            {
                // From just past one label to just short of the other.
                let t = 0.15 + 0.7 * app.progress.clamp(0.0, 1.0);
                let (x, y) = (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t);
                ctx.print(x, y, Span::styled(*glyph, theme.accent));
                let text: String = label.chars().take(28).collect();
                let left = x.min(100.0 - text.chars().count() as f64 * cell_w).max(0.0);
                ctx.print(left, y + cell_h, Span::styled(text, *style));
            }
        });
    frame.render_widget(canvas, area);
}
