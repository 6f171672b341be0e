//! The help overlay: every key (from the one table `keys::BINDINGS` that
//! the keys obey) and every symbol, in one box. Where it is taller than
//! the screen (80×24) ↑↓ PgUp PgDn scroll it and the bottom border says
//! how much lies below; any other key closes it. Over a live world, Space and End say how they follow the
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

/// Every line of the help at `inner_w` columns: the keys, a blank, the
/// symbols, and (live) what live means.
fn lines(app: &App, inner_w: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let keys = keys(app);
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
        let spans = vec![
            Span::styled(" ● LIVE ", theme.accent),
            Span::styled(
                "real clients reach this world now; events show as they happen",
                theme.base,
            ),
        ];
        lines.push(Line::from(fit_spans(spans, inner_w)));
    }
    lines
}

/// The help's box on `area` and its lines.
fn placed(area: Rect, app: &App) -> (Rect, Vec<Line<'static>>) {
    let width = area.width.min(78);
    let lines = lines(app, width.saturating_sub(2) as usize);
    let height = area.height.min(lines.len() as u16 + 2);
    (super::centred(area, width, height), lines)
}

/// How far the help scrolls on `screen`: 0 when it shows whole.
pub fn max_scroll(app: &App, screen: Rect) -> u16 {
    let (popup, lines) = placed(screen, app);
    let shown = usize::from(popup.height.saturating_sub(2));
    lines.len().saturating_sub(shown) as u16
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let (popup, lines) = placed(area, app);
    // A short screen (80×24) scrolls the help, as the other panes scroll.
    let (scroll, below) = super::scroll_in(app.views.help_scroll, lines.len(), popup);
    let keys = if max_scroll(app, area) > 0 {
        " ↑↓ PgUp PgDn scroll · other keys close "
    } else {
        " any key closes "
    };
    frame.render_widget(Clear, popup);
    let mut block = pane(" Keys and symbols ".into(), true, app)
        .title_bottom(Line::styled(keys, theme.dim).right_aligned());
    if scroll > 0 {
        let above = format!(" ↑ {scroll} more above ");
        block = block.title_top(Line::styled(above, theme.accent).right_aligned());
    }
    if let Some(below) = below {
        block = block.title_bottom(Line::styled(below, theme.accent).left_aligned());
    }
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.base)
            .scroll((scroll, 0))
            .block(block),
        popup,
    );
}
