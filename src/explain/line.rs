//! Explaining a whole line as it appears on the wire or in a transcript:
//! "S: 550 5.1.1 no such user", "C: RCPT TO:<bob@example.net>",
//! "250-PIPELINING", "+OK 2 messages", and, for a caller that knows the
//! protocol, "response id 7 NXDOMAIN: ...".

use super::{Catalog, Entry, Kind, Protocol, without_prefix};
use crate::pop3::Response;
use crate::smtp::reply::ReplyLine;
use crate::trace::transcript::{Line as TranscriptLine, LineKind};

/// One reply line of a transcript or a log, read by SMTP's own reply
/// grammar ([`ReplyLine::parse`]): a leading "S:" and the line ending are
/// ignored. `None` for anything that is not a reply line.
pub fn reply_line(line: &str) -> Option<ReplyLine<'_>> {
    let line = without_prefix(line, "S:").trim_end_matches(['\r', '\n']);
    ReplyLine::parse(line).ok()
}

/// Whether a line is a POP3 status line, by POP3's own grammar (RFC 1939 §3).
fn is_pop3_status(line: &str) -> bool {
    Response::parse(line.as_bytes()).is_ok()
}

impl Catalog {
    /// Explanations for one line of a session, most specific first:
    /// a reply ("550 5.1.1 no such user", "250-PIPELINING"), a command
    /// ("RCPT TO:<bob@example.net>", "AUTH PLAIN dGVzdA=="), a bare enhanced
    /// code ("5.7.99" falls back to its subject and class), or any topic.
    /// Transcript prefixes "S:" and "C:" are ignored. Empty if nothing fits.
    ///
    /// Where SMTP and POP3 share a word, SMTP wins: "QUIT" is SMTP's QUIT.
    /// Lines that can only be POP3 are explained as such: a status line
    /// ("+OK 2 messages") or a command that SMTP lacks ("RETR 1"). When the
    /// protocol is known, [`Catalog::explain_session_line`] is more precise,
    /// and the only way to read DNS summaries.
    pub fn explain_line(&self, line: &str) -> Vec<&Entry> {
        if let Some(reply) = reply_line(line) {
            return self.explain_reply_line(&reply);
        }
        let bare = without_prefix(without_prefix(line, "S:"), "C:").trim();
        if is_pop3_status(bare) {
            return self.explain_pop3_line(bare);
        }
        let line = without_prefix(line, "C:").trim();
        if let Some(found) = self.explain_command_line(line) {
            return found;
        }
        if let Some(entry) = self
            .lookup(line)
            .or_else(|| self.explain_pop3_command(line))
        {
            return vec![entry];
        }
        line.split_whitespace()
            .next()
            .map(|word| self.explain_enhanced(word))
            .unwrap_or_default()
    }

    /// Explanations for one line of a session whose protocol the caller
    /// knows, as the dashboard does: SMTP lines as [`Catalog::explain_line`]
    /// reads them, POP3 lines as [`Catalog::explain_pop3_line`] (so "QUIT"
    /// is POP3's), DNS lines as [`Catalog::explain_dns_line`].
    /// Submission (port 587) is SMTP; a connection of no known protocol is
    /// read as [`Catalog::explain_line`] reads any line.
    pub fn explain_session_line(&self, protocol: Protocol, line: &str) -> Vec<&Entry> {
        match protocol {
            Protocol::Smtp | Protocol::Submission | Protocol::Other => self.explain_line(line),
            Protocol::Pop3 => self.explain_pop3_line(line),
            Protocol::Dns => self.explain_dns_line(line),
        }
    }

    /// Explanations for one line of a transcript, as the dashboard and
    /// the HTML handout show them: a command or reply read by its
    /// protocol's grammar, message data as the data it is, a SASL response
    /// as the answer to the server's 334 challenge.
    pub fn explain_transcript_line(&self, line: &TranscriptLine) -> Vec<&Entry> {
        match line.kind {
            LineKind::Data => self.lookup(".").into_iter().collect(),
            LineKind::Chunk => self.lookup("BDAT").into_iter().collect(),
            // A base64 answer to the server's challenge, not a command.
            LineKind::SaslResponse => ["334", "AUTH"]
                .iter()
                .filter_map(|t| self.lookup(t))
                .collect(),
            LineKind::Command | LineKind::Reply { .. } => {
                self.explain_session_line(line.protocol, &line.text)
            }
        }
    }

    /// A reply, and for an EHLO keyword line ("250-SIZE 10485760") the
    /// keyword first.
    fn explain_reply_line(&self, reply: &ReplyLine<'_>) -> Vec<&Entry> {
        let mut found = Vec::new();
        let enhanced = reply.enhanced().map(|code| code.to_string());
        if reply.code.get() == 250 && enhanced.is_none() {
            found.extend(self.ehlo_keyword(reply.text()));
        }
        found.extend(self.explain_reply(reply.code.get(), enhanced.as_deref()));
        found
    }

    /// The entries for an EHLO keyword line: "AUTH PLAIN LOGIN" gives AUTH
    /// and each mechanism the catalog knows.
    fn ehlo_keyword(&self, text: &str) -> Vec<&Entry> {
        let mut words = text.split_whitespace();
        let Some(keyword) = words
            .next()
            .and_then(|word| self.lookup(word))
            .filter(|entry| matches!(entry.kind, Kind::Extension | Kind::Command))
        else {
            return Vec::new();
        };
        let mut found = vec![keyword];
        if keyword.topic.eq_ignore_ascii_case("AUTH") {
            found.extend(words.filter_map(|mechanism| self.lookup(&format!("AUTH {mechanism}"))));
        }
        found
    }

    /// A command line: its verb, for AUTH also the mechanism named, and
    /// for MAIL and RCPT the DSN parameters they carry (RFC 3461 §4).
    fn explain_command_line(&self, line: &str) -> Option<Vec<&Entry>> {
        let command = self.explain_command(line)?;
        let mut found = vec![command];
        if command.topic.eq_ignore_ascii_case("AUTH") {
            let mechanism = line.split_whitespace().nth(1);
            found.extend(mechanism.and_then(|name| self.lookup(&format!("AUTH {name}"))));
        }
        if ["MAIL", "RCPT"]
            .iter()
            .any(|v| command.topic.eq_ignore_ascii_case(v))
        {
            found.extend(self.dsn_parameters(line));
        }
        Some(found)
    }

    /// NOTIFY, ORCPT, RET and ENVID named on a MAIL or RCPT line.
    fn dsn_parameters(&self, line: &str) -> Vec<&Entry> {
        const DSN: [&str; 4] = ["NOTIFY", "ORCPT", "RET", "ENVID"];
        line.split_whitespace()
            .skip(2)
            .filter_map(|p| p.split_once('=').map(|(k, _)| k))
            .filter(|k| DSN.iter().any(|d| d.eq_ignore_ascii_case(k)))
            .filter_map(|k| self.lookup(k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_reply_lines_are_read_by_smtps_grammar_rfc5321_4_2() {
        let reply = reply_line("S: 550-5.1.1 No such user\r\n").map(|r| {
            (
                r.code.get(),
                r.last,
                r.enhanced().map(|e| e.to_string()),
                r.text(),
            )
        });
        assert_eq!(
            reply,
            Some((550, false, Some("5.1.1".to_string()), "No such user"))
        );
        assert_eq!(
            reply_line("354").map(|r| (r.code.get(), r.last)),
            Some((354, true))
        );
        for line in [
            "RCPT TO:<a@b>",
            "5.7.1",
            "2500 too long",
            "55",
            "",
            "C: 250",
        ] {
            assert!(reply_line(line).is_none(), "{line:?}");
        }
    }

    #[test]
    fn pop3_status_lines_need_the_exact_indicator_rfc1939_3() {
        for line in ["+OK 2 320", "+OK", "-ERR no such message"] {
            assert!(is_pop3_status(line), "{line:?}");
        }
        for line in ["+OKAY", "-ERROR", "+ok", "OK", "250 OK", ""] {
            assert!(!is_pop3_status(line), "{line:?}");
        }
    }

    #[test]
    fn dsn_parameters_of_a_rcpt_line_are_explained_rfc3461_4() {
        let catalog = Catalog::builtin();
        let found = catalog.explain_line(
            "C: RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@example.net",
        );
        let topics: Vec<&str> = found.iter().map(|e| e.topic.as_str()).collect();
        assert_eq!(topics, ["RCPT", "NOTIFY", "ORCPT"]);
        let found = catalog.explain_line("C: MAIL FROM:<a@b.example> SIZE=10 RET=HDRS ENVID=x");
        let topics: Vec<&str> = found.iter().map(|e| e.topic.as_str()).collect();
        assert_eq!(topics, ["MAIL", "RET", "ENVID"]);
    }
}
