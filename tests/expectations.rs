//! The expectation language, each form with a case that holds and a case
//! that fails, checked against real runs: `mixed-fortunes` (bob delivered,
//! karol refused with 550 5.1.1, dave greylisted then delivered, and a
//! second message to bob at 30m) and `three-domains` (an expiry after
//! 2h). Beside them, what `check` warns about and refuses.

use mailflow::scenario::{self, bundled};
use mailflow::sim;

/// Runs `world` (a bundled scenario) with `claims` as its expectations
/// and says, for each, whether it held, with the failures shown.
fn verdicts(world: &str, claims: &[(&str, bool)]) {
    let source = bundled::source(world).expect("a bundled scenario");
    let start = source.rfind("    expect: [").expect("an expect list");
    let list: String = claims
        .iter()
        .map(|(c, _)| format!("        {c},\n"))
        .collect();
    let source = format!("{}    expect: [\n{list}    ],\n)\n", &source[..start]);
    let loaded = scenario::parse(&source, world).unwrap_or_else(|e| panic!("{e}"));
    let run = sim::run(&loaded.plan);
    let verdicts = scenario::expect::check(&loaded.plan.expect, &run.trace);
    let wrong: Vec<String> = claims
        .iter()
        .zip(&verdicts)
        .filter(|((_, want), v)| v.held != *want)
        .map(|((c, want), v)| format!("{c}\n    wanted held={want}, got: {v}"))
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn delivered_is_scoped_to_a_message_timed_and_counted() {
    verdicts(
        "mixed-fortunes",
        &[
            (r#"Delivered(to: "bob@example.net")"#, true),
            (r#"Delivered(to: "carol@example.com")"#, false),
            (
                r#"Delivered(to: "bob@example.net", message: "Minutes")"#,
                true,
            ),
            (
                r#"Delivered(to: "carol@example.com", message: "Report")"#,
                false,
            ),
            (r#"Delivered(to: "bob@example.net", exactly: 2)"#, true),
            (r#"Delivered(to: "bob@example.net", exactly: 1)"#, false),
            (r#"Delivered(to: "bob@example.net", at_most: 1)"#, false),
            (r#"Delivered(to: "bob@example.net", at_least: 3)"#, false),
        ],
    );
}

#[test]
fn within_counts_from_the_run_unless_since_send() {
    // The report is sent at 1m and reaches bob 170 ms later.
    verdicts(
        "mixed-fortunes",
        &[
            // Backward compatible: `within` counts from the start.
            (
                r#"Delivered(to: "bob@example.net", message: "Report", within: "1m")"#,
                false,
            ),
            (
                r#"Delivered(to: "bob@example.net", message: "Report", within: "2m")"#,
                true,
            ),
            (
                r#"Delivered(to: "bob@example.net", message: "Report", within: "1s", since: "send")"#,
                true,
            ),
            (
                r#"Delivered(to: "bob@example.net", message: "Report", within: "100ms", since: "send")"#,
                false,
            ),
            (
                r#"Delivered(to: "bob@example.net", message: "Minutes", after: "30m")"#,
                true,
            ),
            (
                r#"Delivered(to: "bob@example.net", message: "Minutes", within: "30m")"#,
                false,
            ),
            (
                r#"Delivered(to: "dave@university.example", not_before: "5m", since: "send")"#,
                true,
            ),
            (
                r#"Delivered(to: "dave@university.example", not_before: "7m", since: "send")"#,
                false,
            ),
            (
                r#"Delivered(to: "dave@university.example", between: ("7m", "8m"))"#,
                true,
            ),
            (
                r#"Delivered(to: "dave@university.example", between: ("1m", "7m"))"#,
                false,
            ),
            (r#"NotDelivered(to: "bob@example.net", within: "1m")"#, true),
            (
                r#"NotDelivered(to: "bob@example.net", within: "2m")"#,
                false,
            ),
            (r#"NotDelivered(to: "karol@example.com")"#, true),
            (
                r#"NotDelivered(to: "bob@example.net", message: "Minutes", within: "29m")"#,
                true,
            ),
        ],
    );
}

#[test]
fn a_bounce_is_scoped_to_the_recipient_it_reports() {
    verdicts(
        "mixed-fortunes",
        &[
            (
                r#"Bounced(to: "alice@example.org", for: "karol@example.com")"#,
                true,
            ),
            (
                r#"Bounced(to: "alice@example.org", for: "dave@university.example")"#,
                false,
            ),
            (
                r#"Bounced(to: "alice@example.org", for: "karol@example.com", status: "5.1.1")"#,
                true,
            ),
            (
                r#"Bounced(to: "alice@example.org", for: "karol@example.com", status: "4.4.7")"#,
                false,
            ),
            (
                r#"Bounced(to: "alice@example.org", message: "Report", within: "10s", since: "send")"#,
                true,
            ),
            (
                r#"Bounced(to: "alice@example.org", message: "Minutes")"#,
                false,
            ),
            (r#"Bounced(to: "alice@example.org", exactly: 1)"#, true),
            (r#"Bounced(to: "alice@example.org", exactly: 2)"#, false),
            (
                r#"NotBounced(to: "alice@example.org", for: "dave@university.example")"#,
                true,
            ),
            (
                r#"NotBounced(to: "alice@example.org", for: "karol@example.com")"#,
                false,
            ),
            (r#"NotBounced(to: "bob@example.net")"#, true),
            (r#"NotBounced(to: "alice@example.org")"#, false),
        ],
    );
}

#[test]
fn replies_are_scoped_to_a_server_a_command_a_recipient_and_a_session() {
    verdicts(
        "mixed-fortunes",
        &[
            (r#"Reply(code: 550, status: "5.1.1")"#, true),
            (r#"Reply(code: 550, status: "5.1.2")"#, false),
            (
                r#"Reply(code: 550, from: "mx.example.com", rcpt: "karol@example.com")"#,
                true,
            ),
            (r#"Reply(code: 550, from: "mx.example.net")"#, false),
            (
                r#"Reply(code: 550, rcpt: "dave@university.example")"#,
                false,
            ),
            (r#"Reply(code: 450, command: "RCPT")"#, true),
            (r#"Reply(code: 450, command: "MAIL")"#, false),
            // Sessions are numbered as the transcript shows them: [3] is
            // the first try at dave's server, [4] the retry.
            (r#"Reply(code: 450, session: 3)"#, true),
            (r#"Reply(code: 450, session: 4)"#, false),
            (
                r#"Reply(code: 250, rcpt: "dave@university.example", session: 4)"#,
                true,
            ),
            (r#"Reply(code: 450, message: "Report")"#, true),
            (r#"Reply(code: 450, message: "Minutes")"#, false),
            (r#"Reply(code: 450, exactly: 1)"#, true),
            (r#"Reply(code: 450, at_least: 2)"#, false),
            (r#"Reply(code: 450, after: "5m")"#, false),
            (r#"NoReply(code: 550, from: "mx.example.net")"#, true),
            (r#"NoReply(code: 450)"#, false),
            (r#"NoReply(code: 450, after: "5m")"#, true),
        ],
    );
}

#[test]
fn deferrals_are_counted_exactly_and_scoped() {
    verdicts(
        "mixed-fortunes",
        &[
            (r#"Deferred(at_least: 1)"#, true),
            (r#"Deferred(exactly: 1)"#, true),
            (r#"Deferred(exactly: 2)"#, false),
            (r#"Deferred(at_most: 0)"#, false),
            (r#"Deferred(rcpt: "dave@university.example")"#, true),
            (r#"Deferred(rcpt: "bob@example.net")"#, false),
            (r#"Deferred(host: "smtp.example.org")"#, true),
            (r#"Deferred(host: "mx.example.net")"#, false),
            (r#"Deferred(message: "Minutes")"#, false),
            (r#"Deferred(within: "1m")"#, false),
        ],
    );
}

#[test]
fn hops_count_each_recipient_path_not_the_fan_out() {
    verdicts(
        "mixed-fortunes",
        &[
            // Three servers took the message, but each path is 2 hops.
            (r#"Hops(exactly: 2)"#, true),
            (r#"Hops(exactly: 3)"#, false),
            (r#"Hops(exactly: 2, to: "dave@university.example")"#, true),
            (r#"Hops(exactly: 2, to: "karol@example.com")"#, false),
            (r#"Hops(exactly: 2, message: "Minutes")"#, true),
            (r#"Hops(exactly: 1, message: "Minutes")"#, false),
        ],
    );
    // The backup MX relays: three hops on the only path.
    verdicts(
        "mx-backup",
        &[
            (r#"Hops(exactly: 3)"#, true),
            (r#"Hops(exactly: 2)"#, false),
        ],
    );
}

#[test]
fn retrievals_and_received_headers_are_scoped_and_counted() {
    verdicts(
        "mixed-fortunes",
        &[
            (r#"Retrieved(by: "bob@example.net", exactly: 2)"#, true),
            (r#"Retrieved(by: "bob@example.net", exactly: 1)"#, false),
            (r#"Retrieved(by: "bob@example.net", at_most: 1)"#, false),
            (
                r#"Retrieved(by: "bob@example.net", message: "Minutes")"#,
                true,
            ),
            (r#"Retrieved(by: "dave@university.example")"#, false),
            (
                r#"Retrieved(by: "bob@example.net", between: ("0s", "10m"))"#,
                false,
            ),
            (
                r#"ReceivedHeaders(mailbox: "bob@example.net", count: 2, message: "Minutes")"#,
                true,
            ),
            (
                r#"ReceivedHeaders(mailbox: "bob@example.net", count: 3, message: "Minutes")"#,
                false,
            ),
        ],
    );
}

#[test]
fn expiry_is_claimed_and_denied() {
    verdicts(
        "three-domains",
        &[
            (r#"Expired"#, true),
            (r#"NotExpired"#, false),
            // Given up at the first failed attempt after max_age (2h).
            (
                r#"Bounced(to: "alice@example.org", status: "4.4.7", between: ("2h", "2h30m"))"#,
                true,
            ),
            (
                r#"Bounced(to: "alice@example.org", status: "4.4.7", within: "2h")"#,
                false,
            ),
        ],
    );
    verdicts(
        "mixed-fortunes",
        &[(r#"NotExpired"#, true), (r#"Expired"#, false)],
    );
}

/// `check`'s warnings for the file with `replace` applied to `world`.
fn warnings(world: &str, replace: (&str, &str)) -> String {
    let source = bundled::source(world).expect("bundled");
    assert!(source.contains(replace.0), "{world} has {:?}", replace.0);
    let source = source.replacen(replace.0, replace.1, 1);
    let loaded = scenario::parse(&source, "slip.ron").unwrap_or_else(|e| panic!("{e}"));
    loaded.warnings.map(|w| w.to_string()).unwrap_or_default()
}

#[test]
fn check_warns_about_a_mailbox_that_exists_nowhere() {
    let text = warnings(
        "hello",
        (
            r#"Delivered(to: "bob@example.net""#,
            r#"Delivered(to: "bobb@example.net""#,
        ),
    );
    assert!(
        text.contains("warning: bobb@example.net is no mailbox of this scenario"),
        "{text}"
    );
    assert!(text.contains("did you mean \"bob@example.net\"?"), "{text}");
    assert!(text.contains("--> slip.ron:"), "{text}");
    // An address a message is sent to may be refused on purpose.
    assert_eq!(warnings("unknown-user", ("", "")), "");
}

#[test]
fn check_warns_about_times_past_the_end_of_the_run() {
    let text = warnings("greylisting", ("run_for: \"30m\"", "run_for: \"12m\""));
    assert!(
        text.contains("phone.example.net fetches at \"15m\", but the run stops at 12m"),
        "{text}"
    );
    assert!(
        !text.contains("`within` \"10m\""),
        "within 10m fits a 12m run: {text}"
    );
    let text = warnings("greylisting", ("run_for: \"30m\"", "run_for: \"5m\""));
    assert!(
        text.contains("`within` \"10m\" is later than the run lasts (run_for 5m)"),
        "{text}"
    );
    let text = warnings("mixed-fortunes", ("at: \"30m\"", "at: \"2h\""));
    assert!(
        text.contains(
            "laptop.example.org sends at \"2h\", but the run stops at 1h: the message is never sent"
        ),
        "{text}"
    );
    let text = warnings(
        "mixed-fortunes",
        ("message: \"Minutes\"", "message: \"Minuets\""),
    );
    assert!(
        text.contains("no message of this scenario has the subject \"Minuets\""),
        "{text}"
    );
    assert!(text.contains("did you mean \"Minutes\"?"), "{text}");
}

#[test]
fn every_bundled_scenario_checks_without_a_warning() {
    for name in bundled::names() {
        let loaded = scenario::load(name).expect("bundled scenarios load");
        if let Some(w) = loaded.warnings {
            panic!("{name}:\n{w}");
        }
    }
}

#[test]
fn a_wrong_password_is_refused_unless_it_is_the_lesson() {
    let source = bundled::source("hello").expect("hello");
    let wrong = source.replacen("password: \"alice\",", "password: \"wrong\",", 1);
    let error = scenario::parse(&wrong, "wrong.ron").expect_err("refused by default");
    assert!(
        error
            .to_string()
            .contains("add deliberate: [\"password\"] to the client"),
        "{error}"
    );
    let lesson = source.replacen(
        "password: \"alice\",",
        "password: \"wrong\", deliberate: [\"password\"],",
        1,
    );
    let loaded = scenario::parse(&lesson, "lesson.ron").unwrap_or_else(|e| panic!("{e}"));
    let run = sim::run(&loaded.plan);
    let claims = [mailflow::plan::Expectation::Reply {
        code: 535,
        status: Some("5.7.8".into()),
        scope: Default::default(),
        window: Default::default(),
        count: Default::default(),
    }];
    let verdict = &scenario::expect::check(&claims, &run.trace)[0];
    assert!(verdict.held, "{verdict}");
}
