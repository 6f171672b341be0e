//! A real SMTP peer outside the world: aiosmtpd (tests/real/sink.py) on a
//! free loopback port, declared in a scenario as an external host
//! (`externals: [(name: "mx.partner.example", ip: ..., address:
//! "127.0.0.1:PORT")]`) that partner.example's MX points at. `mailflow run`
//! on that scenario makes smtp.example.org open a real TCP connection to it
//! and speak SMTP:
//!
//! * when aiosmtpd takes the message, it has the envelope alice gave
//!   (MAIL FROM alice@example.org, RCPT carol@partner.example), the EHLO of
//!   smtp.example.org, and the content with smtp.example.org's Received
//!   line on top of what the laptop wrote (RFC 5321 §4.4); no bounce;
//! * when aiosmtpd answers RCPT with `550 5.1.1`, smtp.example.org bounces
//!   to alice with a DSN of status 5.1.1 (RFC 3464), checked by the
//!   scenario's own `Bounced` expectation (exit 0) and by the run's output;
//!   aiosmtpd takes no message.
//!
//! A world with externals runs on the wall clock: two runs of the shipped
//! partner lesson into another `mailflow serve` (no outside program needed)
//! give letters dated and stamped now, under different Message-IDs.
//!
//! A self-test first proves the sink itself with swaks, so that a broken
//! sink is not taken for a bug in mailflow. The tests skip loudly when
//! python3's aiosmtpd (or swaks) is missing; CI installs them.

#[path = "support/serve.rs"]
mod serve;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serve::*;

/// How long `mailflow run` on a scenario with an external peer may take:
/// it runs on the wall clock and ends when quiet.
const RUN_TIMEOUT: Duration = Duration::from_secs(100);

/// aiosmtpd listening on 127.0.0.1, killed on drop.
struct Sink {
    _process: Reaped,
    port: u16,
    out: PathBuf,
}

impl Sink {
    fn start(out: &Path, reject_rcpt: bool) -> Sink {
        let mut cmd = Command::new(python());
        cmd.arg(real("sink.py"))
            .arg("--out")
            .arg(out)
            .args(["--lifetime", "240"]);
        if reject_rcpt {
            cmd.arg("--reject-rcpt");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/real/sink.py");
        let stdout = child.stdout.take().expect("piped stdout");
        let process = Reaped(Some(child));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("sink.py should print its port within 20 s");
        let port = line
            .trim()
            .strip_prefix("listening 127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("sink.py printed {line:?}, not `listening 127.0.0.1:PORT`"));
        Sink {
            _process: process,
            port,
            out: out.to_owned(),
        }
    }

    /// The nth message it took (from 1): its envelope lines and content.
    fn message(&self, n: usize) -> Option<(String, Vec<u8>)> {
        let content = std::fs::read(self.out.join(format!("{n}.eml"))).ok()?;
        let envelope = std::fs::read_to_string(self.out.join(format!("{n}.envelope"))).ok()?;
        Some((envelope, content))
    }

    /// Every RCPT address it was offered.
    fn rcpts(&self) -> Vec<String> {
        std::fs::read_to_string(self.out.join("rcpt.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// hello.ron's shape: alice's laptop submits to smtp.example.org, which
/// looks up partner.example's MX and relays to the external host there.
fn scenario(port: u16, tag: &str, expect: &str) -> String {
    format!(
        r#"(
    title: "An external peer: aiosmtpd at 127.0.0.1:{port}",
    run_for: "1m",
    dns: [
        (
            name: "ns.example.org",
            ip: "192.0.2.53",
            zones: [
                (origin: "example.org", records: [Mx("example.org", 10, "smtp.example.org")]),
                (origin: "partner.example", records: [Mx("partner.example", 10, "mx.partner.example")]),
            ],
        ),
    ],
    mtas: [
        (
            name: "smtp.example.org",
            ip: "192.0.2.25",
            domains: ["example.org"],
            mailboxes: {{"alice@example.org": "alice", "postmaster@example.org": "postmaster"}},
            submission: true,
        ),
    ],
    externals: [
        (name: "mx.partner.example", ip: "203.0.113.25", address: "127.0.0.1:{port}"),
    ],
    clients: [
        (
            name: "laptop.example.org",
            ip: "192.0.2.10",
            account: "alice@example.org",
            password: "alice",
            server: "smtp.example.org",
            send: [(to: ["carol@partner.example"], subject: "{tag}", body: "Hi Carol,\n\nthis left the world.\n\nAlice\n")],
        ),
    ],
    expect: [{expect}],
)
"#
    )
}

/// Writes the scenario and runs `mailflow run` on it, bounded.
fn run_scenario(dir: &Path, text: &str) -> Ran {
    let file = dir.join("external.ron");
    std::fs::write(&file, text).unwrap();
    let start = Instant::now();
    let ran = run_bounded(Command::new(mailflow()).arg("run").arg(&file), RUN_TIMEOUT);
    println!("mailflow run took {:?}\n{}", start.elapsed(), ran.stdout);
    ran
}

#[test]
fn the_aiosmtpd_sink_itself_takes_a_message_from_swaks() {
    let test = "sink_self_test";
    if !have_aiosmtpd(test) || !have_swaks(test) {
        return;
    }
    let dir = TempDir::new("sink-self-test");
    let sink = Sink::start(&dir.path().join("sink"), false);
    let ran = run_bounded(
        Command::new("swaks")
            .args(["--server", &format!("127.0.0.1:{}", sink.port)])
            .args(["--helo", "swaks.example"])
            .args(["--from", "alice@example.org"])
            .args(["--to", "carol@partner.example"])
            .args(["--header", "Subject: self-test"])
            .args(["--timeout", "15"]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "swaks to the sink:\n{}", ran.both());
    let (envelope, content) = sink.message(1).expect("the sink should have written 1.eml");
    assert!(
        envelope.contains("helo: swaks.example\n")
            && envelope.contains("from: alice@example.org\n")
            && envelope.contains("to: carol@partner.example\n"),
        "{envelope}"
    );
    assert!(contains(&content, "Subject: self-test\r\n"));
}

#[test]
fn aiosmtpd_as_external_peer_gets_alices_envelope_and_a_received_line_rfc5321_4_4() {
    let test = "external_accepts";
    if !have_aiosmtpd(test) {
        return;
    }
    let dir = TempDir::new("external-accepts");
    let sink = Sink::start(&dir.path().join("sink"), false);
    let tag = tag("external");
    let ran = run_scenario(
        dir.path(),
        &scenario(sink.port, &tag, r#"NotDelivered(to: "alice@example.org")"#),
    );
    assert_eq!(
        ran.status.code(),
        Some(0),
        "mailflow run: no bounce should reach alice:\n{}",
        ran.both()
    );
    let (envelope, content) = sink.message(1).unwrap_or_else(|| {
        panic!(
            "aiosmtpd took no message (RCPTs offered: {:?}):\n{}",
            sink.rcpts(),
            ran.both()
        )
    });
    assert!(
        sink.message(2).is_none(),
        "aiosmtpd should take exactly one message"
    );
    let field = |name: &str| -> Vec<&str> {
        envelope
            .lines()
            .filter_map(|l| l.strip_prefix(name))
            .collect()
    };
    assert_eq!(
        (field("helo: "), field("from: "), field("to: ")),
        (
            vec!["smtp.example.org"],
            vec!["alice@example.org"],
            vec!["carol@partner.example"]
        ),
        "the EHLO and envelope aiosmtpd saw:\n{envelope}"
    );
    let fields = header_fields(&content);
    let top = fields.first().cloned().unwrap_or_default();
    assert!(
        top.starts_with("Received: from laptop.example.org ")
            && top.contains(" by smtp.example.org ")
            && top.contains("<carol@partner.example>"),
        "the content should start with smtp.example.org's Received line:\n{}",
        String::from_utf8_lossy(&content)
    );
    assert!(
        !fields.iter().any(|f| f.starts_with("Return-Path:")),
        "a relay adds no Return-Path (RFC 5321 §4.4: only final delivery does):\n{}",
        String::from_utf8_lossy(&content)
    );
    assert!(
        fields.iter().any(|f| *f == format!("Subject: {tag}")),
        "the laptop's Subject is missing:\n{}",
        String::from_utf8_lossy(&content)
    );
    assert!(
        contains(
            &content,
            "\r\n\r\nHi Carol,\r\n\r\nthis left the world.\r\n\r\nAlice\r\n"
        ),
        "the body should arrive intact, with CRLF line ends:\n{:?}",
        String::from_utf8_lossy(&content)
    );
}

#[test]
fn external_peer_550_5_1_1_at_rcpt_makes_mailflow_bounce_to_alice_rfc3464() {
    let test = "external_rejects";
    if !have_aiosmtpd(test) {
        return;
    }
    let dir = TempDir::new("external-rejects");
    let sink = Sink::start(&dir.path().join("sink"), true);
    let tag = tag("rejected");
    let ran = run_scenario(
        dir.path(),
        &scenario(
            sink.port,
            &tag,
            r#"Bounced(to: "alice@example.org", status: "5.1.1")"#,
        ),
    );
    assert_eq!(
        sink.rcpts(),
        vec!["carol@partner.example".to_owned()],
        "aiosmtpd should be offered carol once:\n{}",
        ran.both()
    );
    assert!(
        sink.message(1).is_none(),
        "aiosmtpd refused the recipient, so it took no message"
    );
    assert!(
        ran.stdout.contains("550 5.1.1"),
        "the run's transcript should show aiosmtpd's 550 5.1.1:\n{}",
        ran.both()
    );
    assert_eq!(
        ran.status.code(),
        Some(0),
        "mailflow run: the Bounced(to: alice, status: 5.1.1) expectation should hold:\n{}",
        ran.both()
    );
}

/// The example shipped for teachers, `scenarios/real/partner.ron`, does
/// what its comments say with a real server at its address (moved to the
/// sink's free port).
#[test]
fn the_shipped_partner_scenario_delivers_into_a_real_server() {
    let test = "shipped_partner";
    if !have_aiosmtpd(test) {
        return;
    }
    let dir = TempDir::new("shipped-partner");
    let sink = Sink::start(&dir.path().join("sink"), false);
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/real/partner.ron"
    ))
    .expect("scenarios/real/partner.ron");
    assert!(shipped.contains("\"127.0.0.1:8025\""));
    let text = shipped.replace(
        "\"127.0.0.1:8025\"",
        &format!("\"127.0.0.1:{}\"", sink.port),
    );
    let ran = run_scenario(dir.path(), &text);
    assert_eq!(ran.status.code(), Some(0), "{}", ran.both());
    let (envelope, content) = sink.message(1).expect("the real server took the message");
    assert!(
        envelope.contains("to: carol@partner.example\n"),
        "{envelope}"
    );
    assert!(contains(&content, "this message left the simulation."));
}

/// carol's server for the shipped partner lesson: another `mailflow
/// serve`, so that this needs no outside program.
const CAROLS_SERVER: &str = r#"(
    title: "carol's real server",
    run_for: "1h",
    dns: [(name: "ns.partner.example", ip: "198.51.100.53", zones: [
        (origin: "partner.example", records: [Mx("partner.example", 10, "mx.partner.example")]),
    ])],
    mtas: [(name: "mx.partner.example", ip: "198.51.100.25", domains: ["partner.example"],
        mailboxes: {"carol@partner.example": "carol"})],
    expect: [NotDelivered(to: "carol@partner.example")],
)"#;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Two runs of the shipped partner lesson into a real server: each letter
/// is dated and stamped today (not at the scenario's `start`, days before
/// the real server's own stamp), and the two carry different Message-IDs
/// (RFC 5322 §3.6.4: an id names one message, for ever).
#[test]
fn a_world_with_externals_dates_its_letters_now_and_never_repeats_a_message_id_rfc5322_3_6_4() {
    let dir = TempDir::new("partner-twice");
    let carols = dir.path().join("carol.ron");
    std::fs::write(&carols, CAROLS_SERVER).unwrap();
    let server = Server::start_scenario(
        &carols.display().to_string(),
        &["--node", "mx.partner.example"],
    );
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/real/partner.ron"
    ))
    .expect("scenarios/real/partner.ron");
    let text = shipped.replace("\"127.0.0.1:8025\"", &format!("\"{}\"", server.smtp));
    let before = unix_now();
    for _ in 0..2 {
        let ran = run_scenario(dir.path(), &text);
        assert_eq!(ran.status.code(), Some(0), "{}", ran.both());
    }
    let after = unix_now();
    let letters = maildrop(server.pop3, "carol@partner.example", "carol");
    server.stop();
    assert_eq!(letters.len(), 2, "carol should have one letter per run");
    let mut ids = Vec::new();
    for letter in &letters {
        let fields = header_fields(letter);
        let show = || String::from_utf8_lossy(letter).into_owned();
        let stamps: Vec<i64> = fields
            .iter()
            .filter_map(|f| {
                if let Some(date) = f.strip_prefix("Date: ") {
                    return Some(date);
                }
                f.strip_prefix("Received: ")
                    .and_then(|r| r.rsplit(';').next())
            })
            .map(|t| {
                mailflow::mail::parse_rfc5322_date(t)
                    .unwrap_or_else(|| panic!("{t:?} is no date:\n{}", show()))
            })
            .collect();
        // carol's server's Received, smtp.example.org's, and the laptop's Date.
        assert!(stamps.len() >= 3, "stamps missing:\n{}", show());
        for stamp in stamps {
            assert!(
                (before..=after).contains(&stamp),
                "stamp {stamp} is not in the runs' real time {before}..={after}:\n{}",
                show()
            );
        }
        let id = fields
            .iter()
            .find_map(|f| f.strip_prefix("Message-ID: "))
            .unwrap_or_else(|| panic!("no Message-ID:\n{}", show()));
        ids.push(id.to_owned());
    }
    assert_ne!(ids[0], ids[1], "two runs wrote one Message-ID");
}
