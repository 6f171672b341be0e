//! `mailflow serve --headless`'s printer (issue 14 §6 and §7): what waits
//! for stdout is bounded in octets, payloads counted, so a slow reader
//! holds the server's memory within that bound; and a stdout that keeps
//! up (here a plain file) loses no line, however fast clients come.
//!
//! Only 127.0.0.1 is contacted, and every wait is bounded.

#[path = "support/serve.rs"]
mod serve;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serve::*;

/// The printer's bound in `src/cli/serve.rs` (`FEED_OCTETS`).
const FEED_MIB: u64 = 8;

/// A session of `noops` NOOPs, each carrying a string of `size` octets
/// (ignored by the server, RFC 5321 §4.1.1.9), then QUIT: many transcript
/// octets and nothing stored, so the server's memory can only grow by what
/// waits for stdout.
fn noop_session(addr: std::net::SocketAddr, noops: usize, size: usize) {
    let mut smtp = Smtp::open(addr);
    smtp.ehlo("client.example");
    let noop = format!("NOOP {}", "n".repeat(size));
    for _ in 0..noops {
        smtp.expect(&noop, 250, "2.0.0");
    }
    smtp.expect("QUIT", 221, "2.0.0");
}

/// Sessions from `threads` clients at once, `each` per client.
fn noop_load(addr: std::net::SocketAddr, threads: usize, each: usize) {
    let clients: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..each {
                    noop_session(addr, 40, 500);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client thread");
    }
}

/// A reader far slower than the clients: the world waits for the printer
/// while its write goes on, then drops what the feed cannot hold; the
/// server's memory grows by about the feed's bound at most (the old feed
/// of 65,536 events held about 24 MB of this traffic), and the transcript
/// says how many events it did not show and for how long stdout was
/// blocked.
#[test]
fn a_slow_reader_holds_the_printer_within_its_octet_bound() {
    let server = Server::start(&[]);
    // Warm up: the first sessions allocate what every later one reuses.
    noop_load(server.smtp, 4, 5);
    std::thread::sleep(Duration::from_millis(300));
    let before = server.rss_kib();
    server.throttle_transcript(50_000);
    let start = Instant::now();
    // 16 × 80 × 40 NOOPs of 500 octets: 26 MB from the clients in
    // 100,000 events with the replies, more again as text.
    noop_load(server.smtp, 16, 80);
    let during = server.rss_kib();
    let took = start.elapsed();
    server.throttle_transcript(0);
    let grew_mib = during.saturating_sub(before) as f64 / 1024.0;
    println!(
        "slow reader: RSS {before} KiB before, {during} KiB after 1,280 sessions in {took:?} (+{grew_mib:.1} MiB; the feed holds {FEED_MIB} MiB)"
    );
    assert!(
        grew_mib < (FEED_MIB + 5) as f64,
        "the server grew by {grew_mib:.1} MiB behind a slow reader; the printer's feed holds {FEED_MIB} MiB"
    );
    // A gap is told with the first event after it, once the blocked
    // write is over; a session while stdout may still be blocked can be
    // missed too, so try a few until one is shown whole.
    let shown = (0..20).any(|_| {
        let last = tag("after-slow-reader");
        normal_session(server.smtp, &last);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if server.transcript().iter().any(|l| l.contains(&last)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    });
    assert!(shown, "no session was shown once the reader kept up");
    let told = server
        .transcript()
        .into_iter()
        .find(|l| l.contains("not shown"))
        .expect("a line telling what was not shown");
    assert!(
        told.contains("events not shown: stdout was blocked for "),
        "{told}"
    );
    server.stop();
}

/// Issue 14 §6: stdout a plain file, 16 clients at once: every session is
/// in the transcript and no line says events were not shown.
#[test]
fn a_fast_file_loses_no_transcript_line() {
    let dir = TempDir::new("printer-file");
    let out = dir.path().join("transcript.txt");
    let file = std::fs::File::create(&out).expect("create the transcript file");
    let child = Command::new(mailflow())
        .args(["serve", "hello", "--headless", "--smtp", "127.0.0.1:0"])
        .args(["--no-pop3", "--no-dns"])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .expect("start mailflow serve");
    let pid = child.id();
    let mut reaped = Reaped(Some(child));
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    let deadline = Instant::now() + START_TIMEOUT;
    let addr = loop {
        let text = read();
        if text.lines().any(|l| l == "ready") {
            break text
                .lines()
                .find_map(|l| parse_listening(l).filter(|l| l.service == "smtp"))
                .expect("a listening smtp line before ready")
                .addr;
        }
        assert!(Instant::now() < deadline, "serve did not start: {text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                let tags: Vec<String> = (0..40).map(|i| tag(&format!("file-{t}-{i}"))).collect();
                for tag in &tags {
                    normal_session(addr, tag);
                }
                tags
            })
        })
        .collect();
    let tags: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a client thread"))
        .collect();
    let last = tag("file-last");
    normal_session(addr, &last);
    let deadline = Instant::now() + IO_TIMEOUT;
    while !read().contains(&last) {
        assert!(Instant::now() < deadline, "the last session never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(pid, "TERM");
    let child = reaped.0.as_mut().expect("the child");
    let status = wait_exit(child, STOP_TIMEOUT).expect("serve exits after SIGTERM");
    assert!(status.success(), "serve exited with {status}");
    let text = read();
    let lost: Vec<&str> = text.lines().filter(|l| l.contains("not shown")).collect();
    assert!(lost.is_empty(), "a file that keeps up lost lines: {lost:?}");
    for subject in &tags {
        assert!(
            text.contains(&format!("Subject: {subject}")),
            "session {subject} is missing from the transcript"
        );
    }
}
