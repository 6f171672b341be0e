//! Keys and mouse: each input becomes a change of the app state. Every
//! key has one meaning in every view, written once in `BINDINGS`: this
//! file dispatches from it and the help overlay lists it, so the two
//! cannot drift.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Focus, Overlay, View};
use super::lesson;
use super::predict::Phase;
use super::theme::Theme;
use super::ui;
use super::view;
use super::whatif;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    PlayPause,
    StepBack,
    StepForward,
    PreviousSession,
    NextSession,
    PreviousHop,
    NextHop,
    Slower,
    Faster,
    First,
    Last,
    Show(View),
    Follow,
    Pin,
    Search,
    FindNext,
    FocusNext,
    FocusPrevious,
    Up,
    Down,
    PageUp,
    PageDown,
    Enter,
    HideDns,
    FailuresOnly,
    OneHost,
    NextTheme,
    Eavesdrop,
    Predict,
    WhatIf,
    Branch,
    Changes,
    Console,
    LessonNext,
    LessonBack,
    Help,
    Quit,
}

/// One line of the help: the keys as the help writes them, what they do,
/// and each key with its command.
pub struct Binding {
    pub label: &'static str,
    pub what: &'static str,
    pub keys: &'static [(KeyCode, Command)],
}

use Command as C;
use KeyCode::Char;

/// Every key, in the order a newcomer needs them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        label: "Space",
        what: "play / pause",
        keys: &[(Char(' '), C::PlayPause)],
    },
    Binding {
        label: "← → h l",
        what: "step one line or event back / forward",
        keys: &[
            (KeyCode::Left, C::StepBack),
            (KeyCode::Right, C::StepForward),
            (Char('h'), C::StepBack),
            (Char('l'), C::StepForward),
        ],
    },
    Binding {
        label: "[ ]",
        what: "previous / next session",
        keys: &[(Char('['), C::PreviousSession), (Char(']'), C::NextSession)],
    },
    Binding {
        label: "{ }",
        what: "previous / next hop of the followed message",
        keys: &[(Char('{'), C::PreviousHop), (Char('}'), C::NextHop)],
    },
    Binding {
        label: "- +",
        what: "slower / faster",
        keys: &[
            (Char('-'), C::Slower),
            (Char('_'), C::Slower),
            (Char('+'), C::Faster),
            (Char('='), C::Faster),
        ],
    },
    Binding {
        label: "Home End",
        what: "first / last event",
        keys: &[(KeyCode::Home, C::First), (KeyCode::End, C::Last)],
    },
    Binding {
        label: "1 … 6",
        what: "views: flow, ladder, letter, queues, DNS, events",
        keys: &[
            (Char('1'), C::Show(View::Main)),
            (Char('2'), C::Show(View::Ladder)),
            (Char('3'), C::Show(View::Letter)),
            (Char('4'), C::Show(View::Queues)),
            (Char('5'), C::Show(View::Dns)),
            (Char('6'), C::Show(View::Events)),
        ],
    },
    Binding {
        label: "f",
        what: "follow the next message (ladder, letter, { })",
        keys: &[(Char('f'), C::Follow)],
    },
    Binding {
        label: "p",
        what: "pin the session on screen / follow the playhead",
        keys: &[(Char('p'), C::Pin)],
    },
    Binding {
        label: "/ n",
        what: "search transcripts and events / find the next",
        keys: &[(Char('/'), C::Search), (Char('n'), C::FindNext)],
    },
    Binding {
        label: "Tab ⇧Tab",
        what: "focus the map, the transcript or the explanation",
        keys: &[
            (KeyCode::Tab, C::FocusNext),
            (KeyCode::BackTab, C::FocusPrevious),
        ],
    },
    Binding {
        label: "↑ ↓ PgUp PgDn",
        what: "scroll the focused pane or the view",
        keys: &[
            (KeyCode::Up, C::Up),
            (Char('k'), C::Up),
            (KeyCode::Down, C::Down),
            (Char('j'), C::Down),
            (KeyCode::PageUp, C::PageUp),
            (KeyCode::PageDown, C::PageDown),
        ],
    },
    Binding {
        label: "Enter",
        what: "events: jump there; letter: the Received line's hop",
        keys: &[(KeyCode::Enter, C::Enter)],
    },
    Binding {
        label: "d x o",
        what: "events: hide DNS, failures only, one host at a time",
        keys: &[
            (Char('d'), C::HideDns),
            (Char('x'), C::FailuresOnly),
            (Char('o'), C::OneHost),
        ],
    },
    Binding {
        label: "t",
        what: "next theme: dark, light, high contrast, mono",
        keys: &[(Char('t'), C::NextTheme)],
    },
    Binding {
        label: "e",
        what: "the link's view: TLS records instead of 🔒 lines",
        keys: &[(Char('e'), C::Eavesdrop)],
    },
    Binding {
        label: "g",
        what: "predict: guess each server reply before it shows",
        keys: &[(Char('g'), C::Predict)],
    },
    Binding {
        label: "w b c",
        what: "what if this reply differed; switch runs; what changed",
        keys: &[
            (Char('w'), C::WhatIf),
            (Char('b'), C::Branch),
            (Char('c'), C::Changes),
        ],
    },
    Binding {
        label: "a",
        what: "type SMTP/POP3 as a client (real sockets: mailflow serve)",
        keys: &[(Char('a'), C::Console)],
    },
    Binding {
        label: "< >",
        what: "lesson: previous / next step",
        keys: &[
            (Char('<'), C::LessonBack),
            (Char(','), C::LessonBack),
            (Char('>'), C::LessonNext),
            (Char('.'), C::LessonNext),
        ],
    },
    Binding {
        label: "mouse",
        what: "click a host or a transcript line; wheel scrolls",
        keys: &[],
    },
    Binding {
        label: "?",
        what: "this help",
        keys: &[(Char('?'), C::Help)],
    },
    Binding {
        label: "q Esc",
        what: "quit (Ctrl-C too)",
        keys: &[(Char('q'), C::Quit), (KeyCode::Esc, C::Quit)],
    },
];

/// The command of a key, the same in every view.
pub fn command(key: KeyEvent) -> Option<Command> {
    if key.code == Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(C::Quit);
    }
    BINDINGS
        .iter()
        .flat_map(|b| b.keys)
        .find(|(code, _)| *code == key.code)
        .map(|&(_, command)| command)
}

/// The order Tab moves the focus in.
const FOCUS_ORDER: [Focus; 3] = [Focus::Map, Focus::Transcript, Focus::Explain];

fn focus_step(focus: Focus, by: isize) -> Focus {
    let i = FOCUS_ORDER.iter().position(|&f| f == focus).unwrap_or(0) as isize;
    FOCUS_ORDER[(i + by).rem_euclid(FOCUS_ORDER.len() as isize) as usize]
}

/// The one key that moves the focus from `from` to `to`: `Tab` or
/// `⇧Tab`, or `None` when it is there already. For hints such as "↓ 10
/// more lines: Tab here, then ↓".
pub fn focus_key(from: Focus, to: Focus) -> Option<&'static str> {
    if from == to {
        None
    } else if focus_step(from, 1) == to {
        Some("Tab")
    } else {
        Some("⇧Tab")
    }
}

pub fn handle_key(app: &mut App, key: KeyEvent, screen: Rect) {
    dispatch(app, key, screen);
    // A lesson step whose goal now holds moves on.
    lesson::tick(app);
}

fn dispatch(app: &mut App, key: KeyEvent, screen: Rect) {
    app.notice = None;
    // Only the key right after the first Esc confirms leaving a lesson.
    let leaving = std::mem::take(&mut app.lesson.leaving);
    match app.overlay {
        Overlay::Search => return search_key(app, key),
        Overlay::Predict => return predict_key(app, key),
        Overlay::WhatIf => return menu_key(app, key),
        Overlay::Changes => {
            app.overlay = Overlay::None;
            // b and q keep their meaning over the summary.
            match command(key) {
                Some(C::Branch) => whatif::switch(app),
                Some(C::Quit) if key.code != KeyCode::Esc => app.quit = true,
                _ => {}
            }
            return;
        }
        Overlay::Help => {
            // The arrows scroll a help taller than the screen; any other
            // key (and any key over a help that shows whole) closes it.
            let max = view::help::max_scroll(app, screen);
            let page = screen.height.saturating_sub(4).max(1);
            let scroll = &mut app.views.help_scroll;
            match command(key) {
                Some(C::Up) if max > 0 => *scroll = scroll.saturating_sub(1),
                Some(C::Down) if max > 0 => *scroll = (*scroll + 1).min(max),
                Some(C::PageUp) if max > 0 => *scroll = scroll.saturating_sub(page),
                Some(C::PageDown) if max > 0 => *scroll = (*scroll + page).min(max),
                _ => app.overlay = Overlay::None,
            }
            return;
        }
        Overlay::None => {}
    }
    if super::console::handle_key(app, key) {
        return;
    }
    let Some(command) = command(key) else {
        return;
    };
    let in_events = app.view == View::Events;
    match command {
        // Esc is also the key that closes things: in a lesson it asks
        // first, so that a reflex does not end the student's walk.
        C::Quit if key.code == KeyCode::Esc && app.lesson.on && !leaving => {
            app.lesson.leaving = true;
            app.notice = Some(format!(
                "Esc again leaves the lesson at {} (q quits at once)",
                app.lesson.progress()
            ));
        }
        C::Quit => app.quit = true,
        C::PlayPause => {
            // At the end of a finished run, play again; at the live edge,
            // play means wait for what comes next.
            if app.pos >= app.len() && !app.is_live() {
                app.seek(0);
            }
            app.playing = !app.playing;
        }
        C::StepForward => {
            app.playing = false;
            app.step_forward();
        }
        C::StepBack => {
            app.playing = false;
            app.step_back();
        }
        C::NextSession => app.jump_session(true),
        C::PreviousSession => app.jump_session(false),
        C::NextHop => app.jump_hop(true),
        C::PreviousHop => app.jump_hop(false),
        C::Faster => app.faster(),
        C::Slower => app.slower(),
        C::First => {
            app.playing = false;
            app.seek(0);
            app.views.events_selected = 0;
        }
        C::Last => {
            let end = app.len();
            app.seek(end);
            // The events list goes to the end with the playhead.
            let rows = view::events::count(app, &app.views.events_filter);
            app.views.events_selected = rows.saturating_sub(1);
            // Live, the end is the live edge: stay there as it moves.
            app.playing = app.is_live();
        }
        C::FocusNext => app.focus = focus_step(app.focus, 1),
        C::FocusPrevious => app.focus = focus_step(app.focus, -1),
        C::Show(view) => {
            app.view = view;
            app.views.scroll = 0;
        }
        C::Follow => app.cycle_follow(),
        C::Pin => {
            app.pinned = match app.pinned {
                Some(_) => None,
                None => app.session().map(|s| s.connection.conn),
            };
        }
        C::Search => {
            app.overlay = Overlay::Search;
            app.search.clear();
        }
        C::FindNext if app.search.is_empty() => {
            app.notice = Some("n finds the next match: search first with /".into())
        }
        C::FindNext => app.search_next(),
        C::NextTheme => next_theme(app),
        C::Help => {
            app.overlay = Overlay::Help;
            app.views.help_scroll = 0;
        }
        C::Predict => app.toggle_predict(),
        C::WhatIf => whatif::open(app),
        C::Branch => whatif::switch(app),
        C::Changes => whatif::show_changes(app),
        C::Console => super::console::open_or_focus(app),
        C::LessonNext => lesson::next(app),
        C::LessonBack => lesson::back(app),
        C::HideDns | C::FailuresOnly | C::OneHost if !in_events => {
            app.notice = Some("d x o filter the events list: press 6 to see it".into())
        }
        C::HideDns => {
            app.views.events_filter.hide_dns = !app.views.events_filter.hide_dns;
            app.views.events_selected = 0;
        }
        C::FailuresOnly => {
            app.views.events_filter.failures_only = !app.views.events_filter.failures_only;
            app.views.events_selected = 0;
        }
        C::OneHost => cycle_host(app),
        C::Eavesdrop => {
            app.views.eavesdrop = !app.views.eavesdrop;
            app.notice = Some(if app.views.eavesdrop {
                "e: the link's view: each 🔒 flight shows as the TLS records that carried it, which only the two ends can read; e again for their view".into()
            } else {
                "e: the ends' view again: the lines they read inside TLS, marked 🔒".into()
            });
        }
        C::Up => scroll(app, -1),
        C::Down => scroll(app, 1),
        C::PageUp => scroll(app, -(i32::from(screen.height) / 2).max(1)),
        C::PageDown => scroll(app, (i32::from(screen.height) / 2).max(1)),
        C::Enter => enter(app),
    }
}

fn search_key(app: &mut App, key: KeyEvent) {
    match key.code {
        KeyCode::Enter => {
            app.overlay = Overlay::None;
            app.search_next();
        }
        KeyCode::Esc => {
            app.overlay = Overlay::None;
            app.search.clear();
        }
        KeyCode::Backspace => {
            app.search.pop();
        }
        KeyCode::Char(c) if app.search.chars().count() < 64 => app.search.push(c),
        _ => {}
    }
}

/// The question takes 1–9 (or a–d) and Esc; the reveal, any key. Ctrl-C
/// still quits, and the predict key turns the mode off.
fn predict_key(app: &mut App, key: KeyEvent) {
    let command = command(key);
    // q quits here too, as everywhere (Esc, its twin elsewhere, skips).
    let quit = key.code == Char('q') || key.modifiers.contains(KeyModifiers::CONTROL);
    if command == Some(C::Quit) && quit {
        app.quit = true;
        return;
    }
    // A lesson moves on (or back) from a question too: it is skipped.
    match command {
        Some(C::LessonNext) if app.lesson.on => return lesson::next(app),
        Some(C::LessonBack) if app.lesson.on => return lesson::back(app),
        _ => {}
    }
    if !matches!(app.predict.phase, Some(Phase::Asking(_))) {
        app.continue_after_question();
        return;
    }
    match key.code {
        Char(c @ '1'..='9') => {
            app.predict.answer(c as usize - '1' as usize);
        }
        Char(c @ 'a'..='d') => {
            app.predict.answer(c as usize - 'a' as usize);
        }
        KeyCode::Esc => {
            app.predict.skip();
            app.continue_after_question();
        }
        _ if command == Some(C::Predict) => app.toggle_predict(),
        _ => {}
    }
}

/// The what-if menu: ↑↓ (or j k) and Enter, or a number; Esc closes.
fn menu_key(app: &mut App, key: KeyEvent) {
    let Some(menu) = app.whatif.menu.as_mut() else {
        app.overlay = Overlay::None;
        return;
    };
    let n = menu.choices.len();
    match key.code {
        KeyCode::Up | Char('k') => menu.selected = menu.selected.saturating_sub(1),
        KeyCode::Down | Char('j') => menu.selected = (menu.selected + 1).min(n.saturating_sub(1)),
        KeyCode::Enter => {
            let k = menu.selected;
            whatif::choose(app, k);
        }
        Char(c @ '1'..='9') if (c as usize - '1' as usize) < n => {
            whatif::choose(app, c as usize - '1' as usize);
        }
        Char('0') if n >= 10 => whatif::choose(app, 9),
        Char(c @ 'a'..='f') if 10 + (c as usize - 'a' as usize) < n => {
            whatif::choose(app, 10 + c as usize - 'a' as usize);
        }
        KeyCode::Esc => {
            app.whatif.menu = None;
            app.overlay = Overlay::None;
        }
        Char('q') => app.quit = true,
        _ if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') => {
            app.quit = true
        }
        _ => {}
    }
}

fn next_theme(app: &mut App) {
    if app.theme == Theme::mono() && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        app.notice = Some("NO_COLOR is set: staying monochrome".into());
        return;
    }
    let i = Theme::NAMES
        .iter()
        .position(|n| *n == app.theme.name)
        .unwrap_or(0);
    let name = Theme::NAMES[(i + 1) % Theme::NAMES.len()];
    app.theme = Theme::by_name(name).unwrap_or_else(Theme::dark);
    app.notice = Some(format!("theme: {name}"));
}

fn cycle_host(app: &mut App) {
    let n = app.trace().hosts.len() as u16;
    let filter = &mut app.views.events_filter;
    filter.host = match filter.host {
        None if n > 0 => Some(0),
        Some(h) if h + 1 < n => Some(h + 1),
        _ => None,
    };
    app.views.events_selected = 0;
}

/// How far the queue and DNS panes may scroll; they clamp to their
/// content when drawing.
const MAX_SCROLL: u16 = 10_000;

/// Up/down in whatever the arrows move in the current view.
fn scroll(app: &mut App, by: i32) {
    let step = |v: usize| v.saturating_add_signed(by as isize);
    let step16 = |v: u16| (i32::from(v) + by).clamp(0, i32::from(u16::MAX)) as u16;
    match app.view {
        View::Main => match app.focus {
            // Up in the transcript goes back in time: further from the bottom.
            Focus::Transcript | Focus::Map => {
                // Never further back than the session's first line.
                let sent = app
                    .session()
                    .map_or(0, |s| app.world.index.lines_at(s, app.pos));
                app.views.transcript_back = app
                    .views
                    .transcript_back
                    .saturating_add_signed(-(by as isize))
                    .min(sent.saturating_sub(1));
            }
            Focus::Explain => app.views.explain_scroll = step16(app.views.explain_scroll),
        },
        View::Events => {
            let len = view::events::count(app, &app.views.events_filter);
            app.views.events_selected = step(app.views.events_selected).min(len.saturating_sub(1));
        }
        View::Letter => {
            let received = view::letter::letter(app).map_or(0, |(_, content)| {
                view::letter::received_chain(app, &content).len()
            });
            app.views.letter_selected =
                step(app.views.letter_selected).min(received.saturating_sub(1));
        }
        View::Ladder => {
            let rows = view::ladder::count(app);
            let back = (i32::from(app.views.scroll) - by).max(0) as usize;
            app.views.scroll = back.min(rows.saturating_sub(1)).min(usize::from(u16::MAX)) as u16;
        }
        View::Queues | View::Dns => app.views.scroll = step16(app.views.scroll).min(MAX_SCROLL),
    }
}

/// Enter: jump to what is selected.
fn enter(app: &mut App) {
    match app.view {
        View::Events => {
            let (filter, k) = (&app.views.events_filter, app.views.events_selected);
            if let Some(i) = view::events::nth(app, filter, k) {
                app.playing = false;
                app.pinned = None;
                app.seek(i + 1);
                // A failure in a group: its own line, not the group's first.
                if app.views.events_filter.failures_only
                    && let Some(line) = view::events::failure_line(app, i as u64)
                {
                    app.seek_line(line);
                }
                app.view = View::Main;
            }
        }
        View::Letter => {
            let Some((_, content)) = view::letter::letter(app) else {
                return;
            };
            let chain = view::letter::received_chain(app, &content);
            let pick = app.views.letter_selected.min(chain.len().saturating_sub(1));
            match chain.get(pick).and_then(|(_, conn)| *conn) {
                Some(conn) => {
                    if let Some(start) = app
                        .world
                        .index
                        .session(conn)
                        .map(|s| s.connection.seq as usize + 1)
                    {
                        app.playing = false;
                        app.seek(start);
                        app.pinned = Some(conn);
                        app.view = View::Main;
                    }
                }
                None => {
                    app.notice = Some("that Received line was not written inside this run".into())
                }
            }
        }
        _ => {}
    }
}

pub fn handle_mouse(app: &mut App, mouse: MouseEvent, screen: Rect) {
    // A click or a wheel turn is news: the last notice is stale.
    app.notice = None;
    if app.overlay == Overlay::Help {
        let max = view::help::max_scroll(app, screen);
        let scroll = &mut app.views.help_scroll;
        match mouse.kind {
            MouseEventKind::ScrollUp => *scroll = scroll.saturating_sub(3),
            MouseEventKind::ScrollDown => *scroll = (*scroll + 3).min(max),
            _ => {}
        }
        return;
    }
    if super::console::handle_mouse(app, mouse, screen) {
        return;
    }
    match mouse.kind {
        MouseEventKind::ScrollUp => scroll(app, -3),
        MouseEventKind::ScrollDown => scroll(app, 3),
        MouseEventKind::Down(MouseButton::Left) if app.view == View::Main => {
            let panes = ui::drawn(app, screen);
            let at = Position::new(mouse.column, mouse.row);
            if let Some(transcript) = panes.transcript.filter(|t| t.contains(at)) {
                app.focus = Focus::Transcript;
                click_line(app, transcript, at);
            } else if let Some(map) = panes.map.filter(|m| m.contains(at)) {
                app.focus = Focus::Map;
                click_host(app, map, at);
            } else if panes.explain.is_some_and(|e| e.contains(at)) {
                app.focus = Focus::Explain;
            }
        }
        _ => {}
    }
}

/// A click on a transcript line moves the playhead to it and keeps its
/// session on screen, and says so: `p` lets go.
fn click_line(app: &mut App, pane: Rect, at: Position) {
    let height = pane.height.saturating_sub(2) as usize;
    let rows = view::transcript::visible(app, height);
    let row = at.y.saturating_sub(pane.y + 1) as usize;
    if let Some(&i) = rows.get(row) {
        app.playing = false;
        app.pinned = app.session().map(|s| s.connection.conn);
        // The clicked line itself, even inside a pipelined group.
        app.seek_line(i);
        if let Some(conn) = app.pinned {
            app.notice = Some(format!(
                "session [{}] pinned: it stays on screen; p follows the playhead again",
                conn.0
            ));
        }
    }
}

/// A click on a host shows its latest session so far.
fn click_host(app: &mut App, pane: Rect, at: Position) {
    let inner = Rect::new(
        pane.x + 1,
        pane.y + 1,
        pane.width.saturating_sub(2),
        pane.height.saturating_sub(2),
    );
    let places = view::map::positions(app.trace(), app);
    let to_cell = |(x, y): (f64, f64)| {
        let cx = inner.x as f64 + x / 100.0 * inner.width as f64;
        let cy = inner.y as f64 + (100.0 - y) / 100.0 * inner.height as f64;
        (cx, cy)
    };
    let nearest = places
        .iter()
        .map(|(id, p)| {
            let (cx, cy) = to_cell(*p);
            let d = (cx - at.x as f64).powi(2) / 4.0 + (cy - at.y as f64).powi(2);
            (d, *id)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((_, host)) = nearest else { return };
    let latest = app
        .world
        .index
        .sessions
        .iter()
        .filter(|s| {
            (s.connection.seq as usize) < app.pos
                && (s.connection.from == host || s.connection.to == host)
        })
        .map(|s| s.connection.conn)
        .next_back();
    let name = app.trace().name(host).to_owned();
    match latest {
        Some(conn) => {
            app.pinned = Some(conn);
            app.notice = Some(format!("showing the latest session of {name}; p unpins"));
        }
        None => app.notice = Some(format!("{name} has had no session yet")),
    }
}
