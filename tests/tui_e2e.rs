//! The dashboard end to end, as a person sees it: the real binary in a real
//! terminal (a detached tmux of a fixed size), keys typed with
//! `tmux send-keys`, the screen read back with `tmux capture-pane`.
//!
//! Each test starts its own tmux server (`tmux -L <unique socket>`, no user
//! configuration) running a plain `sh`, types `mailflow; echo EXIT=$?` into
//! it, and kills that server when it ends, even when an assertion fails (a
//! guard with `Drop`). Screens are awaited by polling with a timeout, never
//! by fixed sleeps, so a test takes about a second.
//!
//! What is checked:
//!
//! * at 120x40 and at 80x24: the dashboard opens on the hello scenario
//!   (title, tabs); → steps until the transcript shows `C: EHLO` and the
//!   explanation names RFC 5321; `?` lists the keys; `]` moves to another
//!   session; `3` shows the letter with its Received lines; `q` quits with
//!   status 0 and the terminal is restored: main screen again (tmux's
//!   `alternate_on` is 0), the shell's prompt and output on it, no mouse
//!   reporting left on, the cursor visible, the tty in cooked mode;
//! * a panic inside the dashboard restores the terminal the same way before
//!   the panic message is printed (the panicking dashboard is this test
//!   binary re-executed, calling `mailflow::tui::run` on a trace that names
//!   a host the world lacks);
//! * `mailflow serve` with its dashboard ends on SIGTERM: a connected
//!   client is told `421 4.3.2`, the process exits 0 within seconds, and
//!   the terminal is restored as above;
//! * with `NO_COLOR=1` no screen carries a colour escape (`capture-pane -e`),
//!   while bold and reverse video may; without it, colours do appear (so
//!   the check can see them).
//!
//! Where tmux is not installed the tests say so loudly and pass; CI installs
//! it (`.ci/run`).

#[path = "support/serve.rs"]
mod serve;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any one screen may take to appear.
const TIMEOUT: Duration = Duration::from_secs(15);
/// How often the screen is read while waiting.
const POLL: Duration = Duration::from_millis(20);
/// The shell's prompt inside tmux.
const PROMPT: &str = "e2e$ ";
/// Set in the re-executed test binary that runs a panicking dashboard.
const PANIC_CHILD: &str = "MAILFLOW_E2E_PANIC_CHILD";

fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!! tui_e2e: tmux is not installed: the dashboard's end-to-end tests are");
        eprintln!("!! SKIPPED. Install it (apt-get install -y tmux) to run them; CI does.");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    }
    found
}

/// Single-quotes a word for `sh`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A private tmux server with one window running `sh`, killed on drop.
struct Tmux {
    socket: String,
    target: String,
    /// The server's socket file, removed on drop (kill-server leaves it).
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    /// A `cols`x`rows` terminal with a shell waiting at its prompt. `env`
    /// is set in the shell, and `NO_COLOR` is removed unless given there.
    fn start(cols: u16, rows: u16, env: &[(&str, &str)]) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let socket = format!(
            "mailflow-e2e-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut tmux = Tmux {
            target: format!("{socket}:0.0"),
            socket,
            socket_path: None,
        };
        let mut shell: Vec<String> = vec!["env".into(), "-u".into(), "NO_COLOR".into()];
        shell.push(format!("PS1={PROMPT}"));
        shell.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        shell.push("sh".into());
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            &tmux.socket,
            "-x",
            &cols,
            "-y",
            &rows,
            "--",
        ];
        args.extend(shell.iter().map(String::as_str));
        tmux.run(&args);
        let path = tmux.format("#{socket_path}");
        tmux.socket_path = (!path.is_empty()).then(|| path.into());
        tmux.wait_for("the shell's prompt", |s| s.contains(PROMPT.trim_end()));
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Types keys by tmux's names (`Right`, `Enter`, `q`, `?`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend(keys);
        self.run(&args);
    }

    /// Types a command line into the shell and presses Enter.
    fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", &self.target, "-l", line]);
        self.keys(&["Enter"]);
    }

    /// The screen as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", &self.target]).stdout)
            .into_owned()
    }

    /// The screen with its attributes as escape sequences.
    fn screen_escapes(&self) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["capture-pane", "-p", "-e", "-t", &self.target])
                .stdout,
        )
        .into_owned()
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    fn format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", &self.target, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Waits until the screen satisfies `ready`, and returns it; fails
    /// with the last screen after `TIMEOUT`.
    #[track_caller]
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out after {TIMEOUT:?} waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for a text on the screen.
    #[track_caller]
    fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?}"), |s| s.contains(text))
    }

    /// Types `keys` and waits until the screen satisfies `ready`.
    #[track_caller]
    fn press(&self, keys: &[&str], what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.keys(keys);
        self.wait_for(what, ready)
    }
}

impl Tmux {
    /// Types `keys`, waits for the screen to change from `before`, then
    /// for it to hold still (two reads 50 ms apart agree), and returns it.
    #[track_caller]
    fn press_and_settle(&self, keys: &[&str], before: &str) -> String {
        self.keys(keys);
        let mut last = self.wait_for("the screen to change", |s| s != before);
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.screen();
            if now == last {
                return now;
            }
            last = now;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null", "kill-server"])
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn mailflow() -> String {
    quote(env!("CARGO_BIN_EXE_mailflow"))
}

/// The playhead from the status bar: `event 8/69` gives 8.
fn playhead(screen: &str) -> Option<usize> {
    let at = screen.find(" event ")? + " event ".len();
    let digits: String = screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The number of the session on screen: `[1] smtp.example.org → ...` gives 1.
fn session_number(screen: &str) -> Option<u32> {
    let status = screen.lines().rev().find(|l| l.contains(" event "))?;
    let open = status.find(" [")? + 2;
    let digits: String = status[open..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The exit status the shell printed after the program, once it did.
fn exit_status(screen: &str) -> Option<i32> {
    // A long command line may wrap its own `echo EXIT=$?` onto a line of
    // its own: only a number counts.
    screen
        .lines()
        .find_map(|l| l.trim().strip_prefix("EXIT=")?.trim().parse().ok())
}

/// The number of events from the status bar: `event 8/69` gives 69.
fn total(screen: &str) -> Option<usize> {
    let at = screen.find(" event ")? + " event ".len();
    let slash = at + screen[at..].find('/')? + 1;
    let digits: String = screen[slash..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Checks that a program that ended left the terminal as it found it: the
/// main screen (not the alternate one), no mouse reporting, a visible
/// cursor, and a tty in cooked mode with echo.
#[track_caller]
fn assert_restored(tmux: &Tmux, screen: &str) {
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the alternate screen is still on after exit:\n{screen}"
    );
    for flag in [
        "mouse_any_flag",
        "mouse_button_flag",
        "mouse_standard_flag",
        "mouse_sgr_flag",
    ] {
        assert_eq!(
            tmux.format(&format!("#{{{flag}}}")),
            "0",
            "mouse reporting ({flag}) is still on after exit:\n{screen}"
        );
    }
    assert_eq!(
        tmux.format("#{cursor_flag}"),
        "1",
        "the cursor is still hidden after exit:\n{screen}"
    );
    for tab in ["1 Flow", "2 Ladder", "Transcript", "Explain"] {
        assert!(
            !screen.contains(tab),
            "the dashboard ({tab:?}) is still on screen after exit:\n{screen}"
        );
    }
    // Raw mode off: ask the tty itself. C-j ends the line even in raw mode
    // (where Enter sends a bare CR), so a tty left raw is reported, not
    // waited for.
    tmux.run(&[
        "send-keys",
        "-t",
        &tmux.target,
        "-l",
        "echo STTY: $(stty -a | tr ' ;' '\\n\\n' | grep -E -x -e '-?(icanon|echo)')",
    ]);
    tmux.keys(&["C-j"]);
    let after = tmux.wait_for("stty's answer", |s| {
        s.lines().any(|l| l.starts_with("STTY: "))
    });
    let modes = after
        .lines()
        .find_map(|l| l.strip_prefix("STTY: "))
        .unwrap_or_default();
    let modes: Vec<&str> = modes.split_whitespace().collect();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "the tty was left in raw mode (stty: {modes:?}):\n{after}"
    );
}

/// The whole tour at one size.
fn tour(cols: u16, rows: u16) {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(cols, rows, &[]);
    tmux.type_line(&format!("{}; echo EXIT=$?", mailflow()));

    // It opens on the hello scenario, paused at the start, with a tab
    // for each of the six views on its first line (named where there is
    // room, at least numbered).
    // It opens while the world computes; the tour starts once it is done
    // (a key before the first event has nothing to step onto).
    let screen = tmux.wait_for("the dashboard at event 0, its world computed", |s| {
        s.contains("mailflow: Hello")
            && playhead(s) == Some(0)
            && !s.contains("computing ")
            && total(s).is_some_and(|n| n > 0)
    });
    let top = screen.lines().next().unwrap_or_default();
    assert!(
        top.contains("mailflow: Hello"),
        "the title belongs on the first line:\n{screen}"
    );
    let tabs = [
        "1 Flow", "2 Ladder", "3 Letter", "4 Queues", "5 DNS", "6 Events",
    ];
    for tab in tabs {
        let shown = if cols >= 120 {
            top.contains(tab)
        } else {
            top.contains(&tab[..2]) || top.ends_with(&tab[..1])
        };
        assert!(shown, "tab {tab:?} is missing at {cols}x{rows}:\n{screen}");
    }
    assert!(
        screen.contains("paused"),
        "it should open paused:\n{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the dashboard should use the alternate screen"
    );

    // → one event at a time until the line under the playhead (▶) is EHLO.
    let at_ehlo = |s: &str| s.lines().any(|l| l.contains('▶') && l.contains("C: EHLO"));
    let mut screen = screen;
    let mut steps = 0;
    while !at_ehlo(&screen) {
        steps += 1;
        assert!(
            steps <= 40,
            "40 steps and still no EHLO under the playhead:\n{screen}"
        );
        let before = playhead(&screen);
        screen = tmux.press(&["Right"], "the playhead to move", |s| {
            playhead(s).is_some() && playhead(s) != before
        });
    }
    // The explanation arrives in the same frame; the transcript itself
    // never cites RFCs.
    assert!(
        screen.contains("RFC 5321"),
        "the explanation of EHLO should cite RFC 5321:\n{screen}"
    );
    let first_session = session_number(&screen);
    assert_eq!(
        first_session,
        Some(0),
        "EHLO belongs to the first session:\n{screen}"
    );

    // ? lists the keys (the status bar never says Ctrl-C); any key closes.
    // A short screen (80×24) shows the rest a page down.
    let mut help = tmux.press(&["?"], "the help overlay", |s| {
        s.contains("Keys and symbols")
    });
    if help.contains("other keys close") {
        help += &tmux.press(&["NPage"], "the help's last page", |s| s.contains("Ctrl-C"));
    }
    for key in ["Space", "Home", "End", "Tab", "Esc", "Ctrl-C"] {
        assert!(help.contains(key), "the help should list {key:?}:\n{help}");
    }
    tmux.press(&["?"], "the help to close", |s| {
        !s.contains("Keys and symbols")
    });

    // ] jumps to the start of the next session: the relay to mx.
    let screen = tmux.press(&["]"], "another session", |s| {
        session_number(s).is_some_and(|n| Some(n) != first_session)
    });
    let n = session_number(&screen).unwrap_or_default();
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&format!("[{n}]")) && l.contains("mx")),
        "the next session is the relay to mx.example.net:\n{screen}"
    );

    // End, then 3: bob's copy with its Received lines.
    let end = total(&screen).expect("the status bar shows the number of events");
    tmux.press(&["End"], "the end of the run", |s| playhead(s) == Some(end));
    let letter = tmux.press(&["3"], "the letter view with Received lines", |s| {
        s.contains("Received")
    });
    assert!(
        letter.contains("bob@example.net"),
        "the letter is bob's:\n{letter}"
    );

    // q quits with status 0 and gives the shell its screen back.
    tmux.keys(&["q"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(
        exit_status(&after),
        Some(0),
        "mailflow should exit with 0:\n{after}"
    );
    assert!(
        after.contains(PROMPT.trim_end()),
        "the shell's prompt should be back:\n{after}"
    );
    assert_restored(&tmux, &after);
}

#[test]
fn dashboard_tour_120x40() {
    tour(120, 40);
}

#[test]
fn dashboard_tour_80x24() {
    tour(80, 24);
}

// ------------------------------------------------------------------ panic

/// In the re-executed test binary only: a dashboard that panics on the
/// first step. Its trace names a host the world does not have, so the
/// explanation of that event (`trace.name(host)`) indexes out of bounds
/// inside `terminal.draw`, with the terminal in raw mode, on the alternate
/// screen, with mouse capture on: a real panic on the real path.
#[test]
fn panicking_dashboard_child() {
    if std::env::var_os(PANIC_CHILD).is_none() {
        return;
    }
    use mailflow::trace::index::Index;
    use mailflow::trace::{EventKind, HostId, HostInfo, Role, SimTime, Trace};
    let mut trace = Trace::new(vec![HostInfo {
        name: "only.example.org".into(),
        ip: "192.0.2.1".parse().expect("an address"),
        role: Role::Mta,
        down: Vec::new(),
        label: None,
    }]);
    trace.push(
        SimTime::ZERO,
        EventKind::Wake {
            host: HostId(7),
            why: "a host that is not in the world".into(),
        },
    );
    let world = mailflow::tui::World {
        title: "panic test".into(),
        about: "one step panics".into(),
        index: Index::build(&trace),
        trace,
        verdicts: Vec::new(),
        plan: None,
    };
    let _ = mailflow::tui::run(world, mailflow::tui::Theme::dark());
    // Not reached while the trigger holds; if it no longer panics, the
    // parent sees the exit status and says so.
    println!("NO PANIC");
}

#[test]
fn panic_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let tmux = Tmux::start(100, 30, &[(PANIC_CHILD, "1"), ("RUST_BACKTRACE", "0")]);
    tmux.type_line(&format!(
        "{} panicking_dashboard_child --exact --nocapture --test-threads=1; echo EXIT=$?",
        quote(&exe.to_string_lossy())
    ));
    tmux.wait_text("mailflow: panic test");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the dashboard should be on the alternate screen"
    );
    assert_eq!(
        tmux.format("#{mouse_any_flag}"),
        "1",
        "the dashboard should capture the mouse"
    );
    tmux.keys(&["Right"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert!(
        !after.contains("NO PANIC"),
        "the trigger no longer panics (a host index out of range is now handled?): \
         find another way to panic inside tui::run, or drop this test:\n{after}"
    );
    assert_eq!(
        exit_status(&after),
        Some(101),
        "a panicking test binary exits with 101:\n{after}"
    );
    assert!(
        after.contains("panicked"),
        "the panic message should be readable on the main screen:\n{after}"
    );
    assert_restored(&tmux, &after);
}

// ------------------------------------------------------------ serve, SIGTERM

/// The SMTP port a `mailflow serve` dashboard shows: in the status bar
/// (`smtp 127.0.0.1:40123 -> mx.example.net port 25`) or in the hint of
/// its title (`swaks --server 127.0.0.1:40123`).
fn served_smtp_port(screen: &str) -> Option<u16> {
    ["smtp 127.0.0.1:", "--server 127.0.0.1:"]
        .iter()
        .find_map(|before| {
            let at = screen.find(before)? + before.len();
            let digits: String = screen[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok().filter(|&p| p != 0)
        })
}

/// SIGTERM, as a service manager or `kill` sends it, ends `mailflow serve`
/// with its dashboard as Ctrl-C does: the client is told `421 4.3.2` (RFC
/// 5321 §3.8), the process exits 0 within seconds, and the terminal is the
/// shell's again. (The world used to stop while the dashboard stayed on,
/// the process alive.)
#[test]
fn sigterm_ends_the_serve_dashboard_421_4_3_2_exit_0_and_the_terminal_restored_rfc5321_3_8() {
    if !tmux_available() {
        return;
    }
    let dir = serve::TempDir::new("sigterm-dashboard");
    let pidfile = dir.path().join("pid");
    let tmux = Tmux::start(200, 50, &[]);
    // sh writes its pid, then becomes mailflow: that pid is the server's.
    let inner = format!(
        "echo $$ > {}; exec {} serve --smtp 127.0.0.1:0 --pop3 127.0.0.1:0 --dns 127.0.0.1:0",
        quote(&pidfile.to_string_lossy()),
        mailflow()
    );
    tmux.type_line(&format!("sh -c {}; echo EXIT=$?", quote(&inner)));
    let screen = tmux.wait_for("the dashboard with its SMTP port", |s| {
        s.contains("mailflow: Hello: alice writes to bob") && served_smtp_port(s).is_some()
    });
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the dashboard should be on the alternate screen:\n{screen}"
    );
    let port = served_smtp_port(&screen).unwrap();
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {}", pidfile.display()));

    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut smtp = serve::Smtp::open(addr);
    smtp.ehlo("client.example");
    let start = Instant::now();
    serve::signal(pid, "TERM");
    let replies = smtp.expect_closed(serve::STOP_TIMEOUT);
    let told = start.elapsed();
    assert!(
        replies.len() == 1 && replies[0].is(421, "4.3.2"),
        "after SIGTERM the client should get exactly 421 4.3.2 and the close: {replies:?}"
    );
    let after = tmux.wait_for("the exit status after SIGTERM", |s| {
        exit_status(s).is_some()
    });
    let exited = start.elapsed();
    println!("SIGTERM: the client was told 421 after {told:?}; EXIT on screen after {exited:?}");
    assert_eq!(
        exit_status(&after),
        Some(0),
        "mailflow serve should exit 0 after SIGTERM:\n{after}"
    );
    assert!(
        exited <= Duration::from_secs(5),
        "mailflow serve took {exited:?} to exit after SIGTERM:\n{after}"
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is still there after it exited"
    );
    assert!(
        !after.contains("panicked") && !after.contains("failed"),
        "nothing should have gone wrong on the way out:\n{after}"
    );
    assert_restored(&tmux, &after);
}

// --------------------------------------------------------------- NO_COLOR

/// The SGR sequences (`ESC [ ... m`) in a captured screen that set a
/// colour: 30-38, 40-48, 90-97, 100-107 (39 and 49, back to the default
/// colour, are not colours).
fn colour_escapes(captured: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = captured;
    while let Some(start) = rest.find("\x1b[") {
        let after = &rest[start + 2..];
        let Some(len) = after.find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':')) else {
            break;
        };
        let (params, tail) = after.split_at(len);
        rest = tail;
        if !tail.starts_with('m') {
            continue;
        }
        let mut iter = params.split(';');
        while let Some(p) = iter.next() {
            let n: u32 = p
                .split(':')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            match n {
                30..=37 | 40..=47 | 90..=97 | 100..=107 => found.push(format!("ESC[{params}m")),
                38 | 48 => {
                    found.push(format!("ESC[{params}m"));
                    // Skip the colour's own parameters (5;n or 2;r;g;b).
                    match iter.next() {
                        Some("5") => {
                            iter.next();
                        }
                        Some("2") => {
                            iter.next();
                            iter.next();
                            iter.next();
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// Every view and the help overlay, captured with escapes.
fn every_view(tmux: &Tmux) -> Vec<(String, String)> {
    tmux.type_line(&format!("{}; echo EXIT=$?", mailflow()));
    tmux.wait_text("mailflow: Hello: alice writes to bob");
    // Somewhere in the middle, so every view has something to show. A
    // step is a line of a group or an event, so forty steps pass at least
    // twelve events.
    for _ in 0..40 {
        tmux.keys(&["Right"]);
    }
    tmux.wait_for("twelve events", |s| playhead(s).is_some_and(|p| p >= 12));
    let mut screen = tmux.screen();
    let mut screens = vec![("view 1".to_owned(), tmux.screen_escapes())];
    for key in ["2", "3", "4", "5", "6"] {
        screen = tmux.press_and_settle(&[key], &screen);
        screens.push((format!("view {key}"), tmux.screen_escapes()));
    }
    tmux.press(&["?"], "the help", |s| s.contains("Ctrl-C"));
    screens.push(("help".into(), tmux.screen_escapes()));
    tmux.keys(&["?", "q"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&after), Some(0), "{after}");
    screens
}

#[test]
fn no_color_means_no_colour() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(120, 40, &[("NO_COLOR", "1")]);
    let screens = every_view(&tmux);
    let mut emphasis = 0;
    for (name, captured) in &screens {
        let colours = colour_escapes(captured);
        assert!(
            colours.is_empty(),
            "NO_COLOR=1, yet {name} sets colours: {:?}\n{captured}",
            &colours[..colours.len().min(8)]
        );
        emphasis += captured.matches("\x1b[1m").count() + captured.matches("\x1b[7m").count();
    }
    assert!(
        emphasis > 0,
        "the monochrome theme should still use bold or reverse video"
    );
}

#[test]
fn colours_are_seen_without_no_color() {
    // The control for the test above: the same check does find colours
    // when they are there.
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(120, 40, &[]);
    let screens = every_view(&tmux);
    for (name, captured) in &screens[..1] {
        assert!(
            !colour_escapes(captured).is_empty(),
            "no colour found in {name}:\n{captured}"
        );
    }
}

#[test]
fn colour_escapes_are_parsed() {
    let bold_reverse_italic = "\x1b[1m\x1b[7mx\x1b[3m\x1b[39m\x1b[49m\x1b[0m";
    assert!(colour_escapes(bold_reverse_italic).is_empty());
    assert_eq!(colour_escapes("\x1b[1;31mx").len(), 1);
    assert_eq!(colour_escapes("\x1b[38;5;196mx").len(), 1);
    assert_eq!(
        colour_escapes("\x1b[38;2;1;2;3mx\x1b[48;2;40;44;70m").len(),
        2
    );
    assert_eq!(colour_escapes("\x1b[38:2::1:2:3mx").len(), 1);
    assert!(Path::new(env!("CARGO_BIN_EXE_mailflow")).exists());
}

/// The number key of the choice whose code is `code` on a question screen
/// (`  2  450  Requested ...`), if it is listed.
fn choice_key(screen: &str, code: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let inner = line.split('┃').nth(1)?;
        let mut words = inner.split_whitespace();
        let key = words.next()?;
        (key.len() == 1 && key.chars().all(|c| c.is_ascii_digit()) && words.next() == Some(code))
            .then(|| key.to_owned())
    })
}

/// The codes offered on a question screen, in order.
fn offered(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|line| {
            let inner = line.split('┃').nth(1)?;
            let mut words = inner.split_whitespace();
            let key = words.next()?;
            let code = words.next()?;
            (key.len() == 1
                && key.chars().all(|c| c.is_ascii_digit())
                && code.len() == 3
                && code.chars().all(|c| c.is_ascii_digit()))
            .then(|| code.to_owned())
        })
        .collect()
}

#[test]
fn predict_asks_before_each_reply_scores_right_and_wrong_and_prints_a_summary() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(120, 40, &[]);
    tmux.type_line(&format!(
        "{} tui greylisting --predict; echo EXIT=$?",
        mailflow()
    ));
    let mut screen = tmux.wait_for("the dashboard at event 0", |s| playhead(s) == Some(0));
    let asking = |s: &str| s.contains("what will the server say?");
    // → until the first question: the reply to AUTH, not yet on screen.
    let mut steps = 0;
    while !asking(&screen) {
        steps += 1;
        assert!(steps <= 40, "40 steps and no question:\n{screen}");
        screen = tmux.press_and_settle(&["Right"], &screen);
    }
    assert!(
        screen.contains("answer to AUTH"),
        "AUTH is asked first:\n{screen}"
    );
    assert!(
        !screen.contains("S: 235"),
        "the reply is hidden until answered:\n{screen}"
    );
    // The right answer, 235.
    let right = choice_key(&screen, "235").unwrap_or_else(|| panic!("235 offered:\n{screen}"));
    let reveal = tmux.press(&[&right], "the reveal", |s| s.contains("✓ Right"));
    assert!(reveal.contains("235 2.7.0"), "the real reply:\n{reveal}");
    assert!(reveal.contains("predict 1/1 right"), "the score:\n{reveal}");
    // Any key goes on; → until the next question, the reply to MAIL FROM.
    let mut screen = tmux.press(&["Enter"], "the reveal to close", |s| {
        !s.contains("✓ Right")
    });
    let mut steps = 0;
    while !asking(&screen) {
        steps += 1;
        assert!(steps <= 40, "40 steps and no second question:\n{screen}");
        screen = tmux.press_and_settle(&["Right"], &screen);
    }
    assert!(
        screen.contains("answer to MAIL FROM"),
        "then MAIL:\n{screen}"
    );
    // A wrong answer: any code but 250.
    let wrong_code = offered(&screen)
        .into_iter()
        .find(|c| c != "250")
        .unwrap_or_else(|| panic!("a wrong choice offered:\n{screen}"));
    let wrong = choice_key(&screen, &wrong_code).expect("its key");
    let reveal = tmux.press(&[&wrong], "the reveal", |s| s.contains("✗ Not this time"));
    assert!(reveal.contains("predict 1/2 right"), "the score:\n{reveal}");
    // q quits (from the reveal, after a key); the summary follows on the
    // restored terminal.
    tmux.keys(&["Enter"]);
    tmux.keys(&["q"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&after), Some(0), "{after}");
    assert!(
        after.contains("1 of 2 answered right"),
        "the summary after the dashboard:\n{after}"
    );
    assert_restored(&tmux, &after);
}

#[test]
fn what_if_the_greylisting_450_had_been_250_delivers_without_a_retry_and_b_switches_back() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(120, 40, &[]);
    tmux.type_line(&format!("{} tui greylisting; echo EXIT=$?", mailflow()));
    // The dashboard opens while the world computes: the total is the
    // run's once the status bar no longer says so.
    let screen = tmux.wait_for("the world computed, the dashboard at event 0", |s| {
        playhead(s) == Some(0) && !s.contains("computing ")
    });
    let original_total = total(&screen).expect("a total");
    // The first 450: search for it; the line itself is selected.
    tmux.keys(&["/"]);
    tmux.type_line("Greylisted");
    tmux.wait_text("found \"Greylisted\"");
    let menu = tmux.press(&["w"], "the what-if menu", |s| {
        s.contains("answered otherwise?")
    });
    assert!(menu.contains("now: 450 4.7.1 Greylisted"), "{menu}");
    let key = menu
        .lines()
        .find(|l| l.contains("250 2.0.0"))
        .and_then(|l| {
            let at = l.find("250 2.0.0")?;
            l[..at].trim_end().chars().last()
        })
        .unwrap_or_else(|| panic!("250 offered:\n{menu}"))
        .to_string();
    // Read once the whole box is drawn: its last line is the on-screen run.
    let changes = tmux.press(&[&key], "what changed", |s| {
        s.contains("What changed") && s.contains("on screen: the what-if branch")
    });
    assert!(changes.contains("<bob@example.net>"), "{changes}");
    assert!(
        changes.contains("retried at") && changes.contains("no retry"),
        "bob was retried in the original and not in the branch:\n{changes}"
    );
    assert!(changes.contains("deferrals 1 → 0"), "{changes}");
    // Close the summary: the branch is on screen, at the fork, and shorter.
    let branch = tmux.press(&["Enter"], "the summary to close", |s| {
        !s.contains("What changed") && s.contains("⑂ what-if, fork at 34")
    });
    assert!(branch.contains("⑂ what-if, fork at 34"), "{branch}");
    assert!(
        branch.contains("S: 250 2.0.0 Requested mail action okay"),
        "{branch}"
    );
    let branch_total = total(&branch).expect("a total");
    assert!(
        branch_total < original_total,
        "{branch_total} < {original_total}"
    );
    // The failures of the branch: no 450, no deferral, no retry.
    let events = tmux.press(&["6"], "the events view", |s| s.contains("Events ("));
    let failures = tmux.press_and_settle(&["x"], &events);
    assert!(failures.contains("failures only"), "{failures}");
    assert!(
        !failures.contains("deferred SMTP0001"),
        "no deferral in the branch:\n{failures}"
    );
    assert!(
        failures.contains("(0 of "),
        "nothing failed in the branch:\n{failures}"
    );
    // b goes back to the original run, with its 450 and its deferral.
    let original = tmux.press(&["b"], "the original run", |s| {
        s.contains("⑂ original, fork at 34") && s.contains("deferred SMTP0001")
    });
    assert_eq!(total(&original), Some(original_total), "{original}");
    assert!(
        original.contains("deferred SMTP0001"),
        "the original defers:\n{original}"
    );
    tmux.keys(&["q"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&after), Some(0), "{after}");
    assert_restored(&tmux, &after);
}

/// Types text as it is (no key names), without Enter.
fn type_raw(tmux: &Tmux, text: &str) {
    tmux.run(&["send-keys", "-t", &tmux.target, "-l", text]);
}

#[test]
fn as_client_a_typed_session_delivers_to_bob_and_a_550_is_explained() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(120, 40, &[]);
    tmux.type_line(&format!(
        "{} tui hello --as laptop.example.org; echo EXIT=$?",
        mailflow()
    ));
    tmux.wait_for("the console, greeted", |s| {
        s.contains("laptop›") && s.contains("S: 220 smtp.example.org")
    });
    tmux.type_line("EHLO laptop.example.org");
    tmux.wait_text("S: 250 DSN");
    // Tab writes alice's login in base64.
    type_raw(&tmux, "AUTH PLAIN ");
    tmux.keys(&["Tab", "Enter"]);
    tmux.wait_text("S: 235");
    tmux.type_line("MAIL FROM:<alice@example.org>");
    tmux.wait_text("S: 250 2.1.0");
    tmux.type_line("RCPT TO:<bob@example.net>");
    tmux.wait_text("S: 250 2.1.5");
    tmux.type_line("DATA");
    tmux.wait_text("DATA│");
    for line in ["Subject: typed in class", "", "Hello Bob!"] {
        tmux.type_line(line);
    }
    tmux.type_line(".");
    tmux.wait_text("next: MAIL FROM:<alice@example.org> · QUIT");
    tmux.type_line("QUIT");
    tmux.wait_text("S: 221");
    // The dashboard's keys again (Esc alone: a key right after it would
    // read as Alt-key), the live edge, and bob's mailbox.
    tmux.press(&["Escape"], "the dashboard's keys", |s| {
        s.contains("a: type here")
    });
    tmux.keys(&["End", "4"]);
    tmux.wait_text("<bob@example.net> on mx.example.net: 1 message");
    // Back to the console, and by hand to the MX: an unknown user.
    tmux.keys(&["1", "a"]);
    tmux.type_line(":connect mx.example.net:25");
    tmux.wait_text("S: 220 mx.example.net");
    tmux.type_line("HELO laptop.example.org");
    tmux.type_line("MAIL FROM:<alice@example.org>");
    tmux.type_line("RCPT TO:<nobody@example.net>");
    let refused = tmux.wait_text("? why:");
    assert!(refused.contains("S: 550 5.1.1"), "{refused}");
    assert!(
        refused.contains("Bad destination mailbox address (5.1.1)"),
        "{refused}"
    );
    assert!(
        refused.contains("try: Permanent: check the spelling"),
        "{refused}"
    );
    tmux.keys(&["C-c"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&after), Some(0), "{after}");
    assert_restored(&tmux, &after);
}

/// `mailflow lesson hello`, walked to its end in a real terminal: each
/// question answered right with its key, the step moving on by itself
/// when answered, playback running to the end on the step that plays,
/// and the Markdown summary printed and written to `--summary`.
#[test]
fn lesson_hello_walked_to_the_end_prints_and_writes_its_summary() {
    if !tmux_available() {
        return;
    }
    let file = std::env::temp_dir().join(format!("mailflow-lesson-{}.md", std::process::id()));
    let tmux = Tmux::start(120, 40, &[]);
    tmux.type_line(&format!(
        "{} lesson hello --summary {} --format markdown; echo EXIT=$?",
        mailflow(),
        file.display()
    ));
    tmux.wait_text("Lesson · step 1/8");
    // Each question of hello's lesson, and its right choice.
    let mut screen = tmux.press(&[">"], "the AUTH question", |s| {
        s.contains("answer to AUTH PLAIN?")
    });
    assert!(!screen.contains("S: 235"), "the reply is hidden:\n{screen}");
    for (key, next) in [
        ("1", "step 3/8"),
        ("2", "answer to RCPT"),
        ("3", "How many Received lines"),
        ("2", "step 6/8"),
    ] {
        tmux.press(&[key], "the reveal", |s| s.contains("any key continues"));
        screen = tmux.press(&["Enter"], next, |s| s.contains(next));
        if next == "step 3/8" {
            screen = tmux.press(&[">"], "the MX question", |s| s.contains("MX answer name"));
        }
    }
    assert!(screen.contains("step 6/8"), "{screen}");
    tmux.press(&[">"], "step 7", |s| s.contains("step 7/8"));
    let end = tmux.wait_text("step 8/8");
    assert!(end.contains("the whole trip"), "{end}");
    tmux.keys(&["q"]);
    let after = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&after), Some(0), "{after}");
    assert!(after.contains("4 of 4 answered right"), "{after}");
    let written = std::fs::read_to_string(&file).expect("the summary file");
    let _ = std::fs::remove_file(&file);
    assert!(
        written.contains("| # | where | asked | real answer | answered | right |"),
        "{written}"
    );
    assert!(
        written.contains(
            "| 4 | lesson step 6 | How many Received lines does bob's copy carry? | 2 | 2 | yes |"
        ),
        "{written}"
    );
    assert_restored(&tmux, &after);
}
