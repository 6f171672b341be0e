//! What crossed the wire, as the trace keeps it: a [`Payload`] is the
//! octets of one chunk or datagram, shared between every reader; a
//! [`Letter`] is a message as a mailbox stored it, sharing its body with
//! the DATA that carried it. Both share equal octets rather than copy
//! them (issue 14 §1: a million messages within 8 GB).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Bytes as they crossed the wire, shared between every reader. Most are
/// one buffer; a relayed DATA is its own first lines (the relay's
/// Received) followed by the DATA it was submitted with, shared with that
/// earlier `Bytes` event rather than copied: the body crossed two hops,
/// and a copy per hop was a tenth of a message's memory (issue 14 §1).
#[derive(Clone)]
pub struct Payload(Repr);

#[derive(Clone)]
enum Repr {
    Whole(Arc<[u8]>),
    Joined(Arc<Joined>),
}

/// `head` followed by all of `tail`'s octets.
struct Joined {
    head: Box<[u8]>,
    tail: Payload,
    len: usize,
}

impl Payload {
    /// The bytes as a payload. Short ones that were seen lately share
    /// that copy: most lines of a session (greetings, EHLO and its reply,
    /// QUIT, 221) are the same octets in every session between the same
    /// two hosts, and a copy of each per message was a tenth of a
    /// message's memory (issue 14 §1). A long one that ends with a DATA
    /// seen lately (a relay's DATA after the submitted one) shares it.
    pub fn new(bytes: &[u8]) -> Payload {
        if bytes.len() > shared::LONGEST {
            let payload = match shared::data_ending(bytes, 0) {
                // The same DATA again (another recipient's session).
                Some((data, len)) if len == bytes.len() => return data,
                Some((tail, len)) => Payload(Repr::Joined(Arc::new(Joined {
                    head: bytes[..bytes.len() - len].into(),
                    tail,
                    len: bytes.len(),
                }))),
                None => Payload(Repr::Whole(Arc::from(bytes))),
            };
            shared::remember_data(&payload);
            return payload;
        }
        shared::payload(bytes)
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Whole(bytes) => bytes.len(),
            Repr::Joined(joined) => joined.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The octets: borrowed when they are in one piece, else joined for
    /// the reader.
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Whole(bytes) => Cow::Borrowed(bytes),
            Repr::Joined(_) => Cow::Owned(self.prefix(self.len())),
        }
    }

    /// Calls `read` with the octets. A payload in pieces is joined in a
    /// buffer kept for the next one: a fresh 1 KiB buffer per relayed
    /// DATA, freed at once, left holes between the trace's long-lived
    /// allocations that cost more than sharing saved (issue 14 §1).
    pub fn with_bytes<R>(&self, read: impl FnOnce(&[u8]) -> R) -> R {
        thread_local! {
            static JOINED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
        }
        match &self.0 {
            Repr::Whole(bytes) => read(bytes),
            Repr::Joined(_) => {
                // Taken out while in use: a reader that reads another
                // payload meanwhile gets a buffer of its own.
                let mut joined = JOINED.take();
                joined.clear();
                self.extend_with_prefix(&mut joined, self.len());
                let result = read(&joined);
                // Kept for DATA of ordinary size, not for a rare huge one.
                if joined.capacity() <= 1 << 16 {
                    JOINED.set(joined);
                }
                result
            }
        }
    }

    /// The pieces the octets are held in, in order.
    fn segments(&self) -> Segments<'_> {
        Segments(Some(self))
    }

    /// The first `len` octets, joined.
    fn prefix(&self, len: usize) -> Vec<u8> {
        let mut all = Vec::with_capacity(len);
        self.extend_with_prefix(&mut all, len);
        all
    }

    /// Appends the first `len` octets to `all`.
    fn extend_with_prefix(&self, all: &mut Vec<u8>, mut len: usize) {
        for segment in self.segments() {
            let take = segment.len().min(len);
            all.extend_from_slice(&segment[..take]);
            len -= take;
        }
    }

    /// Whether `bytes` are this payload's first `bytes.len()` octets,
    /// compared piece by piece without joining.
    fn starts_with(&self, mut bytes: &[u8]) -> bool {
        if bytes.len() > self.len() {
            return false;
        }
        for segment in self.segments() {
            if bytes.is_empty() {
                break;
            }
            let n = segment.len().min(bytes.len());
            if segment[..n] != bytes[..n] {
                return false;
            }
            bytes = &bytes[n..];
        }
        bytes.is_empty()
    }

    /// The same allocation (not only equal octets).
    #[cfg(test)]
    fn shares(&self, other: &Payload) -> bool {
        match (&self.0, &other.0) {
            (Repr::Whole(a), Repr::Whole(b)) => Arc::ptr_eq(a, b),
            (Repr::Joined(a), Repr::Joined(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

struct Segments<'a>(Option<&'a Payload>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match &self.0?.0 {
            Repr::Whole(bytes) => {
                self.0 = None;
                Some(bytes)
            }
            Repr::Joined(joined) => {
                self.0 = Some(&joined.tail);
                Some(&joined.head)
            }
        }
    }
}

impl PartialEq for Payload {
    /// By the octets, however they are held.
    fn eq(&self, other: &Payload) -> bool {
        self.len() == other.len() && other.starts_with(&self.as_bytes())
    }
}

impl Eq for Payload {}

/// A small cache of recent short payloads, one per thread, so that equal
/// lines share one allocation. Direct-mapped: a slot holds the last
/// payload whose hash fell on it, so the cache stays small however long
/// the run, and a miss costs one hash and one compare.
mod shared {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::{Payload, Repr};

    /// Longer payloads (message bodies, big replies) are rarely repeated.
    pub const LONGEST: usize = 512;

    const SLOT_BITS: u32 = 10;
    const SLOTS: usize = 1 << SLOT_BITS;

    thread_local! {
        static CACHE: RefCell<Vec<Option<Payload>>> = RefCell::new(vec![None; SLOTS]);
    }

    /// FNV-1a over the octets, 8 at a time: cheap next to the allocation
    /// it saves.
    fn hash(bytes: &[u8]) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let w = u64::from_le_bytes(word.try_into().expect("8 octets"));
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in words.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    /// The last long payloads that end as DATA does (`CRLF.CRLF`), newest
    /// first, each with the hash of the last octets of its message (before
    /// the dot): a relay's DATA and a stored letter end with the same
    /// message, so they look it up here. A ring, not a table keyed by the
    /// hash: messages with the same body (a list, a bench) have the same
    /// last octets, and the one looked for is rarely the newest.
    const RECENT: usize = 16;
    const TAIL: usize = 64;
    pub const DOT: &[u8] = b"\r\n.\r\n";

    thread_local! {
        static DATA: RefCell<std::collections::VecDeque<(u64, Payload)>> =
            RefCell::new(std::collections::VecDeque::with_capacity(RECENT));
    }

    fn key(message: &[u8]) -> u64 {
        hash(&message[message.len().saturating_sub(TAIL)..])
    }

    pub fn remember_data(payload: &Payload) {
        // The last piece holds the whole end of any remembered DATA: a
        // joined payload ends with one, which was longer than `LONGEST`.
        let Some(last) = payload.segments().last() else {
            return;
        };
        if !last.ends_with(DOT) || last.len() < TAIL + 3 {
            return;
        }
        let key = key(&last[..last.len() - 3]);
        DATA.with_borrow_mut(|data| {
            if data.len() == RECENT {
                data.pop_back();
            }
            data.push_front((key, payload.clone()));
        });
    }

    /// A remembered DATA payload whose first octets (all but the last
    /// `dot`, 0 or 3) end `bytes`, and how many octets that is.
    pub fn data_ending(bytes: &[u8], dot: usize) -> Option<(Payload, usize)> {
        if bytes.len() <= LONGEST || (dot == 0 && !bytes.ends_with(DOT)) {
            return None;
        }
        let key = key(&bytes[..bytes.len() - (3 - dot)]);
        DATA.with_borrow(|data| {
            data.iter().find_map(|(k, payload)| {
                let len = payload.len() - dot;
                (*k == key
                    && len <= bytes.len()
                    && payload.starts_with(&bytes[bytes.len() - len..]))
                .then(|| (payload.clone(), len))
            })
        })
    }

    pub fn payload(bytes: &[u8]) -> Payload {
        // The top bits, where the multiplications mixed every octet in.
        let slot = (hash(bytes).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOT_BITS)) as usize;
        CACHE.with_borrow_mut(|cache| match &cache[slot] {
            Some(p @ Payload(Repr::Whole(octets))) if **octets == *bytes => p.clone(),
            _ => {
                let p = Payload(Repr::Whole(Arc::from(bytes)));
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
        match shared::data_ending(bytes, 3) {
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
        self.head.len() + self.body.as_ref().map_or(0, |(_, len)| *len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The octets as stored: borrowed when they are all in one piece.
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match &self.body {
            None => self.head.as_bytes(),
            Some((data, len)) => {
                let mut all = Vec::with_capacity(self.len());
                self.head.extend_with_prefix(&mut all, self.head.len());
                data.extend_with_prefix(&mut all, *len);
                Cow::Owned(all)
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
        write!(f, "{:?}", String::from_utf8_lossy(&self.as_bytes()))
    }
}

impl Serialize for Payload {
    /// As text: SMTP and POP3 are text protocols; other bytes are escaped.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.as_bytes()))
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
        assert!(a.shares(&b));
        assert_eq!(&*Payload::new(b"").as_bytes(), b"");
        let long = vec![b'x'; shared::LONGEST + 1];
        let (c, d) = (Payload::new(&long), Payload::new(&long));
        assert!(!c.shares(&d));
        assert_eq!(c, d);
        // Many distinct lines, more than the cache has slots, each read
        // back as written.
        for i in 0..5000u32 {
            let line = format!("250 2.1.5 Recipient <u{i}@example.net> OK\r\n");
            assert_eq!(&*Payload::new(line.as_bytes()).as_bytes(), line.as_bytes());
            assert_eq!(&*Payload::new(line.as_bytes()).as_bytes(), line.as_bytes());
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
        assert!(matches!(&letter.body, Some((p, len)) if p.shares(&data) && *len == body.len()));
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

    /// A relay's DATA (its Received line, then the submitted DATA)
    /// shares the submitted one's octets; reads back whole, equal to and
    /// serialized as the copy it replaces; the letter stored from it
    /// shares them too (issue 14 §1).
    #[test]
    fn a_relayed_data_shares_the_submitted_one_issue_14_1() {
        let message = format!("Subject: hi\r\n\r\n{}\r\n", "x".repeat(900));
        let submitted = Payload::new(format!("{message}.\r\n").as_bytes());
        let relayed_octets = format!("Received: by relay\r\n{message}.\r\n");
        let relayed = Payload::new(relayed_octets.as_bytes());
        let Repr::Joined(joined) = &relayed.0 else {
            panic!("the relayed DATA is a copy");
        };
        assert!(joined.tail.shares(&submitted));
        assert_eq!(&*joined.head, b"Received: by relay\r\n");
        assert_eq!(&*relayed.as_bytes(), relayed_octets.as_bytes());
        assert_eq!(relayed.len(), relayed_octets.len());
        let copy = Payload(Repr::Whole(Arc::from(relayed_octets.as_bytes())));
        assert_eq!(relayed, copy);
        assert_eq!(
            serde_json::to_string(&relayed).unwrap(),
            serde_json::to_string(&copy).unwrap()
        );
        // The same DATA again (another session) is the same payload.
        assert!(Payload::new(relayed_octets.as_bytes()).shares(&relayed));
        // The letter the next server stores shares the relayed DATA.
        let stored =
            format!("Return-Path: <a@x>\r\nReceived: by mx\r\nReceived: by relay\r\n{message}");
        let letter = Letter::new(stored.as_bytes());
        assert!(matches!(&letter.body, Some((p, _)) if p.shares(&relayed)));
        assert_eq!(&*letter.as_bytes(), stored.as_bytes());
        // Octets that only end like it (one changed) are a copy of their own.
        let other = relayed_octets.replace("xxxxx\r\n.", "xxxxy\r\n.");
        let other = Payload::new(other.as_bytes());
        assert!(matches!(other.0, Repr::Whole(_)));
        assert_ne!(other, relayed);
    }
}
