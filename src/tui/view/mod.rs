//! One small file per screen region, each a free function
//! `render(frame, area, &app)` that reads the app and draws.

pub mod dns;
pub mod events;
pub mod explain;
pub mod help;
pub mod ladder;
pub mod lesson;
pub mod letter;
pub mod map;
pub mod queues;
pub mod quiz;
pub mod status;
pub mod tabs;
pub mod text;
pub mod transcript;
pub mod whatif;
pub mod why;

use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType};

use super::app::App;

/// A bordered pane; the focused one gets the accent colour and a heavier
/// border, so focus shows without colour too.
pub fn pane<'a>(title: String, focused: bool, app: &App) -> Block<'a> {
    let (style, kind) = if focused {
        (app.theme.accent, BorderType::Thick)
    } else {
        (app.theme.border, BorderType::Plain)
    };
    Block::bordered()
        .border_type(kind)
        .border_style(style)
        .title(title)
        .title_style(app.theme.title)
        .style(Style::default())
}

/// A box `width` wide and up to `height` high, centred in `area`, for an
/// overlay.
pub fn centred(area: ratatui::layout::Rect, width: u16, height: u16) -> ratatui::layout::Rect {
    use ratatui::layout::{Constraint, Flex, Layout};
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    popup
}

/// A scroll offset for `lines` lines in the bordered pane `area` that
/// stops at the last page (never a blank pane), and a note for the bottom
/// border when more lies below.
pub fn scroll_in(scroll: u16, lines: usize, area: ratatui::layout::Rect) -> (u16, Option<String>) {
    let height = usize::from(area.height.saturating_sub(2));
    let scroll = usize::from(scroll).min(lines.saturating_sub(height));
    let below = lines.saturating_sub(scroll + height);
    let note = match below {
        0 => None,
        1 => Some(" ↓ 1 more line ".to_owned()),
        n => Some(format!(" ↓ {n} more lines ")),
    };
    (scroll as u16, note)
}
