//! "Be the client": a console pane in which a student types SMTP (or
//! POP3) as a host of the world, into a connection that host opens to a
//! server of the world (`mailflow tui NAME --as HOST`, or `a` on the
//! dashboard). The world is a `sim::driven` world on its own thread: it
//! answers each line and then waits, and its events come to the
//! dashboard through the same live path as `mailflow serve`'s, so every
//! command and reply is traced, animated and explained like any other.
//!
//! What the console shows is read from the trace: its transcript is the
//! session's own lines, and its state (greeted, in DATA, ...) comes from
//! the observer's classification of them (`session`). Nothing typed is
//! shown before the world has carried it.
//!
//! * `editor`: the input line and its history
//! * `complete`: Tab
//! * `session`: where the session stands, the hint line, "why refused?"
//! * `render`: the pane, and the layout of the main view with it

pub mod complete;
pub mod editor;
pub mod render;
pub mod session;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::plan::Plan;
use crate::scenario::duration::parse_duration;
use crate::sim::driven::{self, Driven, Order, Wire};
use crate::trace::index::Index;
use crate::trace::transcript::Line;
use crate::trace::{ConnId, HostId, Role, SimTime};

use super::app::{App, View, World};
use super::theme::Theme;
use complete::Words;
use editor::Editor;
use session::{Progress, Who};

/// A note of the console's own, between the session's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub error: bool,
}

/// Tab pressed again offers the next candidate.
#[derive(Debug, Clone)]
struct Cycle {
    /// The line as Tab found it, up to where candidates go.
    stem: String,
    candidates: Vec<String>,
    next: usize,
}

/// The console and the world it types into.
pub struct Console {
    pub host: HostId,
    pub hostname: String,
    driven: Driven,
    pub wire: Wire,
    /// The world's clock when it last waited.
    pub now: SimTime,
    /// Nothing is scheduled in the world any more.
    pub idle: bool,
    /// Orders handed to the world and not yet carried out.
    pub busy: usize,
    /// Keys go to the console (Esc gives them back to the dashboard).
    pub focused: bool,
    pub editor: Editor,
    /// The student's connections, oldest first.
    pub conns: Vec<ConnId>,
    /// Notes, each after that many of the session lines before it.
    pub notes: Vec<(usize, Note)>,
    /// The session lines taken so far (where a note goes).
    lines_seen: usize,
    pub words: Words,
    /// Where `:connect` with no server goes.
    pub default: Option<(String, u16)>,
    /// What the last Tab offered, shown in the hint line.
    pub offered: Vec<String>,
    cycle: Option<Cycle>,
    /// Rows scrolled back from the newest.
    pub back: usize,
    /// The dashboard as it was when `a` opened the console.
    stash: Option<Box<App>>,
}

/// What the console says in `:help`.
pub const HELP: [&str; 9] = [
    "You type as the host in the title; a server of this world answers each line.",
    "Lines go down the wire as typed (with CR LF). After DATA is answered 354, lines are",
    "the letter: headers, an empty line, the body; a lone . ends it.",
    "Tab completes commands, addresses and hosts; ↑↓ history; ←→ Home End edit.",
    "The world waits while you type: it runs until quiet after each line, then stops.",
    ":wait lets time run to the next thing (a retry, a fetch), :wait 5m that long,",
    ":run to the end. :connect HOST[:PORT] (25 SMTP, 587 submission, 110 POP3), :close, :exit.",
    "Esc gives the keys back to the dashboard; a returns here.",
    "Real sockets: `mailflow serve NAME` and telnet, nc or swaks (see the README).",
];

impl Console {
    fn new(driven: Driven, plan: &Plan, host: HostId) -> Console {
        Console {
            host,
            hostname: plan.host(host).name.clone(),
            wire: driven.first.wire.clone(),
            now: driven.first.now,
            idle: driven.first.idle,
            driven,
            busy: 0,
            focused: true,
            editor: Editor::default(),
            conns: Vec::new(),
            notes: Vec::new(),
            lines_seen: 0,
            words: words(plan, host),
            default: driven::default_target(plan, host),
            offered: Vec::new(),
            cycle: None,
            back: 0,
            stash: None,
        }
    }

    /// Hands an order to the world.
    fn order(&mut self, order: Order) {
        if self.driven.order(order) {
            self.busy += 1;
        } else {
            self.note("the world has stopped: :exit closes the console", true);
        }
    }

    /// A note after the session lines taken so far.
    fn note(&mut self, text: impl Into<String>, error: bool) {
        self.notes.push((
            self.lines_seen,
            Note {
                text: text.into(),
                error,
            },
        ));
    }

    /// The port of the connection open (or last opened).
    pub fn port(&self) -> Option<u16> {
        match &self.wire {
            Wire::Open { port, .. }
            | Wire::Closed { port, .. }
            | Wire::Dialling { port, .. }
            | Wire::Failed { port, .. } => Some(*port),
            Wire::None => None,
        }
    }
}

/// What Tab offers from the world: the played host's name, account and
/// addresses, every mailbox and every address the scenario writes to,
/// every server port.
fn words(plan: &Plan, host: HostId) -> Words {
    let client = plan.clients.iter().find(|c| c.host == host);
    let mta = plan.mtas.iter().find(|m| m.host == host);
    let account = client.map(|c| (c.account.to_string(), c.password.clone()));
    let mut senders: Vec<String> = account.iter().map(|(a, _)| a.clone()).collect();
    if let Some(m) = mta {
        senders.extend(m.mailboxes.keys().cloned());
    }
    let mut addresses: Vec<String> = plan
        .mtas
        .iter()
        .flat_map(|m| m.mailboxes.keys().cloned())
        .chain(
            plan.clients
                .iter()
                .flat_map(|c| &c.send)
                .flat_map(|m| m.to.iter().chain(&m.cc).chain(&m.bcc))
                .map(|a| a.to_string()),
        )
        .collect();
    addresses.sort();
    addresses.dedup();
    let servers = plan
        .mtas
        .iter()
        .flat_map(|m| {
            let name = plan.host(m.host).name.clone();
            driven::listening_ports(plan, m.host)
                .into_iter()
                .map(move |p| format!("{name}:{p}"))
        })
        .collect();
    Words {
        who: Who {
            hostname: plan.host(host).name.clone(),
            account,
        },
        senders,
        addresses,
        servers,
    }
}

/// A dashboard over the world of `plan` with the console open as `host`,
/// connected to where `host` would send (or fetch) by default.
pub fn open(plan: &Plan, host: HostId, theme: Theme) -> Result<App, String> {
    let mut driven = driven::start(plan.clone(), host)?;
    let header = std::mem::take(&mut driven.header);
    let world = World {
        title: plan.title.clone(),
        about: plan.about.clone(),
        index: Index::build(&header),
        trace: header,
        verdicts: Vec::new(),
        plan: None,
    };
    let live = super::Live {
        listening: Vec::new(),
        hint: None,
        quit_when_stopped: false,
    };
    let mut app = App::new_live(world, theme, live);
    let mut console = Console::new(driven, plan, host);
    let first: Vec<_> = console.driven.feed.try_iter().collect();
    app.extend(first);
    app.seek(app.len());
    let role = plan.host(host).role;
    console.note(
        format!(
            "You are {} ({}). :help explains the console; Esc gives the keys back.",
            console.hostname,
            if role == Role::Client {
                "a mail program: its own sends and fetches are yours to type"
            } else {
                "a mail server: it still relays and delivers on its own"
            }
        ),
        false,
    );
    if let Some((to, port)) = console.default.clone() {
        connect(&mut console, to, port);
    }
    app.console = Some(Box::new(console));
    Ok(app)
}

/// The `a` key: focuses the console, or opens one on this dashboard's
/// scenario as the host of the session on screen (a client or MTA), else
/// its first client.
pub fn open_or_focus(app: &mut App) {
    if let Some(console) = &mut app.console {
        console.focused = true;
        app.view = View::Main;
        return;
    }
    let Some(plan) = app.world.plan.clone() else {
        app.notice = Some(
            "the console needs a scenario (not a recording or a served world): mailflow tui NAME --as HOST".into(),
        );
        return;
    };
    let on_screen = app
        .session()
        .map(|s| s.connection.from)
        .filter(|h| matches!(plan.host(*h).role, Role::Client | Role::Mta));
    let first_client = plan.clients.first().map(|c| c.host);
    let Some(host) = on_screen
        .or(first_client)
        .or(plan.mtas.first().map(|m| m.host))
    else {
        app.notice = Some("this world has no client or MTA to type as".into());
        return;
    };
    match open(&plan, host, app.theme) {
        Ok(mut fresh) => {
            fresh.speed = app.speed;
            let old = std::mem::replace(app, fresh);
            if let Some(console) = &mut app.console {
                console.stash = Some(Box::new(old));
            }
        }
        Err(e) => app.notice = Some(format!("cannot open the console: {e}")),
    }
}

/// Closes the console: back to the run it was opened from, or (opened
/// with `--as`) the world stops and stays on screen to replay.
pub fn close(app: &mut App) {
    let Some(mut console) = app.console.take() else {
        return;
    };
    match console.stash.take() {
        Some(old) => {
            let theme = app.theme;
            *app = *old;
            app.theme = theme;
            app.notice = Some("console closed: back to the run".into());
        }
        None => {
            if let Some(live) = &mut app.live {
                live.connected = false;
            }
            app.playing = false;
            app.notice =
                Some("console closed: the world stopped; what it did stays here to replay".into());
        }
    }
}

/// Takes what the world sent since the last look; true when anything
/// changed.
pub fn pump(app: &mut App) -> bool {
    take(app, false)
}

/// Waits until the world has carried out every order given, and takes
/// what it sent (for tests, and for a caller without a terminal).
pub fn settle(app: &mut App) {
    take(app, true);
}

/// Reports first: every event of a reported order is in the feed before
/// its report. With `wait`, blocks until every order is reported.
fn take(app: &mut App, wait: bool) -> bool {
    let Some(console) = app.console.as_mut() else {
        return false;
    };
    let mut reports = Vec::new();
    while wait && reports.len() < console.busy {
        match console.driven.report() {
            Some(report) => reports.push(report),
            None => break,
        }
    }
    while let Some(report) = console.driven.try_report() {
        reports.push(report);
    }
    let events: Vec<_> = console
        .driven
        .feed
        .try_iter()
        .take(super::live::MAX_DRAIN)
        .collect();
    let changed = !reports.is_empty() || !events.is_empty();
    app.extend(events);
    let lines = app
        .console
        .as_ref()
        .map_or(0, |c| session_lines(app, c).len());
    let Some(console) = app.console.as_mut() else {
        return changed;
    };
    console.lines_seen = lines;
    for report in reports {
        console.busy = console.busy.saturating_sub(1);
        if let Some(conn) = report.wire.conn()
            && !console.conns.contains(&conn)
        {
            console.conns.push(conn);
        }
        if console.wire != report.wire {
            match &report.wire {
                Wire::Failed { to, port, why } => {
                    let text = format!("✗ {to}:{port}: {why}");
                    console.note(text, true);
                }
                Wire::Dialling { to, port } => {
                    let text = format!(
                        "… no answer from {to}:{port} yet: :wait lets the 30 s connect timeout run"
                    );
                    console.note(text, false);
                }
                _ => {}
            }
        }
        if let Some(note) = report.note {
            console.note(note, false);
        }
        console.wire = report.wire;
        console.now = report.now;
        console.idle = report.idle;
    }
    changed
}

/// Every line of the student's connections, oldest first.
pub fn session_lines<'a>(app: &'a App, console: &Console) -> Vec<&'a Line> {
    let index = &app.world.index;
    console
        .conns
        .iter()
        .filter_map(|&c| index.session(c))
        .flat_map(|s| s.lines.iter().map(|&i| &index.lines[i]))
        .collect()
}

/// Where the current connection's session stands.
pub fn progress(app: &App, console: &Console) -> Progress {
    let index = &app.world.index;
    let lines: Vec<&Line> = console
        .wire
        .conn()
        .and_then(|c| index.session(c))
        .map(|s| s.lines.iter().map(|&i| &index.lines[i]).collect())
        .unwrap_or_default();
    session::progress(&lines)
}

/// The next sensible commands now.
pub fn next_commands(app: &App, console: &Console) -> Vec<String> {
    match console.wire {
        Wire::Open { .. } => {
            let p = progress(app, console);
            session::next_commands(&p, &console.words.who, console.port().unwrap_or(25))
        }
        Wire::Dialling { .. } => vec![":wait".into()],
        _ => {
            let mut out = Vec::new();
            if let Some((to, port)) = &console.default {
                out.push(format!(":connect {to}:{port}"));
            }
            out.extend([":wait".into(), ":exit".into()]);
            out
        }
    }
}

/// A key while the console has the focus; false when the dashboard
/// should have it.
pub fn handle_key(app: &mut App, key: KeyEvent) -> bool {
    let Some(console) = app.console.as_mut() else {
        return false;
    };
    if !console.focused {
        return false;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code != KeyCode::Tab {
        console.cycle = None;
        console.offered.clear();
    }
    let e = &mut console.editor;
    match key.code {
        KeyCode::Char('c') if ctrl => return false,
        KeyCode::Char('d') if ctrl && e.is_empty() => close(app),
        KeyCode::Char('a') if ctrl => e.home(),
        KeyCode::Char('e') if ctrl => e.end(),
        KeyCode::Char('u') if ctrl => e.kill_to_start(),
        KeyCode::Char('w') if ctrl => e.kill_word(),
        KeyCode::Char(c) if !ctrl => e.insert(c),
        KeyCode::Left => e.left(),
        KeyCode::Right => e.right(),
        KeyCode::Home => e.home(),
        KeyCode::End => e.end(),
        KeyCode::Backspace => e.backspace(),
        KeyCode::Delete => e.delete(),
        KeyCode::Up => e.older(),
        KeyCode::Down => e.newer(),
        KeyCode::PageUp => console.back = console.back.saturating_add(5),
        KeyCode::PageDown => console.back = console.back.saturating_sub(5),
        KeyCode::Tab => complete(app),
        KeyCode::Esc => {
            console.focused = false;
            app.notice = Some("dashboard keys again: a returns to the console".into());
        }
        KeyCode::Enter => submit(app),
        _ => {}
    }
    true
}

/// Tab: the common start of the candidates, else the next one in turn.
fn complete(app: &mut App) {
    let next = app
        .console
        .as_ref()
        .map(|c| next_commands(app, c))
        .unwrap_or_default();
    let pop3 = app
        .console
        .as_ref()
        .is_some_and(|c| c.port() == Some(110) && matches!(c.wire, Wire::Open { .. }));
    let (in_data, sasl) = app.console.as_ref().map_or((false, false), |c| {
        let p = progress(app, c);
        (p.data, p.sasl)
    });
    let Some(console) = app.console.as_mut() else {
        return;
    };
    if sasl && console.editor.is_empty() {
        // The answer to 334 is the line itself.
        if let Some(answer) = next.first() {
            console.editor.set(answer);
        }
        return;
    }
    if in_data {
        console.offered = vec!["(message text: no completion; a lone . ends it)".into()];
        return;
    }
    if let Some(cycle) = &mut console.cycle {
        let pick = &cycle.candidates[cycle.next % cycle.candidates.len()];
        console.editor.set(&format!("{}{pick}", cycle.stem));
        cycle.next += 1;
        console.offered = cycle.candidates.clone();
        return;
    }
    let line = console.editor.text();
    let (start, candidates) = complete::candidates(&line, &console.words, pop3, &next);
    if candidates.is_empty() {
        console.offered = vec!["(nothing to complete here)".into()];
        return;
    }
    let stem = line[..start].to_owned();
    let common = complete::common_start(&candidates);
    if candidates.len() > 1 && common.chars().count() > line[start..].chars().count() {
        console.editor.set(&format!("{stem}{common}"));
    } else {
        console.editor.set(&format!("{stem}{}", candidates[0]));
        // Several: Tab again offers the next. One: Tab again goes on
        // from it (AUTH PLAIN, then the login).
        if candidates.len() > 1 {
            console.cycle = Some(Cycle {
                stem,
                candidates: candidates.clone(),
                next: 1,
            });
        }
    }
    if candidates.len() > 1 {
        console.offered = candidates;
    }
}

/// Enter: a console command, a line for the wire, or a note why not.
fn submit(app: &mut App) {
    let in_data = app
        .console
        .as_ref()
        .is_some_and(|c| matches!(c.wire, Wire::Open { .. }) && progress(app, c).data);
    let Some(console) = app.console.as_mut() else {
        return;
    };
    let text = console.editor.take();
    console.back = 0;
    let open = matches!(console.wire, Wire::Open { .. });
    let word = text.split_whitespace().next().unwrap_or_default();
    let bare = ["connect", "close", "wait", "run", "help", "exit"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word));
    if !in_data && text.starts_with(':') {
        return command(app, &text[1..]);
    }
    if !open && bare {
        return command(app, &text);
    }
    if !open {
        if !text.trim().is_empty() {
            console.note(
                "not connected: :connect opens a connection (Tab lists the servers)",
                true,
            );
        }
        return;
    }
    if !in_data {
        if text.trim().is_empty() {
            return;
        }
        if word.eq_ignore_ascii_case("STARTTLS") {
            console.note(
                "STARTTLS is not sent: after its 220 both ends speak TLS, which cannot be typed by hand. \
                 To try it, run `mailflow serve NAME` and `openssl s_client -starttls smtp -connect 127.0.0.1:2525`.",
                true,
            );
            return;
        }
    } else if text.starts_with('.') && text != "." {
        console.note(
            "A line of text that starts with a dot is sent with a second one (dot-stuffing, RFC 5321 §4.5.2); \
             typed by hand, the server drops this first dot.",
            false,
        );
    }
    console.order(Order::Send(format!("{text}\r\n").into_bytes()));
}

/// A console command, without its `:`.
fn command(app: &mut App, text: &str) {
    let mut words = text.split_whitespace();
    let verb = words.next().unwrap_or_default().to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let Some(console) = app.console.as_mut() else {
        return;
    };
    match verb.as_str() {
        "connect" | "open" => {
            let target = match args.as_slice() {
                [] => console.default.clone(),
                [one] => Some(split_port(one)),
                [host, port, ..] => port.parse().ok().map(|p| ((*host).to_owned(), p)),
            };
            match target {
                Some((to, port)) => connect(console, to, port),
                None => console.note(
                    ":connect HOST[:PORT], e.g. :connect mx.example.net:25",
                    true,
                ),
            }
        }
        "close" | "hangup" => console.order(Order::Close),
        "wait" => match args.first() {
            None => console.order(Order::Wait(None)),
            Some(d) => match parse_duration(d) {
                Ok(d) => console.order(Order::Wait(Some(d))),
                Err(e) => console.note(format!(":wait {d}: {e} (e.g. :wait 5m)"), true),
            },
        },
        "run" => console.order(Order::Run),
        "help" | "?" => {
            for line in HELP {
                console.note(line, false);
            }
        }
        "exit" | "quit" | "q" => close(app),
        _ => console.note(
            format!(
                ":{verb} is not a console command: :connect, :close, :wait, :run, :help, :exit"
            ),
            true,
        ),
    }
}

/// `host:port`, 25 when no port is given (or it is not a number).
fn split_port(target: &str) -> (String, u16) {
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host.to_owned(), port),
            Err(_) => (target.to_owned(), 25),
        },
        _ => (target.to_owned(), 25),
    }
}

fn connect(console: &mut Console, to: String, port: u16) {
    let service = crate::trace::Protocol::from_port(port).name();
    console.note(
        format!("→ connecting to {to} port {port} ({service})"),
        false,
    );
    console.order(Order::Connect { to, port });
}

/// The mouse over the main view with the console open: a click on the
/// console gives it the keys, the wheel scrolls it; a click elsewhere
/// leaves the keys to the dashboard, which places it on the panes
/// drawn. False when the dashboard should have the event.
pub fn handle_mouse(app: &mut App, mouse: MouseEvent, screen: Rect) -> bool {
    if app.console.is_none() || app.view != View::Main {
        return false;
    }
    let over = super::ui::drawn(app, screen)
        .console
        .is_some_and(|c| c.contains(Position::new(mouse.column, mouse.row)));
    let Some(console) = app.console.as_mut() else {
        return false;
    };
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) if over => console.focused = true,
        MouseEventKind::Down(MouseButton::Left) => {
            console.focused = false;
            return false;
        }
        MouseEventKind::ScrollUp if over => console.back = console.back.saturating_add(3),
        MouseEventKind::ScrollDown if over => console.back = console.back.saturating_sub(3),
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => return false,
        _ => {}
    }
    true
}

/// What the status bar's key line says while the console has the keys.
pub fn status_keys(app: &App) -> Option<&'static str> {
    let console = app.console.as_ref()?;
    console.focused.then_some(
        " Enter sends · Tab completes · ↑↓ history · :help · Esc dashboard keys · Ctrl-C quits",
    )
}
