//! The dashboard: a ratatui view over a run and a playhead. A finished run
//! (`run`) was played first on the simulated clock and its trace plays
//! back at a human pace; a live one (`run_live`) grows while it is shown.
//! Nothing here reaches into a node: every pixel is a function of the
//! trace, its indexes and the app state.
//!
//! * `app`: the playhead and the small per-view states
//! * `live`: a world still running: its feed, the live edge
//! * `compute`: a world still computing beside the dashboard
//! * `keys`: keys and mouse
//! * `predict`: predict mode's questions, answers and score
//! * `lesson`: a guided lesson's steps, walked one at a time
//! * `whatif`: the what-if menu, its branch and the run it came from
//! * `console`: "be the client": type SMTP or POP3 as a host of the world
//! * `ui`: the layout, and `view/`: one file per screen region
//! * `theme`: dark, light, high contrast, monochrome (NO_COLOR)

pub mod app;
pub mod compute;
pub mod console;
pub mod keys;
pub mod lesson;
pub mod live;
pub mod placing;
pub mod predict;
pub mod theme;
pub mod ui;
pub mod view;
pub mod whatif;

use std::io;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;
use ratatui::DefaultTerminal;

pub use app::{App, World};
pub use live::Live;
pub use theme::Theme;

/// How often the screen is redrawn while playing (never while paused).
const FRAME: Duration = Duration::from_millis(40);

/// Shows `world` until the user quits.
pub fn run(world: World, theme: Theme) -> io::Result<()> {
    run_with(world, theme, false).map(|_| ())
}

/// Shows `world` until the user quits, in predict mode from the start if
/// asked; returns the quiz, for a summary once the terminal is restored.
pub fn run_with(world: World, theme: Theme, predict: bool) -> io::Result<predict::Predict> {
    let classroom = Classroom {
        predict,
        ..Classroom::default()
    };
    run_classroom(world, theme, classroom)
}

/// What a class does with a run: predict its replies, answer the
/// scenario's quiz, walk its lesson.
#[derive(Debug, Clone, Default)]
pub struct Classroom {
    /// Predict mode from the start (`--predict`).
    pub predict: bool,
    /// Only the scenario's own questions (`--quiz`).
    pub quiz_only: bool,
    /// Walk the lesson (`mailflow lesson`, `tui --lesson`).
    pub lesson: bool,
    /// The scenario's quiz and lesson, placed on the run.
    pub resolved: crate::scenario::lesson::Resolved,
}

impl App {
    /// Sets up predict mode, the quiz and the lesson as `classroom` asks.
    pub fn enter_classroom(&mut self, classroom: Classroom) {
        self.predict.on = classroom.predict || classroom.quiz_only;
        self.predict.quiz_only = classroom.quiz_only;
        self.predict.quiz = classroom.resolved.quiz;
        self.lesson.lesson = classroom.resolved.lesson;
        if classroom.lesson {
            lesson::start(self);
        }
    }
}

/// Shows `world` as `classroom` asks until the user quits; returns the
/// quiz, for a summary once the terminal is restored.
pub fn run_classroom(
    world: World,
    theme: Theme,
    classroom: Classroom,
) -> io::Result<predict::Predict> {
    let mut app = App::new(world, theme);
    app.enter_classroom(classroom);
    in_terminal(|terminal| event_loop(terminal, &mut app, None))?;
    Ok(app.predict)
}

/// Shows `plan`'s world while it computes on another thread: the
/// dashboard opens at once and grows as the world runs (see `compute`).
pub fn run_computing(plan: crate::plan::Plan, theme: Theme) -> io::Result<()> {
    run_computing_classroom(plan, theme, Classroom::default(), None).map(|_| ())
}

/// Shows `plan`'s world while it computes, as `classroom` asks, its quiz
/// and lesson (`placing`) placed as the world reaches them; returns the
/// dashboard as it closed, for the summary and what did not fit.
pub fn run_computing_classroom(
    plan: crate::plan::Plan,
    theme: Theme,
    classroom: Classroom,
    placing: Option<placing::Placing>,
) -> io::Result<App> {
    let mut app = computing_classroom(plan, theme, classroom, placing);
    in_terminal(|terminal| event_loop(terminal, &mut app, None))?;
    Ok(app)
}

/// The dashboard over `plan`'s world, computing, set up as `classroom`
/// asks: what the world's first instant places is placed already.
pub fn computing_classroom(
    plan: crate::plan::Plan,
    theme: Theme,
    classroom: Classroom,
    placing: Option<placing::Placing>,
) -> App {
    let (world, mut computing) = compute::start(plan);
    let mut app = App::new(world, theme);
    app.lesson.total = placing.as_ref().map_or(0, placing::Placing::steps);
    computing.placing = placing;
    app.computing = Some(computing);
    let walk = classroom.lesson;
    app.enter_classroom(Classroom {
        lesson: false,
        ..classroom
    });
    placing::update(&mut app, true);
    if walk {
        lesson::start(&mut app);
    }
    app
}

/// Shows `plan`'s world with the console open as `host` (`mailflow tui
/// NAME --as HOST`) until the user quits.
pub fn run_as(
    plan: &crate::plan::Plan,
    host: crate::trace::HostId,
    theme: Theme,
) -> io::Result<Result<(), String>> {
    let mut app = match console::open(plan, host, theme) {
        Ok(app) => app,
        Err(e) => return Ok(Err(e)),
    };
    in_terminal(|terminal| event_loop(terminal, &mut app, None)).map(Ok)
}

/// Shows a world that is still running, its events arriving through
/// `feed` in order, until the user quits; the caller then stops the
/// world. When `feed` disconnects, the run is shown as finished.
pub fn run_live(
    world: World,
    theme: Theme,
    feed: Receiver<crate::trace::Event>,
    live: Live,
) -> io::Result<()> {
    let mut app = App::new_live(world, theme, live);
    in_terminal(|terminal| event_loop(terminal, &mut app, Some(&feed)))
}

/// Runs `body` on the full-screen terminal. The terminal is restored on
/// every exit path: q, Esc, Ctrl-C, an error, or a panic (ratatui's hook
/// restores it before the panic message is printed).
fn in_terminal(body: impl FnOnce(&mut DefaultTerminal) -> io::Result<()>) -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let mut terminal = ratatui::init();
    // Only a panic of this thread ends the dashboard. Another thread's (the
    // world's, under `mailflow serve`) must not restore the terminal under
    // a running dashboard: it is reported when that thread is joined.
    let ui = std::thread::current().id();
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
            restore(info);
        }
    }));
    let _ = execute!(io::stdout(), EnableMouseCapture);
    let result = body(&mut terminal);
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// How long to wait for input before looking again: a frame while
/// something moves; `live::POLL` while only the feed may bring news;
/// forever (`None`) when nothing can change without a key.
fn wait(app: &App) -> Option<Duration> {
    if app.console.as_ref().is_some_and(|c| c.busy > 0) {
        // The console's world is answering: show it as soon as it has.
        Some(FRAME)
    } else if app.computing.is_some() {
        // The world computes: its progress moves on screen.
        Some(FRAME)
    } else if app.waiting_at_live_edge() {
        Some(live::POLL)
    } else if app.playing {
        Some(FRAME)
    } else if app.is_live() {
        Some(live::POLL)
    } else {
        None
    }
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    feed: Option<&Receiver<crate::trace::Event>>,
) -> io::Result<()> {
    let mut dirty = true;
    let mut last = Instant::now();
    loop {
        if dirty {
            terminal.draw(|frame| ui::draw(frame, app))?;
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        // An idle dashboard costs no CPU: it blocks, or (live) wakes a few
        // times a second and redraws only when something came.
        let ready = match wait(app) {
            Some(timeout) => event::poll(timeout)?,
            None => true,
        };
        if ready {
            let size = terminal.size()?;
            let screen = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    keys::handle_key(app, key, screen);
                    dirty = true;
                }
                // Plain movement changes nothing: no redraw, so a paused
                // dashboard stays idle under a moving mouse.
                Event::Mouse(mouse) if mouse.kind == crossterm::event::MouseEventKind::Moved => {}
                Event::Mouse(mouse) => {
                    keys::handle_mouse(app, mouse, screen);
                    dirty = true;
                }
                Event::Resize(_, _) => dirty = true,
                _ => {}
            }
        }
        if let Some(feed) = feed {
            dirty |= live::drain(app, feed);
        }
        dirty |= console::pump(app);
        dirty |= compute::pump(app);
        let now = Instant::now();
        if app.playing {
            dirty |= advance(app, now - last);
        }
        last = now;
    }
}

/// Moves the animation on by `elapsed` of wall time; true when anything
/// on screen changed. A finished run stops at its end; a live one waits
/// there, and catches up faster when far behind (see `live`).
pub fn advance(app: &mut App, elapsed: Duration) -> bool {
    if app.waiting_at_live_edge() {
        return false;
    }
    let pace = app.catch_up();
    let step = (app.step_duration().as_secs_f64() / pace).max(0.001);
    app.progress += elapsed.as_secs_f64() / step;
    // A finished run takes at most one step a frame; a backlog, several.
    let mut steps = if pace > 1.0 {
        live::MAX_STEPS_PER_FRAME
    } else {
        1
    };
    while app.progress >= 1.0 && steps > 0 {
        if app.pos >= app.edge() {
            app.progress = 1.0;
            // A world still computing brings more: wait for it.
            if !app.is_live() && app.computing.is_none() {
                app.playing = false;
                app.notice = Some("the end of the run: Home to start over, ← to step back".into());
            } else if let Some(note) = placing::waiting_note(app) {
                app.notice = Some(note);
            }
            break;
        }
        let carry = app.progress - 1.0;
        // The playhead moves on: a notice about where it was is stale.
        app.notice = None;
        app.step_forward();
        // A predict question stopped playback: the step waits for it.
        if app.overlay == app::Overlay::Predict {
            break;
        }
        if pace > 1.0 {
            app.progress = carry;
        }
        steps -= 1;
    }
    app.progress = app.progress.min(1.0);
    app.forget_arrivals();
    lesson::tick(app);
    true
}
