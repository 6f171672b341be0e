//! The teaching catalog as a student meets it: `mailflow explain` and the
//! library calls the demo and the dashboard make.

use std::process::Command;

use mailflow::explain::{Catalog, CatalogError, Entry, Kind, render_text};

fn catalog() -> &'static Catalog {
    Catalog::builtin()
}

fn entry(topic: &str) -> &'static Entry {
    catalog()
        .lookup(topic)
        .unwrap_or_else(|| panic!("the catalog has no entry for {topic:?}"))
}

fn topics(entries: &[&Entry]) -> Vec<String> {
    entries.iter().map(|entry| entry.topic.clone()).collect()
}

/// A one-entry catalog with the given fields, for the error tests.
fn one_entry(fields: &str) -> String {
    format!("[\n    (\n{fields}\n    ),\n]\n")
}

const GOOD_FIELDS: &str = r#"        topic: "550",
        kind: Reply,
        title: "Mailbox unavailable",
        meaning: "No.",
        when: "After RCPT.",
        next: "Give up.",
        rfc: "RFC 5321 §4.2.2","#;

// ---------------------------------------------------------------------------
// What a student reads

#[test]
fn explain_550_names_rfc5321_4_2_2() {
    let text = render_text(entry("550"));
    assert!(text.starts_with("550 — "), "{text}");
    assert!(text.contains("RFC 5321 §4.2.2"), "{text}");
    assert!(text.contains("mailbox unavailable"), "{text}");
}

#[test]
fn explain_rcpt_names_rfc5321_4_1_1_3() {
    let rcpt = entry("RCPT");
    assert_eq!(rcpt.kind, Kind::Command);
    assert_eq!(rcpt.rfc, "RFC 5321 §4.1.1.3");
    assert!(render_text(rcpt).contains("RFC 5321 §4.1.1.3"));
}

#[test]
fn sections_named_in_the_brief_are_cited_where_they_belong() {
    let cases = [
        ("HELO", "RFC 5321 §4.1.1.1"),
        ("MAIL", "RFC 5321 §4.1.1.2"),
        ("DATA", "RFC 5321 §4.1.1.4"),
        ("QUIT", "RFC 5321 §4.1.1.10"),
        ("503", "RFC 5321 §4.1.4"),
        ("555", "RFC 5321 §4.1.1.11"),
        ("5yz", "RFC 5321 §4.2.1"),
        ("postmaster", "RFC 5321 §4.5.1"),
        ("limits", "RFC 5321 §4.5.3.1"),
        ("timeouts", "RFC 5321 §4.5.3.2"),
        ("envelope", "RFC 5321 §3.3"),
        ("5.1.1", "RFC 3463 §3.2"),
        ("5.7.1", "RFC 3463 §3.8"),
        ("PIPELINING", "RFC 2920 §3.1"),
        ("SIZE", "RFC 1870"),
        ("8BITMIME", "RFC 6152"),
        ("ENHANCEDSTATUSCODES", "RFC 2034"),
        ("SMTPUTF8", "RFC 6531"),
        ("5.6.7", "RFC 6531 §3.5"),
        ("AUTH", "RFC 4954 §4"),
        ("535", "RFC 4954 §6"),
        ("AUTH PLAIN", "RFC 4616 §2"),
        ("STARTTLS", "RFC 3207 §4"),
        ("null MX", "RFC 7505 §3"),
        ("greylisting", "RFC 6647"),
    ];
    for (topic, section) in cases {
        let rfc = &entry(topic).rfc;
        assert!(
            rfc.starts_with(section),
            "{topic}: {rfc:?} should start with {section:?}"
        );
    }
}

#[test]
fn every_rendered_line_fits_an_80_column_terminal_without_colour_codes() {
    for entry in catalog().entries() {
        let text = render_text(entry);
        assert!(
            !text.contains('\x1b'),
            "{}: escape code in output",
            entry.topic
        );
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{}: {line:?} is too long",
                entry.topic
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Coverage: everything a session can show has an entry

#[test]
fn every_command_has_an_entry() {
    let commands = [
        "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
        "AUTH", "STARTTLS", ".",
    ];
    for verb in commands {
        assert_eq!(entry(verb).kind, Kind::Command, "{verb}");
        assert!(catalog().explain_command(verb).is_some(), "{verb}");
    }
}

#[test]
fn every_extension_has_an_entry() {
    for keyword in [
        "SIZE",
        "PIPELINING",
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
        "SMTPUTF8",
    ] {
        assert_eq!(entry(keyword).kind, Kind::Extension, "{keyword}");
    }
    for mechanism in ["AUTH PLAIN", "AUTH LOGIN"] {
        assert_eq!(entry(mechanism).kind, Kind::Extension, "{mechanism}");
    }
}

#[test]
fn every_reply_code_has_an_entry() {
    let codes = [
        211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 455, 500, 501,
        502, 503, 504, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555, 556,
    ];
    for code in codes {
        let found = catalog().explain_reply(code, None);
        assert_eq!(topics(&found), [code.to_string()], "{code}");
        assert_eq!(found[0].kind, Kind::Reply);
    }
}

#[test]
fn every_enhanced_status_code_has_an_entry() {
    let codes = [
        "2.0.0", "2.1.0", "2.1.5", "2.6.0", "2.7.0", "4.2.2", "4.3.0", "4.3.2", "4.4.1", "4.4.2",
        "4.4.3", "4.4.7", "4.5.0", "4.5.3", "4.7.0", "4.7.1", "5.0.0", "5.1.1", "5.1.2", "5.1.3",
        "5.1.7", "5.1.10", "5.2.2", "5.3.4", "5.4.4", "5.4.6", "5.5.0", "5.5.1", "5.5.2", "5.5.3",
        "5.5.4", "5.5.6", "5.6.0", "5.6.3", "5.6.7", "5.7.0", "5.7.1", "5.7.8", "5.7.9", "5.7.11",
    ];
    for code in codes {
        assert_eq!(topics(&catalog().explain_enhanced(code)), [code], "{code}");
        assert_eq!(entry(code).kind, Kind::Enhanced, "{code}");
    }
}

#[test]
fn every_digit_of_a_reply_code_has_an_entry_rfc5321_4_2_1() {
    let digits = [
        "2yz", "3yz", "4yz", "5yz", "x0z", "x1z", "x2z", "x3z", "x4z", "x5z",
    ];
    for digit in digits {
        assert_eq!(entry(digit).kind, Kind::ReplyClass, "{digit}");
    }
}

#[test]
fn every_part_of_an_enhanced_code_has_an_entry_rfc3463_2() {
    let parts = ["x.y.z", "2.y.z", "4.y.z", "5.y.z"]
        .into_iter()
        .map(String::from)
        .chain((0..=7).map(|subject| format!("x.{subject}.z")));
    for part in parts {
        assert_eq!(entry(&part).kind, Kind::EnhancedClass, "{part}");
    }
}

#[test]
fn every_entry_is_complete_and_cites_an_rfc() {
    assert!(catalog().len() >= 100, "only {} entries", catalog().len());
    for entry in catalog().entries() {
        let fields = [
            &entry.topic,
            &entry.title,
            &entry.meaning,
            &entry.when,
            &entry.next,
            &entry.rfc,
        ];
        assert!(
            fields.iter().all(|field| !field.trim().is_empty()),
            "{entry:?}"
        );
        assert!(
            entry.rfc.starts_with("RFC "),
            "{}: {:?}",
            entry.topic,
            entry.rfc
        );
        assert!(
            !entry.title.contains('\n'),
            "{}: the title is one line",
            entry.topic
        );
        for see in &entry.see {
            assert!(
                catalog().lookup(see).is_some(),
                "{}: see {see:?}",
                entry.topic
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Look-ups

#[test]
fn lookup_ignores_case_and_blanks() {
    for (asked, topic) in [
        ("rcpt", "RCPT"),
        ("Rcpt", "RCPT"),
        ("pipelining", "PIPELINING"),
        ("auth", "AUTH"),
        ("  auth   plain ", "AUTH PLAIN"),
        ("rcpt to", "RCPT"),
        ("MAIL FROM:", "MAIL"),
        ("X.Y.Z", "x.y.z"),
        ("5YZ", "5yz"),
        ("Null mx", "null MX"),
    ] {
        assert_eq!(
            catalog().lookup(asked).map(|e| e.topic.as_str()),
            Some(topic),
            "{asked:?}"
        );
    }
    assert!(catalog().lookup("").is_none());
    assert!(catalog().lookup("frobnicate").is_none());
}

#[test]
fn explain_reply_puts_the_enhanced_code_first() {
    let found = catalog().explain_reply(550, Some("5.1.1"));
    assert_eq!(topics(&found), ["5.1.1", "550"]);
}

#[test]
fn an_unknown_reply_code_falls_back_to_its_first_digit_rfc5321_4_2_1() {
    assert_eq!(topics(&catalog().explain_reply(559, None)), ["5yz"]);
    assert_eq!(topics(&catalog().explain_reply(299, None)), ["2yz"]);
    assert!(catalog().explain_reply(600, None).is_empty());
    assert!(catalog().explain_reply(42, None).is_empty());
}

#[test]
fn an_unknown_enhanced_code_falls_back_to_subject_and_class_rfc3463_2() {
    assert_eq!(
        topics(&catalog().explain_reply(550, Some("5.7.99"))),
        ["x.7.z", "550"]
    );
    assert_eq!(
        topics(&catalog().explain_enhanced("4.7.99")),
        ["x.7.z", "4.y.z"]
    );
    assert_eq!(topics(&catalog().explain_enhanced("5.9.9")), ["5.y.z"]);
    assert!(catalog().explain_enhanced("not a code").is_empty());
    // A malformed enhanced code is ignored rather than guessed at.
    assert_eq!(
        topics(&catalog().explain_reply(250, Some("9.9.9"))),
        ["250"]
    );
}

#[test]
fn explain_command_takes_a_verb_or_a_whole_command_line() {
    let verb = |line: &str| catalog().explain_command(line).map(|e| e.topic.clone());
    assert_eq!(verb("rcpt"), Some("RCPT".into()));
    assert_eq!(verb("RCPT TO:<bob@example.net>"), Some("RCPT".into()));
    assert_eq!(verb("mail from:<>"), Some("MAIL".into()));
    assert_eq!(verb("."), Some(".".into()));
    assert_eq!(verb("PIPELINING"), None, "an extension is not a command");
    assert_eq!(verb("550"), None);
    assert_eq!(verb(""), None);
}

#[test]
fn explain_line_reads_transcript_lines() {
    let line = |text: &str| topics(&catalog().explain_line(text));
    assert_eq!(line("S: 550-5.1.1 no such user"), ["5.1.1", "550"]);
    assert_eq!(line("C: RCPT TO:<bob@example.net>"), ["RCPT"]);
    assert_eq!(
        line("C: AUTH PLAIN AGFsaWNlAHNlY3JldA=="),
        ["AUTH", "AUTH PLAIN"]
    );
    assert_eq!(line("250-PIPELINING"), ["PIPELINING", "250"]);
    assert_eq!(
        line("250-AUTH PLAIN LOGIN"),
        ["AUTH", "AUTH PLAIN", "AUTH LOGIN", "250"]
    );
    assert_eq!(line("250 2.1.5 Ok"), ["2.1.5", "250"]);
    assert_eq!(line("250 mx.example.net Hello"), ["250"]);
    assert_eq!(line("354 Go ahead"), ["354"]);
    assert_eq!(line("5.7.1"), ["5.7.1"]);
    assert!(line("hello world").is_empty());
}

#[test]
fn suggestions_catch_typos_and_prefixes() {
    assert_eq!(catalog().suggest("RCTP"), ["RCPT"]);
    assert_eq!(catalog().suggest("pipelning").first(), Some(&"PIPELINING"));
    assert_eq!(catalog().suggest("PIPE"), ["PIPELINING"]);
    assert_eq!(catalog().suggest("EHOL").first(), Some(&"EHLO"));
    assert!(catalog().suggest("5.7").contains(&"5.7.1"));
    assert!(catalog().suggest("zzzzzzzz").is_empty());
    assert!(catalog().suggest("").is_empty());
    assert!(catalog().suggest("55O").len() <= 5);
}

// ---------------------------------------------------------------------------
// A teacher's edit that goes wrong is reported clearly

#[test]
fn a_good_one_entry_catalog_loads() {
    let catalog = Catalog::from_ron(&one_entry(GOOD_FIELDS));
    assert_eq!(catalog.map(|c| c.len()), Ok(1));
}

#[test]
fn broken_ron_names_line_and_column() {
    // Line 5 lacks the comma after the title.
    let text = one_entry(&GOOD_FIELDS.replace("unavailable\",", "unavailable\""));
    let error = Catalog::from_ron(&text).err();
    let Some(CatalogError::Syntax { line, column, .. }) = error.clone() else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert_eq!(line, 6, "the parser stops at the next field, on line 6");
    assert!(column > 1);
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains(&format!("line {line}, column {column}")),
        "{message}"
    );
}

#[test]
fn an_unknown_field_is_rejected_by_name() {
    let text = one_entry(&format!("{GOOD_FIELDS}\n        colour: \"red\","));
    let message = Catalog::from_ron(&text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("colour"), "{message}");
    assert!(message.contains("line 10"), "{message}");
}

#[test]
fn a_missing_field_is_rejected_by_name() {
    let text = one_entry(&GOOD_FIELDS.replace("        rfc: \"RFC 5321 §4.2.2\",", ""));
    let message = Catalog::from_ron(&text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("rfc"), "{message}");
}

#[test]
fn a_duplicate_topic_is_rejected_with_both_lines() {
    let text = format!("[\n    (\n{GOOD_FIELDS}\n    ),\n    (\n{GOOD_FIELDS}\n    ),\n]\n");
    let error = Catalog::from_ron(&text).err();
    assert!(
        matches!(&error, Some(CatalogError::Duplicate { name, .. }) if name == "550"),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("line 12") && message.contains("line 3"),
        "{message}"
    );
}

#[test]
fn a_duplicate_ignoring_case_or_through_an_alias_is_rejected() {
    let rcpt = GOOD_FIELDS.replace("\"550\"", "\"RCPT\"");
    let lower = GOOD_FIELDS.replace("\"550\"", "\"rcpt\"");
    let text = format!("[\n (\n{rcpt}\n ),\n (\n{lower}\n ),\n]");
    assert!(matches!(
        Catalog::from_ron(&text),
        Err(CatalogError::Duplicate { .. })
    ));

    let alias = format!("{}\n        aliases: [\"RCPT\"],", GOOD_FIELDS);
    let text = format!("[\n (\n{rcpt}\n ),\n (\n{alias}\n ),\n]");
    assert!(matches!(
        Catalog::from_ron(&text),
        Err(CatalogError::Duplicate { .. })
    ));
}

#[test]
fn an_empty_field_is_rejected() {
    let text = one_entry(&GOOD_FIELDS.replace("\"No.\"", "\"  \""));
    let error = Catalog::from_ron(&text).err();
    assert!(
        matches!(
            &error,
            Some(CatalogError::EmptyField {
                field: "meaning",
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn an_rfc_field_must_name_an_rfc() {
    let text = one_entry(&GOOD_FIELDS.replace("RFC 5321 §4.2.2", "section 4.2.2"));
    assert!(matches!(
        Catalog::from_ron(&text),
        Err(CatalogError::NotAnRfc { .. })
    ));
}

#[test]
fn a_see_also_must_lead_somewhere() {
    let text = one_entry(&format!("{GOOD_FIELDS}\n        see: [\"551\"],"));
    let error = Catalog::from_ron(&text).err();
    assert!(
        matches!(&error, Some(CatalogError::UnknownSee { see, .. }) if see == "551"),
        "{error:?}"
    );
}

#[test]
fn texts_may_span_lines_and_are_rewrapped() {
    let fields = GOOD_FIELDS.replace(
        "\"No.\"",
        "\"A permanent\n            no.\n\n            Second paragraph.\"",
    );
    let text = one_entry(&format!(
        "{fields}\n        mailflow: \"Seen in mailflow.\","
    ));
    let catalog = Catalog::from_ron(&text).unwrap_or_else(|e| panic!("{e}"));
    let rendered = catalog.lookup("550").map(render_text).unwrap_or_default();
    assert!(
        rendered.contains("  A permanent no.\n\n  Second paragraph.\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("In mailflow\n  Seen in mailflow.\n"),
        "{rendered}"
    );
}

// ---------------------------------------------------------------------------
// The real binary

fn mailflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailflow"))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run mailflow: {error}"))
}

#[test]
fn binary_explains_a_whole_reply_line() {
    let output = mailflow(&["explain", "550 5.1.1 no such user"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("5.1.1 — Bad destination mailbox address"),
        "{stdout}"
    );
    assert!(
        stdout.contains("550 — Requested action not taken"),
        "{stdout}"
    );
    assert!(
        stdout.contains("RFC 3463 §3.2") && stdout.contains("RFC 5321 §4.2.2"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour codes");
}

#[test]
fn binary_rejects_an_unknown_topic_with_a_suggestion_and_exit_code_2() {
    let output = mailflow(&["explain", "RCTP"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no entry for \"RCTP\""), "{stderr}");
    assert!(stderr.contains("Did you mean RCPT?"), "{stderr}");
}

#[test]
fn binary_lists_every_topic() {
    let output = mailflow(&["explain", "--list"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for entry in catalog().entries() {
        assert!(
            stdout.contains(&entry.title),
            "{} missing from --list",
            entry.topic
        );
    }
}
