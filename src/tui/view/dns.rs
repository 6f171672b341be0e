//! DNS: the zones, and every query with its answer up to the playhead
//! (lost datagrams marked ✗). Side by side when wide, stacked when not.
//! Only the datagrams on screen are decoded.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{dns_label, fit_spans, host_name, wrap};
use super::{pane, scroll_in};
use crate::dns::Summary;
use crate::trace::EventKind;
use crate::tui::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let wide = area.width >= 100;
    let zones_room = if wide {
        area.width * 45 / 100
    } else {
        area.width
    }
    .saturating_sub(2) as usize;
    let mut zones = Vec::new();
    for z in &trace.zones {
        zones.push(Line::from(vec![
            Span::styled(format!("{}.", z.origin), theme.title),
            Span::styled(format!("  served by {}", trace.name(z.server)), theme.dim),
        ]));
        for r in &z.records {
            zones.extend(wrap(
                &[Span::styled(format!("  {r}"), theme.base)],
                zones_room,
                6,
            ));
        }
    }
    if zones.is_empty() {
        zones.push(Line::styled("This world has no DNS server.", theme.dim));
    }
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        let height = (zones.len() as u16 + 2).min(area.height * 2 / 5).max(3);
        Layout::vertical([Constraint::Length(height), Constraint::Min(1)]).areas(area)
    };
    let (scroll, more) = scroll_in(app.views.scroll, zones.len(), left);
    let block = pane(" Zones ".into(), false, app)
        .title_bottom(Line::styled(more.unwrap_or_default(), theme.accent));
    frame.render_widget(
        Paragraph::new(zones.clone())
            .scroll((scroll.min(zones.len().saturating_sub(1) as u16), 0))
            .style(theme.base)
            .block(block),
        left,
    );

    let block = pane(
        " Queries and answers, up to the playhead ".into(),
        true,
        app,
    );
    let inner = block.inner(right);
    let height = inner.height as usize;
    let room = inner.width as usize;
    let events = trace.events();
    let datagrams = app.world.index.datagrams_at(app.pos);
    let shown = &datagrams[datagrams.len().saturating_sub(height)..];
    let time_w = shown
        .iter()
        .map(|&i| events[i as usize].at.to_string().len())
        .max()
        .unwrap_or(0);
    let mut rows: Vec<Line> = Vec::new();
    for &i in shown {
        let e = &events[i as usize];
        let EventKind::Datagram {
            from,
            to,
            arrives,
            data,
            ..
        } = &e.kind
        else {
            continue;
        };
        let style = match Summary::decode(data.as_bytes()) {
            Ok(s) if s.is_response && s.rcode.to_string() != "NOERROR" => theme.err,
            Ok(s) if s.is_response => theme.ok,
            Ok(_) => theme.base,
            Err(_) => theme.err,
        };
        let (glyph, lost) = match (
            data.as_bytes().get(2).is_some_and(|b| b & 0x80 != 0),
            arrives,
        ) {
            (_, None) => ("✗", " (lost)"),
            (true, _) => ("!", ""),
            (false, _) => ("?", ""),
        };
        let spans = vec![
            Span::styled(
                if e.seq as usize + 1 == app.pos {
                    "▶"
                } else {
                    " "
                },
                theme.accent,
            ),
            Span::styled(format!("{:>time_w$} ", e.at.to_string()), theme.dim),
            Span::styled(
                format!(
                    "{} → {} {glyph} ",
                    host_name(trace, *from, 10),
                    host_name(trace, *to, 10)
                ),
                theme.dns,
            ),
            Span::styled(format!("{}{lost}", dns_label(data.as_bytes())), style),
        ];
        let line = Line::from(fit_spans(spans, room));
        rows.push(if e.seq as usize + 1 == app.pos {
            line.style(theme.playhead)
        } else {
            line
        });
    }
    if rows.is_empty() {
        rows.push(Line::styled(
            "No DNS traffic yet: hosts look names up before they connect.",
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(rows).style(theme.base).block(block), right);
}
