//! Two worlds federate (issue 14 §9): two `mailflow serve` processes on
//! loopback, example.org (scenarios/real/federation-org.ron) and
//! example.net (scenarios/real/federation-net.ron), each an external host
//! of the other. Between them there is nothing but SMTP over TCP, as
//! between two providers:
//!
//! 1. example.org starts alone. alice's letters to bob@ and nobody@
//!    example.net are deferred, `4.4.1 … refused` (RFC 5321 §4.5.4.1: a
//!    4xx-like failure is retried, not bounced).
//! 2. example.net starts. The retry delivers the letter to bob, and the
//!    letter to nobody comes back to alice as a bounce (the other world
//!    answered 550 5.1.1). bob's reply crosses the other way.
//! 3. example.net stops. alice's third letter is deferred; example.net
//!    starts again from its recording (`--record`), and the retry
//!    delivers it.
//!
//! At the end each mailbox holds each letter exactly once, read over real
//! POP3: nothing lost while a world was down, nothing doubled by the
//! restart.
//!
//! The shipped scenarios use fixed ports (2525 and 2526) and retry every
//! 20 s; the test writes copies with free ports, a 2 s retry and the third
//! letter at 20 s, so that it runs in about half a minute.

#[path = "support/serve.rs"]
mod serve;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serve::*;

/// How long one step of the story may take on a loaded machine.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A loopback port nobody listens on now. Both worlds must know each
/// other's port before either starts, so port 0 cannot be used.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A shipped federation scenario with the ports and times of this test;
/// every replacement must hit, so the test cannot drift from the files.
fn scenario(dir: &Path, name: &str, replace: &[(&str, String)]) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/real/{name}.ron"));
    let mut text = std::fs::read_to_string(&shipped).expect("read the shipped scenario");
    for (from, to) in replace {
        assert!(
            text.contains(from),
            "{} no longer contains {from:?}; update this test",
            shipped.display()
        );
        text = text.replace(from, to);
    }
    let file = dir.join(format!("{name}.ron"));
    std::fs::write(&file, text).unwrap();
    file
}

/// Starts one world headless, its port 25 on `smtp`.
fn start(file: &Path, node: &str, smtp: u16, record: &Path) -> Server {
    let file = file.to_str().unwrap();
    let smtp = format!("127.0.0.1:{smtp}");
    let record = record.to_str().unwrap();
    Server::start_scenario(file, &["--node", node, "--smtp", &smtp, "--record", record])
}

/// Waits until a transcript line after the first `skip` satisfies every
/// word of `all`; returns how many lines there were then.
#[track_caller]
fn wait_line(server: &Server, skip: usize, all: &[&str]) -> usize {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let lines = server.transcript();
        if let Some(i) = lines
            .iter()
            .skip(skip)
            .position(|l| all.iter().all(|w| l.contains(w)))
        {
            return skip + i + 1;
        }
        assert!(
            Instant::now() < deadline,
            "{}: no line with {all:?} within {STEP_TIMEOUT:?}; the last ones:\n{}",
            server.command(),
            lines[lines.len().saturating_sub(40)..].join("\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many letters in a maildrop contain `needle`.
fn count(maildrop: &[Vec<u8>], needle: &str) -> usize {
    maildrop.iter().filter(|m| contains(m, needle)).count()
}

#[test]
fn two_worlds_trade_mail_over_real_smtp_through_a_stop_and_a_restart() {
    let dir = TempDir::new("federation");
    let (org_port, net_port) = (free_port(), free_port());
    let org = scenario(
        dir.path(),
        "federation-org",
        &[
            ("127.0.0.1:2526", format!("127.0.0.1:{net_port}")),
            (r#"retry: ["20s"]"#, r#"retry: ["2s"]"#.into()),
            (r#"at: "1m""#, r#"at: "20s""#.into()),
        ],
    );
    let net = scenario(
        dir.path(),
        "federation-net",
        &[
            ("127.0.0.1:2525", format!("127.0.0.1:{org_port}")),
            (r#"retry: ["20s"]"#, r#"retry: ["2s"]"#.into()),
        ],
    );
    let (org_record, net_record) = (dir.path().join("org.mfr"), dir.path().join("net.mfr"));

    // 1. example.org alone: nobody answers for example.net.
    let org_world = start(&org, "smtp.example.org", org_port, &org_record);
    let mut seen = wait_line(
        &org_world,
        0,
        &["smtp.example.org deferred", "bob@example.net", "refused"],
    );

    // 2. example.net comes up: the retry delivers, the 550 comes back as a
    //    bounce, and bob's reply crosses the other way.
    let net_world = start(&net, "mx.example.net", net_port, &net_record);
    seen = wait_line(
        &org_world,
        seen,
        &[
            "smtp.example.org handed",
            "for bob@example.net to mx.example.net",
        ],
    );
    wait_line(
        &org_world,
        0,
        &["smtp.example.org bounced", "nobody@example.net", "5.1.1"],
    );
    wait_line(
        &org_world,
        0,
        &[
            "smtp.example.org queued",
            "from <bob@example.net> to <alice@example.org>",
        ],
    );
    wait_line(
        &net_world,
        0,
        &["mx.example.net stored", "in the mailbox of bob@example.net"],
    );
    let first = maildrop(net_world.pop3, "bob@example.net", "bob");
    assert_eq!(count(&first, "Subject: Across to the other world"), 1);

    // 3. example.net stops; alice's third letter waits in example.org's
    //    queue, and is delivered once example.net is back.
    net_world.stop();
    seen = wait_line(
        &org_world,
        seen,
        &["smtp.example.org deferred", "bob@example.net", "refused"],
    );
    let net_again = start(&net, "mx.example.net", net_port, &net_record);
    wait_line(
        &org_world,
        seen,
        &[
            "smtp.example.org handed",
            "for bob@example.net to mx.example.net",
        ],
    );
    wait_line(
        &net_again,
        0,
        &["mx.example.net stored", "in the mailbox of bob@example.net"],
    );

    // Each letter exactly once, on both sides.
    let bob = maildrop(net_again.pop3, "bob@example.net", "bob");
    assert_eq!(
        (
            bob.len(),
            count(&bob, "Subject: Across to the other world"),
            count(&bob, "Subject: Are you there?"),
        ),
        (2, 1, 1),
        "bob's mailbox after the restart: the first letter kept by the \
         recording, the deferred one delivered once"
    );
    let across = bob
        .iter()
        .find(|m| contains(m, "Subject: Are you there?"))
        .unwrap();
    assert!(
        contains(across, "from smtp.example.org") && contains(across, "by mx.example.net"),
        "the letter should carry example.net's Received line for the hop from \
         smtp.example.org (RFC 5321 §4.4):\n{}",
        String::from_utf8_lossy(across)
    );
    let alice = maildrop(org_world.pop3, "alice@example.org", "alice");
    assert_eq!(
        (
            alice.len(),
            count(&alice, "Subject: Re: Across to the other world"),
            count(&alice, "Status: 5.1.1"),
        ),
        (2, 1, 1),
        "alice's mailbox: bob's reply once (the restarted world did not send \
         it again) and the bounce for nobody@example.net"
    );

    net_again.stop();
    org_world.stop();
}
