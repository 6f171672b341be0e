//! [`encode_query`] and [`Summary::decode`] with a memory, for the stub
//! resolvers.
//!
//! A resolver lives for one delivery or one check, and a world makes
//! thousands of them asking the same questions and reading the same
//! answers, each under a fresh 16-bit id. Encoding a query and decoding an
//! answer are pure functions of the bytes, and the id only passes through:
//! so the result is kept under the rest of the bytes (the name and type,
//! for a query) and given back with the id written in. hickory stays the
//! only codec, so the bytes and summaries are the ones it gives.
//!
//! The memory is per thread, as a cache of a pure function: it holds no
//! state of any node, and a run gives the same results with or without it.
//! Only exactly the same bytes hit, and only answers whose names cannot
//! reach into the header are kept (see `id_free`); anything else (hostile
//! bytes, errors) takes the full path every time.

use std::cell::RefCell;

use super::id_free::reads_the_same_under_any_id;
use super::memo::Memo;
use super::records::QueryType;
use super::wire::{self, DnsError, Summary};

/// Octets of a DNS header (RFC 1035 §4.1.1); the id is the first two.
const HEADER: usize = 12;
/// Entries per generation in each memo: a world of 1,000 domains asks
/// about 2,000 names.
const CAPACITY: usize = 4096;

struct Memory {
    queries: Memo<Vec<u8>>,
    summaries: Memo<Summary>,
    key: Vec<u8>,
}

thread_local! {
    static MEMORY: RefCell<Memory> = RefCell::new(Memory {
        queries: Memo::new(CAPACITY),
        summaries: Memo::new(CAPACITY),
        key: Vec::new(),
    });
}

/// The same bytes as [`wire::encode_query`].
pub(crate) fn encode_query(id: u16, name: &str, qtype: QueryType) -> Result<Vec<u8>, DnsError> {
    MEMORY.with_borrow_mut(|memory| {
        let Memory { queries, key, .. } = memory;
        key.clear();
        key.extend_from_slice(&qtype.code().to_be_bytes());
        key.extend_from_slice(name.as_bytes());
        if let Some(bytes) = queries.get(key) {
            let mut bytes = bytes.clone();
            bytes[..2].copy_from_slice(&id.to_be_bytes());
            return Ok(bytes);
        }
        let bytes = wire::encode_query(id, name, qtype)?;
        if bytes.get(..2) == Some(&id.to_be_bytes()[..]) {
            queries.insert(key, bytes.clone());
        }
        Ok(bytes)
    })
}

/// The same summary as [`Summary::decode`].
pub(crate) fn decode(bytes: &[u8]) -> Result<Summary, DnsError> {
    if bytes.len() < HEADER {
        return Summary::decode(bytes);
    }
    let id = u16::from_be_bytes([bytes[0], bytes[1]]);
    MEMORY.with_borrow_mut(|memory| {
        if let Some(summary) = memory.summaries.get(&bytes[2..]) {
            return Ok(Summary {
                id,
                ..summary.clone()
            });
        }
        let summary = Summary::decode(bytes)?;
        if summary.id == id && reads_the_same_under_any_id(bytes) {
            memory.summaries.insert(&bytes[2..], summary.clone());
        }
        Ok(summary)
    })
}

#[cfg(test)]
fn remembered() -> (usize, usize) {
    MEMORY.with_borrow(|m| (m.queries.len(), m.summaries.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::authority::{Answer, Authority};
    use crate::dns::resolver::SplitMix64;
    use crate::dns::{Record, RecordData, Zone};

    fn answer(authority: &Authority, id: u16, name: &str, qtype: QueryType) -> Vec<u8> {
        let query = wire::encode_query(id, name, qtype).unwrap();
        match authority.answer(&query, std::time::Duration::ZERO) {
            Answer::Reply(bytes) => bytes,
            Answer::Drop => panic!("no reply"),
        }
    }

    fn authority() -> Authority {
        Authority::new(vec![Zone::new(
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
                Record::new(
                    "mx.example.net",
                    60,
                    RecordData::A("192.0.2.1".parse().unwrap()),
                ),
                Record::new("mx.example.net", 60, RecordData::Txt("v=spf1 -all".into())),
            ],
        )])
    }

    #[test]
    fn a_query_hit_has_the_new_id_and_the_same_bytes() {
        let before = remembered().0;
        for id in [1, 2, 0xbeef, 1, 0] {
            assert_eq!(
                encode_query(id, "mx.example.net", QueryType::A),
                wire::encode_query(id, "mx.example.net", QueryType::A)
            );
        }
        assert_eq!(remembered().0, before + 1);
    }

    #[test]
    fn a_different_name_or_type_does_not_hit() {
        let before = remembered().0;
        let asked = [
            ("example.net", QueryType::Mx),
            ("example.net", QueryType::A),
            ("example.net.", QueryType::Mx),
            ("Example.net", QueryType::Mx),
            ("example.ne", QueryType::Mx),
            ("bücher.example", QueryType::Mx),
        ];
        for _ in 0..2 {
            for (name, qtype) in asked {
                assert_eq!(
                    encode_query(7, name, qtype),
                    wire::encode_query(7, name, qtype)
                );
            }
        }
        assert_eq!(remembered().0, before + asked.len());
    }

    #[test]
    fn a_bad_name_gives_the_same_error_every_time() {
        let before = remembered().0;
        let long = "a".repeat(64);
        for _ in 0..2 {
            assert_eq!(
                encode_query(1, &long, QueryType::A),
                wire::encode_query(1, &long, QueryType::A)
            );
            assert!(encode_query(1, &long, QueryType::A).is_err());
        }
        assert_eq!(remembered().0, before, "errors are not kept");
    }

    #[test]
    fn a_decode_hit_has_the_new_id_and_the_same_summary() {
        let authority = authority();
        let before = remembered().1;
        for id in [9, 10, 0xffff, 9] {
            let bytes = answer(&authority, id, "mx.example.net", QueryType::A);
            let summary = decode(&bytes).unwrap();
            assert_eq!(summary, Summary::decode(&bytes).unwrap());
            assert_eq!(summary.id, id);
        }
        assert_eq!(remembered().1, before + 1);
        for (name, qtype) in [
            ("mx.example.net", QueryType::Txt),
            ("example.net", QueryType::Mx),
            ("MX.example.net", QueryType::A),
        ] {
            let bytes = answer(&authority, 9, name, qtype);
            assert_eq!(decode(&bytes), Summary::decode(&bytes));
        }
        assert_eq!(remembered().1, before + 4, "each answer its own entry");
    }

    #[test]
    fn hostile_bytes_decode_as_without_memory() {
        let mut rng = SplitMix64::new(0xfeed);
        let valid = answer(&authority(), 7, "example.net", QueryType::Mx);
        for round in 0..2000 {
            let bytes = rng.hostile(&valid, round, 64);
            for _ in 0..2 {
                assert_eq!(decode(&bytes), Summary::decode(&bytes), "{bytes:02x?}");
            }
        }
        assert!(remembered().1 <= 2 * CAPACITY);
    }
}
