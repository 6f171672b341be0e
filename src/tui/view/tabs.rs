//! The top line: the scenario's title on the left, one tab per view on
//! the right. The tabs always fit (a view nobody can see is a view nobody
//! chooses): when the line is short the other tabs shrink to their number,
//! and the scenario's title gives way with an ellipsis. A live world's
//! hint for newcomers follows the title when the line has room for it
//! beside named tabs, in place of the scenario's title if need be.

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
    // Named, one space apart: the names stay when the line is busy.
    let tight: Vec<Span> = View::ALL
        .iter()
        .flat_map(|&v| {
            let style = if v == app.view {
                theme.playhead
            } else {
                theme.dim
            };
            [Span::raw(" "), Span::styled(v.title(), style)]
        })
        .collect();
    let compact: Vec<Span> = View::ALL.iter().map(|&v| tab(v, v == app.view)).collect();
    let only: Vec<Span> = vec![tab(app.view, true)];
    let tabs_width = |tabs: &[Span]| tabs.iter().map(Span::width).sum::<usize>();
    // The program's name stays: on a projector, people ask what it is.
    let title = format!(" mailflow: {}", app.world.title);
    let hint = app
        .live
        .as_ref()
        .filter(|l| l.connected)
        .and_then(|l| l.about.hint.as_deref());
    let choices = [(full, 20), (tight, 20), (compact, 12), (only, 0)];
    // A newcomer's hint goes whole, with named tabs only: the scenario's
    // title gives way to it, and it is dropped before the tabs lose their
    // names (the transcript repeats it while no client has come).
    let with_hint = hint.and_then(|hint| {
        choices[..2].iter().find_map(|(tabs, _)| {
            let room = room.saturating_sub(tabs_width(tabs) + 1);
            [
                format!("{title} · try: {hint}"),
                format!(" mailflow · try: {hint}"),
            ]
            .into_iter()
            .find(|t| width(t) <= room)
            .map(|t| (tabs.clone(), t))
        })
    });
    let (tabs, title) = with_hint.unwrap_or_else(|| {
        // Named tabs while the title keeps 20 columns, then numbers.
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
