//! An [`Authority`] that remembers its answers.
//!
//! Decoding a query and encoding the reply with hickory costs thousands of
//! instructions, and a simulated world asks the same few questions again
//! and again, each time under a fresh 16-bit id. The reply is a function
//! of the query bytes after the id, of the faults active at the time, and
//! of the zones, which never change once the server is built. So the
//! encoded reply is kept under the bytes after the id, prefixed by the
//! state of the faults, and given back with the asker's id written in.
//! hickory stays the only codec: the bytes are the same by construction.
//!
//! Only a query with a whole header and exactly the same bytes hits, and
//! only a query whose names cannot reach into the header is kept (see
//! `id_free`); anything else, a what-if's answer included, takes the full
//! path.

use std::time::Duration;

use super::authority::{Answer, Authority, DnsAnswer};
use super::id_free::reads_the_same_under_any_id;
use super::memo::Memo;

/// Octets of a DNS header (RFC 1035 §4.1.1); the id is the first two.
const HEADER: usize = 12;
/// Answers kept per generation: a world of 1,000 domains asks about
/// 2,000 names (each domain's MX, its exchange's A).
const CAPACITY: usize = 4096;

/// An authoritative server and the answers it has given.
#[derive(Debug)]
pub struct CachedAuthority {
    authority: Authority,
    answers: Memo<Answer>,
    /// Scratch space for the key, kept to spare an allocation per query.
    key: Vec<u8>,
}

impl CachedAuthority {
    pub fn new(authority: Authority) -> CachedAuthority {
        CachedAuthority::with_capacity(authority, CAPACITY)
    }

    fn with_capacity(authority: Authority, capacity: usize) -> CachedAuthority {
        CachedAuthority {
            authority,
            answers: Memo::new(capacity),
            key: Vec::new(),
        }
    }

    /// The same as [`Authority::answer_with`], byte for byte.
    pub fn answer_with(
        &mut self,
        query: &[u8],
        now: Duration,
        instead: Option<&DnsAnswer>,
    ) -> Answer {
        if instead.is_some() || query.len() < HEADER {
            return self.authority.answer_with(query, now, instead);
        }
        let id = [query[0], query[1]];
        self.key.clear();
        // The fault state has the same length for every query, so the
        // key's two parts cannot run into each other.
        self.authority.write_fault_state(now, &mut self.key);
        self.key.extend_from_slice(&query[2..]);
        if let Some(answer) = self.answers.get(&self.key) {
            return with_id(answer, id);
        }
        let answer = self.authority.answer_with(query, now, None);
        let keeps_id = match &answer {
            Answer::Reply(bytes) => bytes.get(..2) == Some(&id[..]),
            Answer::Drop => true,
        };
        // Every reply echoes the id (RFC 1035 §4.1.1); one that did not
        // could not be patched, so it would not be kept. Nor would the
        // answer to a query whose names may read the id as labels.
        if keeps_id && reads_the_same_under_any_id(query) {
            self.answers.insert(&self.key, answer.clone());
        }
        answer
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.answers.len()
    }
}

fn with_id(answer: &Answer, id: [u8; 2]) -> Answer {
    match answer {
        Answer::Reply(bytes) => {
            let mut bytes = bytes.clone();
            bytes[..2].copy_from_slice(&id);
            Answer::Reply(bytes)
        }
        Answer::Drop => Answer::Drop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::resolver::SplitMix64;
    use crate::dns::wire::encode_query;
    use crate::dns::{Fault, FaultKind, QueryType, Record, RecordData, Zone};

    const MINUTE: Duration = Duration::from_secs(60);

    fn zone(mx_ip: &str) -> Zone {
        Zone::new(
            "example.net",
            vec![
                Record::new(
                    "example.net",
                    300,
                    RecordData::Mx {
                        preference: 10,
                        exchange: "mx.example.net".into(),
                    },
                ),
                Record::new("mx.example.net", 300, RecordData::A(mx_ip.parse().unwrap())),
                Record::new(
                    "www.example.net",
                    300,
                    RecordData::Cname("mx.example.net".into()),
                ),
            ],
        )
    }

    fn faulty() -> Zone {
        zone("192.0.2.10").with_fault(Fault {
            name: Some("mx.example.net".into()),
            kind: FaultKind::ServFail,
            from: MINUTE,
            until: Some(2 * MINUTE),
        })
    }

    fn query(id: u16, name: &str, qtype: QueryType) -> Vec<u8> {
        encode_query(id, name, qtype).unwrap()
    }

    #[test]
    fn a_hit_is_the_full_answer_with_the_askers_id() {
        let plain = Authority::new(vec![zone("192.0.2.10")]);
        let mut cached = CachedAuthority::new(plain.clone());
        let first = cached.answer_with(&query(1, "mx.example.net", QueryType::A), MINUTE, None);
        assert_eq!(cached.remembered(), 1);
        for id in [2, 0xbeef, 0xffff, 1] {
            let q = query(id, "mx.example.net", QueryType::A);
            let answer = cached.answer_with(&q, MINUTE, None);
            assert_eq!(answer, plain.answer(&q, MINUTE), "id {id}");
            let Answer::Reply(bytes) = &answer else {
                panic!("no reply");
            };
            assert_eq!(bytes[..2], id.to_be_bytes(), "the id is written in");
        }
        assert_eq!(cached.remembered(), 1, "every later query hit");
        assert_ne!(
            first,
            cached.answer_with(&query(2, "mx.example.net", QueryType::A), MINUTE, None)
        );
    }

    #[test]
    fn a_different_question_does_not_hit() {
        let plain = Authority::new(vec![zone("192.0.2.10")]);
        let mut cached = CachedAuthority::new(plain.clone());
        let asked = [
            query(7, "mx.example.net", QueryType::A),
            query(7, "mx.example.net", QueryType::Aaaa),
            query(7, "MX.example.net", QueryType::A),
            query(7, "mx.example.net.example.net", QueryType::A),
            query(7, "example.net", QueryType::Mx),
            query(7, "www.example.net", QueryType::A),
            query(7, "nowhere.example.net", QueryType::A),
            query(7, "example.org", QueryType::A),
        ];
        for q in &asked {
            assert_eq!(cached.answer_with(q, MINUTE, None), plain.answer(q, MINUTE));
        }
        assert_eq!(cached.remembered(), asked.len(), "each its own entry");
        for q in &asked {
            assert_eq!(cached.answer_with(q, MINUTE, None), plain.answer(q, MINUTE));
        }
        assert_eq!(cached.remembered(), asked.len());
    }

    #[test]
    fn a_fault_that_starts_or_ends_does_not_hit() {
        let plain = Authority::new(vec![faulty()]);
        let mut cached = CachedAuthority::new(plain.clone());
        let q = query(9, "mx.example.net", QueryType::A);
        for now in [
            Duration::ZERO,
            MINUTE,
            MINUTE + MINUTE / 2,
            2 * MINUTE,
            Duration::ZERO,
        ] {
            assert_eq!(
                cached.answer_with(&q, now, None),
                plain.answer(&q, now),
                "at {now:?}"
            );
        }
        assert_eq!(
            cached.remembered(),
            2,
            "one answer while the fault is on, one while off"
        );
        let Answer::Reply(during) = cached.answer_with(&q, MINUTE, None) else {
            panic!("no reply");
        };
        let Answer::Reply(after) = cached.answer_with(&q, 3 * MINUTE, None) else {
            panic!("no reply");
        };
        assert_ne!(during, after);
    }

    #[test]
    fn a_changed_zone_does_not_hit() {
        let q = query(3, "mx.example.net", QueryType::A);
        let mut before = CachedAuthority::new(Authority::new(vec![zone("192.0.2.10")]));
        let changed = Authority::new(vec![zone("192.0.2.99")]);
        let mut after = CachedAuthority::new(changed.clone());
        let old = before.answer_with(&q, MINUTE, None);
        let new = after.answer_with(&q, MINUTE, None);
        assert_ne!(old, new);
        assert_eq!(new, changed.answer(&q, MINUTE));
    }

    #[test]
    fn a_what_if_takes_the_full_path() {
        let plain = Authority::new(vec![zone("192.0.2.10")]);
        let mut cached = CachedAuthority::new(plain.clone());
        let q = query(5, "mx.example.net", QueryType::A);
        cached.answer_with(&q, MINUTE, None);
        let instead = DnsAnswer::NxDomain;
        assert_eq!(
            cached.answer_with(&q, MINUTE, Some(&instead)),
            plain.answer_with(&q, MINUTE, Some(&instead))
        );
        assert_eq!(
            cached.answer_with(&q, MINUTE, None),
            plain.answer(&q, MINUTE)
        );
    }

    /// The `dns` fuzz target's find: an answer record whose owner is a
    /// pointer to offset 0 reads the id as labels, so the same bytes
    /// after the id get FORMERR under one id and REFUSED under another.
    #[test]
    fn a_query_reading_its_id_as_a_name_is_not_kept_rfc1035_4_1_4() {
        let plain = Authority::new(vec![zone("192.0.2.10")]);
        let mut cached = CachedAuthority::new(plain.clone());
        let mut bytes = vec![1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        bytes.extend_from_slice(b"\x07example\x03n\xe5t\x00\x00\x0f\x00\x01");
        bytes.extend_from_slice(&[0xc0, 0, 0, 0x8f, 0x8f, 0x8f, 0, 0, 0, 0x2c, 0, 7]);
        bytes.extend_from_slice(&[0, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        bytes.extend_from_slice(&[0xff, 0xff, 2, b'm', b'x', 0xc0, 12]);
        let mut other = bytes.clone();
        other[0] = 0xfe;
        assert_ne!(plain.answer(&bytes, MINUTE), plain.answer(&other, MINUTE));
        for q in [&bytes, &other, &bytes] {
            assert_eq!(cached.answer_with(q, MINUTE, None), plain.answer(q, MINUTE));
        }
        assert_eq!(cached.remembered(), 0);
    }

    #[test]
    fn stays_bounded_over_many_names() {
        let plain = Authority::new(vec![zone("192.0.2.10")]);
        let mut cached = CachedAuthority::with_capacity(plain.clone(), 64);
        for i in 0..1000 {
            let q = query(i, &format!("host{i}.example.net"), QueryType::A);
            assert_eq!(
                cached.answer_with(&q, MINUTE, None),
                plain.answer(&q, MINUTE)
            );
            assert!(cached.remembered() <= 128);
        }
    }

    #[test]
    fn hostile_bytes_get_the_same_answer_as_without_memory() {
        let plain = Authority::new(vec![faulty()]);
        let mut cached = CachedAuthority::new(plain.clone());
        let mut rng = SplitMix64::new(0xd15);
        let valid = query(7, "mx.example.net", QueryType::A);
        for round in 0..2000u64 {
            let bytes = rng.hostile(&valid, round, 40);
            let now = MINUTE * (round % 3) as u32;
            // Twice: the second may be a hit.
            for _ in 0..2 {
                assert_eq!(
                    cached.answer_with(&bytes, now, None),
                    plain.answer(&bytes, now),
                    "{bytes:02x?}"
                );
            }
        }
    }
}
