//! Encoded words (RFC 2047): non-ASCII text in a header made of ASCII.
//!
//! RFC 5322 headers are ASCII. A subject such as `Grüße aus Köln` travels
//! as one or more *encoded words*, `=?charset?encoding?text?=`:
//!
//! ```text
//! Subject: =?utf-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=
//! ```
//!
//! `B` is base64 and `Q` a quoted-printable variant (`=C3=BC`, `_` for a
//! space). Each word is at most 75 characters (§2) and holds whole
//! characters only (§5), so a long text becomes several words separated by
//! spaces; a reader drops the whitespace between adjacent encoded words
//! (§6.2) and joins the text again.
//!
//! mailflow writes `B` words in UTF-8 and reads `B` and `Q` words in UTF-8,
//! US-ASCII and ISO-8859-1. A word in another charset is shown as written.
//! (Servers that speak SMTPUTF8 may carry raw UTF-8 headers instead, RFC
//! 6532; that is the transport's choice, not this module's.)

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Bytes of text per written word: 39 bytes are 52 base64 characters, a
/// 64-character word, so `Subject: ` and one word fit in 76 (§2).
const CHUNK_BYTES: usize = 39;
/// A plain word longer than this could push a line past the 998-octet
/// limit (RFC 5322 §2.1.1), so the text is encoded (and can then be split).
const LONGEST_PLAIN_WORD: usize = 900;

/// Base64 that accepts words with or without their `=` padding: senders
/// differ, and a reader should be liberal.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// True when `text` cannot go into a header as it is: it has non-ASCII
/// characters, something that a reader would take for an encoded word
/// (`=?`), or a word too long for a line.
pub fn needs_encoding(text: &str) -> bool {
    !text.is_ascii()
        || text.contains("=?")
        || text
            .split_ascii_whitespace()
            .any(|w| w.len() > LONGEST_PLAIN_WORD)
}

/// Encodes `text` as UTF-8 `B` encoded words separated by single spaces,
/// each holding whole characters (RFC 2047 §2, §5).
pub fn encode(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk_start = 0;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() - chunk_start > CHUNK_BYTES {
            words.push(encode_word(&text[chunk_start..i]));
            chunk_start = i;
        }
    }
    if chunk_start < text.len() || words.is_empty() {
        words.push(encode_word(&text[chunk_start..]));
    }
    words.join(" ")
}

fn encode_word(chunk: &str) -> String {
    format!("=?utf-8?B?{}?=", STANDARD.encode(chunk))
}

/// Decodes every encoded word in `text`; whitespace between two adjacent
/// encoded words is dropped (§6.2). Anything that is not a well-formed
/// word in a known charset is left as written.
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Bytes of adjacent words of one charset are joined before decoding,
    // which repairs senders that split a character between two words.
    let mut pending: Option<(Charset, Vec<u8>)> = None;
    let mut gap = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((charset, bytes, used)) = parse_word(rest) {
            match &mut pending {
                Some((open, buf)) if *open == charset => buf.extend_from_slice(&bytes),
                _ => {
                    flush(&mut out, &mut pending);
                    out.push_str(&gap);
                    pending = Some((charset, bytes));
                }
            }
            gap.clear();
            rest = &rest[used..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if pending.is_some() && (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            gap.push(c);
        } else {
            flush(&mut out, &mut pending);
            out.push_str(&gap);
            gap.clear();
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut out, &mut pending);
    out.push_str(&gap);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
}

impl Charset {
    /// `utf-8`, `UTF-8*en` (a language tag, RFC 2231 §5), `us-ascii`, ...
    fn from_label(label: &str) -> Option<Charset> {
        let name = label
            .split('*')
            .next()
            .unwrap_or(label)
            .to_ascii_lowercase();
        match name.as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => Some(Charset::Utf8),
            "iso-8859-1" | "latin1" | "iso_8859-1" => Some(Charset::Latin1),
            _ => None,
        }
    }
}

fn flush(out: &mut String, pending: &mut Option<(Charset, Vec<u8>)>) {
    match pending.take() {
        Some((Charset::Utf8, bytes)) => out.push_str(&String::from_utf8_lossy(&bytes)),
        Some((Charset::Latin1, bytes)) => out.extend(bytes.iter().map(|&b| char::from(b))),
        None => {}
    }
}

/// Reads `=?charset?B|Q?text?=` at the start of `s`: the charset, the
/// decoded bytes and the length of the word.
fn parse_word(s: &str) -> Option<(Charset, Vec<u8>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let charset_end = inner.find('?')?;
    let label = &inner[..charset_end];
    let after_charset = &inner[charset_end + 1..];
    let encoding = after_charset.get(..2)?;
    let payload = &after_charset[2..];
    let end = payload.find("?=")?;
    let data = &payload[..end];
    let is_token = |t: &str| !t.is_empty() && !t.contains(|c: char| c.is_whitespace() || c == '?');
    if !is_token(label) || data.contains(|c: char| c.is_whitespace() || c == '?') {
        return None;
    }
    let charset = Charset::from_label(label)?;
    let bytes = match encoding {
        "B?" | "b?" => LENIENT_BASE64.decode(data).ok()?,
        "Q?" | "q?" => decode_q(data)?,
        _ => return None,
    };
    let used = 2 + charset_end + 1 + 2 + end + 2;
    Some((charset, bytes, used))
}

/// The `Q` encoding (§4.2): `_` is a space, `=XX` a byte in hex.
fn decode_q(data: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = hex_value(bytes.next()?)?;
                let lo = hex_value(bytes.next()?)?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_text_round_trips_rfc2047_2() {
        for text in [
            "Grüße aus Köln",
            "日本語のメール",
            "a",
            "",
            "mixed ascii and ü",
        ] {
            let encoded = encode(text);
            assert!(encoded.is_ascii());
            assert_eq!(decode(&encoded), text);
        }
    }

    #[test]
    fn known_encoding_rfc2047_4_1() {
        assert_eq!(encode("Grüße"), "=?utf-8?B?R3LDvMOfZQ==?=");
    }

    #[test]
    fn words_stay_within_75_and_hold_whole_characters_rfc2047_2_and_5() {
        let text = "ü€😀".repeat(40);
        let encoded = encode(&text);
        let words: Vec<&str> = encoded.split(' ').collect();
        assert!(words.len() > 1);
        for word in &words {
            assert!(word.len() <= 75, "{word}");
            // Each word decodes on its own to valid UTF-8: no split characters.
            let (_, bytes, _) = parse_word(word).unwrap();
            assert!(String::from_utf8(bytes).is_ok());
        }
        assert_eq!(decode(&encoded), text);
    }

    #[test]
    fn space_between_encoded_words_is_dropped_rfc2047_6_2() {
        assert_eq!(decode("=?utf-8?Q?a?= =?utf-8?Q?b?="), "ab");
        assert_eq!(decode("=?utf-8?Q?a?=\r\n =?utf-8?Q?b?="), "ab");
        assert_eq!(decode("=?utf-8?Q?a?= b =?utf-8?Q?c?="), "a b c");
        assert_eq!(decode("=?utf-8?Q?a_b?="), "a b");
    }

    #[test]
    fn q_encoding_and_other_charsets_rfc2047_4_2() {
        assert_eq!(decode("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
        assert_eq!(decode("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
        assert_eq!(decode("=?utf-8?b?R3LDvMOfZQ?="), "Grüße");
    }

    #[test]
    fn character_split_across_words_is_repaired_rfc2047_5() {
        // "ü" is C3 BC; a careless sender put one byte in each word.
        assert_eq!(decode("=?utf-8?Q?=C3?= =?utf-8?Q?=BC?="), "ü");
    }

    #[test]
    fn malformed_words_are_left_as_written_rfc2047_6_3() {
        for text in [
            "=?utf-8?B?###?=",
            "=?koi8-r?B?8tXT08vJyg==?=",
            "=?utf-8?X?abc?=",
            "=?utf-8?Q?a b?=",
            "=?",
            "=?utf-8",
            "=?utf-8?Q?=Z1?=",
        ] {
            assert_eq!(decode(text), text);
        }
    }

    #[test]
    fn what_needs_encoding_rfc2047_1() {
        assert!(!needs_encoding("Meeting at noon"));
        assert!(needs_encoding("Café"));
        assert!(needs_encoding("looks like =?utf-8?Q?x?="));
        assert!(needs_encoding(&"x".repeat(1000)));
    }
}
