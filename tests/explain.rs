//! The teaching catalog as a student meets it: `mailflow explain` and the
//! library calls the demo and the dashboard make.

use std::process::Command;
use std::time::{Duration, Instant};

use mailflow::dns::{
    Answer, Authority, QueryType, Rcode, Record, RecordData, Summary, Zone, encode_query,
};
use mailflow::explain::{Catalog, CatalogError, Entry, Kind, Protocol, render_text};
use mailflow::pop3::{self, CommandError, MemoryMaildrop, Pop3Server};

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
// POP3: every command, status and capability the machines use

/// A command line for each POP3 command mailflow's parser accepts.
const POP3_COMMANDS: [&str; 12] = [
    "USER bob",
    "PASS secret",
    "STAT",
    "LIST",
    "UIDL",
    "RETR 1",
    "TOP 1 0",
    "DELE 1",
    "RSET",
    "NOOP",
    "QUIT",
    "CAPA",
];

/// Real POP3 commands the parser recognises and the server refuses.
const POP3_NOT_OFFERED: [&str; 5] = [
    "APOP bob c4c9334bac560ecc979e58001b3e22fb",
    "STLS",
    "AUTH PLAIN",
    "UTF8",
    "LANG",
];

#[test]
fn every_pop3_command_the_parser_knows_has_an_entry() {
    for line in POP3_COMMANDS {
        let command = pop3::Command::parse(line.as_bytes())
            .unwrap_or_else(|error| panic!("{line:?} does not parse: {error}"));
        let keyword = command.keyword();
        let found = catalog().explain_pop3_command(keyword);
        let found = found.unwrap_or_else(|| panic!("no POP3 entry for {keyword}"));
        assert_eq!(found.topic, format!("POP3 {keyword}"));
        assert_eq!(found.kind, Kind::Pop3Command, "{keyword}");
        assert_eq!(found.kind.protocol(), Some(Protocol::Pop3), "{keyword}");
    }
    for line in POP3_NOT_OFFERED {
        let Err(CommandError::NotOffered(keyword)) = pop3::Command::parse(line.as_bytes()) else {
            panic!("{line:?} should be recognised but not offered");
        };
        let found = catalog().explain_pop3_command(keyword);
        let found = found.unwrap_or_else(|| panic!("no POP3 entry for {keyword}"));
        assert!(
            found.title.contains("recognised, not offered"),
            "{keyword}: {}",
            found.title
        );
        assert!(
            render_text(found).contains("-ERR"),
            "{keyword} says what mailflow answers"
        );
    }
}

#[test]
fn pop3_sections_are_cited_where_they_belong() {
    let cases = [
        ("POP3 USER", "RFC 1939 §7"),
        ("POP3 PASS", "RFC 1939 §7"),
        ("POP3 STAT", "RFC 1939 §5"),
        ("POP3 LIST", "RFC 1939 §5"),
        ("POP3 UIDL", "RFC 1939 §7"),
        ("POP3 RETR", "RFC 1939 §5"),
        ("POP3 TOP", "RFC 1939 §7"),
        ("POP3 DELE", "RFC 1939 §5"),
        ("POP3 RSET", "RFC 1939 §5"),
        ("POP3 NOOP", "RFC 1939 §5"),
        ("POP3 QUIT", "RFC 1939 §6"),
        ("POP3 CAPA", "RFC 2449 §5"),
        ("POP3 APOP", "RFC 1939 §7"),
        ("POP3 STLS", "RFC 2595 §4"),
        ("POP3 AUTH", "RFC 5034"),
        ("POP3 UTF8", "RFC 6856"),
        ("POP3 LANG", "RFC 6856"),
        ("POP3 PIPELINING", "RFC 2449 §6.6"),
        ("POP3 IMPLEMENTATION", "RFC 2449 §6.9"),
        ("+OK", "RFC 1939 §3"),
        ("-ERR", "RFC 1939 §3"),
        ("POP3 multi-line", "RFC 1939 §3"),
        ("POP3 autologout", "RFC 1939 §3"),
        ("AUTHORIZATION state", "RFC 1939 §3, §4"),
        ("TRANSACTION state", "RFC 1939 §3, §5"),
        ("UPDATE state", "RFC 1939 §6"),
    ];
    for (topic, section) in cases {
        let found = entry(topic);
        assert_eq!(found.kind.protocol(), Some(Protocol::Pop3), "{topic}");
        assert!(
            found.rfc.starts_with(section),
            "{topic}: {:?} should start with {section:?}",
            found.rfc
        );
    }
}

#[test]
fn pop3_status_indicators_rfc1939_3() {
    let ok = catalog()
        .explain_pop3_status(true)
        .map(|e| e.topic.as_str());
    let err = catalog()
        .explain_pop3_status(false)
        .map(|e| e.topic.as_str());
    assert_eq!((ok, err), (Some("+OK"), Some("-ERR")));
    assert_eq!(entry("+OK").kind, Kind::Pop3Status);
    assert_eq!(entry("pop3 err").topic, "-ERR");
}

#[test]
fn pop3_lines_are_read_as_pop3() {
    let line = |text: &str| topics(&catalog().explain_pop3_line(text));
    assert_eq!(line("S: +OK 2 320"), ["+OK"]);
    assert_eq!(line("+OK"), ["+OK"]);
    assert_eq!(
        line("S: -ERR no such message, only 2 messages in maildrop"),
        ["-ERR"]
    );
    assert_eq!(line("S: ."), ["POP3 multi-line"]);
    assert_eq!(line("C: QUIT"), ["POP3 QUIT"], "in POP3, QUIT is POP3's");
    assert_eq!(line("C: RSET"), ["POP3 RSET"]);
    assert_eq!(line("retr 1\r\n"), ["POP3 RETR"]);
    assert_eq!(line("PASS correct horse battery"), ["POP3 PASS"]);
    assert!(line("1 120").is_empty(), "a listing line needs its command");
    assert!(line("+OKAY").is_empty(), "+OKAY is not +OK (RFC 1939 §3)");
    assert!(line("XYZZY").is_empty());
}

#[test]
fn every_line_a_pop3_server_sends_is_explained() {
    let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
    drop.deliver("bob", "u-one", &b"Subject: one\r\n\r\nHello.\r\n"[..]);
    drop.deliver("bob", "u-two", &b"Subject: two\r\n\r\n.dot\r\n"[..]);
    let input = "CAPA\r\nSTAT\r\nPASS x\r\nUSER bob\r\nPASS wrong\r\nUSER bob\r\nPASS secret\r\n\
                 STAT\r\nLIST\r\nLIST 1\r\nLIST 9\r\nUIDL\r\nUIDL 2\r\nRETR 1\r\nTOP 2 0\r\nDELE 1\r\n\
                 DELE 1\r\nRETR 1\r\nRSET\r\nNOOP\r\nAPOP bob x\r\nSTLS\r\nXYZZY\r\nRETR 0\r\nUSER bob\r\n\
                 CAPA\r\nQUIT\r\n";
    let now = Instant::now();
    let mut server = Pop3Server::new("pop.example.net", now);
    server.handle_input(input.as_bytes(), now, &mut drop);
    let mut out = Vec::new();
    while let Some(chunk) = server.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    let out = String::from_utf8(out).expect("the replies are UTF-8");
    let mut seen = Vec::new();
    for line in out.split("\r\n").filter(|line| !line.is_empty()) {
        let explained = topics(&catalog().explain_pop3_line(line));
        if line.starts_with("+OK") || line.starts_with("-ERR") || line == "." {
            assert_eq!(explained.len(), 1, "{line:?}");
            seen.push(explained[0].clone());
        }
    }
    for topic in ["+OK", "-ERR", "POP3 multi-line"] {
        assert!(seen.iter().any(|t| t == topic), "no {topic} in {out}");
    }
    for command in input
        .split("\r\n")
        .filter(|line| !line.is_empty() && *line != "XYZZY")
    {
        assert!(
            !catalog().explain_pop3_line(command).is_empty(),
            "{command:?} is not explained"
        );
    }
    // Every tag the server lists in answer to CAPA has an entry.
    let capabilities: Vec<&str> = out
        .split("+OK capability list follows\r\n")
        .nth(1)
        .and_then(|rest| rest.split("\r\n.\r\n").next())
        .map(|list| list.split("\r\n").collect())
        .unwrap_or_default();
    assert!(capabilities.contains(&"PIPELINING"), "{out}");
    for capability in capabilities {
        let found = catalog().explain_pop3_capability(capability);
        assert!(found.is_some(), "CAPA tag {capability:?} is not explained");
    }
    assert_eq!(
        catalog()
            .explain_pop3_capability("PIPELINING")
            .map(|e| e.topic.as_str()),
        Some("POP3 PIPELINING"),
        "POP3's PIPELINING, not SMTP's"
    );
}

// ---------------------------------------------------------------------------
// Words that SMTP and POP3 share

/// SMTP's topic, and POP3's entry for the same word.
const SHARED: [(&str, &str); 7] = [
    ("QUIT", "POP3 QUIT"),
    ("NOOP", "POP3 NOOP"),
    ("RSET", "POP3 RSET"),
    ("AUTH", "POP3 AUTH"),
    ("PIPELINING", "POP3 PIPELINING"),
    (".", "POP3 multi-line"),
    ("transaction", "TRANSACTION state"),
];

#[test]
fn a_shared_word_is_smtps_and_points_at_the_pop3_entry() {
    for (word, pop3_topic) in SHARED {
        let smtp = entry(word);
        assert_eq!(smtp.kind.protocol(), Some(Protocol::Smtp), "{word}");
        assert!(
            smtp.see
                .iter()
                .any(|see| catalog().lookup(see).map(|e| e.topic.as_str()) == Some(pop3_topic)),
            "{}: `see` should list {pop3_topic}",
            smtp.topic
        );
        assert_eq!(
            entry(pop3_topic).kind.protocol(),
            Some(Protocol::Pop3),
            "{pop3_topic}"
        );
    }
}

#[test]
fn every_pop3_entry_named_after_an_smtp_word_is_linked_from_it() {
    for pop3_entry in catalog()
        .entries()
        .filter(|e| e.kind.protocol() == Some(Protocol::Pop3))
    {
        let Some(word) = pop3_entry.topic.strip_prefix("POP3 ") else {
            continue;
        };
        let Some(smtp) = catalog()
            .lookup(word)
            .filter(|e| e.kind.protocol() == Some(Protocol::Smtp))
        else {
            continue;
        };
        assert!(
            smtp.see.contains(&pop3_entry.topic),
            "{} shares its word with {}: list it under `see`",
            smtp.topic,
            pop3_entry.topic
        );
    }
}

#[test]
fn a_protocol_name_in_front_picks_the_protocol() {
    let topic = |text: &str| catalog().lookup(text).map(|e| e.topic.clone());
    assert_eq!(topic("QUIT"), Some("QUIT".into()));
    assert_eq!(topic("pop3 quit"), Some("POP3 QUIT".into()));
    assert_eq!(topic("POP  QUIT"), Some("POP3 QUIT".into()));
    assert_eq!(topic("smtp quit"), Some("QUIT".into()));
    assert_eq!(topic("smtp 550"), Some("550".into()));
    assert_eq!(topic("smtp mail from:"), Some("MAIL".into()));
    assert_eq!(topic("pop3 +ok"), Some("+OK".into()));
    assert_eq!(topic("pop3 transaction"), Some("TRANSACTION state".into()));
    assert_eq!(topic("dns mx"), Some("MX".into()));
    assert_eq!(topic("DNS NXDOMAIN"), Some("NXDOMAIN".into()));
    assert_eq!(
        topic("retr"),
        Some("POP3 RETR".into()),
        "no clash: the bare word works"
    );
    assert_eq!(topic("smtp retr"), None, "RETR is not SMTP");
    assert_eq!(topic("dns quit"), None);
    assert_eq!(topic("pop3"), Some("POP3".into()));
}

#[test]
fn explain_command_stays_smtp_and_explain_pop3_command_stays_pop3() {
    let smtp = |verb: &str| catalog().explain_command(verb).map(|e| e.topic.clone());
    let pop3 = |verb: &str| {
        catalog()
            .explain_pop3_command(verb)
            .map(|e| e.topic.clone())
    };
    assert_eq!(smtp("QUIT"), Some("QUIT".into()));
    assert_eq!(pop3("QUIT"), Some("POP3 QUIT".into()));
    assert_eq!(pop3("quit"), Some("POP3 QUIT".into()));
    assert_eq!(pop3("pop3 dele"), Some("POP3 DELE".into()));
    assert_eq!(smtp("RETR"), None);
    assert_eq!(pop3("RCPT"), None);
    assert_eq!(pop3("PIPELINING"), None, "a capability is not a command");
    assert_eq!(pop3(""), None);
}

#[test]
fn session_lines_are_read_by_their_protocol() {
    let line = |protocol, text: &str| topics(&catalog().explain_session_line(protocol, text));
    assert_eq!(line(Protocol::Smtp, "QUIT"), ["QUIT"]);
    assert_eq!(line(Protocol::Pop3, "QUIT"), ["POP3 QUIT"]);
    assert_eq!(
        line(Protocol::Smtp, "S: 550 5.1.1 no such user"),
        ["5.1.1", "550"]
    );
    assert_eq!(line(Protocol::Dns, "NXDOMAIN"), ["NXDOMAIN"]);
    // Without the protocol, lines that can only be POP3 still read as POP3.
    assert_eq!(topics(&catalog().explain_line("S: +OK 2 320")), ["+OK"]);
    assert_eq!(topics(&catalog().explain_line("C: RETR 1")), ["POP3 RETR"]);
    assert_eq!(topics(&catalog().explain_line("QUIT")), ["QUIT"]);
}

// ---------------------------------------------------------------------------
// DNS: every record type and response code the machines use

#[test]
fn every_rcode_the_wire_code_names_has_an_entry_rfc1035_4_1_1() {
    for code in 0..=5 {
        let name = Rcode::from_code(code).to_string();
        let found = catalog().explain_dns_rcode(&name);
        let found = found.unwrap_or_else(|| panic!("no entry for {name}"));
        assert_eq!(found.topic, name);
        assert_eq!(found.kind, Kind::DnsRcode);
        assert!(
            found.rfc.starts_with("RFC 1035 §4.1.1"),
            "{name}: {}",
            found.rfc
        );
        let by_number = catalog().explain_dns_rcode(&code.to_string());
        assert_eq!(by_number.map(|e| e.topic.as_str()), Some(name.as_str()));
        let lower = catalog().explain_dns_rcode(&name.to_lowercase());
        assert_eq!(lower.map(|e| e.topic.as_str()), Some(name.as_str()));
    }
    let nodata = catalog().explain_dns_rcode("nodata");
    assert_eq!(nodata.map(|e| e.rfc.as_str()), Some("RFC 2308 §2.2"));
    // A code without a name of its own falls back to the RCODE field.
    let other = Rcode::Other(9).to_string();
    assert_eq!(
        catalog()
            .explain_dns_rcode(&other)
            .map(|e| e.topic.as_str()),
        Some("RCODE")
    );
    assert!(catalog().explain_dns_rcode("FROBNICATE").is_none());
    assert!(catalog().explain_dns_rcode("99999").is_none());
    assert!(
        catalog().explain_dns_rcode("MX").is_none(),
        "a record type is no rcode"
    );
}

#[test]
fn every_record_type_mailflow_models_has_an_entry() {
    let cases = [
        (QueryType::Mx, "RFC 1035 §3.3.9"),
        (QueryType::A, "RFC 1035 §3.4.1"),
        (QueryType::Aaaa, "RFC 3596 §2"),
        (QueryType::Txt, "RFC 1035 §3.3.14"),
        (QueryType::Cname, "RFC 1035 §3.3.1"),
    ];
    for (qtype, section) in cases {
        let name = qtype.as_str();
        let found = catalog().explain_record_type(name);
        let found = found.unwrap_or_else(|| panic!("no entry for {name}"));
        assert_eq!((found.topic.as_str(), found.kind), (name, Kind::DnsRecord));
        assert!(found.rfc.starts_with(section), "{name}: {}", found.rfc);
        for spelling in [
            qtype.code().to_string(),
            format!("TYPE{}", qtype.code()),
            format!("{name}?"),
        ] {
            let again = catalog()
                .explain_record_type(&spelling)
                .map(|e| e.topic.as_str());
            assert_eq!(again, Some(name), "{spelling}");
        }
    }
    let null_mx = catalog().explain_record_type("null mx");
    assert_eq!(
        null_mx.map(|e| e.rfc.starts_with("RFC 7505 §3")),
        Some(true)
    );
    assert!(catalog().explain_record_type("NS").is_none());
    assert!(catalog().explain_record_type("NXDOMAIN").is_none());
}

#[test]
fn dns_concepts_cite_their_sections() {
    let cases = [
        ("DNS", "RFC 1035 §4.1"),
        ("RCODE", "RFC 1035 §4.1.1"),
        ("AA", "RFC 1035 §4.1.1"),
        ("RD", "RFC 1035 §4.1.1"),
        ("TC", "RFC 1035 §4.1.1"),
        ("TTL", "RFC 1035 §3.2.1"),
        ("implicit MX", "RFC 5321 §5.1"),
        ("MX preference", "RFC 5321 §5.1"),
        ("MX shuffle", "RFC 5321 §5.1"),
        ("DNS retransmission", "RFC 1035 §4.2.1"),
        ("null MX", "RFC 7505 §3"),
        ("NXDOMAIN", "RFC 1035 §4.1.1"),
    ];
    for (topic, section) in cases {
        let found = entry(topic);
        assert_eq!(found.kind.protocol(), Some(Protocol::Dns), "{topic}");
        assert!(found.rfc.starts_with(section), "{topic}: {:?}", found.rfc);
    }
    assert_eq!(entry("equal-preference shuffle").topic, "MX shuffle");
    assert_eq!(entry("A fallback").topic, "implicit MX");
    assert_eq!(entry("authoritative answer").topic, "AA");
}

/// What mailflow's own DNS server answers to `name` `qtype`, as the
/// transcript line the dashboard shows.
fn dns_transcript(name: &str, qtype: QueryType) -> (String, String) {
    let zones = vec![
        Zone::new(
            "example.net",
            vec![
                Record::new(
                    "example.net",
                    300,
                    RecordData::Mx {
                        preference: 10,
                        exchange: "mx.example.net".into(),
                    },
                ),
                Record::new(
                    "mx.example.net",
                    300,
                    RecordData::A("192.0.2.25".parse().unwrap()),
                ),
                Record::new(
                    "www.example.net",
                    300,
                    RecordData::Cname("mx.example.net".into()),
                ),
            ],
        ),
        Zone::new(
            "example.org",
            vec![Record::new(
                "example.org",
                300,
                RecordData::Mx {
                    preference: 0,
                    exchange: ".".into(),
                },
            )],
        ),
    ];
    let query = encode_query(7, name, qtype).expect("a good query");
    let Answer::Reply(reply) = Authority::new(zones).answer(&query, Duration::ZERO) else {
        panic!("no answer for {name} {qtype}");
    };
    let show = |bytes: &[u8]| Summary::decode(bytes).expect("a DNS message").to_string();
    (show(&query), show(&reply))
}

#[test]
fn dns_lines_from_the_real_server_are_explained() {
    let line = |text: &str| topics(&catalog().explain_dns_line(text));
    let (query, found) = dns_transcript("example.net", QueryType::Mx);
    assert_eq!(line(&query), ["MX", "DNS"], "{query}");
    assert_eq!(line(&found), ["NOERROR", "MX"], "{found}");
    let (_, nodata) = dns_transcript("example.net", QueryType::Txt);
    assert_eq!(line(&nodata), ["NODATA", "TXT"], "{nodata}");
    let (_, missing) = dns_transcript("nowhere.example.net", QueryType::Mx);
    assert_eq!(line(&missing), ["NXDOMAIN", "MX"], "{missing}");
    let (_, elsewhere) = dns_transcript("example.com", QueryType::A);
    assert_eq!(line(&elsewhere), ["REFUSED", "A"], "{elsewhere}");
    let (_, null) = dns_transcript("example.org", QueryType::Mx);
    assert_eq!(line(&null), ["NOERROR", "null MX"], "{null}");
    let (_, alias) = dns_transcript("www.example.net", QueryType::A);
    assert_eq!(line(&alias), ["NOERROR", "CNAME", "A"], "{alias}");
    assert_eq!(
        line("response id 9 NOERROR (truncated): example.net. TXT? no records"),
        ["NOERROR", "TXT", "TC"],
        "a cut answer is no proof of NODATA"
    );
    assert_eq!(
        line("response id 9 SERVFAIL: example.net. MX?"),
        ["SERVFAIL", "MX"]
    );
    assert_eq!(
        line("response id 9 RCODE9: example.net. MX?"),
        ["RCODE", "MX"]
    );
    assert_eq!(line("nxdomain"), ["NXDOMAIN"]);
    assert_eq!(line("aaaa"), ["AAAA"]);
    assert_eq!(line("implicit MX"), ["implicit MX"]);
    assert!(line("RCPT").is_empty(), "not DNS");
}

// ---------------------------------------------------------------------------
// The queue, delivery and the message's header fields

#[test]
fn queue_and_header_entries_cite_their_sections() {
    let cases = [
        ("queued", Kind::Delivery, "RFC 5321 §6.1"),
        ("delivery attempt", Kind::Delivery, "RFC 5321 §5.1"),
        ("relayed", Kind::Delivery, "RFC 5321 §6.1"),
        ("delivered", Kind::Delivery, "RFC 5321 §4.4"),
        ("deferred", Kind::Delivery, "RFC 5321 §4.5.4.1"),
        ("retry", Kind::Delivery, "RFC 5321 §4.5.4.1"),
        ("expired", Kind::Delivery, "RFC 5321 §4.5.4.1"),
        ("bounced", Kind::Delivery, "RFC 3464 §2"),
        ("loop detected", Kind::Delivery, "RFC 5321 §6.3"),
        ("greylisting", Kind::Delivery, "RFC 6647"),
        ("backup MX", Kind::Delivery, "RFC 5321 §5.1"),
        ("Received", Kind::Header, "RFC 5321 §4.4"),
        ("Return-Path", Kind::Header, "RFC 5321 §4.4"),
        ("Message-ID", Kind::Header, "RFC 5322 §3.6.4"),
        ("Bcc", Kind::Header, "RFC 5322 §3.6.3"),
        ("envelope", Kind::Concept, "RFC 5321 §3.3"),
        ("null reverse-path", Kind::Concept, "RFC 5321 §4.5.5"),
    ];
    for (topic, kind, section) in cases {
        let found = entry(topic);
        assert_eq!(found.kind, kind, "{topic}");
        assert!(found.rfc.starts_with(section), "{topic}: {:?}", found.rfc);
    }
    for (alias, topic) in [
        ("bounce", "bounced"),
        // A DSN is the report; "DSN" alone is the EHLO keyword of the
        // extension (catalog audit §1 #16), which has its own entry.
        ("DSN message", "bounced"),
        ("queue", "queued"),
        ("relay_domains", "backup MX"),
        ("max_age", "expired"),
        ("Return-Path:", "Return-Path"),
        ("envelope vs header", "envelope"),
    ] {
        assert_eq!(entry(alias).topic, topic, "{alias}");
    }
}

#[test]
fn every_fact_a_node_reports_is_explained() {
    // The trace's event kinds, as serialised (snake_case), and as written in Rust.
    for (kind, topic) in [
        ("queued", "queued"),
        ("attempting", "delivery attempt"),
        ("relayed", "relayed"),
        ("delivered", "delivered"),
        ("deferred", "deferred"),
        ("bounced", "bounced"),
        ("expired", "expired"),
        ("loop_detected", "loop detected"),
        ("LoopDetected", "loop detected"),
        ("resolved", "DNS"),
        ("retrieved", "POP3 RETR"),
    ] {
        let found = catalog().explain_event(kind).map(|e| e.topic.as_str());
        assert_eq!(found, Some(topic), "{kind}");
    }
    assert!(catalog().explain_event("wake").is_none());
}

// ---------------------------------------------------------------------------
// Kinds, groups and suggestions across protocols

#[test]
fn every_kind_has_entries_and_a_heading_of_its_own() {
    let mut headings = Vec::new();
    for kind in Kind::ALL {
        assert!(
            catalog().entries().any(|e| e.kind == kind),
            "no {kind:?} entry"
        );
        assert!(!headings.contains(&kind.plural()), "{kind:?}");
        headings.push(kind.plural());
        if let Some(protocol) = kind.protocol() {
            assert!(Protocol::EXPLAINED.contains(&protocol));
        }
    }
    assert_eq!(Protocol::parse("POP"), Some(Protocol::Pop3));
    assert_eq!(Protocol::parse("mail"), None);
}

#[test]
fn suggestions_reach_the_new_topics() {
    let first = |text: &str| catalog().suggest(text).first().copied();
    assert!(catalog().suggest("RETT").contains(&"POP3 RETR"));
    assert_eq!(first("NXDOMIAN"), Some("NXDOMAIN"));
    assert_eq!(first("dns nxdomian"), Some("NXDOMAIN"));
    assert_eq!(first("pop3 qiut"), Some("POP3 QUIT"));
    assert_eq!(first("smtp qiut"), Some("QUIT"));
    assert_eq!(first("defered"), Some("deferred"));
    assert_eq!(first("greylsting"), Some("greylisting"));
    assert_eq!(first("SERVFIAL"), Some("SERVFAIL"));
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

#[test]
fn an_empty_seen_or_short_is_rejected() {
    for field in ["seen", "short"] {
        let text = one_entry(&format!("{GOOD_FIELDS}\n        {field}: \" \","));
        let error = Catalog::from_ron(&text).err();
        assert!(
            matches!(&error, Some(CatalogError::EmptyField { field: f, .. }) if *f == field),
            "{field}: {error:?}"
        );
    }
}

#[test]
fn seen_gets_its_own_heading_and_short_stays_out_of_the_full_text() {
    let text = one_entry(&format!(
        "{GOOD_FIELDS}\n        seen: \"Postfix: `550 5.1.1 nope`\",\n        short: \"No mailbox.\","
    ));
    let catalog = Catalog::from_ron(&text).unwrap_or_else(|e| panic!("{e}"));
    let entry = catalog.lookup("550").unwrap_or_else(|| panic!("550 loads"));
    let rendered = render_text(entry);
    assert!(
        rendered.contains("Seen in real logs\n  Postfix: `550 5.1.1 nope`\n"),
        "{rendered}"
    );
    assert!(!rendered.contains("No mailbox."), "{rendered}");
    assert_eq!(entry.short_meaning(), "No mailbox.");
}

// ---------------------------------------------------------------------------
// The catalog audit: statements fixed, topics added, the pane's short form

#[test]
fn short_meaning_is_short_or_the_whole_meaning() {
    let mut shorts = 0;
    for entry in catalog().entries() {
        let meaning_words = entry.meaning.split_whitespace().count();
        match &entry.short {
            Some(short) => {
                shorts += 1;
                let words = short.split_whitespace().count();
                assert!(words <= 25, "{}: short has {words} words", entry.topic);
                assert!(
                    words < meaning_words,
                    "{}: short is not shorter",
                    entry.topic
                );
                assert_eq!(entry.short_meaning(), short);
            }
            None => {
                assert!(
                    meaning_words <= 40,
                    "{}: a meaning of {meaning_words} words needs a `short`",
                    entry.topic
                );
                assert_eq!(entry.short_meaning(), entry.meaning);
            }
        }
    }
    assert!(shorts > 20, "{shorts}");
}

#[test]
fn vrfy_switched_off_is_252_rfc5321_3_5_3_and_7_3() {
    let vrfy = entry("VRFY");
    assert!(vrfy.next.contains("MUST answer 252"), "{}", vrfy.next);
    assert!(vrfy.rfc.contains("§7.3"), "{}", vrfy.rfc);
    // 551 refuses and names the address to try; only 251 forwards (§3.4).
    assert!(!vrfy.next.contains("251 or 551"), "{}", vrfy.next);
    assert!(
        vrfy.next.contains("551 when it would refuse"),
        "{}",
        vrfy.next
    );
    let not_offered = entry("502");
    assert!(
        not_offered.meaning.contains("252"),
        "{}",
        not_offered.meaning
    );
    assert!(!not_offered.meaning.contains("VRFY switched off,"));
    assert!(
        entry("VRFY")
            .seen
            .as_deref()
            .is_some_and(|s| s.contains("502 5.5.1"))
    );
}

#[test]
fn nxdomain_from_a_recursive_resolver_has_no_aa_rfc1035_4_1_1() {
    let nxdomain = entry("NXDOMAIN");
    assert!(
        nxdomain.meaning.contains("recursive resolver"),
        "{}",
        nxdomain.meaning
    );
    assert!(
        nxdomain.meaning.contains("AA clear"),
        "{}",
        nxdomain.meaning
    );
    assert!(!nxdomain.meaning.contains("Only an authority may say so"));
    assert!(
        !entry("AA")
            .when
            .contains("only counts when it comes from an authority")
    );
}

#[test]
fn postfix_554_at_rcpt_is_named_rfc5321_3_6_2() {
    for topic in ["554", "5.7.1"] {
        let found = entry(topic);
        assert!(
            found.when.contains("RCPT") && found.when.contains("Postfix"),
            "{topic}"
        );
        assert!(
            found
                .seen
                .as_deref()
                .is_some_and(|s| s.contains("554 5.7.1")),
            "{topic}"
        );
    }
}

#[test]
fn rset_with_arguments_is_501_rfc5321_4_3_2() {
    let rset = entry("RSET");
    assert!(!rset.next.starts_with("Always 250"), "{}", rset.next);
    assert!(rset.next.contains("SHOULD answer 501"), "{}", rset.next);
}

#[test]
fn should_is_not_written_as_must_rfc5321_4_2_1_and_4_5_5() {
    assert!(entry("5yz").next.contains("SHOULD NOT repeat"));
    assert!(entry("null reverse-path").next.contains("SHOULD NOT reply"));
    assert!(!entry("SERVFAIL").next.contains("must never bounce"));
    assert!(entry("POP3 PASS").meaning.contains("may take spaces"));
}

#[test]
fn smaller_audit_points_are_fixed() {
    assert!(entry("553").meaning.contains("SMTPUTF8 server"));
    assert!(entry("expired").next.contains("actually met"));
    assert!(entry("Bcc").next.contains("at most one recipient"));
    assert!(entry("null MX").next.contains("bounce with status 5.1.10"));
    assert!(!entry("DNS retransmission").title.contains("new id"));
    assert!(entry("timeouts").meaning.contains("should wait at least"));
    assert!(
        entry("limits")
            .meaning
            .contains("counting the angle brackets")
    );
    assert!(entry("530").when.contains("STARTTLS"));
    assert!(!entry("2.6.0").title.contains("usually"));
    assert!(entry("220").rfc.contains("§4.5.3.2.1"));
}

#[test]
fn dsn_opens_the_extension_and_the_bounce_is_its_own_entry_rfc3461_3() {
    let dsn = entry("DSN");
    assert_eq!(dsn.kind, Kind::Extension);
    assert!(dsn.rfc.starts_with("RFC 3461"), "{}", dsn.rfc);
    assert_eq!(entry("250-DSN").topic, "DSN");
    // Each parameter has its own entry, which points back at DSN.
    for (parameter, topic) in [
        ("NOTIFY=NEVER", "NOTIFY"),
        ("ORCPT", "ORCPT"),
        ("RET=HDRS", "RET"),
        ("ENVID", "ENVID"),
    ] {
        assert_eq!(entry(parameter).topic, topic, "{parameter}");
        assert!(
            entry(parameter).see.iter().any(|s| s == "DSN"),
            "{parameter}"
        );
        assert!(
            entry(parameter).rfc.starts_with("RFC 3461 §4"),
            "{parameter}"
        );
    }
    assert_eq!(topics(&catalog().explain_line("250-DSN")), ["DSN", "250"]);
    assert_eq!(entry("delivery status notification").topic, "bounced");
    for field in [
        "Action: delayed",
        "Reporting-MTA",
        "Remote-MTA",
        "Diagnostic-Code",
        "Final-Recipient",
        "Original-Recipient",
    ] {
        assert!(entry(field).rfc.starts_with("RFC 3464 §2"), "{field}");
    }
}

#[test]
fn new_topics_cite_their_rfcs() {
    let cases = [
        ("CHUNKING", "RFC 3030 §2"),
        ("BDAT", "RFC 3030 §2"),
        ("BINARYMIME", "RFC 3030 §3"),
        ("SPF", "RFC 7208"),
        ("DKIM", "RFC 6376"),
        ("DMARC", "RFC 7489"),
        ("Authentication-Results", "RFC 8601"),
        ("5.7.20", "RFC 7372 §3.1"),
        ("5.7.23", "RFC 7372 §3.2"),
        ("4.7.25", "RFC 7372 §3.3"),
        ("5.7.26", "RFC 7372 §3.4"),
        ("PTR", "RFC 1035 §3.3.12"),
        ("4.2.0", "RFC 3463 §3.3"),
        ("DNSBL", "RFC 5782"),
        ("IMAP", "RFC 9051"),
        ("ports", "RFC 5321 §4.5.4.2"),
        ("MSA", "RFC 5598"),
        ("vendor codes", "RFC 3463 §2"),
        ("5.1.8", "RFC 3463 §3.2"),
        ("5.1.0", "RFC 3463 §3.2"),
        ("4.1.1", "RFC 3463 §3.2"),
        ("no valid recipients", "RFC 5321 §3.3"),
        ("one copy per mailbox", "RFC 5321 §2.3.11"),
        ("connection refused", "RFC 9293"),
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
fn greylisting_lists_postgreys_4_2_0_rfc3463_3_3() {
    assert!(entry("greylisting").meaning.contains("450 4.2.0"));
    assert!(entry("greylisting").see.iter().any(|see| see == "4.2.0"));
    assert_eq!(
        topics(&catalog().explain_reply(450, Some("4.2.0"))),
        ["4.2.0", "450"]
    );
}

#[test]
fn vendor_detail_codes_are_explained_not_left_to_their_subject_rfc3463_2() {
    for (code, enhanced) in [
        (550, "5.4.1"),
        (530, "5.7.57"),
        (550, "5.7.606"),
        (550, "5.7.649"),
        (421, "4.7.28"),
    ] {
        let found = catalog().explain_reply(code, Some(enhanced));
        assert_eq!(found[0].kind, Kind::Enhanced, "{enhanced}");
        assert!(
            found[0].see.iter().any(|see| see == "vendor codes"),
            "{enhanced}"
        );
    }
}

#[test]
fn refused_data_after_refused_rcpts_is_expected_rfc2920_3_1() {
    let entry = entry("no valid recipients");
    assert!(entry.rfc.contains("RFC 2920 §3.1"), "{}", entry.rfc);
    assert!(entry.meaning.contains("503") && entry.meaning.contains("554"));
    assert!(entry.meaning.contains("not a client error"));
    assert!(entry.next.contains("must not send the message"));
}

#[test]
fn a_local_bounce_is_filed_without_a_session_rfc5321_4_5_5() {
    let bounced = entry("bounced");
    assert!(bounced.next.contains("MAIL FROM:<>"), "{}", bounced.next);
    assert!(bounced.next.contains("Return-Path: <>"), "{}", bounced.next);
    assert!(
        bounced.next.contains("no SMTP session carries it"),
        "{}",
        bounced.next
    );
}

#[test]
fn one_copy_per_mailbox_is_explained_rfc5321_2_4() {
    let found = entry("duplicate RCPT");
    assert_eq!(found.topic, "one copy per mailbox");
    assert!(found.meaning.contains("Postfix and Sendmail"));
    assert!(
        entry("delivered")
            .see
            .iter()
            .any(|see| see == "one copy per mailbox")
    );
}

#[test]
fn common_codes_show_a_real_log_line_with_its_vendor() {
    let vendors = ["Postfix", "Gmail", "Microsoft 365", "Dovecot", "postgrey"];
    for topic in [
        "220",
        "250",
        "354",
        "421",
        "450",
        "451",
        "452",
        "501",
        "502",
        "503",
        "530",
        "535",
        "550",
        "552",
        "554",
        "4.2.0",
        "4.4.1",
        "5.1.1",
        "5.7.1",
        "5.7.25",
        "5.7.26",
        "4.7.28",
        "deferred",
        "bounced",
        "delivered",
        "greylisting",
        "DNSBL",
        "-ERR",
    ] {
        let seen = entry(topic).seen.as_deref().unwrap_or_default();
        assert!(
            vendors.iter().any(|vendor| seen.contains(vendor)),
            "{topic}: {seen:?}"
        );
    }
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

#[test]
fn binary_explains_pop3_retr() {
    let output = mailflow(&["explain", "pop3", "retr"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("POP3 RETR — Download one message"),
        "{stdout}"
    );
    assert!(stdout.contains("POP3 command · RFC 1939 §5"), "{stdout}");
    assert_eq!(stdout.matches(" — ").count(), 1, "one entry: {stdout}");
}

#[test]
fn binary_explains_nxdomain() {
    let output = mailflow(&["explain", "nxdomain"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("NXDOMAIN — The name does not exist"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DNS response code · RFC 1035 §4.1.1"),
        "{stdout}"
    );
}

#[test]
fn binary_explains_mx_as_a_dns_record_type() {
    let output = mailflow(&["explain", "MX"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("MX — MX records"), "{stdout}");
    assert!(
        stdout.contains("DNS record type · RFC 1035 §3.3.9"),
        "{stdout}"
    );
    assert!(stdout.contains("RFC 5321 §5.1"), "{stdout}");
}

#[test]
fn binary_explains_quit_as_smtp_and_points_at_pop3() {
    let quit = mailflow(&["explain", "QUIT"]);
    assert!(quit.status.success(), "{quit:?}");
    let stdout = String::from_utf8_lossy(&quit.stdout);
    assert!(stdout.starts_with("QUIT — "), "{stdout}");
    assert!(
        stdout.contains("SMTP command · RFC 5321 §4.1.1.10"),
        "{stdout}"
    );
    assert!(stdout.contains("mailflow explain pop3 quit"), "{stdout}");
    assert!(stdout.contains("POP3 QUIT"), "{stdout}");
    assert_eq!(mailflow(&["explain", "smtp", "quit"]).stdout, quit.stdout);

    let pop3 = mailflow(&["explain", "pop3", "quit"]);
    let stdout = String::from_utf8_lossy(&pop3.stdout);
    assert!(stdout.starts_with("POP3 QUIT — "), "{stdout}");
    assert!(stdout.contains("UPDATE"), "{stdout}");
}

#[test]
fn binary_suggests_pop3_topics() {
    let output = mailflow(&["explain", "RETT"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Did you mean POP3 RETR"), "{stderr}");
}

#[test]
fn binary_explains_dsn_as_the_extension_rfc3461_3() {
    let output = mailflow(&["explain", "DSN"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("DSN — "), "{stdout}");
    assert!(stdout.contains("SMTP extension · RFC 3461"), "{stdout}");
    assert!(stdout.contains("Seen in real logs"), "{stdout}");
}

#[test]
fn binary_reaches_every_new_topic() {
    for words in [
        &["BDAT"][..],
        &["chunking"],
        &["spf"],
        &["dkim"],
        &["dmarc"],
        &["authentication-results"],
        &["ptr"],
        &["reverse", "dns"],
        &["dnsbl"],
        &["imap"],
        &["ports"],
        &["port", "465"],
        &["mua"],
        &["smarthost"],
        &["vendor", "codes"],
        &["no", "valid", "recipients"],
        &["one", "copy", "per", "mailbox"],
        &["connect"],
        &["connection", "refused"],
        &["unreachable"],
        &["no", "route"],
        &["close"],
        &["composed"],
        &["dequeued"],
        &["removed"],
        &["retry"],
        &["4.2.0"],
        &["5.7.26"],
        &["Action:", "delayed"],
    ] {
        let mut args = vec!["explain"];
        args.extend_from_slice(words);
        let output = mailflow(&args);
        assert!(output.status.success(), "{words:?}: {output:?}");
        assert!(!output.stdout.is_empty(), "{words:?}");
    }
}

#[test]
fn binary_list_groups_by_protocol_and_fits_80_columns() {
    let output = mailflow(&["explain", "--list"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let at = |heading: &str| {
        stdout
            .lines()
            .position(|line| line == heading)
            .unwrap_or_else(|| panic!("no heading {heading:?} in {stdout}"))
    };
    let order = [
        "SMTP commands",
        "SMTP concepts",
        "POP3 commands",
        "POP3 status indicators",
        "DNS record types",
        "DNS response codes",
        "Header fields of the message",
        "Queue and delivery",
    ]
    .map(at);
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
    let line_of = |topic: &str| {
        stdout
            .lines()
            .position(|line| line.split("  ").nth(1) == Some(topic))
            .unwrap_or_else(|| panic!("{topic} not listed"))
    };
    assert!((order[2]..order[3]).contains(&line_of("POP3 RETR")));
    assert!((order[4]..order[5]).contains(&line_of("MX")));
    assert!(order[7] < line_of("deferred"));
    for line in stdout.lines() {
        assert!(line.chars().count() <= 80, "{line:?} is too long");
    }
}
