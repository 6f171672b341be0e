//! The SMTP observer: fed both directions of a session in the order the
//! bytes crossed the wire, it says what each line is (command, reply, SASL
//! response, message data) and which command each reply answers, deciding
//! as the server did.
//!
//! The client's lines are commands until a reply says otherwise:
//!
//! * `DATA` answered `354` turns what follows into message data, up to the
//!   one true end of data, `CRLF.CRLF` (RFC 5321 §4.1.1.4), found by the
//!   server's own [`DataReceiver`]. `DATA` answered 503 or 554 leaves the
//!   client in commands: its next `QUIT` is a command, never data.
//! * `AUTH` answered `334` makes the client's next line a SASL response
//!   (RFC 4954 §4), which the server answers in turn.
//! * `BDAT <size>`, where the last EHLO reply listed CHUNKING, is followed
//!   by exactly `size` octets of message (RFC 3030 §2): counted, never
//!   scanned, whatever the reply to it; they share the BDAT's exchange.
//!   Where CHUNKING was not offered, what follows BDAT is commands, as the
//!   server reads it. So EHLO and HELO wait for their reply too.
//!
//! A client that sends more lines before such a reply has come (RFC 2920
//! §3.1 forbids it, but the wire allows it) gets those lines held until the
//! reply decides them; they keep the tag they arrived with.
//!
//! Replies are matched to commands in order (RFC 2920 §3.2: a server
//! answers pipelined commands in the order it received them); the greeting
//! answers the connection itself, exchange 0.

use std::collections::VecDeque;

use crate::session::grammar::{Exchange, LineKind, Lines, Observed, Side};
use crate::session::stuffing::DataReceiver;
use crate::smtp::command::Command;

/// What a positive reply to a command changes in the client's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Nothing, whatever the reply.
    Stays,
    /// DATA: 354 makes what follows message data.
    Data,
    /// AUTH: 334 makes the next line a SASL response.
    Auth,
    /// STARTTLS: after 220 the server throws away the commands pipelined
    /// behind it unread (RFC 3207 §4.2, CVE-2011-0411): they get no reply.
    StartTls,
    /// EHLO and HELO: the reply says whether CHUNKING is on (RFC 3030).
    Hello,
}

impl Turn {
    /// The turn of a command line, by its verb alone: the reply decides
    /// whether it happens, so `DATA x` (answered 501) needs no parsing here.
    fn of(line: &[u8]) -> Turn {
        let verb = line.split(|&b| b == b' ').next().unwrap_or_default();
        if verb.eq_ignore_ascii_case(b"DATA") {
            Turn::Data
        } else if verb.eq_ignore_ascii_case(b"AUTH") {
            Turn::Auth
        } else if verb.eq_ignore_ascii_case(b"STARTTLS") {
            Turn::StartTls
        } else if verb.eq_ignore_ascii_case(b"EHLO") || verb.eq_ignore_ascii_case(b"HELO") {
            Turn::Hello
        } else {
            Turn::Stays
        }
    }
}

/// A command (or the connection, or an end of data) waiting for its reply.
#[derive(Debug, Clone, Copy)]
struct Awaiting {
    exchange: Exchange,
    turn: Turn,
}

/// What the client's next bytes are.
#[derive(Debug)]
enum Client {
    Commands,
    /// Message data of exchange `.0`, until `CRLF.CRLF`.
    Data(Exchange, Box<DataReceiver>),
    /// The answer to a 334 challenge of exchange `.0`.
    SaslResponse(Exchange),
    /// A BDAT chunk of exchange `.0` with `.1` octets still to come.
    Chunk(Exchange, u64),
}

/// Classifies the lines of one SMTP session; `T` tags each line with where
/// it came from (a trace event, say).
#[derive(Debug)]
pub struct Observer<T> {
    client: Client,
    client_lines: Lines,
    server_lines: Lines,
    awaiting: VecDeque<Awaiting>,
    /// Client bytes that wait for the reply to a DATA or AUTH.
    held: VecDeque<(T, Vec<u8>)>,
    /// Bytes held so far, bounded like a line.
    held_len: usize,
    next_exchange: Exchange,
    /// The last EHLO reply listed CHUNKING: BDAT lines carry chunks.
    chunking: bool,
    /// The reply being read lists CHUNKING.
    reply_lists_chunking: bool,
}

/// Most client bytes held back for a reply that has not come: past this
/// they are decided as commands, which is what a server that never answers
/// would make of them.
const MAX_HELD: usize = 64 * 1024;

impl<T: Clone> Default for Observer<T> {
    fn default() -> Self {
        Observer::new()
    }
}

impl<T: Clone> Observer<T> {
    pub fn new() -> Observer<T> {
        Observer {
            client: Client::Commands,
            client_lines: Lines::default(),
            server_lines: Lines::default(),
            // The greeting answers the connection.
            awaiting: VecDeque::from([Awaiting {
                exchange: 0,
                turn: Turn::Stays,
            }]),
            held: VecDeque::new(),
            held_len: 0,
            next_exchange: 1,
            chunking: false,
            reply_lists_chunking: false,
        }
    }

    /// Bytes the client sent; the lines they complete, in order.
    pub fn client(&mut self, tag: T, bytes: &[u8]) -> Vec<Observed<T>> {
        let mut out = Vec::new();
        self.client_into(tag, bytes, &mut out);
        out
    }

    /// As [`Observer::client`], appending to `out`: a caller fed every
    /// event of a live server (the headless transcript) keeps one vector.
    pub fn client_into(&mut self, tag: T, bytes: &[u8], out: &mut Vec<Observed<T>>) {
        self.client_bytes(&tag, bytes, out);
    }

    /// Bytes the server sent; the lines they complete. Client lines held
    /// for one of these replies come first: they were sent earlier.
    pub fn server(&mut self, tag: T, bytes: &[u8]) -> Vec<Observed<T>> {
        let mut out = Vec::new();
        self.server_into(tag, bytes, &mut out);
        out
    }

    /// As [`Observer::server`], appending to `out`.
    pub fn server_into(&mut self, tag: T, bytes: &[u8], out: &mut Vec<Observed<T>>) {
        let start = out.len();
        // Held client lines are rare (a client that pipelines past a DATA,
        // AUTH or EHLO): this stays empty, and unallocated, otherwise.
        let mut released = Vec::new();
        // Each line is decided as it completes; the splitter is taken out
        // for that so that deciding may change the rest of `self`.
        let mut lines = std::mem::take(&mut self.server_lines);
        lines.push(bytes, |text| self.reply(&tag, text, out, &mut released));
        self.server_lines = lines;
        if !released.is_empty() {
            out.splice(start..start, released);
        }
    }

    /// One complete reply line: out it goes, and if it ends its reply, the
    /// exchange it answers is done (lines it releases go to `released`).
    fn reply(
        &mut self,
        tag: &T,
        text: Vec<u8>,
        out: &mut Vec<Observed<T>>,
        released: &mut Vec<Observed<T>>,
    ) {
        let (code, last) = reply_line(&text);
        self.reply_lists_chunking |= text
            .get(4..)
            .is_some_and(|k| k.eq_ignore_ascii_case(b"CHUNKING"));
        let exchange = self
            .awaiting
            .front()
            .map(|a| a.exchange)
            .or(match self.client {
                // A reply in the middle of the data (a 421 as the server
                // gives up, say) belongs to it.
                Client::Data(exchange, _) => Some(exchange),
                _ => None,
            });
        out.push(Observed {
            tag: tag.clone(),
            side: Side::Server,
            kind: LineKind::Reply { code },
            exchange,
            text,
        });
        if last {
            let lists_chunking = std::mem::take(&mut self.reply_lists_chunking);
            if let Some(answered) = self.awaiting.pop_front() {
                if answered.turn == Turn::Hello {
                    self.chunking = lists_chunking && code == Some(250);
                }
                self.answered(answered, code, released);
            }
        }
    }

    /// The connection closed: client bytes still held were never answered,
    /// so the server never read them as anything but commands.
    pub fn close(&mut self) -> Vec<Observed<T>> {
        let mut out = Vec::new();
        self.release_as_commands(&mut out);
        out
    }

    /// A reply completed the exchange `answered`: apply its turn.
    fn answered(&mut self, answered: Awaiting, code: Option<u16>, out: &mut Vec<Observed<T>>) {
        match (answered.turn, code) {
            (Turn::Data, Some(354)) => {
                // The receiver keeps nothing: it only finds the end.
                self.client = Client::Data(answered.exchange, Box::new(DataReceiver::new(0)));
            }
            (Turn::Auth, Some(334)) => self.client = Client::SaslResponse(answered.exchange),
            (Turn::StartTls, Some(220)) => {
                self.awaiting.clear();
                self.client_lines = Lines::default();
                self.chunking = false;
            }
            _ => {}
        }
        if matches!(answered.turn, Turn::Data | Turn::Auth | Turn::Hello) && !self.waits_for_turn()
        {
            let held: Vec<(T, Vec<u8>)> = self.held.drain(..).collect();
            self.held_len = 0;
            for (tag, bytes) in held {
                self.client_bytes(&tag, &bytes, out);
            }
        }
    }

    /// True while a DATA, AUTH, EHLO or HELO is unanswered: what the
    /// client sends next depends on that reply.
    fn waits_for_turn(&self) -> bool {
        self.awaiting
            .iter()
            .any(|a| matches!(a.turn, Turn::Data | Turn::Auth | Turn::Hello))
    }

    fn client_bytes(&mut self, tag: &T, mut bytes: &[u8], out: &mut Vec<Observed<T>>) {
        while !bytes.is_empty() {
            if !self.held.is_empty() || self.waits_for_turn() {
                self.hold(tag, bytes, out);
                return;
            }
            if let Client::Chunk(exchange, remaining) = &mut self.client {
                let (exchange, take) = (*exchange, chunk_take(*remaining, bytes.len()));
                *remaining -= take as u64;
                let done = *remaining == 0;
                let mut chunk =
                    |text| out.push(client_line(tag, LineKind::Chunk, Some(exchange), text));
                self.client_lines.push(&bytes[..take], &mut chunk);
                if done {
                    self.client_lines.flush(chunk);
                    self.client = Client::Commands;
                }
                bytes = &bytes[take..];
                continue;
            }
            if let Client::Data(exchange, rx) = &mut self.client {
                let exchange = *exchange;
                let (used, ended) = rx.ingest(bytes);
                let first = out.len();
                self.client_lines.push(&bytes[..used], |text| {
                    out.push(client_line(tag, LineKind::Data, Some(exchange), text));
                });
                if ended {
                    // The lone dot ends the data; the reply to it answers
                    // the whole message, so it opens an exchange of its own.
                    if out.len() > first {
                        let dot = self.open(Turn::Stays);
                        if let Some(line) = out.last_mut() {
                            line.exchange = Some(dot);
                        }
                    }
                    self.client = Client::Commands;
                }
                bytes = &bytes[used..];
                continue;
            }
            // One line at a time: a line can change how the next is read.
            let end = bytes
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| i + 1);
            // The splitter is taken out so that the line can be classified
            // (which may change the rest of `self`) as it completes.
            let mut lines = std::mem::take(&mut self.client_lines);
            lines.push(&bytes[..end], |text| {
                let (kind, exchange) = self.classify(&text);
                out.push(client_line(tag, kind, Some(exchange), text));
            });
            self.client_lines = lines;
            bytes = &bytes[end..];
        }
    }

    /// A complete client line outside the data.
    fn classify(&mut self, text: &[u8]) -> (LineKind, Exchange) {
        match self.client {
            Client::SaslResponse(exchange) => {
                self.client = Client::Commands;
                // The server answers the response: 235, 535, or another 334.
                self.awaiting.push_back(Awaiting {
                    exchange,
                    turn: Turn::Auth,
                });
                (LineKind::SaslResponse, exchange)
            }
            _ => {
                let exchange = self.open(Turn::of(text));
                if self.chunking
                    && let Ok(Command::Bdat { size, .. }) = Command::parse(text)
                    && size > 0
                {
                    self.client = Client::Chunk(exchange, size);
                }
                (LineKind::Command, exchange)
            }
        }
    }

    fn open(&mut self, turn: Turn) -> Exchange {
        let exchange = self.next_exchange;
        self.next_exchange += 1;
        self.awaiting.push_back(Awaiting { exchange, turn });
        exchange
    }

    fn hold(&mut self, tag: &T, bytes: &[u8], out: &mut Vec<Observed<T>>) {
        self.held_len += bytes.len();
        self.held.push_back((tag.clone(), bytes.to_vec()));
        if self.held_len > MAX_HELD {
            self.release_as_commands(out);
        }
    }

    fn release_as_commands(&mut self, out: &mut Vec<Observed<T>>) {
        let held: Vec<(T, Vec<u8>)> = self.held.drain(..).collect();
        self.held_len = 0;
        for (tag, bytes) in held {
            let mut lines = Vec::new();
            self.client_lines.push(&bytes, |text| lines.push(text));
            for text in lines {
                let exchange = self.open(Turn::Stays);
                out.push(client_line(&tag, LineKind::Command, Some(exchange), text));
            }
        }
    }
}

/// How many of `available` octets belong to a chunk still `remaining`.
fn chunk_take(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

fn client_line<T: Clone>(
    tag: &T,
    kind: LineKind,
    exchange: Option<Exchange>,
    text: Vec<u8>,
) -> Observed<T> {
    Observed {
        tag: tag.clone(),
        side: Side::Client,
        kind,
        exchange,
        text,
    }
}

/// A reply line's code and whether it ends its reply (RFC 5321 §4.2:
/// `250-` goes on, `250 ` or a bare `250` ends). A line without a code is
/// not SMTP; it is taken as a whole reply so that the matching of replies
/// to commands goes on.
fn reply_line(text: &[u8]) -> (Option<u16>, bool) {
    let code = text
        .get(..3)
        .filter(|digits| digits.iter().all(u8::is_ascii_digit))
        .map(|d| d.iter().fold(0u16, |n, &b| n * 10 + u16::from(b - b'0')));
    let last = code.is_none() || text.get(3) != Some(&b'-');
    (code, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds (side, bytes) chunks in order; returns "C:"/"S:"/"D:"/"A:"
    /// tagged texts with their exchange and chunk index.
    fn observe(chunks: &[(Side, &str)]) -> Vec<(usize, String, Option<Exchange>)> {
        let mut observer = Observer::new();
        let mut out = Vec::new();
        for (i, (side, bytes)) in chunks.iter().enumerate() {
            out.extend(match side {
                Side::Client => observer.client(i, bytes.as_bytes()),
                Side::Server => observer.server(i, bytes.as_bytes()),
            });
        }
        out.extend(observer.close());
        out.into_iter()
            .map(|line| {
                let mark = match line.kind {
                    LineKind::Command => "C",
                    LineKind::SaslResponse => "A",
                    LineKind::Reply { .. } => "S",
                    LineKind::Data => "D",
                    LineKind::Chunk => "K",
                };
                let text = String::from_utf8_lossy(&line.text);
                (line.tag, format!("{mark}: {text}"), line.exchange)
            })
            .collect()
    }

    fn texts(lines: &[(usize, String, Option<Exchange>)]) -> Vec<&str> {
        lines.iter().map(|(_, t, _)| t.as_str()).collect()
    }

    use Side::{Client as C, Server as S};

    #[test]
    fn data_begins_only_after_354_rfc5321_4_1_1_4() {
        let lines = observe(&[
            (S, "220 mx ready\r\n"),
            (C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
            (S, "250 ok\r\n250 ok\r\n354 go ahead\r\n"),
            (C, "Subject: hi\r\n\r\nQUIT\r\n.\r\n"),
            (S, "250 queued\r\n"),
            (C, "QUIT\r\n"),
        ]);
        assert_eq!(
            texts(&lines),
            [
                "S: 220 mx ready",
                "C: MAIL FROM:<a@x>",
                "C: RCPT TO:<b@y>",
                "C: DATA",
                "S: 250 ok",
                "S: 250 ok",
                "S: 354 go ahead",
                "D: Subject: hi",
                "D: ",
                "D: QUIT",
                "D: .",
                "S: 250 queued",
                "C: QUIT",
            ]
        );
    }

    #[test]
    fn refused_data_leaves_the_client_in_commands_rfc2920_3_1() {
        // greylisting and unknown-user: every RCPT refused, DATA gets 503,
        // and the QUIT that follows is a command the server answers 221.
        let lines = observe(&[
            (S, "220 mx\r\n"),
            (C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
            (
                S,
                "250 ok\r\n550 no such user\r\n503 no valid recipients\r\n",
            ),
            (C, "QUIT\r\n"),
            (S, "221 bye\r\n"),
        ]);
        assert_eq!(lines[7].1, "C: QUIT");
        assert_eq!(lines[8].1, "S: 221 bye");
    }

    #[test]
    fn replies_answer_pipelined_commands_in_order_rfc2920_3_2() {
        let lines = observe(&[
            (S, "220 mx\r\n"),
            (C, "EHLO c\r\n"),
            (S, "250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n"),
            (
                C,
                "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
            ),
            (S, "250 ok\r\n450 greylisted\r\n250 ok\r\n354 go\r\n"),
        ]);
        let exchange = |text: &str| lines.iter().find(|l| l.1 == text).and_then(|l| l.2);
        assert_eq!(exchange("S: 220 mx"), Some(0));
        assert_eq!(exchange("S: 250-PIPELINING"), exchange("C: EHLO c"));
        assert_eq!(exchange("S: 250 SIZE"), exchange("C: EHLO c"));
        assert_eq!(exchange("S: 450 greylisted"), exchange("C: RCPT TO:<b@y>"));
        assert_eq!(exchange("S: 354 go"), exchange("C: DATA"));
        assert_ne!(exchange("S: 450 greylisted"), exchange("S: 250 ok"));
    }

    #[test]
    fn lines_pipelined_behind_starttls_get_no_reply_rfc3207_4_2_cve_2011_0411() {
        let lines = observe(&[
            (S, "220 mx ready\r\n"),
            (C, "EHLO c\r\n"),
            (S, "250-mx\r\n250 STARTTLS\r\n"),
            (C, "STARTTLS\r\nRSET\r\n"),
            (S, "220 2.0.0 Ready to start TLS\r\n"),
            // What the two ends read inside TLS.
            (C, "EHLO c\r\n"),
            (S, "250 mx\r\n"),
        ]);
        let exchange_of = |text: &str| lines.iter().find(|(_, t, _)| t == text).map(|l| l.2);
        let rset = exchange_of("C: RSET").flatten();
        assert!(rset.is_some());
        assert!(
            !lines
                .iter()
                .any(|(_, t, e)| t.starts_with("S:") && *e == rset),
            "the server threw RSET away: nothing answers it"
        );
        let ehlo_again = lines
            .iter()
            .rfind(|(_, t, _)| t == "C: EHLO c")
            .map(|l| l.2);
        assert_eq!(
            exchange_of("S: 250 mx"),
            ehlo_again,
            "250 answers the new EHLO"
        );
    }

    #[test]
    fn end_of_data_is_only_crlf_dot_crlf_rfc5321_4_1_1_4() {
        // A bare LF before the dot does not end the data (SMTP smuggling):
        // the server reads on, and so does the observer.
        let lines = observe(&[
            (S, "220 mx\r\n"),
            (C, "DATA\r\n"),
            (S, "354 go\r\n"),
            (C, "a\n.\nMAIL FROM:<evil@x>\r\n.\r\n"),
            (S, "554 bare LF\r\n"),
            (C, "QUIT\r\n"),
        ]);
        assert_eq!(
            texts(&lines)[3..],
            [
                "D: a",
                "D: .",
                "D: MAIL FROM:<evil@x>",
                "D: .",
                "S: 554 bare LF",
                "C: QUIT"
            ]
        );
        // The reply to the true end answers the final dot, not DATA.
        assert_eq!(lines[6].2, lines[7].2);
        assert_ne!(lines[6].2, lines[1].2);
        // The first dot, after a bare LF, was data of the DATA exchange.
        assert_eq!(lines[4].2, lines[1].2);
    }

    #[test]
    fn auth_334_makes_the_next_line_a_sasl_response_rfc4954_4() {
        let lines = observe(&[
            (S, "220 mx\r\n"),
            (C, "AUTH PLAIN\r\n"),
            (S, "334 \r\n"),
            (C, "AGFsaWNlAHNlY3JldA==\r\n"),
            (S, "235 ok\r\n"),
            (C, "AUTH LOGIN\r\n"),
            (S, "504 unknown mechanism\r\n"),
            (C, "NOOP\r\n"),
        ]);
        assert_eq!(
            texts(&lines),
            [
                "S: 220 mx",
                "C: AUTH PLAIN",
                "S: 334 ",
                "A: AGFsaWNlAHNlY3JldA==",
                "S: 235 ok",
                "C: AUTH LOGIN",
                "S: 504 unknown mechanism",
                "C: NOOP",
            ]
        );
        assert_eq!(lines[3].2, lines[4].2);
    }

    #[test]
    fn lines_sent_before_the_data_reply_wait_for_it() {
        // A client that does not wait for 354 (RFC 2920 §3.1 says it must):
        // its lines are data if the server said 354, commands if not.
        let accepted = observe(&[
            (S, "220 mx\r\n"),
            (C, "DATA\r\nhello\r\n.\r\n"),
            (S, "354 go\r\n250 queued\r\n"),
        ]);
        assert_eq!(
            texts(&accepted)[1..],
            ["C: DATA", "D: hello", "D: .", "S: 354 go", "S: 250 queued"]
        );
        // Held lines keep the tag of the bytes that carried them.
        assert_eq!(accepted[2].0, 1);
        let refused = observe(&[
            (S, "220 mx\r\n"),
            (C, "DATA\r\nNOOP\r\n"),
            (S, "503 no\r\n250 ok\r\n"),
        ]);
        assert_eq!(
            texts(&refused)[1..],
            ["C: DATA", "C: NOOP", "S: 503 no", "S: 250 ok"]
        );
        let unanswered = observe(&[(C, "DATA\r\nNOOP\r\n")]);
        assert_eq!(texts(&unanswered), ["C: DATA", "C: NOOP"]);
    }

    #[test]
    fn hostile_bytes_never_panic_and_stay_bounded() {
        let mut observer = Observer::new();
        for i in 0..200u32 {
            let junk: Vec<u8> = (0..997u32)
                .map(|j| ((i * 31 + j * 7) % 256) as u8)
                .collect();
            observer.client(i, b"DATA\r\n");
            observer.client(i, &junk);
            observer.server(i, &junk);
        }
        assert!(observer.held_len <= MAX_HELD);
    }
}
