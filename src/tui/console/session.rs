//! Where the student's session stands, read from its transcript lines
//! (the trace's own, as the observer classified them): greeted, said
//! hello, logged in, a sender given, recipients accepted, in the message
//! data, closed. The hint line and Tab completion follow from it, and the
//! last refusal is explained from the catalog.

use std::collections::BTreeMap;

use crate::explain::Catalog;
use crate::trace::Protocol;
use crate::trace::transcript::{Line, LineKind};

/// What the session has got so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub pop3: bool,
    pub greeted: bool,
    /// EHLO (or HELO) was answered 250.
    pub hello: bool,
    /// The EHLO keywords offered: `AUTH PLAIN`, `PIPELINING`, ...
    pub extensions: Vec<String>,
    /// AUTH answered 235 (SMTP), PASS answered +OK (POP3).
    pub logged_in: bool,
    /// POP3: USER answered +OK.
    pub user: bool,
    /// MAIL answered 250.
    pub mail: bool,
    /// RCPTs answered 250 or 251 in this transaction.
    pub rcpts: usize,
    /// DATA answered 354, its lone dot not sent yet: lines are the letter.
    pub data: bool,
    /// Messages the server took (250 after the dot).
    pub sent: usize,
    /// A command sent and not answered yet.
    pub waiting: bool,
    /// QUIT answered (221, +OK).
    pub quit: bool,
    /// The lone dot went: the next answer to DATA is the message's.
    pub dot: bool,
    /// AUTH was answered 334: the next line is the base64 answer.
    pub sasl: bool,
}

/// Reads a session's lines in order.
pub fn progress(lines: &[&Line]) -> Progress {
    let mut p = Progress {
        pop3: lines.first().is_some_and(|l| l.protocol == Protocol::Pop3),
        ..Progress::default()
    };
    // Exchange → the command that opened it (upper-case verb).
    let mut asked: BTreeMap<u32, String> = BTreeMap::new();
    let mut keywords = Vec::new();
    for line in lines {
        match line.kind {
            LineKind::Command => {
                let verb = verb(&line.text);
                if let Some(x) = line.exchange {
                    asked.insert(x, verb.clone());
                }
                if verb == "DATA" || !p.data {
                    p.waiting = true;
                }
            }
            LineKind::SaslResponse => p.waiting = true,
            LineKind::Data if line.text == "." && !p.pop3 => {
                p.data = false;
                p.dot = true;
                p.waiting = true;
            }
            LineKind::Data | LineKind::Chunk => {}
            LineKind::Reply { code } => {
                let verb = line
                    .exchange
                    .and_then(|x| asked.get(&x))
                    .map_or("", String::as_str);
                let last = p.pop3 || line.text.as_bytes().get(3) != Some(&b'-');
                if !last {
                    // 250-PIPELINING: a keyword of the EHLO answer.
                    if line.exchange.is_some_and(|x| x > 0) && verb == "EHLO" {
                        keywords.push(line.text.get(4..).unwrap_or_default().to_owned());
                    }
                    continue;
                }
                p.waiting = false;
                p.sasl = false;
                if p.pop3 {
                    pop3_reply(&mut p, verb, line.text.starts_with("+OK"));
                } else {
                    let code = code.unwrap_or(0);
                    if verb == "EHLO" && code == 250 {
                        keywords.push(line.text.get(4..).unwrap_or_default().to_owned());
                        // The first line names the server, not a keyword.
                        keywords.remove(0);
                        p.extensions = std::mem::take(&mut keywords);
                    }
                    smtp_reply(&mut p, line.exchange == Some(0), verb, code);
                }
            }
        }
    }
    p
}

fn verb(text: &str) -> String {
    text.split([' ', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

fn smtp_reply(p: &mut Progress, greeting: bool, verb: &str, code: u16) {
    let ok = (200..300).contains(&code);
    if greeting {
        p.greeted = code == 220;
        return;
    }
    if p.dot {
        // The answer to the message's lone dot (an exchange of its own):
        // taken or not, the transaction is over (RFC 5321 §4.1.1.4).
        p.dot = false;
        if ok {
            p.sent += 1;
        }
        p.mail = false;
        p.rcpts = 0;
        return;
    }
    match (verb, code) {
        ("EHLO" | "HELO", 250) => {
            p.hello = true;
            p.mail = false;
            p.rcpts = 0;
        }
        ("AUTH", 235) => p.logged_in = true,
        ("AUTH", 334) => p.sasl = true,
        ("MAIL", 250) => {
            p.mail = true;
            p.rcpts = 0;
        }
        ("RCPT", 250 | 251) => p.rcpts += 1,
        ("DATA", 354) => p.data = true,
        ("RSET", 250) => {
            p.mail = false;
            p.rcpts = 0;
        }
        ("QUIT", 221) => p.quit = true,
        _ => {}
    }
    if code == 421 {
        p.quit = true;
    }
}

fn pop3_reply(p: &mut Progress, verb: &str, ok: bool) {
    match verb {
        "" => p.greeted = ok,
        "USER" => p.user = ok,
        "PASS" | "APOP" => p.logged_in = ok,
        "QUIT" => p.quit = true,
        _ => {}
    }
}

/// What the console knows about the played host, for hints and Tab.
#[derive(Debug, Clone, Default)]
pub struct Who {
    /// The played host's name, for EHLO.
    pub hostname: String,
    /// Its mail account (a client) and the password it keeps.
    pub account: Option<(String, String)>,
}

/// The next sensible commands, most likely first: full lines where the
/// console can write them (`EHLO laptop.example.org`), else a start.
pub fn next_commands(p: &Progress, who: &Who, port: u16) -> Vec<String> {
    if p.quit {
        return Vec::new();
    }
    if p.pop3 {
        return match (p.greeted, p.user, p.logged_in) {
            (false, _, _) => Vec::new(),
            (true, false, false) => {
                let user = who.account.as_ref().map_or("", |(a, _)| a.as_str());
                vec![format!("USER {user}"), "CAPA".into(), "QUIT".into()]
            }
            (true, true, false) => {
                let password = who.account.as_ref().map_or("", |(_, p)| p.as_str());
                vec![format!("PASS {password}"), "QUIT".into()]
            }
            _ => ["STAT", "LIST", "RETR 1", "DELE 1", "QUIT"]
                .map(str::to_owned)
                .to_vec(),
        };
    }
    if !p.greeted {
        return Vec::new();
    }
    if p.data {
        return vec![".".into()];
    }
    if p.sasl {
        // RFC 4954 §4: the server's 334 asks for the initial response.
        return vec![who.account.as_ref().map_or_else(
            || "(base64 of NUL user NUL password)".to_owned(),
            |(a, pw)| crate::smtp::client::plain_response(a, pw),
        )];
    }
    let from = who
        .account
        .as_ref()
        .map_or("MAIL FROM:<".to_owned(), |(a, _)| {
            format!("MAIL FROM:<{a}>")
        });
    if !p.hello {
        return vec![
            format!("EHLO {}", who.hostname),
            format!("HELO {}", who.hostname),
        ];
    }
    let offers_auth = p
        .extensions
        .iter()
        .any(|e| e.to_ascii_uppercase().starts_with("AUTH"));
    let mut out = Vec::new();
    if !p.mail {
        if offers_auth && !p.logged_in && (port == 587 || who.account.is_some()) {
            out.push("AUTH PLAIN ".into());
        }
        out.push(from);
        out.push("QUIT".into());
    } else if p.rcpts == 0 {
        out.extend(["RCPT TO:<".into(), "RSET".into()]);
    } else {
        out.extend(["DATA".into(), "RCPT TO:<".into(), "RSET".into()]);
    }
    out
}

/// "Why was that refused?": the most specific catalog entry for an error
/// reply, as (title, what to try instead).
pub fn why_refused(line: &Line, catalog: &Catalog) -> Option<(String, String)> {
    let refused = match line.kind {
        LineKind::Reply { code: Some(code) } => code >= 400,
        LineKind::Reply { code: None } => line.text.starts_with("-ERR"),
        _ => false,
    };
    if !refused || line.text.as_bytes().get(3) == Some(&b'-') {
        return None;
    }
    let entries = catalog.explain_transcript_line(line);
    let first = entries.first()?;
    // The reply code's own entry says what a client does next; an
    // enhanced code's, what it means for the address.
    let next = entries
        .iter()
        .map(|e| e.next.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    Some((
        format!("{} ({})", first.title, first.topic),
        next.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ConnId, Dir, SimTime};

    fn line(dir: Dir, kind: LineKind, exchange: u32, text: &str) -> Line {
        Line {
            seq: 0,
            conn: ConnId(0),
            at: SimTime::ZERO,
            dir,
            kind,
            protocol: Protocol::Submission,
            exchange: Some(exchange),
            text: text.into(),
            sealed: false,
        }
    }

    fn c(x: u32, text: &str) -> Line {
        line(Dir::Up, LineKind::Command, x, text)
    }

    fn s(x: u32, code: u16, text: &str) -> Line {
        line(Dir::Down, LineKind::Reply { code: Some(code) }, x, text)
    }

    fn who() -> Who {
        Who {
            hostname: "laptop.example.org".into(),
            account: Some(("alice@example.org".into(), "alice".into())),
        }
    }

    #[test]
    fn a_session_is_read_step_by_step_with_hints_for_each() {
        let mut lines = vec![s(0, 220, "220 smtp.example.org ESMTP")];
        let at = |lines: &[Line]| {
            let refs: Vec<&Line> = lines.iter().collect();
            progress(&refs)
        };
        assert_eq!(
            next_commands(&at(&lines), &who(), 587)[0],
            "EHLO laptop.example.org"
        );
        lines.extend([
            c(1, "EHLO laptop.example.org"),
            s(1, 250, "250-smtp.example.org"),
            s(1, 250, "250-AUTH PLAIN"),
            s(1, 250, "250 PIPELINING"),
        ]);
        let p = at(&lines);
        assert!(p.hello && !p.waiting);
        assert_eq!(p.extensions, ["AUTH PLAIN", "PIPELINING"]);
        assert_eq!(next_commands(&p, &who(), 587)[0], "AUTH PLAIN ");
        lines.extend([
            c(2, "AUTH PLAIN AGFsaWNl"),
            s(2, 235, "235 2.7.0 ok"),
            c(3, "MAIL FROM:<alice@example.org>"),
        ]);
        assert!(at(&lines).waiting);
        lines.push(s(3, 250, "250 2.1.0 ok"));
        assert_eq!(next_commands(&at(&lines), &who(), 587)[0], "RCPT TO:<");
        lines.extend([c(4, "RCPT TO:<bob@example.net>"), s(4, 250, "250 ok")]);
        assert_eq!(next_commands(&at(&lines), &who(), 587)[0], "DATA");
        lines.extend([c(5, "DATA"), s(5, 354, "354 go ahead")]);
        assert!(at(&lines).data);
        lines.extend([
            line(Dir::Up, LineKind::Data, 5, "Subject: x"),
            line(Dir::Up, LineKind::Data, 5, "."),
            s(6, 250, "250 2.0.0 queued"),
        ]);
        let p = at(&lines);
        assert!(!p.data && !p.mail && p.sent == 1, "{p:?}");
        assert_eq!(
            next_commands(&p, &who(), 587),
            ["MAIL FROM:<alice@example.org>", "QUIT"]
        );
        lines.extend([c(7, "QUIT"), s(7, 221, "221 bye")]);
        assert!(next_commands(&at(&lines), &who(), 587).is_empty());
    }

    #[test]
    fn a_refused_recipient_is_explained_from_the_catalog() {
        let catalog = Catalog::builtin();
        let refused = s(
            4,
            550,
            "550 5.1.1 Mailbox <bobb@example.net> does not exist here",
        );
        let (title, next) = why_refused(&refused, catalog).expect("550 is explained");
        assert!(title.contains("5.1.1"), "{title}");
        assert!(next.contains("spelling"), "{next}");
        assert_eq!(why_refused(&s(4, 250, "250 ok"), catalog), None);
        // Only the last line of a multi-line refusal.
        assert_eq!(why_refused(&s(4, 550, "550-first"), catalog), None);
    }
}
