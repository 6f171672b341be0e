//! The dashboard: a ratatui view over a finished run and a playhead. The
//! world runs first on the simulated clock; then the trace plays back at a
//! human pace. Nothing here reaches into a node: every pixel is a function
//! of the trace, its indexes and the app state.
//!
//! * `app`: the playhead and the small per-view states
//! * `keys`: keys and mouse
//! * `ui`: the layout, and `view/`: one file per screen region
//! * `theme`: dark, light, high contrast, monochrome (NO_COLOR)

pub mod app;
pub mod keys;
pub mod theme;
pub mod ui;
pub mod view;

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;
use ratatui::DefaultTerminal;

pub use app::{App, World};
pub use theme::Theme;

/// How often the screen is redrawn while playing (never while paused).
const FRAME: Duration = Duration::from_millis(40);

/// Shows `world` until the user quits. The terminal is restored on every
/// exit path: q, Esc, Ctrl-C, an error, or a panic (ratatui's hook restores
/// it before the panic message is printed).
pub fn run(world: World, theme: Theme) -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let mut terminal = ratatui::init();
    let _ = execute!(io::stdout(), EnableMouseCapture);
    let mut app = App::new(world, theme);
    let result = event_loop(&mut terminal, &mut app);
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
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
        // Paused: block until something happens, so an idle dashboard
        // costs no CPU. Playing: wake every frame.
        let ready = if app.playing {
            event::poll(FRAME)?
        } else {
            true
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
        let now = Instant::now();
        if app.playing {
            advance(app, now - last);
            dirty = true;
        }
        last = now;
    }
}

/// Moves the animation on by `elapsed` of wall time.
pub fn advance(app: &mut App, elapsed: Duration) {
    let step = app.step_duration().as_secs_f64().max(0.001);
    app.progress += elapsed.as_secs_f64() / step;
    if app.progress >= 1.0 {
        if app.pos >= app.len() {
            app.playing = false;
            app.progress = 1.0;
            app.notice = Some("the end of the run: Home to start over, ← to step back".into());
        } else {
            app.step_forward();
        }
    }
}
