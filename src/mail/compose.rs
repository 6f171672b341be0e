//! Writing a letter (RFC 5322): what a mail client puts after `DATA`.
//!
//! A [`Draft`] is what the user typed; [`compose`] turns it into the bytes
//! of an Internet message:
//!
//! ```text
//! Date: Tue, 01 Dec 2026 12:00:00 +0000          §3.6.1, required
//! From: Alice Example <alice@example.org>        §3.6.2, required
//! To: bob@example.net                            §3.6.3
//! Cc: carol@example.com                          §3.6.3
//! Subject: Lunch?                                §3.6.5
//! Message-ID: <1.alice@example.org>              §3.6.4
//! MIME-Version: 1.0                              RFC 2045 §4
//! Content-Type: text/plain; charset=utf-8        RFC 2045 §5
//! Content-Transfer-Encoding: 7bit                RFC 2045 §6
//!
//! See you at noon.
//! ```
//!
//! The lesson of this module is the difference between the **envelope**
//! and the **letter**. SMTP delivers to the envelope recipients, the
//! `RCPT TO` paths; the `To:` and `Cc:` fields are only text for the
//! reader. A Bcc recipient is in the envelope ([`Draft::envelope_recipients`])
//! and nowhere in the letter (RFC 5322 §3.6.3), which is how the other
//! recipients never learn of them.
//!
//! Other rules kept here: every line ends in CRLF (RFC 5322 §2.1), long
//! header fields are folded (§2.2.3), a non-ASCII subject or name is sent
//! as RFC 2047 encoded words, and a non-ASCII body is declared `8bit`
//! (which the SMTP client may send only to a server that announced
//! 8BITMIME, RFC 6152). A body line longer than 998 octets would break the
//! line limit of RFC 5322 §2.1.1 and of SMTP (RFC 5321 §4.5.3.1.6), so such
//! a body is sent quoted-printable (RFC 2045 §6.7) instead. Dot-stuffing is
//! not done here: it belongs to the SMTP transport (RFC 5321 §4.5.2).

use crate::smtp::ForwardPath;

use super::address::NamedMailbox;
use super::date::rfc5322_date;
use super::encoded_word;
use super::fold::{MAX_LINE_LENGTH, fold_field, sanitize};

/// A message as the user wrote it, before it becomes bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub from: NamedMailbox,
    pub to: Vec<NamedMailbox>,
    pub cc: Vec<NamedMailbox>,
    /// Blind copies: envelope recipients only, never written in the letter.
    pub bcc: Vec<NamedMailbox>,
    pub subject: String,
    pub body: String,
    /// The `Date:` as Unix seconds (simulated time).
    pub date: i64,
    /// `<local@host>`, see [`message_id`]; brackets are added if missing.
    pub message_id: String,
}

impl Draft {
    /// Where SMTP must deliver: To, then Cc, then Bcc, each mailbox once
    /// (first occurrence wins). These become the `RCPT TO` commands.
    pub fn envelope_recipients(&self) -> Vec<ForwardPath> {
        let mut seen = Vec::new();
        for named in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !seen.contains(&named.mailbox) {
                seen.push(named.mailbox.clone());
            }
        }
        seen.into_iter().map(ForwardPath::Mailbox).collect()
    }
}

/// A `msg-id` (RFC 5322 §3.6.4): `<local@host>`. The host part is usually
/// the sender's domain, and the local part unique within it; in the
/// simulation a counter makes it unique and reproducible.
pub fn message_id(local: &str, host: &str) -> String {
    format!("<{local}@{host}>")
}

/// Writes the draft as an RFC 5322 message with CRLF line ends. The result
/// ends with CRLF.
pub fn compose(draft: &Draft) -> Vec<u8> {
    let mut fields = vec![
        fold_field("Date", &rfc5322_date(draft.date)),
        fold_field("From", &draft.from.to_string()),
    ];
    if draft.to.is_empty() && draft.cc.is_empty() {
        // Only blind recipients: an empty group keeps `To:` meaningful
        // without naming anyone (RFC 5322 §3.4, §A.1.3).
        fields.push(fold_field("To", "undisclosed-recipients:;"));
    }
    if !draft.to.is_empty() {
        fields.push(fold_field("To", &address_list(&draft.to)));
    }
    if !draft.cc.is_empty() {
        fields.push(fold_field("Cc", &address_list(&draft.cc)));
    }
    // No `Bcc:` field at all: RFC 5322 §3.6.3 allows writing one, but
    // leaving it out is the only way that reveals nobody.
    let subject = sanitize(&draft.subject);
    if !subject.is_empty() {
        let subject = if encoded_word::needs_encoding(&subject) {
            encoded_word::encode(&subject)
        } else {
            subject
        };
        fields.push(fold_field("Subject", &subject));
    }
    if let Some(id) = bracketed_id(&draft.message_id) {
        fields.push(fold_field("Message-ID", &id));
    }
    let (body, encoding) = encode_body(&draft.body);
    fields.push("MIME-Version: 1.0".to_owned());
    fields.push("Content-Type: text/plain; charset=utf-8".to_owned());
    fields.push(format!("Content-Transfer-Encoding: {encoding}"));

    let mut out = Vec::with_capacity(body.len() + 512);
    for field in fields {
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    out
}

/// A `msg-id` with its angle brackets, whether or not it came with them;
/// `None` for an empty one.
pub(crate) fn bracketed_id(id: &str) -> Option<String> {
    let id = sanitize(id);
    let inner = id.trim_start_matches('<').trim_end_matches('>').trim();
    (!inner.is_empty()).then(|| {
        let mut out = String::with_capacity(inner.len() + 2);
        out.push('<');
        out.push_str(inner);
        out.push('>');
        out
    })
}

fn address_list(list: &[NamedMailbox]) -> String {
    list.iter()
        .map(NamedMailbox::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Normalises every line end (CRLF, bare LF, bare CR) to CRLF, ends the
/// body with CRLF when it is not empty, and chooses the transfer encoding:
/// `7bit` for ASCII, `8bit` for UTF-8, `quoted-printable` when a line is
/// too long for either (RFC 2045 §2.7, §2.8).
fn encode_body(body: &str) -> (Vec<u8>, &'static str) {
    let lines = split_lines(body);
    let too_long = lines.iter().any(|l| l.len() > MAX_LINE_LENGTH);
    let encoding = match (too_long, body.is_ascii()) {
        (true, _) => "quoted-printable",
        (false, true) => "7bit",
        (false, false) => "8bit",
    };
    let mut out = Vec::with_capacity(body.len() + lines.len());
    for line in &lines {
        if too_long {
            quoted_printable_line(line.as_bytes(), &mut out);
        } else {
            out.extend_from_slice(line.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    (out, encoding)
}

/// The lines of `text`, any line end accepted; no trailing empty line for
/// a final line end.
fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest.as_bytes()) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` for bytes that are not plain
/// printable ASCII and for `=`, a soft line break `=` CRLF so that no
/// encoded line exceeds 76 characters, and whitespace at a line's end
/// encoded so that transports cannot strip it.
fn quoted_printable_line(line: &[u8], out: &mut Vec<u8>) {
    const MAX: usize = 76;
    let mut column = 0;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let printable = (b'!'..=b'~').contains(&b) && b != b'=';
        let inner_space = (b == b' ' || b == b'\t') && !last;
        let plain = printable || inner_space;
        let width = if plain { 1 } else { 3 };
        // Leave room for the soft break's `=` unless this is the last byte.
        let room = if last { MAX } else { MAX - 1 };
        if column + width > room {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        if plain {
            out.push(b);
        } else {
            out.extend_from_slice(format!("={b:02X}").as_bytes());
        }
        column += width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::headers::{Headers, body};
    use crate::smtp::Mailbox;

    fn named(name: Option<&str>, addr: &str) -> NamedMailbox {
        let mailbox = Mailbox::parse(addr).unwrap();
        match name {
            Some(n) => NamedMailbox::named(n, mailbox),
            None => NamedMailbox::new(mailbox),
        }
    }

    fn draft() -> Draft {
        Draft {
            from: named(Some("Alice Example"), "alice@example.org"),
            to: vec![named(Some("Bob"), "bob@example.net")],
            cc: vec![named(None, "carol@example.com")],
            bcc: vec![named(Some("Dave"), "dave@example.com")],
            subject: "Lunch?".into(),
            body: "See you at noon.\nAlice\n".into(),
            date: 1_796_126_400,
            message_id: message_id("1", "example.org"),
        }
    }

    #[test]
    fn composed_message_is_exact_rfc5322_3_6() {
        let expected = "Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n\
            From: Alice Example <alice@example.org>\r\n\
            To: Bob <bob@example.net>\r\n\
            Cc: carol@example.com\r\n\
            Subject: Lunch?\r\n\
            Message-ID: <1@example.org>\r\n\
            MIME-Version: 1.0\r\n\
            Content-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: 7bit\r\n\
            \r\n\
            See you at noon.\r\n\
            Alice\r\n";
        assert_eq!(String::from_utf8(compose(&draft())).unwrap(), expected);
    }

    #[test]
    fn composed_message_parses_back_rfc5322_3_6() {
        let content = compose(&draft());
        let h = Headers::parse(&content);
        assert_eq!(h.get("date"), Some("Tue, 01 Dec 2026 12:00:00 +0000"));
        let from = NamedMailbox::parse(h.get("From").unwrap()).unwrap();
        assert_eq!(from, draft().from);
        let to = NamedMailbox::parse_list(h.get("To").unwrap());
        assert_eq!(to, draft().to);
        assert_eq!(h.message_id(), Some("<1@example.org>"));
        assert_eq!(body(&content), b"See you at noon.\r\nAlice\r\n");
    }

    #[test]
    fn bcc_is_in_the_envelope_not_the_letter_rfc5322_3_6_3() {
        let d = draft();
        let content = compose(&d);
        let h = Headers::parse(&content);
        assert_eq!(h.get("Bcc"), None);
        let text = String::from_utf8(content).unwrap();
        assert!(!text.contains("dave@example.com"));
        let rcpts: Vec<String> = d
            .envelope_recipients()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            rcpts,
            [
                "<bob@example.net>",
                "<carol@example.com>",
                "<dave@example.com>"
            ]
        );
    }

    #[test]
    fn only_blind_recipients_gives_an_empty_group_rfc5322_3_4() {
        let mut d = draft();
        d.to.clear();
        d.cc.clear();
        let h = Headers::parse(&compose(&d));
        assert_eq!(h.get("To"), Some("undisclosed-recipients:;"));
        assert!(NamedMailbox::parse_list(h.get("To").unwrap()).is_empty());
        assert_eq!(d.envelope_recipients().len(), 1);
    }

    #[test]
    fn envelope_recipients_are_unique_rfc5321_3_3() {
        let mut d = draft();
        d.bcc.push(named(Some("Bob again"), "bob@example.net"));
        assert_eq!(d.envelope_recipients().len(), 3);
    }

    #[test]
    fn non_ascii_subject_is_an_encoded_word_rfc2047_5() {
        let mut d = draft();
        d.subject = "Grüße aus Köln — and a long tail to make it fold over more lines".into();
        let content = compose(&d);
        let text = String::from_utf8(content.clone()).unwrap();
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.is_ascii());
        assert!(head.contains("Subject: =?utf-8?B?"));
        for line in head.split("\r\n") {
            assert!(line.len() <= 76, "{line}");
        }
        let h = Headers::parse(&content);
        assert_eq!(h.get_decoded("Subject"), Some(d.subject));
    }

    #[test]
    fn long_recipient_list_folds_and_unfolds_rfc5322_2_2_3() {
        let mut d = draft();
        d.to = (0..12)
            .map(|i| named(Some(&format!("Person {i}")), &format!("p{i}@example.net")))
            .collect();
        let content = compose(&d);
        let text = String::from_utf8(content.clone()).unwrap();
        for line in text.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        let to = NamedMailbox::parse_list(Headers::parse(&content).get("To").unwrap());
        assert_eq!(to, d.to);
    }

    #[test]
    fn every_line_ends_in_crlf_rfc5322_2_1() {
        let mut d = draft();
        d.body = "one\ntwo\r\nthree\rfour".into();
        let content = compose(&d);
        assert_eq!(body(&content), b"one\r\ntwo\r\nthree\r\nfour\r\n");
        let bare_lf = content
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || content[i - 1] != b'\r'));
        assert!(!bare_lf);
    }

    #[test]
    fn non_ascii_body_is_8bit_rfc2045_2_8() {
        let mut d = draft();
        d.body = "Bis später!".into();
        let h_content = compose(&d);
        let h = Headers::parse(&h_content);
        assert_eq!(h.get("Content-Transfer-Encoding"), Some("8bit"));
        assert_eq!(body(&h_content), "Bis später!\r\n".as_bytes());
        assert_eq!(
            Headers::parse(&compose(&draft())).get("Content-Transfer-Encoding"),
            Some("7bit")
        );
    }

    #[test]
    fn overlong_body_line_is_quoted_printable_rfc5322_2_1_1() {
        let mut d = draft();
        d.body = format!("{}= ü \nshort", "x".repeat(1200));
        let content = compose(&d);
        let h = Headers::parse(&content);
        assert_eq!(h.get("Content-Transfer-Encoding"), Some("quoted-printable"));
        let text = String::from_utf8(body(&content).to_vec()).unwrap();
        for line in text.split("\r\n") {
            assert!(line.len() <= 76, "{line}");
        }
        // Removing the soft line breaks gives the encoded lines back whole.
        let joined = text.replace("=\r\n", "");
        assert_eq!(
            joined,
            format!("{}=3D =C3=BC=20\r\nshort\r\n", "x".repeat(1200))
        );
    }

    #[test]
    fn header_injection_through_the_subject_is_defused_rfc5322_2_2() {
        let mut d = draft();
        d.subject = "hello\r\nBcc: everyone@example.net".into();
        let h = Headers::parse(&compose(&d));
        assert_eq!(h.get("Bcc"), None);
        assert_eq!(h.get("Subject"), Some("hello  Bcc: everyone@example.net"));
    }

    #[test]
    fn message_id_has_angle_brackets_rfc5322_3_6_4() {
        assert_eq!(
            message_id("Q1.1796126400", "example.org"),
            "<Q1.1796126400@example.org>"
        );
        let mut d = draft();
        d.message_id = "bare@example.org".into();
        assert_eq!(
            Headers::parse(&compose(&d)).message_id(),
            Some("<bare@example.org>")
        );
    }

    /// Deterministic pseudo-random text made of the pieces that trouble
    /// mail: line ends, quotes, specials, encoded-word look-alikes, UTF-8.
    fn random_text(next: &mut impl FnMut() -> u64, max_pieces: u64) -> String {
        const PIECES: &[&str] = &[
            "a",
            "word",
            " ",
            "  ",
            "\t",
            "\r\n",
            "\n",
            "\r",
            "ü",
            "😀",
            "=?",
            "?=",
            "\"",
            "\\",
            ",",
            ";",
            ":",
            "<",
            ">",
            "(",
            ")",
            "@",
            ".",
            "=?utf-8?B?w7w=?=",
            "\u{0}",
            "Bcc: x@example.net",
            "-",
            "x",
        ];
        let n = next() % max_pieces;
        (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn random_drafts_compose_cleanly_rfc5322_2_1_1() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let collapse = |t: &str| sanitize(t).split_whitespace().collect::<Vec<_>>().join(" ");
        for _ in 0..500 {
            let mut d = draft();
            d.from.display_name = Some(random_text(&mut next, 12));
            d.to[0].display_name = Some(random_text(&mut next, 12));
            d.subject = random_text(&mut next, 60);
            d.body = random_text(&mut next, 200);
            let content = compose(&d);

            assert!(content.ends_with(b"\r\n"));
            let bare_lf = content
                .iter()
                .enumerate()
                .any(|(i, &b)| b == b'\n' && (i == 0 || content[i - 1] != b'\r'));
            assert!(
                !bare_lf,
                "bare LF in {:?}",
                String::from_utf8_lossy(&content)
            );
            let h = Headers::parse(&content);
            let head = &content[..h.header_end()];
            assert!(head.is_ascii(), "{}", String::from_utf8_lossy(head));
            for line in head.split(|&b| b == b'\n') {
                assert!(line.len() <= 78 + 1, "{}", String::from_utf8_lossy(line));
            }
            for line in body(&content).split(|&b| b == b'\n') {
                assert!(line.len() <= MAX_LINE_LENGTH + 1);
            }
            assert_eq!(h.get("Bcc"), None);
            let subject = sanitize(&d.subject);
            let expected = (!subject.is_empty()).then_some(subject);
            assert_eq!(h.get_decoded("Subject"), expected);
            let from = NamedMailbox::parse(h.get("From").unwrap()).unwrap();
            assert_eq!(from.mailbox, d.from.mailbox);
            let name = collapse(d.from.display_name.as_deref().unwrap_or_default());
            assert_eq!(from.display_name.unwrap_or_default(), name);
            let to = NamedMailbox::parse_list(h.get("To").unwrap());
            assert_eq!(to.len(), 1);
            assert_eq!(to[0].mailbox, d.to[0].mailbox);
        }
    }

    #[test]
    fn empty_body_gives_headers_and_the_empty_line_rfc5322_2_1() {
        let mut d = draft();
        d.body.clear();
        let content = compose(&d);
        assert!(content.ends_with(b"7bit\r\n\r\n"));
        assert!(body(&content).is_empty());
    }
}
