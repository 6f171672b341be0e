//! What crossed the wire, as the trace keeps it: a [`Payload`] is the
//! octets of one chunk or datagram, shared between every reader; a
//! [`Letter`] is a message as a mailbox stored it, sharing its body with
//! the DATA that carried it. Both share equal octets rather than copy
//! them (issue 14 §1: a million messages within 8 GB).

use std::fmt;

use append_only_bytes::BytesSlice;
use serde::Serialize;

pub use store::Store;

/// Bytes as they crossed the wire, shared between every reader: a range
/// of a block of the [`Store`] (a simulated world's), or of an allocation
/// of their own. 16 octets, as the `Arc<[u8]>` it was.
#[derive(Clone)]
pub struct Payload(pub(crate) BytesSlice);

impl Payload {
    /// The bytes as a payload. Short ones that were seen lately share
    /// that copy: most lines of a session (greetings, EHLO and its reply,
    /// QUIT, 221) are the same octets in every session between the same
    /// two hosts, and a copy of each per message was a tenth of a
    /// message's memory (issue 14 §1).
    pub fn new(bytes: &[u8]) -> Payload {
        if bytes.len() > shared::LONGEST {
            let payload = store::keep(bytes);
            shared::remember_data(&payload);
            return payload;
        }
        shared::payload(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the two are the same octets in memory, not only equal ones.
    #[cfg(test)]
    fn same(&self, other: &Payload) -> bool {
        self.0.ptr_eq(&other.0)
            && self.0.start() == other.0.start()
            && self.0.len() == other.0.len()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Payload {}

/// Where a simulated world keeps the octets of its trace: append-only
/// blocks of [`Store::BLOCK`] octets, each payload a range of one. A
/// payload is kept as long as the trace, while the sessions' buffers
/// (replies, commands, DATA being read) live for a session; one
/// allocation each, the two interleaved in glibc's heap, and freed
/// buffers between kept payloads left holes that later ones did not fit:
/// RSS was 40% over the live heap (issue 14 §1, benches/README.md
/// memory5). In blocks, the payloads stay out of the small chunks.
///
/// Only a simulated world opens the store (`sim::run`), for its thread:
/// it keeps every event anyway. A live one (`mailflow serve`) drops
/// events once printed and must keep flat memory, where one live payload
/// would pin a whole block; its payloads keep an allocation each.
mod store {
    use std::cell::RefCell;

    use append_only_bytes::{AppendOnlyBytes, BytesSlice};

    use super::Payload;

    thread_local! {
        /// The block being filled, while a store is open on this thread.
        static OPEN: RefCell<Option<AppendOnlyBytes>> = const { RefCell::new(None) };
    }

    /// This thread's payloads go into blocks while it lives.
    #[must_use = "the store closes when this is dropped"]
    pub struct Store {
        /// What was open before (a world inside a world's thread).
        before: Option<AppendOnlyBytes>,
        was_open: bool,
    }

    impl Store {
        /// Octets in a block: a few hundred payloads, and a tail left
        /// unused when the next one does not fit is at most a fiftieth.
        pub const BLOCK: usize = 64 * 1024;
        /// Longer payloads get an allocation of their own.
        const LARGEST: usize = Store::BLOCK / 16;

        pub fn open() -> Store {
            OPEN.with_borrow_mut(|open| {
                let was_open = open.is_some();
                let before = open.replace(AppendOnlyBytes::new());
                Store { before, was_open }
            })
        }
    }

    impl Drop for Store {
        fn drop(&mut self) {
            let before = self.before.take();
            let was_open = self.was_open;
            OPEN.with_borrow_mut(|open| {
                *open = if was_open { before } else { None };
            });
        }
    }

    /// `bytes` in the open block, or in an allocation of their own.
    pub fn keep(bytes: &[u8]) -> Payload {
        if bytes.len() <= Store::LARGEST
            && let Some(payload) = OPEN.with_borrow_mut(|open| {
                let block = open.as_mut()?;
                if block.capacity() - block.len() < bytes.len() {
                    // Never grown: growing copies the block.
                    *block = AppendOnlyBytes::with_capacity(Store::BLOCK);
                }
                let start = block.len();
                block.push_slice(bytes);
                Some(Payload(block.slice(start..)))
            })
        {
            return payload;
        }
        Payload(BytesSlice::from_bytes(bytes))
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
            Some(p) if p.as_bytes() == bytes => p.clone(),
            _ => {
                let p = super::store::keep(bytes);
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
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl Serialize for Payload {
    /// As text: SMTP and POP3 are text protocols; other bytes are escaped.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(self.as_bytes()))
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
        assert!(a.same(&b));
        assert_eq!(Payload::new(b"").as_bytes(), b"");
        let long = vec![b'x'; shared::LONGEST + 1];
        let (c, d) = (Payload::new(&long), Payload::new(&long));
        assert!(!c.same(&d));
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
        assert!(matches!(&letter.body, Some((p, len)) if p.same(&data) && *len == body.len()));
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

    /// A payload is as small as the `Arc<[u8]>` it was: `Bytes` events
    /// hold two (issue 14 §1, `an_event_stays_small_issue_14_1`).
    #[test]
    fn a_payload_stays_two_words_issue_14_1() {
        assert_eq!(std::mem::size_of::<Payload>(), 16);
    }

    /// While a store is open, long payloads share blocks, never grown (a
    /// payload too long for what is left starts the next block), and
    /// each reads back as written; closed, each has its own allocation.
    #[test]
    fn an_open_store_keeps_payloads_in_blocks_issue_14_1() {
        let lines: Vec<Vec<u8>> = (0..400u32)
            .map(|i| format!("{i:>600}\r\n").into_bytes())
            .collect();
        let kept: Vec<Payload> = {
            let _store = Store::open();
            lines.iter().map(|line| Payload::new(line)).collect()
        };
        for (line, payload) in lines.iter().zip(&kept) {
            assert_eq!(payload.as_bytes(), line.as_slice());
        }
        let per_block = Store::BLOCK / lines[0].len();
        assert!(kept[0].0.ptr_eq(&kept[per_block - 1].0));
        assert!(!kept[0].0.ptr_eq(&kept[per_block].0));
        assert_eq!(kept[per_block].0.start(), 0);
        // Too long for a block's share: its own allocation.
        let big = vec![b'b'; Store::BLOCK / 8];
        let (a, b) = {
            let _store = Store::open();
            (Payload::new(&big), Payload::new(&lines[1]))
        };
        assert_eq!(a.as_bytes(), big.as_slice());
        assert!(!a.0.ptr_eq(&b.0) && a.0.start() == 0);
        // Closed: the next one is alone.
        let (c, d) = (Payload::new(&lines[2]), Payload::new(&lines[3]));
        assert!(!c.0.ptr_eq(&d.0));
        assert_eq!(d.as_bytes(), lines[3].as_slice());
    }
}
