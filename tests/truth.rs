//! What the transcript says each line is agrees with what the machines did,
//! in every bundled scenario: the data it shows is the message the server
//! stored, every reply answers a command (never a line it shows as data),
//! and every body a POP3 client retrieved is the one it shows after RETR.
//!
//! The oracles are the machines' own records in the trace: the content of
//! each `Delivered` event (what the MTA stored), the queue id in the reply
//! to the final dot, and the SMTP client's own reply parser.

use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::smtp::ReplyParser;
use mailflow::trace::index::{Index, Session};
use mailflow::trace::transcript::{Line, LineKind};
use mailflow::trace::{Dir, EventKind, Protocol, Trace};

fn runs() -> Vec<(&'static str, Trace)> {
    bundled::names()
        .into_iter()
        .map(|name| {
            let plan = scenario::load(name).expect("bundled scenarios load").plan;
            (name, sim::run(&plan).trace)
        })
        .collect()
}

fn lines<'a>(index: &'a Index, session: &Session) -> Vec<&'a Line> {
    session.lines.iter().map(|&i| &index.lines[i]).collect()
}

/// Message data as it was meant: dot-stuffing undone (RFC 5321 §4.5.2),
/// each line ended by CRLF.
fn unstuffed<'a>(data: impl Iterator<Item = &'a &'a Line>) -> String {
    data.map(|l| format!("{}\r\n", l.text.strip_prefix('.').unwrap_or(&l.text)))
        .collect()
}

#[test]
fn stored_messages_are_the_data_the_transcript_shows_rfc5321_4_1_1_4() {
    let mut checked = 0;
    for (name, trace) in runs() {
        let index = Index::build(&trace);
        for event in trace.events() {
            let EventKind::Delivered {
                host,
                queue_id,
                rest,
            } = &event.kind
            else {
                continue;
            };
            let content = &*rest.content.as_bytes();
            // The session that brought the message to this host, if any
            // (a bounce filed locally came over none).
            let conn = trace.events().iter().find_map(|e| match &e.kind {
                EventKind::Queued {
                    host: h,
                    queue_id: q,
                    rest,
                } if h == host && q == queue_id => rest.conn,
                _ => None,
            });
            let Some(session) = conn.and_then(|c| index.session(c)) else {
                continue;
            };
            let lines = lines(&index, session);
            // The server names its queue id in the reply to the final dot.
            let reply = lines
                .iter()
                .find(|l| l.dir == Dir::Down && l.text.ends_with(&format!(" {queue_id}")))
                .unwrap_or_else(|| panic!("{name}: no reply names {queue_id}"));
            let dot = lines
                .iter()
                .position(|l| l.dir == Dir::Up && l.exchange == reply.exchange)
                .unwrap_or_else(|| panic!("{name}: the reply for {queue_id} answers no line"));
            if lines[dot].kind == LineKind::Command {
                check_chunks(name, queue_id, &lines, dot, content);
                checked += 1;
                continue;
            }
            assert_eq!(
                (lines[dot].kind, lines[dot].text.as_str()),
                (LineKind::Data, "."),
                "{name}: the reply that accepted {queue_id} answers the final dot"
            );
            let first = lines[..dot]
                .iter()
                .rposition(|l| l.dir == Dir::Up && l.kind != LineKind::Data)
                .map_or(0, |i| i + 1);
            let data = unstuffed(lines[first..dot].iter().filter(|l| l.dir == Dir::Up));
            let stored = String::from_utf8_lossy(content);
            assert!(
                stored.ends_with(&data),
                "{name}: {queue_id} was stored as\n{stored}\nbut the transcript shows the data\n{data}"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} stored messages were checked");
}

fn is_bdat(line: &Line) -> bool {
    line.kind == LineKind::Command && line.text.to_ascii_uppercase().starts_with("BDAT ")
}

/// A message that came in BDAT chunks (RFC 3030 §2): the reply that took
/// it answers `BDAT n LAST` (line `last`). The chunks' sizes add up to the
/// stored message's tail, and their lines show its octets (split at line
/// ends, which a line does not show).
fn check_chunks(name: &str, queue_id: &str, lines: &[&Line], last: usize, stored: &[u8]) {
    assert!(
        is_bdat(lines[last]) && lines[last].text.to_ascii_uppercase().ends_with(" LAST"),
        "{name}: the reply that accepted {queue_id} answers {:?}, not a final dot or BDAT LAST",
        lines[last].text
    );
    let end = last
        + 1
        + lines[last + 1..]
            .iter()
            .take_while(|l| l.kind == LineKind::Chunk)
            .count();
    let first = lines[..last]
        .iter()
        .rposition(|l| l.dir == Dir::Up && l.kind != LineKind::Chunk && !is_bdat(l))
        .map_or(0, |i| i + 1);
    let chunks = &lines[first..end];
    let size: usize = chunks
        .iter()
        .filter(|l| is_bdat(l))
        .filter_map(|l| l.text.split(' ').nth(1)?.parse::<usize>().ok())
        .sum();
    let shown: String = chunks
        .iter()
        .filter(|l| l.kind == LineKind::Chunk)
        .map(|l| l.text.as_str())
        .collect();
    let tail = &stored[stored.len().saturating_sub(size)..];
    let visible: Vec<u8> = tail
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    assert!(
        size > 0 && size <= stored.len(),
        "{name}: {queue_id}: {size} octets announced"
    );
    assert_eq!(
        String::from_utf8_lossy(&visible).replace(['\r', '\n'], ""),
        shown.replace(['\r', '\n'], ""),
        "{name}: {queue_id}: the chunks shown are not the octets stored"
    );
}

#[test]
fn every_reply_answers_a_command_never_a_data_line_rfc2920_3_2() {
    for (name, trace) in runs() {
        let index = Index::build(&trace);
        for session in &index.sessions {
            let smtp = matches!(
                session.connection.protocol,
                Protocol::Smtp | Protocol::Submission
            );
            if !smtp && session.connection.protocol != Protocol::Pop3 {
                continue;
            }
            let conn = session.connection.conn.0;
            let lines = lines(&index, session);
            for reply in lines.iter().filter(|l| l.dir == Dir::Down) {
                let Some(exchange) = reply.exchange else {
                    panic!("{name} [{conn}]: {:?} answers nothing", reply.text);
                };
                if exchange == 0 || reply.kind == LineKind::Data {
                    continue;
                }
                // The line that opened the exchange (DATA's own data
                // lines share its number, after it).
                let asked = lines
                    .iter()
                    .find(|l| l.dir == Dir::Up && l.exchange == Some(exchange))
                    .unwrap_or_else(|| panic!("{name} [{conn}]: {:?} answers no line", reply.text));
                let answerable = match asked.kind {
                    LineKind::Command | LineKind::SaslResponse => true,
                    LineKind::Data => asked.text == ".",
                    LineKind::Reply { .. } | LineKind::Chunk => false,
                };
                assert!(
                    answerable,
                    "{name} [{conn}]: {:?} answers {:?}, which is shown as data",
                    reply.text, asked.text
                );
            }
            // Every command the client sent was answered, but for plaintext
            // sent behind a STARTTLS the server took with 220: thrown away
            // unread (RFC 3207 §4.2, CVE-2011-0411). And the SMTP client's
            // own parser finds exactly one reply per exchange.
            let tls_from = lines
                .iter()
                .filter(|l| l.dir == Dir::Up && l.text.eq_ignore_ascii_case("STARTTLS"))
                .filter(|s| {
                    lines.iter().any(|r| {
                        r.dir == Dir::Down && r.exchange == s.exchange && r.text.starts_with("220")
                    })
                })
                .find_map(|s| s.exchange);
            let discarded = |l: &&&Line| {
                !l.sealed && tls_from.is_some_and(|from| l.exchange.is_some_and(|e| e > from))
            };
            for command in lines
                .iter()
                .filter(|l| l.kind == LineKind::Command && !discarded(l))
            {
                assert!(
                    lines
                        .iter()
                        .any(|l| l.dir == Dir::Down && l.exchange == command.exchange),
                    "{name} [{conn}]: {:?} got no reply",
                    command.text
                );
            }
            if smtp {
                let mut parser = ReplyParser::new();
                for event in trace.events() {
                    if let EventKind::Bytes {
                        conn: c,
                        dir: Dir::Down,
                        data,
                        ..
                    } = &event.kind
                        && *c == session.connection.conn
                    {
                        parser.push(data.as_bytes());
                    }
                }
                let parsed = std::iter::from_fn(|| parser.next_reply()).count();
                let mut exchanges: Vec<u32> = lines
                    .iter()
                    .filter(|l| l.dir == Dir::Down)
                    .filter_map(|l| l.exchange)
                    .collect();
                exchanges.dedup();
                assert_eq!(
                    parsed,
                    exchanges.len(),
                    "{name} [{conn}]: replies parsed vs exchanges answered"
                );
            }
        }
    }
}

#[test]
fn retrieved_bodies_are_the_stored_messages_rfc1939_7() {
    let mut checked = 0;
    for (name, trace) in runs() {
        let index = Index::build(&trace);
        let bodies: Vec<String> = index
            .sessions
            .iter()
            .filter(|s| s.connection.protocol == Protocol::Pop3)
            .flat_map(|s| {
                let lines = lines(&index, s);
                let retrs: Vec<Option<u32>> = lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Command && l.text.starts_with("RETR"))
                    .map(|l| l.exchange)
                    .collect();
                retrs
                    .into_iter()
                    .map(|exchange| {
                        let body = lines.iter().filter(|l| {
                            l.exchange == exchange && l.kind == LineKind::Data && l.text != "."
                        });
                        unstuffed(body)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for event in trace.events() {
            let EventKind::Retrieved { rest, .. } = &event.kind else {
                continue;
            };
            let uid = &rest.uid;
            let stored = trace.events().iter().find_map(|e| match &e.kind {
                EventKind::Delivered { rest, .. } if &rest.uid == uid => {
                    Some(String::from_utf8_lossy(&rest.content.as_bytes()).into_owned())
                }
                _ => None,
            });
            let stored = stored.unwrap_or_else(|| panic!("{name}: {uid} was never stored"));
            assert!(
                bodies.contains(&stored),
                "{name}: {uid} was retrieved, but no RETR body in the transcript is it"
            );
            checked += 1;
        }
    }
    assert!(checked > 3, "only {checked} retrievals were checked");
}
