//! Header fields as lines of text: folding and unfolding (RFC 5322 §2.2.3).
//!
//! A header field is one logical line, `Name: value`, but the physical
//! lines of a message SHOULD stay within 78 characters and MUST stay within
//! 998 (RFC 5322 §2.1.1). A long field is therefore *folded*: a CRLF is
//! inserted before some whitespace, and the next line starts with that
//! whitespace. A reader *unfolds* by deleting every CRLF that is followed by
//! a space or tab, and gets the logical line back exactly.
//!
//! ```text
//! Received: from laptop.example.org ([192.0.2.10]) by smtp.example.org
//!  with ESMTPA id Q00001 for <bob@example.net>; Tue, 01 Dec 2026 12:00:00
//!  +0000
//! ```
//!
//! Everything in this module returns a field *without* its final CRLF; the
//! writer of the message adds it.
//!
//! Writing a value that came from outside (a subject typed by a user, a
//! HELO name sent by a client) needs one more rule: a CR or LF inside it
//! would end the field early and let the text start a header of its own
//! ("header injection"). [`fold_field`] turns every control character into
//! a space before it folds.

use std::borrow::Cow;

/// The line length a writer SHOULD keep to, CRLF excluded (RFC 5322 §2.1.1).
pub const RECOMMENDED_LINE_LENGTH: usize = 78;
/// The line length a writer MUST keep to, CRLF excluded (RFC 5322 §2.1.1).
pub const MAX_LINE_LENGTH: usize = 998;

/// Writes `Name: value` folded at whitespace so that lines stay within
/// [`RECOMMENDED_LINE_LENGTH`] where the value has whitespace to fold at.
///
/// The value is trimmed and its control characters become spaces; a word
/// longer than a line stays whole (it cannot be folded without changing it).
/// No line of the result consists of whitespace alone (§3.2.2).
pub fn fold_field(name: &str, value: &str) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 8);
    fold_field_into(&mut out, name, value);
    out
}

/// [`fold_field`] written at the end of `out`, which may already hold
/// text (a message being put together): the line lengths count from the
/// field's own start.
pub fn fold_field_into(out: &mut String, name: &str, value: &str) {
    let value = sanitized(value);
    let start = out.len();
    out.push_str(name);
    out.push(':');
    if value.is_empty() {
        return;
    }
    out.push(' ');
    let mut line_len = out.len() - start;
    let mut line_has_words = false;
    for_each_piece(&value, |piece| {
        let foldable = line_has_words && piece.starts_with([' ', '\t']);
        if foldable && line_len + piece.len() > RECOMMENDED_LINE_LENGTH {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push_str(piece);
        line_len += piece.len();
        line_has_words = true;
    });
}

/// Removes every line break that is followed by a space or tab (RFC 5322
/// §2.2.3). Bare LF breaks are unfolded too, for messages stored with Unix
/// line ends.
pub fn unfold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        let (line, after) = (&rest[..i], &rest[i + 1..]);
        let continues = after.starts_with([' ', '\t']);
        if continues {
            out.push_str(line.strip_suffix('\r').unwrap_or(line));
        } else {
            out.push_str(line);
            out.push('\n');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Control characters (CR and LF above all) become spaces, and the ends
/// are trimmed: what is left cannot break out of its header field.
pub(crate) fn sanitize(value: &str) -> String {
    sanitized(value).into_owned()
}

/// [`sanitize`], borrowing the value when only its ends are trimmed.
fn sanitized(value: &str) -> Cow<'_, str> {
    // Most values hold no control character at all: only trim them.
    let plain = |b: u8| (b' '..=b'~').contains(&b) | (b == b'\t');
    // Every byte looked at, without a branch per byte (see
    // `session::text::printable`).
    if value.bytes().fold(true, |ok, b| ok & plain(b)) {
        return Cow::Borrowed(value.trim());
    }
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect();
    Cow::Owned(cleaned.trim().to_owned())
}

/// Splits a trimmed value before each run of whitespace: the places where
/// a fold may go. Each piece but the first starts with its whitespace.
fn for_each_piece<'a>(value: &'a str, mut piece: impl FnMut(&'a str)) {
    // Space and tab are ASCII: a byte equal to either is never inside a
    // longer UTF-8 character, so bytes can be scanned as they are.
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut prev_space = true;
    for (i, &b) in bytes.iter().enumerate() {
        let space = b == b' ' || b == b'\t';
        if space && !prev_space && i > start {
            piece(&value[start..i]);
            start = i;
        }
        prev_space = space;
    }
    if start < value.len() {
        piece(&value[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(folded: &str) -> Vec<&str> {
        folded.split("\r\n").collect()
    }

    #[test]
    fn short_field_is_one_line_rfc5322_2_2_3() {
        assert_eq!(fold_field("Subject", "Hello"), "Subject: Hello");
    }

    #[test]
    fn long_field_folds_within_78_rfc5322_2_1_1() {
        let value = "word ".repeat(60);
        let folded = fold_field("Subject", &value);
        let lines = lines(&folded);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(line.len() <= RECOMMENDED_LINE_LENGTH, "{line:?}");
            assert!(!line.trim().is_empty(), "whitespace-only line §3.2.2");
        }
        for line in &lines[1..] {
            assert!(line.starts_with(' '), "continuation starts with WSP");
        }
    }

    #[test]
    fn unfold_restores_the_logical_line_rfc5322_2_2_3() {
        let value = "alpha  beta\tgamma ".repeat(20);
        let folded = fold_field("X-Test", &value);
        assert_eq!(unfold(&folded), format!("X-Test: {}", value.trim()));
    }

    #[test]
    fn unbreakable_word_stays_whole_rfc5322_2_2_3() {
        let word = "x".repeat(120);
        let folded = fold_field("X-Long", &format!("a {word} b"));
        assert_eq!(lines(&folded), vec!["X-Long: a", &format!(" {word}"), " b"]);
    }

    #[test]
    fn crlf_in_a_value_cannot_inject_a_header_rfc5322_2_2() {
        let folded = fold_field("Subject", "hi\r\nBcc: victim@example.net");
        assert_eq!(folded, "Subject: hi  Bcc: victim@example.net");
        assert!(!folded.contains('\n'));
    }

    #[test]
    fn unfold_accepts_bare_lf_breaks() {
        assert_eq!(unfold("a\n b\nc"), "a b\nc");
        assert_eq!(unfold("a\r\n\tb"), "a\tb");
    }
}
