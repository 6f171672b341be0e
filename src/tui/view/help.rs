//! The help overlay: every key, in one box.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::pane;
use crate::tui::app::App;

/// (keys, what they do), in the order a newcomer needs them.
pub const KEYS: [(&str, &str); 22] = [
    ("Space", "play / pause"),
    ("→ l", "step one event forward"),
    ("← h", "step one event back"),
    ("] [", "next / previous session"),
    ("} {", "next / previous hop of the followed message"),
    ("+ -", "faster / slower"),
    ("Home End", "first / last event"),
    ("Tab", "focus map, transcript, explanation"),
    ("↑ ↓ PgUp PgDn", "scroll the focused pane or view"),
    ("1", "flow: map, transcript, explanation"),
    ("2", "ladder: the followed message as a sequence diagram"),
    ("3", "letter: envelope beside headers, Received chain"),
    ("4", "queues and mailboxes at the playhead"),
    ("5", "DNS: zones, queries and answers"),
    ("6", "events: every event, filterable"),
    ("f", "follow the next message"),
    ("p", "pin / unpin the session on screen"),
    ("/ n", "search transcripts and events / find next"),
    ("t", "next theme (dark, light, high contrast, mono)"),
    ("mouse", "click a node or a line; wheel scrolls"),
    ("?", "this help"),
    ("q Esc Ctrl-C", "quit"),
];

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let width = area.width.min(70);
    let height = area.height.min(KEYS.len() as u16 + 4);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(keys, what)| Line::from(vec![Span::styled(format!("{keys:>14}  "), theme.accent), Span::styled(*what, theme.base)]))
        .collect();
    lines.push(Line::styled("Any key closes this help.", theme.dim));
    frame.render_widget(Clear, popup);
    let block = pane(" Keys ".into(), true, app);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).style(theme.base).block(block), popup);
}
