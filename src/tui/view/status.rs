//! The bottom lines: play state, speed, simulated time, event n of N, the
//! session on screen, a gap announcement, and the keys that matter now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::scenario::duration::format_duration;
use crate::tui::app::{App, SPEEDS, View};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let state = if app.playing { "▶ playing" } else { "⏸ paused" };
    let speed = SPEEDS[app.speed];
    let speed = if speed < 1.0 { format!("{speed}×") } else { format!("{speed:.0}×") };
    let mut spans = vec![
        Span::styled(format!(" {state} {speed} "), theme.accent),
        Span::styled(format!(" {} ", app.now()), theme.title),
        Span::styled(format!(" event {}/{} ", app.pos, app.len()), theme.base),
    ];
    if let Some(s) = app.session() {
        let c = &s.connection;
        let trace = app.trace();
        let pin = if app.pinned.is_some() { " (pinned)" } else { "" };
        spans.push(Span::styled(
            format!(" [{}] {} → {}{pin} ", c.conn.0, trace.name(c.from), trace.name(c.to)),
            theme.dim,
        ));
    }
    if let Some(gap) = app.gap_before() {
        let why = app
            .current()
            .map(|e| crate::trace::describe::event_text(app.trace(), e))
            .unwrap_or_default();
        spans.push(Span::styled(format!(" ⏩ {} later: {why} ", format_duration(gap)), theme.warn));
    }
    let first = Line::from(spans);
    let keys = if app.searching {
        format!(" search: {}▏  Enter find · Esc cancel", app.search)
    } else if let Some(notice) = &app.notice {
        format!(" {notice}")
    } else {
        let view_keys = match app.view {
            View::Main => "Tab focus · [ ] session",
            View::Events => "↑↓ select · Enter jump · d dns · x failures · n node",
            View::Letter => "↑↓ Received line · Enter jump",
            _ => "↑↓ scroll",
        };
        format!(" Space play · ←→ step · {view_keys} · {{ }} hop · f follow · 1-6 views · / search · ? help · q quit")
    };
    let lines = if area.height >= 2 {
        vec![first, Line::styled(keys, theme.dim)]
    } else {
        vec![first]
    };
    frame.render_widget(Paragraph::new(lines).style(theme.base), area);
}
