//! What `serve --record` costs real clients: the same load pushed over
//! loopback into `mailflow serve --headless` without and with `--record`,
//! alternately, in the same run; the figure is the ratio of the times.
//!
//! The load is `smtp-source`'s (see `serve-throughput.sh`), written here so
//! that it needs no Postfix: N messages with 1 KiB bodies, one connection
//! per message, SESSIONS at once; each waits for every reply, so a reply
//! held back for the disk (the 250 to DATA waits for an fdatasync) costs
//! its client that time.
//!
//! Run with `cargo bench --bench serve-record`; environment:
//! `MAILFLOW_BENCH_SERVE_N` (default 2000), `MAILFLOW_BENCH_SERVE_SESSIONS`
//! (default 10), `MAILFLOW_BENCH_SERVE_ROUNDS` (default 3; the median of
//! each is printed). The recording goes under target/ (a disk, not a
//! tmpfs, so the syncs are real).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A headless server, its stdout drained by a thread.
struct Serve {
    child: Child,
    smtp: SocketAddr,
}

impl Serve {
    fn start(record: Option<&Path>) -> Serve {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mailflow"));
        command.args([
            "serve",
            "--headless",
            "--no-pop3",
            "--no-dns",
            "--smtp",
            "127.0.0.1:0",
            "--max-connections",
            "1000",
        ]);
        if let Some(file) = record {
            command.arg("--record").arg(file);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mailflow serve");
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut smtp = None;
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).expect("stdout") == 0 {
                panic!("mailflow serve ended before `ready`");
            }
            if let Some(rest) = line.strip_prefix("listening smtp ") {
                smtp = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            if line.trim_end() == "ready" {
                break;
            }
        }
        std::thread::spawn(move || {
            let mut sink = [0u8; 64 * 1024];
            while matches!(out.read(&mut sink), Ok(n) if n > 0) {}
        });
        Serve {
            child,
            smtp: smtp.expect("a `listening smtp` line"),
        }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Reads one whole reply (the last line has a space after the code).
fn reply(stream: &mut BufReader<TcpStream>, expect: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        stream.read_line(&mut line).expect("a reply");
        assert!(line.starts_with(expect), "expected {expect}, got {line:?}");
        if line.as_bytes().get(3) == Some(&b' ') {
            return;
        }
    }
}

/// One message, one connection, every reply awaited.
fn message(addr: SocketAddr, body: &[u8]) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    reply(&mut r, "220");
    for (command, code) in [
        ("EHLO bench.example\r\n", "250"),
        ("MAIL FROM:<alice@example.org>\r\n", "250"),
        ("RCPT TO:<bob@example.net>\r\n", "250"),
        ("DATA\r\n", "354"),
    ] {
        w.write_all(command.as_bytes()).expect("send");
        reply(&mut r, code);
    }
    w.write_all(body).expect("body");
    w.write_all(b".\r\n").expect("end of data");
    reply(&mut r, "250");
    w.write_all(b"QUIT\r\n").expect("quit");
    reply(&mut r, "221");
}

/// Seconds for `n` messages over `sessions` clients at once.
fn push(addr: SocketAddr, n: usize, sessions: usize) -> f64 {
    let line = format!("{}\r\n", "x".repeat(62));
    // 16 lines of 62 characters: 1024 octets with CRLF.
    let body: Arc<Vec<u8>> = Arc::new(line.repeat(16).into_bytes());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let clients: Vec<_> = (0..sessions)
        .map(|_| {
            let (next, body) = (Arc::clone(&next), Arc::clone(&body));
            std::thread::spawn(move || {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    message(addr, &body);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let n = env("MAILFLOW_BENCH_SERVE_N", 2000);
    let sessions = env("MAILFLOW_BENCH_SERVE_SESSIONS", 10).max(1);
    let rounds = env("MAILFLOW_BENCH_SERVE_ROUNDS", 3).max(1);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("serve-record-bench.mfr");
    let (mut plain, mut recorded) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..rounds {
        let serve = Serve::start(None);
        plain.push(push(serve.smtp, n, sessions));
        serve.stop();
        let _ = std::fs::remove_file(&file);
        let serve = Serve::start(Some(&file));
        recorded.push(push(serve.smtp, n, sessions));
        serve.stop();
        size = std::fs::metadata(&file).map_or(0, |m| m.len());
        let _ = std::fs::remove_file(&file);
        std::thread::sleep(Duration::from_millis(200));
    }
    let (p, r) = (median(plain.clone()), median(recorded.clone()));
    println!(
        "serve-record: n={n} sessions={sessions} rounds={rounds} plain_s={p:.3} record_s={r:.3} \
         plain_msgs_per_s={:.0} record_msgs_per_s={:.0} ratio_record_over_plain={:.2} \
         file_bytes={size} bytes_per_msg={:.0}",
        n as f64 / p,
        n as f64 / r,
        r / p,
        size as f64 / n as f64
    );
    println!("serve-record: plain runs {plain:.3?}, record runs {recorded:.3?}");
}
