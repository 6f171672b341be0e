//! The top line: the scenario's title on the left, one tab per view on
//! the right. The tabs always fit (a view nobody can see is a view nobody
//! chooses): when the line is short the other tabs shrink to their number,
//! and the scenario's title gives way with an ellipsis. A live world's
//! hint for newcomers follows the title when the line has room for it,
//! with shorter tabs if need be.

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
    // The program's name stays: on a projector, people ask what it is.
    let title = format!(" mailflow: {}", app.world.title);
    let hinted = app
        .live
        .as_ref()
        .filter(|l| l.connected)
        .and_then(|l| l.about.hint.as_deref())
        .map(|hint| format!("{title} · try: {hint}"));
    let choices = [(full, 20), (compact, 12), (only, 0)];
    // A newcomer's hint is worth numbered tabs (not fewer); it is dropped
    // before the title gives way.
    let with_hint = hinted.and_then(|hinted| {
        let need = width(&hinted) + 1;
        let tabs = choices[..2]
            .iter()
            .find(|(t, _)| tabs_width(t) + need <= room)?;
        Some((tabs.0.clone(), hinted))
    });
    let (tabs, title) = with_hint.unwrap_or_else(|| {
        // Full tabs while the title keeps 20 columns, then numbers.
        let tabs = choices
            .into_iter()
            .find(|(t, title)| tabs_width(t) + title <= room || *title == 0)
            .map(|(t, _)| t)
            .unwrap_or_default();
        (tabs, title)
    });
    let title_room = room.saturating_sub(tabs_width(&tabs) + 1);
    let title = fit(&title, title_room).into_owned();
    let gap = room.saturating_sub(width(&title) + tabs_width(&tabs));
    let mut spans = vec![Span::styled(title, theme.title), Span::raw(" ".repeat(gap))];
    spans.extend(tabs);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}
