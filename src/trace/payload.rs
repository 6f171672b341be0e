//! What crossed the wire, as the trace keeps it: a [`Payload`] is the
//! octets of one chunk or datagram, shared between every reader; a
//! [`Letter`] is a message as a mailbox stored it, sharing its body with
//! the DATA that carried it. Both share equal octets rather than copy
//! them (issue 14 §1: a million messages within 8 GB).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Bytes as they crossed the wire, shared between every reader.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload(pub Arc<[u8]>);

impl Payload {
    /// The bytes as a payload. Short ones that were seen lately share
    /// that copy: most lines of a session (greetings, EHLO and its reply,
    /// QUIT, 221) are the same octets in every session between the same
    /// two hosts, and a copy of each per message was a tenth of a
    /// message's memory (issue 14 §1).
    pub fn new(bytes: &[u8]) -> Payload {
        if bytes.len() > shared::LONGEST {
            let payload = Payload(Arc::from(bytes));
            shared::remember_data(&payload);
            return payload;
        }
        shared::payload(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The slot of `bytes` in a direct-mapped cache of 2^`bits` slots, for
/// the per-thread caches that share equal octets (payloads, DATA bodies,
/// transcript texts): FNV-1a over the octets, 8 at a time (cheap next to
/// the allocation a hit saves), then the top bits of a Fibonacci
/// multiply, where every octet is mixed in.
pub(crate) fn slot(bytes: &[u8], bits: u32) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 octets"));
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
}

/// A small cache of recent short payloads, one per thread, so that equal
/// lines share one allocation. Direct-mapped: a slot holds the last
/// payload whose hash fell on it, so the cache stays small however long
/// the run, and a miss costs one hash and one compare.
mod shared {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::Payload;

    /// Longer payloads (message bodies, big replies) are rarely repeated.
    pub const LONGEST: usize = 512;

    const SLOT_BITS: u32 = 10;
    const SLOTS: usize = 1 << SLOT_BITS;

    thread_local! {
        static CACHE: RefCell<Vec<Option<Payload>>> = RefCell::new(vec![None; SLOTS]);
    }

    /// Long payloads that end as DATA does (`CRLF.CRLF`), by the hash of
    /// their last octets before the dot: a letter stored next looks its
    /// body up here.
    const DATA_SLOTS: usize = 64;
    const TAIL: usize = 64;
    const DOT: &[u8] = b"\r\n.\r\n";

    thread_local! {
        static DATA: RefCell<Vec<Option<Payload>>> = RefCell::new(vec![None; DATA_SLOTS]);
    }

    fn data_slot(message: &[u8]) -> usize {
        let tail = &message[message.len().saturating_sub(TAIL)..];
        super::slot(tail, DATA_SLOTS.trailing_zeros())
    }

    pub fn remember_data(payload: &Payload) {
        let bytes = payload.as_bytes();
        if !bytes.ends_with(DOT) {
            return;
        }
        let slot = data_slot(&bytes[..bytes.len() - 3]);
        DATA.with_borrow_mut(|data| data[slot] = Some(payload.clone()));
    }

    /// A remembered DATA payload whose message (without the final dot)
    /// ends `letter`, and that message's length.
    pub fn data_ending(letter: &[u8]) -> Option<(Payload, usize)> {
        if letter.len() <= LONGEST {
            return None;
        }
        let slot = data_slot(letter);
        DATA.with_borrow(|data| {
            let payload = data[slot].as_ref()?;
            let message = &payload.as_bytes()[..payload.as_bytes().len() - 3];
            letter
                .ends_with(message)
                .then(|| (payload.clone(), message.len()))
        })
    }

    pub fn payload(bytes: &[u8]) -> Payload {
        let slot = super::slot(bytes, SLOT_BITS);
        CACHE.with_borrow_mut(|cache| match &cache[slot] {
            Some(p) if *p.0 == *bytes => p.clone(),
            _ => {
                let p = Payload(Arc::from(bytes));
                cache[slot] = Some(p.clone());
                p
            }
        })
    }
}

/// A message as a mailbox stored it: its own first lines (Return-Path,
/// the storing server's Received) and the rest, which is the DATA that
/// just crossed the wire, shared with that `Bytes` event when the octets
/// are the same (no dot to unstuff), else a copy of its own. The 1 KiB
/// body of a relayed message was held three times (issue 14 §1).
#[derive(Clone)]
pub struct Letter {
    head: Payload,
    /// The DATA payload and how much of it (without its final dot).
    body: Option<(Payload, usize)>,
}

impl Letter {
    pub fn new(bytes: &[u8]) -> Letter {
        match shared::data_ending(bytes) {
            Some((data, len)) => Letter {
                head: Payload::new(&bytes[..bytes.len() - len]),
                body: Some((data, len)),
            },
            None => Letter {
                head: Payload::new(bytes),
                body: None,
            },
        }
    }

    pub fn len(&self) -> usize {
        self.head.as_bytes().len() + self.body.as_ref().map_or(0, |(_, len)| *len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The octets as stored: borrowed when they are all in one piece.
    pub fn as_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match &self.body {
            None => std::borrow::Cow::Borrowed(self.head.as_bytes()),
            Some((data, len)) => {
                let mut all = Vec::with_capacity(self.len());
                all.extend_from_slice(self.head.as_bytes());
                all.extend_from_slice(&data.as_bytes()[..*len]);
                std::borrow::Cow::Owned(all)
            }
        }
    }
}

impl PartialEq for Letter {
    /// By the octets, however they are held.
    fn eq(&self, other: &Letter) -> bool {
        self.len() == other.len() && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Letter {}

impl fmt::Debug for Letter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.as_bytes()))
    }
}

impl Serialize for Letter {
    /// As a [`Payload`]: one string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.as_bytes()))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl Serialize for Payload {
    /// As text: SMTP and POP3 are text protocols; other bytes are escaped.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal short payloads share one copy (issue 14 §1); the octets are
    /// always the ones given, whatever the cache held.
    #[test]
    fn equal_short_payloads_share_one_copy_issue_14_1() {
        let a = Payload::new(b"221 2.0.0 smtp.example.org Bye\r\n");
        let b = Payload::new(b"221 2.0.0 smtp.example.org Bye\r\n");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(Payload::new(b"").as_bytes(), b"");
        let long = vec![b'x'; shared::LONGEST + 1];
        let (c, d) = (Payload::new(&long), Payload::new(&long));
        assert!(!Arc::ptr_eq(&c.0, &d.0));
        assert_eq!(c, d);
        // Many distinct lines, more than the cache has slots, each read
        // back as written.
        for i in 0..5000u32 {
            let line = format!("250 2.1.5 Recipient <u{i}@example.net> OK\r\n");
            assert_eq!(Payload::new(line.as_bytes()).as_bytes(), line.as_bytes());
            assert_eq!(Payload::new(line.as_bytes()).as_bytes(), line.as_bytes());
        }
    }

    /// A stored letter shares its body with the DATA that carried it when
    /// the octets are the same, and reads back whole either way.
    #[test]
    fn a_letter_shares_the_body_of_its_data_issue_14_1() {
        let body = format!("Subject: hi\r\n\r\n{}\r\n", "x".repeat(900));
        let data = Payload::new(format!("{body}.\r\n").as_bytes());
        let stored = format!("Return-Path: <a@x>\r\nReceived: by mx\r\n{body}");
        let letter = Letter::new(stored.as_bytes());
        assert!(
            matches!(&letter.body, Some((p, len)) if Arc::ptr_eq(&p.0, &data.0) && *len == body.len())
        );
        assert_eq!(&*letter.as_bytes(), stored.as_bytes());
        assert_eq!(letter.len(), stored.len());
        assert_eq!(
            serde_json::to_string(&letter).unwrap(),
            serde_json::to_string(&stored).unwrap()
        );
        // Unstuffed (a line began with a dot): no DATA ends it, a copy.
        let other = format!("Return-Path: <a@x>\r\n{}\r\n", "y".repeat(900));
        let alone = Letter::new(other.as_bytes());
        assert!(alone.body.is_none());
        assert_eq!(&*alone.as_bytes(), other.as_bytes());
        assert_eq!(letter, Letter::new(stored.as_bytes()));
        assert_ne!(letter, alone);
    }
}
