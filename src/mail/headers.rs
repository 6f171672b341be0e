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
        let mut scan = FieldScan::new(content);
        let mut fields = Vec::new();
        for raw in scan.by_ref() {
            fields.push(Field {
                name: String::from_utf8_lossy(raw.name).into_owned(),
                value: raw.value(),
            });
        }
        Headers {
            fields,
            header_end: scan.header_end,
            body_offset: scan.body_offset,
        }
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
        msg_id(self.get("Message-ID")?)
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
    let end = FieldScan::to_end(content).header_end;
    content.get(..end).unwrap_or(content)
}

/// The body of `content`: everything after the first empty line.
pub fn body(content: &[u8]) -> &[u8] {
    let start = FieldScan::to_end(content).body_offset;
    content.get(start..).unwrap_or_default()
}

/// The unfolded values of every field called `name` (any case), in
/// order, as [`Headers::get_all`] gives them, without reading the other
/// fields into `String`s.
pub fn values_of<'a>(content: &'a [u8], name: &'a str) -> impl Iterator<Item = String> + 'a {
    FieldScan::new(content)
        .filter(move |f| f.is(name))
        .map(|f| f.value())
}

/// How many fields are called `name` (any case), allocating nothing.
pub fn count(content: &[u8], name: &str) -> usize {
    FieldScan::new(content).filter(|f| f.is(name)).count()
}

/// The `msg-id` of the first `Message-ID:` field, as
/// [`Headers::message_id`] gives it, read straight from `content`.
pub fn message_id_of(content: &[u8]) -> Option<String> {
    let value = FieldScan::new(content)
        .find(|f| f.is("Message-ID"))?
        .value();
    msg_id(&value).map(str::to_owned)
}

/// What an MTA reads of every message it takes, in one pass over its
/// header section: the hop count for loop detection (the `Received:`
/// fields, RFC 5321 §6.3) and the `msg-id` its queue entry is known by.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    pub received: usize,
    pub message_id: Option<String>,
}

impl Taken {
    pub fn read(content: &[u8]) -> Taken {
        let mut taken = Taken::default();
        let mut id_seen = false;
        for field in FieldScan::new(content) {
            if field.is("Received") {
                taken.received += 1;
            } else if !id_seen && field.is("Message-ID") {
                // The first one counts, as in `Headers::get`, even
                // when it holds nothing.
                id_seen = true;
                taken.message_id = msg_id(&field.value()).map(str::to_owned);
            }
        }
        taken
    }
}

/// `<...>` out of a `Message-ID:` value; without brackets, the value.
fn msg_id(value: &str) -> Option<&str> {
    let id = match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => &value[open..=close],
        _ => value,
    };
    (!id.is_empty()).then_some(id)
}

/// One field as it stands in the message: its name, the rest of its
/// first line, and its continuation lines (raw, line ends included).
pub(crate) struct RawField<'a> {
    name: &'a [u8],
    first: &'a [u8],
    folded: &'a [u8],
}

impl RawField<'_> {
    /// Its name is `name`, in any case (§1.2.2).
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded (§2.2.3: only the line breaks go) and trimmed;
    /// invalid UTF-8 becomes U+FFFD line by line.
    pub(crate) fn value(&self) -> String {
        let mut value = String::from_utf8_lossy(self.first).into_owned();
        let mut pos = 0;
        while pos < self.folded.len() {
            let (line, next) = line_at(self.folded, pos);
            value.push_str(&String::from_utf8_lossy(line));
            pos = next;
        }
        // Trimmed in place: a new String per field was a second
        // allocation for every field of every message read.
        let end = value.trim_end().len();
        value.truncate(end);
        let start = end - value.trim_start().len();
        value.drain(..start);
        value
    }
}

/// The line at `pos` without its CRLF (or bare LF), and where the next
/// one starts.
fn line_at(content: &[u8], pos: usize) -> (&[u8], usize) {
    let (line, next) = match memchr::memchr(b'\n', &content[pos..]) {
        Some(i) => (&content[pos..pos + i], pos + i + 1),
        None => (&content[pos..], content.len()),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), next)
}

/// The fields of a header section in order, read without copying; a line
/// that is not a field is skipped with its continuation lines. After the
/// last field, `header_end` and `body_offset` say where the section ends.
pub(crate) struct FieldScan<'a> {
    content: &'a [u8],
    pos: usize,
    header_end: usize,
    body_offset: usize,
}

impl<'a> FieldScan<'a> {
    pub(crate) fn new(content: &'a [u8]) -> FieldScan<'a> {
        FieldScan {
            content,
            pos: 0,
            header_end: content.len(),
            body_offset: content.len(),
        }
    }

    /// Scanned through: where the header section ends is known.
    fn to_end(content: &'a [u8]) -> FieldScan<'a> {
        let mut scan = FieldScan::new(content);
        for _ in scan.by_ref() {}
        scan
    }
}

fn continues(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
}

impl<'a> Iterator for FieldScan<'a> {
    type Item = RawField<'a>;

    fn next(&mut self) -> Option<RawField<'a>> {
        let content = self.content;
        while self.pos < content.len() {
            let (line, next) = line_at(content, self.pos);
            if line.is_empty() {
                self.header_end = self.pos;
                self.body_offset = next;
                self.pos = content.len();
                return None;
            }
            self.pos = next;
            // A continuation with no field open (after a junk line, or
            // at the top) is dropped.
            if continues(line) {
                continue;
            }
            let Some((name, first)) = start_field(line) else {
                continue;
            };
            let folded_start = self.pos;
            while self.pos < content.len() {
                let (line, next) = line_at(content, self.pos);
                if !continues(line) {
                    break;
                }
                self.pos = next;
            }
            return Some(RawField {
                name,
                first,
                folded: &content[folded_start..self.pos],
            });
        }
        None
    }
}

/// `field-name ":"` (§3.6.8: printable ASCII except `:`). Whitespace
/// before the colon is obsolete but read (§4.5). The name and the rest of
/// the line.
fn start_field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', line)?;
    let name = line[..colon].trim_ascii_end();
    let ftext = |b: &u8| (33..=126).contains(b) && *b != b':';
    if name.is_empty() || !name.iter().all(ftext) {
        return None;
    }
    Some((name, &line[colon + 1..]))
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
    fn one_pass_reads_as_the_parser_does_rfc5321_6_3() {
        // Hop count and msg-id as `Headers` gives them, over inputs that
        // fold, skip junk, repeat fields and leave a field empty.
        let inputs: [&[u8]; 7] = [
            MESSAGE,
            b"",
            b"x",
            b"Message-ID:\r\nMessage-ID: <2@x>\r\n\r\n",
            b" Received: dropped\r\nReceived: a\r\n b\r\nBad Name: <3@x>\r\n",
            b"Message-Id: \r\n <4@x> \r\nreceived:x\nRECEIVED : y\n\nReceived: body\n",
            b"Message-ID: no brackets\r\n\r\nMessage-ID: <5@x>\r\n",
        ];
        for input in inputs {
            let h = Headers::parse(input);
            let taken = Taken::read(input);
            assert_eq!(taken.received, h.get_all("Received").count());
            assert_eq!(taken.received, count(input, "Received"));
            assert_eq!(taken.message_id.as_deref(), h.message_id());
            assert_eq!(message_id_of(input).as_deref(), h.message_id());
            let froms: Vec<String> = values_of(input, "received").collect();
            assert_eq!(froms, h.get_all("Received").collect::<Vec<_>>());
            // An MTA reads the message before its own Received field goes
            // on top; that field adds one hop and changes no msg-id.
            let stamped = Taken::read(&crate::mail::prepend(input, "Received: by z"));
            assert_eq!(stamped.received, taken.received + 1);
            assert_eq!(stamped.message_id, taken.message_id);
        }
        assert_eq!(Taken::read(MESSAGE).received, 2);
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
