//! `mailflow serve` proved with real clients: the binary runs the `hello`
//! world on the wall clock with its SMTP and POP3 (node mx.example.net) and
//! its DNS server (ns.example.org) on loopback ports the kernel picks, and
//! programs that were never written for mailflow talk to it:
//!
//! * Python's smtplib sends one 8-bit message to two recipients with
//!   dot-leading lines, and poplib gets it back byte for byte under the
//!   Return-Path and Received lines mx.example.net prepended
//!   (tests/real/smtplib_client.py);
//! * a pipelined group over a raw socket is answered in order (RFC 2920);
//! * swaks and curl each deliver to bob; curl reads bob's maildrop over
//!   POP3, Received chain and all;
//! * a 3 MB message comes back whole over POP3 RETR, byte for byte and
//!   exactly LIST's size, to a raw socket, to poplib
//!   (tests/real/poplib_retr.py) and to curl (counted in octets);
//! * an unknown user gets 550 5.1.1 and relaying 550 5.7.1 (smtplib's
//!   exceptions, swaks' output and exit code), even when the scenario's
//!   `relay_networks` list loopback: they never match a real client;
//! * dig finds example.net's MX over UDP and over TCP;
//! * Ctrl-C (SIGINT) tells a client mid-session `421 4.3.2` and the server
//!   exits 0; so does SIGTERM, which ends every test here;
//! * the Received stamp is the real second the message arrived in, and
//!   UIDL after a restart names new mail with ids the first run never used.
//!
//! A test whose outside program is missing says so loudly and passes;
//! `.ci/run` installs them all and sets `MAILFLOW_REQUIRE_REAL_CLIENTS`,
//! under which a missing one fails instead. Only 127.0.0.1 is contacted, and
//! every wait is bounded.

#[path = "support/serve.rs"]
mod serve;

use std::process::Command;
use std::time::{Duration, Instant};

use serve::*;

#[test]
fn headless_prints_one_listening_line_per_service_then_ready() {
    let server = Server::start(&[]);
    assert!(
        server.before_ready.is_empty(),
        "stdout should begin with the `listening` lines, then `ready`; \
         these came before `ready` too: {:?}",
        server.before_ready
    );
    let wanted = [
        ("smtp", "mx.example.net", 25, ""),
        ("pop3", "mx.example.net", 110, ""),
        ("dns", "ns.example.org", 53, "(udp and tcp)"),
    ];
    assert_eq!(
        server.listening.len(),
        wanted.len(),
        "one listening line per service: {:?}",
        server.listening
    );
    for (service, node, port, rest) in wanted {
        let l = server
            .listening
            .iter()
            .find(|l| l.service == service)
            .unwrap_or_else(|| panic!("no `listening {service}` line: {:?}", server.listening));
        assert_eq!(
            (l.node.as_str(), l.port, l.rest.as_str()),
            (node, port, rest),
            "{l:?}"
        );
        assert!(
            l.addr.ip().is_loopback() && l.addr.port() != 0,
            "{service} should be on a real loopback port: {l:?}"
        );
    }
    // The greeting comes from the node inside the world (RFC 5321 §4.2),
    // and the session shows in the live transcript.
    let mut smtp = Smtp::connect(server.smtp);
    let greeting = smtp.reply();
    assert!(
        greeting.code == 220 && greeting.text().starts_with("mx.example.net "),
        "the greeting: {greeting}"
    );
    smtp.ehlo("client.example");
    smtp.expect("QUIT", 221, "2.0.0");
    server.wait_transcript("the client's EHLO", |l| {
        l.contains("C: EHLO client.example")
    });
    server.stop();
}

#[test]
fn smtplib_8bitmime_two_recipients_dot_lines_come_back_byte_for_byte_over_poplib_rfc5321_4_5_2() {
    let test = "smtplib_roundtrip";
    if !have_python(test) {
        return;
    }
    let server = Server::start(&[]);
    let tag = tag("smtplib");
    let ran = run_bounded(
        Command::new(python())
            .arg(real("smtplib_client.py"))
            .arg("roundtrip")
            .args(["--smtp", &server.smtp.port().to_string()])
            .args(["--pop3", &server.pop3.port().to_string()])
            .args(["--tag", &tag]),
        PROGRAM_TIMEOUT,
    );
    assert!(
        ran.status.success(),
        "smtplib/poplib round trip failed:\n{}",
        ran.both()
    );
    println!("{}", ran.stdout);
    // smtplib sends its verbs in lower case (`mail FROM:`), which RFC 5321
    // §2.4 allows.
    server.wait_transcript("smtplib's MAIL FROM with BODY=8BITMIME", |l| {
        let l = l.to_ascii_lowercase();
        l.contains("c: mail from:<alice@example.org>") && l.contains("body=8bitmime")
    });
    server.stop();
}

#[test]
fn pipelined_group_is_answered_in_order_rfc2920_3_1() {
    let server = Server::start(&[]);
    let tag = tag("pipelined");
    let mut smtp = Smtp::open(server.smtp);
    let ehlo = smtp.ehlo("client.example");
    assert!(
        ehlo.has_line("PIPELINING"),
        "EHLO should offer PIPELINING: {ehlo}"
    );
    // One write, five commands; the replies must come in the same order
    // (RFC 2920 §3.1), the refused recipient in its place.
    smtp.send(
        b"MAIL FROM:<alice@example.org>\r\n\
          RCPT TO:<bob@example.net>\r\n\
          RCPT TO:<nobody@example.net>\r\n\
          RCPT TO:<postmaster@example.net>\r\n\
          DATA\r\n",
    );
    let wanted = [
        (250, Some("2.1.0")),
        (250, Some("2.1.5")),
        (550, Some("5.1.1")),
        (250, Some("2.1.5")),
        (354, None),
    ];
    for (i, (code, status)) in wanted.into_iter().enumerate() {
        let reply = smtp.reply();
        let ok = match status {
            Some(s) => reply.is(code, s),
            None => reply.code == code,
        };
        assert!(
            ok,
            "reply {} of the group: expected {code} {status:?}, got {reply}",
            i + 1
        );
    }
    // The data, its end and QUIT in one write too (§3.1 allows QUIT after
    // the end of data in the same group).
    let mut rest = message(&tag);
    rest.extend_from_slice(b".\r\nQUIT\r\n");
    smtp.send(&rest);
    let done = smtp.reply();
    assert!(done.is(250, "2.6.0"), "end of data: {done}");
    let bye = smtp.reply();
    assert!(bye.is(221, "2.0.0"), "QUIT: {bye}");
    assert!(
        smtp.expect_closed(IO_TIMEOUT).is_empty(),
        "nothing should follow 221"
    );
    let got = wait_for_bob(server.pop3, &tag);
    assert_delivered_by_mx(&got, "alice@example.org");
    server.stop();
}

#[test]
fn swaks_delivers_to_bob() {
    let test = "swaks_delivers_to_bob";
    if !have_swaks(test) {
        return;
    }
    let server = Server::start(&[]);
    let tag = tag("swaks");
    let ran = run_bounded(
        Command::new("swaks")
            .args(["--server", &server.smtp.to_string()])
            .args(["--helo", "swaks.example"])
            .args(["--from", "swaks@example.com"])
            .args(["--to", "bob@example.net"])
            .args(["--header", &format!("Subject: {tag}")])
            .args(["--body", "Sent by swaks to mailflow serve."])
            .args(["--timeout", "15"]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "swaks failed:\n{}", ran.both());
    assert!(
        ran.stdout.contains("<-  250 2.6.0 Message accepted"),
        "swaks should see 250 2.6.0 after the data:\n{}",
        ran.both()
    );
    let got = wait_for_bob(server.pop3, &format!("Subject: {tag}"));
    assert_delivered_by_mx(&got, "swaks@example.com");
    assert!(
        contains(&got, "Sent by swaks to mailflow serve."),
        "the body is missing:\n{}",
        String::from_utf8_lossy(&got)
    );
    // The live transcript shows the session and the delivery facts.
    server.wait_transcript("swaks's EHLO", |l| l.contains("C: EHLO swaks.example"));
    let queued = server.wait_transcript("swaks's message queued at mx", |l| {
        l.contains("* mx.example.net queued ")
            && l.contains("from <swaks@example.com> to <bob@example.net>")
    });
    let id = queued
        .split("queued ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default()
        .to_owned();
    server.wait_transcript("swaks's message stored for bob", |l| {
        l.contains(&format!(
            "* mx.example.net stored {id} in the mailbox of bob@example.net"
        ))
    });
    server.stop();
}

#[test]
fn curl_delivers_over_smtp_and_reads_bobs_maildrop_over_pop3_rfc1939() {
    let test = "curl_smtp_and_pop3";
    if !have_curl(test) {
        return;
    }
    let server = Server::start(&[]);
    let tag = tag("curl");
    let dir = TempDir::new("curl");
    let file = dir.path().join("message.eml");
    std::fs::write(
        &file,
        format!(
            "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: {tag}\r\n\r\nSent by curl.\r\n"
        ),
    )
    .unwrap();
    let smtp_url = format!("smtp://{}/client.example", server.smtp);
    let ran = run_bounded(
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20"])
            .arg(&smtp_url)
            .args(["--mail-from", "alice@example.org"])
            .args(["--mail-rcpt", "bob@example.net"])
            .arg("--upload-file")
            .arg(&file),
        PROGRAM_TIMEOUT,
    );
    assert!(
        ran.status.success(),
        "curl over SMTP failed:\n{}",
        ran.both()
    );

    // curl logs in as plain `bob`; LIST, then each message by number.
    let pop3 = |path: &str| {
        let ran = run_bounded(
            Command::new("curl")
                .args(["--silent", "--show-error", "--max-time", "20"])
                .arg(format!("pop3://bob:bob@{}/{path}", server.pop3)),
            PROGRAM_TIMEOUT,
        );
        assert!(
            ran.status.success(),
            "curl pop3 /{path} failed:\n{}",
            ran.both()
        );
        ran.stdout
    };
    let deadline = Instant::now() + IO_TIMEOUT;
    let ours = loop {
        let list = pop3("");
        let numbers: Vec<String> = list
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect();
        let found = numbers
            .iter()
            .map(|n| pop3(n))
            .find(|m| m.contains(&format!("Subject: {tag}")));
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "curl's message never showed in bob's LIST: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_delivered_by_mx(ours.as_bytes(), "alice@example.org");
    assert!(
        ours.contains("Sent by curl."),
        "the body is missing:\n{ours}"
    );

    // `/1` prints the first message with the lines mx.example.net
    // prepended, whichever came first: curl's or the world's own.
    let first = pop3("1");
    assert_delivered_by_mx(first.as_bytes(), "alice@example.org");

    // The world's own message, alice's hello relayed by smtp.example.org,
    // carries a chain of two Received lines, the newest on top (RFC 5321
    // §4.4).
    let deadline = Instant::now() + IO_TIMEOUT;
    let hello = loop {
        let list = pop3("");
        let found = list
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(pop3)
            .find(|m| m.contains("Subject: Hello\r\n"));
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "alice's hello never reached bob's maildrop: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let fields = header_fields(hello.as_bytes());
    let received: Vec<&String> = fields
        .iter()
        .filter(|f| f.starts_with("Received: "))
        .collect();
    assert!(
        received.len() == 2
            && received[0].contains(" by mx.example.net ")
            && received[1].contains(" by smtp.example.org "),
        "alice's hello should carry two Received lines, mx's on top:\n{hello}"
    );
    server.stop();
}

/// A 3 MB message: headers marked with `tag`, then 39,000 lines of 76
/// `x`, CRLF line ends (RFC 5322 §2.1.1: under 78 octets a line).
fn big_message(tag: &str) -> Vec<u8> {
    let mut m = format!(
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: big {tag}\r\n\
         Message-ID: <{tag}@client.example>\r\n\r\n"
    )
    .into_bytes();
    let line = format!("{}\r\n", "x".repeat(76));
    for _ in 0..39_000 {
        m.extend_from_slice(line.as_bytes());
    }
    m
}

/// Checks one retrieved copy of `sent`: exactly `size` octets (LIST's
/// count), the lines mx.example.net prepended, then `sent` byte for byte.
#[track_caller]
fn assert_whole(who: &str, got: &[u8], size: usize, sent: &[u8]) {
    assert_eq!(
        got.len(),
        size,
        "{who}: LIST says {size} octets, RETR gave {} (RFC 1939 §5: the exact size; \
         fewer means the message was cut off)",
        got.len()
    );
    assert!(
        got.ends_with(sent),
        "{who}: after the prepended lines the message should be what was sent ({} octets); \
         got {} octets, ending {:?}",
        sent.len(),
        got.len(),
        String::from_utf8_lossy(&got[got.len().saturating_sub(200)..])
    );
    assert_delivered_by_mx(got, "alice@example.org");
}

#[test]
fn a_message_over_one_mebibyte_comes_back_whole_over_pop3_retr_to_poplib_curl_and_a_raw_socket_rfc1939_5()
 {
    let server = Server::start(&[]);
    let tag = tag("big");
    let sent = big_message(&tag);
    assert!(sent.len() > 3_000_000, "{} octets", sent.len());

    // Sent over a raw socket: mx.example.net takes it (SIZE is 10 MB).
    let mut smtp = Smtp::open(server.smtp);
    smtp.ehlo("client.example");
    smtp.stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    smtp.send_message("bob@example.net", &sent);
    smtp.expect("QUIT", 221, "2.0.0");

    // Its number in bob's maildrop: the one LIST sizes above what was sent
    // (the world's own hello is under a kilobyte).
    let deadline = Instant::now() + IO_TIMEOUT;
    let (number, size) = loop {
        let mut pop = Pop3::login(server.pop3, "bob@example.net", "bob");
        let found = pop.list().into_iter().find(|&(_, s)| s > sent.len());
        pop.quit();
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "the 3 MB message never showed in bob's LIST"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    println!(
        "bob's message {number}: {size} octets by LIST, {} sent",
        sent.len()
    );

    // A plain socket: RETR reads to the final dot (the server used to cut
    // the connection after about 1 MiB, which fails here).
    let start = Instant::now();
    let mut pop = Pop3::login(server.pop3, "bob@example.net", "bob");
    let got = pop.retr(number);
    pop.quit();
    println!(
        "raw socket RETR: {} octets in {:?}",
        got.len(),
        start.elapsed()
    );
    assert_whole("raw socket RETR", &got, size, &sent);

    let dir = TempDir::new("big");
    let expected = dir.path().join("sent.eml");
    std::fs::write(&expected, &sent).unwrap();
    if have_python("big_retr_poplib") {
        let start = Instant::now();
        let ran = run_bounded(
            Command::new(python())
                .arg(real("poplib_retr.py"))
                .args(["--pop3", &server.pop3.port().to_string()])
                .args(["--user", "bob@example.net", "--password", "bob"])
                .args(["--number", &number.to_string()])
                .arg("--expect")
                .arg(&expected),
            PROGRAM_TIMEOUT,
        );
        assert!(
            ran.status.success(),
            "poplib RETR of the 3 MB message failed:\n{}",
            ran.both()
        );
        println!("poplib: {} in {:?}", ran.stdout.trim(), start.elapsed());
    }
    if have_curl("big_retr_curl") {
        // curl writes the body to a file: counted in octets, not trusted
        // to say when it was cut short.
        let out = dir.path().join("curl.eml");
        let start = Instant::now();
        let ran = run_bounded(
            Command::new("curl")
                .args(["--silent", "--show-error", "--max-time", "50"])
                .arg(format!("pop3://bob:bob@{}/{number}", server.pop3))
                .arg("--output")
                .arg(&out),
            PROGRAM_TIMEOUT,
        );
        assert!(
            ran.status.success(),
            "curl pop3 RETR of the 3 MB message failed:\n{}",
            ran.both()
        );
        let got = std::fs::read(&out).expect("curl's output file");
        println!("curl RETR: {} octets in {:?}", got.len(), start.elapsed());
        assert_whole("curl RETR", &got, size, &sent);
    }
    // Nothing was deleted, and the server still serves.
    let mut pop = Pop3::login(server.pop3, "bob@example.net", "bob");
    assert!(
        pop.list().contains(&(number, size)),
        "the 3 MB message should still be in bob's maildrop"
    );
    pop.quit();
    server.stop();
}

#[test]
fn unknown_user_gets_550_5_1_1_rfc3463() {
    let test = "unknown_user_smtplib";
    if !have_python(test) {
        return;
    }
    let server = Server::start(&[]);
    let ran = run_bounded(
        Command::new(python())
            .arg(real("smtplib_client.py"))
            .arg("refused")
            .args(["--smtp", &server.smtp.port().to_string()])
            .args(["--rcpt", "nobody@example.net"])
            .args(["--code", "550", "--status", "5.1.1"]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "smtplib:\n{}", ran.both());
    server.stop();
}

#[test]
fn relaying_is_refused_550_5_7_1_for_smtplib_and_swaks_rfc5321_3_6_2() {
    let test = "relay_refused";
    let smtplib = have_python(test);
    let swaks = have_swaks(test);
    if !smtplib && !swaks {
        return;
    }
    let server = Server::start(&[]);
    if smtplib {
        let ran = run_bounded(
            Command::new(python())
                .arg(real("smtplib_client.py"))
                .arg("refused")
                .args(["--smtp", &server.smtp.port().to_string()])
                .args(["--rcpt", "someone@elsewhere.example"])
                .args(["--code", "550", "--status", "5.7.1"]),
            PROGRAM_TIMEOUT,
        );
        assert!(ran.status.success(), "smtplib:\n{}", ran.both());
    }
    if swaks {
        let ran = run_bounded(
            Command::new("swaks")
                .args(["--server", &server.smtp.to_string()])
                .args(["--helo", "swaks.example"])
                .args(["--from", "alice@example.org"])
                .args(["--to", "someone@elsewhere.example"])
                .args(["--timeout", "15"]),
            PROGRAM_TIMEOUT,
        );
        // swaks exits 24 when no recipient was accepted.
        assert_eq!(
            ran.status.code(),
            Some(24),
            "swaks should fail at RCPT:\n{}",
            ran.both()
        );
        assert!(
            ran.stdout.lines().any(|l| l.starts_with("<** 550 5.7.1 ")),
            "swaks should show 550 5.7.1:\n{}",
            ran.both()
        );
    }
    server.stop();
}

#[test]
fn relay_networks_never_match_a_real_clients_address_550_5_7_1_rfc5321_3_6_2_and_7_1() {
    // Loopback, and every IPv4 address: were they honoured for a real
    // client, mx.example.net would be an open relay.
    let dir = TempDir::new("relay-networks");
    let scenario = hello_with_mx_fields(
        &dir,
        "hello-relay-networks.ron",
        r#"relay_networks: ["127.0.0.0/8", "0.0.0.0/0"],"#,
    );
    let server = Server::start_scenario(scenario.to_str().unwrap(), &[]);
    // The client really is 127.0.0.1, inside 127.0.0.0/8.
    let mut smtp = Smtp::open(server.smtp);
    assert_eq!(
        smtp.stream.local_addr().unwrap().ip().to_string(),
        "127.0.0.1"
    );
    smtp.ehlo("client.example");
    smtp.expect("MAIL FROM:<alice@example.org>", 250, "2.1.0");
    for rcpt in ["x@elsewhere.example", "carol@example.org"] {
        let reply = smtp.command(&format!("RCPT TO:<{rcpt}>"));
        assert!(
            reply.is(550, "5.7.1"),
            "relay_networks [127.0.0.0/8, 0.0.0.0/0] must not make a relay for a real \
             client from 127.0.0.1: RCPT TO:<{rcpt}> expected 550 5.7.1, got {reply}"
        );
    }
    // With no recipient accepted there is nothing to send (RFC 5321 §3.3).
    let data = smtp.command("DATA");
    assert!(
        (500..600).contains(&data.code),
        "DATA without an accepted recipient should fail: {data}"
    );
    // The node's own users still get their mail.
    smtp.expect("RSET", 250, "2.0.0");
    let tag = tag("relay-networks");
    smtp.send_message("bob@example.net", &message(&tag));
    smtp.expect("QUIT", 221, "2.0.0");
    wait_for_bob(server.pop3, &tag);
    assert!(
        !server
            .transcript()
            .iter()
            .any(|l| l.contains("elsewhere.example") && l.contains(" queued ")),
        "nothing for elsewhere.example may be queued"
    );
    server.stop();
}

#[test]
fn dig_finds_the_mx_of_example_net_over_udp_and_tcp_rfc1035_4_2() {
    let test = "dig_mx";
    if !have_dig(test) {
        return;
    }
    let server = Server::start(&[]);
    let dig = |name: &str, kind: &str, tcp: bool| {
        let mut cmd = Command::new("dig");
        cmd.arg("@127.0.0.1")
            .args(["-p", &server.dns.port().to_string()])
            .args([name, kind, "+short", "+time=3", "+tries=2"]);
        if tcp {
            cmd.arg("+tcp");
        }
        let ran = run_bounded(&mut cmd, PROGRAM_TIMEOUT);
        assert!(ran.status.success(), "{cmd:?}:\n{}", ran.both());
        ran.stdout.trim().to_owned()
    };
    for tcp in [false, true] {
        let how = if tcp { "TCP" } else { "UDP" };
        assert_eq!(
            dig("example.net", "MX", tcp),
            "10 mx.example.net.",
            "MX over {how}"
        );
        assert_eq!(
            dig("mx.example.net", "A", tcp),
            "198.51.100.25",
            "A over {how}"
        );
    }
    server.stop();
}

#[test]
fn sigint_tells_a_client_mid_session_421_4_3_2_and_exits_0_rfc5321_3_8() {
    let mut server = Server::start(&[]);
    let mut smtp = Smtp::open(server.smtp);
    smtp.ehlo("client.example");
    smtp.expect("MAIL FROM:<alice@example.org>", 250, "2.1.0");
    smtp.expect("RCPT TO:<bob@example.net>", 250, "2.1.5");
    // Ctrl-C, as a terminal sends it.
    let ran = run_bounded(
        Command::new("kill").args(["-INT", &server.pid.to_string()]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "kill -INT:\n{}", ran.both());
    let replies = smtp.expect_closed(STOP_TIMEOUT);
    assert!(
        replies.len() == 1 && replies[0].is(421, "4.3.2"),
        "the client should get exactly 421 4.3.2 and then the close: {replies:?}"
    );
    server.expect_exit_0("SIGINT");
}

#[test]
fn sigterm_tells_a_connected_client_421_4_3_2_and_exits_0() {
    let mut server = Server::start(&[]);
    let mut smtp = Smtp::open(server.smtp);
    smtp.ehlo("client.example");
    server.signal("TERM");
    let replies = smtp.expect_closed(STOP_TIMEOUT);
    assert!(
        replies.len() == 1 && replies[0].is(421, "4.3.2"),
        "the client should get exactly 421 4.3.2 and then the close: {replies:?}"
    );
    server.expect_exit_0("SIGTERM");
}

#[test]
fn node_flag_exposes_another_mta_of_the_world() {
    let server = Server::start(&["--node", "smtp.example.org"]);
    for l in &server.listening {
        if l.service == "smtp" || l.service == "pop3" {
            assert_eq!(l.node, "smtp.example.org", "--node smtp.example.org: {l:?}");
        }
    }
    let mut smtp = Smtp::connect(server.smtp);
    let greeting = smtp.reply();
    assert!(
        greeting.code == 220 && greeting.text().starts_with("smtp.example.org "),
        "the greeting should come from smtp.example.org: {greeting}"
    );
    // alice's mailbox is there; bob's is not a local one.
    smtp.ehlo("client.example");
    smtp.expect("MAIL FROM:<bob@example.net>", 250, "2.1.0");
    smtp.expect("RCPT TO:<alice@example.org>", 250, "2.1.5");
    smtp.expect("RCPT TO:<nobody@example.org>", 550, "5.1.1");
    smtp.expect("QUIT", 221, "2.0.0");
    let mut pop = Pop3::login(server.pop3, "alice@example.org", "alice");
    pop.list();
    pop.quit();
    server.stop();
}

#[test]
fn a_non_loopback_address_without_public_is_refused() {
    // Nothing is sent anywhere: the server must refuse to start.
    let ran = run_bounded(
        Command::new(mailflow()).args([
            "serve",
            "hello",
            "--headless",
            "--smtp",
            "0.0.0.0:0",
            "--pop3",
            "127.0.0.1:0",
            "--dns",
            "127.0.0.1:0",
        ]),
        Duration::from_secs(20),
    );
    assert!(
        !ran.status.success() && !ran.stdout.lines().any(|l| l == "ready"),
        "--smtp 0.0.0.0:0 without --public should be refused, not served:\n{}",
        ran.both()
    );
    assert!(
        ran.stderr.contains("--public"),
        "the refusal should name --public:\n{}",
        ran.both()
    );
}

/// A headless server whose stdout nobody reads (a paused pager, a full
/// pipe) keeps serving: its printer skips what it cannot write in time
/// rather than hold the world back.
#[test]
fn a_stdout_nobody_reads_never_freezes_the_world() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(mailflow())
        .args(["serve", "hello", "--headless", "--smtp", "127.0.0.1:0"])
        .args(["--no-pop3", "--no-dns"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mailflow serve");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let _reaped = Reaped(Some(child));
    let mut smtp = None;
    for _ in 0..10 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(l) = parse_listening(line.trim_end()) {
            smtp = Some(l.addr);
        }
        if line.trim_end() == "ready" {
            break;
        }
    }
    let addr = smtp.expect("a listening smtp line before ready");
    // From here on stdout is never read: its pipe (64 KiB) fills at once.
    let start = Instant::now();
    for i in 0..150 {
        normal_session(addr, &tag(&format!("unread-{i}")));
    }
    println!("150 sessions with stdout unread: {:?}", start.elapsed());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the world slowed to the pace of a stdout nobody reads"
    );
    drop(out);
}

/// An answer too long for UDP comes back cut, with TC set, and dig gets
/// it whole by asking again over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
#[test]
fn a_long_answer_over_udp_is_truncated_and_dig_retries_over_tcp_rfc1035_4_2_1() {
    let test = "dig_tc";
    if !have_dig(test) {
        return;
    }
    let dir = TempDir::new("dns-tc");
    let hello = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/hello.ron"),
    )
    .expect("read scenarios/hello.ron");
    let mx = r#"Mx("example.net", 10, "mx.example.net"),"#;
    assert_eq!(
        hello.matches(mx).count(),
        1,
        "hello.ron's MX of example.net"
    );
    let long = "t".repeat(700);
    let path = dir.path().join("long-txt.ron");
    std::fs::write(
        &path,
        hello.replace(mx, &format!(r#"{mx} Txt("example.net", "{long}"),"#)),
    )
    .unwrap();
    let server = Server::start_scenario(path.to_str().unwrap(), &[]);
    let dig = |extra: &[&str]| {
        let mut cmd = Command::new("dig");
        cmd.arg("@127.0.0.1")
            .args(["-p", &server.dns.port().to_string()])
            .args(["example.net", "TXT", "+noedns", "+time=3", "+tries=2"])
            .args(extra);
        let ran = run_bounded(&mut cmd, PROGRAM_TIMEOUT);
        assert!(ran.status.success(), "{cmd:?}:\n{}", ran.both());
        ran.stdout
    };
    // +ignore: take the truncated answer as it is.
    let cut = dig(&["+ignore"]);
    let flags = cut
        .lines()
        .find(|l| l.contains("flags:"))
        .unwrap_or_default()
        .to_owned();
    assert!(flags.contains(" tc"), "TC should be set: {flags}\n{cut}");
    assert!(!cut.contains(&long[..255]), "no answer fits: {cut}");
    // Without it dig asks again over TCP and gets all of it.
    let whole = dig(&[]);
    assert!(
        whole.contains("Truncated, retrying in TCP mode"),
        "dig should retry over TCP:\n{whole}"
    );
    assert_eq!(
        whole.matches(&long[..255]).count(),
        2,
        "700 octets come as three strings, two of them full:\n{whole}"
    );
    server.stop();
}

/// Whole Unix seconds now.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The stamp after the last `;` of the top Received field.
fn received_stamp(message: &[u8]) -> Option<i64> {
    header_fields(message)
        .iter()
        .find_map(|f| f.strip_prefix("Received: "))
        .and_then(|r| r.rsplit(';').next())
        .and_then(mailflow::mail::parse_rfc5322_date)
}

#[test]
fn received_stamp_is_the_real_second_not_the_start_cut_to_a_second_rfc5321_4_4() {
    let server = Server::start(&[]);
    // A moment into the run, so that a start cut to its second would show.
    std::thread::sleep(Duration::from_millis(600));
    for round in 0..3 {
        let tag = tag("stamp");
        let before = unix_now();
        normal_session(server.smtp, &tag);
        let after = unix_now();
        let got = wait_for_bob(server.pop3, &format!("Subject: {tag}"));
        let stamp = received_stamp(&got).unwrap_or_else(|| {
            panic!(
                "no Received stamp to read:\n{}",
                String::from_utf8_lossy(&got)
            )
        });
        assert!(
            (before..=after).contains(&stamp),
            "round {round}: mx.example.net stamped {stamp}, but the message arrived in {before}..={after}:\n{}",
            String::from_utf8_lossy(&got)
        );
        std::thread::sleep(Duration::from_millis(350));
    }
    server.stop();
}

#[test]
fn uids_never_reused_across_serve_restarts_rfc1939_7() {
    // A client that leaves mail on the server (mpop, fetchmail) skips a
    // message whose unique-id it has seen: after a restart, new mail must
    // come under new ids (RFC 1939 §7).
    let uids = |tag: &str| -> Vec<String> {
        let server = Server::start(&[]);
        normal_session(server.smtp, tag);
        wait_for_bob(server.pop3, &format!("Subject: {tag}"));
        let mut pop = Pop3::login(server.pop3, "bob@example.net", "bob");
        let uids: Vec<String> = pop.uidl().into_iter().map(|(_, id)| id).collect();
        pop.quit();
        server.stop();
        uids
    };
    let first = uids(&tag("first-run"));
    let second = uids(&tag("second-run"));
    assert!(!first.is_empty() && !second.is_empty());
    for id in first.iter().chain(&second) {
        assert!(
            (1..=70).contains(&id.len()) && id.bytes().all(|b| (0x21..=0x7e).contains(&b)),
            "{id:?} is not 1 to 70 characters from 0x21 to 0x7E (RFC 1939 §7)"
        );
        assert!(id.starts_with("mx.example.net."), "{id:?}");
    }
    let reused: Vec<&String> = second.iter().filter(|id| first.contains(id)).collect();
    assert!(
        reused.is_empty(),
        "the restarted server reused {reused:?} (first run {first:?}, second {second:?})"
    );
}

#[test]
fn a_helo_session_is_stamped_with_smtp_not_esmtp_rfc5321_4_4() {
    let server = Server::start(&[]);
    let tag = tag("helo");
    let mut smtp = Smtp::open(server.smtp);
    for (line, code) in [
        ("HELO client.example", 250),
        ("MAIL FROM:<alice@example.org>", 250),
        ("RCPT TO:<bob@example.net>", 250),
        ("DATA", 354),
    ] {
        let reply = smtp.command(line);
        assert_eq!(reply.code, code, "{line}: {reply}");
    }
    smtp.send(&message(&tag));
    smtp.send(b".\r\n");
    let done = smtp.reply();
    assert_eq!(done.code, 250, "end of data: {done}");
    let got = wait_for_bob(server.pop3, &tag);
    let received = header_fields(&got)
        .into_iter()
        .find(|f| f.starts_with("Received: from client.example"))
        .unwrap_or_else(|| panic!("mx's Received line:\n{}", String::from_utf8_lossy(&got)));
    assert!(
        received.contains(" with SMTP id "),
        "HELO is plain SMTP: {received}"
    );
    server.stop();
}

/// Issue 14 item 6: the command cap counts commands without mail, as
/// Postfix's limits do, so a sender that keeps one connection open for
/// many messages (Postfix's connection cache, smtp-source -d) is never cut.
#[test]
fn one_connection_delivers_far_more_messages_than_the_command_cap() {
    let server = Server::start(&["--max-commands", "20"]);
    let mut smtp = Smtp::open(server.smtp);
    smtp.ehlo("client.example");
    let tag = tag("cached");
    for i in 0..60 {
        smtp.send_message("bob@example.net", &message(&format!("{tag}-{i}")));
    }
    let bye = smtp.command("QUIT");
    assert_eq!(
        bye.code, 221,
        "QUIT after 60 messages and 181 commands: {bye}"
    );
    let got = wait_for_bob(server.pop3, &format!("{tag}-59"));
    assert_delivered_by_mx(&got, "alice@example.org");
    server.stop();
}

/// Issue 14 item 6: `--headless` drops lines only when its stdout is
/// blocked, never in a burst that a reader keeps up with.
#[test]
fn a_burst_read_at_once_loses_no_transcript_line() {
    let server = Server::start(&[]);
    let addr = server.smtp;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..60 {
                    normal_session(addr, &tag(&format!("burst-{t}-{i}")));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a client thread");
    }
    let last = tag("burst-last");
    normal_session(addr, &last);
    server.wait_transcript("the last session's subject", |l| l.contains(&last));
    let lost: Vec<String> = server
        .transcript()
        .into_iter()
        .filter(|l| l.contains("not shown"))
        .collect();
    assert!(
        lost.is_empty(),
        "a reader that keeps up lost lines: {lost:?}"
    );
    server.stop();
}

/// A real socket client sending BDAT (no packaged client speaks it:
/// Python's smtplib has no BDAT, swaks has no CHUNKING) to `mailflow
/// serve` with `chunking: true` on mx.example.net: two pipelined chunks,
/// the first holding a line with a lone dot, answered 250 each, and the
/// message retrieved over POP3 byte for byte.
#[test]
fn bdat_chunks_over_a_real_socket_arrive_byte_for_byte_rfc3030_2() {
    let dir = TempDir::new("bdat");
    let scenario = hello_with_mx_fields(&dir, "chunking.ron", "chunking: true,");
    let server = Server::start_scenario(&scenario.to_string_lossy(), &[]);
    let tag = tag("bdat");
    let mut smtp = Smtp::open(server.smtp);
    let ehlo = smtp.ehlo("client.example");
    assert!(
        ehlo.has_line("CHUNKING"),
        "EHLO should offer CHUNKING: {ehlo}"
    );
    assert!(ehlo.has_line("BINARYMIME"), "and BINARYMIME: {ehlo}");
    let body = format!(
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: {tag}\r\n\r\n\
         A lone dot follows.\r\n.\r\nThe message goes on, {tag}.\r\n"
    )
    .into_bytes();
    let (first, last) = body.split_at(body.len() / 2);
    let mut group = b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n".to_vec();
    group.extend_from_slice(format!("BDAT {}\r\n", first.len()).as_bytes());
    group.extend_from_slice(first);
    group.extend_from_slice(format!("BDAT {} LAST\r\n", last.len()).as_bytes());
    group.extend_from_slice(last);
    // One write: BDAT is pipelinable (RFC 3030 §2, RFC 2920).
    smtp.send(&group);
    for (code, status) in [
        (250, "2.1.0"),
        (250, "2.1.5"),
        (250, "2.0.0"),
        (250, "2.6.0"),
    ] {
        let reply = smtp.reply();
        assert!(
            reply.is(code, status),
            "expected {code} {status}, got {reply}"
        );
    }
    smtp.expect("QUIT", 221, "2.0.0");
    let got = wait_for_bob(server.pop3, &tag);
    assert!(
        got.ends_with(&body),
        "bob's copy should end with the octets sent:\n{}",
        String::from_utf8_lossy(&got)
    );
    assert_delivered_by_mx(&got, "alice@example.org");
    server.wait_transcript("the chunk's lone dot shown as chunk octets", |l| {
        l.ends_with("  : .")
    });
    server.stop();
}
