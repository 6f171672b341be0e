//! The server side of an SMTP session as a sans-IO machine.
//!
//! Feed it what the client sent (`handle_input`), tell it about time
//! (`handle_timeout`), and collect what it wants to send (`poll_transmit`)
//! and what happened (`poll_event`). It reads no clock and does no IO; policy
//! questions go to the host through [`Policy`].
//!
//! Every reply produced while consuming one chunk of input leaves in one
//! transmit, so a pipelined group is answered together (RFC 2920 §3.2).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::address::{ForwardPath, ReversePath, text_of};
use super::command::{Command, MailParams, RcptParams};
use super::extensions::{Extensions, Mechanism};
use super::policy::{Envelope, Peer, Policy};
use super::reply::{EnhancedCode, Reply};
use super::whatif::{Instead, Step};
use crate::session::stuffing::{DataFaults, DataReceiver, MAX_TEXT_LINE};
use crate::session::text::printable;
use crate::session::{Guard, Limit, LineBuffer, LineError, Session, SessionLimits};

mod chunking;
mod dsn;
mod hold;

pub use crate::session::CloseReason;

/// Longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;
/// How long a server waits for the next command (RFC 5321 §4.5.3.2.7).
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Octets of one unended line after which the client is cut off: 128
/// times the longest command line, far past any honest mistake.
pub const MAX_OVERLONG: usize = 128 * MAX_COMMAND_LINE;

const fn esc(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
    Some(EnhancedCode::new(class, subject, detail))
}

/// What to do with a message whose data holds a bare CR or LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BareLineEndings {
    /// Refuse it at end of data with 554 5.6.0 and say why (the default:
    /// a relay that passes bare LFs on helps SMTP smuggling).
    #[default]
    Refuse,
    /// Keep them as ordinary data bytes.
    Keep,
}

/// Whether a server offers STARTTLS (RFC 3207).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tls {
    /// No TLS here: STARTTLS is an unknown command (502).
    #[default]
    Off,
    /// Offered after EHLO; the client may go on in plaintext.
    Offered,
    /// Offered, and nothing but EHLO, HELO, STARTTLS, NOOP, RSET, HELP and
    /// QUIT is served before it (530 5.7.0, RFC 3207 §4); AUTH is not
    /// offered in plaintext (RFC 4954 §4, 538 5.7.11 when tried).
    Required,
    /// TLS from the first octet (RFC 8314 §3.3, port 465): the greeting
    /// waits for the handshake, and STARTTLS is never offered.
    Implicit,
}

/// How a server session behaves; the policy answers the rest.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// A submission port (587, RFC 6409): offers AUTH PLAIN LOGIN and
    /// requires it before MAIL.
    pub submission: bool,
    pub bare_line_endings: BareLineEndings,
    /// Advertise PIPELINING (RFC 2920). Pipelined input is answered in
    /// order either way; without it, clients send one command at a time.
    pub pipelining: bool,
    pub tls: Tls,
    /// Offer CHUNKING and BINARYMIME (RFC 3030): BDAT beside DATA.
    pub chunking: bool,
    /// The idle timer ([`SERVER_TIMEOUT`]), the endless-line bound
    /// ([`MAX_OVERLONG`]), and what a host adds (real clients of
    /// `mailflow serve` get an allowance and counts). Past any of them the
    /// session ends with 421.
    pub limits: SessionLimits,
    /// Offer DSN (RFC 3461) after EHLO and take its parameters; without
    /// it they are unknown parameters (555), as before the extension.
    pub dsn: bool,
}

impl ServerConfig {
    pub fn new(hostname: &str) -> ServerConfig {
        ServerConfig {
            hostname: hostname.to_owned(),
            submission: false,
            bare_line_endings: BareLineEndings::Refuse,
            pipelining: true,
            tls: Tls::Off,
            chunking: false,
            limits: SessionLimits::new(SERVER_TIMEOUT, MAX_OVERLONG),
            dsn: true,
        }
    }

    pub fn submission(mut self) -> ServerConfig {
        self.submission = true;
        self
    }
}

/// What happened in the session, for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// EHLO (`esmtp`) or HELO succeeded.
    Greeted {
        domain: String,
        esmtp: bool,
    },
    Authenticated {
        user: String,
    },
    /// 220 to STARTTLS is on its way: every byte after it, both ways, is
    /// TLS (RFC 3207 §4). `discarded` plaintext octets came behind the
    /// STARTTLS line and were thrown away unread (§4.2: the CVE-2011-0411
    /// command injection).
    TlsStarting {
        discarded: usize,
    },
    /// MAIL FROM was accepted: a transaction began.
    SenderAccepted {
        reverse_path: ReversePath,
    },
    RecipientAccepted {
        forward_path: ForwardPath,
    },
    /// A message was accepted with a 250 after its data.
    MessageReceived {
        envelope: Envelope,
        content: Vec<u8>,
        queue_id: String,
    },
    /// The message was refused after its data; the reply says why.
    MessageRefused {
        envelope: Envelope,
        reply: Reply,
    },
    Closed {
        reason: CloseReason,
    },
}

#[derive(Debug)]
enum Phase {
    /// Service was refused with 554: only QUIT is answered with 221 (§3.1).
    Refused,
    Commands,
    /// After 354: the open transaction travels with its data, so the end
    /// of data always has an envelope to judge.
    Data {
        envelope: Envelope,
        rx: Box<DataReceiver>,
    },
    Auth(AuthStep),
    /// A what-if silenced the server: it reads and answers nothing until
    /// the client goes or the idle timer ends the session, without a word.
    Silent,
    /// Reading the octets of a BDAT chunk (RFC 3030 §2; see `chunking`).
    Chunk(Box<chunking::Chunk>),
    /// The host is checking (SPF, DKIM, DMARC ask DNS): the answer waits,
    /// and input waits unread behind it (see `hold`).
    Held(hold::Held),
    Closed,
}

#[derive(Debug)]
enum AuthStep {
    PlainResponse,
    LoginUser,
    LoginPassword { user: String },
}

/// The server side of one SMTP connection.
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    phase: Phase,
    peer: Peer,
    /// EHLO was used (rather than HELO): extensions apply.
    esmtp: bool,
    /// The transaction MAIL opened, until DATA takes it into `Phase::Data`.
    transaction: Option<Envelope>,
    lines: LineBuffer,
    /// The command line being answered, copied out of `lines` into a
    /// buffer that is kept: no allocation per command.
    line: Vec<u8>,
    outbox: Vec<u8>,
    events: VecDeque<ServerEvent>,
    guard: Guard,
    /// STARTTLS was just answered with 220: the rest of this input is
    /// plaintext sent before TLS, and is dropped.
    tls_starting: bool,
    /// The driver has not yet been told to start TLS.
    tls_start_untold: bool,
    /// Implicit TLS: the greeting, sent once the handshake completes.
    held_greeting: Vec<u8>,
    /// The message BDAT chunks have brought so far in this transaction.
    chunked: Option<Box<chunking::Chunked>>,
    /// The last EHLO reply listed CHUNKING: BDAT lines carry chunks.
    chunking_offered: bool,
}

impl ServerSession {
    /// Opens a session: the greeting (220, or 554 when the policy refuses
    /// service) is ready to transmit at once.
    pub fn new(
        config: ServerConfig,
        peer: Peer,
        now: Instant,
        policy: &mut impl Policy,
    ) -> ServerSession {
        let mut session = ServerSession {
            guard: Guard::new(config.limits.clone(), now),
            config,
            phase: Phase::Commands,
            peer,
            esmtp: false,
            transaction: None,
            lines: LineBuffer::new(MAX_COMMAND_LINE),
            line: Vec::new(),
            outbox: Vec::new(),
            events: VecDeque::new(),
            tls_starting: false,
            tls_start_untold: false,
            held_greeting: Vec::new(),
            chunked: None,
            chunking_offered: false,
        };
        if session.config.tls == Tls::Implicit {
            // RFC 8314 §3.3: TLS first; the greeting is its first record.
            session.peer.tls = true;
            session.tls_start_untold = true;
        }
        session.greet(policy);
        if session.config.tls == Tls::Implicit {
            session.held_greeting = std::mem::take(&mut session.outbox);
        }
        session
    }

    /// The greeting: 220, 554 when the policy refuses service, or what a
    /// what-if puts in its place.
    fn greet(&mut self, policy: &mut impl Policy) {
        let session = self;
        if let Some(instead) = policy.instead(Step::Connect) {
            session.greet_instead(instead);
            return;
        }
        match policy.greeting(&session.peer) {
            Ok(()) => {
                // `concat` sizes the text once; `format!` grows it from nothing.
                let text = [session.config.hostname.as_str(), " ESMTP mailflow ready"].concat();
                session.send(Reply::new(220, None, text));
            }
            Err(text) => {
                session.phase = Phase::Refused;
                session.send(Reply::new(554, esc(5, 7, 1), text));
            }
        }
    }

    /// What the server knows of its client.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// True while the session reads message data rather than commands.
    pub fn in_data(&self) -> bool {
        matches!(self.phase, Phase::Data { .. })
    }

    /// Bytes received from the client.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant, policy: &mut impl Policy) {
        if self.is_closed() {
            return;
        }
        if let Err(limit) = self.guard.on_input(bytes.len(), now) {
            return self.close_for(limit);
        }
        if matches!(self.phase, Phase::Silent) {
            return;
        }
        if matches!(self.phase, Phase::Held(_)) {
            return self.lines.push(bytes);
        }
        let mut input = bytes;
        if self.in_data() {
            let used = self.feed_data(input, policy);
            input = &input[used..];
        }
        if self.in_chunk() {
            let used = self.read_chunk(input, policy);
            input = &input[used..];
        }
        self.lines.push(input);
        self.read_lines(policy);
    }

    /// Answers the complete lines waiting in the buffer, until a what-if
    /// silences the server or the host holds the answer.
    fn read_lines(&mut self, policy: &mut impl Policy) {
        while !self.is_closed() && !matches!(self.phase, Phase::Silent | Phase::Held(_)) {
            let line = match self.lines.next_line_ref() {
                None => break,
                Some(Ok(line)) => {
                    self.line.clear();
                    self.line.extend_from_slice(line);
                    Ok(())
                }
                Some(Err(e)) => Err(e),
            };
            match line {
                Ok(()) => {
                    let line = std::mem::take(&mut self.line);
                    self.handle_line(&line, policy);
                    self.line = line;
                }
                Err(LineError::TooLong(_)) => self.fail(line_too_long()),
                Err(LineError::BareLf) => self.fail(Reply::new(
                    500,
                    esc(5, 5, 2),
                    "Bare LF: command lines must end with CRLF (RFC 5321 section 2.3.8)",
                )),
            }
            if self.tls_starting {
                self.tls_starting = false;
                let discarded = self.lines.unread().len();
                self.lines.consume(discarded);
                self.events
                    .push_back(ServerEvent::TlsStarting { discarded });
                self.tls_start_untold = true;
                break;
            }
            if let Phase::Data { rx, .. } = &mut self.phase {
                // The data may have arrived pipelined behind DATA's line:
                // read it in place, without copying what follows it.
                let (used, done) = rx.ingest(self.lines.unread());
                self.lines.consume(used);
                if done {
                    self.finish_data(policy);
                }
            }
            if self.in_chunk() {
                // A chunk's octets follow its BDAT line at once.
                self.read_chunk_from_lines(policy);
            }
        }
        if !self.is_closed()
            && let Err(limit) = self.guard.check_overlong(self.lines.overlong())
        {
            // Not SMTP any more: waiting for the line's end could last
            // forever. Say why, then go (RFC 5321 §4.5.3.1.4, §3.8).
            self.send(line_too_long());
            self.close_for(limit);
        }
    }

    /// The host says what time it is; past the idle timer or the session's
    /// allowance the session ends with 421 (RFC 5321 §4.5.3.2.7).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if let Some(limit) = self.guard.expired(now) {
            if matches!(self.phase, Phase::Silent) {
                // Silent to the end: no 421 either.
                self.phase = Phase::Closed;
                self.events.push_back(ServerEvent::Closed {
                    reason: limit.into(),
                });
                return;
            }
            self.close_for(limit);
        }
    }

    /// When the host should call `handle_timeout` next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.guard.next_timeout()
        }
    }

    /// The client closed the connection; an open transaction is dropped.
    pub fn handle_close(&mut self) {
        if !self.is_closed() {
            self.phase = Phase::Closed;
            self.transaction = None;
            self.events.push_back(ServerEvent::Closed {
                reason: CloseReason::PeerClosed,
            });
        }
    }

    /// The host is going down: 421 and close (RFC 5321 §3.8).
    pub fn shutdown(&mut self) {
        if matches!(self.phase, Phase::Silent) {
            self.phase = Phase::Closed;
            self.events.push_back(ServerEvent::Closed {
                reason: CloseReason::Shutdown,
            });
        } else if !self.is_closed() {
            let text = format!(
                "{} Service shutting down; try again later",
                self.config.hostname
            );
            self.close(Reply::new(421, esc(4, 3, 2), text), CloseReason::Shutdown);
        }
    }

    /// Bytes to send to the client: every reply produced so far, together.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.outbox.is_empty()).then(|| std::mem::take(&mut self.outbox))
    }

    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn send(&mut self, reply: Reply) {
        on_the_wire(reply).encode(&mut self.outbox);
    }

    /// A failed command: reply, and give up after too many.
    fn fail(&mut self, reply: Reply) {
        self.send(reply);
        if let Err(limit) = self.guard.on_error() {
            self.close_for(limit);
        }
    }

    /// A command that does no work: answered, and counted as junk (see
    /// `session::limits`); too much junk without mail counts as errors.
    fn junk(&mut self, reply: Reply) {
        self.send(reply);
        if let Err(limit) = self.guard.on_junk() {
            self.close_for(limit);
        }
    }

    /// Past a limit: 421 in SMTP's words (RFC 5321 §3.8), then close.
    /// Time is 4.4.2 (a connection timed out); a count is 4.7.0 (refused
    /// for this client by the server's rules).
    fn close_for(&mut self, limit: Limit) {
        let host = &self.config.hostname;
        let (enhanced, text) = match limit {
            Limit::Idle => (
                esc(4, 4, 2),
                format!("{host} Timeout waiting for the client; closing connection"),
            ),
            Limit::Allowance => (
                esc(4, 4, 2),
                format!("{host} Session too long; closing connection"),
            ),
            Limit::Commands => (
                esc(4, 7, 0),
                "Too many commands without mail; closing connection".to_owned(),
            ),
            Limit::Input => (
                esc(4, 7, 0),
                "Too much data without mail; closing connection".to_owned(),
            ),
            Limit::Errors => (
                esc(4, 7, 0),
                "Too many errors; closing connection".to_owned(),
            ),
            Limit::Overlong => (
                esc(4, 7, 0),
                "Too much input without a line end; closing connection".to_owned(),
            ),
        };
        self.close(Reply::new(421, enhanced, text), limit.into());
    }

    fn close(&mut self, reply: Reply, reason: CloseReason) {
        self.send(reply);
        self.phase = Phase::Closed;
        self.events.push_back(ServerEvent::Closed { reason });
    }

    fn handle_line(&mut self, line: &[u8], policy: &mut impl Policy) {
        if let Err(limit) = self.guard.on_line() {
            return self.close_for(limit);
        }
        match &self.phase {
            Phase::Refused => match Command::parse(line) {
                Ok(Command::Quit) => self.quit(),
                Ok(Command::Bdat { size, last }) => self.bdat(size, last, policy),
                _ => self.fail(Reply::new(503, esc(5, 5, 1), "No service here; send QUIT")),
            },
            // The line answers the challenge; the step is used up by it.
            Phase::Auth(_) => {
                if let Phase::Auth(step) = std::mem::replace(&mut self.phase, Phase::Commands) {
                    self.auth_response(step, line, policy);
                }
            }
            _ => match Command::parse(line) {
                // Its octets follow whatever the answer: decided apart.
                Ok(Command::Bdat { size, last }) => self.bdat(size, last, policy),
                Ok(command) => match Step::of(&command).and_then(|s| policy.instead(s)) {
                    Some(instead) => self.command_instead(command, instead, policy),
                    None => self.handle_command(command, policy),
                },
                Err(error) => self.fail(self.reply_to_bad_line(&error)),
            },
        }
    }

    fn handle_command(&mut self, command: Command, policy: &mut impl Policy) {
        if self.config.tls == Tls::Required && !self.peer.tls && !command.allowed_before_tls() {
            if matches!(command, Command::Auth { .. }) {
                return self.fail(Reply::new(
                    538,
                    esc(5, 7, 11),
                    "Encryption required for requested authentication mechanism: STARTTLS first",
                ));
            }
            return self.fail(Reply::new(
                530,
                esc(5, 7, 0),
                "Must issue a STARTTLS command first",
            ));
        }
        match command {
            Command::Ehlo { domain } => self.hello(domain, true, policy),
            Command::Helo { domain } => self.hello(domain, false, policy),
            Command::Mail { from, params } => self.mail(from, params, policy),
            Command::Rcpt { to, params } => self.rcpt(to, params, policy),
            Command::Data => self.data(policy),
            Command::Rset => {
                self.transaction = None;
                self.junk(Reply::new(250, esc(2, 0, 0), "Reset OK"));
            }
            Command::Noop => self.junk(Reply::new(250, esc(2, 0, 0), "OK")),
            Command::Quit => self.quit(),
            // §3.5.3: 252 when the server will not verify but will try delivery.
            Command::Vrfy { .. } => self.junk(Reply::new(
                252,
                esc(2, 0, 0),
                "Cannot VRFY user, but will accept message and attempt delivery",
            )),
            Command::Expn { .. } => {
                self.fail(Reply::new(502, esc(5, 5, 1), "EXPN is not available here"));
            }
            Command::Help { .. } => self.junk(help_reply()),
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial, policy),
            Command::Bdat { size, last } => self.bdat(size, last, policy),
        }
    }

    /// STARTTLS (RFC 3207 §4): 220, then TLS; the server forgets what the
    /// client said before it (§4.2), so the client starts again with EHLO.
    fn starttls(&mut self) {
        if self.config.tls == Tls::Off {
            return self.fail(Reply::new(
                502,
                esc(5, 5, 1),
                "STARTTLS is not offered: this server has no TLS",
            ));
        }
        if self.peer.tls {
            return self.fail(Reply::new(
                503,
                esc(5, 5, 1),
                "TLS is already active: STARTTLS is not offered again (RFC 3207 section 4.2)",
            ));
        }
        if !self.esmtp {
            return self.fail(Reply::new(503, esc(5, 5, 1), "Send EHLO before STARTTLS"));
        }
        if self.transaction.is_some() {
            return self.fail(Reply::new(
                503,
                esc(5, 5, 1),
                "STARTTLS is not allowed during a mail transaction (RSET first)",
            ));
        }
        self.send(Reply::new(220, esc(2, 0, 0), "Ready to start TLS"));
        self.transaction = None;
        self.esmtp = false;
        self.peer.helo = None;
        self.peer.esmtp = false;
        self.peer.authenticated = None;
        self.peer.tls = true;
        self.chunking_offered = false;
        self.tls_starting = true;
    }

    fn quit(&mut self) {
        let text = [self.config.hostname.as_str(), " Bye"].concat();
        self.close(Reply::new(221, esc(2, 0, 0), text), CloseReason::Quit);
    }

    /// EHLO and HELO; either one also resets a transaction (§4.1.4).
    fn hello(&mut self, domain: String, esmtp: bool, policy: &impl Policy) {
        self.transaction = None;
        self.esmtp = esmtp;
        self.peer.helo = Some(domain.clone());
        self.peer.esmtp = esmtp;
        let first = [self.config.hostname.as_str(), " Hello ", domain.as_str()].concat();
        self.chunking_offered = esmtp && self.config.chunking;
        let reply = if esmtp {
            let mut lines = vec![first];
            lines.extend(self.extensions(policy).to_lines());
            Reply::multiline(250, None, lines)
        } else {
            Reply::new(250, None, first)
        };
        self.send(reply);
        self.events
            .push_back(ServerEvent::Greeted { domain, esmtp });
    }

    fn extensions(&self, policy: &impl Policy) -> Extensions {
        Extensions {
            size: Some(policy.max_message_size() as u64),
            pipelining: self.config.pipelining,
            eight_bit_mime: true,
            enhanced_status_codes: true,
            smtputf8: true,
            chunking: self.config.chunking,
            binarymime: self.config.chunking,
            auth: if self.config.submission && (self.peer.tls || self.config.tls != Tls::Required) {
                vec![Mechanism::Plain, Mechanism::Login]
            } else {
                Vec::new()
            },
            starttls: self.config.tls != Tls::Off && !self.peer.tls,
            dsn: self.config.dsn,
        }
    }

    fn mail(&mut self, from: ReversePath, params: MailParams, policy: &mut impl Policy) {
        if self.peer.helo.is_none() {
            return self.fail(Reply::new(503, esc(5, 5, 1), "Send EHLO or HELO first"));
        }
        if self.transaction.is_some() {
            return self.fail(Reply::new(
                503,
                esc(5, 5, 1),
                "Nested MAIL command: a transaction is already open (RSET first)",
            ));
        }
        if self.config.submission && self.peer.authenticated.is_none() {
            return self.fail(Reply::new(530, esc(5, 7, 0), "Authentication required"));
        }
        if !self.esmtp && !params.is_empty() {
            return self.fail(Reply::new(
                555,
                esc(5, 5, 4),
                "MAIL parameters need EHLO; this session began with HELO",
            ));
        }
        if let Some(reply) = self.dsn_not_offered("MAIL", params.dsn.first_keyword()) {
            return self.fail(reply);
        }
        if let Some(p) = params.unknown.first() {
            let text = format!(
                "MAIL parameter {} not recognized or not implemented",
                clip(&p.keyword)
            );
            return self.fail(Reply::new(555, esc(5, 5, 4), text));
        }
        if let Some(reply) = self.body_refusal(&params) {
            return self.fail(reply);
        }
        let max = policy.max_message_size() as u64;
        if params.size.is_some_and(|s| s > max) {
            let text = format!("Message size exceeds fixed maximum message size of {max} octets");
            return self.fail(Reply::new(552, esc(5, 3, 4), text));
        }
        if !from.is_ascii() && !params.smtputf8 {
            return self.fail(non_ascii_reply("sender"));
        }
        if policy.hold_sender(&from, &self.peer) {
            self.phase = Phase::Held(hold::Held::Sender { from, params });
            return;
        }
        self.sender_ok(from, params);
    }

    fn sender_ok(&mut self, from: ReversePath, params: MailParams) {
        let reply = Reply::new(
            250,
            esc(2, 1, 0),
            text_of(&format_args!("Sender {from} OK"), from.text_len() + 10),
        );
        self.open_transaction(from, params);
        self.send(reply);
    }

    /// MAIL accepted: a transaction begins (§3.3).
    fn open_transaction(&mut self, from: ReversePath, params: MailParams) {
        self.chunked = None;
        self.events.push_back(ServerEvent::SenderAccepted {
            reverse_path: from.clone(),
        });
        self.transaction = Some(Envelope {
            reverse_path: from,
            forward_paths: Vec::new(),
            params,
            rcpt_dsn: Vec::new(),
        });
    }

    /// RCPT accepted: the recipient joins the open transaction.
    fn add_recipient(&mut self, to: ForwardPath) {
        if let Some(envelope) = &mut self.transaction {
            envelope.forward_paths.push(to.clone());
            envelope.rcpt_dsn.push(Default::default());
            self.events
                .push_back(ServerEvent::RecipientAccepted { forward_path: to });
        }
    }

    fn rcpt(&mut self, to: ForwardPath, params: RcptParams, policy: &mut impl Policy) {
        let Some(envelope) = &self.transaction else {
            return self.fail(Reply::new(503, esc(5, 5, 1), "Send MAIL FROM first"));
        };
        if envelope.forward_paths.len() >= policy.max_recipients() {
            // Transient by design: the client sends the rest in a new transaction.
            return self.send(Reply::new(452, esc(4, 5, 3), "Too many recipients"));
        }
        if let Some(reply) = self.dsn_not_offered("RCPT", params.dsn.first_keyword()) {
            return self.fail(reply);
        }
        if let Some(p) = params.unknown.first() {
            let text = format!(
                "RCPT parameter {} not recognized or not implemented",
                clip(&p.keyword)
            );
            return self.fail(Reply::new(555, esc(5, 5, 4), text));
        }
        if !to.is_ascii() && !envelope.params.smtputf8 {
            return self.fail(non_ascii_reply("recipient"));
        }
        if let Some(refusal) = self.refuse_recipient(&to, policy) {
            return self.send(refusal);
        }
        if let Some(reply) = policy.check_recipient(envelope, &to, &self.peer) {
            return self.send(reply);
        }
        let reply = Reply::new(
            250,
            esc(2, 1, 5),
            text_of(&format_args!("Recipient {to} OK"), to.text_len() + 13),
        );
        self.send(reply);
        self.add_recipient(to);
        self.keep_rcpt_dsn(params.dsn);
    }

    /// Local mailbox or relay? Postmaster is always welcome (§4.5.1).
    fn refuse_recipient(&self, to: &ForwardPath, policy: &impl Policy) -> Option<Reply> {
        // `<Postmaster>` without a domain has no mailbox to check.
        let mailbox = to.mailbox()?;
        let local = mailbox.domain().is_some_and(|d| policy.is_local_domain(d));
        if local {
            if mailbox.is_postmaster() || policy.mailbox_exists(mailbox) {
                return None;
            }
            let text = format!("Mailbox <{mailbox}> does not exist here");
            return Some(Reply::new(550, esc(5, 1, 1), text));
        }
        let backed_up = mailbox.domain().is_some_and(|d| policy.is_relay_domain(d));
        if backed_up || policy.may_relay(&self.peer) {
            return None;
        }
        let host = mailbox.host();
        let text = format!("Relaying denied: {host} is not a domain of this server");
        Some(Reply::new(550, esc(5, 7, 1), text))
    }

    fn data(&mut self, policy: &impl Policy) {
        if let Some(reply) = self.data_refusal() {
            return self.fail(reply);
        }
        match self.transaction.take() {
            None => self.fail(Reply::new(503, esc(5, 5, 1), "Send MAIL FROM first")),
            Some(e) if e.forward_paths.is_empty() => {
                self.transaction = Some(e);
                self.fail(Reply::new(
                    503,
                    esc(5, 5, 1),
                    "No valid recipients: send RCPT TO first",
                ));
            }
            Some(envelope) => {
                self.send(Reply::new(354, None, "End data with <CR><LF>.<CR><LF>"));
                // Room for the message plus one extra octet to notice excess.
                let max = policy.max_message_size().saturating_add(1);
                let rx = Box::new(DataReceiver::new(max));
                self.phase = Phase::Data { envelope, rx };
            }
        }
    }

    /// Gives message bytes to the receiver; returns how many it took.
    fn feed_data(&mut self, input: &[u8], policy: &mut impl Policy) -> usize {
        let Phase::Data { rx, .. } = &mut self.phase else {
            return 0;
        };
        let (used, done) = rx.ingest(input);
        if done {
            self.finish_data(policy);
        }
        used
    }

    /// The end of data was seen: back to commands, and judge the message.
    fn finish_data(&mut self, policy: &mut impl Policy) {
        if let Phase::Data { envelope, rx } = std::mem::replace(&mut self.phase, Phase::Commands) {
            self.end_of_data(envelope, *rx, policy);
        }
    }

    fn end_of_data(&mut self, envelope: Envelope, rx: DataReceiver, policy: &mut impl Policy) {
        let (content, faults) = rx.finish();
        if let Some(instead) = policy.instead(Step::Dot) {
            return self.dot_instead(envelope, content, instead, policy);
        }
        self.judge_message(envelope, content, &faults, policy);
    }

    /// The whole message is in (after the dot, or BDAT LAST): the rules
    /// for its content, then the host's checks and its verdict.
    fn judge_message(
        &mut self,
        envelope: Envelope,
        content: Vec<u8>,
        faults: &DataFaults,
        policy: &mut impl Policy,
    ) {
        let fault = self
            .content_fault(faults, content.len(), policy)
            .or_else(|| envelope.forward_paths.is_empty().then(no_recipients));
        if let Some(reply) = fault {
            return self.refused(envelope, reply);
        }
        if policy.hold_message(&envelope, &content, &self.peer) {
            self.phase = Phase::Held(hold::Held::Message { envelope, content });
            return;
        }
        self.take_message(envelope, content, policy);
    }

    /// The host takes the message (250) or refuses it.
    fn take_message(&mut self, envelope: Envelope, content: Vec<u8>, policy: &mut impl Policy) {
        match policy.accept_message(&envelope, &content, &self.peer) {
            Ok(queue_id) => {
                let text = if queue_id.is_empty() {
                    "Message accepted for delivery".to_owned()
                } else {
                    ["Message accepted for delivery as ", queue_id.as_str()].concat()
                };
                self.accepted(
                    Reply::new(250, esc(2, 6, 0), text),
                    envelope,
                    content,
                    queue_id,
                );
            }
            Err(reply) => self.refused(envelope, reply),
        }
    }

    /// The message is the server's now (§6.1): the reply says so.
    fn accepted(&mut self, reply: Reply, envelope: Envelope, content: Vec<u8>, queue_id: String) {
        self.send(reply);
        // Mail delivered: the client is a customer, not an abuser.
        self.guard.on_progress();
        self.events.push_back(ServerEvent::MessageReceived {
            envelope,
            content,
            queue_id,
        });
    }

    fn refused(&mut self, envelope: Envelope, reply: Reply) {
        // The event holds the reply as the client read it.
        let reply = on_the_wire(reply);
        self.send(reply.clone());
        self.events
            .push_back(ServerEvent::MessageRefused { envelope, reply });
    }

    /// Whatever a what-if says in place of the greeting: 2xx opens the
    /// session, 421 closes it, any other refuses service as 554 does.
    fn greet_instead(&mut self, instead: Instead) {
        match instead {
            Instead::Reply(reply) => {
                let code = reply.code();
                if code.get() == 421 {
                    return self.close(on_the_wire(reply), CloseReason::WhatIf);
                }
                if !code.is_positive() {
                    self.phase = Phase::Refused;
                }
                self.send(on_the_wire(reply));
            }
            other => self.lose(other),
        }
    }

    /// A lost connection, or silence.
    fn lose(&mut self, instead: Instead) {
        self.transaction = None;
        if instead == Instead::Silent {
            self.phase = Phase::Silent;
        } else {
            self.phase = Phase::Closed;
            self.events.push_back(ServerEvent::Closed {
                reason: CloseReason::WhatIf,
            });
        }
    }

    /// A what-if answers `command`: the session does what the reply it
    /// sent means, whatever it would have decided itself.
    fn command_instead(&mut self, command: Command, instead: Instead, policy: &impl Policy) {
        let Instead::Reply(reply) = instead else {
            return self.lose(instead);
        };
        let reply = on_the_wire(reply);
        let code = reply.code();
        if code.get() == 421 && command != Command::Quit {
            // §3.8: the server is closing the transmission channel.
            self.transaction = None;
            return self.close(reply, CloseReason::WhatIf);
        }
        let positive = code.is_positive();
        match command {
            Command::Ehlo { .. } | Command::Helo { .. } if positive => {
                let (Command::Ehlo { domain } | Command::Helo { domain }) = &command else {
                    return;
                };
                let (domain, esmtp) = (domain.clone(), matches!(command, Command::Ehlo { .. }));
                self.transaction = None;
                self.esmtp = esmtp;
                self.peer.helo = Some(domain.clone());
                self.peer.esmtp = esmtp;
                // Offered only if the reply sent says so.
                self.chunking_offered = esmtp && Extensions::from_ehlo(&reply).chunking;
                self.events
                    .push_back(ServerEvent::Greeted { domain, esmtp });
            }
            Command::Mail { from, params } if positive => self.open_transaction(from, params),
            Command::Rcpt { to, .. } if positive => self.add_recipient(to),
            Command::Data if code.get() == 354 => {
                // Go ahead, even without a transaction: the data is read
                // and judged at its end (no recipients: refused there).
                let envelope = self.transaction.take().unwrap_or(Envelope {
                    reverse_path: ReversePath::Null,
                    forward_paths: Vec::new(),
                    params: MailParams::default(),
                    rcpt_dsn: Vec::new(),
                });
                self.send(reply);
                let max = policy.max_message_size().saturating_add(1);
                let rx = Box::new(DataReceiver::new(max));
                self.phase = Phase::Data { envelope, rx };
                return;
            }
            Command::Rset if positive => self.transaction = None,
            Command::Quit => return self.close(reply, CloseReason::Quit),
            _ => {}
        }
        self.send(reply);
    }

    /// A what-if answers the end of data: 2xx hands the message to the
    /// host as an ordinary 250 would, anything else refuses it.
    fn dot_instead(
        &mut self,
        envelope: Envelope,
        content: Vec<u8>,
        instead: Instead,
        policy: &mut impl Policy,
    ) {
        let Instead::Reply(reply) = instead else {
            return self.lose(instead);
        };
        let reply = on_the_wire(reply);
        if reply.code().get() == 421 {
            return self.close(reply, CloseReason::WhatIf);
        }
        if !reply.code().is_positive() {
            return self.refused(envelope, reply);
        }
        // The reply is sent as written; a host that cannot take the
        // message after all (a loop) has lost it, as a broken server would.
        let queue_id = policy
            .accept_message(&envelope, &content, &self.peer)
            .unwrap_or_default();
        self.accepted(reply, envelope, content, queue_id);
    }

    /// The documented rules for bad content, checked at end of data.
    fn content_fault(
        &self,
        faults: &DataFaults,
        len: usize,
        policy: &impl Policy,
    ) -> Option<Reply> {
        let max = policy.max_message_size();
        if faults.oversized || len > max {
            let text = format!("Message size exceeds fixed maximum message size of {max} octets");
            return Some(Reply::new(552, esc(5, 3, 4), text));
        }
        if let Some((line, octets)) = faults.first_long_line {
            let text = format!(
                "Message refused: line {line} is {octets} octets; a text line is at most \
                 {MAX_TEXT_LINE} including CRLF (RFC 5321 section 4.5.3.1.6)"
            );
            return Some(Reply::new(554, esc(5, 6, 0), text));
        }
        if self.config.bare_line_endings == BareLineEndings::Refuse {
            let bare = [("LF", faults.first_bare_lf), ("CR", faults.first_bare_cr)];
            if let Some((what, Some(line))) = bare.into_iter().find(|(_, l)| l.is_some()) {
                let text = format!(
                    "Message refused: bare {what} in line {line}; lines end with CRLF \
                     (RFC 5321 section 2.3.8). Bare line endings are how SMTP smuggling hides a second message"
                );
                return Some(Reply::new(554, esc(5, 6, 0), text));
            }
        }
        None
    }

    fn auth(&mut self, mechanism: &str, initial: Option<String>, policy: &mut impl Policy) {
        if !self.config.submission {
            return self.fail(Reply::new(
                502,
                esc(5, 5, 1),
                "AUTH is not offered on this port",
            ));
        }
        if !self.esmtp {
            return self.fail(Reply::new(503, esc(5, 5, 1), "Send EHLO before AUTH"));
        }
        if self.peer.authenticated.is_some() {
            return self.fail(Reply::new(503, esc(5, 5, 1), "Already authenticated"));
        }
        if self.transaction.is_some() {
            return self.fail(Reply::new(
                503,
                esc(5, 5, 1),
                "AUTH is not allowed during a mail transaction",
            ));
        }
        match (mechanism, initial) {
            // "=" is an empty initial response (RFC 4954 §4).
            ("PLAIN", Some(response)) => {
                self.auth_response(AuthStep::PlainResponse, response.as_bytes(), policy)
            }
            ("PLAIN", None) => {
                self.send(Reply::new(334, None, ""));
                self.phase = Phase::Auth(AuthStep::PlainResponse);
            }
            ("LOGIN", Some(user)) => {
                self.auth_response(AuthStep::LoginUser, user.as_bytes(), policy)
            }
            ("LOGIN", None) => {
                self.send(Reply::new(334, None, BASE64.encode("Username:")));
                self.phase = Phase::Auth(AuthStep::LoginUser);
            }
            _ => self.fail(Reply::new(
                504,
                esc(5, 5, 4),
                format!(
                    "Unrecognized authentication type {}; use PLAIN or LOGIN",
                    clip(mechanism)
                ),
            )),
        }
    }

    /// One line of a SASL exchange (RFC 4954 §4).
    fn auth_response(&mut self, step: AuthStep, line: &[u8], policy: &mut impl Policy) {
        if line == b"*" {
            return self.fail(Reply::new(501, esc(5, 0, 0), "Authentication cancelled"));
        }
        let decoded = if line == b"=" {
            Ok(Vec::new())
        } else {
            BASE64.decode(line)
        };
        let Ok(decoded) = decoded else {
            return self.fail(Reply::new(
                501,
                esc(5, 5, 2),
                "Invalid base64 in AUTH response",
            ));
        };
        match step {
            AuthStep::PlainResponse => {
                // authzid NUL authcid NUL passwd (RFC 4616 §2).
                let mut parts = decoded.split(|&b| b == 0);
                let (_authzid, user, password) = (parts.next(), parts.next(), parts.next());
                match (user, password, parts.next()) {
                    (Some(user), Some(password), None) => self.verify(user, password, policy),
                    _ => self.fail(Reply::new(501, esc(5, 5, 2), "Malformed PLAIN response")),
                }
            }
            AuthStep::LoginUser => {
                let user = String::from_utf8_lossy(&decoded).into_owned();
                self.send(Reply::new(334, None, BASE64.encode("Password:")));
                self.phase = Phase::Auth(AuthStep::LoginPassword { user });
            }
            AuthStep::LoginPassword { user } => self.verify(user.as_bytes(), &decoded, policy),
        }
    }

    fn verify(&mut self, user: &[u8], password: &[u8], policy: &mut impl Policy) {
        let user = String::from_utf8_lossy(user).into_owned();
        let password = String::from_utf8_lossy(password);
        if policy.check_credentials(&user, &password) {
            self.send(Reply::new(235, esc(2, 7, 0), "Authentication successful"));
            self.peer.authenticated = Some(user.clone());
            self.events.push_back(ServerEvent::Authenticated { user });
        } else {
            self.fail(Reply::new(
                535,
                esc(5, 7, 8),
                "Authentication credentials invalid",
            ));
        }
    }
}

impl<P: Policy> Session<P> for ServerSession {
    type Event = ServerEvent;

    fn handle_input(&mut self, bytes: &[u8], now: Instant, policy: &mut P) {
        ServerSession::handle_input(self, bytes, now, policy);
    }
    fn handle_timeout(&mut self, now: Instant) {
        ServerSession::handle_timeout(self, now);
    }
    fn handle_close(&mut self) {
        ServerSession::handle_close(self);
    }
    fn shutdown(&mut self) {
        ServerSession::shutdown(self);
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        ServerSession::poll_transmit(self)
    }
    fn transmit(&mut self, send: &mut dyn FnMut(&[u8])) -> bool {
        crate::session::transmit_outbox(&mut self.outbox, send)
    }
    fn poll_event(&mut self) -> Option<ServerEvent> {
        ServerSession::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ServerSession::poll_timeout(self)
    }
    fn is_closed(&self) -> bool {
        ServerSession::is_closed(self)
    }
    fn take_tls_start(&mut self) -> bool {
        std::mem::take(&mut self.tls_start_untold)
    }
    fn is_holding(&self) -> bool {
        matches!(self.phase, Phase::Held(_))
    }
    fn resume(&mut self, now: Instant, policy: &mut P) {
        ServerSession::resume(self, now, policy);
    }
    /// Implicit TLS: now the greeting goes out, inside TLS.
    fn handle_tls_established(&mut self, _now: Instant) {
        let held = std::mem::take(&mut self.held_greeting);
        self.outbox.extend_from_slice(&held);
    }
    /// The client gave up on the handshake: it is gone.
    fn handle_tls_failed(&mut self, _why: &str) {
        ServerSession::handle_close(self);
    }
}

/// Client text echoed in a reply is cut short, so a reply line stays
/// within 512 octets (RFC 5321 §4.5.3.1.5).
fn clip(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

/// The reply as it goes on the wire: its text in printable US-ASCII
/// (RFC 5321 §4.2), whatever the policy wrote or the client sent.
fn on_the_wire(reply: Reply) -> Reply {
    if reply
        .lines()
        .iter()
        .all(|l| matches!(printable(l), Cow::Borrowed(_)))
    {
        return reply;
    }
    let lines = reply
        .lines()
        .iter()
        .map(|l| printable(l).into_owned())
        .collect();
    Reply::multiline(reply.code().get(), reply.enhanced(), lines)
}

/// At the end of data with no recipient (only after a what-if's 354).
fn no_recipients() -> Reply {
    Reply::new(554, esc(5, 5, 1), "No valid recipients: nothing to deliver")
}

fn line_too_long() -> Reply {
    Reply::new(
        500,
        esc(5, 5, 2),
        "Line too long: a command line is at most 512 octets (RFC 5321 section 4.5.3.1.4)",
    )
}

fn non_ascii_reply(who: &str) -> Reply {
    Reply::new(
        553,
        esc(5, 6, 7),
        format!("Non-ASCII {who} address needs the SMTPUTF8 parameter (RFC 6531)"),
    )
}

fn help_reply() -> Reply {
    let lines = [
        "mailflow SMTP server. Commands:",
        "  EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP AUTH",
        "A session: EHLO, MAIL FROM:<you>, RCPT TO:<them>, DATA, the message, '.', QUIT",
        "See RFC 5321 section 4.1 for each command",
    ];
    Reply::multiline(
        214,
        esc(2, 0, 0),
        lines.iter().map(|l| l.to_string()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::policy::SimplePolicy;
    use crate::smtp::reply::ReplyParser;

    /// A session of mx.example.net for bob@example.net; returns it with the
    /// replies to `input` (the greeting excluded).
    fn run(
        config: ServerConfig,
        policy: &mut SimplePolicy,
        input: &[u8],
    ) -> (ServerSession, Vec<Reply>) {
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, policy);
        s.poll_transmit();
        s.handle_input(input, now, policy);
        let mut parser = ReplyParser::new();
        parser.push(&s.poll_transmit().unwrap_or_default());
        let replies = std::iter::from_fn(|| parser.next_reply())
            .map(Result::unwrap)
            .collect();
        (s, replies)
    }

    fn mx() -> (ServerConfig, SimplePolicy) {
        (
            ServerConfig::new("mx.example.net"),
            SimplePolicy::for_domain("example.net", &["bob"]),
        )
    }

    fn codes(input: &str) -> Vec<u16> {
        let (config, mut policy) = mx();
        let (_, replies) = run(config, &mut policy, input.as_bytes());
        replies.iter().map(|r| r.code().get()).collect()
    }

    fn last(input: &str) -> Reply {
        let (config, mut policy) = mx();
        let (_, mut replies) = run(config, &mut policy, input.as_bytes());
        replies.pop().expect("a reply")
    }

    const HELLO: &str = "EHLO client.example\r\n";

    #[test]
    fn greeting_is_220_rfc5321_3_1() {
        let (config, mut policy) = mx();
        let mut s = ServerSession::new(config, Peer::default(), Instant::now(), &mut policy);
        assert!(
            s.poll_transmit()
                .unwrap()
                .starts_with(b"220 mx.example.net")
        );
    }

    #[test]
    fn refused_service_is_554_then_only_quit_rfc5321_3_1() {
        let (config, mut policy) = mx();
        policy.refuse_service = Some("No SMTP service here".into());
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        assert!(s.poll_transmit().unwrap().starts_with(b"554 5.7.1"));
        s.handle_input(b"EHLO x.example\r\nQUIT\r\n", now, &mut policy);
        assert_eq!(s.poll_transmit().unwrap()[..3], *b"503");
        assert!(s.is_closed());
    }

    #[test]
    fn ehlo_advertises_extensions_rfc5321_4_1_1_1() {
        let reply = last(HELLO);
        let ext = Extensions::from_ehlo(&reply);
        assert!(ext.pipelining && ext.eight_bit_mime && ext.enhanced_status_codes && ext.smtputf8);
        assert_eq!(
            ext.size,
            Some(crate::smtp::policy::DEFAULT_MAX_MESSAGE_SIZE as u64)
        );
        assert!(ext.auth.is_empty(), "no AUTH on port 25");
    }

    #[test]
    fn submission_advertises_auth_plain_login_rfc4954_3() {
        let (_, mut policy) = mx();
        let config = ServerConfig::new("smtp.example.org").submission();
        let (_, replies) = run(config, &mut policy, HELLO.as_bytes());
        let ext = Extensions::from_ehlo(&replies[0]);
        assert_eq!(ext.auth, vec![Mechanism::Plain, Mechanism::Login]);
    }

    #[test]
    fn ehlo_without_domain_is_501_rfc5321_4_1_1_1() {
        assert_eq!(codes("EHLO\r\n"), [501]);
    }

    #[test]
    fn mail_before_ehlo_is_503_rfc5321_4_1_4() {
        assert_eq!(codes("MAIL FROM:<a@b.example>\r\n"), [503]);
    }

    #[test]
    fn nested_mail_is_503_rfc5321_4_1_4() {
        assert_eq!(
            codes("HELO c.example\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n"),
            [250, 250, 503]
        );
    }

    #[test]
    fn rcpt_before_mail_is_503_rfc5321_4_1_4() {
        assert_eq!(
            codes("EHLO c.example\r\nRCPT TO:<bob@example.net>\r\n"),
            [250, 503]
        );
    }

    #[test]
    fn data_before_valid_rcpt_is_503_rfc5321_3_3() {
        let input =
            "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.net>\r\nDATA\r\n";
        assert_eq!(codes(input), [250, 250, 550, 503]);
    }

    #[test]
    fn ehlo_inside_transaction_resets_it_rfc5321_4_1_4() {
        let input = "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nEHLO c.example\r\nRCPT TO:<bob@example.net>\r\n";
        assert_eq!(codes(input), [250, 250, 250, 503]);
    }

    #[test]
    fn rset_clears_the_transaction_rfc5321_4_1_1_5() {
        let input =
            "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRSET\r\nRCPT TO:<bob@example.net>\r\n";
        assert_eq!(codes(input), [250, 250, 250, 503]);
    }

    #[test]
    fn unknown_parameter_is_555_rfc5321_4_1_1_11() {
        let reply = last("EHLO c.example\r\nMAIL FROM:<a@b.example> XFOO=1\r\n");
        assert_eq!(reply.code().get(), 555);
        let reply =
            last("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net> XFOO\r\n");
        assert_eq!(reply.code().get(), 555);
    }

    #[test]
    fn non_ascii_address_without_smtputf8_is_553_5_6_7_rfc6531_3_5() {
        let reply = last("EHLO c.example\r\nMAIL FROM:<jörg@b.example>\r\n");
        assert_eq!((reply.code().get(), reply.enhanced()), (553, esc(5, 6, 7)));
        assert_eq!(
            codes("EHLO c.example\r\nMAIL FROM:<jörg@b.example> SMTPUTF8\r\n"),
            [250, 250]
        );
    }

    #[test]
    fn size_over_limit_is_552_5_3_4_rfc1870_6_1() {
        let reply = last("EHLO c.example\r\nMAIL FROM:<a@b.example> SIZE=999999999\r\n");
        assert_eq!((reply.code().get(), reply.enhanced()), (552, esc(5, 3, 4)));
    }

    #[test]
    fn unknown_local_mailbox_is_550_5_1_1_rfc5321_3_6_2() {
        let reply =
            last("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.net>\r\n");
        assert_eq!((reply.code().get(), reply.enhanced()), (550, esc(5, 1, 1)));
    }

    #[test]
    fn relay_for_strangers_is_550_5_7_1_rfc5321_3_6_2() {
        let reply =
            last("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@elsewhere.example>\r\n");
        assert_eq!((reply.code().get(), reply.enhanced()), (550, esc(5, 7, 1)));
    }

    #[test]
    fn postmaster_is_always_accepted_rfc5321_4_5_1() {
        let input = "EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<POSTMASTER@example.net>\r\n";
        assert_eq!(codes(input), [250, 250, 250, 250]);
    }

    #[test]
    fn hundred_recipients_then_452_4_5_3_rfc5321_4_5_3_1_8() {
        let mut input = String::from("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
        for _ in 0..101 {
            input.push_str("RCPT TO:<bob@example.net>\r\n");
        }
        let codes = codes(&input);
        assert_eq!(codes[2..102], [250; 100]);
        assert_eq!(codes[102], 452);
    }

    #[test]
    fn command_line_over_512_octets_is_500_5_5_2_rfc5321_4_5_3_1_4() {
        let ok = format!("NOOP {}\r\n", "x".repeat(512 - 7));
        let long = format!("NOOP {}\r\n", "x".repeat(512 - 6));
        assert_eq!(codes(&format!("{ok}{long}NOOP\r\n")), [250, 500, 250]);
        assert_eq!(last(&long).enhanced(), esc(5, 5, 2));
    }

    #[test]
    fn vrfy_is_252_rfc5321_3_5_3() {
        assert_eq!(codes("VRFY bob\r\n"), [252]);
    }

    fn tls_mx(tls: Tls) -> (ServerConfig, SimplePolicy) {
        let (mut config, policy) = mx();
        config.tls = tls;
        (config, policy)
    }

    /// Replies to `input` of a session that offers or requires TLS, with
    /// the session (to read its events), from the greeting on.
    fn tls_run(tls: Tls, submission: bool, input: &str) -> (ServerSession, Vec<Reply>) {
        let (mut config, mut policy) = tls_mx(tls);
        config.submission = submission;
        run(config, &mut policy, input.as_bytes())
    }

    fn tls_codes(tls: Tls, input: &str) -> Vec<u16> {
        let (_, replies) = tls_run(tls, false, input);
        replies.iter().map(|r| r.code().get()).collect()
    }

    #[test]
    fn starttls_is_offered_after_ehlo_when_configured_rfc3207_4() {
        let (_, replies) = tls_run(Tls::Offered, false, HELLO);
        assert!(Extensions::from_ehlo(&replies[0]).starttls);
        let (_, replies) = tls_run(Tls::Off, false, HELLO);
        assert!(!Extensions::from_ehlo(&replies[0]).starttls);
    }

    #[test]
    fn starttls_is_answered_220_2_0_0_and_tls_starts_rfc3207_4() {
        let (mut s, replies) = tls_run(Tls::Offered, false, "EHLO c.example\r\nSTARTTLS\r\n");
        assert_eq!(replies[1].to_string(), "220 2.0.0 Ready to start TLS");
        assert_eq!(
            std::iter::from_fn(|| s.poll_event()).last(),
            Some(ServerEvent::TlsStarting { discarded: 0 })
        );
        assert!(s.peer().tls);
    }

    #[test]
    fn plaintext_pipelined_behind_starttls_is_discarded_rfc3207_4_2_cve_2011_0411() {
        let injected = "MAIL FROM:<evil@attacker.example>\r\n";
        let input = format!("EHLO c.example\r\nSTARTTLS\r\n{injected}");
        let (mut s, replies) = tls_run(Tls::Offered, false, &input);
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(
            codes,
            [250, 220],
            "the injected MAIL got no reply: it was never run"
        );
        let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
        assert!(events.contains(&ServerEvent::TlsStarting {
            discarded: injected.len()
        }));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ServerEvent::SenderAccepted { .. }))
        );
    }

    #[test]
    fn after_starttls_the_server_forgets_the_ehlo_and_offers_no_starttls_rfc3207_4_2() {
        let (mut config, mut policy) = tls_mx(Tls::Offered);
        config.submission = true;
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.poll_transmit();
        s.handle_input(b"EHLO c.example\r\nSTARTTLS\r\n", now, &mut policy);
        s.poll_transmit();
        // What the TLS layer decrypts from here on.
        s.handle_input(
            b"MAIL FROM:<a@c.example>\r\nEHLO c.example\r\n",
            now,
            &mut policy,
        );
        let mut parser = ReplyParser::new();
        parser.push(&s.poll_transmit().unwrap_or_default());
        let replies: Vec<Reply> = std::iter::from_fn(|| parser.next_reply())
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            replies[0].code().get(),
            503,
            "the EHLO before TLS is forgotten"
        );
        let ext = Extensions::from_ehlo(&replies[1]);
        assert!(!ext.starttls, "STARTTLS is not offered again over TLS");
        assert_eq!(ext.auth, [Mechanism::Plain, Mechanism::Login]);
    }

    #[test]
    fn starttls_with_a_parameter_is_501_rfc3207_4() {
        assert_eq!(
            tls_codes(Tls::Offered, "EHLO c.example\r\nSTARTTLS now\r\n"),
            [250, 501]
        );
    }

    #[test]
    fn starttls_before_ehlo_or_inside_a_transaction_is_503_rfc3207_4() {
        assert_eq!(tls_codes(Tls::Offered, "STARTTLS\r\n"), [503]);
        let input = "EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nSTARTTLS\r\n";
        assert_eq!(tls_codes(Tls::Offered, input), [250, 250, 503]);
    }

    #[test]
    fn starttls_over_tls_is_503_rfc3207_4_2() {
        let (mut config, mut policy) = tls_mx(Tls::Offered);
        config.tls = Tls::Offered;
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.handle_input(b"EHLO c.example\r\nSTARTTLS\r\n", now, &mut policy);
        s.poll_transmit();
        s.handle_input(b"EHLO c.example\r\nSTARTTLS\r\n", now, &mut policy);
        let out = String::from_utf8(s.poll_transmit().unwrap_or_default()).unwrap_or_default();
        assert!(out.contains("\r\n503 5.5.1 TLS is already active"), "{out}");
    }

    #[test]
    fn required_tls_answers_mail_with_530_5_7_0_rfc3207_4() {
        let input = "EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nNOOP\r\n";
        let (_, replies) = tls_run(Tls::Required, false, input);
        assert_eq!(
            replies[1].to_string(),
            "530 5.7.0 Must issue a STARTTLS command first"
        );
        assert_eq!(replies[2].code().get(), 250, "NOOP is served before TLS");
    }

    #[test]
    fn auth_is_not_offered_before_required_tls_and_refused_538_5_7_11_rfc4954_4() {
        let input = "EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n";
        let (_, replies) = tls_run(Tls::Required, true, input);
        assert!(Extensions::from_ehlo(&replies[0]).auth.is_empty());
        assert_eq!(replies[1].code().get(), 538);
        assert_eq!(replies[1].enhanced(), EnhancedCode::parse("5.7.11"));
    }

    #[test]
    fn implicit_tls_greets_only_once_the_handshake_is_done_rfc8314_3_3() {
        let (mut config, mut policy) = tls_mx(Tls::Implicit);
        config.submission = true;
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        assert_eq!(s.poll_transmit(), None, "no plaintext before TLS");
        assert!(Session::<SimplePolicy>::take_tls_start(&mut s));
        Session::<SimplePolicy>::handle_tls_established(&mut s, now);
        let greeting = s.poll_transmit().expect("the greeting, inside TLS");
        assert!(greeting.starts_with(b"220 mx.example.net "), "{greeting:?}");
        s.handle_input(b"EHLO c.example\r\nSTARTTLS\r\n", now, &mut policy);
        let mut parser = ReplyParser::new();
        parser.push(&s.poll_transmit().unwrap_or_default());
        let ehlo = parser.next_reply().unwrap().unwrap();
        let ext = Extensions::from_ehlo(&ehlo);
        assert!(!ext.starttls, "TLS is on from the start");
        assert_eq!(ext.auth, [Mechanism::Plain, Mechanism::Login]);
        assert_eq!(parser.next_reply().unwrap().unwrap().code().get(), 503);
    }

    #[test]
    fn expn_and_starttls_are_502_rfc5321_4_2_4() {
        assert_eq!(codes("EXPN staff\r\nSTARTTLS\r\n"), [502, 502]);
    }

    #[test]
    fn quit_is_221_and_closes_rfc5321_4_1_1_10() {
        let (config, mut policy) = mx();
        let (s, replies) = run(config, &mut policy, b"QUIT\r\nNOOP\r\n");
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].code().get(), 221);
        assert!(s.is_closed());
    }

    const TRANSACTION: &str =
        "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";

    fn received(config: ServerConfig, body: &[u8]) -> (Vec<u16>, Option<Vec<u8>>) {
        let mut policy = SimplePolicy::for_domain("example.net", &["bob"]);
        let mut input = TRANSACTION.as_bytes().to_vec();
        input.extend_from_slice(body);
        let (mut s, replies) = run(config, &mut policy, &input);
        let content = std::iter::from_fn(|| s.poll_event()).find_map(|e| match e {
            ServerEvent::MessageReceived { content, .. } => Some(content),
            _ => None,
        });
        (replies.iter().map(|r| r.code().get()).collect(), content)
    }

    #[test]
    fn data_is_unstuffed_and_accepted_with_250_2_6_0_rfc5321_4_5_2() {
        let (codes, content) = received(ServerConfig::new("mx"), b"..dot\r\nx\r\n.\r\n");
        assert_eq!(codes, [250, 250, 250, 354, 250]);
        assert_eq!(content.unwrap(), b".dot\r\nx\r\n");
    }

    #[test]
    fn smuggled_end_of_data_is_not_run_as_commands_cve_2023_51764() {
        let body = b"x\n.\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nevil\r\n.\r\n";
        let (codes, content) = received(ServerConfig::new("mx"), body);
        assert_eq!(codes, [250, 250, 250, 354, 554]);
        assert_eq!(content, None);
        let mut keep = ServerConfig::new("mx");
        keep.bare_line_endings = BareLineEndings::Keep;
        let (codes, content) = received(keep, body);
        assert_eq!(codes, [250, 250, 250, 354, 250]);
        assert!(content.unwrap().starts_with(b"x\n.\nMAIL FROM"));
    }

    #[test]
    fn text_line_over_1000_octets_is_refused_at_end_rfc5321_4_5_3_1_6() {
        let mut body = vec![b'y'; 999];
        body.extend_from_slice(b"\r\n.\r\n");
        let (codes, _) = received(ServerConfig::new("mx"), &body);
        assert_eq!(codes.last(), Some(&554));
        let mut body = vec![b'y'; 998];
        body.extend_from_slice(b"\r\n.\r\n");
        let (codes, _) = received(ServerConfig::new("mx"), &body);
        assert_eq!(codes.last(), Some(&250));
    }

    #[test]
    fn pipelined_group_is_answered_in_one_transmit_rfc2920_3_2() {
        let (config, mut policy) = mx();
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.poll_transmit();
        s.handle_input(TRANSACTION.as_bytes(), now, &mut policy);
        let chunk = s.poll_transmit().unwrap();
        assert_eq!(s.poll_transmit(), None);
        let mut parser = ReplyParser::new();
        parser.push(&chunk);
        assert_eq!(std::iter::from_fn(|| parser.next_reply()).count(), 4);
    }

    #[test]
    fn timeout_is_421_4_4_2_rfc5321_4_5_3_2_7() {
        let (config, mut policy) = mx();
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.poll_transmit();
        assert_eq!(s.poll_timeout(), Some(now + SERVER_TIMEOUT));
        s.handle_timeout(now + SERVER_TIMEOUT - Duration::from_secs(1));
        assert!(!s.is_closed());
        s.handle_timeout(now + SERVER_TIMEOUT);
        assert!(s.poll_transmit().unwrap().starts_with(b"421 4.4.2"));
        assert!(s.is_closed());
    }

    #[test]
    fn idle_timer_is_reset_by_any_byte_even_mid_line_rfc5321_4_5_3_2_7() {
        let (config, mut policy) = mx();
        let start = Instant::now();
        let minutes = |m: u64| start + Duration::from_secs(60 * m);
        let mut s = ServerSession::new(config, Peer::default(), start, &mut policy);
        s.poll_transmit();
        // Half a command at 4 minutes: the client is there.
        s.handle_input(b"NO", minutes(4), &mut policy);
        assert_eq!(s.poll_timeout(), Some(minutes(4) + SERVER_TIMEOUT));
        s.handle_timeout(start + SERVER_TIMEOUT);
        assert!(!s.is_closed());
        s.handle_input(b"OP\r\n", minutes(8), &mut policy);
        assert!(s.poll_transmit().unwrap().starts_with(b"250 "));
        // A slow, big DATA: a long line trickles in for 20 minutes, a piece
        // every 4, and is never cut while its bytes flow.
        s.handle_input(TRANSACTION.as_bytes(), minutes(8), &mut policy);
        for m in (12..=28).step_by(4) {
            s.handle_timeout(minutes(m));
            s.handle_input(&[b'x'; 100], minutes(m), &mut policy);
        }
        s.handle_input(b"\r\n.\r\n", minutes(32), &mut policy);
        assert!(!s.is_closed());
        let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
        assert!(out.contains("\r\n250 2.6.0 Message accepted"), "{out}");
        // No byte, no reset.
        s.handle_input(b"", minutes(36), &mut policy);
        s.handle_timeout(minutes(32) + SERVER_TIMEOUT);
        assert!(s.is_closed());
    }

    #[test]
    fn endless_line_is_cut_off_with_500_5_5_2_then_421_rfc5321_4_5_3_1_4() {
        let (config, mut policy) = mx();
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.poll_transmit();
        let chunk = vec![b'A'; 4096];
        let mut fed = 0;
        while !s.is_closed() && fed < 10 * MAX_OVERLONG {
            s.handle_input(&chunk, now, &mut policy);
            fed += chunk.len();
        }
        assert!(s.is_closed(), "cut off after {fed} octets");
        assert!(fed <= MAX_OVERLONG + 2 * chunk.len());
        let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
        assert!(out.starts_with("500 5.5.2 "), "{out}");
        assert!(out.contains("\r\n421 4.7.0 "), "{out}");
        assert_eq!(
            s.poll_event(),
            Some(ServerEvent::Closed {
                reason: CloseReason::Limit
            })
        );
    }

    #[test]
    fn one_long_line_that_ends_is_only_a_500_rfc5321_4_5_3_1_4() {
        let mut input = vec![b'A'; MAX_OVERLONG / 2];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let (config, mut policy) = mx();
        let (s, replies) = run(config, &mut policy, &input);
        assert!(!s.is_closed());
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [500, 250]);
    }

    #[test]
    fn command_limit_closes_with_421_4_7_0_rfc5321_4_3_2() {
        let (mut config, mut policy) = mx();
        config.limits.max_commands = Some(3);
        let (s, replies) = run(
            config,
            &mut policy,
            b"NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n",
        );
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [250, 250, 250, 421]);
        assert_eq!(
            replies[3].enhanced().map(|e| e.to_string()).as_deref(),
            Some("4.7.0")
        );
        assert!(s.is_closed());
    }

    #[test]
    fn a_client_delivering_many_messages_over_one_connection_is_never_cut() {
        // Postfix keeps a connection open for many messages; caps of 10
        // commands and 4 KiB count only what comes without mail.
        let (mut config, mut policy) = mx();
        config.limits.max_commands = Some(10);
        config.limits.max_input = Some(4096);
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.handle_input(b"EHLO client.example\r\n", now, &mut policy);
        for i in 0..50 {
            let message = format!(
                "MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\
                 Subject: {i}\r\n\r\n{}\r\n.\r\n",
                "body ".repeat(100)
            );
            s.handle_input(message.as_bytes(), now, &mut policy);
        }
        let mut parser = ReplyParser::new();
        parser.push(&s.poll_transmit().unwrap_or_default());
        let replies: Vec<Reply> = std::iter::from_fn(|| parser.next_reply())
            .map(Result::unwrap)
            .collect();
        let accepted = replies
            .iter()
            .filter(|r| r.enhanced().map(|e| e.to_string()).as_deref() == Some("2.6.0"))
            .count();
        assert_eq!(accepted, 50, "every message is taken: {replies:?}");
        assert!(!s.is_closed());
    }

    #[test]
    fn junk_commands_past_the_limit_count_as_errors_as_postfix_does() {
        let (mut config, mut policy) = mx();
        config.limits.max_junk = 3;
        config.limits.max_errors = 2;
        // Three NOOPs are fine; the fourth and fifth are errors, and the
        // second error ends the session.
        let (s, replies) = run(
            config,
            &mut policy,
            b"NOOP\r\nRSET\r\nVRFY bob\r\nHELP\r\nNOOP\r\nNOOP\r\n",
        );
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [250, 250, 252, 214, 250, 421]);
        assert!(s.is_closed());
    }

    #[test]
    fn a_delivered_message_clears_the_junk_count() {
        let (mut config, mut policy) = mx();
        config.limits.max_junk = 2;
        config.limits.max_errors = 1;
        let (s, replies) = run(
            config,
            &mut policy,
            b"EHLO c.example\r\nNOOP\r\nNOOP\r\n\
              MAIL FROM:<a@x.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\
              Subject: s\r\n\r\nb\r\n.\r\nNOOP\r\nNOOP\r\n",
        );
        assert!(!s.is_closed(), "{replies:?}");
    }

    #[test]
    fn session_allowance_ends_a_busy_session_with_421_4_4_2_rfc5321_4_5_3_2() {
        let (mut config, mut policy) = mx();
        config.limits.session = Some(Duration::from_secs(60));
        let start = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), start, &mut policy);
        s.poll_transmit();
        // Busy every 30 s: the idle timeout never fires, the allowance does.
        for i in 1..=3 {
            let now = start + Duration::from_secs(30 * i);
            s.handle_timeout(now);
            s.handle_input(b"NOOP\r\n", now, &mut policy);
        }
        assert!(s.is_closed());
        let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
        assert!(
            out.ends_with("421 4.4.2 mx.example.net Session too long; closing connection\r\n"),
            "{out}"
        );
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn session_allowance_holds_for_a_client_that_never_pauses_rfc5321_4_5_3_2() {
        let (mut config, mut policy) = mx();
        config.limits.session = Some(Duration::from_secs(3));
        let start = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), start, &mut policy);
        s.handle_input(HELLO.as_bytes(), start, &mut policy);
        s.handle_input(
            b"MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            start,
            &mut policy,
        );
        // Data every second, never a pause: handle_timeout is never called.
        for i in 1..=5 {
            s.handle_input(
                b"more data\r\n",
                start + Duration::from_secs(i),
                &mut policy,
            );
        }
        assert!(s.is_closed());
        let out = String::from_utf8(std::iter::from_fn(|| s.poll_transmit()).flatten().collect())
            .unwrap();
        assert!(
            out.ends_with("421 4.4.2 mx.example.net Session too long; closing connection\r\n"),
            "{out}"
        );
    }

    #[test]
    fn input_allowance_closes_with_421_4_7_0_rfc5321_4_5_3_1() {
        let (mut config, mut policy) = mx();
        config.limits.max_input = Some(10_000);
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.handle_input(
            b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            now,
            &mut policy,
        );
        let line = [b'y'; 78];
        while !s.is_closed() {
            s.handle_input(&line, now, &mut policy);
            s.handle_input(b"\r\n", now, &mut policy);
        }
        let out = String::from_utf8(std::iter::from_fn(|| s.poll_transmit()).flatten().collect())
            .unwrap();
        assert!(
            out.ends_with("421 4.7.0 Too much data without mail; closing connection\r\n"),
            "{out}"
        );
        assert!(!out.contains("250 2.6.0"));
    }

    #[test]
    fn shutdown_is_421_4_3_2_rfc5321_3_8() {
        let (config, mut policy) = mx();
        let mut s = ServerSession::new(config, Peer::default(), Instant::now(), &mut policy);
        s.poll_transmit();
        s.shutdown();
        assert!(s.poll_transmit().unwrap().starts_with(b"421 4.3.2"));
        assert_eq!(
            s.poll_event(),
            Some(ServerEvent::Closed {
                reason: CloseReason::Shutdown
            })
        );
    }

    #[test]
    fn auth_plain_then_relay_rfc4954_4() {
        let config = ServerConfig::new("smtp.example.org").submission();
        let mut policy =
            SimplePolicy::for_domain("example.org", &["alice"]).with_account("alice", "alice");
        let token = BASE64.encode("\0alice\0alice");
        let input = format!(
            "EHLO laptop.example\r\nMAIL FROM:<alice@example.org>\r\nAUTH PLAIN {token}\r\n\
             MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
        );
        let (s, replies) = run(config, &mut policy, input.as_bytes());
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [250, 530, 235, 250, 250]);
        assert_eq!(s.peer().authenticated.as_deref(), Some("alice"));
    }

    #[test]
    fn auth_login_and_bad_password_rfc4954_4() {
        let config = ServerConfig::new("smtp.example.org").submission();
        let mut policy = SimplePolicy::default().with_account("alice", "alice");
        let (user, wrong) = (BASE64.encode("alice"), BASE64.encode("bob"));
        let input = format!(
            "EHLO l.example\r\nAUTH LOGIN\r\n{user}\r\n{wrong}\r\nAUTH FOO\r\nAUTH PLAIN\r\n*\r\n"
        );
        let (_, replies) = run(config, &mut policy, input.as_bytes());
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [250, 334, 334, 535, 504, 334, 501]);
    }

    /// Found by the `server` fuzz target: the mechanism was echoed whole,
    /// so a 500-octet name made a reply line past the limit.
    #[test]
    fn an_unknown_auth_mechanism_is_echoed_clipped_rfc5321_4_5_3_1_5() {
        let config = ServerConfig::new("smtp.example.org").submission();
        let mut policy = SimplePolicy::default().with_account("alice", "alice");
        let input = format!("EHLO l.example\r\nAUTH P{}\r\n", "A".repeat(490));
        let (_, replies) = run(config, &mut policy, input.as_bytes());
        let reply = &replies[1];
        assert_eq!(reply.code().get(), 504);
        let wire = reply.to_string();
        assert!(
            wire.lines().all(|l| l.len() + 2 <= 512),
            "a reply line over 512 octets: {wire:?}"
        );
        assert!(reply.text().contains("PAAAA"), "{wire:?}");
    }

    #[test]
    fn too_many_errors_end_the_session_with_421() {
        let (config, mut policy) = mx();
        let (s, replies) = run(config, &mut policy, "XYZZY\r\n".repeat(25).as_bytes());
        assert_eq!(replies.len(), 21);
        assert_eq!(replies[20].code().get(), 421);
        assert!(s.is_closed());
    }
}
