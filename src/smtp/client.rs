//! The client side of an SMTP session as a sans-IO machine.
//!
//! Given transactions (envelope + content) it writes the commands, reads
//! the replies, and reports per recipient whether the message was
//! delivered, should be retried (4xx, lost connection, timeout) or must be
//! bounced (5xx), so that an MTA can retry some recipients and bounce
//! others. EHLO falls back to HELO on a 5xx (RFC 5321 §4.1.1.1), SIZE is
//! declared and PIPELINING used when advertised (RFC 1870, RFC 2920).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::address::{ForwardPath, ReversePath};
use super::command::{Command, MailParams};
use super::extensions::{Extensions, Mechanism};
use super::reply::{EnhancedCode, Reply, ReplyParser};
use crate::session::{Session, stuffing};

mod chunking;
pub use chunking::is_binary;
mod dsn;
pub use dsn::DsnRequest;

/// Client timeouts of RFC 5321 §4.5.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// Greeting, EHLO, MAIL, RCPT, RSET, QUIT: 5 minutes.
    pub command: Duration,
    /// The 354 after DATA: 2 minutes.
    pub data_start: Duration,
    /// The reply after the final dot: 10 minutes.
    pub data_end: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        ClientTimeouts {
            command: Duration::from_secs(5 * 60),
            data_start: Duration::from_secs(2 * 60),
            data_end: Duration::from_secs(10 * 60),
        }
    }
}

/// User name and password for AUTH PLAIN (RFC 4954, RFC 4616).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// Whether a client uses STARTTLS (RFC 3207).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StartTls {
    /// Never, even when offered.
    #[default]
    Never,
    /// When the server offers it; in plaintext when not, or when the server
    /// refuses it (RFC 3207 §4.1: the client decides).
    Opportunistic,
    /// Only over TLS: a server that does not offer it, refuses it or fails
    /// the handshake gets no mail now, and every recipient is deferred.
    Required,
}

/// How a client session behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO.
    pub helo_name: String,
    /// Authenticate with AUTH PLAIN before the first MAIL.
    pub credentials: Option<Credentials>,
    /// Use PIPELINING when the server offers it.
    pub pipelining: bool,
    pub starttls: StartTls,
    /// Command lines written in the same flight as STARTTLS, before the
    /// server's 220: what a man in the middle (or a broken client) injects
    /// to have them run inside TLS (CVE-2011-0411). A correct server
    /// throws them away unread (RFC 3207 §4.2). Lesson scenarios only.
    pub inject_after_starttls: Vec<String>,
    pub timeouts: ClientTimeouts,
    /// Send with BDAT where CHUNKING is offered (RFC 3030); see `chunking`.
    pub chunking: bool,
    /// Octets per BDAT chunk; `None` sends the message in one.
    pub chunk_size: Option<usize>,
}

/// AUTH PLAIN's initial response: authzid (empty) NUL authcid NUL
/// passwd, in base64 (RFC 4616 §2).
pub fn plain_response(user: &str, password: &str) -> String {
    let mut plain = Vec::with_capacity(user.len() + password.len() + 2);
    plain.push(0);
    plain.extend_from_slice(user.as_bytes());
    plain.push(0);
    plain.extend_from_slice(password.as_bytes());
    BASE64.encode(plain)
}

impl ClientConfig {
    pub fn new(helo_name: &str) -> ClientConfig {
        ClientConfig {
            helo_name: helo_name.to_owned(),
            credentials: None,
            pipelining: true,
            starttls: StartTls::Never,
            inject_after_starttls: Vec::new(),
            timeouts: ClientTimeouts::default(),
            chunking: false,
            chunk_size: None,
        }
    }

    pub fn with_credentials(mut self, user: &str, password: &str) -> ClientConfig {
        self.credentials = Some(Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        });
        self
    }

    pub fn without_pipelining(mut self) -> ClientConfig {
        self.pipelining = false;
        self
    }
}

/// One message to send: envelope and content (RFC 5322 text, CRLF lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub reverse_path: ReversePath,
    pub forward_paths: Vec<ForwardPath>,
    pub content: Vec<u8>,
}

/// Why a recipient was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The server said so.
    Reply(Reply),
    /// The client concluded it (timeout, lost connection, missing extension).
    Local {
        enhanced: EnhancedCode,
        text: String,
    },
}

impl Reason {
    fn local(class: u8, subject: u16, detail: u16, text: impl Into<String>) -> Reason {
        Reason::Local {
            enhanced: EnhancedCode::new(class, subject, detail),
            text: text.into(),
        }
    }
}

/// What became of one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server took responsibility: 250 after the data.
    Delivered { reply: Reply },
    /// Try again later: 4xx, a lost connection or a timeout.
    Deferred { reason: Reason },
    /// Do not try again; bounce: 5xx.
    Failed { reason: Reason },
}

impl Outcome {
    /// 4xx defers, 5xx fails; a positive reply here is a server bug, so
    /// treat it as transient.
    fn from_reply(reply: &Reply) -> Outcome {
        let reason = Reason::Reply(reply.clone());
        if reply.code().is_permanent() {
            Outcome::Failed { reason }
        } else {
            Outcome::Deferred { reason }
        }
    }
}

/// What happened, for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// EHLO (or HELO after a refused EHLO) was accepted.
    Greeted {
        esmtp: bool,
        extensions: Extensions,
    },
    Authenticated,
    /// The server answered STARTTLS with 220: the host runs the TLS
    /// handshake now and then calls [`ClientSession::tls_established`] or
    /// [`ClientSession::tls_failed`]; nothing is sent until then.
    TlsStarting,
    /// Every recipient of transaction `index` has its outcome.
    TransactionDone {
        index: usize,
        outcomes: Vec<Outcome>,
    },
    Closed,
}

/// The reply the client waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    /// The TLS handshake, run by the host.
    Handshake,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    /// The reply to a BDAT chunk (RFC 3030 §2).
    Bdat {
        last: bool,
    },
    Rset,
    Quit,
}

impl Expect {
    /// What the client waits for, in a person's words, for a timeout's text.
    fn awaited(self) -> &'static str {
        match self {
            Expect::Greeting => "the server's greeting",
            Expect::Ehlo => "the reply to EHLO",
            Expect::Helo => "the reply to HELO",
            Expect::StartTls => "the reply to STARTTLS",
            Expect::Handshake => "the TLS handshake",
            Expect::Auth => "the reply to AUTH",
            Expect::Mail => "the reply to MAIL FROM",
            Expect::Rcpt(_) => "the reply to RCPT TO",
            Expect::Data => "the reply to DATA",
            Expect::DataEnd => "the reply to the final dot of DATA",
            Expect::Bdat { last: true } => "the reply to BDAT LAST",
            Expect::Bdat { last: false } => "the reply to BDAT",
            Expect::Rset => "the reply to RSET",
            Expect::Quit => "the reply to QUIT",
        }
    }
}

/// Progress of the transaction being sent.
#[derive(Debug, Default)]
struct Progress {
    mail_ok: bool,
    accepted: Vec<usize>,
    outcomes: Vec<Option<Outcome>>,
    /// A 354 came although nothing may be delivered: the lone dot of
    /// RFC 2920 §3.1 was sent and its reply means nothing.
    empty_data: bool,
    /// The server may still hold an open transaction: RSET before the next.
    needs_rset: bool,
    /// Octets of the content already sent in BDAT chunks.
    chunked: usize,
}

/// The client side of one SMTP connection.
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    transactions: Vec<Transaction>,
    current: usize,
    progress: Progress,
    extensions: Extensions,
    esmtp: bool,
    pipelining: bool,
    /// STARTTLS succeeded: the session runs over TLS.
    tls: bool,
    /// The driver has not yet been told to start TLS.
    tls_start_untold: bool,
    expect: VecDeque<Expect>,
    replies: ReplyParser,
    outbox: Vec<u8>,
    events: VecDeque<ClientEvent>,
    deadline: Option<Instant>,
    closed: bool,
    /// What each transaction asks of DSN (RFC 3461), by index.
    dsn: std::collections::BTreeMap<usize, DsnRequest>,
}

impl ClientSession {
    /// Starts a session that will send `transactions` in order, then QUIT.
    /// It waits for the server's greeting first.
    pub fn new(
        config: ClientConfig,
        transactions: Vec<Transaction>,
        now: Instant,
    ) -> ClientSession {
        let mut session = ClientSession {
            config,
            transactions,
            current: 0,
            progress: Progress::default(),
            extensions: Extensions::default(),
            esmtp: false,
            pipelining: false,
            tls: false,
            tls_start_untold: false,
            expect: VecDeque::new(),
            replies: ReplyParser::new(),
            outbox: Vec::new(),
            events: VecDeque::new(),
            deadline: None,
            closed: false,
            dsn: Default::default(),
        };
        session.progress = session.fresh_progress();
        session.wait_for(Expect::Greeting, now);
        session
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// What the server advertised (empty before EHLO, or after HELO).
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// True once STARTTLS succeeded.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The host finished the TLS handshake: EHLO again, first thing over
    /// TLS, since both sides forgot the first one (RFC 3207 §4.2).
    pub fn tls_established(&mut self, now: Instant) {
        if self.closed || self.expect.front() != Some(&Expect::Handshake) {
            return;
        }
        self.expect.pop_front();
        let ehlo = Command::Ehlo {
            domain: self.config.helo_name.clone(),
        };
        self.send(&ehlo, Expect::Ehlo, now);
    }

    /// The TLS handshake failed (`why` from the TLS library): the
    /// connection is unusable, so every recipient is deferred (X.7.5,
    /// cryptographic failure, RFC 3463) and the session closes.
    pub fn tls_failed(&mut self, why: &str) {
        if !self.closed {
            let text = format!("TLS handshake failed: {why}");
            self.abandon(Reason::local(4, 7, 5, text));
        }
    }

    /// True once commands were pipelined in this session.
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }

    /// Bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        self.replies.push(bytes);
        while !self.closed {
            match self.replies.next_reply() {
                None => break,
                Some(Ok(reply)) => self.handle_reply(reply, now),
                Some(Err(error)) => {
                    let text = format!("Invalid reply from the server: {error}");
                    self.abandon(Reason::local(4, 5, 0, text));
                }
            }
        }
    }

    /// The server closed the connection.
    pub fn handle_close(&mut self) {
        if !self.closed {
            let expecting_close = self.expect.front() == Some(&Expect::Quit);
            if !expecting_close {
                self.abandon(Reason::local(4, 4, 2, "The server closed the connection"));
            }
            self.finish();
        }
    }

    /// The host says what time it is; past the deadline the session gives
    /// up and every recipient not yet done is deferred.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed || self.deadline.is_none_or(|d| now < d) {
            return;
        }
        let waiting = self.expect.front().map_or("the server", |e| e.awaited());
        let text = format!("Timeout waiting for {waiting}");
        self.abandon(Reason::local(4, 4, 2, text));
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed { None } else { self.deadline }
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.outbox.is_empty()).then(|| std::mem::take(&mut self.outbox))
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn fresh_progress(&self) -> Progress {
        let n = self
            .transactions
            .get(self.current)
            .map_or(0, |t| t.forward_paths.len());
        Progress {
            outcomes: vec![None; n],
            ..Progress::default()
        }
    }

    fn send(&mut self, command: &Command, expect: Expect, now: Instant) {
        command.encode(&mut self.outbox);
        self.wait_for(expect, now);
    }

    fn wait_for(&mut self, expect: Expect, now: Instant) {
        if self.expect.is_empty() {
            self.deadline = Some(now + self.timeout_for(expect));
        }
        self.expect.push_back(expect);
    }

    fn timeout_for(&self, expect: Expect) -> Duration {
        match expect {
            Expect::Data => self.config.timeouts.data_start,
            Expect::DataEnd | Expect::Bdat { .. } => self.config.timeouts.data_end,
            _ => self.config.timeouts.command,
        }
    }

    fn handle_reply(&mut self, reply: Reply, now: Instant) {
        let Some(expect) = self.expect.pop_front() else {
            // A reply nobody asked for: the server is confused.
            self.abandon(Reason::local(4, 5, 0, format!("Unexpected reply: {reply}")));
            return;
        };
        self.deadline = self.expect.front().map(|&e| now + self.timeout_for(e));
        // 421 may come at any time: the server is closing (§3.8).
        if reply.code().get() == 421 && expect != Expect::Quit {
            self.abandon_with(Outcome::Deferred {
                reason: Reason::Reply(reply),
            });
            self.finish();
            return;
        }
        match expect {
            Expect::Greeting => self.on_greeting(reply, now),
            Expect::Ehlo => self.on_ehlo(reply, now),
            Expect::Helo => self.on_helo(reply, now),
            Expect::StartTls => self.on_starttls(reply, now),
            // Replies do not come during the host's handshake.
            Expect::Handshake => {
                let text = format!("A reply during the TLS handshake: {reply}");
                self.abandon(Reason::local(4, 5, 0, text));
            }
            Expect::Auth => self.on_auth(reply, now),
            Expect::Mail => self.on_mail(reply, now),
            Expect::Rcpt(i) => self.on_rcpt(i, reply, now),
            Expect::Data => self.on_data(reply, now),
            Expect::DataEnd => self.on_data_end(reply, now),
            Expect::Bdat { last } => self.on_bdat(last, reply, now),
            Expect::Rset => self.start_transaction(now),
            Expect::Quit => self.finish(),
        }
    }

    fn on_greeting(&mut self, reply: Reply, now: Instant) {
        if reply.code().is_positive() {
            let ehlo = Command::Ehlo {
                domain: self.config.helo_name.clone(),
            };
            self.send(&ehlo, Expect::Ehlo, now);
        } else {
            // 554 "no service here": say QUIT politely (§3.1).
            self.fail_remaining(&reply);
            self.quit(now);
        }
    }

    fn on_ehlo(&mut self, reply: Reply, now: Instant) {
        if reply.code().is_positive() {
            self.esmtp = true;
            self.extensions = Extensions::from_ehlo(&reply);
            self.greeted(now);
        } else if reply.code().is_permanent() {
            // An old server that does not know EHLO (§4.1.1.1, §3.2).
            let helo = Command::Helo {
                domain: self.config.helo_name.clone(),
            };
            self.send(&helo, Expect::Helo, now);
        } else {
            self.fail_remaining(&reply);
            self.quit(now);
        }
    }

    fn on_helo(&mut self, reply: Reply, now: Instant) {
        if reply.code().is_positive() {
            self.esmtp = false;
            self.extensions = Extensions::default();
            self.greeted(now);
        } else {
            self.fail_remaining(&reply);
            self.quit(now);
        }
    }

    fn greeted(&mut self, now: Instant) {
        self.events.push_back(ClientEvent::Greeted {
            esmtp: self.esmtp,
            extensions: self.extensions.clone(),
        });
        if !self.tls && self.config.starttls != StartTls::Never {
            if self.extensions.starttls {
                self.send(&Command::StartTls, Expect::StartTls, now);
                // No reply is awaited for these: whatever the server says
                // before its TLS is dropped unread below.
                for line in &self.config.inject_after_starttls {
                    self.outbox.extend_from_slice(line.as_bytes());
                    self.outbox.extend_from_slice(b"\r\n");
                }
                return;
            }
            if self.config.starttls == StartTls::Required {
                // X.7.4: security features not supported (RFC 3463).
                let text = "TLS is required, but the server does not offer STARTTLS";
                self.abandon_with(Outcome::Deferred {
                    reason: Reason::local(4, 7, 4, text),
                });
                return self.quit(now);
            }
        }
        self.authenticate(now);
    }

    fn on_starttls(&mut self, reply: Reply, now: Instant) {
        if reply.code().get() == 220 {
            self.tls = true;
            self.esmtp = false;
            self.extensions = Extensions::default();
            // Replies the server sent behind its 220 came in plaintext and
            // are dropped unread (RFC 3207 §4.2; the client's side of
            // CVE-2011-0411).
            self.replies = ReplyParser::new();
            self.events.push_back(ClientEvent::TlsStarting);
            self.tls_start_untold = true;
            return self.wait_for(Expect::Handshake, now);
        }
        if self.config.starttls == StartTls::Required {
            // Refused, even for good (5xx): the server may offer it later.
            self.abandon_with(Outcome::Deferred {
                reason: Reason::Reply(reply),
            });
            return self.quit(now);
        }
        self.authenticate(now);
    }

    /// AUTH when the client has credentials, then the first transaction.
    fn authenticate(&mut self, now: Instant) {
        let Some(credentials) = self.config.credentials.clone() else {
            return self.start_transaction(now);
        };
        if !self.extensions.auth.contains(&Mechanism::Plain) {
            let reason = Reason::local(5, 7, 0, "The server does not offer AUTH PLAIN");
            self.abandon_with(Outcome::Failed { reason });
            return self.quit(now);
        }
        let auth = Command::Auth {
            mechanism: "PLAIN".into(),
            initial: Some(plain_response(&credentials.user, &credentials.password)),
        };
        self.send(&auth, Expect::Auth, now);
    }

    fn on_auth(&mut self, reply: Reply, now: Instant) {
        if reply.code().is_positive() {
            self.events.push_back(ClientEvent::Authenticated);
            self.start_transaction(now);
        } else {
            self.fail_remaining(&reply);
            self.quit(now);
        }
    }

    fn start_transaction(&mut self, now: Instant) {
        let Some(tx) = self.transactions.get(self.current) else {
            return self.quit(now);
        };
        let needs_utf8 =
            !tx.reverse_path.is_ascii() || tx.forward_paths.iter().any(|f| !f.is_ascii());
        if needs_utf8 && !self.extensions.smtputf8 {
            let reason = Reason::local(
                5,
                6,
                7,
                "Non-ASCII address, but the server does not offer SMTPUTF8 (RFC 6531)",
            );
            self.progress
                .outcomes
                .fill(Some(Outcome::Failed { reason }));
            return self.transaction_done(now);
        }
        if tx.forward_paths.is_empty() {
            return self.transaction_done(now);
        }
        if let Some(outcome) = self.binary_refusal(&tx.content) {
            self.progress.outcomes.fill(Some(outcome));
            return self.transaction_done(now);
        }
        let params = MailParams {
            size: self.extensions.size.map(|_| tx.content.len() as u64),
            body: self.body_for(&tx.content),
            smtputf8: needs_utf8,
            dsn: self.mail_dsn(),
            ..MailParams::default()
        };
        let mail = Command::Mail {
            from: tx.reverse_path.clone(),
            params,
        };
        self.progress.needs_rset = true;
        if self.config.pipelining && self.extensions.pipelining {
            // RFC 2920 §3.1: MAIL, every RCPT and DATA in one group; DATA last.
            self.pipelining = true;
            self.send(&mail, Expect::Mail, now);
            let mut i = 0;
            while let Some(rcpt) = self.rcpt_command(i) {
                self.send(&rcpt, Expect::Rcpt(i), now);
                i += 1;
            }
            self.send_message(now);
        } else {
            self.send(&mail, Expect::Mail, now);
        }
    }

    /// `RCPT TO:` for recipient `i` of the current transaction.
    fn rcpt_command(&self, i: usize) -> Option<Command> {
        let to = self.transactions.get(self.current)?.forward_paths.get(i)?;
        Some(Command::Rcpt {
            to: to.clone(),
            params: self.rcpt_params(i),
        })
    }

    fn pipelined(&self) -> bool {
        self.config.pipelining && self.extensions.pipelining
    }

    fn on_mail(&mut self, reply: Reply, now: Instant) {
        if reply.code().is_positive() {
            self.progress.mail_ok = true;
            if !self.pipelined()
                && let Some(first) = self.rcpt_command(0)
            {
                self.send(&first, Expect::Rcpt(0), now);
            }
        } else {
            self.progress
                .outcomes
                .fill(Some(Outcome::from_reply(&reply)));
            if !self.pipelined() {
                self.transaction_done(now);
            }
        }
    }

    fn on_rcpt(&mut self, i: usize, reply: Reply, now: Instant) {
        if self.progress.mail_ok {
            if reply.code().is_positive() {
                self.progress.accepted.push(i);
            } else {
                self.progress.outcomes[i] = Some(Outcome::from_reply(&reply));
            }
        }
        if self.pipelined() {
            return;
        }
        if let Some(next) = self.rcpt_command(i + 1) {
            self.send(&next, Expect::Rcpt(i + 1), now);
        } else if self.progress.accepted.is_empty() {
            self.transaction_done(now);
        } else {
            self.send_message(now);
        }
    }

    fn on_data(&mut self, reply: Reply, now: Instant) {
        let deliverable = self.progress.mail_ok && !self.progress.accepted.is_empty();
        if reply.code().get() == 354 {
            let content: &[u8] = if deliverable {
                &self.transactions[self.current].content
            } else {
                self.progress.empty_data = true;
                b""
            };
            let mut wire = Vec::new();
            stuffing::stuff(content, &mut wire);
            self.outbox.extend_from_slice(&wire);
            self.wait_for(Expect::DataEnd, now);
            return;
        }
        if deliverable {
            self.settle_accepted(&reply);
        }
        self.transaction_done(now);
    }

    fn on_data_end(&mut self, reply: Reply, now: Instant) {
        if !self.progress.empty_data {
            self.settle_accepted(&reply);
            self.progress.needs_rset = false;
        }
        self.transaction_done(now);
    }

    /// The reply after the data (or to DATA) decides every accepted recipient.
    fn settle_accepted(&mut self, reply: &Reply) {
        let outcome = if reply.code().is_positive() {
            Outcome::Delivered {
                reply: reply.clone(),
            }
        } else {
            Outcome::from_reply(reply)
        };
        for i in std::mem::take(&mut self.progress.accepted) {
            self.progress.outcomes[i] = Some(outcome.clone());
        }
    }

    fn transaction_done(&mut self, now: Instant) {
        let outcomes = self.take_outcomes(|| Outcome::Deferred {
            reason: Reason::local(4, 5, 0, "No reply for this recipient"),
        });
        self.events.push_back(ClientEvent::TransactionDone {
            index: self.current,
            outcomes,
        });
        let needs_rset = self.progress.needs_rset;
        self.current += 1;
        self.progress = self.fresh_progress();
        if needs_rset && self.current < self.transactions.len() {
            // §4.1.1.5: abort what the server may still hold.
            self.send(&Command::Rset, Expect::Rset, now);
        } else {
            self.start_transaction(now);
        }
    }

    fn take_outcomes(&mut self, missing: impl Fn() -> Outcome) -> Vec<Outcome> {
        std::mem::take(&mut self.progress.outcomes)
            .into_iter()
            .map(|o| o.unwrap_or_else(&missing))
            .collect()
    }

    fn quit(&mut self, now: Instant) {
        self.expect.clear();
        self.send(&Command::Quit, Expect::Quit, now);
    }

    /// Every recipient still open, in this and later transactions, gets the
    /// outcome a failed reply implies; the session then QUITs.
    fn fail_remaining(&mut self, reply: &Reply) {
        self.abandon_with(Outcome::from_reply(reply));
    }

    /// Gives every unfinished recipient `outcome` and reports them.
    fn abandon_with(&mut self, outcome: Outcome) {
        while self.current < self.transactions.len() {
            let outcomes = self.take_outcomes(|| outcome.clone());
            self.events.push_back(ClientEvent::TransactionDone {
                index: self.current,
                outcomes,
            });
            self.current += 1;
            self.progress = self.fresh_progress();
        }
    }

    /// Gives up on the session: unfinished recipients are deferred and the
    /// connection is closed without QUIT.
    fn abandon(&mut self, reason: Reason) {
        self.abandon_with(Outcome::Deferred { reason });
        self.finish();
    }

    fn finish(&mut self) {
        if !self.closed {
            self.closed = true;
            // Commands written before a 421 was read must not go out (§3.8).
            self.outbox.clear();
            self.expect.clear();
            self.deadline = None;
            self.events.push_back(ClientEvent::Closed);
        }
    }
}

/// A client needs nothing of its host while it reads replies.
impl Session for ClientSession {
    type Event = ClientEvent;

    fn handle_input(&mut self, bytes: &[u8], now: Instant, _: &mut ()) {
        ClientSession::handle_input(self, bytes, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        ClientSession::handle_timeout(self, now);
    }
    fn handle_close(&mut self) {
        ClientSession::handle_close(self);
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        ClientSession::poll_transmit(self)
    }
    fn transmit(&mut self, send: &mut dyn FnMut(&[u8])) -> bool {
        crate::session::transmit_outbox(&mut self.outbox, send)
    }
    fn poll_event(&mut self) -> Option<ClientEvent> {
        ClientSession::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ClientSession::poll_timeout(self)
    }
    fn is_closed(&self) -> bool {
        ClientSession::is_closed(self)
    }
    fn take_tls_start(&mut self) -> bool {
        std::mem::take(&mut self.tls_start_untold)
    }
    fn handle_tls_established(&mut self, now: Instant) {
        self.tls_established(now);
    }
    fn handle_tls_failed(&mut self, why: &str) {
        self.tls_failed(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::address::Mailbox;

    fn tx(to: &[&str]) -> Transaction {
        Transaction {
            reverse_path: ReversePath::Mailbox(Mailbox::parse("alice@example.org").unwrap()),
            forward_paths: to
                .iter()
                .map(|t| ForwardPath::Mailbox(Mailbox::parse(t).unwrap()))
                .collect(),
            content: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
        }
    }

    /// A client driven by a scripted server: each step is the server's reply
    /// bytes; returns every chunk the client sent.
    fn script(
        config: ClientConfig,
        txs: Vec<Transaction>,
        replies: &[&str],
    ) -> (ClientSession, Vec<String>) {
        let now = Instant::now();
        let mut c = ClientSession::new(config, txs, now);
        let mut sent = Vec::new();
        for reply in replies {
            c.handle_input(reply.as_bytes(), now);
            if let Some(bytes) = c.poll_transmit() {
                sent.push(String::from_utf8(bytes).unwrap());
            }
        }
        (c, sent)
    }

    fn outcomes(c: &mut ClientSession) -> Vec<Vec<Outcome>> {
        std::iter::from_fn(|| c.poll_event())
            .filter_map(|e| match e {
                ClientEvent::TransactionDone { outcomes, .. } => Some(outcomes),
                _ => None,
            })
            .collect()
    }

    const EHLO_PIPELINING: &str = "250-mx Hello\r\n250-SIZE 1000\r\n250 PIPELINING\r\n";

    const EHLO_STARTTLS: &str = "250-mx Hello\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n";

    fn tls_client(starttls: StartTls) -> ClientSession {
        let mut config = ClientConfig::new("c.example").with_credentials("alice", "secret");
        config.starttls = starttls;
        ClientSession::new(config, vec![tx(&["bob@example.net"])], Instant::now())
    }

    fn sent(c: &mut ClientSession) -> String {
        String::from_utf8(c.poll_transmit().unwrap_or_default()).unwrap_or_default()
    }

    fn deferred_with(c: &mut ClientSession) -> Option<EnhancedCode> {
        outcomes(c).into_iter().flatten().find_map(|o| match o {
            Outcome::Deferred {
                reason: Reason::Local { enhanced, .. },
            } => Some(enhanced),
            _ => None,
        })
    }

    #[test]
    fn starttls_when_offered_then_ehlo_again_before_auth_rfc3207_4_2() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Opportunistic);
        c.handle_input(b"220 mx ESMTP\r\n", now);
        assert_eq!(sent(&mut c), "EHLO c.example\r\n");
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        assert_eq!(
            sent(&mut c),
            "STARTTLS\r\n",
            "before AUTH: the password waits for TLS"
        );
        // A reply behind the 220 came in plaintext: dropped unread.
        c.handle_input(
            b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n",
            now,
        );
        assert!(c.tls());
        assert_eq!(sent(&mut c), "", "nothing is sent during the handshake");
        assert!(std::iter::from_fn(|| c.poll_event()).any(|e| e == ClientEvent::TlsStarting));
        c.tls_established(now);
        assert_eq!(sent(&mut c), "EHLO c.example\r\n");
        c.handle_input(b"250-mx Hello\r\n250 AUTH PLAIN\r\n", now);
        assert!(
            sent(&mut c).starts_with("AUTH PLAIN "),
            "no second STARTTLS over TLS"
        );
        assert!(!c.is_closed());
    }

    #[test]
    fn injected_lines_leave_in_the_starttls_flight_cve_2011_0411_rfc3207_4_2() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Required);
        c.config.inject_after_starttls = vec!["RSET".into(), "MAIL FROM:<x@evil.example>".into()];
        c.handle_input(b"220 mx ESMTP\r\n", now);
        sent(&mut c);
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        assert_eq!(
            sent(&mut c),
            "STARTTLS\r\nRSET\r\nMAIL FROM:<x@evil.example>\r\n",
            "one write, before the 220"
        );
        c.handle_input(b"220 2.0.0 Ready to start TLS\r\n", now);
        assert!(c.tls(), "no reply to the injected lines is awaited");
        c.tls_established(now);
        assert_eq!(sent(&mut c), "EHLO c.example\r\n", "not injected again");
    }

    #[test]
    fn opportunistic_tls_goes_on_in_plaintext_when_not_offered_or_refused_rfc3207_4_1() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Opportunistic);
        c.handle_input(b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n", now);
        assert!(sent(&mut c).ends_with("\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"));
        let mut c = tls_client(StartTls::Opportunistic);
        c.handle_input(b"220 mx\r\n", now);
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        sent(&mut c);
        c.handle_input(
            b"454 4.7.0 TLS not available due to temporary reason\r\n",
            now,
        );
        assert!(!c.tls());
        assert!(sent(&mut c).starts_with("AUTH PLAIN "));
    }

    #[test]
    fn never_sends_starttls_unless_configured() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Never);
        c.handle_input(b"220 mx\r\n", now);
        sent(&mut c);
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        assert!(sent(&mut c).starts_with("AUTH PLAIN "));
    }

    #[test]
    fn required_tls_not_offered_defers_4_7_4_rfc3463_3_8() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Required);
        c.handle_input(b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n", now);
        assert!(
            sent(&mut c).ends_with("QUIT\r\n"),
            "no password in plaintext"
        );
        assert_eq!(deferred_with(&mut c), Some(EnhancedCode::new(4, 7, 4)));
    }

    #[test]
    fn required_tls_refused_defers_with_the_reply_rfc3207_4() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Required);
        c.handle_input(b"220 mx\r\n", now);
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        sent(&mut c);
        c.handle_input(b"554 5.7.0 no TLS for you\r\n", now);
        assert_eq!(sent(&mut c), "QUIT\r\n");
        let refused = outcomes(&mut c).into_iter().flatten().all(|o| {
            matches!(o, Outcome::Deferred { reason: Reason::Reply(r) } if r.code().get() == 554)
        });
        assert!(
            refused,
            "a refused STARTTLS defers even on 5xx: TLS may come back"
        );
    }

    #[test]
    fn a_failed_handshake_defers_4_7_5_and_closes_rfc3463_3_8() {
        let now = Instant::now();
        let mut c = tls_client(StartTls::Opportunistic);
        c.handle_input(b"220 mx\r\n", now);
        c.handle_input(EHLO_STARTTLS.as_bytes(), now);
        c.handle_input(b"220 2.0.0 Ready to start TLS\r\n", now);
        c.tls_failed("invalid peer certificate: Expired");
        assert!(c.is_closed());
        assert_eq!(deferred_with(&mut c), Some(EnhancedCode::new(4, 7, 5)));
    }

    #[test]
    fn ehlo_refused_falls_back_to_helo_rfc5321_4_1_1_1() {
        let (_, sent) = script(
            ClientConfig::new("c.example"),
            vec![tx(&["bob@example.net"])],
            &["220 mx\r\n", "502 5.5.1 what?\r\n", "250 mx\r\n"],
        );
        assert_eq!(sent[0], "EHLO c.example\r\n");
        assert_eq!(sent[1], "HELO c.example\r\n");
        // After HELO: no parameters, one command at a time.
        assert_eq!(sent[2], "MAIL FROM:<alice@example.org>\r\n");
    }

    #[test]
    fn size_declared_and_group_pipelined_rfc2920_3_1_rfc1870_3() {
        let (_, sent) = script(
            ClientConfig::new("c.example"),
            vec![tx(&["bob@example.net", "eve@example.net"])],
            &["220 mx\r\n", EHLO_PIPELINING],
        );
        assert_eq!(
            sent[1],
            "MAIL FROM:<alice@example.org> SIZE=22\r\nRCPT TO:<bob@example.net>\r\n\
             RCPT TO:<eve@example.net>\r\nDATA\r\n"
        );
    }

    #[test]
    fn per_recipient_outcomes_rfc5321_3_3() {
        let (mut c, sent) = script(
            ClientConfig::new("c.example"),
            vec![tx(&[
                "bob@example.net",
                "nobody@example.net",
                "busy@example.net",
            ])],
            &[
                "220 mx\r\n",
                EHLO_PIPELINING,
                "250 ok\r\n250 ok\r\n550 5.1.1 no\r\n452 4.2.2 full\r\n354 go\r\n",
                "250 2.6.0 queued\r\n",
                "221 bye\r\n",
            ],
        );
        assert!(sent[2].ends_with("\r\n.\r\n"));
        assert_eq!(sent[3], "QUIT\r\n");
        let done = outcomes(&mut c);
        assert!(matches!(done[0][0], Outcome::Delivered { .. }));
        assert!(matches!(done[0][1], Outcome::Failed { .. }));
        assert!(matches!(done[0][2], Outcome::Deferred { .. }));
        assert!(c.is_closed());
    }

    #[test]
    fn no_accepted_recipient_means_no_data_and_rset_rfc5321_4_1_1_5() {
        let (mut c, sent) = script(
            ClientConfig::new("c.example").without_pipelining(),
            vec![tx(&["nobody@example.net"]), tx(&["bob@example.net"])],
            &[
                "220 mx\r\n",
                "250 mx\r\n",
                "250 ok\r\n",
                "550 5.1.1 no\r\n",
                "250 reset\r\n",
            ],
        );
        assert_eq!(sent[3], "RSET\r\n");
        assert_eq!(sent[4], "MAIL FROM:<alice@example.org>\r\n");
        assert!(matches!(outcomes(&mut c)[0][0], Outcome::Failed { .. }));
    }

    #[test]
    fn reply_421_defers_everything_rfc5321_3_8() {
        let (mut c, _) = script(
            ClientConfig::new("c.example"),
            vec![tx(&["bob@example.net"]), tx(&["eve@example.net"])],
            &["220 mx\r\n", "421 4.3.2 going down\r\n"],
        );
        let done = outcomes(&mut c);
        assert_eq!(done.len(), 2);
        assert!(
            done.iter()
                .flatten()
                .all(|o| matches!(o, Outcome::Deferred { .. }))
        );
        assert!(c.is_closed());
    }

    #[test]
    fn silent_server_times_out_rfc5321_4_5_3_2() {
        let now = Instant::now();
        let mut c = ClientSession::new(
            ClientConfig::new("c.example"),
            vec![tx(&["bob@example.net"])],
            now,
        );
        let deadline = c.poll_timeout().unwrap();
        assert_eq!(deadline, now + Duration::from_secs(300));
        c.handle_timeout(deadline);
        assert!(c.is_closed());
        let done = outcomes(&mut c);
        let Outcome::Deferred {
            reason: Reason::Local { text, .. },
        } = &done[0][0]
        else {
            panic!("{:?}", done[0][0])
        };
        // Said in words a student reads in the queue and the Explain pane.
        assert_eq!(text, "Timeout waiting for the server's greeting");
    }

    #[test]
    fn auth_plain_is_sent_after_ehlo_rfc4954_4() {
        let (_, sent) = script(
            ClientConfig::new("c.example").with_credentials("alice", "alice"),
            vec![tx(&["bob@example.net"])],
            &["220 mx\r\n", "250-mx\r\n250 AUTH PLAIN LOGIN\r\n"],
        );
        assert_eq!(
            sent[1],
            format!("AUTH PLAIN {}\r\n", BASE64.encode("\0alice\0alice"))
        );
    }

    #[test]
    fn utf8_address_without_smtputf8_fails_locally_rfc6531_3_4() {
        let mut t = tx(&["bob@example.net"]);
        t.forward_paths = vec![ForwardPath::Mailbox(
            Mailbox::parse("jörg@example.net").unwrap(),
        )];
        let (mut c, sent) = script(
            ClientConfig::new("c.example"),
            vec![t],
            &["220 mx\r\n", "250 mx\r\n"],
        );
        assert_eq!(sent[1], "QUIT\r\n");
        assert!(matches!(outcomes(&mut c)[0][0], Outcome::Failed { .. }));
    }
}
