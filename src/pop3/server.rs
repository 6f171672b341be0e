//! The server side of a POP3 session as a sans-IO machine.
//!
//! Feed it what the client sent (`handle_input`), tell it about time
//! (`handle_timeout`) and about a lost connection (`handle_close`), and
//! collect what it wants to send (`poll_transmit`) and what happened
//! (`poll_event`). It reads no clock and does no IO; the maildrop is the
//! host's, reached through [`Maildrop`].
//!
//! A session walks through three states (RFC 1939 §3):
//!
//! ```text
//!  greeting ──► AUTHORIZATION ──USER, PASS──► TRANSACTION ──QUIT──► UPDATE ──► closed
//!                    │ QUIT                        │ timeout, lost connection,
//!                    ▼                             ▼ a limit of the host
//!                  closed                closed, nothing deleted
//! ```
//!
//! DELE only marks a message; the maildrop changes in UPDATE, which only
//! QUIT reaches. A session that times out, loses its connection or runs
//! past a limit of the host deletes nothing (RFC 1939 §6), so a message is
//! never lost because the client went away between RETR and QUIT.
//!
//! A host may bound a session ([`Pop3Server::with_limits`]): a total
//! allowance of time, however busy the client, and a number of command
//! lines. Past either, the client gets `-ERR` and the session closes. The
//! autologout timer is reset by any byte the client sends, the rule of
//! the session kit for every protocol (see `crate::session::limits`).
//!
//! Every buffered command is answered in turn, so pipelining (RFC 2449
//! §6.6) comes for free. Messages leave through [`BodyStream`] a piece at a
//! time; `poll_transmit` hands out at most about [`TRANSMIT_CHUNK`] octets
//! per call, so the host should call it until it returns `None`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::command::{Command, MAX_COMMAND_LINE};
use super::maildrop::Maildrop;
use super::multiline::{BodyStream, push_end, push_line};
use super::response::Response;
use crate::session::text::printable;
use crate::session::{Guard, Limit, LineBuffer, LineError, SessionLimits};

pub use crate::session::CloseReason;

/// The autologout timer: at least 10 minutes of silence (RFC 1939 §3).
pub const AUTOLOGOUT: Duration = Duration::from_secs(10 * 60);

/// Octets of one unended command line after which the client is cut off.
pub const MAX_OVERLONG: usize = 128 * MAX_COMMAND_LINE;
/// About how many octets one `poll_transmit` hands out.
pub const TRANSMIT_CHUNK: usize = 64 * 1024;
/// Replies may wait unsent up to about this many octets (a message waiting
/// to be streamed counts as [`QUEUED_BODY_COST`]). A client that pipelines
/// past it without reading is cut off, so that six octets of `LIST\r\n`
/// cannot make a server hold a long listing a million times.
pub const MAX_BACKLOG: usize = 8 << 20;
/// What a RETR or TOP waiting in the queue counts towards the backlog.
pub const QUEUED_BODY_COST: usize = 64;

/// What happened in the session, for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3ServerEvent {
    /// PASS was accepted: TRANSACTION state.
    LoggedIn {
        user: String,
    },
    /// A RETR was answered with the message.
    Retrieved {
        user: String,
        uid: String,
    },
    /// UPDATE state removed these messages through [`Maildrop::delete`].
    Deleted {
        user: String,
        uids: Vec<String>,
    },
    Closed {
        reason: CloseReason,
    },
}

/// The state of the session (RFC 1939 §3). UPDATE lasts no longer than
/// the QUIT that enters it, so it is never seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Authorization,
    Transaction,
    Closed,
}

/// One message of the snapshot taken at login.
#[derive(Debug)]
struct Message {
    /// As the maildrop named it, for `delete` and events.
    uid: String,
    /// As UIDL shows it: only `!`..`~`, at most 70 (RFC 1939 §7).
    wire_uid: String,
    content: Arc<[u8]>,
    deleted: bool,
}

/// TRANSACTION state: whose maildrop, and what it held at login.
#[derive(Debug)]
struct Session {
    user: String,
    messages: Vec<Message>,
}

impl Session {
    /// Message `n` (1-based) unless it is missing or marked deleted
    /// (RFC 1939 §5: a deleted message may not be referred to).
    fn live(&self, n: u32) -> Result<&Message, Response> {
        match self.messages.get(index(n)) {
            None => Err(Response::err(format!(
                "no such message, only {} in maildrop",
                count_messages(self.messages.len())
            ))),
            Some(m) if m.deleted => Err(Response::err(format!("message {n} already deleted"))),
            Some(m) => Ok(m),
        }
    }

    /// DELE: marks message `n`, which must be live (RFC 1939 §5).
    fn dele(&mut self, n: u32) -> Result<(), Response> {
        self.live(n)?;
        if let Some(m) = self.messages.get_mut(index(n)) {
            m.deleted = true;
        }
        Ok(())
    }

    /// Messages not marked deleted: number (1-based) and message.
    fn live_messages(&self) -> impl Iterator<Item = (usize, &Message)> {
        (1..)
            .zip(&self.messages)
            .filter(|(_, message)| !message.deleted)
    }

    /// How many messages and octets, deleted ones excluded (RFC 1939 §5).
    fn totals(&self) -> (usize, u64) {
        self.live_messages().fold((0, 0), |(n, size), (_, m)| {
            (n + 1, size + m.content.len() as u64)
        })
    }
}

#[derive(Debug)]
enum State {
    /// `user` is set right after a successful USER: only PASS may follow.
    Authorization {
        user: Option<String>,
    },
    Transaction(Session),
    Closed,
}

/// What waits to be sent, in order.
#[derive(Debug)]
enum Out {
    Text(Vec<u8>),
    Body(BodyStream),
}

#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<Out>,
    /// Octets of text waiting, plus [`QUEUED_BODY_COST`] per body.
    backlog: usize,
}

impl Outbox {
    fn response(&mut self, response: &Response) {
        let mut text = Vec::new();
        on_the_wire(response).encode(&mut text);
        self.text(text);
    }

    fn text(&mut self, text: Vec<u8>) {
        self.backlog += text.len();
        self.queue.push_back(Out::Text(text));
    }

    fn body(&mut self, body: BodyStream) {
        self.backlog += QUEUED_BODY_COST;
        self.queue.push_back(Out::Body(body));
    }

    /// A positive status line followed by a listing.
    fn listing(&mut self, status: &Response, lines: impl IntoIterator<Item = String>) {
        let mut text = Vec::new();
        on_the_wire(status).encode(&mut text);
        for line in lines {
            push_line(&mut text, &line);
        }
        push_end(&mut text);
        self.text(text);
    }

    fn take(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while out.len() < TRANSMIT_CHUNK {
            let Some(front) = self.queue.front_mut() else {
                break;
            };
            match front {
                Out::Text(text) => {
                    self.backlog -= text.len();
                    if out.is_empty() {
                        out = std::mem::take(text);
                    } else {
                        out.extend_from_slice(text);
                    }
                }
                Out::Body(body) => {
                    let budget = TRANSMIT_CHUNK - out.len();
                    if !body.write(&mut out, budget) {
                        break;
                    }
                    self.backlog -= QUEUED_BODY_COST;
                }
            }
            self.queue.pop_front();
        }
        (!out.is_empty()).then_some(out)
    }
}

/// The server side of one POP3 connection.
#[derive(Debug)]
pub struct Pop3Server {
    hostname: String,
    state: State,
    lines: LineBuffer,
    outbox: Outbox,
    events: VecDeque<Pop3ServerEvent>,
    guard: Guard,
}

impl Pop3Server {
    /// Opens a session: the greeting `+OK <hostname> POP3 ready` is ready
    /// to transmit at once, and the session is in AUTHORIZATION state.
    pub fn new(hostname: &str, now: Instant) -> Pop3Server {
        Pop3Server::with_limits(hostname, Pop3Server::default_limits(), now)
    }

    /// POP3's own bounds: the [`AUTOLOGOUT`] timer and [`MAX_OVERLONG`].
    pub fn default_limits() -> SessionLimits {
        SessionLimits::new(AUTOLOGOUT, MAX_OVERLONG)
    }

    /// Opens a session bounded by `limits`. RFC 1939 §3 asks for an
    /// autologout timer of at least 10 minutes; a host serving a classroom
    /// may choose less, and add an allowance and a count of command lines.
    /// Past any limit the client gets `-ERR` and the session closes without
    /// UPDATE ([`CloseReason::Limit`]): what DELE marked stays (RFC 1939 §6).
    pub fn with_limits(hostname: &str, limits: SessionLimits, now: Instant) -> Pop3Server {
        let mut server = Pop3Server {
            hostname: hostname.to_owned(),
            state: State::Authorization { user: None },
            lines: LineBuffer::new(MAX_COMMAND_LINE),
            outbox: Outbox::default(),
            events: VecDeque::new(),
            guard: Guard::new(limits, now),
        };
        let greeting = Response::ok(format!("{hostname} POP3 ready"));
        server.outbox.response(&greeting);
        server
    }

    pub fn state(&self) -> SessionState {
        match self.state {
            State::Authorization { .. } => SessionState::Authorization,
            State::Transaction(_) => SessionState::Transaction,
            State::Closed => SessionState::Closed,
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Bytes received from the client. Every complete command among them
    /// is answered, in order.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant, maildrop: &mut impl Maildrop) {
        if self.is_closed() {
            return;
        }
        // Any byte resets the autologout timer (RFC 1939 §3: any command
        // suffices); a client that never falls silent still meets the
        // allowance here, as the host asks about time only when it does.
        if let Err(limit) = self.guard.on_input(bytes.len(), now) {
            return self.close_for(limit);
        }
        self.lines.push(bytes);
        while !self.is_closed() {
            let Some(line) = self.lines.next_line() else {
                break;
            };
            if let Err(limit) = self.guard.on_line() {
                self.close_for(limit);
                break;
            }
            if self.outbox.backlog > MAX_BACKLOG {
                let text = "too many commands without reading the replies; closing";
                self.outbox.response(&Response::err(text));
                self.close(CloseReason::Backlog);
                break;
            }
            match line {
                Ok(line) => self.handle_line(&line, maildrop),
                Err(error) => {
                    self.forget_user();
                    self.line_error(error);
                }
            }
        }
        if !self.is_closed()
            && let Err(limit) = self.guard.check_overlong(self.lines.overlong())
        {
            self.close_for(limit);
        }
    }

    /// The host is going down: say so and close without UPDATE, so that
    /// nothing marked for deletion is lost.
    pub fn shutdown(&mut self) {
        if !self.is_closed() {
            let text = format!("{} POP3 server shutting down", self.hostname);
            self.outbox.response(&Response::err(text));
            self.close(CloseReason::Shutdown);
        }
    }

    /// The host says what time it is. When the autologout timer expires the
    /// session closes without a word and without UPDATE: messages marked
    /// with DELE stay (RFC 1939 §3). Past the session's allowance it says
    /// `-ERR` first.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if let Some(limit) = self.guard.expired(now) {
            self.close_for(limit);
        }
    }

    /// When the host should call `handle_timeout` next: the autologout
    /// timer or the end of the allowance, whichever comes first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.guard.next_timeout()
        }
    }

    /// Past a limit: `-ERR` and why, then close without UPDATE. Autologout
    /// alone closes without a word (RFC 1939 §3).
    fn close_for(&mut self, limit: Limit) {
        let text = match limit {
            Limit::Idle => None,
            Limit::Allowance => Some("session too long; closing"),
            Limit::Commands => Some("too many commands without retrieving mail; closing"),
            Limit::Input => Some("too much input without retrieving mail; closing"),
            Limit::Errors => Some("too many errors; closing"),
            Limit::Overlong => Some("line too long and never ending; closing"),
        };
        if let Some(text) = text {
            self.send(Response::err(text));
        }
        self.close(limit.into());
    }

    /// The client went away: no UPDATE, nothing is deleted (RFC 1939 §6).
    pub fn handle_close(&mut self) {
        if !self.is_closed() {
            self.close(CloseReason::PeerClosed);
        }
        self.outbox = Outbox::default();
    }

    /// Bytes to send to the client, about [`TRANSMIT_CHUNK`] at most; call
    /// again until `None`.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.take()
    }

    pub fn poll_event(&mut self) -> Option<Pop3ServerEvent> {
        self.events.pop_front()
    }

    fn line_error(&mut self, error: LineError) {
        match error {
            LineError::TooLong(_) => self.fail(Response::err(
                "line too long: a command is at most 255 octets with its CRLF (RFC 2449 section 4)",
            )),
            LineError::BareLf => self.fail(Response::err(
                "bare LF: a command line ends with CRLF (RFC 1939 section 3)",
            )),
        }
    }

    /// PASS must come right after a successful USER (RFC 1939 §7): any
    /// other line in between forgets the name.
    fn forget_user(&mut self) {
        if let State::Authorization { user } = &mut self.state {
            *user = None;
        }
    }

    fn send(&mut self, response: Response) {
        self.outbox.response(&response);
    }

    /// A failed command: `-ERR`, and give up after too many.
    fn fail(&mut self, response: Response) {
        self.send(response);
        if let Err(limit) = self.guard.on_error() {
            self.close_for(limit);
        }
    }

    fn close(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        // Commands still buffered will never be answered.
        self.lines = LineBuffer::new(MAX_COMMAND_LINE);
        self.events.push_back(Pop3ServerEvent::Closed { reason });
    }

    fn handle_line(&mut self, line: &[u8], maildrop: &mut impl Maildrop) {
        let command = match Command::parse(line) {
            Ok(command) => command,
            Err(error) => {
                self.forget_user();
                return self.fail(error.response());
            }
        };
        match self.state {
            State::Authorization { .. } => self.authorization(command, maildrop),
            State::Transaction(_) => self.transaction(command, maildrop),
            State::Closed => {}
        }
    }

    /// AUTHORIZATION state (RFC 1939 §4, §7): USER, PASS, QUIT, and CAPA.
    fn authorization(&mut self, command: Command, maildrop: &mut impl Maildrop) {
        // Whatever the command, the name of a USER before it is used up.
        let State::Authorization { user } = &mut self.state else {
            return;
        };
        let pending = user.take();
        match command {
            Command::User(name) => {
                // Always +OK: the answer does not tell which names exist.
                self.send(Response::ok(format!("{name}: send PASS")));
                self.state = State::Authorization { user: Some(name) };
            }
            Command::Pass(password) => match pending {
                None => self.fail(Response::err(
                    "send USER first: PASS must follow a successful USER (RFC 1939 section 7)",
                )),
                Some(user) => self.login(user, &password, maildrop),
            },
            Command::Quit => {
                let text = format!("{} POP3 server signing off", self.hostname);
                self.send(Response::ok(text));
                self.close(CloseReason::Quit);
            }
            Command::Capa => self.capa(),
            other => self.fail(Response::err(format!(
                "{} is not valid before login; log in with USER and PASS (RFC 1939 section 4)",
                other.keyword()
            ))),
        }
    }

    fn login(&mut self, user: String, password: &str, maildrop: &mut impl Maildrop) {
        if !maildrop.authenticate(&user, password) {
            // Back to the start of AUTHORIZATION (RFC 1939 §7).
            return self.fail(Response::err("authentication failed"));
        }
        let messages = maildrop
            .open(&user)
            .into_iter()
            .enumerate()
            .map(|(i, (uid, content))| Message {
                wire_uid: wire_uid(&uid, i + 1),
                uid,
                content,
                deleted: false,
            })
            .collect();
        let session = Session {
            user: user.clone(),
            messages,
        };
        let (count, size) = session.totals();
        self.state = State::Transaction(session);
        self.send(Response::ok(format!(
            "{user}'s maildrop has {} ({size} octets)",
            count_messages(count)
        )));
        self.events.push_back(Pop3ServerEvent::LoggedIn { user });
    }

    /// TRANSACTION state (RFC 1939 §5, §7).
    fn transaction(&mut self, command: Command, maildrop: &mut impl Maildrop) {
        match command {
            Command::Quit => return self.update(maildrop),
            Command::Capa => return self.capa(),
            Command::User(_) | Command::Pass(_) => {
                return self.fail(Response::err("already logged in"));
            }
            _ => {}
        }
        let State::Transaction(session) = &mut self.state else {
            return;
        };
        // Taking mail (RETR) or clearing it (DELE) is the work a session
        // is for: the counts of `session::limits` start again.
        let work = matches!(command, Command::Retr(_) | Command::Dele(_));
        let out = &mut self.outbox;
        let result = match command {
            Command::Stat => {
                let (count, size) = session.totals();
                out.response(&Response::ok(format!("{count} {size}")));
                Ok(())
            }
            Command::List(None) => {
                let (count, size) = session.totals();
                let status = Response::ok(format!("{} ({size} octets)", count_messages(count)));
                let lines = session
                    .live_messages()
                    .map(|(n, m)| format!("{n} {}", m.content.len()));
                out.listing(&status, lines);
                Ok(())
            }
            Command::List(Some(n)) => session.live(n).map(|m| {
                out.response(&Response::ok(format!("{n} {}", m.content.len())));
            }),
            Command::Uidl(None) => {
                let status = Response::ok("unique-id listing follows");
                let lines = session
                    .live_messages()
                    .map(|(n, m)| format!("{n} {}", m.wire_uid));
                out.listing(&status, lines);
                Ok(())
            }
            Command::Uidl(Some(n)) => session.live(n).map(|m| {
                out.response(&Response::ok(format!("{n} {}", m.wire_uid)));
            }),
            Command::Retr(n) => session.live(n).map(|m| {
                out.response(&Response::ok(format!("{} octets", m.content.len())));
                out.body(BodyStream::new(m.content.clone(), m.content.len()));
                self.events.push_back(Pop3ServerEvent::Retrieved {
                    user: session.user.clone(),
                    uid: m.uid.clone(),
                });
            }),
            Command::Top(n, lines) => session.live(n).map(|m| {
                out.response(&Response::ok(format!("top of message {n} follows")));
                out.body(BodyStream::new(
                    m.content.clone(),
                    top_end(&m.content, lines),
                ));
            }),
            Command::Dele(n) => session.dele(n).map(|()| {
                out.response(&Response::ok(format!("message {n} deleted")));
            }),
            Command::Rset => {
                session.messages.iter_mut().for_each(|m| m.deleted = false);
                let (count, size) = session.totals();
                let text = format!("maildrop has {} ({size} octets)", count_messages(count));
                out.response(&Response::ok(text));
                Ok(())
            }
            Command::Noop => {
                out.response(&Response::ok(""));
                Ok(())
            }
            // Answered above.
            Command::Quit | Command::Capa | Command::User(_) | Command::Pass(_) => Ok(()),
        };
        match result {
            Ok(()) if work => self.guard.on_progress(),
            Ok(()) => {}
            Err(response) => self.fail(response),
        }
    }

    /// QUIT in TRANSACTION state: UPDATE removes what was marked, then the
    /// session ends (RFC 1939 §6).
    fn update(&mut self, maildrop: &mut impl Maildrop) {
        let State::Transaction(session) = std::mem::replace(&mut self.state, State::Closed) else {
            return;
        };
        let uids: Vec<String> = session
            .messages
            .iter()
            .filter(|m| m.deleted)
            .map(|m| m.uid.clone())
            .collect();
        let (left, _) = session.totals();
        if !uids.is_empty() {
            maildrop.delete(&session.user, &uids);
            self.events.push_back(Pop3ServerEvent::Deleted {
                user: session.user,
                uids,
            });
        }
        let text = match left {
            0 => format!("{} POP3 server signing off (maildrop empty)", self.hostname),
            n => format!(
                "{} POP3 server signing off ({} left)",
                self.hostname,
                count_messages(n)
            ),
        };
        self.send(Response::ok(text));
        self.close(CloseReason::Quit);
    }

    /// CAPA: what this server offers, in either state (RFC 2449 §5).
    fn capa(&mut self) {
        let status = Response::ok("capability list follows");
        let capabilities = [
            "USER",
            "UIDL",
            "TOP",
            "PIPELINING",
            "IMPLEMENTATION mailflow",
        ];
        self.outbox
            .listing(&status, capabilities.map(str::to_owned));
    }
}

// Named in full: `Session` here is the TRANSACTION state's data.
impl<D: Maildrop> crate::session::Session<D> for Pop3Server {
    type Event = Pop3ServerEvent;

    fn handle_input(&mut self, bytes: &[u8], now: Instant, maildrop: &mut D) {
        Pop3Server::handle_input(self, bytes, now, maildrop);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Pop3Server::handle_timeout(self, now);
    }
    fn handle_close(&mut self) {
        Pop3Server::handle_close(self);
    }
    fn shutdown(&mut self) {
        Pop3Server::shutdown(self);
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        Pop3Server::poll_transmit(self)
    }
    fn poll_event(&mut self) -> Option<Pop3ServerEvent> {
        Pop3Server::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Pop3Server::poll_timeout(self)
    }
    fn is_closed(&self) -> bool {
        Pop3Server::is_closed(self)
    }
}

/// The status line as it goes on the wire: printable US-ASCII, whatever
/// the client sent that it echoes (see `crate::session::text`).
fn on_the_wire(response: &Response) -> std::borrow::Cow<'_, Response> {
    match printable(&response.text) {
        std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(response),
        std::borrow::Cow::Owned(text) => std::borrow::Cow::Owned(Response {
            status: response.status,
            text,
        }),
    }
}

/// "1 message", "2 messages".
fn count_messages(n: usize) -> String {
    match n {
        1 => "1 message".to_owned(),
        n => format!("{n} messages"),
    }
}

/// Message number `n` (1-based) as an index; 0 maps past any end.
fn index(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).wrapping_sub(1)
}

/// The unique id as UIDL shows it: characters `!` to `~` only, at most 70
/// (RFC 1939 §7); an id with none left is named after its number.
fn wire_uid(uid: &str, number: usize) -> String {
    let shown: String = uid
        .chars()
        .filter(|c| ('!'..='~').contains(c))
        .take(70)
        .collect();
    if shown.is_empty() {
        format!("mailflow-{number}")
    } else {
        shown
    }
}

/// Where TOP stops: after the headers, the blank line, and `lines` lines
/// of the body (RFC 1939 §7). Lines end with CRLF (RFC 1939 §5); a message
/// without a blank line is all header and is sent whole.
fn top_end(content: &[u8], lines: u32) -> usize {
    let body_start = if content.starts_with(b"\r\n") {
        2
    } else {
        match find(content, 0, b"\r\n\r\n") {
            Some(i) => i + 4,
            None => return content.len(),
        }
    };
    let mut end = body_start;
    for _ in 0..lines {
        match find(content, end, b"\r\n") {
            Some(i) => end = i + 2,
            None => return content.len(),
        }
    }
    end
}

/// Where `needle` first occurs in `content` at or after `from`.
fn find(content: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    content
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::maildrop::MemoryMaildrop;
    use crate::session::limits::DEFAULT_MAX_ERRORS as MAX_ERRORS;
    use crate::session::test_rng::Rng;

    const ONE: &[u8] = b"Subject: one\r\n\r\nHello.\r\n";
    const TWO: &[u8] = b"Subject: two\r\nX-Dots: yes\r\n\r\n.leading dot\r\n.\r\nline 3\r\n";

    fn bob() -> MemoryMaildrop {
        let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
        drop.deliver("bob", "u-one", ONE);
        drop.deliver("bob", "u-two", TWO);
        drop
    }

    const LOGIN: &str = "USER bob\r\nPASS secret\r\n";

    /// Everything the server sends to `input` (the greeting and the reply to
    /// the login excluded when `login` is given).
    fn talk(server: &mut Pop3Server, drop: &mut MemoryMaildrop, input: &str) -> String {
        server.handle_input(input.as_bytes(), Instant::now(), drop);
        let mut out = Vec::new();
        while let Some(chunk) = server.poll_transmit() {
            out.extend_from_slice(&chunk);
        }
        String::from_utf8(out).expect("test replies are UTF-8")
    }

    /// A server for bob, logged in unless `login` is false; returns it with
    /// the replies to `input`.
    fn session(login: bool, input: &str) -> (Pop3Server, MemoryMaildrop, String) {
        let mut drop = bob();
        let mut server = Pop3Server::new("pop.example.net", Instant::now());
        server.poll_transmit();
        if login {
            talk(&mut server, &mut drop, LOGIN);
        }
        let out = talk(&mut server, &mut drop, input);
        (server, drop, out)
    }

    fn replies(login: bool, input: &str) -> String {
        session(login, input).2
    }

    /// The status indicators of single-line replies only.
    fn statuses(login: bool, input: &str) -> Vec<bool> {
        replies(login, input)
            .lines()
            .map(|l| {
                assert!(l.starts_with("+OK") || l.starts_with("-ERR"), "{l}");
                l.starts_with("+OK")
            })
            .collect()
    }

    fn events(server: &mut Pop3Server) -> Vec<Pop3ServerEvent> {
        std::iter::from_fn(|| server.poll_event()).collect()
    }

    #[test]
    fn greeting_is_plus_ok_and_authorization_rfc1939_4() {
        let mut server = Pop3Server::new("pop.example.net", Instant::now());
        assert_eq!(
            server.poll_transmit().unwrap(),
            b"+OK pop.example.net POP3 ready\r\n"
        );
        assert_eq!(server.state(), SessionState::Authorization);
    }

    #[test]
    fn user_then_pass_logs_in_rfc1939_7() {
        let (mut server, _, out) = session(false, LOGIN);
        assert_eq!(
            out,
            "+OK bob: send PASS\r\n+OK bob's maildrop has 2 messages (78 octets)\r\n"
        );
        assert_eq!(server.state(), SessionState::Transaction);
        assert_eq!(
            events(&mut server),
            [Pop3ServerEvent::LoggedIn { user: "bob".into() }]
        );
    }

    #[test]
    fn pass_without_user_is_err_rfc1939_7() {
        assert_eq!(statuses(false, "PASS secret\r\n"), [false]);
        // Something between USER and PASS: PASS no longer follows USER.
        assert_eq!(
            statuses(false, "USER bob\r\nNOOP\r\nPASS secret\r\n"),
            [true, false, false]
        );
    }

    #[test]
    fn wrong_password_is_err_and_back_to_authorization_rfc1939_7() {
        let input = "USER bob\r\nPASS wrong\r\nPASS secret\r\nUSER bob\r\nPASS secret\r\n";
        let (server, _, out) = session(false, input);
        let status: Vec<bool> = out.lines().map(|l| l.starts_with("+OK")).collect();
        assert_eq!(status, [true, false, false, true, true]);
        assert_eq!(server.state(), SessionState::Transaction);
        // The same answer for a name that does not exist.
        assert_eq!(
            replies(false, "USER nobody\r\nPASS secret\r\n"),
            "+OK nobody: send PASS\r\n-ERR authentication failed\r\n"
        );
    }

    #[test]
    fn transaction_commands_before_login_are_err_rfc1939_4() {
        let input = "STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRSET\r\nNOOP\r\nUIDL\r\nTOP 1 1\r\n";
        let (server, _, out) = session(false, input);
        assert_eq!(out.lines().count(), 8);
        assert!(out.lines().all(|l| l.starts_with("-ERR")));
        assert!(out.contains("RETR is not valid before login"));
        assert_eq!(server.state(), SessionState::Authorization);
    }

    #[test]
    fn user_and_pass_after_login_are_err_rfc1939_5() {
        assert_eq!(
            statuses(true, "USER eve\r\nPASS x\r\nNOOP\r\n"),
            [false, false, true]
        );
    }

    #[test]
    fn stat_counts_messages_and_octets_but_not_deleted_ones_rfc1939_5() {
        assert_eq!(replies(true, "STAT\r\n"), "+OK 2 78\r\n");
        assert_eq!(
            replies(true, "DELE 1\r\nSTAT\r\n"),
            "+OK message 1 deleted\r\n+OK 1 54\r\n"
        );
    }

    #[test]
    fn list_with_and_without_argument_rfc1939_5() {
        assert_eq!(
            replies(true, "LIST\r\n"),
            "+OK 2 messages (78 octets)\r\n1 24\r\n2 54\r\n.\r\n"
        );
        assert_eq!(replies(true, "LIST 2\r\n"), "+OK 2 54\r\n");
        assert_eq!(
            replies(true, "LIST 3\r\n"),
            "-ERR no such message, only 2 messages in maildrop\r\n"
        );
        // A deleted message is left out, and the numbers stay as they were.
        assert_eq!(
            replies(true, "DELE 1\r\nLIST\r\n"),
            "+OK message 1 deleted\r\n+OK 1 message (54 octets)\r\n2 54\r\n.\r\n"
        );
    }

    #[test]
    fn uidl_with_and_without_argument_rfc1939_7() {
        assert_eq!(
            replies(true, "UIDL\r\n"),
            "+OK unique-id listing follows\r\n1 u-one\r\n2 u-two\r\n.\r\n"
        );
        assert_eq!(replies(true, "UIDL 1\r\n"), "+OK 1 u-one\r\n");
        assert_eq!(statuses(true, "UIDL 7\r\n"), [false]);
    }

    #[test]
    fn retr_is_byte_stuffed_and_ends_with_a_dot_rfc1939_5() {
        let (mut server, _, out) = session(true, "RETR 2\r\n");
        assert_eq!(
            out,
            "+OK 54 octets\r\nSubject: two\r\nX-Dots: yes\r\n\r\n..leading dot\r\n..\r\nline 3\r\n.\r\n"
        );
        assert!(events(&mut server).contains(&Pop3ServerEvent::Retrieved {
            user: "bob".into(),
            uid: "u-two".into()
        }));
    }

    #[test]
    fn message_without_final_crlf_gets_one_before_the_dot_rfc1939_3() {
        let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
        drop.deliver("bob", "x", &b"Subject: x\r\n\r\nno end"[..]);
        let mut server = Pop3Server::new("pop", Instant::now());
        server.poll_transmit();
        let out = talk(
            &mut server,
            &mut drop,
            "USER bob\r\nPASS secret\r\nRETR 1\r\n",
        );
        assert!(out.ends_with("+OK 20 octets\r\nSubject: x\r\n\r\nno end\r\n.\r\n"));
    }

    #[test]
    fn deleted_message_cannot_be_referred_to_rfc1939_5() {
        let input = "DELE 1\r\nRETR 1\r\nTOP 1 0\r\nLIST 1\r\nUIDL 1\r\nDELE 1\r\nRETR 2\r\n";
        let out = replies(true, input);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "+OK message 1 deleted");
        for line in &lines[1..6] {
            assert_eq!(*line, "-ERR message 1 already deleted");
        }
        assert_eq!(lines[6], "+OK 54 octets");
    }

    #[test]
    fn dele_then_rset_restores_rfc1939_5() {
        let (mut server, drop, out) = session(true, "DELE 1\r\nDELE 2\r\nRSET\r\nSTAT\r\nQUIT\r\n");
        assert!(out.contains("+OK maildrop has 2 messages (78 octets)\r\n+OK 2 78\r\n"));
        assert!(out.ends_with("signing off (2 messages left)\r\n"));
        assert_eq!(drop.messages("bob").len(), 2);
        assert!(
            !events(&mut server)
                .iter()
                .any(|e| matches!(e, Pop3ServerEvent::Deleted { .. }))
        );
    }

    #[test]
    fn dele_then_quit_deletes_in_update_rfc1939_6() {
        let (mut server, drop, out) = session(true, "DELE 2\r\nQUIT\r\nNOOP\r\n");
        assert!(out.ends_with("+OK pop.example.net POP3 server signing off (1 message left)\r\n"));
        assert_eq!(drop.messages("bob").len(), 1);
        assert_eq!(drop.messages("bob")[0].0, "u-one");
        assert!(server.is_closed());
        let events = events(&mut server);
        assert_eq!(
            events[1..],
            [
                Pop3ServerEvent::Deleted {
                    user: "bob".into(),
                    uids: vec!["u-two".into()]
                },
                Pop3ServerEvent::Closed {
                    reason: CloseReason::Quit
                }
            ]
        );
    }

    #[test]
    fn quit_in_authorization_just_closes_rfc1939_4() {
        let (mut server, _, out) = session(false, "QUIT\r\n");
        assert_eq!(out, "+OK pop.example.net POP3 server signing off\r\n");
        assert_eq!(
            events(&mut server),
            [Pop3ServerEvent::Closed {
                reason: CloseReason::Quit
            }]
        );
    }

    #[test]
    fn autologout_closes_silently_without_update_rfc1939_3() {
        let now = Instant::now();
        let (mut server, mut drop, _) = session(true, "DELE 1\r\n");
        let deadline = server.poll_timeout().unwrap();
        assert!(deadline >= now + AUTOLOGOUT);
        server.handle_timeout(deadline - Duration::from_secs(1));
        assert!(!server.is_closed());
        server.handle_timeout(deadline);
        assert!(server.is_closed());
        assert_eq!(server.poll_transmit(), None, "no response on autologout");
        assert_eq!(server.poll_timeout(), None);
        assert!(events(&mut server).contains(&Pop3ServerEvent::Closed {
            reason: CloseReason::Timeout
        }));
        assert_eq!(drop.open("bob").len(), 2);
    }

    #[test]
    fn any_command_resets_the_autologout_timer_rfc1939_3() {
        let start = Instant::now();
        let mut drop = bob();
        let mut server = Pop3Server::new("pop", start);
        assert_eq!(server.poll_timeout(), Some(start + AUTOLOGOUT));
        let later = start + Duration::from_secs(9 * 60);
        server.handle_input(b"NOOP\r\n", later, &mut drop);
        assert_eq!(server.poll_timeout(), Some(later + AUTOLOGOUT));
        server.handle_timeout(start + AUTOLOGOUT);
        assert!(!server.is_closed());
    }

    #[test]
    fn dropped_connection_deletes_nothing_rfc1939_6() {
        let (mut server, drop, _) = session(true, "DELE 1\r\nDELE 2\r\n");
        server.handle_close();
        assert!(server.is_closed());
        assert_eq!(drop.messages("bob").len(), 2);
        assert_eq!(
            events(&mut server).last(),
            Some(&Pop3ServerEvent::Closed {
                reason: CloseReason::PeerClosed
            })
        );
    }

    #[test]
    fn top_sends_headers_blank_line_and_n_body_lines_rfc1939_7() {
        assert_eq!(
            replies(true, "TOP 2 1\r\n"),
            "+OK top of message 2 follows\r\nSubject: two\r\nX-Dots: yes\r\n\r\n..leading dot\r\n.\r\n"
        );
        assert_eq!(
            replies(true, "TOP 2 0\r\n"),
            "+OK top of message 2 follows\r\nSubject: two\r\nX-Dots: yes\r\n\r\n.\r\n"
        );
        // More lines than the body has: the whole message.
        let whole = replies(true, "TOP 2 99\r\n");
        assert!(whole.ends_with("..leading dot\r\n..\r\nline 3\r\n.\r\n"));
    }

    #[test]
    fn top_end_finds_the_blank_line_rfc1939_7() {
        assert_eq!(top_end(b"A: b\r\n\r\nx\r\ny\r\n", 0), 8);
        assert_eq!(top_end(b"A: b\r\n\r\nx\r\ny\r\n", 1), 11);
        assert_eq!(top_end(b"A: b\r\n\r\nx\r\ny", 5), 12);
        assert_eq!(top_end(b"\r\nbody\r\n", 0), 2);
        assert_eq!(top_end(b"A: b\r\nno blank line\r\n", 0), 21);
        assert_eq!(top_end(b"", 3), 0);
    }

    #[test]
    fn capa_lists_what_is_offered_in_either_state_rfc2449_5() {
        let expected = "+OK capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n\
                        IMPLEMENTATION mailflow\r\n.\r\n";
        assert_eq!(replies(false, "CAPA\r\n"), expected);
        assert_eq!(replies(true, "CAPA\r\n"), expected);
    }

    #[test]
    fn unknown_and_unoffered_commands_are_err_rfc1939_3() {
        let out = replies(false, "XTND XMIT\r\nAPOP bob 0123\r\nretr\r\n");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("-ERR unknown command \"XTND\""));
        assert!(lines[1].starts_with("-ERR APOP is not offered here"));
        assert!(lines[2].starts_with("-ERR syntax: RETR msg"));
    }

    #[test]
    fn command_line_over_255_octets_is_err_rfc2449_4() {
        let fits = format!("USER {}\r\n", "x".repeat(255 - 7));
        let long = format!("USER {}\r\n", "x".repeat(255 - 6));
        let out = replies(false, &format!("{fits}{long}QUIT\r\n"));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("+OK"));
        assert!(lines[1].starts_with("-ERR line too long"));
        assert!(lines[2].starts_with("+OK"));
        assert_eq!(statuses(false, "NOOP\nQUIT\r\n"), [false, true]);
    }

    #[test]
    fn endless_line_stays_bounded_rfc2449_4() {
        let mut drop = bob();
        let mut server = Pop3Server::new("pop", Instant::now());
        server.poll_transmit();
        for _ in 0..1000 {
            server.handle_input(&[b'x'; 1000], Instant::now(), &mut drop);
        }
        server.handle_input(b"\r\nQUIT\r\n", Instant::now(), &mut drop);
        let out = server.poll_transmit().unwrap();
        assert!(out.starts_with(b"-ERR line too long"));
        assert!(server.is_closed());
    }

    #[test]
    fn pipelined_commands_are_answered_in_order_in_one_transmit_rfc2449_6_6() {
        let mut drop = bob();
        let mut server = Pop3Server::new("pop", Instant::now());
        server.poll_transmit();
        let input = format!("{LOGIN}STAT\r\nRETR 1\r\nLIST 2\r\nQUIT\r\n");
        server.handle_input(input.as_bytes(), Instant::now(), &mut drop);
        let chunk = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
        assert_eq!(server.poll_transmit(), None);
        assert_eq!(
            chunk,
            "+OK bob: send PASS\r\n+OK bob's maildrop has 2 messages (78 octets)\r\n\
             +OK 2 78\r\n+OK 24 octets\r\nSubject: one\r\n\r\nHello.\r\n.\r\n+OK 2 54\r\n\
             +OK pop POP3 server signing off (2 messages left)\r\n"
        );
    }

    #[test]
    fn big_message_leaves_in_chunks() {
        let mut content = b"Subject: big\r\n\r\n".to_vec();
        for i in 0..20_000 {
            content.extend_from_slice(format!(".line {i}\r\n").as_bytes());
        }
        let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
        drop.deliver("bob", "big", content.clone());
        let mut server = Pop3Server::new("pop", Instant::now());
        server.poll_transmit();
        server.handle_input(
            b"USER bob\r\nPASS secret\r\nRETR 1\r\n",
            Instant::now(),
            &mut drop,
        );
        let mut wire = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = server.poll_transmit() {
            assert!(chunk.len() <= 2 * TRANSMIT_CHUNK + 5);
            wire.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert!(chunks > 2);
        let body_start = wire.windows(8).position(|w| w == b"octets\r\n").unwrap() + 8;
        let mut expected = Vec::new();
        crate::session::stuffing::stuff(&content, &mut expected);
        assert_eq!(wire[body_start..], expected[..]);
    }

    #[test]
    fn pipelining_without_reading_is_cut_off_at_the_backlog() {
        let mut drop = MemoryMaildrop::new().with_account("bob", "secret");
        for i in 0..10_000 {
            drop.deliver("bob", &format!("u{i}"), &b"x\r\n"[..]);
        }
        let mut server = Pop3Server::new("pop", Instant::now());
        server.handle_input(b"USER bob\r\nPASS secret\r\n", Instant::now(), &mut drop);
        let flood = "UIDL\r\n".repeat(10_000);
        server.handle_input(flood.as_bytes(), Instant::now(), &mut drop);
        assert!(server.outbox.backlog <= MAX_BACKLOG + 200_000);
        assert!(server.is_closed());
        assert!(events(&mut server).contains(&Pop3ServerEvent::Closed {
            reason: CloseReason::Backlog
        }));
        let mut last = Vec::new();
        while let Some(chunk) = server.poll_transmit() {
            last = chunk;
        }
        assert!(last.ends_with(b"-ERR too many commands without reading the replies; closing\r\n"));
        assert_eq!(server.outbox.backlog, 0);
    }

    #[test]
    fn too_many_errors_end_the_session() {
        let (server, _, out) = session(false, &"XYZZY\r\n".repeat(30));
        assert_eq!(out.lines().count(), MAX_ERRORS + 1);
        assert!(out.ends_with("-ERR too many errors; closing\r\n"));
        assert!(server.is_closed());
    }

    #[test]
    fn unique_ids_are_shown_in_the_grammar_of_rfc1939_7() {
        assert_eq!(wire_uid("abc-123", 1), "abc-123");
        assert_eq!(wire_uid("a b\r\nc", 1), "abc");
        assert_eq!(wire_uid("é", 4), "mailflow-4");
        assert_eq!(wire_uid(&"x".repeat(100), 1).len(), 70);
    }

    /// Random bytes, often built from pieces of real commands so that they
    /// reach past AUTHORIZATION.
    fn hostile_input(rng: &mut Rng) -> Vec<u8> {
        const PIECES: [&[u8]; 16] = [
            b"USER bob\r\n",
            b"PASS secret\r\n",
            b"RETR 1\r\n",
            b"TOP 2 1\r\n",
            b"LIST\r\n",
            b"UIDL 2\r\n",
            b"DELE 1\r\n",
            b"RSET\r\n",
            b"STAT\r\n",
            b"CAPA\r\n",
            b"\r\n",
            b"\n",
            b".",
            b" ",
            b"RETR 4294967295\r\n",
            b"\xff\x00",
        ];
        let mut out = Vec::new();
        for _ in 0..rng.below(40) {
            if rng.below(3) == 0 {
                let len = rng.below(300);
                out.extend((0..len).map(|_| rng.next() as u8));
            } else {
                out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
            }
        }
        out
    }

    #[test]
    fn hostile_input_never_panics_and_stays_bounded() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let start = Instant::now();
        for case in 0..400 {
            let mut drop = bob();
            let mut server = Pop3Server::new("pop", start);
            if case % 2 == 0 {
                server.handle_input(LOGIN.as_bytes(), start, &mut drop);
            }
            let mut now = start;
            for _ in 0..rng.below(8) + 1 {
                let input = hostile_input(&mut rng);
                let mut at = 0;
                while at < input.len() {
                    let cut = (at + rng.below(64) + 1).min(input.len());
                    server.handle_input(&input[at..cut], now, &mut drop);
                    at = cut;
                    assert!(server.outbox.backlog <= MAX_BACKLOG);
                }
                while let Some(chunk) = server.poll_transmit() {
                    assert!(chunk.len() <= 2 * TRANSMIT_CHUNK + 5);
                }
                now += Duration::from_secs(rng.below(700) as u64);
                server.handle_timeout(now);
            }
            server.handle_close();
            assert!(server.is_closed());
            let closes = events(&mut server)
                .iter()
                .filter(|e| matches!(e, Pop3ServerEvent::Closed { .. }))
                .count();
            assert_eq!(closes, 1, "case {case}");
            // Deletions happen only through QUIT, and leave a consistent drop.
            assert!(drop.messages("bob").len() <= 2);
        }
    }
}
