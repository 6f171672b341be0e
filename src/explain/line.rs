//! Explaining a whole line as it appears on the wire or in a transcript:
//! "S: 550 5.1.1 no such user", "C: RCPT TO:<bob@example.net>",
//! "250-PIPELINING", "+OK 2 messages", and, for a caller that knows the
//! protocol, "response id 7 NXDOMAIN: ...".

use super::pop3::status_of;
use super::{Catalog, EnhancedCode, Entry, Kind, Protocol};

/// A reply line taken apart (RFC 5321 §4.2): "550-5.1.1 No such user".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    /// The three-digit code.
    pub code: u16,
    /// False for a continuation line (`250-...`), true for the last line.
    pub last: bool,
    /// The enhanced status code at the start of the text, if any (RFC 2034).
    pub enhanced: Option<&'a str>,
    /// The rest of the text.
    pub text: &'a str,
}

impl<'a> ReplyLine<'a> {
    /// Parses one reply line, with or without a transcript's "S:" prefix and
    /// its line ending. Anything that does not start with three digits
    /// followed by a space, a hyphen or nothing is not a reply line.
    pub fn parse(line: &'a str) -> Option<ReplyLine<'a>> {
        let line = without_prefix(line, "S:").trim_end_matches(['\r', '\n']);
        let digits = line.get(..3)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let code = digits.parse().ok()?;
        let (last, rest) = match line[3..].chars().next() {
            None => (true, ""),
            Some(' ') => (true, &line[4..]),
            Some('-') => (false, &line[4..]),
            Some(_) => return None,
        };
        let first_word = rest.split_whitespace().next();
        let enhanced = first_word.filter(|word| EnhancedCode::parse(word).is_some());
        let text = match enhanced {
            Some(word) => rest.trim_start()[word.len()..].trim_start(),
            None => rest.trim_start(),
        };
        Some(ReplyLine {
            code,
            last,
            enhanced,
            text,
        })
    }
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
        if let Some(reply) = ReplyLine::parse(line) {
            return self.explain_reply_line(&reply);
        }
        let bare = without_prefix(without_prefix(line, "S:"), "C:").trim();
        if status_of(bare).is_some() {
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
    pub fn explain_session_line(&self, protocol: Protocol, line: &str) -> Vec<&Entry> {
        match protocol {
            Protocol::Smtp => self.explain_line(line),
            Protocol::Pop3 => self.explain_pop3_line(line),
            Protocol::Dns => self.explain_dns_line(line),
        }
    }

    /// A reply, and for an EHLO keyword line ("250-SIZE 10485760") the
    /// keyword first.
    fn explain_reply_line(&self, reply: &ReplyLine<'_>) -> Vec<&Entry> {
        let mut found = Vec::new();
        if reply.code == 250 && reply.enhanced.is_none() {
            found.extend(self.ehlo_keyword(reply.text));
        }
        found.extend(self.explain_reply(reply.code, reply.enhanced));
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

    /// A command line: its verb, and for AUTH also the mechanism named.
    fn explain_command_line(&self, line: &str) -> Option<Vec<&Entry>> {
        let command = self.explain_command(line)?;
        let mut found = vec![command];
        if command.topic.eq_ignore_ascii_case("AUTH") {
            let mechanism = line.split_whitespace().nth(1);
            found.extend(mechanism.and_then(|name| self.lookup(&format!("AUTH {name}"))));
        }
        Some(found)
    }
}

/// The line without a transcript prefix such as "S:" or "C:", any case.
pub(super) fn without_prefix<'a>(line: &'a str, prefix: &str) -> &'a str {
    let trimmed = line.trim_start();
    match trimmed.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => trimmed[prefix.len()..].trim_start(),
        _ => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_split_into_code_enhanced_and_text() {
        let reply = ReplyLine::parse("S: 550-5.1.1 No such user\r\n");
        assert_eq!(
            reply,
            Some(ReplyLine {
                code: 550,
                last: false,
                enhanced: Some("5.1.1"),
                text: "No such user"
            })
        );
        let bare = ReplyLine::parse("354");
        assert_eq!(
            bare.map(|reply| (reply.code, reply.last, reply.text)),
            Some((354, true, ""))
        );
        assert_eq!(
            ReplyLine::parse("250 2.0.0").and_then(|r| r.enhanced),
            Some("2.0.0")
        );
    }

    #[test]
    fn non_replies_are_not_parsed() {
        for line in [
            "RCPT TO:<a@b>",
            "5.7.1",
            "2500 too long",
            "55",
            "",
            "C: 250",
        ] {
            assert_eq!(ReplyLine::parse(line), None, "{line:?}");
        }
    }
}
