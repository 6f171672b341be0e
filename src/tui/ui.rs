//! Composes the screen. Every region is drawn by a free function
//! `render(frame, area, &app)` in `view/`, reading only the app state.
//!
//! ```text
//! wide (≥ 100 columns, ≥ 12 rows above the explanation)
//! ┌ mailflow: title ─────────── 1 Flow 2 Ladder … 6 Events ┐  tabs
//! │ ┌ Network ─────────────────┐┌ [n] protocol: a → b ───┐ │
//! │ │ map                      ││ transcript             │ │  half each; the
//! │ └ legend ──────────────────┘└────────────────────────┘ │  transcript ≤ 80
//! │ ┌ Explain ─────────────────────────────────────────────┐ │  a quarter of the
//! │ └──────────────────────────────────────────────────────┘ │  body, 5 to 12 rows
//! │ ▶ state speed · time · event n/N · session             │  status: 2 rows,
//! │ keys that matter now, most important first             │  1 below 16 rows
//! └────────────────────────────────────────────────────────┘
//!
//! narrow (80×24 and the like): the map (if ≥ 14 rows above the
//! explanation) over the transcript over the explanation; below 12 rows
//! of body the transcript alone.
//! ```
//! Other views replace everything between the tabs and the status bar.
//! A lesson (`tui --lesson`) takes a pane under the view for its step.
//! Below 20×5 only a one-line note is drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::app::{App, Overlay, View};
use super::view;

/// The smallest screen that gets a dashboard.
pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 5;

/// Tabs, body and status bar of a screen, or `None` when it is too small.
pub fn regions(area: Rect) -> Option<[Rect; 3]> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let status_height = if area.height >= 16 { 2 } else { 1 };
    Some(
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(status_height),
        ])
        .areas(area),
    )
}

/// The panes of the main view that take clicks, where they were drawn
/// on `screen` (a pane not on screen is `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub screen: Rect,
    pub map: Option<Rect>,
    pub transcript: Option<Rect>,
    pub explain: Option<Rect>,
    pub console: Option<Rect>,
}

/// Where the main view's panes go on `screen` for the app as it is: under
/// the tabs, above the lesson pane (if a lesson is walked) and the status
/// bar, placed for the console if it is open. Empty for the other views.
pub fn layout(app: &App, screen: Rect) -> Drawn {
    let mut drawn = Drawn {
        screen,
        ..Drawn::default()
    };
    let Some([_, body, _]) = regions(screen) else {
        return drawn;
    };
    if app.view != View::Main {
        return drawn;
    }
    let body = split_lesson(app, body).0;
    if app.console.is_some() {
        let panes = super::console::render::panes(body);
        drawn.map = panes.map;
        drawn.transcript = panes.transcript;
        drawn.explain = panes.explain;
        drawn.console = Some(panes.console);
    } else {
        let panes = main_panes(body);
        drawn.map = panes.map;
        drawn.transcript = Some(panes.transcript);
        drawn.explain = panes.explain;
    }
    drawn
}

/// The panes as the last draw placed them on `screen`, or (nothing
/// drawn at that size yet) as a draw would place them now.
pub fn drawn(app: &App, screen: Rect) -> Drawn {
    let last = app.drawn.get();
    if last.screen == screen {
        last
    } else {
        layout(app, screen)
    }
}

/// The view's part of `body` and the lesson pane under it, if any.
fn split_lesson(app: &App, body: Rect) -> (Rect, Option<Rect>) {
    match view::lesson::height(app, body.width, body.height) {
        0 => (body, None),
        h => {
            let [view_area, lesson] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(body);
            (view_area, Some(lesson))
        }
    }
}

/// The panes of the main view inside `body`.
pub struct Panes {
    pub map: Option<Rect>,
    pub transcript: Rect,
    pub explain: Option<Rect>,
}

pub fn main_panes(body: Rect) -> Panes {
    // The explanation grows with the screen: on a projector there is
    // room to read the whole entry without scrolling.
    let explain_height = if body.height >= 12 {
        (body.height / 4).clamp(5, 12)
    } else {
        0
    };
    let [top, explain] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(explain_height)]).areas(body);
    let explain = (explain_height > 0).then_some(explain);
    if top.width >= 100 && top.height >= 12 {
        // Half the width for the text a class reads: a reply with its
        // timestamp is up to ~100 columns (RFC 5321 allows 512), and on
        // a projector the map needs less room than the words.
        let transcript_width = (top.width / 2).clamp(50, 110);
        let [map, transcript] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(transcript_width)])
                .areas(top);
        Panes {
            map: Some(map),
            transcript,
            explain,
        }
    } else if top.height >= 14 {
        let map_height = (top.height * 2 / 5).max(7);
        let [map, transcript] =
            Layout::vertical([Constraint::Length(map_height), Constraint::Min(1)]).areas(top);
        Panes {
            map: Some(map),
            transcript,
            explain,
        }
    } else {
        Panes {
            map: None,
            transcript: top,
            explain,
        }
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    frame.render_widget(Paragraph::new("").style(app.theme.base), area);
    let Some([tabs, body, status]) = regions(area) else {
        let note = Line::from("mailflow: enlarge the window").style(app.theme.base);
        frame.render_widget(
            Paragraph::new(note).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    };
    view::tabs::render(frame, tabs, app);
    view::status::render(frame, status, app);
    // A lesson's pane sits under the view, above the status bar.
    let overlays = body;
    let (body, lesson) = split_lesson(app, body);
    if let Some(lesson) = lesson {
        view::lesson::render(frame, lesson, app);
    }
    // The mouse reads the panes from here, so it cannot miss them.
    let drawn = layout(app, area);
    app.drawn.set(drawn);
    match app.view {
        View::Main if app.console.is_some() => super::console::render::main(frame, drawn, app),
        View::Main => {
            if let Some(map) = drawn.map {
                view::map::render(frame, map, app);
            }
            if let Some(transcript) = drawn.transcript {
                view::transcript::render(frame, transcript, app);
            }
            if let Some(explain) = drawn.explain {
                view::explain::render(frame, explain, app);
            }
        }
        View::Ladder => view::ladder::render(frame, body, app),
        View::Letter => view::letter::render(frame, body, app),
        View::Queues => view::queues::render(frame, body, app),
        View::Dns => view::dns::render(frame, body, app),
        View::Events => view::events::render(frame, body, app),
    }
    match app.overlay {
        Overlay::Help => view::help::render(frame, area, app),
        Overlay::Predict => view::quiz::render(frame, overlays, app),
        Overlay::WhatIf => view::whatif::menu(frame, overlays, app),
        Overlay::Changes => view::whatif::changes(frame, overlays, app),
        Overlay::None | Overlay::Search => {}
    }
}
