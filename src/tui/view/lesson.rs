//! The lesson pane: the step's text, where the lesson stands, and what to
//! do to move on. Below the view, above the status bar, so the class reads
//! the step and sees the run at once.
//!
//! ```text
//! ┌ Lesson · step 3/9 ─────────────────────────────────────────────┐
//! │ smtp.example.org asks DNS where example.net takes its mail ... │
//! │                                          > next step · < back  │
//! └────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use super::text::{fit, wrap};
use crate::tui::app::App;
use crate::tui::lesson::{hint, pane_note};

/// The rows the pane wants for the current step at `width`: its text
/// wrapped and the borders (the hint is on the bottom one); at most half
/// of `body`.
pub fn height(app: &App, width: u16, body: u16) -> u16 {
    let text = match (app.lesson.current(), pane_note(app)) {
        (_, Some((_, text, _))) => text,
        (Some(step), None) => step.text.clone(),
        (None, None) => return 0,
    };
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows = text
        .split('\n')
        .map(|p| wrap(&[Span::raw(p.to_owned())], inner, 0).len().max(1))
        .sum::<usize>();
    (rows as u16 + 2).min(body / 2).max(3)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    // What is wrong, or what the step waits for, in place of its text.
    let (title, text, style) = match (app.lesson.current(), pane_note(app)) {
        (_, Some((title, text, error))) => {
            (title, text, if error { theme.err } else { theme.warn })
        }
        (Some(step), None) => (
            format!(" Lesson · {} ", app.lesson.progress()),
            step.text.clone(),
            theme.base,
        ),
        (None, None) => return,
    };
    let room = area.width.saturating_sub(4) as usize;
    let hint = hint(app);
    let mut block = pane(fit(&title, room).into_owned(), false, app);
    if !hint.is_empty() {
        let hint = format!(" {hint} ");
        block = block.title_bottom(
            Line::styled(fit(&hint, room).into_owned(), theme.accent).right_aligned(),
        );
    }
    let lines: Vec<Line> = text
        .split('\n')
        .map(|p| Line::from(Span::styled(p.to_owned(), style)))
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.base)
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}
