//! The help overlay: every key (from the one table `keys::BINDINGS` that
//! the keys obey) and every symbol, in one box that fits 80×24. Any key
//! closes it. Over a live world, Space and End say how they follow the
//! live edge, and a last line (when there is room) says what live means.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use super::text::fit_spans;
use crate::tui::app::App;
use crate::tui::keys::BINDINGS;

/// (symbol, meaning), as the views use them.
pub const SYMBOLS: [(&str, &str); 12] = [
    ("▣", "client"),
    ("■", "mail server"),
    ("◆", "DNS server"),
    ("◎", "real machine"),
    ("✉", "mail moving"),
    ("? !", "DNS query, answer"),
    ("▶", "playhead"),
    ("▷", "rest of its group"),
    ("⏩", "time skipped"),
    ("✗", "failed or down"),
    ("queue n", "waiting"),
    ("✉ n", "in mailboxes"),
];

/// What Space and End do while the world runs.
const LIVE_KEYS: [(&str, &str); 2] = [
    (
        "Space",
        "play (follow the live edge) / pause (count new events)",
    ),
    ("Home End", "first event / the live edge, and follow it"),
];

/// The keys, with their live meaning when the world runs.
fn keys(app: &App) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .map(|b| {
            let live = LIVE_KEYS.iter().find(|(k, _)| *k == b.label);
            match live {
                Some(&entry) if app.is_live() => entry,
                _ => (b.label, b.what),
            }
        })
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let keys = keys(app);
    let width = area.width.min(78);
    let inner_w = width.saturating_sub(2) as usize;
    let key_w = keys
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(keys, what)| {
            let spans = vec![
                Span::styled(format!(" {keys:>key_w$}  "), theme.accent),
                Span::styled(*what, theme.base),
            ];
            Line::from(fit_spans(spans, inner_w))
        })
        .collect();
    // The blank line before the symbols goes first on a short screen
    // (80×24): every key and symbol row still shows.
    let symbols_at = lines.len();
    lines.push(Line::raw(""));
    // Symbols two or three to a line, as many as fit.
    let mut row: Vec<Span> = vec![Span::raw(" ")];
    let mut used = 1;
    for (symbol, meaning) in SYMBOLS {
        let w = super::text::width(&format!("{symbol} {meaning}   "));
        if used + w > inner_w && used > 1 {
            lines.push(Line::from(std::mem::replace(
                &mut row,
                vec![Span::raw(" ")],
            )));
            used = 1;
        }
        row.push(Span::styled(format!("{symbol} "), theme.accent));
        row.push(Span::styled(format!("{meaning}   "), theme.base));
        used += w;
    }
    lines.push(Line::from(row));
    if app.is_live() && app.console.is_none() {
        // Last, so that a short screen loses it rather than a key.
        let spans = vec![
            Span::styled(" ● LIVE ", theme.accent),
            Span::styled(
                "real clients reach this world now; events show as they happen",
                theme.base,
            ),
        ];
        lines.push(Line::from(fit_spans(spans, inner_w)));
    }
    if lines.len() + 2 > usize::from(area.height) {
        lines.remove(symbols_at);
    }
    // Still too tall (80×24): the mouse, which needs no telling, goes
    // before a symbol does.
    if lines.len() + 2 > usize::from(area.height)
        && let Some(mouse) = keys.iter().position(|(k, _)| *k == "mouse")
    {
        lines.remove(mouse);
    }
    let height = area.height.min(lines.len() as u16 + 2);
    let popup = super::centred(area, width, height);
    frame.render_widget(Clear, popup);
    let block = pane(" Keys and symbols ".into(), true, app)
        .title_bottom(Line::styled(" any key closes ", theme.dim).right_aligned());
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), popup);
}
