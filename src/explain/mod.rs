//! The teaching catalog behind `mailflow explain` and the dashboard's
//! explanation pane: what each SMTP command, extension, reply code and
//! enhanced status code means, and which RFC section says so.
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

mod line;
mod load;
mod render;
mod suggest;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use line::ReplyLine;
pub use load::{CatalogError, Place};
pub use render::render_text;
pub(crate) use render::wrap;

/// The catalog shipped inside the binary, so `mailflow explain` needs no files.
const BUILTIN_RON: &str = include_str!("../../assets/explain.ron");

/// What an entry explains. It decides the headings the entry is printed under
/// and the group it is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Kind {
    /// A command the client sends: `RCPT`, `DATA`, and the end-of-data `.`.
    Command,
    /// An ESMTP extension (an EHLO keyword) or an AUTH mechanism.
    Extension,
    /// A three-digit reply code: `550`.
    Reply,
    /// What a reply code's first or second digit means: `5yz`, `x5z`.
    ReplyClass,
    /// An enhanced status code (RFC 3463): `5.1.1`.
    Enhanced,
    /// What an enhanced code's class or subject means: `5.y.z`, `x.1.z`.
    EnhancedClass,
    /// An idea rather than a line on the wire: `postmaster`, `MX`.
    Concept,
}

impl Kind {
    /// Every kind, in the order `mailflow explain --list` shows them.
    pub const ALL: [Kind; 7] = [
        Kind::Command,
        Kind::Extension,
        Kind::Reply,
        Kind::ReplyClass,
        Kind::Enhanced,
        Kind::EnhancedClass,
        Kind::Concept,
    ];

    /// A short name for one entry of this kind: "reply code".
    pub fn label(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Extension => "extension",
            Kind::Reply => "reply code",
            Kind::ReplyClass => "reply code digit",
            Kind::Enhanced => "enhanced status code",
            Kind::EnhancedClass => "enhanced status code part",
            Kind::Concept => "concept",
        }
    }

    /// A heading for a group of entries of this kind: "Reply codes".
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Command => "Commands",
            Kind::Extension => "Extensions (EHLO keywords) and AUTH mechanisms",
            Kind::Reply => "Reply codes",
            Kind::ReplyClass => "What the digits of a reply code mean",
            Kind::Enhanced => "Enhanced status codes",
            Kind::EnhancedClass => "What the parts of an enhanced status code mean",
            Kind::Concept => "Concepts",
        }
    }

    /// The heading of the `when` field: who sends this, and when.
    pub fn when_heading(self) -> &'static str {
        match self {
            Kind::Command => "When the client sends it",
            Kind::Extension => "When it is used",
            Kind::Reply | Kind::Enhanced => "When the server sends it",
            Kind::ReplyClass | Kind::EnhancedClass => "When you see it",
            Kind::Concept => "When it matters",
        }
    }

    /// The heading of the `next` field: what happens afterwards.
    pub fn next_heading(self) -> &'static str {
        match self {
            Kind::Command => "What the server answers",
            Kind::Reply | Kind::Enhanced | Kind::ReplyClass | Kind::EnhancedClass => {
                "What the client does next"
            }
            Kind::Extension | Kind::Concept => "What happens next",
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
    pub fn lookup(&self, topic: &str) -> Option<&Entry> {
        let wanted = key(topic);
        let found = self.index.get(&wanted).or_else(|| {
            // "RCPT TO:" as copied from a transcript means the alias "RCPT TO".
            wanted
                .strip_suffix(':')
                .and_then(|bare| self.index.get(bare.trim_end()))
        });
        found.map(|&at| &self.entries[at])
    }

    /// Explanations for a reply, most specific first: the enhanced code's
    /// entry (or, if the catalog lacks it, the entry for its subject such as
    /// `x.7.z`), then the basic code's entry (or, if the catalog lacks it, its
    /// class such as `5yz`, as RFC 5321 §4.2.1 tells clients to fall back on).
    pub fn explain_reply(&self, code: u16, enhanced: Option<&str>) -> Vec<&Entry> {
        let mut found = Vec::with_capacity(2);
        if let Some(code) = enhanced.and_then(EnhancedCode::parse) {
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
        let Some(code) = EnhancedCode::parse(code) else {
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

/// An enhanced status code taken apart: `class.subject.detail` (RFC 3463 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EnhancedCode {
    class: u16,
    subject: u16,
    detail: u16,
}

impl EnhancedCode {
    /// Accepts `2`, `4` or `5`, then two numbers of one to three digits.
    fn parse(text: &str) -> Option<EnhancedCode> {
        let mut parts = text.trim().split('.');
        let class = number(parts.next()?)?;
        let subject = number(parts.next()?)?;
        let detail = number(parts.next()?)?;
        let valid = parts.next().is_none() && matches!(class, 2 | 4 | 5);
        valid.then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }
}

/// One to three ASCII digits.
fn number(text: &str) -> Option<u16> {
    let digits = (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if digits { text.parse().ok() } else { None }
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
    fn enhanced_codes_parse_rfc3463_2() {
        let code = EnhancedCode::parse("5.1.10");
        assert_eq!(
            code,
            Some(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 10
            })
        );
        for bad in ["", "5.1", "3.1.1", "5.1.1.1", "5.1.1000", "5..1", "a.b.c"] {
            assert_eq!(EnhancedCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn keys_ignore_case_and_blanks() {
        assert_eq!(key("  AUTH   Plain "), "auth plain");
    }
}
