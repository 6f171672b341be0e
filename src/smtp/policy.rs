//! The questions a server session asks its host, and a plain answer sheet
//! (`SimplePolicy`) for tests, benchmarks and the demo.
//!
//! The session machine knows the protocol; the host knows which domains
//! are local, which mailboxes exist and who may relay.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::address::{ForwardPath, Mailbox, ReversePath};
use super::command::MailParams;
use super::dsn::RcptDsn;
use super::reply::Reply;
use super::whatif::{Instead, Step};

/// A generous default for `SIZE` (10 MiB, Postfix's default too).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 10 * 1024 * 1024;
/// RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
pub const DEFAULT_MAX_RECIPIENTS: usize = 100;

/// What the server knows of its client so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// The client's address, when the host knows it.
    pub ip: Option<IpAddr>,
    /// The name given in EHLO or HELO.
    pub helo: Option<String>,
    /// The client greeted with EHLO: the Received line says `ESMTP`,
    /// after HELO plain `SMTP` (RFC 5321 §4.4, RFC 3848 §1).
    pub esmtp: bool,
    /// The user name accepted by AUTH.
    pub authenticated: Option<String>,
    /// The session runs over TLS (STARTTLS, RFC 3207, or implicit TLS on
    /// port 465, RFC 8314): the Received line adds `S` (RFC 3848).
    pub tls: bool,
}

/// The envelope of one mail transaction (RFC 5321 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub reverse_path: ReversePath,
    pub forward_paths: Vec<ForwardPath>,
    pub params: MailParams,
    /// NOTIFY and ORCPT of each forward path, in the same order (RFC 3461).
    pub rcpt_dsn: Vec<RcptDsn>,
}

impl Envelope {
    /// The DSN parameters given with forward path `i`.
    pub fn dsn_of(&self, i: usize) -> RcptDsn {
        self.rcpt_dsn.get(i).cloned().unwrap_or_default()
    }
}

/// Policy questions. Only the first three need an answer; the rest have
/// defaults that suit a plain relay.
pub trait Policy {
    /// Is this domain delivered here (as opposed to relayed)?
    fn is_local_domain(&self, domain: &str) -> bool;

    /// Does this mailbox of a local domain exist?
    fn mailbox_exists(&self, mailbox: &Mailbox) -> bool;

    /// May this client send to domains that are not local?
    fn may_relay(&self, peer: &Peer) -> bool;

    /// A domain this server accepts from anyone and passes on, as a backup
    /// MX does (Postfix's relay_domains).
    fn is_relay_domain(&self, _domain: &str) -> bool {
        false
    }

    /// `Err(text)` refuses service at connection time with 554 (§3.1).
    fn greeting(&mut self, _peer: &Peer) -> Result<(), String> {
        Ok(())
    }

    /// Advertised with SIZE and enforced (RFC 1870).
    fn max_message_size(&self) -> usize {
        DEFAULT_MAX_MESSAGE_SIZE
    }

    /// More recipients get 452 4.5.3 (§4.5.3.1.10).
    fn max_recipients(&self) -> usize {
        DEFAULT_MAX_RECIPIENTS
    }

    /// AUTH PLAIN and LOGIN ask this.
    fn check_credentials(&mut self, _user: &str, _password: &str) -> bool {
        false
    }

    /// A last word on a recipient that passed the protocol's own checks
    /// (greylisting, quotas): `Some(reply)` replaces the 250.
    fn check_recipient(
        &mut self,
        _envelope: &Envelope,
        _to: &ForwardPath,
        _peer: &Peer,
    ) -> Option<Reply> {
        None
    }

    /// A what-if: asked once at each decision point (the greeting, each
    /// command that has a [`Step`], the end of data) before the server
    /// decides; `Some` is answered instead, and the session acts on it.
    fn instead(&mut self, _step: Step) -> Option<Instead> {
        None
    }

    /// Checks that take time (SPF asks DNS): `true` holds the answer to
    /// MAIL FROM until the host has settled them (`session::Settle`); then
    /// [`Policy::sender_verdict`] gives it.
    fn hold_sender(&mut self, _from: &ReversePath, _peer: &Peer) -> bool {
        false
    }

    /// After a held MAIL FROM: `Some(reply)` refuses the sender (550
    /// 5.7.23 for an SPF fail, RFC 7372 §3.2), `None` gives 250.
    fn sender_verdict(&mut self) -> Option<Reply> {
        None
    }

    /// Checks of a complete message that take time (DKIM, DMARC): `true`
    /// holds the reply to the end of data until the host has settled.
    fn hold_message(&mut self, _envelope: &Envelope, _content: &[u8], _peer: &Peer) -> bool {
        false
    }

    /// After a held message: `Some(reply)` refuses it (550 5.7.26 for a
    /// DMARC reject, RFC 7489 §6.6.4), `None` goes on to `accept_message`.
    fn message_verdict(&mut self) -> Option<Reply> {
        None
    }

    /// Takes responsibility for a complete message (§6.1): `Ok(queue id)`
    /// gives 250, `Err(reply)` refuses it.
    fn accept_message(
        &mut self,
        _envelope: &Envelope,
        _content: &[u8],
        _peer: &Peer,
    ) -> Result<String, Reply> {
        Ok(String::new())
    }
}

/// A fixed answer sheet: local domains, their mailboxes, accounts and
/// relay permission.
#[derive(Debug, Clone, Default)]
pub struct SimplePolicy {
    pub local_domains: BTreeSet<String>,
    /// Full addresses in lower case, e.g. `bob@example.net`.
    pub mailboxes: BTreeSet<String>,
    /// user name → password, for AUTH.
    pub accounts: BTreeMap<String, String>,
    /// Relay for anyone who authenticated.
    pub relay_when_authenticated: bool,
    /// Relay for these client addresses (a "mynetworks" list).
    pub relay_networks: Vec<IpAddr>,
    pub max_message_size: Option<usize>,
    pub max_recipients: Option<usize>,
    /// Refuse every connection with this text (554 at greeting).
    pub refuse_service: Option<String>,
    next_queue_id: u64,
}

impl SimplePolicy {
    /// A server for `domain` holding `mailboxes` (local parts).
    pub fn for_domain(domain: &str, mailboxes: &[&str]) -> SimplePolicy {
        SimplePolicy {
            local_domains: BTreeSet::from([domain.to_ascii_lowercase()]),
            mailboxes: mailboxes
                .iter()
                .map(|m| format!("{}@{}", m, domain).to_lowercase())
                .collect(),
            relay_when_authenticated: true,
            ..SimplePolicy::default()
        }
    }

    /// Adds an account for AUTH.
    pub fn with_account(mut self, user: &str, password: &str) -> SimplePolicy {
        self.accounts.insert(user.to_owned(), password.to_owned());
        self
    }
}

impl Policy for SimplePolicy {
    fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.contains(&domain.to_lowercase())
    }

    fn mailbox_exists(&self, mailbox: &Mailbox) -> bool {
        let address = format!("{}@{}", mailbox.canonical_local_part(), mailbox.host());
        self.mailboxes.contains(&address.to_lowercase())
    }

    fn may_relay(&self, peer: &Peer) -> bool {
        (self.relay_when_authenticated && peer.authenticated.is_some())
            || peer.ip.is_some_and(|ip| self.relay_networks.contains(&ip))
    }

    fn greeting(&mut self, _peer: &Peer) -> Result<(), String> {
        match &self.refuse_service {
            Some(text) => Err(text.clone()),
            None => Ok(()),
        }
    }

    fn max_message_size(&self) -> usize {
        self.max_message_size.unwrap_or(DEFAULT_MAX_MESSAGE_SIZE)
    }

    fn max_recipients(&self) -> usize {
        self.max_recipients.unwrap_or(DEFAULT_MAX_RECIPIENTS)
    }

    fn check_credentials(&mut self, user: &str, password: &str) -> bool {
        self.accounts.get(user).is_some_and(|p| p == password)
    }

    fn accept_message(
        &mut self,
        _envelope: &Envelope,
        _content: &[u8],
        _peer: &Peer,
    ) -> Result<String, Reply> {
        self.next_queue_id += 1;
        Ok(format!("Q{:05}", self.next_queue_id))
    }
}
