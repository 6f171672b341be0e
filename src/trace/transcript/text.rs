//! The text of a transcript line, shared rather than copied: most lines
//! of a session (greetings, EHLO and its reply, QUIT, +OK, a message's
//! body lines) are the same in every session, and an index kept a
//! `String` of its own for each of them, ~100 a message, more than the
//! trace's own octets (issue 14 §1: a million messages within 8 GB).

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A line's text: an `Arc<str>`, equal short texts seen lately sharing
/// one allocation. Reads as a `&str`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

/// Longer lines are rarely repeated: not looked up.
const LONGEST: usize = 256;

const SLOT_BITS: u32 = 12;
const SLOTS: usize = 1 << SLOT_BITS;

thread_local! {
    /// Direct-mapped: a slot holds the last text whose hash fell on it,
    /// so the cache stays small (at most 1 MiB) however long the run,
    /// and a miss costs one hash and one compare.
    static RECENT: RefCell<Vec<Option<Arc<str>>>> = RefCell::new(vec![None; SLOTS]);
}

impl Text {
    /// The octets of a line as text (not UTF-8: replaced, as the board
    /// always showed them).
    pub fn from_octets(octets: Vec<u8>) -> Text {
        match String::from_utf8(octets) {
            Ok(text) => Text::new(&text),
            Err(e) => Text::new(&String::from_utf8_lossy(e.as_bytes())),
        }
    }

    /// `text`, shared with an equal one seen lately.
    pub fn new(text: &str) -> Text {
        if text.len() > LONGEST {
            return Text(Arc::from(text));
        }
        let slot = crate::trace::payload::slot(text.as_bytes(), SLOT_BITS);
        RECENT.with_borrow_mut(|recent| match &recent[slot] {
            Some(t) if **t == *text => Text(t.clone()),
            _ => {
                let t: Arc<str> = Arc::from(text);
                recent[slot] = Some(t.clone());
                Text(t)
            }
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new("")
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::new(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::new(&text)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        *self == *other.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal short lines share one copy (issue 14 §1); every text reads
    /// back as given, whatever the cache held, invalid UTF-8 replaced.
    #[test]
    fn equal_lines_share_one_text_issue_14_1() {
        let (a, b) = (Text::new("250 2.0.0 OK"), Text::new("250 2.0.0 OK"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "250 2.0.0 OK");
        let long = "x".repeat(LONGEST + 1);
        let (c, d) = (Text::new(&long), Text::new(&long));
        assert!(!Arc::ptr_eq(&c.0, &d.0));
        assert_eq!(c, d);
        for i in 0..3 * SLOTS {
            let line = format!("RCPT TO:<u{i}@example.net>");
            assert_eq!(Text::new(&line).as_str(), line);
            assert_eq!(Text::from_octets(line.clone().into_bytes()), line);
        }
        assert_eq!(Text::from_octets(b"caf\xe9".to_vec()), "caf\u{fffd}");
        assert_eq!(Text::default(), "");
    }
}
