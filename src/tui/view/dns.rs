//! DNS: the zones on the left, every query with its answer up to the
//! playhead on the right (lost datagrams marked).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use crate::dns::Summary;
use crate::trace::EventKind;
use crate::tui::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let [left, right] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let mut zones = Vec::new();
    for z in &trace.zones {
        zones.push(Line::from(vec![
            Span::styled(format!("{}.", z.origin), theme.title),
            Span::styled(format!("  on {}", trace.name(z.server)), theme.dim),
        ]));
        for r in &z.records {
            zones.push(Line::styled(format!("  {r}"), theme.base));
        }
    }
    if zones.is_empty() {
        zones.push(Line::styled("This world has no DNS server.", theme.dim));
    }
    let scroll = app.views.scroll;
    frame.render_widget(Paragraph::new(zones).scroll((scroll, 0)).style(theme.base).block(pane(" Zones ".into(), false, app)), left);
    let block = pane(" Queries and answers ".into(), true, app);
    let height = block.inner(right).height as usize;
    let mut rows: Vec<Line> = Vec::new();
    for e in &trace.events()[..app.pos] {
        let EventKind::Datagram { from, to, arrives, data, .. } = &e.kind else { continue };
        let (text, style) = match Summary::decode(data.as_bytes()) {
            Ok(s) if s.is_response => {
                let style = if s.rcode.to_string() == "NOERROR" { theme.ok } else { theme.err };
                (s.to_string(), style)
            }
            Ok(s) => (s.to_string(), theme.base),
            Err(err) => (format!("undecodable: {err}"), theme.err),
        };
        let lost = if arrives.is_none() { "  ✗ lost" } else { "" };
        let line = Line::from(vec![
            Span::styled(format!("{:>10} ", e.at.to_string()), theme.dim),
            Span::styled(format!("{} → {}: ", trace.name(*from), trace.name(*to)), theme.dns),
            Span::styled(format!("{text}{lost}"), style),
        ]);
        rows.push(if e.seq as usize + 1 == app.pos { line.style(theme.playhead) } else { line });
    }
    if rows.is_empty() {
        rows.push(Line::styled("No DNS traffic yet.", theme.dim));
    }
    let start = rows.len().saturating_sub(height);
    let rows: Vec<Line> = rows.into_iter().skip(start).collect();
    frame.render_widget(Paragraph::new(rows).style(theme.base).block(block), right);
}
