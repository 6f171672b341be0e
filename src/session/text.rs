//! Text for people on the wire: what a server puts after a reply code or a
//! status indicator.
//!
//! RFC 5321 §4.2 allows only printable US-ASCII in a reply's text
//! (`textstring = 1*(%d09 / %d32-126)`); RFC 1939 §3 says nothing so
//! precise about POP3, but a client reads bytes, so mailflow keeps both in
//! ASCII. Texts are written for people and sometimes cite "§4.1", and
//! some echo what the client sent; on the wire `§` is spelled `section`
//! and anything else outside the range becomes `?`. The `§` stays in the
//! explanations, which are not on the wire.

use std::borrow::Cow;

/// True for a byte RFC 5321 §4.2's `textstring` allows: HT, SP, `!`..`~`.
pub fn is_text_byte(b: u8) -> bool {
    b == b'\t' || (b' '..=b'~').contains(&b)
}

/// `text` with every character a `textstring` cannot hold replaced.
pub fn printable(text: &str) -> Cow<'_, str> {
    // Every byte looked at, without stopping at the first bad one: the
    // loop has no branch, so it runs many bytes a step, and nearly every
    // text (each line of each reply) is all good.
    if text.bytes().fold(true, |ok, b| ok & is_text_byte(b)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '§' => out.push_str("section "),
            c if c.is_ascii() && is_text_byte(c as u8) => out.push(c),
            _ => out.push('?'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_text_is_printable_ascii_rfc5321_4_2() {
        assert_eq!(printable("See RFC 5321 §4.1"), "See RFC 5321 section 4.1");
        assert_eq!(
            printable("Sender <jörg@b.example> OK"),
            "Sender <j?rg@b.example> OK"
        );
        assert_eq!(printable("a\tb\0c\r\n\x7f"), "a\tb?c???");
        assert!(matches!(printable("plain text"), Cow::Borrowed(_)));
        for text in ["§§", "日本", "\u{1b}[31m"] {
            assert!(printable(text).bytes().all(is_text_byte), "{text:?}");
        }
    }
}
