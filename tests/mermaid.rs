//! `--format mermaid` and the handout's "The trip": for every bundled
//! scenario the diagram passes a strict check written from the part of
//! Mermaid's sequence grammar we rely on, and it shows every SMTP/POP3
//! command and reply line as an arrow, in order.
//!
//! The grammar (Mermaid's `sequenceDiagram.jison`): a statement ends at a
//! newline or `;`; `#` to the end of the line and `%%` are comments, except
//! entity codes `#name;` / `#123;`, which Mermaid swaps out before lexing;
//! message and note text is what follows the first `:`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use mailflow::export;
use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::trace::index::Index;
use mailflow::trace::transcript::LineKind;
use mailflow::trace::{
    ConnId, Dir, EventKind, HostId, HostInfo, Payload, Protocol, Role, SimTime, Trace,
};

/// One statement of a checked diagram.
#[derive(Debug, Clone, PartialEq)]
enum Statement {
    Arrow {
        from: String,
        reply: bool,
        to: String,
        /// Entity codes decoded: the text a reader sees.
        text: String,
    },
    Note {
        over: Vec<String>,
        text: String,
    },
}

/// A diagram read back: participants (alias → label) and statements.
#[derive(Debug)]
struct Diagram {
    participants: Vec<(String, String)>,
    statements: Vec<Statement>,
}

impl Diagram {
    fn alias_of(&self, host: &str) -> &str {
        let label = |l: &str| l.split(" (").next() == Some(host);
        self.participants
            .iter()
            .find(|(_, l)| label(l))
            .map(|(a, _)| a.as_str())
            .unwrap_or_else(|| panic!("no participant for {host}"))
    }

    fn arrows(&self) -> impl Iterator<Item = (&str, bool, &str, &str)> {
        self.statements.iter().filter_map(|s| match s {
            Statement::Arrow {
                from,
                reply,
                to,
                text,
            } => Some((from.as_str(), *reply, to.as_str(), text.as_str())),
            Statement::Note { .. } => None,
        })
    }
}

#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "sequencediagram", "participant", "actor", "create", "destroy", "as", "box", "loop", "rect",
    "opt", "alt", "else", "par", "par_over", "and", "critical", "option", "break", "end", "left",
    "right", "of", "over", "note", "links", "link", "properties", "details", "activate",
    "deactivate", "title", "autonumber", "off", "acctitle", "accdescr",
];

fn is_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&id.to_ascii_lowercase().as_str())
}

/// Checks a text Mermaid takes whole and returns it decoded: not empty,
/// no `;` (a statement end), no `#` but in an entity code, no `%%`, no
/// `<`/`>` (HTML to the renderer), no line breaks.
fn text(raw: &str, line: &str) -> String {
    let raw = raw.trim();
    assert!(!raw.is_empty(), "empty text: {line:?}");
    for bad in [";", "%%", "<", ">", "\n", "\r"] {
        // `;` may close an entity code; those are cut out below first.
        if bad != ";" {
            assert!(!raw.contains(bad), "raw {bad:?} in {line:?}");
        }
    }
    let lower = raw.to_ascii_lowercase();
    assert!(
        !lower.starts_with("wrap:") && !lower.starts_with("nowrap:"),
        "a directive by accident: {line:?}"
    );
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find(['#', ';']) {
        out.push_str(&rest[..i]);
        assert!(rest[i..].starts_with('#'), "raw ';' in {line:?}");
        let end = rest[i..]
            .find(';')
            .unwrap_or_else(|| panic!("raw '#' in {line:?}"));
        let code = &rest[i + 1..i + end];
        let decoded = match code {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            n if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                char::from_u32(n.parse().unwrap()).unwrap()
            }
            _ => panic!("raw '#' or unknown entity #{code}; in {line:?}"),
        };
        out.push(decoded);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The strict check: every line is one of the statements below, ids are
/// declared before use, blocks balance.
fn check(diagram: &str) -> Diagram {
    let mut lines = diagram.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"), "first line");
    let mut d = Diagram {
        participants: Vec::new(),
        statements: Vec::new(),
    };
    let mut blocks: Vec<&str> = Vec::new();
    let declared = |d: &Diagram, id: &str, line: &str| {
        assert!(
            d.participants.iter().any(|(a, _)| a == id),
            "undeclared {id:?}: {line:?}"
        );
    };
    for (n, line) in lines.enumerate() {
        let t = line.trim();
        assert!(!t.is_empty(), "blank line {n}");
        if let Some(title) = t.strip_prefix("title ") {
            assert!(n == 0, "title after the first statement: {line:?}");
            text(title, line);
        } else if let Some(rest) = t.strip_prefix("participant ") {
            assert!(d.statements.is_empty(), "participant after use: {line:?}");
            let (id, label) = rest.split_once(" as ").expect("participant ID as label");
            assert!(is_id(id), "bad id {id:?}");
            assert!(d.participants.iter().all(|(a, _)| a != id), "{id} twice");
            d.participants.push((id.to_owned(), text(label, line)));
        } else if let Some(rest) = t.strip_prefix("Note ") {
            let (place, body) = rest.split_once(':').expect("Note ...: text");
            let over: Vec<String> = if let Some(ids) = place.strip_prefix("over ") {
                ids.split(',').map(str::to_owned).collect()
            } else if let Some(id) = place
                .strip_prefix("left of ")
                .or_else(|| place.strip_prefix("right of "))
            {
                vec![id.to_owned()]
            } else {
                panic!("Note placement: {line:?}")
            };
            assert!((1..=2).contains(&over.len()), "{line:?}");
            for id in &over {
                declared(&d, id, line);
            }
            d.statements.push(Statement::Note {
                over,
                text: text(body, line),
            });
        } else if let Some(kind) = ["rect", "alt", "else", "end"]
            .into_iter()
            .find(|k| t == *k || t.starts_with(&format!("{k} ")))
        {
            match kind {
                "end" => assert!(blocks.pop().is_some(), "end without a block: {n}"),
                "else" => assert_eq!(blocks.last(), Some(&"alt"), "else outside alt"),
                k => blocks.push(k),
            }
        } else {
            let (head, body) = t.split_once(':').expect("an arrow A->>B: text");
            let (from, reply, to) = if let Some((a, b)) = head.split_once("-->>") {
                (a, true, b)
            } else if let Some((a, b)) = head.split_once("->>") {
                (a, false, b)
            } else {
                panic!("not a statement we write: {line:?}")
            };
            declared(&d, from, line);
            declared(&d, to, line);
            d.statements.push(Statement::Arrow {
                from: from.to_owned(),
                reply,
                to: to.to_owned(),
                text: text(body, line),
            });
        }
    }
    assert!(blocks.is_empty(), "unclosed {blocks:?}");
    d
}

fn run(name: &str) -> (Trace, String) {
    let plan = scenario::load(name).expect("bundled scenarios load").plan;
    let trace = sim::run(&plan).trace;
    let diagram = export::mermaid::render(&trace, &plan.title);
    (trace, diagram)
}

#[test]
fn every_bundled_diagram_is_well_formed() {
    for name in bundled::names() {
        let (_, diagram) = run(name);
        let d = std::panic::catch_unwind(|| check(&diagram))
            .unwrap_or_else(|_| panic!("{name}:\n{diagram}"));
        assert!(d.participants.len() >= 2, "{name}: who talks?");
        assert!(d.arrows().count() > 10, "{name}: few arrows");
    }
}

/// The diagram leaves nothing of the conversation out: each command and
/// reply line, between the right two hosts, pointing the right way.
#[test]
fn every_command_and_reply_line_is_an_arrow_in_order() {
    for name in bundled::names() {
        let (trace, diagram) = run(name);
        let d = check(&diagram);
        let index = Index::build(&trace);
        let mut arrows = d.arrows();
        let mut count = 0;
        for line in &index.lines {
            // Message data and BDAT chunks are one arrow per run.
            if matches!(line.kind, LineKind::Data | LineKind::Chunk)
                || !matches!(
                    line.protocol,
                    Protocol::Smtp | Protocol::Submission | Protocol::Pop3
                )
            {
                continue;
            }
            let session = index.session(line.conn).expect("a session per line");
            let client = d.alias_of(trace.name(session.connection.from));
            let server = d.alias_of(trace.name(session.connection.to));
            let want = match line.dir {
                Dir::Up => (client, false, server, line.text.as_str()),
                Dir::Down => (server, true, client, line.text.as_str()),
            };
            assert!(
                arrows.any(|a| a == want),
                "{name}: no arrow {want:?} after the previous line, in order"
            );
            count += 1;
        }
        assert!(count > 10, "{name}: only {count} lines");
    }
}

/// Message data is one arrow that counts its lines, never a line each.
#[test]
fn message_data_is_one_arrow_not_one_per_line() {
    let (trace, diagram) = run("hello");
    let d = check(&diagram);
    let index = Index::build(&trace);
    let submission = &index.sessions[0];
    let data: Vec<&str> = submission
        .lines
        .iter()
        .map(|&i| &index.lines[i])
        .filter(|l| l.kind == LineKind::Data)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(data.last(), Some(&"."), "the submission ends its data");
    let want = format!("message data, {} lines", data.len() - 1);
    let (laptop, smtp) = (
        d.alias_of("laptop.example.org"),
        d.alias_of("smtp.example.org"),
    );
    assert!(
        d.arrows()
            .any(|(f, r, t, text)| (f, r, t) == (laptop, false, smtp) && text.starts_with(&want)),
        "{want:?} from the laptop:\n{diagram}"
    );
    for (_, _, _, text) in d.arrows() {
        assert!(
            !["Hi Bob,", "Alice", "MIME-Version: 1.0"].contains(&text),
            "a data line drawn as an arrow: {text:?}"
        );
    }
}

/// Finds the statements in this order, each after the one before.
fn in_order(d: &Diagram, name: &str, wants: &[&dyn Fn(&Statement) -> bool]) {
    let mut rest = d.statements.iter();
    for (k, want) in wants.iter().enumerate() {
        assert!(rest.any(want), "{name}: step {k} missing or out of order");
    }
}

#[test]
fn greylisting_shows_the_450_the_deferral_and_the_retry_gap() {
    let (_, diagram) = run("greylisting");
    let d = check(&diagram);
    let (smtp, mx) = (d.alias_of("smtp.example.org"), d.alias_of("mx.example.net"));
    assert_eq!(
        (smtp, mx),
        ("smtp", "mx"),
        "short ids from the trace's names"
    );
    let reply = |code: &str, s: &Statement| {
        matches!(s, Statement::Arrow { from, reply: true, to, text }
            if from == mx && to == smtp && text.starts_with(code))
    };
    in_order(
        &d,
        "greylisting",
        &[
            &|s: &Statement| reply("450 4.7.1", s),
            &|s: &Statement| {
                matches!(s, Statement::Note { over, text }
                    if *over == [smtp] && text.starts_with("deferred") && text.contains("retry at +6m"))
            },
            &|s: &Statement| matches!(s, Statement::Note { text, .. } if text == "⏩ 6 minutes later"),
            &|s: &Statement| reply("250 2.1.5", s),
            &|s: &Statement| reply("250 2.6.0", s),
        ],
    );
}

#[test]
fn unknown_user_shows_the_550_and_the_bounce() {
    let (_, diagram) = run("unknown-user");
    let d = check(&diagram);
    let (smtp, mx) = (d.alias_of("smtp.example.org"), d.alias_of("mx.example.net"));
    in_order(
        &d,
        "unknown-user",
        &[
            &|s: &Statement| {
                matches!(s, Statement::Arrow { from, reply: true, to, text }
                    if from == mx && to == smtp && text.starts_with("550 5.1.1"))
            },
            &|s: &Statement| {
                matches!(s, Statement::Note { over, text }
                    if *over == [smtp] && text.starts_with("bounced") && text.contains("550 5.1.1"))
            },
        ],
    );
}

/// DNS shows what was asked and answered, not ids and TTLs.
#[test]
fn dns_is_a_decoded_question_and_answer() {
    let (_, diagram) = run("hello");
    let d = check(&diagram);
    let (smtp, ns) = (d.alias_of("smtp.example.org"), d.alias_of("ns.example.org"));
    let arrows: Vec<_> = d.arrows().collect();
    let ask = arrows
        .iter()
        .position(|&a| a == (smtp, false, ns, "MX? example.net"))
        .expect("the MX question");
    assert!(arrows[ask..].contains(&(ns, true, smtp, "10 mx.example.net")));
}

/// Text from the wire that means something to Mermaid is written as
/// entity codes, and reads back as it was sent.
#[test]
fn hostile_text_is_escaped_and_reads_back() {
    let host = |name: &str, role| HostInfo {
        name: name.to_owned(),
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        role,
        down: Vec::new(),
        label: None,
    };
    let mut trace = Trace::new(vec![
        host("end.example", Role::Client),
        host("9mx.example", Role::Mta),
    ]);
    let (a, b) = (HostId(0), HostId(1));
    let conn = ConnId(0);
    let t = SimTime::ZERO;
    trace.push(
        t,
        EventKind::Connect {
            conn,
            from: a,
            to: b,
            port: 25,
            protocol: Protocol::Smtp,
            real: None,
        },
    );
    let bytes = |dir, text: &str| EventKind::Bytes {
        conn,
        dir,
        arrives: t,
        data: Payload::new(text.as_bytes()),
        sealed: None,
    };
    let nasty = "NOOP a;b #1 100%% <x> & end";
    trace.push(t, bytes(Dir::Down, "220 ready; #go\r\n"));
    trace.push(t, bytes(Dir::Up, &format!("{nasty}\r\n")));
    trace.push(t, bytes(Dir::Down, "250 2.0.0 ok <;>\r\n"));
    let diagram = export::mermaid::render(&trace, "a;b # c");
    let d = check(&diagram);
    let texts: Vec<&str> = d.arrows().map(|a| a.3).collect();
    assert_eq!(texts, ["220 ready; #go", nasty, "250 2.0.0 ok <;>"]);
    assert!(d.participants.iter().all(|(id, _)| is_id(id)), "{diagram}");
}

/// The handout shows the same diagram near the top, in a fence GitHub draws.
#[test]
fn the_handout_embeds_the_trip() {
    for name in ["hello", "greylisting"] {
        let plan = scenario::load(name).expect("bundled").plan;
        let trace = sim::run(&plan).trace;
        let page = export::markdown::render(&plan.title, &plan.about, &trace, "");
        let trip = page
            .find("## The trip\n\n```mermaid\n")
            .expect("the section");
        assert!(trip < page.find("## Hosts").expect("hosts"), "near the top");
        let body = &page[trip + "## The trip\n\n```mermaid\n".len()..];
        let fence = body.find("```").expect("closed fence");
        let diagram = &body[..fence];
        check(diagram);
        assert_eq!(diagram, export::mermaid::render(&trace, ""));
    }
}

/// One alias per host, whatever the names.
#[test]
fn aliases_are_unique_even_when_first_labels_clash() {
    let (_, diagram) = run("pipelining");
    let d = check(&diagram);
    let ids: BTreeMap<&str, &str> = d
        .participants
        .iter()
        .map(|(a, l)| (a.as_str(), l.as_str()))
        .collect();
    assert_eq!(ids.len(), d.participants.len());
    assert!(
        ids.values()
            .any(|l| l.starts_with("smtp.example.org (MTA)"))
    );
    assert!(
        ids.values()
            .any(|l| l.starts_with("smtp.example.com (MTA)"))
    );
}

/// The check itself refuses what Mermaid would misread.
#[test]
fn the_checker_refuses_what_mermaid_would_misread() {
    let head = "sequenceDiagram\n    participant a as A\n    participant b as B\n";
    for bad in [
        "    a->>b: one; two",    // `;` ends the statement
        "    a->>b: take #1",     // `#` starts a comment
        "    a->>b: 100%% sure",  // so does `%%`
        "    a->>b: <CR><LF>",    // HTML to the renderer
        "    a->>b: ",            // no text
        "    a->>c: who?",        // undeclared
        "    a->b: open arrow",   // not an arrow we write
        "    Note over a,b,a: x", // a note spans at most two
        "    rect rgb(0,0,0)",    // never closed
        "    end",                // closes nothing
    ] {
        let diagram = format!("{head}{bad}\n");
        let refused = std::panic::catch_unwind(|| check(&diagram)).is_err();
        assert!(refused, "accepted {bad:?}");
    }
    assert!(
        std::panic::catch_unwind(|| check("sequenceDiagram\n    participant end as E\n")).is_err()
    );
    let good = format!("{head}    rect rgb(0,0,0)\n    a->>b: one#59; #35;1 #lt;x#gt;\n    end\n");
    let d = check(&good);
    assert_eq!(d.arrows().next().map(|a| a.3), Some("one; #1 <x>"));
}
