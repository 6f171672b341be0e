//! Reading the header section of a message (RFC 5322 §2.2, §3.6).
//!
//! A message is a header section, an empty line, and a body (§2.1). Each
//! header field is `Name: value`, possibly folded over several lines
//! (§2.2.3). [`Headers::parse`] reads the fields in order, unfolds them,
//! and stops at the first empty line; [`Headers::body_offset`] says where
//! the body starts.
//!
//! Field names compare case-insensitively (§1.2.2): `Message-ID`,
//! `Message-Id` and `message-id` are one field. Order is kept, because it
//! carries meaning: `Received:` fields are stacked newest first (RFC 5321
//! §4.4), so reading them top-down walks the message's path backwards.
//!
//! The reader is forgiving, because it reads what other programs wrote:
//! LF-only line ends are accepted, a line that is not a field is skipped,
//! invalid UTF-8 becomes U+FFFD. It never panics on any input; a test feeds
//! it random bytes.

use super::encoded_word;

/// One header field: its name as written and its unfolded value with the
/// surrounding whitespace trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// The header fields of a message, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<Field>,
    header_end: usize,
    body_offset: usize,
}

impl Headers {
    /// Reads the header section of `content` (a whole message, or just its
    /// headers).
    pub fn parse(content: &[u8]) -> Headers {
        let mut headers = Headers {
            fields: Vec::new(),
            header_end: content.len(),
            body_offset: content.len(),
        };
        // The field being read; `None` after a junk line so that its
        // continuation lines are dropped with it.
        let mut open = false;
        let mut pos = 0;
        while pos < content.len() {
            let (line, next) = match memchr::memchr(b'\n', &content[pos..]) {
                Some(i) => (&content[pos..pos + i], pos + i + 1),
                None => (&content[pos..], content.len()),
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                headers.header_end = pos;
                headers.body_offset = next;
                break;
            }
            if matches!(line.first(), Some(b' ' | b'\t')) {
                if open && let Some(field) = headers.fields.last_mut() {
                    // Unfolding removes the line break only (§2.2.3).
                    field.value.push_str(&String::from_utf8_lossy(line));
                }
            } else if let Some(field) = start_field(line) {
                headers.fields.push(field);
                open = true;
            } else {
                open = false;
            }
            pos = next;
        }
        // Trimmed in place: a new String per field was a second
        // allocation for every field of every message read.
        for field in &mut headers.fields {
            let end = field.value.trim_end().len();
            field.value.truncate(end);
            let start = end - field.value.trim_start().len();
            field.value.drain(..start);
        }
        headers
    }

    /// The value of the first field called `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// The values of every field called `name`, top to bottom.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// The first `name` field with its encoded words decoded (RFC 2047),
    /// for showing to a person: `Subject`, a display name.
    pub fn get_decoded(&self, name: &str) -> Option<String> {
        self.get(name).map(encoded_word::decode)
    }

    /// Every field, top to bottom.
    pub fn iter(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The `msg-id` of `Message-ID:` (RFC 5322 §3.6.4), angle brackets
    /// included: `<1.alice@example.org>`. Without brackets, the trimmed value.
    pub fn message_id(&self) -> Option<&str> {
        let value = self.get("Message-ID")?;
        let id = match (value.find('<'), value.find('>')) {
            (Some(open), Some(close)) if open < close => &value[open..=close],
            _ => value,
        };
        (!id.is_empty()).then_some(id)
    }

    /// Where the body starts: just after the empty line, or the end of the
    /// content when there is no empty line (and so no body).
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// Where the header section ends: the start of the empty line.
    pub fn header_end(&self) -> usize {
        self.header_end
    }
}

/// The header section of `content` as bytes, up to (not including) the
/// empty line: what a DSN quotes as `text/rfc822-headers` (RFC 3462).
pub fn header_section(content: &[u8]) -> &[u8] {
    let end = Headers::parse(content).header_end();
    content.get(..end).unwrap_or(content)
}

/// The body of `content`: everything after the first empty line.
pub fn body(content: &[u8]) -> &[u8] {
    let start = Headers::parse(content).body_offset();
    content.get(start..).unwrap_or_default()
}

/// `field-name ":"` (§3.6.8: printable ASCII except `:`). Whitespace
/// before the colon is obsolete but read (§4.5).
fn start_field(line: &[u8]) -> Option<Field> {
    let colon = memchr::memchr(b':', line)?;
    let name = line[..colon].trim_ascii_end();
    let ftext = |b: &u8| (33..=126).contains(b) && *b != b':';
    if name.is_empty() || !name.iter().all(ftext) {
        return None;
    }
    Some(Field {
        name: String::from_utf8_lossy(name).into_owned(),
        value: String::from_utf8_lossy(&line[colon + 1..]).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::address::NamedMailbox;
    use crate::mail::date::parse_rfc5322_date;

    const MESSAGE: &[u8] = b"Received: from a.example by b.example;\r\n\
        \tTue, 01 Dec 2026 12:00:00 +0000\r\n\
        From: Alice <alice@example.org>\r\n\
        Subject: Hello\r\n\
        \x20world\r\n\
        message-id: <1@example.org>\r\n\
        Received: from c.example by a.example; Tue, 01 Dec 2026 11:00:00 +0000\r\n\
        \r\n\
        Body line\r\n\
        Not: a header\r\n";

    #[test]
    fn fields_are_unfolded_rfc5322_2_2_3() {
        let h = Headers::parse(MESSAGE);
        assert_eq!(h.get("Subject"), Some("Hello world"));
        assert_eq!(
            h.get("received"),
            Some("from a.example by b.example;\tTue, 01 Dec 2026 12:00:00 +0000")
        );
    }

    #[test]
    fn names_are_case_insensitive_rfc5322_1_2_2() {
        let h = Headers::parse(MESSAGE);
        assert_eq!(h.get("MESSAGE-ID"), Some("<1@example.org>"));
        assert_eq!(h.message_id(), Some("<1@example.org>"));
    }

    #[test]
    fn order_is_kept_rfc5321_4_4() {
        let h = Headers::parse(MESSAGE);
        let received: Vec<&str> = h.get_all("Received").collect();
        assert_eq!(received.len(), 2);
        assert!(received[0].starts_with("from a.example"));
        let names: Vec<&str> = h.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["Received", "From", "Subject", "message-id", "Received"]
        );
    }

    #[test]
    fn headers_stop_at_the_empty_line_rfc5322_2_1() {
        let h = Headers::parse(MESSAGE);
        assert_eq!(h.get("Not"), None);
        assert_eq!(body(MESSAGE), b"Body line\r\nNot: a header\r\n");
        assert!(header_section(MESSAGE).ends_with(b"11:00:00 +0000\r\n"));
        assert_eq!(&MESSAGE[h.header_end()..h.body_offset()], b"\r\n");
    }

    #[test]
    fn lf_only_lines_are_read() {
        let h = Headers::parse(b"Subject: a\n b\nTo: x@example.org\n\nbody\n");
        assert_eq!(h.get("subject"), Some("a b"));
        assert_eq!(h.get("to"), Some("x@example.org"));
        assert_eq!(body(b"Subject: a\n\nbody\n"), b"body\n");
    }

    #[test]
    fn junk_lines_and_their_continuations_are_skipped_rfc5322_3_6_8() {
        let input = b"From mbox line\r\n continued\r\nBad Name: x\r\nSubject : ok\r\n";
        let h = Headers::parse(input);
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("Subject"), Some("ok"));
        assert_eq!(h.body_offset(), input.len());
    }

    #[test]
    fn encoded_subject_decodes_rfc2047_6() {
        let h = Headers::parse(b"Subject: =?utf-8?B?R3LDvMOfZQ==?= =?utf-8?Q?_zusammen?=\r\n\r\n");
        assert_eq!(h.get_decoded("Subject").as_deref(), Some("Grüße zusammen"));
    }

    #[test]
    fn no_headers_at_all() {
        let h = Headers::parse(b"");
        assert!(h.is_empty());
        assert_eq!(h.body_offset(), 0);
        assert_eq!(Headers::parse(b"\r\nbody").body_offset(), 2);
    }

    #[test]
    fn a_message_from_another_client_is_read_rfc5322_3_6() {
        // lettre (a dev-dependency, and the interop client) writes encoded
        // words its own way: lower-case `b`, plain words mixed in.
        use lettre::message::{Mailbox, header::ContentType};
        use std::time::{Duration, SystemTime};
        let message = lettre::Message::builder()
            .from(
                "Jörg Müller <joerg@example.org>"
                    .parse::<Mailbox>()
                    .unwrap(),
            )
            .to("\"Doe, Jane\" <jane@example.net>"
                .parse::<Mailbox>()
                .unwrap())
            .to("bob@example.net".parse::<Mailbox>().unwrap())
            .bcc("secret@example.com".parse::<Mailbox>().unwrap())
            .subject("Grüße aus Köln — ein ziemlich langer Betreff, der gefaltet werden muss")
            .date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_126_400))
            .message_id(Some("<lettre.1@example.org>".into()))
            .header(ContentType::TEXT_PLAIN)
            .body("Hallo Jane,\r\nbis später!\r\n".to_owned())
            .unwrap()
            .formatted();
        let h = Headers::parse(&message);
        assert_eq!(
            h.get_decoded("Subject").as_deref(),
            Some("Grüße aus Köln — ein ziemlich langer Betreff, der gefaltet werden muss")
        );
        let from = NamedMailbox::parse(h.get("From").unwrap()).unwrap();
        assert_eq!(from.display_name.as_deref(), Some("Jörg Müller"));
        let to = NamedMailbox::parse_list(h.get("To").unwrap());
        let to: Vec<String> = to.iter().map(ToString::to_string).collect();
        assert_eq!(to, [r#""Doe, Jane" <jane@example.net>"#, "bob@example.net"]);
        assert_eq!(h.get("Bcc"), None);
        assert_eq!(h.message_id(), Some("<lettre.1@example.org>"));
        assert_eq!(
            h.get("Date").and_then(parse_rfc5322_date),
            Some(1_796_126_400)
        );
        assert!(body(&message).starts_with(b"Hallo Jane,\r\n"));
    }

    #[test]
    fn hostile_bytes_never_panic() {
        // A deterministic xorshift stream of bytes biased towards the
        // characters that matter to the grammar.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"\r\n \t:;<>()\"\\=?@,.aZ09\x00\xff\xc3\xbc";
        for round in 0..2000 {
            let len = (next() % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 4 == 0 {
                        (r >> 8) as u8
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            let h = Headers::parse(&bytes);
            assert!(h.body_offset() <= bytes.len(), "round {round}");
            assert!(h.header_end() <= h.body_offset());
            let _ = h.message_id();
            for field in h.iter() {
                let _ = encoded_word::decode(&field.value);
                let _ = NamedMailbox::parse_list(&field.value);
                let _ = crate::mail::trace_fields::Received::parse(&field.value);
                let _ = parse_rfc5322_date(&field.value);
                let _ = crate::mail::mime::ContentType::parse(&field.value);
            }
            let _ = crate::mail::dsn::parse_dsn_status(&bytes);
            let _ = header_section(&bytes);
            let _ = body(&bytes);
        }
    }
}
