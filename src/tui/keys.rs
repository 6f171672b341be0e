//! Keys and mouse: each input becomes a change of the app state. The map
//! of keys is the help overlay's list (`view::help::KEYS`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Focus, View};
use super::theme::Theme;
use super::ui;
use super::view;

pub fn handle_key(app: &mut App, key: KeyEvent, screen: Rect) {
    app.notice = None;
    if app.searching {
        return search_key(app, key);
    }
    if app.help {
        app.help = false;
        return;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => app.quit = true,
        KeyCode::Char('q') | KeyCode::Esc => app.quit = true,
        KeyCode::Char(' ') => {
            // At the end of a finished run, play again; at the live edge,
            // play means wait for what comes next.
            if app.pos >= app.len() && !app.is_live() {
                app.seek(0);
            }
            app.playing = !app.playing;
        }
        KeyCode::Right | KeyCode::Char('l') => {
            app.playing = false;
            app.step_forward();
        }
        KeyCode::Left | KeyCode::Char('h') => {
            app.playing = false;
            app.step_back();
        }
        KeyCode::Char(']') => app.jump_session(true),
        KeyCode::Char('[') => app.jump_session(false),
        KeyCode::Char('}') => app.jump_hop(true),
        KeyCode::Char('{') => app.jump_hop(false),
        KeyCode::Char('+') | KeyCode::Char('=') => app.faster(),
        KeyCode::Char('-') | KeyCode::Char('_') => app.slower(),
        KeyCode::Home => {
            app.playing = false;
            app.seek(0);
            app.views.events_selected = 0;
        }
        KeyCode::End => {
            let end = app.len();
            app.seek(end);
            // The events list goes to the end with the playhead.
            let rows = view::events::filtered(app, &app.views.events_filter).len();
            app.views.events_selected = rows.saturating_sub(1);
            // Live, the end is the live edge: stay there as it moves.
            app.playing = app.is_live();
        }
        KeyCode::Tab => {
            app.focus = match app.focus {
                Focus::Map => Focus::Transcript,
                Focus::Transcript => Focus::Explain,
                Focus::Explain => Focus::Map,
            }
        }
        KeyCode::Char(c @ '1'..='6') => {
            app.view = View::ALL[(c as usize) - ('1' as usize)];
            app.views.scroll = 0;
        }
        KeyCode::Char('f') => app.cycle_follow(),
        KeyCode::Char('p') => {
            app.pinned = match app.pinned {
                Some(_) => None,
                None => app.session().map(|s| s.connection.conn),
            };
        }
        KeyCode::Char('/') => {
            app.searching = true;
            app.search.clear();
        }
        KeyCode::Char('n') if app.view == View::Events => cycle_host(app),
        KeyCode::Char('n') => app.search_next(),
        KeyCode::Char('t') => next_theme(app),
        KeyCode::Char('?') => app.help = true,
        KeyCode::Char('d') if app.view == View::Events => {
            app.views.events_filter.hide_dns = !app.views.events_filter.hide_dns;
            app.views.events_selected = 0;
        }
        KeyCode::Char('x') if app.view == View::Events => {
            app.views.events_filter.failures_only = !app.views.events_filter.failures_only;
            app.views.events_selected = 0;
        }
        KeyCode::Up | KeyCode::Char('k') => scroll(app, -1),
        KeyCode::Down | KeyCode::Char('j') => scroll(app, 1),
        KeyCode::PageUp => scroll(app, -(i32::from(screen.height) / 2).max(1)),
        KeyCode::PageDown => scroll(app, (i32::from(screen.height) / 2).max(1)),
        KeyCode::Enter => enter(app),
        _ => {}
    }
}

fn search_key(app: &mut App, key: KeyEvent) {
    match key.code {
        KeyCode::Enter => {
            app.searching = false;
            app.search_next();
        }
        KeyCode::Esc => {
            app.searching = false;
            app.search.clear();
        }
        KeyCode::Backspace => {
            app.search.pop();
        }
        KeyCode::Char(c) if app.search.chars().count() < 64 => app.search.push(c),
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
            let len = view::events::filtered(app, &app.views.events_filter).len();
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
            let rows = view::ladder::rows(app).1.len();
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
            let list = view::events::filtered(app, &app.views.events_filter);
            if let Some(&i) = list.get(app.views.events_selected) {
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
    match mouse.kind {
        MouseEventKind::ScrollUp => scroll(app, -3),
        MouseEventKind::ScrollDown => scroll(app, 3),
        MouseEventKind::Down(MouseButton::Left) if app.view == View::Main => {
            let Some([_, body, _]) = ui::regions(screen) else {
                return;
            };
            let panes = ui::main_panes(body);
            let at = Position::new(mouse.column, mouse.row);
            if panes.transcript.contains(at) {
                app.focus = Focus::Transcript;
                click_line(app, panes.transcript, at);
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

/// A click on a transcript line moves the playhead to it.
fn click_line(app: &mut App, pane: Rect, at: Position) {
    let height = pane.height.saturating_sub(2) as usize;
    let rows = view::transcript::visible(app, height);
    let row = at.y.saturating_sub(pane.y + 1) as usize;
    if let Some(&i) = rows.get(row) {
        let seq = app.world.index.lines[i].seq as usize;
        app.playing = false;
        app.pinned = app.session().map(|s| s.connection.conn);
        app.seek(seq + 1);
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
