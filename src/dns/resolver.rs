//! A stub resolver as a sans-IO machine: the part of an MTA or a mail
//! client that asks "what is the MX of example.net?".
//!
//! A stub resolver (RFC 1034 §5.3.1) sends each question to one
//! configured server and waits. The machine does no IO and reads no clock:
//!
//! * [`Resolver::lookup`] starts a lookup and queues its query;
//! * [`Resolver::poll_transmit`] hands out query datagrams to send;
//! * [`Resolver::handle_datagram`] takes what came back;
//! * [`Resolver::handle_timeout`] retransmits a query that had no answer
//!   in time, with the same question and a new id, until the attempts are
//!   used up (RFC 1035 §4.2.1: "retransmit with a new id" is what stubs do);
//! * [`Resolver::poll_timeout`] says when to call `handle_timeout` next;
//! * [`Resolver::poll_result`] gives each lookup's outcome once.
//!
//! A response is taken only if its id is one we sent for the lookup AND
//! its question is the one we asked, so that a stray or forged datagram is
//! ignored (the spirit of RFC 5452 §4.1, §9.1). Ids come from a small
//! seeded generator: same seed, same ids, byte-identical trace.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use super::records::{QueryType, Record, canonical_name};
use super::remembered::{decode, encode_query};
use super::wire::{QuestionType, Rcode, Summary};

/// How patient the resolver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolverConfig {
    /// How long to wait for each attempt.
    pub timeout: Duration,
    /// Sends of one question in all, the first included (at least 1).
    pub attempts: u32,
}

/// 2 s and 3 attempts, so a dead server costs a lookup 6 s. (glibc
/// waits 5 s twice; a shorter wait keeps a classroom demo moving.)
impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            timeout: Duration::from_secs(2),
            attempts: 3,
        }
    }
}

/// Names one lookup; results carry it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookupId(u64);

impl fmt::Display for LookupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lookup {}", self.0)
    }
}

/// Why a lookup gave no records. NODATA (the name exists, no record of
/// the type) is not an error: it is `Ok(vec![])`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// NXDOMAIN: the name does not exist (RFC 1035 §4.1.1 rcode 3).
    #[error("no such domain (NXDOMAIN)")]
    NxDomain,
    /// SERVFAIL: the server could not answer; try again later.
    #[error("server failure (SERVFAIL)")]
    ServFail,
    /// REFUSED: the server will not answer this question.
    #[error("query refused (REFUSED)")]
    Refused,
    /// No answer to any attempt.
    #[error("no answer from the DNS server (timed out)")]
    Timeout,
    /// The name could not be asked, or the answer made no sense.
    #[error("{0}")]
    Malformed(String),
}

impl LookupError {
    /// A temporary failure: the asker should try again later rather than
    /// give up (RFC 5321 §5.1: a DNS error defers, it does not bounce).
    pub fn is_temporary(&self) -> bool {
        matches!(self, LookupError::ServFail | LookupError::Timeout)
    }
}

/// The outcome of one lookup: every answer record in wire order (a CNAME
/// chain first, then the records of the asked type), or why not.
pub type LookupResult = Result<Vec<Record>, LookupError>;

#[derive(Debug)]
struct Pending {
    lookup: LookupId,
    name: String,
    qtype: QueryType,
    /// Every id sent for this lookup: a late answer to an earlier attempt
    /// is still a genuine answer.
    ids: Vec<u16>,
    deadline: Instant,
}

impl Pending {
    fn asked(&self, summary: &Summary) -> bool {
        self.ids.contains(&summary.id)
            && summary.question.as_ref().is_some_and(|q| {
                q.qtype == QuestionType::Known(self.qtype)
                    && canonical_name(&q.name) == canonical_name(&self.name)
            })
    }
}

/// A stub resolver for one configured server.
#[derive(Debug)]
pub struct Resolver {
    config: ResolverConfig,
    ids: SplitMix64,
    next_lookup: u64,
    pending: Vec<Pending>,
    outbox: VecDeque<Vec<u8>>,
    results: VecDeque<(LookupId, LookupResult)>,
}

impl Resolver {
    pub fn new(config: ResolverConfig, seed_for_ids: u64) -> Resolver {
        Resolver {
            config,
            ids: SplitMix64::new(seed_for_ids),
            next_lookup: 0,
            pending: Vec::new(),
            outbox: VecDeque::new(),
            results: VecDeque::new(),
        }
    }

    /// Starts a lookup; its query is ready at `poll_transmit`. A name that
    /// cannot be asked fails at once with [`LookupError::Malformed`].
    pub fn lookup(&mut self, name: &str, qtype: QueryType, now: Instant) -> LookupId {
        let lookup = LookupId(self.next_lookup);
        self.next_lookup += 1;
        let id = self.fresh_id();
        match encode_query(id, name, qtype) {
            Ok(query) => {
                self.outbox.push_back(query);
                self.pending.push(Pending {
                    lookup,
                    name: name.to_owned(),
                    qtype,
                    ids: vec![id],
                    deadline: now + self.config.timeout,
                });
            }
            Err(error) => {
                let error = LookupError::Malformed(error.to_string());
                self.results.push_back((lookup, Err(error)));
            }
        }
        lookup
    }

    /// The next query datagram to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    /// A datagram from the server. One that is not a response to a lookup
    /// in progress, by id and question, is ignored.
    pub fn handle_datagram(&mut self, bytes: &[u8], _now: Instant) {
        let Ok(summary) = decode(bytes) else {
            return;
        };
        if !summary.is_response {
            return;
        }
        let Some(index) = self.pending.iter().position(|p| p.asked(&summary)) else {
            return;
        };
        let pending = self.pending.remove(index);
        let result = match summary.rcode {
            Rcode::NoError if summary.truncated => Err(LookupError::Malformed(
                "the answer was truncated (TC) and mailflow does not retry over TCP".into(),
            )),
            Rcode::NoError => Ok(summary.answers),
            Rcode::NxDomain => Err(LookupError::NxDomain),
            Rcode::ServFail => Err(LookupError::ServFail),
            Rcode::Refused => Err(LookupError::Refused),
            other => Err(LookupError::Malformed(format!(
                "the server answered {other} (rcode {})",
                other.code()
            ))),
        };
        self.results.push_back((pending.lookup, result));
    }

    /// Time passed: retransmit what waited too long, or give up on it.
    pub fn handle_timeout(&mut self, now: Instant) {
        let attempts = self.config.attempts.max(1);
        let mut index = 0;
        while index < self.pending.len() {
            if now < self.pending[index].deadline {
                index += 1;
                continue;
            }
            if self.pending[index].ids.len() < attempts as usize {
                let id = self.fresh_id();
                let pending = &mut self.pending[index];
                pending.ids.push(id);
                pending.deadline = now + self.config.timeout;
                // The name was encoded once already; it encodes again.
                if let Ok(query) = encode_query(id, &pending.name, pending.qtype) {
                    self.outbox.push_back(query);
                }
                index += 1;
            } else {
                let pending = self.pending.remove(index);
                self.results
                    .push_back((pending.lookup, Err(LookupError::Timeout)));
            }
        }
    }

    /// When `handle_timeout` should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }

    /// A finished lookup, each reported once, in the order they finished.
    pub fn poll_result(&mut self) -> Option<(LookupId, LookupResult)> {
        self.results.pop_front()
    }

    /// No lookup in progress and nothing left to report or send.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.results.is_empty() && self.outbox.is_empty()
    }

    /// An id not in use by another lookup in progress.
    fn fresh_id(&mut self) -> u16 {
        let mut id = self.ids.next_u16();
        for _ in 0..64 {
            if !self.pending.iter().any(|p| p.ids.contains(&id)) {
                break;
            }
            id = self.ids.next_u16();
        }
        id
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seeded generator.
/// Not for secrets; here it only makes ids that are the same on every run
/// with the same seed.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn next_u16(&mut self) -> u16 {
        (self.next() >> 48) as u16
    }
}

#[cfg(test)]
impl SplitMix64 {
    /// Hostile bytes for the tests: on even rounds up to `max` random
    /// octets; on odd ones `valid` with one octet changed, cut short at a
    /// random length.
    pub(crate) fn hostile(&mut self, valid: &[u8], round: u64, max: u64) -> Vec<u8> {
        if round.is_multiple_of(2) {
            let len = (self.next() % max) as usize;
            (0..len).map(|_| self.next() as u8).collect()
        } else {
            let mut bytes = valid.to_vec();
            let i = (self.next() as usize) % bytes.len();
            bytes[i] = self.next() as u8;
            bytes.truncate((self.next() as usize) % (valid.len() + 1));
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::authority::{Answer, Authority, Fault, FaultKind, Zone};
    use crate::dns::records::RecordData;

    fn zone() -> Zone {
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
                Record::new("mx.example.net", 300, RecordData::A([192, 0, 2, 1].into())),
            ],
        )
    }

    fn config() -> ResolverConfig {
        ResolverConfig::default()
    }

    /// Runs every transmit through the authority at simulated `start + t`.
    fn exchange(resolver: &mut Resolver, authority: &Authority, start: Instant, now: Instant) {
        while let Some(query) = resolver.poll_transmit() {
            if let Answer::Reply(reply) = authority.answer(&query, now - start) {
                resolver.handle_datagram(&reply, now);
            }
        }
    }

    #[test]
    fn lookup_gets_the_records_rfc1034_5_3_1() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone()]);
        let mut resolver = Resolver::new(config(), 1);
        let id = resolver.lookup("example.net", QueryType::Mx, start);
        assert_eq!(
            resolver.poll_timeout(),
            Some(start + Duration::from_secs(2))
        );
        exchange(&mut resolver, &authority, start, start);
        let (done, result) = resolver.poll_result().unwrap();
        assert_eq!(done, id);
        let records = result.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            records[0].to_string(),
            "example.net. 300 MX 10 mx.example.net."
        );
        assert!(resolver.is_idle());
        assert_eq!(resolver.poll_timeout(), None);
    }

    #[test]
    fn nodata_is_ok_empty_and_nxdomain_is_an_error_rfc2308_2() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone()]);
        let mut resolver = Resolver::new(config(), 2);
        let nodata = resolver.lookup("mx.example.net", QueryType::Mx, start);
        let nx = resolver.lookup("nobody.example.net", QueryType::A, start);
        let refused = resolver.lookup("example.com", QueryType::A, start);
        exchange(&mut resolver, &authority, start, start);
        let results: Vec<_> = std::iter::from_fn(|| resolver.poll_result()).collect();
        assert_eq!(
            results,
            [
                (nodata, Ok(vec![])),
                (nx, Err(LookupError::NxDomain)),
                (refused, Err(LookupError::Refused)),
            ]
        );
    }

    #[test]
    fn servfail_is_temporary_rfc5321_5_1() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone().with_fault(Fault {
            name: None,
            kind: FaultKind::ServFail,
            from: Duration::ZERO,
            until: None,
        })]);
        let mut resolver = Resolver::new(config(), 3);
        resolver.lookup("example.net", QueryType::Mx, start);
        exchange(&mut resolver, &authority, start, start);
        let (_, result) = resolver.poll_result().unwrap();
        let error = result.unwrap_err();
        assert_eq!(error, LookupError::ServFail);
        assert!(error.is_temporary());
        assert!(!LookupError::NxDomain.is_temporary());
    }

    #[test]
    fn retry_with_new_id_then_success_rfc1035_4_2_1() {
        let start = Instant::now();
        let second = Duration::from_secs(1);
        // The server is silent for the first 3 seconds of the run.
        let authority = Authority::new(vec![zone().with_fault(Fault {
            name: None,
            kind: FaultKind::NoAnswer,
            from: Duration::ZERO,
            until: Some(3 * second),
        })]);
        let mut resolver = Resolver::new(config(), 4);
        let id = resolver.lookup("example.net", QueryType::Mx, start);
        let first = resolver.poll_transmit().unwrap();
        assert_eq!(authority.answer(&first, Duration::ZERO), Answer::Drop);
        resolver.handle_timeout(start + second);
        assert_eq!(resolver.poll_transmit(), None, "not yet");
        let at = start + 2 * second;
        assert_eq!(resolver.poll_timeout(), Some(at));
        resolver.handle_timeout(at);
        let retry = resolver.poll_transmit().unwrap();
        assert_ne!(first[..2], retry[..2], "a new id");
        assert_eq!(first[2..], retry[2..], "the same question");
        assert_eq!(authority.answer(&retry, 2 * second), Answer::Drop);
        let at = start + 4 * second;
        assert_eq!(resolver.poll_timeout(), Some(at));
        resolver.handle_timeout(at);
        exchange(&mut resolver, &authority, start, at);
        let (done, result) = resolver.poll_result().unwrap();
        assert_eq!(done, id);
        assert_eq!(result.unwrap().len(), 1);
    }

    #[test]
    fn late_answer_to_an_earlier_attempt_is_taken() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone()]);
        let mut resolver = Resolver::new(config(), 5);
        resolver.lookup("example.net", QueryType::Mx, start);
        let first = resolver.poll_transmit().unwrap();
        resolver.handle_timeout(start + Duration::from_secs(2));
        assert!(resolver.poll_transmit().is_some());
        let Answer::Reply(late) = authority.answer(&first, Duration::ZERO) else {
            panic!("dropped");
        };
        resolver.handle_datagram(&late, start + Duration::from_secs(3));
        assert!(resolver.poll_result().unwrap().1.is_ok());
    }

    #[test]
    fn retries_exhausted_is_timeout_rfc1035_4_2_1() {
        let start = Instant::now();
        let mut resolver = Resolver::new(config(), 6);
        let id = resolver.lookup("example.net", QueryType::Mx, start);
        let mut sent = 0;
        let mut now = start;
        while resolver.poll_result().is_none() {
            sent += std::iter::from_fn(|| resolver.poll_transmit()).count();
            now = resolver.poll_timeout().expect("a timer while pending");
            resolver.handle_timeout(now);
        }
        assert_eq!(sent, 3, "three attempts in all");
        assert_eq!(now, start + Duration::from_secs(6));
        let mut resolver = Resolver::new(config(), 6);
        resolver.lookup("example.net", QueryType::Mx, start);
        for s in [2, 4, 6] {
            resolver.handle_timeout(start + Duration::from_secs(s));
        }
        let (done, result) = resolver.poll_result().unwrap();
        assert_eq!(done, id);
        let error = result.unwrap_err();
        assert_eq!(error, LookupError::Timeout);
        assert!(error.is_temporary());
    }

    #[test]
    fn mismatched_id_is_ignored_rfc5452_9_1() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone()]);
        let mut resolver = Resolver::new(config(), 7);
        resolver.lookup("example.net", QueryType::Mx, start);
        let mut query = resolver.poll_transmit().unwrap();
        query[1] ^= 0x01;
        let Answer::Reply(forged) = authority.answer(&query, Duration::ZERO) else {
            panic!("dropped");
        };
        resolver.handle_datagram(&forged, start);
        assert_eq!(resolver.poll_result(), None);
        assert!(resolver.poll_timeout().is_some(), "still waiting");
    }

    #[test]
    fn mismatched_question_is_ignored_rfc5452_9_1() {
        let start = Instant::now();
        let authority = Authority::new(vec![zone()]);
        let mut resolver = Resolver::new(config(), 8);
        resolver.lookup("example.net", QueryType::Mx, start);
        let query = resolver.poll_transmit().unwrap();
        let id = u16::from_be_bytes([query[0], query[1]]);
        for (name, qtype) in [
            ("example.net", QueryType::A),
            ("mx.example.net", QueryType::Mx),
        ] {
            let other = encode_query(id, name, qtype).unwrap();
            let Answer::Reply(reply) = authority.answer(&other, Duration::ZERO) else {
                panic!("dropped");
            };
            resolver.handle_datagram(&reply, start);
            assert_eq!(resolver.poll_result(), None);
        }
        resolver.handle_datagram(&query, start);
        assert_eq!(resolver.poll_result(), None, "a query is not an answer");
        resolver.handle_datagram(b"\x00\x01garbage", start);
        assert_eq!(resolver.poll_result(), None);
        // The genuine answer, with the question in another case, is taken.
        let upper = encode_query(id, "EXAMPLE.NET.", QueryType::Mx).unwrap();
        let Answer::Reply(reply) = authority.answer(&upper, Duration::ZERO) else {
            panic!("dropped");
        };
        resolver.handle_datagram(&reply, start);
        assert!(resolver.poll_result().unwrap().1.is_ok());
    }

    #[test]
    fn bad_name_fails_at_once_rfc1035_2_3_4() {
        let mut resolver = Resolver::new(config(), 9);
        let long = "a".repeat(64);
        let id = resolver.lookup(&long, QueryType::A, Instant::now());
        assert_eq!(resolver.poll_transmit(), None);
        let (done, result) = resolver.poll_result().unwrap();
        assert_eq!(done, id);
        assert!(matches!(result, Err(LookupError::Malformed(_))));
    }

    #[test]
    fn same_seed_gives_byte_identical_queries() {
        let run = |seed| {
            let now = Instant::now();
            let mut resolver = Resolver::new(config(), seed);
            resolver.lookup("example.net", QueryType::Mx, now);
            resolver.lookup("mx.example.net", QueryType::A, now);
            resolver.handle_timeout(now + Duration::from_secs(2));
            std::iter::from_fn(|| resolver.poll_transmit()).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_eq!(run(42).len(), 4);
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn concurrent_lookups_get_distinct_ids() {
        let now = Instant::now();
        let mut resolver = Resolver::new(config(), 10);
        for i in 0..200 {
            resolver.lookup(&format!("h{i}.example.net"), QueryType::A, now);
        }
        let mut ids: Vec<[u8; 2]> = std::iter::from_fn(|| resolver.poll_transmit())
            .map(|q| [q[0], q[1]])
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);
    }
}
