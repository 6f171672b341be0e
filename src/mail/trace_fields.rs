//! Trace fields (RFC 5321 §4.4): the postmarks a message collects on its way.
//!
//! Every SMTP server that takes responsibility for a message adds a
//! `Received:` field **at the top** of it, before all other fields, and
//! never changes the ones already there. Read from the top down, the
//! `Received:` fields walk the path backwards, newest hop first:
//!
//! ```text
//! Received: from smtp.example.org ([198.51.100.7]) by mx.example.net
//!  with ESMTP id Q00007 for <bob@example.net>; Tue, 01 Dec 2026 12:00:02 +0000
//! Received: from laptop.example.org ([192.0.2.10]) by smtp.example.org
//!  with ESMTPA id Q00001 for <bob@example.net>; Tue, 01 Dec 2026 12:00:00 +0000
//! ```
//!
//! * `from` is the name the client gave in HELO/EHLO (a claim), and the
//!   bracketed address is where the connection really came from (a fact).
//! * `by` is the server writing the field; `id` its queue id.
//! * `with` names the protocol: `SMTP` after HELO, `ESMTP` after EHLO,
//!   `ESMTPA` when the client also authenticated (RFC 3848); `UTF8SMTP`
//!   and `UTF8SMTPA` when the transaction used SMTPUTF8 (RFC 6531 §3.7.3).
//! * `for` names the recipient, but only when there was exactly one: with
//!   several it would tell each recipient about the others, the very thing
//!   Bcc hides (§4.4, §7.2).
//! * after `;` comes the time the server received the message.
//!
//! At final delivery the server adds `Return-Path:` with the envelope's
//! reverse-path (§4.4), `<>` for a bounce, so that the recipient can see
//! where bounces would go. Relays must not add it.
//!
//! Counting `Received:` fields is how an MTA notices a loop (§6.3): a
//! message that has passed through too many hops is not relayed again.

use std::fmt::{self, Write};
use std::net::IpAddr;

use crate::smtp::{ForwardPath, ReversePath};

use super::date::{parse_rfc5322_date, push_rfc5322_date};
use super::fold::{fold_field, fold_field_into};
use super::lex;

/// RFC 5321 §6.3: a server that counts `Received:` fields to find loops
/// SHOULD use a large threshold, normally at least 100.
pub const LOOP_DETECTION_THRESHOLD: usize = 100;

/// The `with` clause: how the message came in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum With {
    /// HELO: plain SMTP (RFC 5321).
    Smtp,
    /// EHLO: SMTP with service extensions (RFC 1869).
    Esmtp,
    /// EHLO and a successful AUTH (RFC 3848 §1).
    Esmtpa,
    /// EHLO and a transaction with SMTPUTF8 (RFC 6531 §3.7.3).
    Utf8Smtp,
    /// SMTPUTF8 and a successful AUTH (RFC 6531 §3.7.3).
    Utf8Smtpa,
    /// EHLO over TLS, STARTTLS or implicit (RFC 3848 §2).
    Esmtps,
    /// EHLO over TLS and a successful AUTH (RFC 3848 §3).
    Esmtpsa,
    /// SMTPUTF8 over TLS (RFC 6531 §3.7.3).
    Utf8Smtps,
    /// SMTPUTF8 over TLS and a successful AUTH (RFC 6531 §3.7.3).
    Utf8Smtpsa,
    /// Any other registered or private protocol name, as written (`ESMTPS`,
    /// `LMTP`, `UTF8SMTPS`, ...), when reading fields other programs wrote.
    Other(String),
}

impl With {
    /// What a server writes for one transaction: `SMTP` after HELO,
    /// `ESMTP` after EHLO (RFC 3848 §1); AUTH adds `A` (RFC 3848), a
    /// `MAIL FROM:` with SMTPUTF8 makes it `UTF8SMTP` (RFC 6531 §3.7.3).
    /// AUTH and SMTPUTF8 need EHLO, so HELO is always plain `SMTP`.
    pub fn of_transaction(esmtp: bool, authenticated: bool, smtputf8: bool) -> With {
        match (smtputf8, authenticated) {
            _ if !esmtp => With::Smtp,
            (false, false) => With::Esmtp,
            (false, true) => With::Esmtpa,
            (true, false) => With::Utf8Smtp,
            (true, true) => With::Utf8Smtpa,
        }
    }

    /// The same over TLS: `S` before the `A` (RFC 3848 §2, §3). HELO has
    /// no name with TLS, so plain `SMTP` stays.
    pub fn over_tls(self) -> With {
        match self {
            With::Esmtp => With::Esmtps,
            With::Esmtpa => With::Esmtpsa,
            With::Utf8Smtp => With::Utf8Smtps,
            With::Utf8Smtpa => With::Utf8Smtpsa,
            other => other,
        }
    }

    /// Reads a protocol name, case-insensitively.
    pub fn parse(name: &str) -> With {
        match name.to_ascii_uppercase().as_str() {
            "SMTP" => With::Smtp,
            "ESMTP" => With::Esmtp,
            "ESMTPA" => With::Esmtpa,
            "UTF8SMTP" => With::Utf8Smtp,
            "UTF8SMTPA" => With::Utf8Smtpa,
            "ESMTPS" => With::Esmtps,
            "ESMTPSA" => With::Esmtpsa,
            "UTF8SMTPS" => With::Utf8Smtps,
            "UTF8SMTPSA" => With::Utf8Smtpsa,
            _ => With::Other(name.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            With::Smtp => "SMTP",
            With::Esmtp => "ESMTP",
            With::Esmtpa => "ESMTPA",
            With::Utf8Smtp => "UTF8SMTP",
            With::Utf8Smtpa => "UTF8SMTPA",
            With::Esmtps => "ESMTPS",
            With::Esmtpsa => "ESMTPSA",
            With::Utf8Smtps => "UTF8SMTPS",
            With::Utf8Smtpsa => "UTF8SMTPSA",
            With::Other(name) => name,
        }
    }
}

impl fmt::Display for With {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `Received:` field (RFC 5321 §4.4 `Time-stamp-line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The HELO/EHLO name the client gave; empty when there was none.
    pub from_helo: String,
    /// The client's address as the server saw it (TCP-info).
    pub from_ip: Option<IpAddr>,
    /// The name of the server adding the field.
    pub by: String,
    pub with: With,
    /// The server's queue id; empty for none.
    pub id: String,
    /// The one recipient, without angle brackets; `None` when there were
    /// several (see [`Received::single_recipient`]).
    pub for_rcpt: Option<String>,
    /// When the server received the message (Unix seconds).
    pub date: i64,
}

impl Received {
    /// The `for` value for a transaction's recipients: the recipient when
    /// there is exactly one, otherwise `None` (RFC 5321 §4.4, §7.2).
    pub fn single_recipient(forward_paths: &[ForwardPath]) -> Option<String> {
        match forward_paths {
            [ForwardPath::Mailbox(m)] => Some(crate::smtp::address::text_of(m, m.text_len())),
            [ForwardPath::Postmaster] => Some("Postmaster".to_owned()),
            _ => None,
        }
    }

    /// The field's value, unfolded:
    /// `from a ([192.0.2.10]) by b with ESMTPA id Q1 for <c@d>; <date>`.
    ///
    /// The HELO name and id come from outside; whitespace, `(`, `)` and
    /// `;` in them become `_` so that a client cannot write clauses of its
    /// own into our field.
    pub fn value(&self) -> String {
        // Room for a typical field: its pieces are pushed one by one, each
        // straight into it (every hop of every message writes one).
        let mut v = String::with_capacity(192);
        if !self.from_helo.is_empty() || self.from_ip.is_some() {
            v.push_str("from ");
            if self.from_helo.is_empty() {
                v.push_str("unknown");
            } else {
                push_clause_word(&mut v, &self.from_helo);
            }
            match self.from_ip {
                Some(IpAddr::V4(ip)) => {
                    v.push_str(" ([");
                    push_ipv4(&mut v, ip);
                    v.push_str("])");
                }
                Some(IpAddr::V6(ip)) => {
                    let _ = write!(v, " ([IPv6:{ip}])");
                }
                None => {}
            }
            v.push(' ');
        }
        v.push_str("by ");
        push_clause_word(&mut v, &self.by);
        v.push_str(" with ");
        push_clause_word(&mut v, self.with.as_str());
        if !self.id.is_empty() {
            v.push_str(" id ");
            push_clause_word(&mut v, &self.id);
        }
        if let Some(rcpt) = &self.for_rcpt {
            let rcpt = rcpt.trim().trim_start_matches('<').trim_end_matches('>');
            v.push_str(" for <");
            v.extend(rcpt.chars().filter(|c| !c.is_control()));
            v.push('>');
        }
        v.push_str("; ");
        push_rfc5322_date(&mut v, self.date);
        v
    }

    /// The whole field, folded (RFC 5322 §2.2.3), without the final CRLF:
    /// ready for [`prepend`].
    pub fn to_header(&self) -> String {
        fold_field("Received", &self.value())
    }

    /// The message with this field on top: `prepend(content,
    /// &self.to_header())` in one buffer, the field folded straight into
    /// it (every hop of every message writes one).
    pub fn prepend_to(&self, content: &[u8]) -> Vec<u8> {
        let value = self.value();
        // The folded field is the value, the name and a CRLF per 78 octets.
        let field = value.len() + value.len() / 32 + 16;
        let mut out = String::with_capacity(field + 2 + content.len());
        fold_field_into(&mut out, "Received", &value);
        out.push_str("\r\n");
        let mut out = out.into_bytes();
        out.extend_from_slice(content);
        out
    }

    /// Reads a `Received:` value (unfolded, without the name) back: ours,
    /// and real-world ones with comments such as
    /// `from mail.example.com (mail.example.com [203.0.113.5]) by mx.example.net
    /// (Postfix) with ESMTPS id 4Q; Tue, 1 Dec 2026 12:00:00 +0100 (CET)`.
    /// `None` when there is no date after a `;`, or neither `from` nor `by`.
    /// A leading `Received:` is skipped, so a whole unfolded line works too.
    pub fn parse(value: &str) -> Option<Received> {
        let value = match value.get(..9) {
            Some(name) if name.eq_ignore_ascii_case("Received:") => &value[9..],
            _ => value,
        };
        let semicolon = last_semicolon(value)?;
        let date = parse_rfc5322_date(&value[semicolon + 1..])?;
        let tokens = tokenize(&value[..semicolon]);
        let mut received = Received {
            from_helo: String::new(),
            from_ip: None,
            by: String::new(),
            with: With::Smtp,
            id: String::new(),
            for_rcpt: None,
            date,
        };
        let (mut saw_from, mut saw_by, mut saw_with) = (false, false, false);
        let mut i = 0;
        while i < tokens.len() {
            let Token::Word(keyword) = tokens[i] else {
                i += 1;
                continue;
            };
            let argument = match tokens.get(i + 1) {
                Some(Token::Word(w)) => *w,
                _ => {
                    i += 1;
                    continue;
                }
            };
            match keyword.to_ascii_lowercase().as_str() {
                "from" if !saw_from => {
                    saw_from = true;
                    received.from_helo = argument.to_owned();
                    if let Some(Token::Comment(c)) = tokens.get(i + 2) {
                        received.from_ip = address_in_comment(c);
                    }
                }
                "by" if !saw_by => {
                    saw_by = true;
                    received.by = argument.to_owned();
                }
                "with" if !saw_with => {
                    saw_with = true;
                    received.with = With::parse(argument);
                }
                "id" if received.id.is_empty() => received.id = argument.to_owned(),
                "for" if received.for_rcpt.is_none() => {
                    let rcpt = argument.trim_start_matches('<').trim_end_matches('>');
                    received.for_rcpt = Some(rcpt.to_owned());
                }
                "via" | "from" | "by" | "with" | "id" | "for" => {}
                _ => {
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        (saw_from || saw_by).then_some(received)
    }
}

/// Puts a trace field on top of the message (RFC 5321 §4.4): the field and
/// a CRLF, then the content byte for byte as it was.
pub fn prepend(content: &[u8], header_line: &str) -> Vec<u8> {
    let line = header_line.strip_suffix("\r\n").unwrap_or(header_line);
    let mut out = Vec::with_capacity(line.len() + 2 + content.len());
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(content);
    out
}

/// `Return-Path: <alice@example.org>`, or `Return-Path: <>` for a bounce:
/// added by the server that makes final delivery (RFC 5321 §4.4), without
/// the final CRLF.
pub fn return_path(reverse_path: &ReversePath) -> String {
    format!("Return-Path: {reverse_path}")
}

/// `prepend(content, &return_path(reverse_path))` in one buffer: each
/// local delivery of each message writes one.
pub fn with_return_path(content: &[u8], reverse_path: &ReversePath) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(content.len() + 80);
    let _ = write!(out, "Return-Path: {reverse_path}\r\n");
    out.extend_from_slice(content);
    out
}

/// How many `Received:` fields the message carries: its hop count, for
/// loop detection (RFC 5321 §6.3).
pub fn received_count(content: &[u8]) -> usize {
    super::headers::count(content, "Received")
}

/// A client-supplied word made safe for a clause, written at the end of `v`.
fn push_clause_word(v: &mut String, text: &str) {
    let word = text.trim();
    if word.is_empty() {
        v.push_str("unknown");
    } else if word
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b';'))
    {
        // The usual name or id: nothing to replace.
        v.push_str(word);
    } else {
        v.extend(word.chars().map(|c| {
            if c.is_whitespace() || c.is_control() || matches!(c, '(' | ')' | ';') {
                '_'
            } else {
                c
            }
        }));
    }
}

/// `192.0.2.10`, as `Ipv4Addr`'s `Display` writes it.
fn push_ipv4(v: &mut String, ip: std::net::Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            v.push('.');
        }
        if octet >= 100 {
            v.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            v.push(char::from(b'0' + octet / 10 % 10));
        }
        v.push(char::from(b'0' + octet % 10));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Comment(&'a str),
}

/// Words and `(comments)` of a stamp; `<...>` stays one word.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            let mut depth = 0usize;
            let mut end = text.len();
            let mut escaped = false;
            for (i, c) in chars.by_ref() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let inner = text.get(start + 1..end).unwrap_or_default();
            tokens.push(Token::Comment(inner));
        } else {
            let in_angle = c == '<';
            let mut end = text.len();
            while let Some(&(i, c)) = chars.peek() {
                let stop = if in_angle {
                    i > start && text[start..i].ends_with('>')
                } else {
                    c.is_whitespace() || c == '('
                };
                if stop {
                    end = i;
                    break;
                }
                chars.next();
            }
            tokens.push(Token::Word(&text[start..end]));
        }
    }
    tokens
}

/// The `;` that starts the date: the last one outside comments, quotes and
/// angle brackets.
fn last_semicolon(value: &str) -> Option<usize> {
    lex::bare(value)
        .filter(|b| lex::separates(b, &[';']))
        .last()
        .map(|b| b.at)
}

/// The address in `[...]` inside a TCP-info comment:
/// `(laptop.example.org [192.0.2.10])`, `([IPv6:2001:db8::1])`.
fn address_in_comment(comment: &str) -> Option<IpAddr> {
    let open = comment.find('[')?;
    let close = comment[open..].find(']')? + open;
    let literal = &comment[open + 1..close];
    let literal = match literal.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => &literal[5..],
        _ => literal,
    };
    literal.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::headers::Headers;
    use crate::smtp::Mailbox;

    const DEC_1_2026_NOON: i64 = 1_796_126_400;

    #[test]
    fn tcp_info_address_written_as_display_writes_it_rfc5321_4_4() {
        for octets in [[0, 0, 0, 0], [192, 0, 2, 10], [9, 10, 99, 100], [255; 4]] {
            let ip = std::net::Ipv4Addr::from(octets);
            let mut v = String::new();
            push_ipv4(&mut v, ip);
            assert_eq!(v, ip.to_string());
        }
    }

    #[test]
    fn clause_words_cannot_open_clauses_rfc5321_4_4() {
        let word = |t: &str| {
            let mut v = String::new();
            push_clause_word(&mut v, t);
            v
        };
        assert_eq!(word(" mx.example.net "), "mx.example.net");
        assert_eq!(word("a b(c);d\te\u{85}f"), "a_b_c__d_e_f");
        assert_eq!(word("h\u{f6}st"), "h\u{f6}st");
        assert_eq!(word(" \t"), "unknown");
    }

    fn example() -> Received {
        Received {
            from_helo: "laptop.example.org".into(),
            from_ip: Some("192.0.2.10".parse().unwrap()),
            by: "smtp.example.org".into(),
            with: With::Esmtpa,
            id: "Q00001".into(),
            for_rcpt: Some("bob@example.net".into()),
            date: DEC_1_2026_NOON,
        }
    }

    #[test]
    fn received_field_grammar_rfc5321_4_4() {
        assert_eq!(
            example().value(),
            "from laptop.example.org ([192.0.2.10]) by smtp.example.org with ESMTPA \
             id Q00001 for <bob@example.net>; Tue, 01 Dec 2026 12:00:00 +0000"
        );
    }

    #[test]
    fn received_field_is_folded_rfc5322_2_2_3() {
        let header = example().to_header();
        assert_eq!(
            header,
            "Received: from laptop.example.org ([192.0.2.10]) by smtp.example.org with\r\n \
             ESMTPA id Q00001 for <bob@example.net>; Tue, 01 Dec 2026 12:00:00 +0000"
        );
        for line in header.split("\r\n") {
            assert!(line.len() <= 78);
        }
    }

    #[test]
    fn received_round_trip_rfc5321_4_4() {
        let v6 = Received {
            from_ip: Some("2001:db8::1".parse().unwrap()),
            with: With::Esmtp,
            for_rcpt: None,
            ..example()
        };
        let no_from = Received {
            from_helo: String::new(),
            from_ip: None,
            with: With::Smtp,
            id: String::new(),
            ..example()
        };
        for r in [example(), v6, no_from] {
            let content = prepend(b"\r\nbody", &r.to_header());
            let value = Headers::parse(&content).get("Received").unwrap().to_owned();
            assert_eq!(Received::parse(&value), Some(r));
        }
    }

    #[test]
    fn helo_transaction_is_stamped_smtp_rfc5321_4_4() {
        assert_eq!(With::of_transaction(false, false, false).as_str(), "SMTP");
        // AUTH and SMTPUTF8 are extensions: without EHLO there are none.
        assert_eq!(With::of_transaction(false, true, true).as_str(), "SMTP");
    }

    #[test]
    fn smtputf8_transaction_is_stamped_utf8smtp_rfc6531_3_7_3() {
        assert_eq!(With::of_transaction(true, false, false).as_str(), "ESMTP");
        assert_eq!(With::of_transaction(true, true, false).as_str(), "ESMTPA");
        assert_eq!(With::of_transaction(true, false, true).as_str(), "UTF8SMTP");
        assert_eq!(With::of_transaction(true, true, true).as_str(), "UTF8SMTPA");
        // RFC 3848 §2-3: S for TLS, before A.
        assert_eq!(
            With::of_transaction(true, true, false).over_tls().as_str(),
            "ESMTPSA"
        );
        assert_eq!(
            With::of_transaction(true, false, false).over_tls().as_str(),
            "ESMTPS"
        );
        assert_eq!(
            With::of_transaction(true, true, true).over_tls().as_str(),
            "UTF8SMTPSA"
        );
        assert_eq!(
            With::of_transaction(false, false, false)
                .over_tls()
                .as_str(),
            "SMTP"
        );
        assert_eq!(With::parse("esmtpsa"), With::Esmtpsa);
        let r = Received {
            with: With::of_transaction(true, false, true),
            ..example()
        };
        assert!(r.value().contains(" with UTF8SMTP id "), "{}", r.value());
        // Read back as the same protocol, whatever its case.
        assert_eq!(With::parse("utf8smtpa"), With::Utf8Smtpa);
        let content = prepend(b"\r\nbody", &r.to_header());
        let value = Headers::parse(&content).get("Received").unwrap().to_owned();
        assert_eq!(Received::parse(&value), Some(r));
    }

    #[test]
    fn real_world_received_fields_are_read_rfc5321_4_4() {
        let postfix = "from mail.example.com (mail.example.com [203.0.113.5]) by mx.example.net \
            (Postfix) with ESMTPS id 4QxYz1 for <bob@example.net>; Tue, 1 Dec 2026 13:00:00 +0100 (CET)";
        let r = Received::parse(postfix).unwrap();
        assert_eq!(r.from_helo, "mail.example.com");
        assert_eq!(r.from_ip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(r.by, "mx.example.net");
        assert_eq!(r.with, With::Esmtps);
        assert_eq!(r.id, "4QxYz1");
        assert_eq!(r.for_rcpt.as_deref(), Some("bob@example.net"));
        assert_eq!(r.date, DEC_1_2026_NOON);

        let gmail = "from mail.example.com (mail.example.com. [2001:db8::25]) by mx.google.com \
            with ESMTPS id a1si2 for <x@gmail.com> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256; \
            Tue, 01 Dec 2026 04:00:00 -0800 (PST)); Tue, 01 Dec 2026 04:00:00 -0800 (PST)";
        let r = Received::parse(gmail).unwrap();
        assert_eq!(r.from_ip, Some("2001:db8::25".parse().unwrap()));
        assert_eq!(r.date, DEC_1_2026_NOON);

        let local = "by host.example.org (Postfix, from userid 1000) id 5A3; Tue, 01 Dec 2026 12:00:00 +0000";
        let r = Received::parse(local).unwrap();
        assert_eq!(
            (r.from_helo.as_str(), r.by.as_str(), r.id.as_str()),
            ("", "host.example.org", "5A3")
        );
    }

    #[test]
    fn received_without_a_date_is_not_one_rfc5321_4_4() {
        assert_eq!(Received::parse("from a by b with SMTP"), None);
        assert_eq!(Received::parse("from a by b; not a date"), None);
        assert_eq!(Received::parse("; Tue, 01 Dec 2026 12:00:00 +0000"), None);
    }

    #[test]
    fn for_names_one_recipient_only_rfc5321_7_2() {
        let bob = ForwardPath::Mailbox(Mailbox::parse("bob@example.net").unwrap());
        let eve = ForwardPath::Mailbox(Mailbox::parse("eve@example.net").unwrap());
        assert_eq!(
            Received::single_recipient(std::slice::from_ref(&bob)),
            Some("bob@example.net".into())
        );
        assert_eq!(Received::single_recipient(&[bob, eve]), None);
        assert_eq!(Received::single_recipient(&[]), None);
    }

    #[test]
    fn client_cannot_forge_clauses_through_helo_rfc5321_4_4() {
        let r = Received {
            from_helo: "evil (by trusted.example) ; x".into(),
            ..example()
        };
        let value = r.value();
        assert!(value.starts_with("from evil__by_trusted.example____x ([192.0.2.10]) by smtp."));
        assert_eq!(Received::parse(&value).unwrap().by, "smtp.example.org");
    }

    #[test]
    fn a_whole_unfolded_line_is_read_too_rfc5321_4_4() {
        let line = crate::mail::fold::unfold(&example().to_header());
        assert_eq!(Received::parse(&line), Some(example()));
    }

    #[test]
    fn prepend_keeps_the_rest_byte_identical_rfc5321_4_4() {
        let content: &[u8] = b"Received: older\r\nSubject: x\r\n\r\nbody \xff\r\n.\r\n";
        let out = prepend(content, &example().to_header());
        assert!(out.starts_with(b"Received: from laptop.example.org"));
        assert!(out.ends_with(content));
        assert_eq!(out.len(), example().to_header().len() + 2 + content.len());
        assert_eq!(prepend(b"x", "A: b\r\n"), b"A: b\r\nx");
    }

    #[test]
    fn prepend_to_is_prepend_of_the_folded_field_rfc5321_4_4() {
        let content: &[u8] = b"Subject: x\r\n\r\nbody \xff\r\n";
        let long = Received {
            from_helo: "a-very-long-client-name.subdomain.example.org".to_owned(),
            for_rcpt: Some("<someone.with.a.long.name@example.net>".to_owned()),
            ..example()
        };
        for r in [example(), long] {
            assert_eq!(r.prepend_to(content), prepend(content, &r.to_header()));
        }
    }

    #[test]
    fn with_return_path_is_prepend_of_return_path_rfc5321_4_4() {
        let content: &[u8] = b"Subject: x\r\n\r\nbody\r\n";
        for path in [
            ReversePath::Null,
            ReversePath::parse("<alice@example.org>").unwrap(),
        ] {
            assert_eq!(
                with_return_path(content, &path),
                prepend(content, &return_path(&path))
            );
        }
    }

    #[test]
    fn received_count_counts_hops_rfc5321_6_3() {
        let mut content = b"Subject: x\r\n\r\nReceived: in the body does not count\r\n".to_vec();
        assert_eq!(received_count(&content), 0);
        for hop in 0..5 {
            let r = Received {
                id: format!("Q{hop}"),
                ..example()
            };
            content = prepend(&content, &r.to_header());
        }
        assert_eq!(received_count(&content), 5);
        // The newest stamp is on top.
        let h = Headers::parse(&content);
        let first = Received::parse(h.get("Received").unwrap()).unwrap();
        assert_eq!(first.id, "Q4");
    }

    #[test]
    fn return_path_is_the_reverse_path_rfc5321_4_4() {
        let alice = ReversePath::parse("<alice@example.org>").unwrap();
        assert_eq!(return_path(&alice), "Return-Path: <alice@example.org>");
        assert_eq!(return_path(&ReversePath::Null), "Return-Path: <>");
    }
}
