//! `mailflow serve --submission --smtps` proved with real mail programs:
//! the `hello` world's submission server, smtp.example.org, listens on
//! loopback for port 587 (STARTTLS, then AUTH) and 465 (implicit TLS), and
//! programs that were never written for mailflow log in as alice, trust
//! the world's CA from the file `serve` names, and send to bob:
//!
//! * swaks with `--tls --auth PLAIN` and `--auth LOGIN`, and `--tlsc`;
//! * Python's smtplib: `starttls(context=…)`, `login()`, `send_message()`,
//!   and `SMTP_SSL` on 465;
//! * curl with `--ssl-reqd` and `smtps://`;
//! * `openssl s_client -starttls smtp` verifies the chain and the name;
//! * testssl.sh finds nothing rated high or critical;
//! * a raw socket is refused AUTH (538 5.7.11) and MAIL (530 5.7.0)
//!   before STARTTLS.
//!
//! Each message is relayed inside the world and fetched from bob's
//! mailbox over POP3, and the live transcript shows the handshake records
//! and the AUTH that crossed the real socket.

#[path = "support/serve.rs"]
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use serve::*;

/// `serve hello` with both submission ports.
fn submission_server() -> Server {
    Server::start(&["--submission", "127.0.0.1:0", "--smtps", "127.0.0.1:0"])
}

fn ports(server: &Server) -> (SocketAddr, SocketAddr, PathBuf) {
    let submission = server.submission.expect("a `listening submission` line");
    let smtps = server.smtps.expect("a `listening smtps` line");
    let ca = server.ca_file.clone().expect("a `ca-certificate` line");
    (submission, smtps, ca)
}

/// The message arrived at bob's, relayed by smtp.example.org from a
/// session that used TLS and AUTH (RFC 3848: ESMTPSA).
#[track_caller]
fn assert_arrived_with_tls_and_auth(server: &Server, tag: &str) {
    let got = wait_for_bob(server.pop3, &format!("Subject: {tag}"));
    let fields = header_fields(&got);
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("Received: from ")
                && f.contains("by smtp.example.org with ESMTPSA")),
        "smtp.example.org's Received line should say ESMTPSA:\n{}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn serve_prints_the_ca_file_and_the_accounts_of_the_submission_server() {
    let server = submission_server();
    let (_, _, ca) = ports(&server);
    let pem = std::fs::read_to_string(&ca).expect("the CA file is there");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(
        server.accounts.first(),
        Some(&("alice@example.org".to_owned(), "alice".to_owned()))
    );
    for (service, port) in [("submission", 587), ("smtps", 465)] {
        let l = server
            .listening
            .iter()
            .find(|l| l.service == service)
            .unwrap_or_else(|| panic!("no `listening {service}` line"));
        assert_eq!((l.node.as_str(), l.port), ("smtp.example.org", port));
    }
    assert!(server.before_ready.is_empty(), "{:?}", server.before_ready);
    server.stop();
}

#[test]
fn real_submission_refuses_auth_538_5_7_11_and_mail_530_5_7_0_before_starttls_rfc4954_4() {
    let server = submission_server();
    let (submission, _, _) = ports(&server);
    let mut smtp = Smtp::open(submission);
    let ehlo = smtp.command("EHLO raw.example");
    assert!(ehlo.has_line("STARTTLS"), "{ehlo}");
    assert!(
        !ehlo.lines.iter().any(|l| l.contains("AUTH")),
        "no password mechanism is offered in plaintext (RFC 4954 §4): {ehlo}"
    );
    let auth = smtp.command("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNl");
    assert!(auth.is(538, "5.7.11"), "{auth}");
    // RFC 3207 §4: a server that requires TLS answers 530 to the rest.
    let mail = smtp.command("MAIL FROM:<alice@example.org>");
    assert!(mail.is(530, "5.7.0"), "{mail}");
    assert!(mail.text().contains("STARTTLS"), "{mail}");
    smtp.command("QUIT");
    server.wait_transcript("the refused AUTH", |l| l.contains("S: 538 5.7.11"));
    server.stop();
}

#[test]
fn swaks_submits_with_starttls_and_auth_plain_and_login_rfc4954_4() {
    let test = "swaks_tls_auth";
    if !have_swaks(test) || !have_swaks_tls(test) {
        return;
    }
    let server = submission_server();
    let (submission, smtps, ca) = ports(&server);
    let ca = ca.to_string_lossy().into_owned();
    for (mechanism, addr, tls) in [
        ("PLAIN", submission, "--tls"),
        ("LOGIN", submission, "--tls"),
        ("PLAIN", smtps, "--tlsc"),
    ] {
        let tag = tag(&format!("swaks-{mechanism}{tls}"));
        let ran = run_bounded(
            Command::new("swaks")
                .args(["--server", &addr.to_string(), tls])
                .args(["--tls-verify", "--tls-ca-path", &ca])
                .args(["--auth", mechanism])
                .args([
                    "--auth-user",
                    "alice@example.org",
                    "--auth-password",
                    "alice",
                ])
                .args(["--from", "alice@example.org", "--to", "bob@example.net"])
                .args(["--header", &format!("Subject: {tag}")])
                .args(["--timeout", "15"]),
            PROGRAM_TIMEOUT,
        );
        assert!(
            ran.status.success(),
            "swaks {tls} {mechanism}:\n{}",
            ran.both()
        );
        for seen in [
            "=== TLS started with cipher TLSv1.3",
            "TLS peer DN=\"/CN=smtp.example.org\"",
            "<~  235 2.7.0 Authentication successful",
            "<~  250 2.6.0 Message accepted",
        ] {
            assert!(ran.stdout.contains(seen), "{seen}:\n{}", ran.both());
        }
        assert_arrived_with_tls_and_auth(&server, &tag);
        server.wait_transcript(&format!("AUTH {mechanism}"), |l| {
            l.contains(&format!("C: AUTH {mechanism}"))
        });
    }
    // The trace holds what crossed the real sockets: the handshake as
    // records, both ways.
    server.wait_transcript("the real client's ClientHello", |l| {
        l.contains("→ 🔒 TLS: ClientHello")
    });
    server.wait_transcript("the server's answer", |l| {
        l.contains("← 🔒 TLS: ServerHello")
    });
    server.stop();
}

const SMTPLIB: &str = r#"
import smtplib, ssl, sys
from email.message import EmailMessage

submission, smtps, ca, user, password, tag = sys.argv[1:]

def context():
    # The world's CA only. The certificate names smtp.example.org while we
    # dial 127.0.0.1, so the name is checked below instead.
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx

def names(sock):
    return [v for k, v in sock.getpeercert()["subjectAltName"] if k == "DNS"]

def message(subject):
    m = EmailMessage()
    m["From"] = user
    m["To"] = "bob@example.net"
    m["Subject"] = subject
    m.set_content("Sent by smtplib through mailflow serve.\n")
    return m

host, port = submission.rsplit(":", 1)
with smtplib.SMTP(host, int(port), timeout=15) as s:
    s.ehlo("smtplib.example")
    print("plaintext auth offered:", s.has_extn("auth"))
    s.starttls(context=context())
    print("tls", s.sock.version(), names(s.sock))
    s.ehlo("smtplib.example")
    try:
        s.send_message(message(tag + "-unauthenticated"))
        print("sent without login")
    except smtplib.SMTPSenderRefused as e:
        print("without login:", e.smtp_code, e.smtp_error.decode())
    s.login(user, password)
    s.send_message(message(tag + "-starttls"))
    print("sent over starttls")

host, port = smtps.rsplit(":", 1)
with smtplib.SMTP_SSL(host, int(port), timeout=15, context=context()) as s:
    print("smtps", s.sock.version(), names(s.sock))
    s.login(user, password)
    s.send_message(message(tag + "-smtps"))
    print("sent over smtps")
"#;

#[test]
fn smtplib_starttls_login_and_smtp_ssl_deliver_rfc8314_3_3() {
    let test = "smtplib_tls";
    if !have_python(test) {
        return;
    }
    let server = submission_server();
    let (submission, smtps, ca) = ports(&server);
    let tag = tag("smtplib");
    let ran = run_bounded(
        Command::new(python())
            .args(["-c", SMTPLIB])
            .arg(submission.to_string())
            .arg(smtps.to_string())
            .arg(&ca)
            .args(["alice@example.org", "alice", &tag]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "smtplib:\n{}", ran.both());
    for seen in [
        "plaintext auth offered: False",
        "tls TLSv1.3 ['smtp.example.org']",
        "without login: 530 5.7.0 Authentication required",
        "sent over starttls",
        "smtps TLSv1.3 ['smtp.example.org']",
        "sent over smtps",
    ] {
        assert!(ran.stdout.contains(seen), "{seen}:\n{}", ran.both());
    }
    assert_arrived_with_tls_and_auth(&server, &format!("{tag}-starttls"));
    assert_arrived_with_tls_and_auth(&server, &format!("{tag}-smtps"));
    server.stop();
}

#[test]
fn curl_sends_with_ssl_reqd_and_over_smtps() {
    let test = "curl_tls";
    if !have_curl(test) {
        return;
    }
    let server = submission_server();
    let (submission, smtps, ca) = ports(&server);
    let dir = TempDir::new("curl-tls");
    for (scheme, addr, extra) in [
        ("smtp", submission, Some("--ssl-reqd")),
        ("smtps", smtps, None),
    ] {
        let tag = tag(&format!("curl-{scheme}"));
        let file = dir.path().join(format!("{scheme}.eml"));
        std::fs::write(
            &file,
            format!(
                "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: {tag}\r\n\r\nSent by curl.\r\n"
            ),
        )
        .unwrap();
        // The certificate names smtp.example.org: curl dials that name,
        // resolved to the loopback port, and checks it.
        let port = addr.port();
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--max-time", "30"])
            .arg(format!("{scheme}://smtp.example.org:{port}"))
            .args(["--resolve", &format!("smtp.example.org:{port}:127.0.0.1")])
            .arg("--cacert")
            .arg(&ca)
            .args(["--user", "alice@example.org:alice"])
            .args(["--mail-from", "alice@example.org"])
            .args(["--mail-rcpt", "bob@example.net"])
            .arg("--upload-file")
            .arg(&file);
        curl.args(extra);
        let ran = run_bounded(&mut curl, PROGRAM_TIMEOUT);
        assert!(ran.status.success(), "curl {scheme}:\n{}", ran.both());
        assert_arrived_with_tls_and_auth(&server, &tag);
    }
    server.stop();
}

#[test]
fn openssl_s_client_verifies_the_chain_and_the_name_rfc3207_4() {
    let test = "openssl_s_client";
    if !have(test, "openssl", &["version"], "apt-get install -y openssl") {
        return;
    }
    let server = submission_server();
    let (submission, _, ca) = ports(&server);
    let mut child = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect"])
        .arg(submission.to_string())
        .arg("-CAfile")
        .arg(&ca)
        .args(["-verify_hostname", "smtp.example.org"])
        .args([
            "-servername",
            "smtp.example.org",
            "-verify_return_error",
            "-ign_eof",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start openssl");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"EHLO openssl.example\r\nQUIT\r\n");
    }
    let out = wait_output(child);
    for seen in [
        "Verify return code: 0 (ok)",
        "subject=CN = smtp.example.org",
        "issuer=CN = mailflow Hello: alice writes to bob CA",
        "250-AUTH PLAIN LOGIN",
        "250 DSN",
    ] {
        assert!(out.contains(seen), "{seen}:\n{out}");
    }
    server.stop();
}

#[test]
fn testssl_finds_nothing_high_or_critical_on_submission() {
    let test = "testssl";
    if !have(
        test,
        "testssl",
        &["--version"],
        "apt-get install -y testssl.sh",
    ) {
        return;
    }
    let server = submission_server();
    let (submission, _, ca) = ports(&server);
    let dir = TempDir::new("testssl");
    let json = dir.path().join("findings.json");
    // Protocols, ciphers, forward secrecy, server preferences and the
    // vulnerabilities. Not the certificate section (-S), Heartbleed (-H)
    // nor Ticketbleed (-T): testssl 3.0.8 cannot size an Ed25519 key
    // (get_pub_key_size) and stops there with "Scan interrupted"; both
    // bleeds are OpenSSL and F5 memory bugs that rustls cannot have, and
    // openssl_s_client_verifies_the_chain_and_the_name checks the chain.
    let ran = run_bounded(
        Command::new("testssl")
            .args(["--quiet", "--color", "0", "--warnings", "off"])
            .args(["-p", "-s", "-f", "-P"])
            .args([
                "-I", "-R", "-C", "-O", "-Z", "-W", "-A", "-L", "-F", "-J", "-D", "-4",
            ])
            .arg("--add-ca")
            .arg(&ca)
            .args(["--ip", "127.0.0.1", "--starttls", "smtp"])
            .arg("--jsonfile")
            .arg(&json)
            .arg(format!("smtp.example.org:{}", submission.port())),
        std::time::Duration::from_secs(600),
    );
    let findings = std::fs::read_to_string(&json)
        .unwrap_or_else(|e| panic!("testssl wrote no JSON ({e}):\n{}", ran.both()));
    let bad: Vec<&str> = findings
        .lines()
        .filter(|l| {
            ["\"CRITICAL\"", "\"HIGH\""].iter().any(|s| l.contains(s))
                || l.contains("Scan interrupted")
        })
        .collect();
    assert!(
        findings.contains("\"TLS1_3\"") && bad.is_empty(),
        "testssl found:\n{}\n{}",
        bad.join("\n"),
        ran.both()
    );
    server.stop();
}

#[test]
fn a_recorded_real_tls_session_decrypts_with_the_servers_key_log_rfc8446_7_1() {
    let test = "real_tls_keylog";
    if !have_python(test) || !have(test, "tshark", &["--version"], "apt-get install -y tshark") {
        return;
    }
    let dir = TempDir::new("real-tls-keylog");
    let recording = dir.path().join("world.mfr");
    let recording_arg = recording.to_string_lossy().into_owned();
    let server = Server::start(&[
        "--submission",
        "127.0.0.1:0",
        "--smtps",
        "127.0.0.1:0",
        "--record",
        &recording_arg,
    ]);
    let (submission, smtps, ca) = ports(&server);
    let tag = tag("keylog");
    let ran = run_bounded(
        Command::new(python())
            .args(["-c", SMTPLIB])
            .arg(submission.to_string())
            .arg(smtps.to_string())
            .arg(&ca)
            .args(["alice@example.org", "alice", &tag]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "smtplib:\n{}", ran.both());
    wait_for_bob(server.pop3, &format!("Subject: {tag}-smtps"));
    server.stop();
    let capture = dir.path().join("world.pcapng");
    let out = Command::new(mailflow())
        .args(["run", &recording_arg, "--format", "pcapng"])
        .output()
        .expect("mailflow run");
    std::fs::write(&capture, &out.stdout).unwrap();
    // The client's randomness was its own; the server logged the secrets,
    // so the capture reads inside TLS, on 587 after STARTTLS and on 465
    // (which Wireshark knows as SMTP over implicit TLS).
    let ran = run_bounded(
        Command::new("tshark")
            .arg("-r")
            .arg(&capture)
            .args(["-Y", "smtp.req.command", "-T", "fields"])
            .args(["-e", "tcp.dstport", "-e", "smtp.req.command"]),
        PROGRAM_TIMEOUT,
    );
    // smtplib writes its commands in lower case (the world's laptop, in
    // plaintext on 587 too, in upper case): these lines are the real
    // client's, read inside TLS.
    for line in ["587\tehlo", "587\trcpt", "465\tAUTH", "465\trcpt"] {
        assert!(
            ran.stdout.lines().any(|l| l == line),
            "{line:?} not decrypted:\n{}",
            ran.both()
        );
    }
}

/// The story issue 13 ends with, in `dmarc-spoof`: alice submits with
/// swaks over STARTTLS and AUTH; smtp.example.org signs (DKIM, RFC 6376),
/// and bob's copy says dkim=pass and dmarc=pass (RFC 8601). From another
/// terminal a second swaks, unauthenticated, hands mx.example.net a
/// message with alice's From: example.org publishes p=reject, nothing
/// aligns, and the end of data is answered 550 5.7.26 (RFC 7489 §6.6.2,
/// RFC 7372 §3.3); bob never gets it.
#[test]
fn swaks_submits_signed_mail_and_a_spoof_of_the_same_from_gets_550_5_7_26_rfc7489_6_6_2() {
    let test = "swaks_dmarc_spoof";
    if !have_swaks(test) || !have_swaks_tls(test) {
        return;
    }
    let server = Server::start_scenario("dmarc-spoof", &["--submission", "127.0.0.1:0"]);
    let submission = server.submission.expect("a `listening submission` line");
    let ca = server.ca_file.clone().expect("a `ca-certificate` line");
    let alice = tag("alice-signed");
    let ran = run_bounded(
        Command::new("swaks")
            .args(["--server", &submission.to_string(), "--tls"])
            .args(["--tls-verify", "--tls-ca-path", &ca.to_string_lossy()])
            .args(["--auth", "PLAIN"])
            .args([
                "--auth-user",
                "alice@example.org",
                "--auth-password",
                "alice",
            ])
            .args(["--from", "alice@example.org", "--to", "bob@example.net"])
            .args(["--header", &format!("Subject: {alice}")])
            .args(["--timeout", "15"]),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "swaks as alice:\n{}", ran.both());
    let got = wait_for_bob(server.pop3, &format!("Subject: {alice}"));
    let fields = header_fields(&got);
    let has = |start: &str, words: &[&str]| {
        fields
            .iter()
            .any(|f| f.starts_with(start) && words.iter().all(|w| f.contains(w)))
    };
    assert!(
        has("DKIM-Signature:", &["d=example.org", "s=mail"])
            && has(
                "Authentication-Results: mx.example.net",
                &["dkim=pass", "dmarc=pass"]
            ),
        "bob's copy should be signed by example.org and pass DKIM and DMARC at mx.example.net:\n{}",
        String::from_utf8_lossy(&got)
    );

    let spoof = tag("spoof");
    let ran = run_bounded(
        Command::new("swaks")
            .args(["--server", &server.smtp.to_string()])
            .args(["--from", "alice@example.org", "--to", "bob@example.net"])
            .args(["--header", "From: alice@example.org"])
            .args(["--header", &format!("Subject: {spoof}")])
            .args(["--timeout", "15"]),
        PROGRAM_TIMEOUT,
    );
    assert!(
        !ran.status.success() && ran.stdout.contains("<** 550 5.7.26 "),
        "the spoof should be refused at the end of data with 550 5.7.26:\n{}",
        ran.both()
    );
    server.wait_transcript("the 550 5.7.26 in the transcript", |l| {
        l.contains("S: 550 5.7.26")
    });
    let bob = maildrop(server.pop3, "bob@example.net", "bob");
    assert!(
        !bob.iter().any(|m| contains(m, &spoof)),
        "the spoof reached bob's mailbox"
    );
    server.stop();
}

/// Whether swaks can speak TLS (it needs Perl's Net::SSLeay).
fn have_swaks_tls(test: &str) -> bool {
    have(
        test,
        "perl",
        &["-MNet::SSLeay", "-MIO::Socket::SSL", "-e", "1"],
        "apt-get install -y libnet-ssleay-perl libio-socket-ssl-perl",
    )
}

/// stdout and stderr of a child fed its input, bounded in time.
fn wait_output(mut child: std::process::Child) -> String {
    let deadline = std::time::Instant::now() + PROGRAM_TIMEOUT;
    while child.try_wait().ok().flatten().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("openssl's output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
