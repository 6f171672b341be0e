//! Replies: a three-digit code (RFC 5321 §4.2), an optional enhanced status
//! code (RFC 3463, carried per RFC 2034) and one or more lines of text.
//!
//! `Reply::encode` writes `250-first` ... `250 last`; `ReplyParser` reads
//! them back from a byte stream, one complete reply at a time.

use std::fmt;

use thiserror::Error;

use crate::session::line::{LineBuffer, LineError};

/// Longest reply line, CRLF included (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE: usize = 512;
/// A multi-line reply longer than this is treated as hostile.
pub const MAX_REPLY_LINES: usize = 128;

/// The three-digit reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    pub const SYSTEM_STATUS: ReplyCode = ReplyCode(211);
    pub const HELP: ReplyCode = ReplyCode(214);
    pub const READY: ReplyCode = ReplyCode(220);
    pub const CLOSING: ReplyCode = ReplyCode(221);
    pub const AUTH_OK: ReplyCode = ReplyCode(235);
    pub const OK: ReplyCode = ReplyCode(250);
    pub const CANNOT_VRFY: ReplyCode = ReplyCode(252);
    pub const AUTH_CONTINUE: ReplyCode = ReplyCode(334);
    pub const START_MAIL_INPUT: ReplyCode = ReplyCode(354);
    pub const NOT_AVAILABLE: ReplyCode = ReplyCode(421);
    pub const MAILBOX_BUSY: ReplyCode = ReplyCode(450);
    pub const LOCAL_ERROR: ReplyCode = ReplyCode(451);
    pub const INSUFFICIENT_STORAGE: ReplyCode = ReplyCode(452);
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    pub const PARAMETER_SYNTAX: ReplyCode = ReplyCode(501);
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    pub const PARAMETER_NOT_IMPLEMENTED: ReplyCode = ReplyCode(504);
    pub const AUTH_REQUIRED: ReplyCode = ReplyCode(530);
    pub const AUTH_FAILED: ReplyCode = ReplyCode(535);
    pub const MAILBOX_UNAVAILABLE: ReplyCode = ReplyCode(550);
    pub const EXCEEDED_STORAGE: ReplyCode = ReplyCode(552);
    pub const MAILBOX_NAME_NOT_ALLOWED: ReplyCode = ReplyCode(553);
    pub const TRANSACTION_FAILED: ReplyCode = ReplyCode(554);
    pub const PARAMETERS_NOT_RECOGNIZED: ReplyCode = ReplyCode(555);

    /// A code in 200..=599; anything else is not an SMTP reply (§4.2).
    pub fn new(code: u16) -> Option<ReplyCode> {
        (200..=599).contains(&code).then_some(ReplyCode(code))
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 success, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    pub fn is_positive(self) -> bool {
        self.class() == 2
    }

    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    pub fn is_transient(self) -> bool {
        self.class() == 4
    }

    pub fn is_permanent(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `class.subject.detail`, RFC 3463 §2, such as `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    pub const fn new(class: u8, subject: u16, detail: u16) -> EnhancedCode {
        EnhancedCode {
            class,
            subject,
            detail,
        }
    }

    /// Parses `5.1.1`: class 2, 4 or 5; subject and detail 0..=999 (RFC 3463 §2).
    pub fn parse(text: &str) -> Option<EnhancedCode> {
        // Read byte by byte: every line of every reply a client reads is
        // tried here.
        let (class, rest) = leading_number(text.as_bytes(), 1)?;
        let (subject, rest) = leading_number(rest.strip_prefix(b".")?, 3)?;
        let (detail, rest) = leading_number(rest.strip_prefix(b".")?, 3)?;
        if !rest.is_empty() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedCode::new(class as u8, subject, detail))
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP reply, possibly of several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
}

impl Reply {
    /// A one-line reply. `code` must be 200..=599 (a programming error otherwise).
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<String>) -> Reply {
        Reply::multiline(code, enhanced, vec![text.into()])
    }

    /// A reply of several lines; the enhanced code is repeated on each
    /// line, as RFC 2034 §4 asks.
    pub fn multiline(code: u16, enhanced: Option<EnhancedCode>, lines: Vec<String>) -> Reply {
        let code = ReplyCode::new(code).unwrap_or(ReplyCode::LOCAL_ERROR);
        let lines = if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        };
        Reply {
            code,
            enhanced,
            lines,
        }
    }

    pub fn code(&self) -> ReplyCode {
        self.code
    }

    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The text lines, without code or enhanced code.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text lines joined by a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// Writes the reply in wire form, every line ending in CRLF.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Written digit by digit, not through `format!`: every reply of
        // every session passes here.
        // Room for every line at once: code, separator, enhanced code, CRLF.
        out.reserve(self.lines.iter().map(|l| l.len() + 18).sum());
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            push_decimal(out, self.code.0);
            out.push(if i == last { b' ' } else { b'-' });
            if let Some(esc) = self.enhanced {
                push_decimal(out, esc.class.into());
                out.push(b'.');
                push_decimal(out, esc.subject);
                out.push(b'.');
                push_decimal(out, esc.detail);
                if !line.is_empty() {
                    out.push(b' ');
                }
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

impl fmt::Display for Reply {
    /// The reply as it looks on the wire, lines separated by newlines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        f.write_str(text.trim_end_matches("\r\n").replace("\r\n", "\n").as_str())
    }
}

/// Why bytes from a server were not a reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplyError {
    #[error("reply line does not start with a three-digit code 200-599: {0:?}")]
    BadCode(String),
    #[error("reply line has {0:?} after the code; expected a space or '-'")]
    BadSeparator(char),
    #[error("a multi-line reply changed its code from {0} to {1}")]
    CodeChanged(u16, u16),
    #[error("a multi-line reply has more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
    #[error(transparent)]
    Line(#[from] LineError),
}

/// Reads replies from a byte stream; keeps at most one reply in memory.
#[derive(Debug)]
pub struct ReplyParser {
    lines: LineBuffer,
    /// The lines of the reply being read: its code (every line's) and the
    /// text after each separator.
    pending: Pending,
}

#[derive(Debug, Default)]
struct Pending {
    code: u16,
    texts: Vec<String>,
}

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser {
            lines: LineBuffer::new(MAX_REPLY_LINE),
            pending: Pending::default(),
        }
    }
}

impl ReplyParser {
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// Appends bytes received from the server.
    pub fn push(&mut self, bytes: &[u8]) {
        self.lines.push(bytes);
    }

    /// True when bytes of an incomplete reply are waiting.
    pub fn has_partial(&self) -> bool {
        !self.pending.texts.is_empty() || self.lines.has_partial()
    }

    /// The next complete reply, if one has arrived.
    pub fn next_reply(&mut self) -> Option<Result<Reply, ReplyError>> {
        loop {
            let taken = match self.lines.next_line_ref()? {
                Ok(line) => self.pending.take_line(line),
                Err(e) => Err(e.into()),
            };
            match taken {
                Ok(Some(reply)) => return Some(Ok(reply)),
                Ok(None) => continue,
                Err(e) => {
                    self.pending.texts.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Pending {
    /// Takes one line, read in place; only its text is copied.
    fn take_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        // Checked first: a valid line (nearly all of them) is read without
        // the lossy decoder's walk.
        let text = match std::str::from_utf8(line) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(line),
        };
        let line = ReplyLine::parse(&text)?;
        let code = line.code.get();
        if self.texts.is_empty() {
            self.code = code;
        } else if self.code != code {
            return Err(ReplyError::CodeChanged(self.code, code));
        }
        self.texts.push(line.rest.to_owned());
        if !line.last {
            if self.texts.len() >= MAX_REPLY_LINES {
                return Err(ReplyError::TooManyLines);
            }
            return Ok(None);
        }
        Ok(Some(assemble(code, std::mem::take(&mut self.texts))))
    }
}

/// One line of a reply taken apart (RFC 5321 §4.2): what a reader of a
/// single line, such as a transcript or `mailflow explain`, needs without
/// the rest of the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    pub code: ReplyCode,
    /// True for `250 text` (the last line), false for `250-text`.
    pub last: bool,
    /// Everything after the separator, enhanced code included.
    pub rest: &'a str,
}

impl<'a> ReplyLine<'a> {
    /// Parses one line, line ending already removed: a code 200-599, then
    /// a space, a hyphen or nothing (a bare `354` is a reply, §4.2).
    pub fn parse(line: &'a str) -> Result<ReplyLine<'a>, ReplyError> {
        let code = line
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok())
            .and_then(ReplyCode::new)
            .ok_or_else(|| ReplyError::BadCode(line.chars().take(40).collect()))?;
        let (last, rest) = match line[3..].chars().next() {
            None => (true, ""),
            Some(' ') => (true, &line[4..]),
            Some('-') => (false, &line[4..]),
            Some(c) => return Err(ReplyError::BadSeparator(c)),
        };
        Ok(ReplyLine { code, last, rest })
    }

    /// The enhanced code that starts the text, if its class matches the
    /// code's first digit (RFC 3463 §2; RFC 2034 §4).
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        split_enhanced(self.code.get(), self.rest).map(|(esc, _)| esc)
    }

    /// The text for people: the rest without its enhanced code.
    pub fn text(&self) -> &'a str {
        split_enhanced(self.code.get(), self.rest).map_or(self.rest, |(_, text)| text)
    }
}

/// `5.1.1 text` split into the enhanced code and the text, when the code's
/// class is the reply code's first digit (RFC 3463 §2).
fn split_enhanced(code: u16, text: &str) -> Option<(EnhancedCode, &str)> {
    let (head, rest) = match text.as_bytes().iter().position(|&b| b == b' ') {
        Some(space) => (&text[..space], &text[space + 1..]),
        None => (text, ""),
    };
    let esc = EnhancedCode::parse(head)?;
    (u16::from(esc.class) == code / 100).then_some((esc, rest))
}

/// The 1 to `max` ASCII digits that start `bytes`, as a number, and the
/// bytes after them; `None` when there are none or more than `max`.
fn leading_number(bytes: &[u8], max: usize) -> Option<(u16, &[u8])> {
    let n = bytes
        .iter()
        .take(max + 1)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 || n > max {
        return None;
    }
    let value = bytes[..n]
        .iter()
        .fold(0u16, |v, &d| v * 10 + u16::from(d - b'0'));
    Some((value, &bytes[n..]))
}

/// `n` in decimal, as its `Display` writes it.
fn push_decimal(out: &mut Vec<u8>, mut n: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Builds a reply from its lines, lifting the enhanced code out of the text
/// when every line carries the same one and its class matches (RFC 3463 §2).
fn assemble(code: u16, mut texts: Vec<String>) -> Reply {
    let first = texts
        .first()
        .and_then(|t| split_enhanced(code, t))
        .map(|(esc, _)| esc);
    let all_same = first.is_some()
        && texts[1..]
            .iter()
            .all(|t| split_enhanced(code, t).is_some_and(|(e, _)| Some(e) == first));
    if all_same {
        // Each text loses its code in place: the rest is its own tail.
        for text in &mut texts {
            let rest = split_enhanced(code, text).map_or(0, |(_, r)| r.len());
            text.drain(..text.len() - rest);
        }
        Reply::multiline(code, first, texts)
    } else {
        Reply::multiline(code, None, texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        let mut p = ReplyParser::new();
        p.push(bytes);
        std::iter::from_fn(|| p.next_reply()).collect()
    }

    #[test]
    fn encoding_writes_codes_as_display_does_rfc3463_2() {
        for code in [200, 250, 354, 421, 599] {
            for esc in [
                None,
                Some(EnhancedCode::new(2, 0, 0)),
                Some(EnhancedCode::new(5, 7, 26)),
                Some(EnhancedCode::new(4, 999, 100)),
            ] {
                for lines in [
                    vec![String::new()],
                    vec!["a".into(), String::new(), "b c".into()],
                ] {
                    let reply = Reply::multiline(code, esc, lines.clone());
                    let mut expected = String::new();
                    for (i, line) in lines.iter().enumerate() {
                        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                        expected.push_str(&format!("{code}{sep}"));
                        if let Some(esc) = esc {
                            expected.push_str(&esc.to_string());
                            if !line.is_empty() {
                                expected.push(' ');
                            }
                        }
                        expected.push_str(line);
                        expected.push_str("\r\n");
                    }
                    assert_eq!(String::from_utf8(reply.to_bytes()).unwrap(), expected);
                }
            }
        }
    }

    #[test]
    fn multiline_reply_round_trip_rfc5321_4_2_1() {
        let reply = Reply::multiline(
            250,
            None,
            vec![
                "mx.example.net".into(),
                "SIZE 1000".into(),
                "PIPELINING".into(),
            ],
        );
        let wire = reply.to_bytes();
        assert_eq!(
            wire,
            b"250-mx.example.net\r\n250-SIZE 1000\r\n250 PIPELINING\r\n"
        );
        assert_eq!(parse_all(&wire), vec![Ok(reply)]);
    }

    #[test]
    fn enhanced_code_on_every_line_rfc2034_4() {
        let reply = Reply::multiline(
            214,
            Some(EnhancedCode::new(2, 0, 0)),
            vec!["a".into(), "b".into()],
        );
        assert_eq!(reply.to_bytes(), b"214-2.0.0 a\r\n214 2.0.0 b\r\n");
        assert_eq!(parse_all(&reply.to_bytes()), vec![Ok(reply)]);
    }

    #[test]
    fn enhanced_class_must_match_code_rfc3463_2() {
        let replies = parse_all(b"250 5.1.1 odd\r\n");
        let reply = replies[0].as_ref().unwrap();
        assert_eq!(reply.enhanced(), None);
        assert_eq!(reply.text(), "5.1.1 odd");
    }

    #[test]
    fn code_alone_is_a_reply_rfc5321_4_2() {
        let replies = parse_all(b"354\r\n");
        assert_eq!(replies[0].as_ref().unwrap().code().get(), 354);
    }

    #[test]
    fn changing_code_inside_multiline_is_an_error() {
        let replies = parse_all(b"250-a\r\n251 b\r\n");
        assert_eq!(replies, vec![Err(ReplyError::CodeChanged(250, 251))]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [
            &b"hello\r\n"[..],
            b"99 x\r\n",
            b"600 x\r\n",
            b"25\r\n",
            b"250x\r\n",
        ] {
            assert!(parse_all(junk)[0].is_err(), "{junk:?}");
        }
    }

    #[test]
    fn enhanced_code_grammar_rfc3463_2() {
        assert_eq!(
            EnhancedCode::parse("5.1.10"),
            Some(EnhancedCode::new(5, 1, 10))
        );
        assert_eq!(EnhancedCode::parse("3.0.0"), None);
        assert_eq!(EnhancedCode::parse("5.1"), None);
        assert_eq!(EnhancedCode::parse("5.1000.1"), None);
        assert_eq!(EnhancedCode::parse("5.a.1"), None);
    }

    #[test]
    fn one_line_splits_into_code_enhanced_and_text_rfc5321_4_2() {
        let line = ReplyLine::parse("550-5.1.1 No such user").unwrap();
        assert_eq!(line.code, ReplyCode::MAILBOX_UNAVAILABLE);
        assert!(!line.last);
        assert_eq!(line.enhanced(), Some(EnhancedCode::new(5, 1, 1)));
        assert_eq!(line.text(), "No such user");
        let bare = ReplyLine::parse("354").unwrap();
        assert!(bare.last && bare.text().is_empty() && bare.enhanced().is_none());
    }

    #[test]
    fn one_line_keeps_a_mismatched_enhanced_code_as_text_rfc3463_2() {
        let line = ReplyLine::parse("250 5.1.1 odd").unwrap();
        assert_eq!(line.enhanced(), None);
        assert_eq!(line.text(), "5.1.1 odd");
    }

    #[test]
    fn one_line_of_garbage_is_an_error() {
        for junk in [
            "RCPT TO:<a@b>",
            "5.7.1",
            "2500 x",
            "55",
            "",
            "600 x",
            "25\u{e9}",
        ] {
            assert!(ReplyLine::parse(junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn too_many_lines_is_refused() {
        let many = "250-x\r\n".repeat(MAX_REPLY_LINES + 5);
        assert_eq!(parse_all(many.as_bytes())[0], Err(ReplyError::TooManyLines));
    }
}
