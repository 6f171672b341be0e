//! POP3 look-ups: commands, the two status indicators, CAPA capabilities
//! and whole session lines (RFC 1939, RFC 2449).
//!
//! POP3 topics are written `POP3 RETR`, `POP3 QUIT`: SMTP keeps the bare
//! words it shares with POP3 (QUIT, NOOP, RSET, AUTH, PIPELINING). These
//! methods know the conversation is POP3 and add the prefix themselves.

use super::{Catalog, Entry, Kind, without_prefix};
use crate::pop3::{Response, Status};

/// The topic of the multi-line response entry, which also explains the
/// lone `.` that ends one.
const MULTILINE: &str = "POP3 multi-line";

impl Catalog {
    /// The POP3 command named by a verb or a whole command line, ignoring
    /// case: "RETR", "retr 1", "PASS my secret", "QUIT" (POP3's QUIT, not
    /// SMTP's). Commands mailflow recognises but does not offer (APOP,
    /// STLS, AUTH, UTF8, LANG) have entries too. `None` for anything else.
    pub fn explain_pop3_command(&self, line: &str) -> Option<&Entry> {
        let mut words = line.split_whitespace();
        let mut verb = words.next()?;
        if verb.eq_ignore_ascii_case("pop3") || verb.eq_ignore_ascii_case("pop") {
            verb = words.next()?;
        }
        self.lookup(&format!("POP3 {verb}"))
            .filter(|entry| entry.kind == Kind::Pop3Command)
    }

    /// `+OK` (`ok` true) or `-ERR` (`ok` false), the status indicator that
    /// starts every POP3 response (RFC 1939 §3). `None` only for a catalog
    /// without them; the built-in one has both.
    pub fn explain_pop3_status(&self, ok: bool) -> Option<&Entry> {
        let topic = if ok { "+OK" } else { "-ERR" };
        self.lookup(topic)
            .filter(|entry| entry.kind == Kind::Pop3Status)
    }

    /// A line of a server's answer to CAPA: "PIPELINING" (POP3's, not
    /// SMTP's), "IMPLEMENTATION mailflow", or a tag that names a command
    /// such as "TOP", "UIDL" or "USER", which gives that command's entry.
    pub fn explain_pop3_capability(&self, line: &str) -> Option<&Entry> {
        let tag = line.split_whitespace().next()?;
        self.lookup(&format!("POP3 {tag}"))
            .filter(|entry| matches!(entry.kind, Kind::Pop3Capability | Kind::Pop3Command))
    }

    /// Explanations for one line of a POP3 session, with or without a
    /// transcript's "S:" or "C:" prefix:
    ///
    /// * a status line, "+OK 2 messages (320 octets)" or "-ERR no such
    ///   message", gives `+OK` or `-ERR`;
    /// * the lone "." that ends a multi-line response gives the entry on
    ///   multi-line responses;
    /// * a command line, "RETR 1" or "QUIT", gives the POP3 command.
    ///
    /// The lines in between, of a listing or of a message, are explained by
    /// the command that asked for them, which only the caller knows; for
    /// them, and for anything else, the result is empty.
    pub fn explain_pop3_line(&self, line: &str) -> Vec<&Entry> {
        let line = without_prefix(without_prefix(line, "S:"), "C:");
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim() == "." {
            return self.lookup(MULTILINE).into_iter().collect();
        }
        if let Ok(response) = Response::parse(line.trim_start().as_bytes()) {
            let ok = response.status == Status::Ok;
            return self.explain_pop3_status(ok).into_iter().collect();
        }
        self.explain_pop3_command(line).into_iter().collect()
    }
}
