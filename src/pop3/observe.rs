//! The POP3 observer: fed both directions of a session in the order the
//! bytes crossed the wire, it says what each line is (command, status
//! line, multi-line body, SASL response) and which command each status line
//! answers, deciding as the server did.
//!
//! A multi-line body follows only a `+OK` to a command that has one (RETR,
//! TOP, CAPA, LIST and UIDL without an argument: RFC 1939 §3, RFC 2449 §5),
//! and ends at the lone dot. Pipelined commands (RFC 2449 §6.6) are answered
//! in order, so each status line answers the oldest unanswered command.

use std::collections::VecDeque;

use super::command::Command;
use super::response::Response;
use crate::session::grammar::{Exchange, LineKind, Lines, Observed, Side};

/// A command (or the connection) waiting for its status line.
#[derive(Debug, Clone, Copy)]
struct Awaiting {
    exchange: Exchange,
    /// A `+OK` to it is followed by a multi-line body.
    multiline: bool,
    /// AUTH: a `+ ` continuation asks the client for a SASL response.
    auth: bool,
}

/// Classifies the lines of one POP3 session; `T` tags each line with where
/// it came from.
#[derive(Debug)]
pub struct Observer {
    client_lines: Lines,
    server_lines: Lines,
    awaiting: VecDeque<Awaiting>,
    /// Inside the multi-line body answering this exchange.
    body: Option<Exchange>,
    /// The next client line answers a `+ ` challenge of this exchange.
    sasl: Option<Exchange>,
    next_exchange: Exchange,
}

impl Default for Observer {
    fn default() -> Self {
        Observer::new()
    }
}

impl Observer {
    pub fn new() -> Observer {
        Observer {
            client_lines: Lines::default(),
            server_lines: Lines::default(),
            // The greeting answers the connection.
            awaiting: VecDeque::from([Awaiting {
                exchange: 0,
                multiline: false,
                auth: false,
            }]),
            body: None,
            sasl: None,
            next_exchange: 1,
        }
    }

    /// Bytes the client sent; the lines they complete.
    pub fn client<T: Clone>(&mut self, tag: T, bytes: &[u8]) -> Vec<Observed<T>> {
        let mut completed = Vec::new();
        self.client_lines.push(bytes, |line| completed.push(line));
        completed
            .into_iter()
            .map(|text| {
                let (kind, exchange) = match self.sasl.take() {
                    Some(exchange) => {
                        self.awaiting.push_back(Awaiting {
                            exchange,
                            multiline: false,
                            auth: true,
                        });
                        (LineKind::SaslResponse, exchange)
                    }
                    None => (LineKind::Command, self.open(&text)),
                };
                Observed {
                    tag: tag.clone(),
                    side: Side::Client,
                    kind,
                    exchange: Some(exchange),
                    text,
                }
            })
            .collect()
    }

    /// Bytes the server sent; the lines they complete.
    pub fn server<T: Clone>(&mut self, tag: T, bytes: &[u8]) -> Vec<Observed<T>> {
        let mut completed = Vec::new();
        self.server_lines.push(bytes, |line| completed.push(line));
        completed
            .into_iter()
            .map(|text| {
                let (kind, exchange) = match self.body {
                    Some(exchange) => {
                        if text == b"." {
                            self.body = None;
                        }
                        (LineKind::Data, Some(exchange))
                    }
                    None => (LineKind::Reply { code: None }, self.status(&text)),
                };
                Observed {
                    tag: tag.clone(),
                    side: Side::Server,
                    kind,
                    exchange,
                    text,
                }
            })
            .collect()
    }

    /// A status line (or an AUTH challenge): it answers the oldest command.
    fn status(&mut self, text: &[u8]) -> Option<Exchange> {
        let answered = self.awaiting.pop_front()?;
        let challenge = text == b"+" || text.starts_with(b"+ ");
        if answered.auth && challenge {
            self.sasl = Some(answered.exchange);
        } else if answered.multiline && Response::parse(text).is_ok_and(|r| r.is_ok()) {
            self.body = Some(answered.exchange);
        }
        Some(answered.exchange)
    }

    fn open(&mut self, line: &[u8]) -> Exchange {
        let exchange = self.next_exchange;
        self.next_exchange += 1;
        let verb = line.split(|&b| b == b' ').next().unwrap_or_default();
        self.awaiting.push_back(Awaiting {
            exchange,
            multiline: Command::parse(line).is_ok_and(|c| c.is_multiline()),
            auth: verb.eq_ignore_ascii_case(b"AUTH"),
        });
        exchange
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Side::{Client as C, Server as S};

    fn observe(chunks: &[(Side, &str)]) -> Vec<(String, Option<Exchange>)> {
        let mut observer = Observer::new();
        let mut out = Vec::new();
        for (side, bytes) in chunks {
            out.extend(match side {
                Side::Client => observer.client((), bytes.as_bytes()),
                Side::Server => observer.server((), bytes.as_bytes()),
            });
        }
        out.into_iter()
            .map(|line| {
                let mark = match line.kind {
                    LineKind::Command => "C",
                    LineKind::SaslResponse => "A",
                    LineKind::Reply { .. } => "S",
                    LineKind::Data => "D",
                    // POP3 has no BDAT: never seen here.
                    LineKind::Chunk => "K",
                };
                (
                    format!("{mark}: {}", String::from_utf8_lossy(&line.text)),
                    line.exchange,
                )
            })
            .collect()
    }

    #[test]
    fn a_body_follows_only_ok_to_a_multiline_command_rfc1939_3() {
        let lines = observe(&[
            (S, "+OK ready\r\n"),
            (C, "RETR 9\r\n"),
            (S, "-ERR no such message\r\n"),
            (C, "LIST 1\r\n"),
            (S, "+OK 1 120\r\n"),
            (C, "RETR 1\r\n"),
            (S, "+OK 120 octets\r\nSubject: hi\r\n\r\n..dots\r\n.\r\n"),
            (C, "QUIT\r\n"),
            (S, "+OK bye\r\n"),
        ]);
        let marks: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            marks,
            [
                "S: +OK ready",
                "C: RETR 9",
                "S: -ERR no such message",
                "C: LIST 1",
                "S: +OK 1 120",
                "C: RETR 1",
                "S: +OK 120 octets",
                "D: Subject: hi",
                "D: ",
                "D: ..dots",
                "D: .",
                "C: QUIT",
                "S: +OK bye",
            ]
        );
    }

    #[test]
    fn pipelined_commands_are_answered_in_order_rfc2449_6_6() {
        // mpop pipelines its RETRs: each +OK opens the body of its own RETR.
        let lines = observe(&[
            (S, "+OK ready\r\n"),
            (C, "RETR 1\r\nRETR 2\r\nDELE 1\r\n"),
            (S, "+OK\r\none\r\n.\r\n-ERR no 2\r\n+OK deleted\r\n"),
        ]);
        let kinds: Vec<&str> = lines[4..].iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            kinds,
            ["S: +OK", "D: one", "D: .", "S: -ERR no 2", "S: +OK deleted"]
        );
        assert_eq!(lines[1].1, lines[4].1);
        assert_eq!(lines[2].1, lines[7].1);
        assert_eq!(lines[3].1, lines[8].1);
    }

    #[test]
    fn auth_challenge_makes_the_next_line_a_sasl_response_rfc5034_4() {
        let lines = observe(&[
            (S, "+OK ready\r\n"),
            (C, "AUTH PLAIN\r\n"),
            (S, "+ \r\n"),
            (C, "AGJvYgBib2I=\r\n"),
            (S, "+OK logged in\r\n"),
            (C, "STAT\r\n"),
        ]);
        assert_eq!(lines[3].0, "A: AGJvYgBib2I=");
        assert_eq!(lines[3].1, lines[4].1);
        assert_eq!(lines[5].0, "C: STAT");
    }
}
