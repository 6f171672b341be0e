//! Shared helpers for the dashboard's tests: a `World` built from a bundled
//! scenario (or scenario text) exactly as `mailflow tui` builds it, a
//! screen drawn on ratatui's `TestBackend` and read back as text, and the
//! playheads a lesson talks about ("the relay's RCPT", "the POP3 RETR")
//! found by meaning rather than by number.

#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use mailflow::scenario;
use mailflow::trace::index::Index;
use mailflow::trace::transcript::{Line as TLine, LineKind};
use mailflow::trace::{Dir, Event, EventKind, Protocol};
use mailflow::tui::{App, Theme, World};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;

/// A finished run, indexed, like `cli::tui::run` builds it.
pub fn world_from(loaded: scenario::Loaded) -> World {
    World::run(loaded.plan)
}

/// The world of a bundled scenario.
pub fn world(name: &str) -> World {
    world_from(
        scenario::load(name).unwrap_or_else(|e| panic!("bundled scenario {name} loads:\n{e}")),
    )
}

/// The world of scenario text.
pub fn world_from_source(source: &str, origin: &str) -> World {
    world_from(scenario::parse(source, origin).unwrap_or_else(|e| panic!("{origin} parses:\n{e}")))
}

/// The world of a bundled scenario cut in two, as a live dashboard sees
/// it: the trace's header (hosts, links, zones) with no events yet, and
/// the events still to come.
pub fn header_and_events(name: &str) -> (World, Vec<Event>) {
    let finished = world(name);
    let events = finished.trace.events().to_vec();
    let mut trace = mailflow::trace::Trace::new(finished.trace.hosts.clone());
    trace.links = finished.trace.links.clone();
    trace.zones = finished.trace.zones.clone();
    let index = Index::build(&trace);
    let world = World {
        title: finished.title,
        about: finished.about,
        trace,
        index,
        verdicts: Vec::new(),
        plan: None,
    };
    (world, events)
}

/// What `mailflow serve` might say it listens on.
pub fn listening() -> mailflow::tui::Live {
    mailflow::tui::Live {
        listening: vec!["smtp 127.0.0.1:2525 → mx.example.net:25".into()],
        hint: Some("swaks --server 127.0.0.1:2525 --to bob@example.net".into()),
        quit_when_stopped: false,
    }
}

/// A live dashboard on a bundled scenario's header, playing (following
/// the live edge), and the events still to come.
pub fn live_app(name: &str, theme: Theme) -> (App, Vec<Event>) {
    let (world, events) = header_and_events(name);
    (App::new_live(world, theme, listening()), events)
}

/// A dashboard on a bundled scenario, dark theme, at the start.
pub fn app(name: &str) -> App {
    App::new(world(name), Theme::dark())
}

/// Draws the app on a `width`×`height` test terminal and returns its buffer.
pub fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|f| mailflow::tui::ui::draw(f, app))
        .expect("drawing on a test backend cannot fail");
    terminal.backend().buffer().clone()
}

/// The columns a cell's symbol takes (ASCII quickly, the rest by Unicode).
pub fn symbol_width(symbol: &str) -> usize {
    if symbol.len() == 1 {
        1
    } else {
        Span::raw(symbol).width()
    }
}

/// The screen as lines of symbols, trailing blanks trimmed. A cell hidden
/// behind a wide symbol is skipped, as a terminal shows it.
pub fn buffer_text(buffer: &Buffer) -> String {
    rows(buffer)
        .into_iter()
        .map(|r| r.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn rows(buffer: &Buffer) -> Vec<String> {
    let width = buffer.area.width as usize;
    if width == 0 {
        return Vec::new();
    }
    buffer
        .content
        .chunks(width)
        .map(|cells| {
            let mut row = String::new();
            let mut skip = 0usize;
            for cell in cells {
                let symbol = cell.symbol();
                if skip == 0 {
                    row.push_str(symbol);
                }
                skip = skip.max(symbol_width(symbol)).saturating_sub(1);
            }
            row
        })
        .collect()
}

/// Cells hidden behind a wide symbol that hold something other than a
/// blank: two things were drawn over each other. `(x, y, symbol)`.
pub fn hidden_by_wide_symbols(buffer: &Buffer) -> Vec<(u16, u16, String)> {
    let width = buffer.area.width as usize;
    let mut out = Vec::new();
    if width == 0 {
        return out;
    }
    for (y, cells) in buffer.content.chunks(width).enumerate() {
        let mut skip = 0usize;
        for (x, cell) in cells.iter().enumerate() {
            let symbol = cell.symbol();
            if skip > 0 && symbol != " " && !symbol.is_empty() {
                out.push((x as u16, y as u16, symbol.to_owned()));
            }
            skip = skip.max(symbol_width(symbol)).saturating_sub(1);
        }
    }
    out
}

/// The screen as text.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    buffer_text(&draw(app, width, height))
}

/// The screen followed by a map of the emphasis of every cell, for themes
/// where meaning is carried without colour. Reversed video (the playhead):
/// `R` alone, `r` with bold, `W` with underline, `X` with bold and
/// underline. Otherwise: `E` bold and underlined (an error), `U`
/// underlined (a warning), `B` bold, `I` italic, `D` dim, `?` another mix,
/// `.` plain. Trailing plain cells are trimmed.
pub fn screen_with_emphasis(app: &App, width: u16, height: u16) -> String {
    let buffer = draw(app, width, height);
    let mut out = buffer_text(&buffer);
    out.push_str("\n\n-- emphasis --\n");
    let marks: Vec<String> = buffer
        .content
        .chunks(width.max(1) as usize)
        .map(|cells| {
            let row: String = cells.iter().map(|c| emphasis_mark(c.modifier)).collect();
            row.trim_end_matches('.').to_owned()
        })
        .collect();
    out.push_str(&marks.join("\n"));
    out
}

fn emphasis_mark(m: Modifier) -> char {
    let r = m.contains(Modifier::REVERSED);
    let b = m.contains(Modifier::BOLD);
    let u = m.contains(Modifier::UNDERLINED);
    let rest = m - (Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED);
    match (r, b, u) {
        (true, false, false) if rest.is_empty() => 'R',
        (true, true, false) if rest.is_empty() => 'r',
        (true, false, true) if rest.is_empty() => 'W',
        (true, true, true) if rest.is_empty() => 'X',
        (false, true, true) if rest.is_empty() => 'E',
        (false, false, true) if rest.is_empty() => 'U',
        (false, true, false) if rest.is_empty() => 'B',
        (false, false, false) if rest == Modifier::ITALIC => 'I',
        (false, false, false) if rest == Modifier::DIM => 'D',
        (false, false, false) if rest.is_empty() => '.',
        _ => '?',
    }
}

/// Cells drawn with a colour (foreground, background or underline colour).
pub fn coloured_cells(buffer: &Buffer) -> Vec<(u16, u16)> {
    let area = buffer.area;
    let mut out = Vec::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &buffer[(x, y)];
            if cell.fg != Color::Reset || cell.bg != Color::Reset {
                out.push((x, y));
            }
        }
    }
    out
}

/// The whole screen rectangle of a test terminal.
pub fn rect(width: u16, height: u16) -> Rect {
    Rect::new(0, 0, width, height)
}

/// Presses a key (no modifiers) on a 120×40 screen.
pub fn press(app: &mut App, code: KeyCode) {
    press_with(app, code, KeyModifiers::NONE);
}

pub fn press_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    mailflow::tui::keys::handle_key(app, KeyEvent::new(code, modifiers), rect(120, 40));
}

/// Presses each character as a key.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

pub fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16, screen: Rect) {
    let event = MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    mailflow::tui::keys::handle_mouse(app, event, screen);
}

pub fn click(app: &mut App, column: u16, row: u16, screen: Rect) {
    mouse(
        app,
        MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        screen,
    );
}

/// The playhead just after the first event that matches.
pub fn pos_after(app: &App, what: &str, matches: impl Fn(&Event) -> bool) -> usize {
    app.trace()
        .events()
        .iter()
        .position(matches)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("the run has {what}"))
}

/// The first transcript line of a session of `protocol` whose text starts
/// with `start` (and goes the way `dir` says).
pub fn line<'a>(app: &'a App, protocol: Protocol, dir: Dir, start: &str) -> &'a TLine {
    let index = &app.world.index;
    index
        .lines
        .iter()
        .find(|l| {
            l.protocol == protocol
                && l.dir == dir
                && l.kind != LineKind::Data
                && l.text.starts_with(start)
        })
        .unwrap_or_else(|| panic!("a {protocol:?} line starting {start:?}"))
}

/// Where that line sits in `Index::lines`, for `App::seek_line`: a line
/// inside a pipelined group is selected on its own.
pub fn line_index(app: &App, protocol: Protocol, dir: Dir, start: &str) -> usize {
    let wanted = line(app, protocol, dir, start);
    app.world
        .index
        .lines
        .iter()
        .position(|l| std::ptr::eq(l, wanted))
        .expect("the line is in the index")
}

/// The playhead at which the line is the one just sent.
pub fn pos_of_line(app: &App, protocol: Protocol, dir: Dir, start: &str) -> usize {
    line(app, protocol, dir, start).seq as usize + 1
}

/// The playhead of the reply that answers the first command starting with
/// `command` in a session of `protocol`.
pub fn pos_of_reply_to(app: &App, protocol: Protocol, command: &str) -> usize {
    let asked = line(app, protocol, Dir::Up, command).seq;
    let index = &app.world.index;
    index
        .lines
        .iter()
        .find(|l| l.protocol == protocol && l.dir == Dir::Down && l.seq > asked)
        .map(|l| l.seq as usize + 1)
        .unwrap_or_else(|| panic!("a reply to {command:?}"))
}

/// The playhead of the first DNS datagram sent by `host` asking `question`.
pub fn pos_of_dns_query(app: &App, host: &str, question: &str) -> usize {
    let trace = app.trace();
    pos_after(app, &format!("a DNS query from {host}"), |e| {
        match &e.kind {
            EventKind::Datagram { from, data, .. } => {
                trace.name(*from) == host
                    && mailflow::dns::Summary::decode(data.as_bytes())
                        .is_ok_and(|s| !s.is_response && s.to_string().contains(question))
            }
            _ => false,
        }
    })
}

/// The panes of the main view on a `width`×`height` screen, as the
/// layout and the mouse handling both compute them.
pub fn main_panes(width: u16, height: u16) -> mailflow::tui::ui::Panes {
    let [_, body, _] = mailflow::tui::ui::regions(rect(width, height))
        .expect("a screen large enough for a dashboard");
    mailflow::tui::ui::main_panes(body)
}

/// The rows of a region of the buffer, as text (wide symbols skipped).
pub fn region_rows(buffer: &Buffer, area: Rect) -> Vec<String> {
    let area = area.intersection(buffer.area);
    (area.top()..area.bottom())
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0usize;
            for x in area.left()..area.right() {
                let symbol = buffer[(x, y)].symbol();
                if skip == 0 {
                    row.push_str(symbol);
                }
                skip = skip.max(symbol_width(symbol)).saturating_sub(1);
            }
            row
        })
        .collect()
}

/// The title of the transcript pane on a 120×40 main view: its top border
/// without the border's lines.
pub fn transcript_title(app: &App) -> String {
    let buffer = draw(app, 120, 40);
    let pane = main_panes(120, 40).transcript;
    let top = region_rows(&buffer, Rect::new(pane.x, pane.y, pane.width, 1)).remove(0);
    top.trim_matches(|c: char| "━┏┓─┌┐ ".contains(c)).to_owned()
}

/// The cells of the map pane (on a `width`×`height` main view) that hold
/// a host's symbol.
pub fn host_symbols(app: &App, width: u16, height: u16) -> Vec<(u16, u16)> {
    let buffer = draw(app, width, height);
    let Some(map) = main_panes(width, height).map else {
        return Vec::new();
    };
    let inner = Rect::new(
        map.x + 1,
        map.y + 1,
        map.width.saturating_sub(2),
        map.height.saturating_sub(2),
    );
    let mut out = Vec::new();
    for y in inner.top()..inner.bottom() {
        for x in inner.left()..inner.right() {
            if ["▣", "■", "◆"].contains(&buffer[(x, y)].symbol()) {
                out.push((x, y));
            }
        }
    }
    out
}

/// Where on a 120×40 main view a click reaches the host `name`: the
/// symbol whose click names it.
pub fn host_cell(app: &mut App, name: &str) -> (u16, u16) {
    let (pinned, notice, focus) = (app.pinned, app.notice.clone(), app.focus);
    for (x, y) in host_symbols(app, 120, 40) {
        click(app, x, y, rect(120, 40));
        let hit = app.notice.as_deref().is_some_and(|n| n.contains(name));
        app.pinned = pinned;
        app.notice = notice.clone();
        app.focus = focus;
        if hit {
            return (x, y);
        }
    }
    panic!("no symbol on the map answers a click with {name}");
}
