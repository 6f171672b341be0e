//! The top line: the scenario's title and one tab per view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, View};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = vec![Span::styled(format!(" mailflow: {} ", app.world.title), theme.title)];
    for view in View::ALL {
        let style = if view == app.view { theme.playhead } else { theme.dim };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} ", view.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}
