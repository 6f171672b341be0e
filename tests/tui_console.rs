//! "Be the client", without a terminal: the console is driven through the
//! dashboard's own key handling, each typed line carried by the world
//! before the next (`console::settle`), and the screen drawn on ratatui's
//! `TestBackend`.
//!
//! What is checked: the trace holds the student's bytes and the server's
//! replies on the student's own connection; a refusal shows its
//! explanation; the typed message is delivered to bob (and fetched later,
//! once time is let run), or bounced; the same keys give the same trace;
//! Tab completes from the session's state and the world; DATA mode shows;
//! `a` opens the console on a finished run and `:exit` returns to it;
//! the console is usable at 80×24, 120×40 and 200×60 and has no colour
//! under NO_COLOR's theme; a scenario's hosts are checked by `--as`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tui.rs"]
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use mailflow::sim::driven::{self, Wire};
use mailflow::trace::{ConnId, Dir, EventKind};
use mailflow::tui::console;
use mailflow::tui::{App, Theme};
use support::*;

/// The console as `host` on a bundled scenario, settled.
fn console_on(name: &str, host: &str, theme: Theme) -> App {
    let plan = mailflow::scenario::load(name).expect("bundled").plan;
    let host = driven::hand(&plan, host).expect("a host of the scenario");
    let mut app = console::open(&plan, host, theme).expect("the console opens");
    console::settle(&mut app);
    app
}

/// Types a line and Enter, and lets the world carry it.
fn say(app: &mut App, line: &str) {
    type_text(app, line);
    press(app, KeyCode::Enter);
    console::settle(app);
}

fn conn(app: &App) -> ConnId {
    app.console
        .as_ref()
        .and_then(|c| c.wire.conn())
        .expect("the student's connection")
}

/// What went up (or down) the student's connection, as bytes.
fn bytes(app: &App, conn: ConnId, dir: Dir) -> String {
    let raw: Vec<u8> = app
        .trace()
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bytes {
                conn: c,
                dir: d,
                data,
                ..
            } if *c == conn && *d == dir => Some(data.as_bytes().to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    String::from_utf8(raw).expect("SMTP is text here")
}

/// alice's whole submission, typed, to `rcpt`.
fn submission(app: &mut App, rcpt: &str) {
    say(app, "EHLO laptop.example.org");
    // Tab writes the login: AUTH PLAIN and alice's base64.
    type_text(app, "AU");
    press(app, KeyCode::Tab);
    press(app, KeyCode::Tab);
    press(app, KeyCode::Enter);
    console::settle(app);
    say(app, "MAIL FROM:<alice@example.org>");
    say(app, &format!("RCPT TO:<{rcpt}>"));
    say(app, "DATA");
    for line in [
        "Subject: by hand",
        "",
        "Hello Bob, typed line by line.",
        ".",
    ] {
        say(app, line);
    }
    say(app, "QUIT");
}

fn delivered_to(app: &App, mailbox: &str) -> bool {
    app.trace()
        .events()
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Delivered { rest, .. } if rest.mailbox == mailbox))
}

#[test]
fn a_typed_session_is_in_the_trace_byte_for_byte_and_delivers_to_bob() {
    let mut app = console_on("hello", "laptop.example.org", Theme::dark());
    submission(&mut app, "bob@example.net");
    let conn = conn(&app);
    let up = bytes(&app, conn, Dir::Up);
    assert!(up.starts_with("EHLO laptop.example.org\r\n"), "{up}");
    assert!(
        up.contains(
            "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNl\r\nMAIL FROM:<alice@example.org>\r\n"
        ),
        "{up}"
    );
    assert!(
        up.ends_with(
            "DATA\r\nSubject: by hand\r\n\r\nHello Bob, typed line by line.\r\n.\r\nQUIT\r\n"
        ),
        "{up}"
    );
    let down = bytes(&app, conn, Dir::Down);
    assert!(down.starts_with("220 smtp.example.org"), "{down}");
    assert!(down.contains("\r\n235 "), "{down}");
    assert!(down.contains("\r\n354 "), "{down}");
    assert!(
        down.ends_with("221 2.0.0 Bye\r\n") || down.contains("\r\n221 "),
        "{down}"
    );
    // The typed message went on by itself: relayed and delivered.
    assert!(delivered_to(&app, "bob@example.net"));
    let c = app.console.as_ref().unwrap();
    assert!(matches!(c.wire, Wire::Closed { .. }), "{:?}", c.wire);
    // The phone fetches at +5m: only once the student lets time run.
    assert!(!retrieved(&app));
    say(&mut app, ":wait");
    assert!(retrieved(&app), "the POP3 fetch came when time ran");
}

fn retrieved(app: &App) -> bool {
    app.trace().events().iter().any(
        |e| matches!(&e.kind, EventKind::Retrieved { mailbox, .. } if mailbox == "bob@example.net"),
    )
}

#[test]
fn a_refused_recipient_shows_why_and_the_message_bounces_when_relayed() {
    let mut app = console_on("hello", "smtp.example.org", Theme::dark());
    // smtp.example.org talks to mx.example.net by hand: bobb does not exist.
    say(&mut app, "EHLO smtp.example.org");
    say(&mut app, "MAIL FROM:<alice@example.org>");
    say(&mut app, "RCPT TO:<bobb@example.net>");
    let down = bytes(&app, conn(&app), Dir::Down);
    assert!(down.contains("550 5.1.1"), "{down}");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("? why: Bad destination mailbox address (5.1.1)"),
        "{text}"
    );
    assert!(
        text.contains("try: Permanent: check the spelling"),
        "{text}"
    );
    // The hint still offers the next sensible step.
    assert!(text.contains("next: RCPT TO:<"), "{text}");

    // As alice, the same typo is accepted by her server, refused by the
    // MX on relay, and bounced back to her.
    let mut app = console_on("hello", "laptop.example.org", Theme::dark());
    submission(&mut app, "bobb@example.net");
    assert!(
        app.trace()
            .events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::Bounced { .. })),
        "the relay's 550 bounced the typed message"
    );
    assert!(
        delivered_to(&app, "alice@example.org"),
        "the bounce reached alice"
    );
}

#[test]
fn the_same_keys_give_the_same_trace() {
    let run = || {
        let mut app = console_on("greylisting", "laptop.example.org", Theme::dark());
        submission(&mut app, "bob@example.net");
        say(&mut app, ":wait");
        say(&mut app, ":run");
        format!("{:?}", app.trace().events())
    };
    let first = run();
    assert!(
        first.contains("Greylisted"),
        "the relay was greylisted first"
    );
    assert_eq!(first, run());
}

#[test]
fn tab_completes_from_the_state_of_the_session_and_the_world() {
    let mut app = console_on("hello", "laptop.example.org", Theme::dark());
    let line = |app: &App| app.console.as_ref().unwrap().editor.text();
    // Greeted, nothing said yet: the next sensible command is EHLO.
    press(&mut app, KeyCode::Tab);
    assert_eq!(line(&app), "EHLO laptop.example.org");
    press(&mut app, KeyCode::Enter);
    console::settle(&mut app);
    type_text(&mut app, "mail");
    press(&mut app, KeyCode::Tab);
    assert_eq!(line(&app), "MAIL FROM:<");
    press(&mut app, KeyCode::Tab);
    assert_eq!(line(&app), "MAIL FROM:<alice@example.org>");
    // Editing keys and history.
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, ":connect mx");
    press(&mut app, KeyCode::Tab);
    assert_eq!(line(&app), ":connect mx.example.net:");
    press(&mut app, KeyCode::Tab);
    assert!(
        line(&app).starts_with(":connect mx.example.net:"),
        "{}",
        line(&app)
    );
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Up);
    assert_eq!(line(&app), "EHLO laptop.example.org");
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Delete);
    press(&mut app, KeyCode::Char('H'));
    assert_eq!(line(&app), "HHLO laptop.example.org");
}

#[test]
fn data_mode_shows_and_a_pop3_session_can_be_typed() {
    let mut app = console_on("hello", "laptop.example.org", Theme::dark());
    say(&mut app, "EHLO laptop.example.org");
    type_text(&mut app, "AUTH PLAIN");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    console::settle(&mut app);
    say(&mut app, "MAIL FROM:<alice@example.org>");
    say(&mut app, "RCPT TO:<alice@example.org>");
    say(&mut app, "DATA");
    let text = screen(&app, 80, 24);
    assert!(text.contains("DATA│"), "{text}");
    assert!(text.contains("a lone . ends"), "{text}");
    say(&mut app, "Subject: note to self");
    say(&mut app, ".");
    assert!(!screen(&app, 80, 24).contains("DATA│"));
    say(&mut app, "QUIT");
    // alice reads it over POP3, typed too.
    say(&mut app, ":connect smtp.example.org:110");
    for line in [
        "USER alice@example.org",
        "PASS alice",
        "STAT",
        "RETR 1",
        "QUIT",
    ] {
        say(&mut app, line);
    }
    let pop3 = bytes(&app, conn(&app), Dir::Down);
    assert!(pop3.contains("Subject: note to self"), "{pop3}");
    assert!(
        app.trace()
            .events()
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Connect { port: 110, .. }))
    );
}

#[test]
fn the_a_key_opens_the_console_on_a_run_and_exit_returns_to_it() {
    let mut app = app("hello");
    let run_len = app.len();
    press(&mut app, KeyCode::Char('a'));
    let c = app.console.as_ref().expect("a opened the console");
    assert_eq!(c.hostname, "laptop.example.org");
    assert!(c.focused);
    console::settle(&mut app);
    // Keys go to the console: q is typed, not quit.
    type_text(&mut app, "q");
    assert!(!app.quit);
    assert_eq!(app.console.as_ref().unwrap().editor.text(), "q");
    // Esc gives them back; a takes them again.
    press(&mut app, KeyCode::Esc);
    assert!(!app.console.as_ref().unwrap().focused);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.view, mailflow::tui::app::View::Ladder);
    press(&mut app, KeyCode::Char('a'));
    assert!(app.console.as_ref().unwrap().focused);
    assert_eq!(app.view, mailflow::tui::app::View::Main);
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    say(&mut app, ":exit");
    assert!(app.console.is_none());
    assert_eq!(app.len(), run_len, "back on the run it came from");
}

#[test]
fn the_console_fits_every_screen_and_monochrome_has_no_colour() {
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = console_on("hello", "laptop.example.org", Theme::dark());
        say(&mut app, "EHLO laptop.example.org");
        let text = screen(&app, w, h);
        assert!(text.contains("laptop›"), "{w}x{h}:\n{text}");
        assert!(
            text.contains("C: EHLO laptop.example.org"),
            "{w}x{h}:\n{text}"
        );
        assert!(text.contains("the world waits for you"), "{w}x{h}:\n{text}");
        assert!(text.contains("Esc"), "{w}x{h}:\n{text}");
        assert!(
            hidden_by_wide_symbols(&draw(&app, w, h)).is_empty(),
            "{w}x{h}"
        );
    }
    let mut app = console_on("hello", "laptop.example.org", Theme::mono());
    say(&mut app, "RCPT TO:<x@example.net>");
    assert!(coloured_cells(&draw(&app, 120, 40)).is_empty());
}

#[test]
fn every_bundled_scenario_can_be_played_from_its_first_client() {
    for name in mailflow::scenario::bundled::names() {
        let plan = mailflow::scenario::load(name).expect("bundled").plan;
        let Some(first) = plan.clients.first() else {
            continue;
        };
        let host = plan.host(first.host).name.clone();
        let mut app = console_on(name, &host, Theme::dark());
        say(&mut app, &format!("EHLO {host}"));
        let c = app.console.as_ref().unwrap();
        let conn = c
            .wire
            .conn()
            .unwrap_or_else(|| panic!("{name}: {:?}", c.wire));
        let up = bytes(&app, conn, Dir::Up);
        assert!(up.starts_with(&format!("EHLO {host}\r\n")), "{name}: {up}");
        // What the console shows is what the trace holds.
        let text = screen(&app, 200, 60);
        let down = bytes(&app, conn, Dir::Down);
        let greeting = down.lines().next().unwrap_or_default();
        assert!(
            text.contains(greeting.trim_end()),
            "{name}: {greeting}\n{text}"
        );
    }
}

#[test]
fn as_names_a_client_or_mta_of_the_scenario_or_lists_them() {
    let out = cli::mailflow(&["tui", "hello", "--as", "laptop.exmple.org"]);
    assert_eq!(out.status.code(), Some(2));
    let said = cli::said(&out);
    assert!(
        said.contains("did you mean \"laptop.example.org\"?"),
        "{said}"
    );
    assert!(
        said.contains("the MTAs are: smtp.example.org, mx.example.net"),
        "{said}"
    );
}

/// With the console open the mouse reads the panes as drawn: a click on
/// the console gives it the keys, a click on the explanation gives them
/// back to the dashboard and focuses that pane.
#[test]
fn a_click_lands_on_the_console_or_the_pane_drawn_where_it_is() {
    use mailflow::tui::app::Focus;
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = app("hello");
        press(&mut app, KeyCode::Char('a'));
        console::settle(&mut app);
        screen(&app, w, h);
        let drawn = app.drawn.get();
        let (Some(area), Some(explain)) = (drawn.console, drawn.explain) else {
            panic!("console and explanation drawn at {w}x{h}: {drawn:?}");
        };
        click(&mut app, explain.x + 3, explain.y + 2, rect(w, h));
        assert!(!app.console.as_ref().unwrap().focused, "{w}x{h}");
        assert_eq!(app.focus, Focus::Explain, "{w}x{h}");
        click(&mut app, area.x + 3, area.y + 2, rect(w, h));
        assert!(app.console.as_ref().unwrap().focused, "{w}x{h}");
    }
}
