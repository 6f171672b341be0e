//! The top line: the scenario's title on the left, one tab per view on
//! the right. The tabs always fit (a view nobody can see is a view nobody
//! chooses): when the line is short the other tabs shrink to their number,
//! and the scenario's title gives way with an ellipsis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{fit, width};
use crate::tui::app::{App, View};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let room = area.width as usize;
    let tab = |view: View, named: bool| {
        let label = if named {
            format!(" {} ", view.title())
        } else {
            format!(" {} ", &view.title()[..1])
        };
        let style = if view == app.view {
            theme.playhead
        } else {
            theme.dim
        };
        Span::styled(label, style)
    };
    let full: Vec<Span> = View::ALL.iter().map(|&v| tab(v, true)).collect();
    let compact: Vec<Span> = View::ALL.iter().map(|&v| tab(v, v == app.view)).collect();
    let only: Vec<Span> = vec![tab(app.view, true)];
    let tabs_width = |tabs: &[Span]| tabs.iter().map(Span::width).sum::<usize>();
    // Full tabs while the title keeps 20 columns, then numbers.
    let tabs = [(full, 20), (compact, 12), (only, 0)]
        .into_iter()
        .find(|(t, title)| tabs_width(t) + title <= room || *title == 0)
        .map(|(t, _)| t)
        .unwrap_or_default();
    let title_room = room.saturating_sub(tabs_width(&tabs) + 1);
    // The program's name stays: on a projector, people ask what it is.
    let title = format!(" mailflow: {}", app.world.title);
    let title = fit(&title, title_room).into_owned();
    let gap = room.saturating_sub(width(&title) + tabs_width(&tabs));
    let mut spans = vec![Span::styled(title, theme.title), Span::raw(" ".repeat(gap))];
    spans.extend(tabs);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}
