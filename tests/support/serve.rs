//! Shared helpers for the tests that drive `mailflow serve` with real
//! programs and real sockets (tests/serve_*.rs):
//!
//! * [`Server`]: the real binary started as `mailflow serve hello
//!   --headless` on ports the kernel picks, its `listening` lines read, its
//!   live transcript collected, and stopped with SIGTERM (exit 0, process
//!   gone) at the end, or killed on drop when a test fails;
//! * [`have`] and [`have_python_module`]: whether an outside program is
//!   installed, with a loud message naming it and how to install it when it
//!   is not (or a failure when `MAILFLOW_REQUIRE_REAL_CLIENTS` is set, as
//!   `.ci/run` does, so CI never skips them quietly);
//! * [`run_bounded`]: an outside program run with a deadline;
//! * [`Smtp`], [`Pop3`] and [`hostile`]: plain `TcpStream` clients with
//!   timeouts, replies parsed per RFC 5321 §4.2.
//!
//! Everything talks to 127.0.0.1 only, and every wait is bounded.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the server may take to print `ready`.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one reply, one read or one connection may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the server may take to exit after SIGTERM or SIGINT.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an outside program (swaks, curl, dig, python3) may run.
pub const PROGRAM_TIMEOUT: Duration = Duration::from_secs(60);
/// Transcript kept in memory at most; past it lines are counted only.
const TRANSCRIPT_CAP: usize = 16 << 20;

/// Set (to anything) where the outside programs must be present: a
/// missing one then fails its test instead of skipping it.
pub const REQUIRE_ENV: &str = "MAILFLOW_REQUIRE_REAL_CLIENTS";

pub fn mailflow() -> &'static str {
    env!("CARGO_BIN_EXE_mailflow")
}

/// A file under tests/real/.
pub fn real(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/real")
        .join(name)
}

/// The Python the tests call: `MAILFLOW_PYTHON` if set, else `python3` on
/// PATH (the same one `.ci/run` installs aiosmtpd for).
pub fn python() -> String {
    std::env::var("MAILFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A fresh, unique word for marking one test's messages.
pub fn tag(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{what}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("mailflow-{}", tag(what)));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// scenarios/hello.ron with `fields` (RON, e.g. `max_size: 1000,`) added
/// to mx.example.net, written into `dir` as `name`; returns its path.
#[track_caller]
pub fn hello_with_mx_fields(dir: &TempDir, name: &str, fields: &str) -> PathBuf {
    let hello = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/hello.ron"),
    )
    .expect("read scenarios/hello.ron");
    let mx = r#"domains: ["example.net"],"#;
    assert_eq!(
        hello.matches(mx).count(),
        1,
        "scenarios/hello.ron should list mx.example.net's domains once, as {mx}"
    );
    let path = dir.path().join(name);
    std::fs::write(&path, hello.replace(mx, &format!("{mx} {fields}"))).unwrap();
    path
}

// ── Outside programs ──────────────────────────────────────────────────

fn missing(test: &str, program: &str, install: &str) -> bool {
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!(
            "{test}: {program} is missing but {REQUIRE_ENV} is set (as in CI): install it ({install})"
        );
    }
    // Straight to the process's stderr, past the test harness's capture,
    // so the skip shows even when the test passes.
    let bang = "!".repeat(72);
    let _ = writeln!(
        io::stderr(),
        "\n{bang}\n!! {test}: {program} is not installed: this test is SKIPPED.\n\
         !! Install it ({install}) to run it; CI does (.ci/run).\n{bang}"
    );
    false
}

/// Whether `program` runs (`program args...` exits 0); says loudly that
/// `test` is skipped when it does not.
pub fn have(test: &str, program: &str, args: &[&str], install: &str) -> bool {
    let found = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found || missing(test, program, install)
}

pub fn have_python(test: &str) -> bool {
    have(
        test,
        &python(),
        &["--version"],
        "apt-get install -y python3, or set MAILFLOW_PYTHON",
    )
}

/// Whether the tests' Python can import `module`.
pub fn have_python_module(test: &str, module: &str, install: &str) -> bool {
    if !have_python(test) {
        return false;
    }
    let found = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found || missing(test, &format!("{} module {module}", python()), install)
}

pub fn have_swaks(test: &str) -> bool {
    have(test, "swaks", &["--version"], "apt-get install -y swaks")
}

pub fn have_curl(test: &str) -> bool {
    have(test, "curl", &["--version"], "apt-get install -y curl")
}

pub fn have_dig(test: &str) -> bool {
    have(test, "dig", &["-v"], "apt-get install -y dnsutils")
}

pub fn have_aiosmtpd(test: &str) -> bool {
    have_python_module(
        test,
        "aiosmtpd",
        "python3 -m pip install aiosmtpd, or apt-get install -y python3-aiosmtpd for Debian's python3",
    )
}

/// What a bounded program run gave.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// stdout and stderr together, for messages.
    pub fn both(&self) -> String {
        format!(
            "status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

fn drain<R: Read + Send + 'static>(mut from: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = from.read_to_end(&mut all);
        all
    })
}

/// Runs `command` with no stdin, killing it (and failing) past `timeout`.
#[track_caller]
pub fn run_bounded(command: &mut Command, timeout: Duration) -> Ran {
    let what = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = drain(child.stdout.take().expect("piped stdout"));
    let err = drain(child.stderr.take().expect("piped stderr"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
            let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
            panic!(
                "{what} did not finish within {timeout:?}; killed.\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        status,
        stdout: String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    }
}

/// Sends `signal` (`TERM`, `INT`, `KILL`) to `pid` with kill(1).
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `timeout` for `child` to exit.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed on drop: SIGTERM, a short wait, then SIGKILL.
pub struct Reaped(pub Option<Child>);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take()
            && let Ok(None) = child.try_wait()
        {
            signal(child.id(), "TERM");
            if wait_exit(&mut child, Duration::from_secs(3)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

// ── The server ────────────────────────────────────────────────────────

/// One `listening` line: `listening smtp 127.0.0.1:40123 -> mx.example.net port 25`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    pub service: String,
    pub addr: SocketAddr,
    pub node: String,
    pub port: u16,
    /// What follows the port, e.g. `(udp and tcp)`; empty when nothing.
    pub rest: String,
}

/// Parses a `listening` line of the headless server.
pub fn parse_listening(line: &str) -> Option<Listening> {
    let rest = line.strip_prefix("listening ")?;
    let mut words = rest.splitn(7, ' ');
    let service = words.next()?.to_owned();
    let addr = words.next()?.parse().ok()?;
    (words.next()? == "->").then_some(())?;
    let node = words.next()?.to_owned();
    (words.next()? == "port").then_some(())?;
    let port = words.next()?.parse().ok()?;
    let rest = words.next().unwrap_or_default().to_owned();
    Some(Listening {
        service,
        addr,
        node,
        port,
        rest,
    })
}

#[derive(Default)]
struct Transcript {
    lines: Vec<String>,
    bytes: usize,
    dropped: usize,
    closed: bool,
}

/// `mailflow serve` running headless on loopback ports the kernel picked.
pub struct Server {
    child: Option<Child>,
    pub pid: u32,
    pub args: Vec<String>,
    /// The `listening` lines, in order.
    pub listening: Vec<Listening>,
    /// Other lines printed before `ready` (the contract allows none
    /// but `ca-certificate FILE` and `account USER password PASSWORD`).
    pub before_ready: Vec<String>,
    /// The world's CA certificate, when TLS is served.
    pub ca_file: Option<PathBuf>,
    /// Who may log in on the submission ports: (user, password).
    pub accounts: Vec<(String, String)>,
    pub smtp: SocketAddr,
    /// `--submission` and `--smtps`, when asked for.
    pub submission: Option<SocketAddr>,
    pub smtps: Option<SocketAddr>,
    pub pop3: SocketAddr,
    pub dns: SocketAddr,
    transcript: Arc<Mutex<Transcript>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Octets per second the transcript is read at; 0: as fast as it comes.
    throttle: Arc<AtomicU64>,
}

impl Server {
    /// `mailflow serve hello --headless` with SMTP, POP3 and DNS on
    /// 127.0.0.1 port 0, plus `extra` arguments; returns once `ready` is
    /// printed, every listener parsed.
    #[track_caller]
    pub fn start(extra: &[&str]) -> Server {
        Server::start_scenario("hello", extra)
    }

    /// As [`Server::start`], with `scenario` (a bundled name or a file)
    /// instead of `hello`. A `--smtp`, `--pop3` or `--dns` in `extra`
    /// replaces the port 0 default for that service.
    #[track_caller]
    pub fn start_scenario(scenario: &str, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec!["serve".into(), scenario.into(), "--headless".into()];
        for flag in ["--smtp", "--pop3", "--dns"] {
            if !extra.contains(&flag) {
                args.extend([flag.to_owned(), "127.0.0.1:0".to_owned()]);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(mailflow())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailflow serve");
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let transcript = Arc::new(Mutex::new(Transcript::default()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let throttle = Arc::new(AtomicU64::new(0));
        {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut pipe = stderr_pipe;
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut all = stderr.lock().unwrap();
                    if all.len() < TRANSCRIPT_CAP {
                        all.extend_from_slice(&buf[..n]);
                    }
                }
            });
        }
        // Every stdout line goes to the channel until `ready`, then into
        // the transcript. The pipe is always drained, so a chatty server
        // never blocks on it (unless a test throttles it, for a while).
        let (tx, rx) = mpsc::channel::<String>();
        {
            let transcript = Arc::clone(&transcript);
            let throttle = Arc::clone(&throttle);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut ready = false;
                let mut raw = Vec::new();
                // Since when the throttle holds, and the octets read since.
                let mut throttled: Option<(Instant, u64)> = None;
                loop {
                    raw.clear();
                    match reader.read_until(b'\n', &mut raw) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    match throttle.load(Ordering::Relaxed) {
                        0 => throttled = None,
                        rate => {
                            let (since, read) = throttled.get_or_insert((Instant::now(), 0));
                            *read += raw.len() as u64;
                            let due = Duration::from_secs_f64(*read as f64 / rate as f64);
                            let ahead = due.saturating_sub(since.elapsed());
                            if ahead > Duration::from_millis(10) {
                                std::thread::sleep(ahead);
                            }
                        }
                    }
                    let line = String::from_utf8_lossy(&raw)
                        .trim_end_matches(['\r', '\n'])
                        .to_owned();
                    if !ready {
                        ready = line == "ready";
                        if tx.send(line).is_err() {
                            // Nobody waits any more; keep draining.
                        }
                        continue;
                    }
                    let mut t = transcript.lock().unwrap();
                    if t.bytes < TRANSCRIPT_CAP {
                        t.bytes += line.len();
                        t.lines.push(line);
                    } else {
                        t.dropped += 1;
                    }
                }
                transcript.lock().unwrap().closed = true;
            });
        }
        let mut server = Server {
            child: Some(child),
            pid,
            args,
            listening: Vec::new(),
            before_ready: Vec::new(),
            ca_file: None,
            accounts: Vec::new(),
            submission: None,
            smtps: None,
            smtp: "0.0.0.0:0".parse().unwrap(),
            pop3: "0.0.0.0:0".parse().unwrap(),
            dns: "0.0.0.0:0".parse().unwrap(),
            transcript,
            stderr,
            throttle,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: no `ready` within {START_TIMEOUT:?}; lines so far: {:?}\n{}",
                        server.command(),
                        server.listening,
                        server.stderr_text()
                    )
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server
                        .child
                        .as_mut()
                        .and_then(|c| wait_exit(c, Duration::from_secs(5)));
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "{}: stdout ended before `ready` (exit status {status:?}); lines so far: {:?}\n{}",
                        server.command(),
                        server.listening,
                        server.stderr_text()
                    )
                }
            };
            if line == "ready" {
                break;
            }
            // Anything else before `ready` breaks the contract; it is kept
            // for the test that checks exactly that
            // (headless_prints_one_listening_line_per_service_then_ready).
            if let Some(path) = line.strip_prefix("ca-certificate ") {
                server.ca_file = Some(PathBuf::from(path));
                continue;
            }
            if let Some((user, password)) = line
                .strip_prefix("account ")
                .and_then(|rest| rest.split_once(" password "))
            {
                server.accounts.push((user.to_owned(), password.to_owned()));
                continue;
            }
            match parse_listening(&line) {
                Some(parsed) => server.listening.push(parsed),
                None => server.before_ready.push(line),
            }
        }
        for l in &server.listening {
            match l.service.as_str() {
                "smtp" => server.smtp = l.addr,
                "pop3" => server.pop3 = l.addr,
                "dns" => server.dns = l.addr,
                "submission" => server.submission = Some(l.addr),
                "smtps" => server.smtps = Some(l.addr),
                _ => {}
            }
        }
        for (name, addr) in [
            ("smtp", server.smtp),
            ("pop3", server.pop3),
            ("dns", server.dns),
        ] {
            assert!(
                addr.port() != 0,
                "{}: no `listening {name} ...` line before `ready`: {:?}",
                server.command(),
                server.listening
            );
        }
        server
    }

    /// Reads the server's stdout (its transcript) at `octets_per_second`
    /// from now on, or as fast as it comes for 0. The headless server
    /// prints every line a client sends, and waits for its stdout: a slow
    /// reader makes a slow server, one that always has input waiting from
    /// a client that writes without a pause. Set it back to 0 before
    /// [`Server::stop`], or the backlog may outlast [`STOP_TIMEOUT`].
    pub fn throttle_transcript(&self, octets_per_second: u64) {
        self.throttle.store(octets_per_second, Ordering::Relaxed);
    }

    /// The command line, for messages.
    pub fn command(&self) -> String {
        format!("mailflow {}", self.args.join(" "))
    }

    pub fn stderr_text(&self) -> String {
        let err = self.stderr.lock().unwrap();
        format!("--- stderr\n{}", String::from_utf8_lossy(&err))
    }

    /// The transcript lines printed after `ready` so far.
    pub fn transcript(&self) -> Vec<String> {
        self.transcript.lock().unwrap().lines.clone()
    }

    /// Waits until a transcript line satisfies `found`, and returns it.
    #[track_caller]
    pub fn wait_transcript(&self, what: &str, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            let (hit, tail, closed) = {
                let t = self.transcript.lock().unwrap();
                let hit = t.lines.iter().find(|l| found(l)).cloned();
                let tail: Vec<String> = t.lines.iter().rev().take(60).rev().cloned().collect();
                (hit, tail, t.closed)
            };
            if let Some(line) = hit {
                return line;
            }
            if Instant::now() > deadline || closed {
                panic!(
                    "{}: no transcript line shows {what} within {IO_TIMEOUT:?}; its last lines:\n{}",
                    self.command(),
                    tail.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory in KiB (VmRSS in /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("read /proc/PID/status of the server");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    #[track_caller]
    pub fn assert_running(&mut self) {
        assert!(
            self.is_running(),
            "{}: the server is not running any more\n{}",
            self.command(),
            self.stderr_text()
        );
    }

    /// Sends a signal (`INT`, `TERM`) to the server.
    pub fn signal(&self, name: &str) {
        signal(self.pid, name);
    }

    /// Waits (bounded) for the server to exit after a signal; checks that
    /// it exited with status 0 and that its process is gone.
    #[track_caller]
    pub fn expect_exit_0(&mut self, after: &str) {
        let mut child = self.child.take().expect("the server is still owned");
        let Some(status) = wait_exit(&mut child, STOP_TIMEOUT) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}: still running {STOP_TIMEOUT:?} after {after}; killed\n{}",
                self.command(),
                self.stderr_text()
            );
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            status.code(),
            Some(0),
            "{}: after {after} the exit status should be 0, got {status}\n{}",
            self.command(),
            self.stderr_text()
        );
        assert!(
            !std::path::Path::new(&format!("/proc/{}", self.pid)).exists(),
            "{}: process {} is still there after it exited",
            self.command(),
            self.pid
        );
    }

    /// SIGTERM, then exit status 0 and no process left.
    #[track_caller]
    pub fn stop(mut self) {
        self.assert_running();
        self.signal("TERM");
        self.expect_exit_0("SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            drop(Reaped(Some(child)));
        }
    }
}

// ── SMTP replies ──────────────────────────────────────────────────────

/// One SMTP reply (RFC 5321 §4.2): its code and every line as sent,
/// without CRLF (`250-SIZE 10485760`, `250 SMTPUTF8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The text after the code on the first line: `2.1.5 Recipient ... OK`.
    pub fn text(&self) -> &str {
        self.lines[0].get(4..).unwrap_or_default()
    }

    /// Whether this is `code` with the enhanced status `status` (RFC 3463)
    /// at the start of its text.
    pub fn is(&self, code: u16, status: &str) -> bool {
        self.code == code
            && self
                .text()
                .split(' ')
                .next()
                .is_some_and(|word| word == status)
    }

    pub fn has_line(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.get(4..) == Some(text))
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.lines.join(" / "))
    }
}

/// Parses the first complete reply in `bytes`, if there is one; returns
/// it and how many bytes it took. A malformed line panics with it.
pub fn parse_reply(bytes: &[u8]) -> Option<(Reply, usize)> {
    let mut lines: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(end) = bytes[at..].iter().position(|&b| b == b'\n') {
        let raw = &bytes[at..at + end];
        at += end + 1;
        let line = String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw)).into_owned();
        let code: u16 = line
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not an SMTP reply line: {line:?}"));
        let last = match line.as_bytes().get(3) {
            None | Some(b' ') => true,
            Some(b'-') => false,
            _ => panic!("not an SMTP reply line: {line:?}"),
        };
        if let Some(first) = lines.first() {
            assert_eq!(
                &first[..3],
                &line[..3],
                "a multiline reply changed its code: {lines:?} then {line:?}"
            );
        }
        lines.push(line);
        if last {
            return Some((Reply { code, lines }, at));
        }
    }
    None
}

/// Parses every complete reply in `bytes`; returns them and how many
/// bytes they took.
pub fn parse_replies(bytes: &[u8]) -> (Vec<Reply>, usize) {
    let mut replies = Vec::new();
    let mut used = 0;
    while let Some((reply, n)) = parse_reply(&bytes[used..]) {
        replies.push(reply);
        used += n;
    }
    (replies, used)
}

/// A plain SMTP client over a `TcpStream`, with timeouts.
pub struct Smtp {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// Connects with a timeout, and sets read and write timeouts.
#[track_caller]
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Connects until the greeting is 220: a slot freed by a close may take
/// the server a moment to see (bounded by [`IO_TIMEOUT`]); meanwhile it
/// answers `421 4.3.2`.
pub fn open_when_free(addr: SocketAddr) -> Smtp {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let mut smtp = Smtp::connect(addr);
        let greeting = smtp.reply();
        if greeting.code == 220 {
            return smtp;
        }
        assert!(
            greeting.is(421, "4.3.2") && Instant::now() < deadline,
            "a free slot should be served within {IO_TIMEOUT:?}: {greeting}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Smtp {
    /// Connects; the greeting is left unread.
    #[track_caller]
    pub fn connect(addr: SocketAddr) -> Smtp {
        Smtp {
            stream: connect(addr),
            buf: Vec::new(),
        }
    }

    /// Connects and checks the 220 greeting.
    #[track_caller]
    pub fn open(addr: SocketAddr) -> Smtp {
        let mut smtp = Smtp::connect(addr);
        let greeting = smtp.reply();
        assert_eq!(greeting.code, 220, "the greeting: {greeting}");
        smtp
    }

    /// The next reply, or `None` at end of stream (EOF or reset).
    pub fn try_reply(&mut self) -> io::Result<Option<Reply>> {
        loop {
            if let Some((reply, used)) = parse_reply(&self.buf) {
                self.buf.drain(..used);
                return Ok(Some(reply));
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next reply; fails on timeout or end of stream.
    #[track_caller]
    pub fn reply(&mut self) -> Reply {
        match self.try_reply() {
            Ok(Some(reply)) => reply,
            Ok(None) => panic!(
                "the server closed the connection instead of replying (unparsed: {:?})",
                String::from_utf8_lossy(&self.buf)
            ),
            Err(e) => panic!(
                "no reply within {IO_TIMEOUT:?}: {e} (unparsed: {:?})",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    #[track_caller]
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("cannot send {} octets: {e}", bytes.len()));
    }

    /// Sends `line` with CRLF and returns the reply.
    #[track_caller]
    pub fn command(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// Sends `line` and checks the reply's code and enhanced status.
    #[track_caller]
    pub fn expect(&mut self, line: &str, code: u16, status: &str) -> Reply {
        let reply = self.command(line);
        assert!(
            reply.is(code, status),
            "{line:?}: expected {code} {status}, got {reply}"
        );
        reply
    }

    /// EHLO, checked.
    #[track_caller]
    pub fn ehlo(&mut self, domain: &str) -> Reply {
        let reply = self.command(&format!("EHLO {domain}"));
        assert_eq!(reply.code, 250, "EHLO {domain}: {reply}");
        reply
    }

    /// Waits (bounded) for the server to close; fails if it does not, or
    /// if it sends anything but whole replies first. Returns those.
    #[track_caller]
    pub fn expect_closed(&mut self, within: Duration) -> Vec<Reply> {
        self.stream.set_read_timeout(Some(within)).unwrap();
        let mut replies = Vec::new();
        loop {
            match self.try_reply() {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => return replies,
                Err(e) => panic!(
                    "the server did not close the connection within {within:?} ({e}); replies meanwhile: {replies:?}"
                ),
            }
        }
    }

    /// A whole message to `to` from alice, checked at every step; returns
    /// the 250 after the data.
    #[track_caller]
    pub fn send_message(&mut self, to: &str, data: &[u8]) -> Reply {
        self.expect("MAIL FROM:<alice@example.org>", 250, "2.1.0");
        self.expect(&format!("RCPT TO:<{to}>"), 250, "2.1.5");
        let go = self.command("DATA");
        assert_eq!(go.code, 354, "DATA: {go}");
        self.send(data);
        self.send(b".\r\n");
        let done = self.reply();
        assert!(done.is(250, "2.6.0"), "end of data: {done}");
        done
    }
}

/// A short message with `Subject: TAG`, CRLF line ends.
pub fn message(tag: &str) -> Vec<u8> {
    format!(
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: {tag}\r\n\r\nA message marked {tag}.\r\n"
    )
    .into_bytes()
}

/// One normal session: EHLO, a message to bob, QUIT. Proves the server
/// still serves.
#[track_caller]
pub fn normal_session(addr: SocketAddr, tag: &str) {
    let mut smtp = Smtp::open(addr);
    smtp.ehlo("client.example");
    smtp.send_message("bob@example.net", &message(tag));
    smtp.expect("QUIT", 221, "2.0.0");
}

// ── Hostile clients ───────────────────────────────────────────────────

/// How a hostile connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The server closed it (EOF).
    Closed,
    /// The server reset it (RST).
    Reset,
    /// Still open at the deadline.
    StillOpen,
}

/// What a hostile client saw.
#[derive(Debug)]
pub struct Seen {
    /// Every reply after the greeting (and after the `setup` commands).
    pub replies: Vec<Reply>,
    pub end: End,
    pub elapsed: Duration,
    /// Octets the client managed to send before the server stopped taking them.
    pub sent: usize,
}

impl Seen {
    pub fn codes(&self) -> Vec<u16> {
        self.replies.iter().map(|r| r.code).collect()
    }

    /// A short account of the replies: runs of equal first lines.
    pub fn summary(&self) -> String {
        let mut runs: Vec<(String, usize)> = Vec::new();
        for r in &self.replies {
            match runs.last_mut() {
                Some((line, n)) if *line == r.lines[0] => *n += 1,
                _ => runs.push((r.lines[0].clone(), 1)),
            }
        }
        let runs: Vec<String> = runs
            .iter()
            .map(|(l, n)| {
                if *n > 1 {
                    format!("{n} x {l}")
                } else {
                    l.clone()
                }
            })
            .collect();
        format!(
            "{:?} after {:?}, {} octets sent; replies: [{}]",
            self.end,
            self.elapsed,
            self.sent,
            runs.join(", ")
        )
    }
}

/// Connects, reads the greeting, runs `setup` commands one at a time
/// (each must succeed with 2xx or 3xx), then sends `payload` from another
/// thread while reading every reply until the server closes the connection
/// or `within` passes.
#[track_caller]
pub fn hostile(addr: SocketAddr, setup: &[&str], payload: Vec<u8>, within: Duration) -> Seen {
    let mut smtp = Smtp::open(addr);
    for line in setup {
        let reply = smtp.command(line);
        assert!(
            (200..400).contains(&reply.code),
            "setup {line:?} failed: {reply}"
        );
    }
    let start = Instant::now();
    let writer = smtp.stream.try_clone().expect("clone the stream");
    let sent = Arc::new(AtomicUsize::new(0));
    let sending = {
        let sent = Arc::clone(&sent);
        std::thread::spawn(move || {
            let mut writer = writer;
            for chunk in payload.chunks(64 * 1024) {
                if writer.write_all(chunk).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::Relaxed);
            }
        })
    };
    let mut bytes = std::mem::take(&mut smtp.buf);
    let mut chunk = vec![0u8; 65536];
    smtp.stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let end = loop {
        if start.elapsed() > within {
            break End::StillOpen;
        }
        match smtp.stream.read(&mut chunk) {
            Ok(0) => break End::Closed,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break End::Reset,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("reading from {addr}: {e}"),
        }
    };
    let elapsed = start.elapsed();
    let _ = smtp.stream.shutdown(Shutdown::Both);
    let _ = sending.join();
    let (replies, used) = parse_replies(&bytes);
    assert_eq!(
        used,
        bytes.len(),
        "the server sent a partial reply line at the end: {:?}",
        String::from_utf8_lossy(&bytes[used..])
    );
    Seen {
        replies,
        end,
        elapsed,
        sent: sent.load(Ordering::Relaxed),
    }
}

/// Deterministic bytes (xorshift64*), all 256 values present, NULs included.
pub fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

// ── POP3 ──────────────────────────────────────────────────────────────

/// A plain POP3 client (RFC 1939) with timeouts.
pub struct Pop3 {
    reader: BufReader<TcpStream>,
}

impl Pop3 {
    /// Connects, checks the greeting, logs in with USER and PASS.
    #[track_caller]
    pub fn login(addr: SocketAddr, user: &str, pass: &str) -> Pop3 {
        let mut pop = Pop3 {
            reader: BufReader::new(connect(addr)),
        };
        let greeting = pop.line();
        assert!(greeting.starts_with("+OK"), "POP3 greeting: {greeting:?}");
        pop.ok(&format!("USER {user}"));
        pop.ok(&format!("PASS {pass}"));
        pop
    }

    /// Connects and checks the greeting; nothing else is sent.
    #[track_caller]
    pub fn open(addr: SocketAddr) -> Pop3 {
        let mut pop = Pop3 {
            reader: BufReader::new(connect(addr)),
        };
        let greeting = pop.line();
        assert!(greeting.starts_with("+OK"), "POP3 greeting: {greeting:?}");
        pop
    }

    /// The stream, e.g. to change its timeouts.
    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }

    /// The next response line, or `None` at end of stream (EOF or reset).
    pub fn try_line(&mut self) -> io::Result<Option<String>> {
        let mut raw = Vec::new();
        match self.reader.read_until(b'\n', &mut raw) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(
                String::from_utf8_lossy(&raw)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            )),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `command` and returns the first line of the response,
    /// whatever it is.
    #[track_caller]
    pub fn command(&mut self, command: &str) -> String {
        self.reader
            .get_mut()
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap_or_else(|e| panic!("cannot send POP3 {command:?}: {e}"));
        self.line()
    }

    /// STAT: (messages, octets).
    #[track_caller]
    pub fn stat(&mut self) -> (usize, usize) {
        let line = self.ok("STAT");
        let mut w = line.split_whitespace().skip(1);
        let n = w.next().and_then(|n| n.parse().ok());
        let s = w.next().and_then(|s| s.parse().ok());
        n.zip(s)
            .unwrap_or_else(|| panic!("bad STAT response {line:?}"))
    }

    #[track_caller]
    fn line(&mut self) -> String {
        let mut raw = Vec::new();
        match self.reader.read_until(b'\n', &mut raw) {
            Ok(0) => panic!("the POP3 server closed the connection"),
            Ok(_) => String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
            Err(e) => panic!("no POP3 line within {IO_TIMEOUT:?}: {e}"),
        }
    }

    /// Sends `command` and checks the `+OK`.
    #[track_caller]
    pub fn ok(&mut self, command: &str) -> String {
        self.reader
            .get_mut()
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("send a POP3 command");
        let line = self.line();
        assert!(line.starts_with("+OK"), "POP3 {command:?}: {line:?}");
        line
    }

    /// The rest of a multi-line response, dot-unstuffed, line ends kept
    /// exactly as sent.
    #[track_caller]
    fn multiline(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut raw = Vec::new();
            match self.reader.read_until(b'\n', &mut raw) {
                Ok(0) => panic!("the POP3 server closed the connection inside a response"),
                Ok(_) => {}
                Err(e) => panic!("POP3 response stalled: {e}"),
            }
            if raw == b".\r\n" {
                return out;
            }
            let line = if raw.starts_with(b".") {
                &raw[1..]
            } else {
                &raw[..]
            };
            out.extend_from_slice(line);
        }
    }

    /// LIST: (number, size) of every message.
    #[track_caller]
    pub fn list(&mut self) -> Vec<(usize, usize)> {
        self.ok("LIST");
        let text = String::from_utf8_lossy(&self.multiline()).into_owned();
        text.lines()
            .map(|l| {
                let mut w = l.split_whitespace();
                let n = w.next().and_then(|n| n.parse().ok());
                let s = w.next().and_then(|s| s.parse().ok());
                n.zip(s).unwrap_or_else(|| panic!("bad LIST line {l:?}"))
            })
            .collect()
    }

    /// UIDL: (number, unique-id) of every message (RFC 1939 §7).
    #[track_caller]
    pub fn uidl(&mut self) -> Vec<(usize, String)> {
        self.ok("UIDL");
        let text = String::from_utf8_lossy(&self.multiline()).into_owned();
        text.lines()
            .map(|l| {
                let mut w = l.split_whitespace();
                let n = w.next().and_then(|n| n.parse().ok());
                let id = w.next().map(str::to_owned);
                n.zip(id).unwrap_or_else(|| panic!("bad UIDL line {l:?}"))
            })
            .collect()
    }

    /// RETR n: the message, unstuffed.
    #[track_caller]
    pub fn retr(&mut self, n: usize) -> Vec<u8> {
        self.ok(&format!("RETR {n}"));
        self.multiline()
    }

    pub fn quit(mut self) {
        let _ = self.reader.get_mut().write_all(b"QUIT\r\n");
        let mut raw = Vec::new();
        let _ = self.reader.read_until(b'\n', &mut raw);
    }
}

/// Every message in a maildrop, left on the server.
#[track_caller]
pub fn maildrop(addr: SocketAddr, user: &str, pass: &str) -> Vec<Vec<u8>> {
    let mut pop = Pop3::login(addr, user, pass);
    let numbers: Vec<usize> = pop.list().into_iter().map(|(n, _)| n).collect();
    let messages = numbers.into_iter().map(|n| pop.retr(n)).collect();
    pop.quit();
    messages
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Waits (bounded) until a message containing `needle` is in bob's
/// maildrop, and returns it.
#[track_caller]
pub fn wait_for_bob(pop3: SocketAddr, needle: &str) -> Vec<u8> {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let box_ = maildrop(pop3, "bob@example.net", "bob");
        if let Some(m) = box_.into_iter().find(|m| contains(m, needle)) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no message with {needle:?} reached bob within {IO_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The header fields of a message, unfolded (RFC 5322 §2.2.3).
pub fn header_fields(message: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(message);
    let mut fields: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t'])
            && let Some(last) = fields.last_mut()
        {
            last.push(' ');
            last.push_str(line.trim());
            continue;
        }
        fields.push(line.to_owned());
    }
    fields
}

/// Checks the lines a receiving server prepends: `Return-Path: <from>`
/// first, then at least one Received field, the top one by mx.example.net
/// (RFC 5321 §4.4).
#[track_caller]
pub fn assert_delivered_by_mx(message: &[u8], from: &str) {
    let fields = header_fields(message);
    assert_eq!(
        fields.first().map(String::as_str),
        Some(format!("Return-Path: <{from}>").as_str()),
        "the first line should be the Return-Path:\n{}",
        String::from_utf8_lossy(message)
    );
    let received = fields.get(1).cloned().unwrap_or_default();
    assert!(
        received.starts_with("Received: ") && received.contains(" by mx.example.net "),
        "a Received line by mx.example.net should follow:\n{}",
        String::from_utf8_lossy(message)
    );
}
