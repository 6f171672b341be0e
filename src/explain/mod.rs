//! The teaching catalog behind `mailflow explain` and the dashboard's
//! explanation pane: what each SMTP, POP3 and DNS command, reply, status
//! and record means, what the queue and delivery facts of a run mean, and
//! which RFC section says so.
//!
//! The words live in `assets/explain.ron`, so that teachers can improve them
//! without reading Rust. This module loads that file once, checks it, and
//! answers look-ups; it knows nothing about sessions, nodes or screens.
//!
//! ```
//! use mailflow::explain::{Catalog, render_text};
//!
//! let catalog = Catalog::builtin();
//! let rcpt = catalog.lookup("rcpt").expect("RCPT is in the catalog");
//! assert_eq!(rcpt.rfc, "RFC 5321 §4.1.1.3");
//!
//! // Most specific first: the enhanced code, then the basic reply code.
//! let topics: Vec<&str> = catalog
//!     .explain_reply(550, Some("5.1.1"))
//!     .iter()
//!     .map(|entry| entry.topic.as_str())
//!     .collect();
//! assert_eq!(topics, ["5.1.1", "550"]);
//! assert!(render_text(rcpt).contains("RFC 5321 §4.1.1.3"));
//! ```
//!
//! # Three protocols in one catalog
//!
//! Every entry belongs to a [`Protocol`] through its [`Kind`] (`Pop3Command`
//! is POP3, `DnsRcode` is DNS, the old kinds are SMTP; queue and header
//! entries belong to none), so `--list` groups them and look-ups can tell
//! them apart. Where two protocols share a word, SMTP keeps the bare topic
//! (`QUIT`, `NOOP`, `RSET`, `AUTH`, `PIPELINING`) and the POP3 entry is
//! called `POP3 QUIT` and so on; the SMTP entry points at it under "See
//! also". POP3 words that SMTP does not use (`RETR`, `USER`, ...) answer to
//! their bare name too. A protocol name in front picks the protocol:
//! `pop3 quit`, `smtp quit`, `dns mx` (see [`Catalog::lookup`]).
//!
//! ```
//! use mailflow::explain::{Catalog, Protocol};
//!
//! let catalog = Catalog::builtin();
//! let topic = |text: &str| catalog.lookup(text).map(|entry| entry.topic.as_str());
//! assert_eq!(topic("QUIT"), Some("QUIT"));
//! assert_eq!(topic("pop3 quit"), Some("POP3 QUIT"));
//! assert_eq!(topic("retr"), Some("POP3 RETR"));
//! assert_eq!(catalog.explain_pop3_command("QUIT").map(|e| e.topic.as_str()), Some("POP3 QUIT"));
//! assert_eq!(catalog.explain_dns_rcode("3").map(|e| e.topic.as_str()), Some("NXDOMAIN"));
//! assert_eq!(catalog.lookup("MX").and_then(|e| e.kind.protocol()), Some(Protocol::Dns));
//! ```

mod dns;
mod line;
mod load;
mod pop3;
mod render;
mod suggest;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::smtp::reply::EnhancedCode;

pub use line::reply_line;
pub use load::{CatalogError, Place};
pub use render::render_text;
pub(crate) use render::wrap;

/// The catalog shipped inside the binary, so `mailflow explain` needs no files.
const BUILTIN_RON: &str = include_str!("../../assets/explain.ron");

/// The protocol an entry explains: the trace's own [`Protocol`], so that a
/// line of a session is read by the protocol of its connection. Queue and
/// header entries belong to none; the catalog files submission (port 587)
/// under SMTP and has nothing for [`Protocol::Other`].
pub use crate::trace::Protocol;

// The catalog's reading of the trace's protocols: which ones it groups
// entries by, and the words a student types for them.
impl Protocol {
    /// The protocols the catalog has entries for, in the order `--list`
    /// shows them.
    pub const EXPLAINED: [Protocol; 3] = [Protocol::Smtp, Protocol::Pop3, Protocol::Dns];

    /// The protocol a word names, ignoring case: "smtp" (or "esmtp"),
    /// "pop3" (or "pop"), "dns".
    pub fn parse(word: &str) -> Option<Protocol> {
        let word = word.to_ascii_lowercase();
        match word.as_str() {
            "smtp" | "esmtp" => Some(Protocol::Smtp),
            "pop3" | "pop" => Some(Protocol::Pop3),
            "dns" => Some(Protocol::Dns),
            _ => None,
        }
    }
}

/// What an entry explains. It decides the headings the entry is printed
/// under, the group it is listed in, and its [`Protocol`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Kind {
    /// An SMTP command the client sends: `RCPT`, `DATA`, and the end-of-data `.`.
    Command,
    /// An ESMTP extension (an EHLO keyword) or an AUTH mechanism.
    Extension,
    /// A three-digit SMTP reply code: `550`.
    Reply,
    /// What a reply code's first or second digit means: `5yz`, `x5z`.
    ReplyClass,
    /// An enhanced status code (RFC 3463): `5.1.1`.
    Enhanced,
    /// What an enhanced code's class or subject means: `5.y.z`, `x.1.z`.
    EnhancedClass,
    /// An SMTP idea rather than a line on the wire: `postmaster`, `envelope`.
    Concept,
    /// A POP3 command: `POP3 RETR`, `POP3 QUIT`.
    Pop3Command,
    /// A POP3 capability a server lists in answer to CAPA (RFC 2449).
    Pop3Capability,
    /// A POP3 status indicator: `+OK`, `-ERR`.
    Pop3Status,
    /// A POP3 idea: its states, its multi-line responses.
    Pop3Concept,
    /// A DNS record type: `MX`, `A`, `TXT`, and the null MX.
    DnsRecord,
    /// A DNS response code: `NXDOMAIN`, and the pseudo-code `NODATA`.
    DnsRcode,
    /// A DNS idea: the AA flag, the implicit MX, MX preference.
    DnsConcept,
    /// A header field of the message: `Received`, `Message-ID`.
    Header,
    /// A queue or delivery fact of a run: `queued`, `deferred`, `bounced`.
    Delivery,
    /// What happens to a TCP connection: `connect`, `connection refused`,
    /// `close`.
    Connection,
    /// The mail system as a whole: who does what (MUA, MSA, MTA, MDA),
    /// which port serves which job, IMAP beside POP3.
    MailSystem,
}

impl Kind {
    /// Every kind, in the order `mailflow explain --list` shows them:
    /// SMTP, POP3, DNS, then the message, the queue, connections and the
    /// mail system.
    pub const ALL: [Kind; 18] = [
        Kind::Command,
        Kind::Extension,
        Kind::Reply,
        Kind::ReplyClass,
        Kind::Enhanced,
        Kind::EnhancedClass,
        Kind::Concept,
        Kind::Pop3Command,
        Kind::Pop3Capability,
        Kind::Pop3Status,
        Kind::Pop3Concept,
        Kind::DnsRecord,
        Kind::DnsRcode,
        Kind::DnsConcept,
        Kind::Header,
        Kind::Delivery,
        Kind::Connection,
        Kind::MailSystem,
    ];

    /// The protocol entries of this kind explain; `None` for the message's
    /// header fields, the queue, connections and the mail system as a
    /// whole, which every protocol shares.
    pub fn protocol(self) -> Option<Protocol> {
        match self {
            Kind::Command
            | Kind::Extension
            | Kind::Reply
            | Kind::ReplyClass
            | Kind::Enhanced
            | Kind::EnhancedClass
            | Kind::Concept => Some(Protocol::Smtp),
            Kind::Pop3Command | Kind::Pop3Capability | Kind::Pop3Status | Kind::Pop3Concept => {
                Some(Protocol::Pop3)
            }
            Kind::DnsRecord | Kind::DnsRcode | Kind::DnsConcept => Some(Protocol::Dns),
            Kind::Header | Kind::Delivery | Kind::Connection | Kind::MailSystem => None,
        }
    }

    /// A short name for one entry of this kind: "SMTP reply code".
    pub fn label(self) -> &'static str {
        match self {
            Kind::Command => "SMTP command",
            Kind::Extension => "SMTP extension",
            Kind::Reply => "SMTP reply code",
            Kind::ReplyClass => "SMTP reply code digit",
            Kind::Enhanced => "enhanced status code",
            Kind::EnhancedClass => "enhanced status code part",
            Kind::Concept => "SMTP concept",
            Kind::Pop3Command => "POP3 command",
            Kind::Pop3Capability => "POP3 capability",
            Kind::Pop3Status => "POP3 status indicator",
            Kind::Pop3Concept => "POP3 concept",
            Kind::DnsRecord => "DNS record type",
            Kind::DnsRcode => "DNS response code",
            Kind::DnsConcept => "DNS concept",
            Kind::Header => "header field",
            Kind::Delivery => "queue and delivery",
            Kind::Connection => "connection event",
            Kind::MailSystem => "mail system",
        }
    }

    /// A heading for a group of entries of this kind: "SMTP reply codes".
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Command => "SMTP commands",
            Kind::Extension => "SMTP extensions (EHLO keywords) and AUTH mechanisms",
            Kind::Reply => "SMTP reply codes",
            Kind::ReplyClass => "What the digits of an SMTP reply code mean",
            Kind::Enhanced => "Enhanced status codes (in SMTP replies and in bounces)",
            Kind::EnhancedClass => "What the parts of an enhanced status code mean",
            Kind::Concept => "SMTP concepts",
            Kind::Pop3Command => "POP3 commands",
            Kind::Pop3Capability => "POP3 capabilities (listed in answer to CAPA)",
            Kind::Pop3Status => "POP3 status indicators",
            Kind::Pop3Concept => "POP3 concepts",
            Kind::DnsRecord => "DNS record types",
            Kind::DnsRcode => "DNS response codes",
            Kind::DnsConcept => "DNS concepts",
            Kind::Header => "Header fields of the message",
            Kind::Delivery => "Queue and delivery",
            Kind::Connection => "Connections (TCP): connect, refused, close",
            Kind::MailSystem => "The mail system: roles, ports, IMAP",
        }
    }

    /// The heading of the `when` field: who sends this, and when.
    pub fn when_heading(self) -> &'static str {
        match self {
            Kind::Command | Kind::Pop3Command => "When the client sends it",
            Kind::Extension | Kind::Pop3Capability => "When it is used",
            Kind::Reply | Kind::Enhanced | Kind::Pop3Status | Kind::DnsRcode => {
                "When the server sends it"
            }
            Kind::ReplyClass | Kind::EnhancedClass => "When you see it",
            Kind::Concept | Kind::Pop3Concept | Kind::DnsConcept => "When it matters",
            Kind::DnsRecord => "When it is looked up",
            Kind::Header => "When it is written",
            Kind::Delivery | Kind::Connection => "When it happens",
            Kind::MailSystem => "When it matters",
        }
    }

    /// The heading of the `next` field: what happens afterwards.
    pub fn next_heading(self) -> &'static str {
        match self {
            Kind::Command | Kind::Pop3Command => "What the server answers",
            Kind::Reply
            | Kind::Enhanced
            | Kind::ReplyClass
            | Kind::EnhancedClass
            | Kind::Pop3Status => "What the client does next",
            Kind::DnsRcode => "What the asker does next",
            Kind::DnsRecord => "What the asker does with it",
            Kind::Extension
            | Kind::Pop3Capability
            | Kind::Concept
            | Kind::Pop3Concept
            | Kind::DnsConcept
            | Kind::Header
            | Kind::Delivery
            | Kind::Connection
            | Kind::MailSystem => "What happens next",
        }
    }
}

/// One explanation: a topic and what a teacher would say about it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What people type to find it: "550", "5.7.1", "RCPT", "PIPELINING".
    pub topic: String,
    /// What it explains; decides headings and grouping.
    pub kind: Kind,
    /// One short line.
    pub title: String,
    /// What it means, in plain words.
    pub meaning: String,
    /// When a server sends this reply, or when a client sends this command.
    pub when: String,
    /// What the client does next, or what the server answers.
    pub next: String,
    /// The exact source: "RFC 5321 §4.1.1.3".
    pub rfc: String,
    /// Other names that find the same entry: "RCPT TO".
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Related topics, printed as "See also".
    #[serde(default)]
    pub see: Vec<String>,
    /// How a student sees this in mailflow's own simulation.
    #[serde(default, deserialize_with = "load::some_string")]
    pub mailflow: Option<String>,
    /// What real servers print for it, vendor named: a Postfix log line, a
    /// Gmail reply. Students meet these long before they meet the RFC.
    #[serde(default, deserialize_with = "load::some_string")]
    pub seen: Option<String>,
    /// The meaning in one sentence, for the dashboard's narrow pane; only
    /// entries whose `meaning` runs long have one.
    #[serde(default, deserialize_with = "load::some_string")]
    pub short: Option<String>,
}

impl Entry {
    /// What the dashboard shows as the meaning: the one-sentence `short`
    /// form when there is one, else the whole `meaning`.
    pub fn short_meaning(&self) -> &str {
        self.short.as_deref().unwrap_or(&self.meaning)
    }
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&render_text(self))
    }
}

/// Every entry of `assets/explain.ron`, indexed by topic and alias.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: Vec<Entry>,
    /// Normalised topic or alias (see [`key`]) to its index in `entries`.
    index: HashMap<String, usize>,
}

impl Catalog {
    /// The catalog built into the binary, parsed on first use.
    ///
    /// # Panics
    ///
    /// Only if `assets/explain.ron` is broken; the unit test
    /// `builtin_catalog_loads` guards against shipping such a build.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalog::from_ron(BUILTIN_RON)
                .unwrap_or_else(|error| panic!("assets/explain.ron is broken: {error}"))
        })
    }

    /// Parses and checks a catalog written in RON (the format of
    /// `assets/explain.ron`). Errors name the line, and for syntax errors the
    /// column, of the mistake.
    pub fn from_ron(text: &str) -> Result<Catalog, CatalogError> {
        load::parse(text)
    }

    /// The entry for a topic or alias, ignoring case and extra blanks:
    /// "550", "5.7.1", "rcpt", "pipelining", "auth  plain", "MAIL FROM:".
    ///
    /// A protocol name in front picks among protocols: "pop3 quit" is
    /// POP3's QUIT, "smtp quit" SMTP's, "dns mx" the MX record type, and
    /// "smtp retr" nothing, since RETR is not SMTP (see [`Protocol::parse`]).
    pub fn lookup(&self, topic: &str) -> Option<&Entry> {
        let wanted = key(topic);
        self.lookup_key(&wanted)
            .or_else(|| self.lookup_qualified(&wanted))
    }

    /// A topic or alias, already normalised by [`key`]. "RCPT TO:" as
    /// copied from a transcript means the alias "RCPT TO".
    fn lookup_key(&self, wanted: &str) -> Option<&Entry> {
        let found = self.index.get(wanted).or_else(|| {
            wanted
                .strip_suffix(':')
                .and_then(|bare| self.index.get(bare.trim_end()))
        });
        found.map(|&at| &self.entries[at])
    }

    /// "pop3 retr", "smtp quit", "dns nxdomain": the rest of the words, as
    /// an entry of the protocol named first.
    fn lookup_qualified(&self, wanted: &str) -> Option<&Entry> {
        let (first, rest) = wanted.split_once(' ')?;
        let protocol = Protocol::parse(first)?;
        let own = |entry: &&Entry| entry.kind.protocol() == Some(protocol);
        let prefixed = (protocol == Protocol::Pop3)
            .then(|| self.lookup_key(&format!("pop3 {rest}")))
            .flatten();
        prefixed
            .filter(own)
            .or_else(|| self.lookup_key(rest).filter(own))
    }

    /// The entry for a fact a node reports, named as the trace names its
    /// event kinds: "queued", "deferred", "bounced", "expired",
    /// "loop_detected" (or "LoopDetected", "loop detected"), "relayed",
    /// "delivered", "attempting", "resolved", "retrieved". `None` for kinds
    /// that need no teaching, such as "wake".
    pub fn explain_event(&self, kind: &str) -> Option<&Entry> {
        let mut words = String::with_capacity(kind.len() + 4);
        for c in kind.trim().chars() {
            if c == '_' || c == '-' {
                words.push(' ');
            } else {
                if c.is_ascii_uppercase() && !words.is_empty() && !words.ends_with(' ') {
                    words.push(' ');
                }
                words.push(c);
            }
        }
        self.lookup(&words)
    }

    /// Explanations for a reply, most specific first: the enhanced code's
    /// entry (or, if the catalog lacks it, the entry for its subject such as
    /// `x.7.z`), then the basic code's entry (or, if the catalog lacks it, its
    /// class such as `5yz`, as RFC 5321 §4.2.1 tells clients to fall back on).
    pub fn explain_reply(&self, code: u16, enhanced: Option<&str>) -> Vec<&Entry> {
        let mut found = Vec::with_capacity(2);
        if let Some(code) = enhanced.and_then(|text| EnhancedCode::parse(text.trim())) {
            found.extend(
                self.enhanced_entry(code)
                    .or_else(|| self.subject_entry(code)),
            );
        }
        found.extend(
            self.reply_entry(code)
                .or_else(|| self.reply_class_entry(code)),
        );
        found
    }

    /// Explanations for an enhanced status code: its own entry, or if the
    /// catalog lacks it, its subject (`x.7.z`) and class (`5.y.z`), as
    /// RFC 3463 §2 tells clients to report unknown details.
    pub fn explain_enhanced(&self, code: &str) -> Vec<&Entry> {
        let Some(code) = EnhancedCode::parse(code.trim()) else {
            return Vec::new();
        };
        match self.enhanced_entry(code) {
            Some(entry) => vec![entry],
            None => [self.subject_entry(code), self.class_entry(code)]
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    /// The entry for a command verb, ignoring case. A whole command line
    /// works too: "RCPT TO:<bob@example.net>" finds RCPT.
    pub fn explain_command(&self, verb: &str) -> Option<&Entry> {
        let word = verb.split_whitespace().next()?;
        let word = word.split(':').next().unwrap_or(word);
        self.lookup(word)
            .filter(|entry| entry.kind == Kind::Command)
    }

    /// Every entry, in the order of the RON file.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// How many entries the catalog has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn of_kind(&self, topic: &str, kind: Kind) -> Option<&Entry> {
        self.lookup(topic).filter(|entry| entry.kind == kind)
    }

    fn reply_entry(&self, code: u16) -> Option<&Entry> {
        self.of_kind(&code.to_string(), Kind::Reply)
    }

    fn reply_class_entry(&self, code: u16) -> Option<&Entry> {
        if !(100..1000).contains(&code) {
            return None;
        }
        self.of_kind(&format!("{}yz", code / 100), Kind::ReplyClass)
    }

    fn enhanced_entry(&self, code: EnhancedCode) -> Option<&Entry> {
        let topic = format!("{}.{}.{}", code.class, code.subject, code.detail);
        self.of_kind(&topic, Kind::Enhanced)
    }

    fn subject_entry(&self, code: EnhancedCode) -> Option<&Entry> {
        self.of_kind(&format!("x.{}.z", code.subject), Kind::EnhancedClass)
    }

    fn class_entry(&self, code: EnhancedCode) -> Option<&Entry> {
        self.of_kind(&format!("{}.y.z", code.class), Kind::EnhancedClass)
    }
}

/// The line without a transcript prefix such as "S:" or "C:", any case.
fn without_prefix<'a>(line: &'a str, prefix: &str) -> &'a str {
    let trimmed = line.trim_start();
    match trimmed.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => trimmed[prefix.len()..].trim_start(),
        _ => trimmed,
    }
}

/// The form topics are compared in: lower case, blanks squeezed to one space.
fn key(topic: &str) -> String {
    topic
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads() {
        if let Err(error) = Catalog::from_ron(BUILTIN_RON) {
            panic!("assets/explain.ron must load: {error}");
        }
        assert!(Catalog::builtin().len() > 100);
    }

    #[test]
    fn keys_ignore_case_and_blanks() {
        assert_eq!(key("  AUTH   Plain "), "auth plain");
    }
}
