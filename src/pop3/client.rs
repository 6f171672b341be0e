//! The client side of a POP3 session as a sans-IO machine: a mail reader
//! fetching everything in the maildrop.
//!
//! It waits for the greeting, logs in with USER and PASS, asks LIST for
//! the messages and their sizes and UIDL for their unique ids (falling back
//! to message numbers when the server has no UIDL, an optional command of
//! RFC 1939 §7), then for each message sends RETR, and DELE if so
//! configured, one command at a time; finally QUIT, which makes the
//! deletions happen (RFC 1939 §6).
//!
//! A hostile server cannot make it hold more than one message of at most
//! [`MAX_MESSAGE_SIZE`] octets and a listing of at most [`MAX_LISTING`]
//! entries. A message that LIST says is too big is left on the server; one
//! that turns out bigger than announced ends the session without QUIT, so
//! nothing is deleted.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::command::{Command, MAX_COMMAND_LINE};
use super::multiline::listing_line;
use super::response::{MAX_RESPONSE_LINE, Response};
use crate::session::stuffing::DataReceiver;
use crate::session::{LineBuffer, LineError, Session};

/// How long the client waits for the server to say anything (RFC 1939
/// gives the server at least 10 minutes; the client waits as long).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The largest message the client takes, unstuffed.
pub const MAX_MESSAGE_SIZE: usize = 64 << 20;
/// The most entries the client takes from LIST or UIDL.
pub const MAX_LISTING: usize = 100_000;

/// Whose maildrop to fetch and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub user: String,
    pub password: String,
    /// DELE each message once it is retrieved (removed at QUIT); otherwise
    /// leave it on the server.
    pub delete_after_retrieve: bool,
}

/// What happened, for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3ClientEvent {
    /// PASS was accepted.
    LoggedIn,
    /// A message arrived whole; `content` is unstuffed.
    Retrieved { uid: String, content: Vec<u8> },
    /// Something did not work: the server's `-ERR` line, or what the client
    /// concluded (timeout, a broken response, a message too big).
    Failed { reply: String },
    /// The session is over; the host closes the connection.
    Closed,
}

/// A message as LIST and UIDL described it.
#[derive(Debug, Clone)]
struct Listed {
    number: u32,
    size: u64,
    uid: Option<String>,
}

impl Listed {
    /// The unique id, or the message number when UIDL was not offered.
    fn uid(&self) -> String {
        self.uid.clone().unwrap_or_else(|| self.number.to_string())
    }
}

/// The response the client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    User,
    Pass,
    List,
    Uidl,
    Retr,
    Dele,
    Quit,
}

/// What the next bytes from the server are.
#[derive(Debug)]
enum Reading {
    /// A status line.
    Status,
    /// Lines of the listing for LIST or UIDL, until `.`.
    Listing,
    /// The message after `+OK` to RETR, until `CRLF.CRLF`.
    Body(Box<DataReceiver>),
}

/// The client side of one POP3 connection.
#[derive(Debug)]
pub struct Pop3Client {
    config: ClientConfig,
    max_message_size: usize,
    expect: Expect,
    reading: Reading,
    lines: LineBuffer,
    listed: Vec<Listed>,
    /// Index in `listed` of the message being retrieved (or next).
    current: usize,
    outbox: Vec<u8>,
    events: VecDeque<Pop3ClientEvent>,
    deadline: Instant,
    closed: bool,
}

impl Pop3Client {
    /// Starts a session; it waits for the server's greeting first.
    pub fn new(config: ClientConfig, now: Instant) -> Pop3Client {
        Pop3Client {
            config,
            max_message_size: MAX_MESSAGE_SIZE,
            expect: Expect::Greeting,
            reading: Reading::Status,
            lines: LineBuffer::new(MAX_RESPONSE_LINE),
            listed: Vec::new(),
            current: 0,
            outbox: Vec::new(),
            events: VecDeque::new(),
            deadline: now + REPLY_TIMEOUT,
            closed: false,
        }
    }

    /// Takes messages of at most `max` octets instead of
    /// [`MAX_MESSAGE_SIZE`].
    pub fn with_max_message_size(mut self, max: usize) -> Pop3Client {
        self.max_message_size = max;
        self
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        // The server is talking: wait another full period for the rest.
        self.deadline = now + REPLY_TIMEOUT;
        let mut input = bytes;
        if matches!(self.reading, Reading::Body(_)) {
            let used = self.feed_body(input, now);
            input = &input[used..];
        }
        if self.closed {
            return;
        }
        self.lines.push(input);
        while !self.closed {
            let Some(line) = self.lines.next_line() else {
                break;
            };
            match line {
                Ok(line) => self.handle_line(&line, now),
                Err(LineError::TooLong(max)) => self.abort(format!(
                    "the server sent a line longer than {max} octets (RFC 2449 §4)"
                )),
                Err(LineError::BareLf) => {
                    self.abort("the server sent a line ending in a bare LF (RFC 1939 §3)".into());
                }
            }
            if !self.closed && matches!(self.reading, Reading::Body(_)) {
                // The message may have come in the same chunk as its +OK.
                // The client fetches one message at a time, so this copy
                // is at most one message's worth.
                let rest = self.lines.unread().to_vec();
                let used = self.feed_body(&rest, now);
                self.lines.consume(used);
            }
        }
    }

    /// The server closed the connection.
    pub fn handle_close(&mut self) {
        if self.closed {
            return;
        }
        if self.expect != Expect::Quit {
            self.failed("the server closed the connection".into());
        }
        self.finish();
    }

    /// The host says what time it is; after [`REPLY_TIMEOUT`] of silence
    /// the client gives up without QUIT.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.closed && now >= self.deadline {
            let waiting = match self.expect {
                Expect::Greeting => "the greeting",
                Expect::User => "the reply to USER",
                Expect::Pass => "the reply to PASS",
                Expect::List => "the reply to LIST",
                Expect::Uidl => "the reply to UIDL",
                Expect::Retr => "the message",
                Expect::Dele => "the reply to DELE",
                Expect::Quit => "the reply to QUIT",
            };
            self.abort(format!(
                "no reply from the server for {} minutes (waiting for {waiting})",
                REPLY_TIMEOUT.as_secs() / 60
            ));
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.closed).then_some(self.deadline)
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.outbox.is_empty()).then(|| std::mem::take(&mut self.outbox))
    }

    pub fn poll_event(&mut self) -> Option<Pop3ClientEvent> {
        self.events.pop_front()
    }

    fn send(&mut self, command: &Command, expect: Expect, now: Instant) {
        command.encode(&mut self.outbox);
        self.expect = expect;
        self.deadline = now + REPLY_TIMEOUT;
    }

    fn failed(&mut self, reply: String) {
        self.events.push_back(Pop3ClientEvent::Failed { reply });
    }

    /// Gives up at once: no QUIT, so the server deletes nothing.
    fn abort(&mut self, reason: String) {
        self.failed(reason);
        self.finish();
    }

    fn finish(&mut self) {
        if !self.closed {
            self.closed = true;
            self.reading = Reading::Status;
            self.lines = LineBuffer::new(MAX_RESPONSE_LINE);
            self.listed = Vec::new();
            self.events.push_back(Pop3ClientEvent::Closed);
        }
    }

    fn quit(&mut self, now: Instant) {
        self.send(&Command::Quit, Expect::Quit, now);
    }

    fn handle_line(&mut self, line: &[u8], now: Instant) {
        if matches!(self.reading, Reading::Listing) {
            return self.listing(line, now);
        }
        match Response::parse(line) {
            Ok(response) => self.handle_response(response, now),
            Err(error) => self.abort(format!("broken response: {error}")),
        }
    }

    fn handle_response(&mut self, response: Response, now: Instant) {
        match (self.expect, response.is_ok()) {
            (Expect::Greeting, true) => {
                let user = Command::User(self.config.user.clone());
                self.send_credential(user, Expect::User, now);
            }
            (Expect::User, true) => {
                let pass = Command::Pass(self.config.password.clone());
                self.send_credential(pass, Expect::Pass, now);
            }
            (Expect::Pass, true) => {
                self.events.push_back(Pop3ClientEvent::LoggedIn);
                self.send(&Command::List(None), Expect::List, now);
            }
            (Expect::List | Expect::Uidl, true) => self.reading = Reading::Listing,
            // UIDL is optional (RFC 1939 §7): name messages by number.
            (Expect::Uidl, false) => self.retrieve_next(now),
            (Expect::Retr, true) => {
                let max = self.max_message_size;
                self.reading = Reading::Body(Box::new(DataReceiver::new(max)));
            }
            (Expect::Retr | Expect::Dele, false) => {
                self.failed(response.to_string());
                self.current += 1;
                self.retrieve_next(now);
            }
            (Expect::Dele, true) => {
                self.current += 1;
                self.retrieve_next(now);
            }
            (Expect::Quit, ok) => {
                if !ok {
                    // RFC 1939 §6: some deleted messages not removed.
                    self.failed(response.to_string());
                }
                self.finish();
            }
            (Expect::Greeting | Expect::User | Expect::Pass | Expect::List, false) => {
                self.failed(response.to_string());
                self.quit(now);
            }
        }
    }

    /// USER or PASS, unless the name or password cannot travel as one
    /// argument on one line (a CRLF in it would smuggle a command).
    fn send_credential(&mut self, command: Command, expect: Expect, now: Instant) {
        let line = command.to_string();
        let fits = line.len() + 2 <= MAX_COMMAND_LINE
            && Command::parse(line.as_bytes()).as_ref() == Ok(&command);
        if fits {
            self.send(&command, expect, now);
        } else {
            self.failed(format!(
                "the {} argument cannot be sent as one POP3 argument (RFC 1939 §3)",
                command.keyword()
            ));
            self.quit(now);
        }
    }

    /// One line of a LIST or UIDL listing (RFC 1939 §5 scan listing,
    /// §7 unique-id listing): `msg SP size-or-uid [anything]`.
    fn listing(&mut self, line: &[u8], now: Instant) {
        let Some(line) = listing_line(line) else {
            self.reading = Reading::Status;
            return self.listing_done(now);
        };
        let Some((number, value)) = listing_entry(line) else {
            let shown = String::from_utf8_lossy(line)
                .chars()
                .take(40)
                .collect::<String>();
            return self.abort(format!("broken listing line {shown:?} (RFC 1939 §5)"));
        };
        if self.expect == Expect::List {
            let Some(size) = decimal(value) else {
                return self.abort(format!("broken size {value:?} in LIST (RFC 1939 §5)"));
            };
            if self.listed.len() >= MAX_LISTING {
                return self.abort(format!("LIST has more than {MAX_LISTING} messages"));
            }
            self.listed.push(Listed {
                number,
                size,
                uid: None,
            });
        } else {
            // 1 to 70 characters from `!` to `~` (RFC 1939 §7): the host
            // may use it as a key or a file name.
            let valid = value.len() <= 70 && value.bytes().all(|b| (b'!'..=b'~').contains(&b));
            if !valid {
                return self.abort(format!("broken unique id {value:?} in UIDL (RFC 1939 §7)"));
            }
            // Only messages that LIST showed: the rest is ignored.
            if let Ok(i) = self.listed.binary_search_by_key(&number, |l| l.number) {
                self.listed[i].uid = Some(value.to_owned());
            }
        }
    }

    fn listing_done(&mut self, now: Instant) {
        if self.expect == Expect::List {
            self.listed.sort_by_key(|l| l.number);
            self.listed.dedup_by_key(|l| l.number);
            if self.listed.is_empty() {
                return self.quit(now);
            }
            self.send(&Command::Uidl(None), Expect::Uidl, now);
        } else {
            self.retrieve_next(now);
        }
    }

    /// RETR for the next message that is not too big, or QUIT.
    fn retrieve_next(&mut self, now: Instant) {
        while let Some(listed) = self.listed.get(self.current) {
            if listed.size <= self.max_message_size as u64 {
                let retr = Command::Retr(listed.number);
                return self.send(&retr, Expect::Retr, now);
            }
            let text = format!(
                "message {} is {} octets, more than the {} this client takes; left on the server",
                listed.number, listed.size, self.max_message_size
            );
            self.failed(text);
            self.current += 1;
        }
        self.quit(now);
    }

    /// Message bytes after `+OK` to RETR; returns how many were used.
    fn feed_body(&mut self, input: &[u8], now: Instant) -> usize {
        let Reading::Body(receiver) = &mut self.reading else {
            return 0;
        };
        let (used, done) = receiver.ingest(input);
        if receiver.size() > self.max_message_size {
            let number = self.listed.get(self.current).map_or(0, |l| l.number);
            self.abort(format!(
                "message {number} is longer than the {} octets this client takes; \
                 giving up without QUIT, so nothing is deleted",
                self.max_message_size
            ));
            return input.len();
        }
        if done {
            let Reading::Body(receiver) = std::mem::replace(&mut self.reading, Reading::Status)
            else {
                return used;
            };
            let (content, _faults) = receiver.finish();
            self.retrieved(content, now);
        }
        used
    }

    fn retrieved(&mut self, content: Vec<u8>, now: Instant) {
        let Some(listed) = self.listed.get(self.current) else {
            return self.quit(now);
        };
        let number = listed.number;
        let uid = listed.uid();
        self.events
            .push_back(Pop3ClientEvent::Retrieved { uid, content });
        if self.config.delete_after_retrieve {
            self.send(&Command::Dele(number), Expect::Dele, now);
        } else {
            self.current += 1;
            self.retrieve_next(now);
        }
    }
}

/// `msg SP value [anything]` of a scan or unique-id listing.
fn listing_entry(line: &[u8]) -> Option<(u32, &str)> {
    let mut words = std::str::from_utf8(line).ok()?.split(' ');
    let number = u32::try_from(decimal(words.next()?)?).ok()?;
    let value = words.next().filter(|w| !w.is_empty())?;
    (number >= 1).then_some((number, value))
}

/// Digits only, no sign (RFC 1939 §3: numbers are decimal).
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A client needs nothing of its host while it reads responses.
impl Session for Pop3Client {
    type Event = Pop3ClientEvent;

    fn handle_input(&mut self, bytes: &[u8], now: Instant, _: &mut ()) {
        Pop3Client::handle_input(self, bytes, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Pop3Client::handle_timeout(self, now);
    }
    fn handle_close(&mut self) {
        Pop3Client::handle_close(self);
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        Pop3Client::poll_transmit(self)
    }
    fn poll_event(&mut self) -> Option<Pop3ClientEvent> {
        Pop3Client::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Pop3Client::poll_timeout(self)
    }
    fn is_closed(&self) -> bool {
        Pop3Client::is_closed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(delete: bool) -> ClientConfig {
        ClientConfig {
            user: "bob".into(),
            password: "secret".into(),
            delete_after_retrieve: delete,
        }
    }

    /// A client driven by a scripted server: each step is what the server
    /// sends; returns the client with everything it sent, as one string.
    fn script(client: Pop3Client, steps: &[&[u8]]) -> (Pop3Client, String) {
        let mut client = client;
        let now = Instant::now();
        let mut sent = Vec::new();
        for step in steps {
            client.handle_input(step, now);
            sent.extend(client.poll_transmit().unwrap_or_default());
        }
        (client, String::from_utf8(sent).expect("commands are UTF-8"))
    }

    fn events(client: &mut Pop3Client) -> Vec<Pop3ClientEvent> {
        std::iter::from_fn(|| client.poll_event()).collect()
    }

    fn failures(events: &[Pop3ClientEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| match e {
                Pop3ClientEvent::Failed { reply } => Some(reply.as_str()),
                _ => None,
            })
            .collect()
    }

    const LOGIN: [&[u8]; 3] = [b"+OK pop ready\r\n", b"+OK send PASS\r\n", b"+OK in\r\n"];

    #[test]
    fn logs_in_lists_and_retrieves_each_message_rfc1939_5() {
        let mut steps = LOGIN.to_vec();
        steps.extend([
            &b"+OK 2 messages\r\n1 10\r\n2 12\r\n.\r\n"[..],
            b"+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n",
            b"+OK 10 octets\r\nA: 1\r\n\r\nx\r\n.\r\n",
            b"+OK deleted\r\n",
            b"+OK 12 octets\r\n",
            b"A: 2\r\n\r\n..y\r\n.\r\n",
            b"+OK deleted\r\n",
            b"+OK bye\r\n",
        ]);
        let client = Pop3Client::new(config(true), Instant::now());
        let (mut client, sent) = script(client, &steps);
        assert_eq!(
            sent,
            "USER bob\r\nPASS secret\r\nLIST\r\nUIDL\r\nRETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n"
        );
        assert_eq!(
            events(&mut client),
            [
                Pop3ClientEvent::LoggedIn,
                Pop3ClientEvent::Retrieved {
                    uid: "aaa".into(),
                    content: b"A: 1\r\n\r\nx\r\n".to_vec()
                },
                Pop3ClientEvent::Retrieved {
                    uid: "bbb".into(),
                    content: b"A: 2\r\n\r\n.y\r\n".to_vec()
                },
                Pop3ClientEvent::Closed,
            ]
        );
        assert!(client.is_closed());
        assert_eq!(client.poll_timeout(), None);
    }

    #[test]
    fn without_uidl_messages_are_named_by_number_rfc1939_7() {
        let mut steps = LOGIN.to_vec();
        steps.extend([
            &b"+OK\r\n1 3\r\n.\r\n"[..],
            b"-ERR unknown command\r\n",
            b"+OK\r\nx\r\n.\r\n",
        ]);
        let client = Pop3Client::new(config(false), Instant::now());
        let (mut client, sent) = script(client, &steps);
        assert!(sent.ends_with("UIDL\r\nRETR 1\r\nQUIT\r\n"), "{sent}");
        assert!(events(&mut client).contains(&Pop3ClientEvent::Retrieved {
            uid: "1".into(),
            content: b"x\r\n".to_vec()
        }));
    }

    #[test]
    fn empty_maildrop_goes_straight_to_quit_rfc1939_6() {
        let mut steps = LOGIN.to_vec();
        steps.extend([&b"+OK 0 messages\r\n.\r\n"[..], b"+OK bye\r\n"]);
        let client = Pop3Client::new(config(true), Instant::now());
        let (mut client, sent) = script(client, &steps);
        assert!(sent.ends_with("LIST\r\nQUIT\r\n"));
        assert_eq!(
            events(&mut client),
            [Pop3ClientEvent::LoggedIn, Pop3ClientEvent::Closed]
        );
    }

    #[test]
    fn wrong_password_is_reported_and_the_client_quits_rfc1939_7() {
        let steps: [&[u8]; 4] = [
            b"+OK pop ready\r\n",
            b"+OK\r\n",
            b"-ERR authentication failed\r\n",
            b"+OK bye\r\n",
        ];
        let client = Pop3Client::new(config(true), Instant::now());
        let (mut client, sent) = script(client, &steps);
        assert_eq!(sent, "USER bob\r\nPASS secret\r\nQUIT\r\n");
        assert_eq!(
            events(&mut client),
            [
                Pop3ClientEvent::Failed {
                    reply: "-ERR authentication failed".into()
                },
                Pop3ClientEvent::Closed
            ]
        );
    }

    #[test]
    fn a_refused_retr_is_reported_and_the_rest_goes_on_rfc1939_5() {
        let mut steps = LOGIN.to_vec();
        steps.extend([
            &b"+OK\r\n1 3\r\n2 3\r\n.\r\n"[..],
            b"+OK\r\n1 a\r\n2 b\r\n.\r\n",
            b"-ERR no such message\r\n",
            b"+OK\r\ny\r\n.\r\n",
        ]);
        let client = Pop3Client::new(config(false), Instant::now());
        let (mut client, sent) = script(client, &steps);
        assert!(sent.ends_with("RETR 1\r\nRETR 2\r\nQUIT\r\n"));
        let events = events(&mut client);
        assert_eq!(failures(&events), ["-ERR no such message"]);
    }

    #[test]
    fn message_too_big_by_list_is_left_on_the_server() {
        let mut steps = LOGIN.to_vec();
        steps.extend([
            &b"+OK\r\n1 5000\r\n2 3\r\n.\r\n"[..],
            b"+OK\r\n1 a\r\n2 b\r\n.\r\n",
            b"+OK\r\ny\r\n.\r\n",
        ]);
        let client = Pop3Client::new(config(true), Instant::now()).with_max_message_size(1000);
        let (mut client, sent) = script(client, &steps);
        assert!(sent.ends_with("UIDL\r\nRETR 2\r\nDELE 2\r\n"), "{sent}");
        let events = events(&mut client);
        assert!(failures(&events)[0].starts_with("message 1 is 5000 octets"));
    }

    #[test]
    fn message_longer_than_the_limit_ends_the_session_without_quit_rfc1939_6() {
        let mut steps = LOGIN.to_vec();
        let flood = vec![b'x'; 10_000];
        steps.extend([
            &b"+OK\r\n1 10\r\n.\r\n"[..],
            b"+OK\r\n1 a\r\n.\r\n",
            b"+OK 10 octets\r\n",
            &flood,
            &flood,
        ]);
        let client = Pop3Client::new(config(true), Instant::now()).with_max_message_size(1000);
        let (mut client, sent) = script(client, &steps);
        assert!(sent.ends_with("RETR 1\r\n"), "{sent}");
        assert!(client.is_closed());
        let events = events(&mut client);
        assert!(failures(&events)[0].contains("giving up without QUIT"));
        assert_eq!(events.last(), Some(&Pop3ClientEvent::Closed));
    }

    #[test]
    fn message_split_anywhere_arrives_the_same_rfc1939_3() {
        let body: &[u8] = b"+OK 9 octets\r\n..a\r\nb\r\n\r\n.\r\n+OK bye\r\n";
        for cut in 0..body.len() {
            let mut steps = LOGIN.to_vec();
            steps.extend([
                &b"+OK\r\n1 9\r\n.\r\n"[..],
                b"+OK\r\n1 a\r\n.\r\n",
                &body[..cut],
                &body[cut..],
            ]);
            let client = Pop3Client::new(config(false), Instant::now());
            let (mut client, _) = script(client, &steps);
            assert!(
                events(&mut client).contains(&Pop3ClientEvent::Retrieved {
                    uid: "a".into(),
                    content: b".a\r\nb\r\n\r\n".to_vec()
                }),
                "cut at {cut}"
            );
            assert!(client.is_closed());
        }
    }

    #[test]
    fn silent_server_times_out_after_10_minutes_rfc1939_3() {
        let now = Instant::now();
        let mut client = Pop3Client::new(config(true), now);
        assert_eq!(client.poll_timeout(), Some(now + REPLY_TIMEOUT));
        client.handle_timeout(now + REPLY_TIMEOUT - Duration::from_secs(1));
        assert!(!client.is_closed());
        client.handle_timeout(now + REPLY_TIMEOUT);
        assert!(client.is_closed());
        assert_eq!(client.poll_transmit(), None, "no QUIT on a timeout");
        let events = events(&mut client);
        assert!(failures(&events)[0].starts_with("no reply from the server for 10 minutes"));
    }

    #[test]
    fn server_closing_mid_session_is_a_failure() {
        let (mut client, _) = script(Pop3Client::new(config(true), Instant::now()), &LOGIN);
        client.handle_close();
        let events = events(&mut client);
        assert_eq!(failures(&events), ["the server closed the connection"]);
        assert_eq!(events.last(), Some(&Pop3ClientEvent::Closed));
    }

    #[test]
    fn a_user_name_with_crlf_is_never_sent_rfc1939_3() {
        let mut config = config(true);
        config.user = "bob\r\nDELE 1".into();
        let client = Pop3Client::new(config, Instant::now());
        let (mut client, sent) = script(client, &[b"+OK ready\r\n"]);
        assert_eq!(sent, "QUIT\r\n");
        assert!(failures(&events(&mut client))[0].contains("USER argument cannot be sent"));
    }

    #[test]
    fn broken_responses_end_the_session_rfc1939_3() {
        for bad in [&b"220 smtp.example ESMTP\r\n"[..], b"+OK\n", &[b'+'; 600]] {
            let mut client = Pop3Client::new(config(true), Instant::now());
            client.handle_input(bad, Instant::now());
            client.handle_input(b"\r\n", Instant::now());
            assert!(client.is_closed(), "{bad:?}");
            assert_eq!(client.poll_transmit(), None);
        }
        let mut steps = LOGIN.to_vec();
        steps.push(b"+OK\r\none 10\r\n.\r\n");
        let (client, _) = script(Pop3Client::new(config(true), Instant::now()), &steps);
        assert!(client.is_closed());
    }

    #[test]
    fn hostile_server_never_panics_and_stays_bounded() {
        use crate::session::test_rng::Rng;
        const PIECES: [&[u8]; 12] = [
            b"+OK\r\n",
            b"-ERR no\r\n",
            b"1 10\r\n",
            b"2 abc\r\n",
            b".\r\n",
            b"..x\r\n",
            b"\r\n",
            b"\n",
            b"+OK 10 octets\r\n",
            b"4294967295 18446744073709551615\r\n",
            b"0 1\r\n",
            b"\xff\x00\r",
        ];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let start = Instant::now();
        for _ in 0..400 {
            let max = 1000;
            let mut client =
                Pop3Client::new(config(rng.below(2) == 0), start).with_max_message_size(max);
            // Get some of the way in honestly, then anything.
            let honest: [&[u8]; 5] = [
                b"+OK\r\n",
                b"+OK\r\n",
                b"+OK\r\n",
                b"+OK\r\n1 10\r\n2 20\r\n.\r\n",
                b"+OK\r\n1 a\r\n2 b\r\n.\r\n",
            ];
            for step in &honest[..rng.below(honest.len() + 1)] {
                client.handle_input(step, start);
            }
            let mut now = start;
            for _ in 0..rng.below(30) + 1 {
                let mut input = Vec::new();
                for _ in 0..rng.below(10) {
                    if rng.below(3) == 0 {
                        input.extend((0..rng.below(1500)).map(|_| rng.next() as u8));
                    } else {
                        input.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                    }
                }
                client.handle_input(&input, now);
                client.poll_transmit();
                assert!(client.listed.len() <= MAX_LISTING);
                for event in std::iter::from_fn(|| client.poll_event()) {
                    if let Pop3ClientEvent::Retrieved { content, .. } = event {
                        assert!(content.len() <= max);
                    }
                }
                now += Duration::from_secs(rng.below(120) as u64);
                client.handle_timeout(now);
            }
            client.handle_close();
            assert!(client.is_closed());
        }
    }
}
