//! The network map: every host with its role symbol and badges, the links
//! between them, and a glyph that travels along the link carrying the bytes
//! of the current event (✉ for SMTP and POP3, ? and ! for DNS), with the
//! line it carries written beside it.
//!
//! Links are braille lines on a canvas, from the edge of one label to the
//! edge of the other; lookups are dotted, quieter than the path of mail.
//! Labels are written afterwards, straight into the buffer, so that no
//! line covers a host's name, and the travelling label goes where no host
//! stands. `layout` decides where hosts stand.

mod layout;

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::canvas::{Canvas, Line, Points};

use super::pane;
use super::text::{dns_label, fit, width};
use crate::trace::transcript::LineKind;
use crate::trace::{Dir, EventKind, HostId, Role, SimTime, Trace};
use crate::tui::app::{App, Focus};
use layout::Place;

/// Where each host's label is centred, in percent of the map (x to the
/// right, y upwards), for a map of a typical size. `host_at` is exact.
pub fn positions(_trace: &Trace, app: &App) -> BTreeMap<HostId, (f64, f64)> {
    let (w, h) = (100.0, 30.0);
    layout::layout(app, w as u16, h as u16)
        .into_iter()
        .map(|(id, (_, p))| {
            let (x, y) = p.centre();
            (id, (x / w * 100.0, 100.0 - y / h * 100.0))
        })
        .collect()
}

/// The host whose label (or badge row) is at `column`, `row` of the
/// screen, else the nearest one, for a map drawn in `area`.
pub fn host_at(app: &App, area: Rect, column: u16, row: u16) -> Option<HostId> {
    let inner = pane(String::new(), false, app).inner(area);
    let (x, y) = (column.checked_sub(inner.x)?, row.checked_sub(inner.y)?);
    let labels = layout::layout(app, inner.width, inner.height);
    if let Some((&id, _)) = labels.iter().find(|(_, (_, p))| p.covers(x, y, 1)) {
        return Some(id);
    }
    let distance = |p: &Place| {
        let (cx, cy) = p.centre();
        (cx - f64::from(x)).powi(2) / 4.0 + (cy - f64::from(y)).powi(2)
    };
    labels
        .iter()
        .min_by(|a, b| distance(&a.1.1).total_cmp(&distance(&b.1.1)))
        .map(|(&id, _)| id)
}

/// Hosts from left to right as the map shows them, DNS servers last.
pub fn host_order(app: &App) -> Vec<HostId> {
    layout::order(app)
}

fn is_down(windows: &[(SimTime, SimTime)], now: SimTime) -> bool {
    windows
        .iter()
        .any(|(from, until)| *from <= now && now < *until)
}

/// What moves now: from, to, glyph, the line it carries and its style.
struct Traffic {
    from: HostId,
    to: HostId,
    glyph: &'static str,
    label: String,
    style: Style,
}

fn traffic(app: &App) -> Option<Traffic> {
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
            // The line selected in the transcript; a burst of commands or
            // replies says which of how many it is.
            let lines = app.world.index.event_lines(s, event.seq);
            let data = lines
                .iter()
                .filter(|&&i| index.lines[i].kind == LineKind::Data && index.lines[i].text != ".")
                .count();
            let chunk = lines
                .iter()
                .filter(|&&i| index.lines[i].kind == LineKind::Chunk)
                .count();
            let text = |i: usize| index.lines[i].text.to_string();
            let label = if chunk > 0 {
                let bdat = lines
                    .iter()
                    .rfind(|&&i| index.lines[i].kind == LineKind::Command)
                    .map(|&i| format!("{} ", text(i)))
                    .unwrap_or_default();
                format!("{bdat}‹chunk, {chunk} lines›")
            } else if data > 0 {
                let end = if lines.last().is_some_and(|&i| index.lines[i].text == ".") {
                    " ."
                } else {
                    ""
                };
                format!("‹message data, {data} lines›{end}")
            } else {
                let selected = app
                    .selected_line()
                    .and_then(|i| lines.iter().position(|&l| l == i))
                    .unwrap_or(lines.len().saturating_sub(1));
                match lines.get(selected) {
                    Some(&i) if lines.len() > 1 => {
                        // The count first: a long reply is cut at its end.
                        format!("{} of {}: {}", selected + 1, lines.len(), text(i))
                    }
                    Some(&i) => text(i),
                    None => String::new(),
                }
            };
            let style = match dir {
                Dir::Down => theme.reply(label.get(..3).and_then(|c| c.parse().ok()), &label),
                Dir::Up => theme.client,
            };
            Some(Traffic {
                from,
                to,
                glyph: "✉",
                label,
                style,
            })
        }
        EventKind::Datagram {
            from,
            to,
            data,
            arrives,
            ..
        } => {
            // The QR bit: a response.
            let response = data.as_bytes().get(2).is_some_and(|b| b & 0x80 != 0);
            let label = dns_label(data.as_bytes());
            let (label, style) = match arrives {
                None => (format!("✗ lost: {label}"), theme.err),
                Some(_) => (label, theme.dns),
            };
            Some(Traffic {
                from: *from,
                to: *to,
                glyph: if response { "!" } else { "?" },
                label,
                style,
            })
        }
        EventKind::Connect { from, to, port, .. } => Some(Traffic {
            from: *from,
            to: *to,
            glyph: "→",
            label: format!("connect to port {port}"),
            style: theme.dim,
        }),
        _ => None,
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let trace = app.trace();
    let index = &app.world.index;
    let real = trace.hosts.iter().any(|h| h.role == Role::External);
    let legend = TextLine::styled(
        legend(area.width.saturating_sub(4) as usize, real),
        theme.dim,
    );
    let block = pane(" Network ".into(), app.focus == Focus::Map, app).title_bottom(legend);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width, inner.height);
    if w < 8 || h < 2 {
        return;
    }
    let now = app.now();
    let labels = layout::layout(app, w, h);
    let moving = traffic(app);
    let active = moving.as_ref().map(|t| {
        if t.from <= t.to {
            (t.from, t.to)
        } else {
            (t.to, t.from)
        }
    });
    // Canvas units are cells, y upwards.
    let to_canvas = |(x, y): (f64, f64)| (x, f64::from(h) - y);
    let ends = |a: HostId, b: HostId| {
        let (pa, pb) = (labels.get(&a)?.1, labels.get(&b)?.1);
        Some((pa.attach(pb.centre()), pb.attach(pa.centre())))
    };
    let link_down = |a: HostId, b: HostId| {
        trace
            .links
            .iter()
            .any(|l| ((l.a, l.b) == (a, b) || (l.b, l.a) == (a, b)) && is_down(&l.down, now))
    };
    let is_dns = |id: HostId| trace.host(id).role == Role::Dns;
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .background_color(theme.base.bg.unwrap_or(Color::Reset))
        .x_bounds([0.0, f64::from(w)])
        .y_bounds([0.0, f64::from(h)])
        .paint(|ctx| {
            for &(a, b) in &index.links {
                let Some((p, q)) = ends(a, b) else { continue };
                let color = if link_down(a, b) {
                    theme.err.fg
                } else if active == Some((a, b)) {
                    theme.accent.fg
                } else {
                    theme.border.fg
                };
                let color = color.unwrap_or(Color::Reset);
                let ((x1, y1), (x2, y2)) = (to_canvas(p), to_canvas(q));
                if (is_dns(a) || is_dns(b)) && active != Some((a, b)) {
                    let steps = ((x2 - x1).abs().max((y2 - y1).abs() * 2.0) / 1.5)
                        .ceil()
                        .max(1.0) as usize;
                    let dots: Vec<(f64, f64)> = (0..=steps)
                        .map(|i| i as f64 / steps as f64)
                        .map(|t| (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))
                        .collect();
                    ctx.draw(&Points {
                        coords: &dots,
                        color,
                    });
                } else {
                    ctx.draw(&Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        color,
                    });
                }
            }
        });
    canvas.render(inner, frame.buffer_mut());
    let buf = frame.buffer_mut();
    let put = |buf: &mut Buffer, x: u16, y: u16, line: &TextLine| {
        if x < w && y < h {
            buf.set_line(inner.x + x, inner.y + y, line, w - x);
        }
    };
    for (id, (text, place)) in &labels {
        let style = match trace.host(*id).role {
            Role::Client | Role::External => theme.client,
            Role::Mta => theme.mta,
            Role::Dns => theme.dns,
        };
        put(
            buf,
            place.x,
            place.y,
            &TextLine::styled(text.clone(), style.add_modifier(Modifier::BOLD)),
        );
        let badges = badges(app, *id);
        let bw = badges.iter().map(Span::width).sum::<usize>() as u16;
        // Below the label, else beside it, else above: where it is free.
        let spots = [
            Some((place.x + 2, place.y + 1)),
            Some((place.x + place.w + 1, place.y)),
            place.y.checked_sub(1).map(|y| (place.x + 2, y)),
            place.x.checked_sub(bw + 1).map(|x| (x, place.y)),
        ];
        let free = |&(x, y): &(u16, u16)| {
            x + bw <= w
                && y < h
                && !labels.iter().any(|(other, (_, o))| {
                    other != id && o.y == y && x < o.x + o.w + 1 && o.x < x + bw + 1
                })
        };
        if let Some((x, y)) = spots.into_iter().flatten().find(free).filter(|_| bw > 0) {
            put(buf, x, y, &TextLine::from(badges));
        }
    }
    let mid = |a: HostId, b: HostId| {
        ends(a, b).map(|(p, q)| (((p.0 + q.0) / 2.0) as u16, ((p.1 + q.1) / 2.0) as u16))
    };
    let note = |buf: &mut Buffer, (x, y): (u16, u16), text: &str| {
        let tw = width(text) as u16;
        put(
            buf,
            x.saturating_sub(tw / 2).min(w.saturating_sub(tw)),
            y,
            &TextLine::styled(text.to_owned(), theme.err),
        );
    };
    for &(a, b) in &index.links {
        if link_down(a, b)
            && let Some(at) = mid(a, b)
        {
            note(buf, at, "✗ link down");
        }
    }
    let failed = app.current().and_then(|e| match e.kind {
        EventKind::Refused { conn } | EventKind::Unreachable { conn } => index.session(conn),
        _ => None,
    });
    if let Some(s) = failed
        && let Some(at) = mid(s.connection.from, s.connection.to)
    {
        note(buf, at, "✗ no connection");
    }
    let Some(t) = moving else { return };
    let Some((p, q)) = ends(t.from, t.to) else {
        return;
    };
    // From the sender's label to the receiver's, never over either.
    let progress = app.progress.clamp(0.0, 1.0);
    let gx = (p.0 + (q.0 - p.0) * progress).clamp(0.0, f64::from(w - 1)) as u16;
    let gy = (p.1 + (q.1 - p.1) * progress).clamp(0.0, f64::from(h - 1)) as u16;
    put(buf, gx, gy, &TextLine::styled(t.glyph, theme.accent));
    let text = fit(&t.label, usize::from(w / 2 + 12).min(usize::from(w))).into_owned();
    let tw = width(&text) as u16;
    let x = gx.saturating_sub(tw / 2).min(w.saturating_sub(tw));
    // Above the glyph, else below, else further off: where no host is.
    let rows = [
        gy.checked_sub(1),
        Some(gy + 1),
        gy.checked_sub(2),
        Some(gy + 2),
    ];
    let mut rows = rows.into_iter().flatten().filter(|&y| y < h);
    let first = rows.clone().next();
    let clear = |y: u16| {
        !labels
            .values()
            .any(|(_, o)| o.covers(x.saturating_sub(1), y, tw + 2))
    };
    if let Some(y) = rows.find(|&y| clear(y)).or(first) {
        put(buf, x, y, &TextLine::styled(text, t.style));
    }
}

/// A host's badges: its queue, the messages in its mailboxes, down.
fn badges(app: &App, id: HostId) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let index = &app.world.index;
    let queued = index.queued.get(&id).map_or(0, |s| s.at(app.pos));
    let stored = index.stored.get(&id).map_or(0, |s| s.at(app.pos));
    let mut badges = Vec::new();
    if queued > 0 {
        badges.push(Span::styled(format!("queue {queued}"), theme.warn));
    }
    if stored > 0 {
        badges.push(Span::styled(format!("✉ {stored}"), theme.ok));
    }
    if is_down(&app.trace().host(id).down, app.now()) {
        badges.push(Span::styled("✗ down", theme.err));
    }
    let mut out = Vec::new();
    for b in badges {
        if !out.is_empty() {
            out.push(Span::raw(" "));
        }
        out.push(b);
    }
    out
}

/// What the symbols mean, as much as fits in `room` cells; `real` when
/// real machines (◎) take part.
fn legend(room: usize, real: bool) -> String {
    const FULL: &str = " ▣ client  ■ MTA  ◆ DNS  ✉ mail  ? query  ! answer  ✉ n stored ";
    const MEDIUM: &str = " ▣ client  ■ MTA  ◆ DNS  ✉ mail  ? query  ! answer ";
    const SHORT: &str = " ▣ client ■ MTA ◆ DNS ";
    const REAL: [&str; 3] = [
        " ▣ client  ■ MTA  ◆ DNS  ◎ real  ✉ mail  ? query  ! answer ",
        " ▣ client  ■ MTA  ◆ DNS  ◎ real  ✉ mail ",
        " ▣ client ■ MTA ◆ DNS ◎ real ",
    ];
    let choices = if real {
        REAL.to_vec()
    } else {
        vec![FULL, MEDIUM, SHORT]
    };
    choices
        .into_iter()
        .find(|l| width(l) <= room)
        .unwrap_or_default()
        .to_owned()
}
