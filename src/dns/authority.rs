//! An authoritative name server as a pure function: query bytes and the
//! simulated time in, reply bytes (or silence) out.
//!
//! An authority answers only for its zones, and answers from its own data
//! (RFC 1034 §4.3.2), so the rules are few:
//!
//! | the name asked about                          | reply                          |
//! |-----------------------------------------------|--------------------------------|
//! | has records of the asked type                 | NOERROR, AA, the records       |
//! | exists, but has no record of that type        | NOERROR, AA, no records: NODATA |
//! | has a CNAME, and the question is not CNAME    | the CNAME, then the answer for its target (RFC 1034 §3.6.2) |
//! | is inside a zone but does not exist           | NXDOMAIN (rcode 3), AA         |
//! | is outside every zone                         | REFUSED (rcode 5)              |
//! | cannot be read                                | FORMERR (rcode 1), or nothing  |
//!
//! A name "exists" when it owns records, when it is a zone's origin, or
//! when a longer name below it does (an empty non-terminal such as
//! `_domainkey.example.net`, RFC 8020 §2).
//!
//! [`Fault`]s let a scenario break a zone for a while: SERVFAIL, a false
//! NXDOMAIN, or no answer at all, from one moment of the run until another.
//! Time is the simulated time since the start of the run, handed in.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, RecordType};

use super::records::{QueryType, Record, RecordData, canonical_name};
use super::wire::{to_bytes, to_wire_record};

/// Longest chain of CNAMEs followed before giving up.
const MAX_CNAME_CHAIN: usize = 8;
/// The UDP payload this server says it can receive, when the asker uses
/// EDNS (RFC 6891 §6.2.5; 1232 is the DNS Flag Day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

/// One zone: the names at and below `origin` that this server answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone's top name, e.g. `example.net`.
    pub origin: String,
    /// Records with absolute owner names; those outside `origin` are
    /// ignored, as a name server ignores out-of-zone data.
    pub records: Vec<Record>,
    pub faults: Vec<Fault>,
}

impl Zone {
    pub fn new(origin: &str, records: Vec<Record>) -> Zone {
        Zone {
            origin: origin.to_owned(),
            records,
            faults: Vec::new(),
        }
    }

    pub fn with_fault(mut self, fault: Fault) -> Zone {
        self.faults.push(fault);
        self
    }

    /// What is wrong with the zone data, for the scenario layer to report.
    pub fn problems(&self) -> Vec<ZoneProblem> {
        let origin = canonical_name(&self.origin);
        let mut problems = Vec::new();
        let mut by_name: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
        for record in &self.records {
            let name = canonical_name(&record.name);
            if is_within(&name, &origin) {
                by_name.entry(name).or_default().push(record);
            } else {
                problems.push(ZoneProblem::OutOfZone {
                    name: record.name.clone(),
                    origin: self.origin.clone(),
                });
            }
        }
        for records in by_name.values() {
            let Some(first) = records.first() else {
                continue;
            };
            let name = first.name.clone();
            let count = |t: QueryType| records.iter().filter(|r| r.query_type() == t).count();
            if count(QueryType::Cname) > 0 && records.len() > 1 {
                problems.push(ZoneProblem::CnameAndOtherData { name: name.clone() });
            }
            if records.iter().any(|r| r.data.is_null_mx()) && count(QueryType::Mx) > 1 {
                problems.push(ZoneProblem::NullMxWithOtherMx { name });
            }
        }
        problems
    }
}

/// A mistake in zone data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneProblem {
    /// A record whose owner is not at or below the origin.
    OutOfZone { name: String, origin: String },
    /// A CNAME beside other records (RFC 1034 §3.6.2, RFC 2181 §10.1).
    CnameAndOtherData { name: String },
    /// A null MX beside other MX records (RFC 7505 §3).
    NullMxWithOtherMx { name: String },
}

impl fmt::Display for ZoneProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneProblem::OutOfZone { name, origin } => write!(
                f,
                "{name} is outside zone {origin}: the server will never answer with it"
            ),
            ZoneProblem::CnameAndOtherData { name } => write!(
                f,
                "{name} has a CNAME and other records: an alias may have no other data (RFC 1034 §3.6.2)"
            ),
            ZoneProblem::NullMxWithOtherMx { name } => write!(
                f,
                "{name} has a null MX and other MX records: a null MX must stand alone (RFC 7505 §3)"
            ),
        }
    }
}

/// A way to break a zone for a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The one name affected, or `None` for every name of the zone.
    pub name: Option<String>,
    pub kind: FaultKind,
    /// Simulated time since the start of the run when the fault begins.
    pub from: Duration,
    /// When it ends (exclusive); `None` for the rest of the run.
    pub until: Option<Duration>,
}

impl Fault {
    /// Active at `now`: `from <= now < until`.
    pub fn is_active(&self, now: Duration) -> bool {
        self.from <= now && self.until.is_none_or(|until| now < until)
    }

    fn applies_to(&self, name: &str) -> bool {
        self.name
            .as_deref()
            .is_none_or(|fault_name| canonical_name(fault_name) == name)
    }
}

/// What a faulty server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer SERVFAIL (rcode 2): "try again later".
    ServFail,
    /// Answer NXDOMAIN (rcode 3) although the name exists.
    NxDomain,
    /// Do not answer at all: the asker times out.
    NoAnswer,
}

/// An answer a what-if gives in place of the zone's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    /// "No such name" (rcode 3).
    NxDomain,
    /// "Try again later" (rcode 2).
    ServFail,
    /// Nothing at all: the asker times out.
    NoAnswer,
    /// The name exists but has no record of this type (NOERROR, empty).
    NoData,
    /// These records (another MX set, say).
    Records(Vec<Record>),
}

impl fmt::Display for DnsAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsAnswer::NxDomain => f.write_str("NXDOMAIN"),
            DnsAnswer::ServFail => f.write_str("SERVFAIL"),
            DnsAnswer::NoAnswer => f.write_str("no answer (the asker times out)"),
            DnsAnswer::NoData => f.write_str("no records (NODATA)"),
            DnsAnswer::Records(records) => {
                let data: Vec<String> = records
                    .iter()
                    .map(|r| format!("{} {}", r.query_type(), r.data))
                    .collect();
                f.write_str(&data.join(", "))
            }
        }
    }
}

/// The question of a query datagram: its name (canonical) and type,
/// when it is a query mailflow models.
pub fn question_of(query: &[u8]) -> Option<(String, QueryType)> {
    let request = Message::from_vec(query).ok()?;
    if request.metadata.message_type != MessageType::Query {
        return None;
    }
    let [question] = request.queries.as_slice() else {
        return None;
    };
    let qtype = QueryType::from_code(u16::from(question.query_type))?;
    Some((canonical_name(&question.name.to_ascii()), qtype))
}

/// What the server does with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Send these bytes back to the asker.
    Reply(Vec<u8>),
    /// Send nothing: the client times out.
    Drop,
}

/// A zone after loading: canonical names, records grouped by owner.
#[derive(Debug, Clone)]
struct LoadedZone {
    origin: String,
    names: BTreeMap<String, Vec<Record>>,
    faults: Vec<Fault>,
}

impl LoadedZone {
    fn load(zone: Zone) -> LoadedZone {
        let origin = canonical_name(&zone.origin);
        let mut names: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for record in zone.records {
            let name = canonical_name(&record.name);
            if is_within(&name, &origin) {
                names.entry(name).or_default().push(record);
            }
        }
        LoadedZone {
            origin,
            names,
            faults: zone.faults,
        }
    }

    /// The name owns records, is the origin, or has a name below it.
    fn has_name(&self, name: &str) -> bool {
        name == self.origin
            || self.names.contains_key(name)
            || self.names.keys().any(|owner| is_below(owner, name))
    }

    fn fault(&self, name: &str, now: Duration) -> Option<FaultKind> {
        self.faults
            .iter()
            .find(|f| f.is_active(now) && f.applies_to(name))
            .map(|f| f.kind)
    }
}

/// The outcome of looking a name up in the zones.
struct Lookup {
    rcode: ResponseCode,
    answers: Vec<Record>,
}

/// An authoritative server for a set of zones.
#[derive(Debug, Clone)]
pub struct Authority {
    zones: Vec<LoadedZone>,
    /// Each origin's zone (the last one loaded, when two share an origin):
    /// a name's zone is found label by label, not by trying every zone.
    by_origin: HashMap<String, usize>,
    /// Every zone's faults, in zone order, so that the fault state is
    /// read without walking a thousand zones that have none.
    faults: Vec<Fault>,
}

impl Authority {
    pub fn new(zones: Vec<Zone>) -> Authority {
        let zones: Vec<LoadedZone> = zones.into_iter().map(LoadedZone::load).collect();
        let by_origin = zones
            .iter()
            .enumerate()
            .map(|(i, zone)| (zone.origin.clone(), i))
            .collect();
        let faults = zones
            .iter()
            .flat_map(|z| z.faults.iter().cloned())
            .collect();
        Authority {
            zones,
            by_origin,
            faults,
        }
    }

    /// Answers one query datagram at simulated time `now`. The reply
    /// echoes the id and the question (RFC 1035 §4.1.1).
    pub fn answer(&self, query: &[u8], now: Duration) -> Answer {
        self.answer_with(query, now, None)
    }

    /// Answers as [`Authority::answer`] does, or with `instead` (a what-if)
    /// in place of the zone's answer: the header and question stay real.
    pub fn answer_with(&self, query: &[u8], now: Duration, instead: Option<&DnsAnswer>) -> Answer {
        let request = match Message::from_vec(query) {
            Ok(request) => request,
            Err(_) => return form_error(query),
        };
        // Never answer an answer: two servers would bounce forever.
        if request.metadata.message_type == MessageType::Response {
            return Answer::Drop;
        }
        let mut reply = Message::new(
            request.metadata.id,
            MessageType::Response,
            request.metadata.op_code,
        );
        reply.metadata.recursion_desired = request.metadata.recursion_desired;
        reply.queries = request.queries.clone();
        if request.edns.is_some() {
            // RFC 6891 §6.1.1: an OPT in the query wants one in the reply.
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_PAYLOAD);
            reply.edns = Some(edns);
        }

        if request.metadata.op_code != OpCode::Query {
            reply.metadata.response_code = ResponseCode::NotImp;
            return encode(&reply);
        }
        let [question] = request.queries.as_slice() else {
            // One question per message in practice (RFC 9619 §2).
            reply.metadata.response_code = ResponseCode::FormErr;
            return encode(&reply);
        };
        let name = canonical_name(&question.name.to_ascii());
        if let Some(instead) = instead {
            reply.metadata.authoritative = true;
            match instead {
                DnsAnswer::NoAnswer => return Answer::Drop,
                DnsAnswer::ServFail => {
                    reply.metadata.authoritative = false;
                    reply.metadata.response_code = ResponseCode::ServFail;
                }
                DnsAnswer::NxDomain => reply.metadata.response_code = ResponseCode::NXDomain,
                DnsAnswer::NoData => {}
                DnsAnswer::Records(records) => {
                    for record in records.iter().filter_map(|r| to_wire_record(r).ok()) {
                        reply.add_answer(record);
                    }
                }
            }
            return encode(&reply);
        }
        let zone = self.zone_for(&name);
        let (Some(zone), DNSClass::IN) = (zone, question.query_class) else {
            reply.metadata.response_code = ResponseCode::Refused;
            return encode(&reply);
        };
        match zone.fault(&name, now) {
            Some(FaultKind::NoAnswer) => return Answer::Drop,
            Some(FaultKind::ServFail) => {
                reply.metadata.response_code = ResponseCode::ServFail;
                return encode(&reply);
            }
            Some(FaultKind::NxDomain) => {
                reply.metadata.authoritative = true;
                reply.metadata.response_code = ResponseCode::NXDomain;
                return encode(&reply);
            }
            None => {}
        }

        let lookup = self.lookup(name, question.query_type);
        reply.metadata.authoritative = true;
        reply.metadata.response_code = lookup.rcode;
        for record in &lookup.answers {
            match to_wire_record(record) {
                Ok(record) => {
                    reply.add_answer(record);
                }
                Err(_) => {
                    // Zone data that cannot be written (a bad name): the
                    // server is broken, and says so.
                    reply.answers.clear();
                    reply.metadata.response_code = ResponseCode::ServFail;
                    break;
                }
            }
        }
        encode(&reply)
    }

    /// Which faults are active at `now`, one octet (0 or 1) per fault of
    /// every zone, always the same count for this server. Beside the
    /// query, this is all an answer depends on: the zones never change
    /// once loaded, and `now` matters only through the faults.
    pub(crate) fn write_fault_state(&self, now: Duration, out: &mut Vec<u8>) {
        out.extend(self.faults.iter().map(|f| u8::from(f.is_active(now))));
    }

    /// The most specific zone holding `name`: the name itself, then each
    /// name above it (cut after each dot), then the root, the first that
    /// is an origin. These are exactly the origins `is_within` accepts.
    fn zone_for(&self, name: &str) -> Option<&LoadedZone> {
        let above = name
            .char_indices()
            .filter(|&(i, c)| c == '.' && i > 0)
            .map(|(i, _)| &name[i + 1..]);
        std::iter::once(name)
            .chain(above)
            .chain(std::iter::once(""))
            .find_map(|origin| self.by_origin.get(origin))
            .map(|&i| &self.zones[i])
    }

    /// RFC 1034 §4.3.2 step 3, within this server's zones: the records of
    /// the type asked for, following CNAMEs (§3.6.2) while they lead to
    /// names this server is authoritative for.
    fn lookup(&self, mut name: String, qtype: RecordType) -> Lookup {
        let wants = |record: &Record| {
            qtype == RecordType::ANY || u16::from(qtype) == record.query_type().code()
        };
        let mut answers = Vec::new();
        let mut seen = Vec::new();
        loop {
            let Some(zone) = self.zone_for(&name) else {
                // The alias leads elsewhere: the asker follows it on.
                return no_error(answers);
            };
            let Some(records) = zone.names.get(&name) else {
                let rcode = if zone.has_name(&name) {
                    ResponseCode::NoError
                } else {
                    ResponseCode::NXDomain
                };
                return Lookup { rcode, answers };
            };
            let alias = records.iter().find_map(|r| match &r.data {
                RecordData::Cname(target) if !wants(r) => Some((r, target)),
                _ => None,
            });
            let Some((cname, target)) = alias else {
                answers.extend(records.iter().filter(|r| wants(r)).cloned());
                return no_error(answers);
            };
            answers.push(cname.clone());
            seen.push(name);
            name = canonical_name(target);
            if seen.contains(&name) || seen.len() >= MAX_CNAME_CHAIN {
                // A loop or an endless chain: give what was found.
                return no_error(answers);
            }
        }
    }
}

fn no_error(answers: Vec<Record>) -> Lookup {
    Lookup {
        rcode: ResponseCode::NoError,
        answers,
    }
}

/// A query that could not be read: FORMERR with its id if the header's
/// first octets are there (RFC 1035 §4.1.1), else nothing.
fn form_error(query: &[u8]) -> Answer {
    let [id_high, id_low, rest @ ..] = query else {
        return Answer::Drop;
    };
    let op_code = match rest.first() {
        // QR set: garbage that calls itself a response gets no answer.
        Some(flags) if flags & 0x80 != 0 => return Answer::Drop,
        Some(flags) => OpCode::from_u8((flags >> 3) & 0x0f),
        None => OpCode::Query,
    };
    let id = u16::from_be_bytes([*id_high, *id_low]);
    encode(&Message::error_msg(id, op_code, ResponseCode::FormErr))
}

fn encode(reply: &Message) -> Answer {
    match to_bytes(reply) {
        Ok(bytes) => Answer::Reply(bytes),
        Err(_) => {
            let id = reply.metadata.id;
            let op_code = reply.metadata.op_code;
            match to_bytes(&Message::error_msg(id, op_code, ResponseCode::ServFail)) {
                Ok(bytes) => Answer::Reply(bytes),
                Err(_) => Answer::Drop,
            }
        }
    }
}

/// `name` is `origin` or below it (canonical forms; the root holds all).
fn is_within(name: &str, origin: &str) -> bool {
    name == origin || is_below(name, origin)
}

/// `name` is strictly below `ancestor`, label-wise (canonical forms).
fn is_below(name: &str, ancestor: &str) -> bool {
    if ancestor.is_empty() {
        return !name.is_empty();
    }
    name.len() > ancestor.len() + 1
        && name.ends_with(ancestor)
        && name.as_bytes()[name.len() - ancestor.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::resolver::SplitMix64;
    use crate::dns::wire::{Rcode, Summary, encode_query, to_name};
    use hickory_proto::op::Query;

    const MINUTE: Duration = Duration::from_secs(60);

    fn rec(name: &str, data: RecordData) -> Record {
        Record::new(name, 300, data)
    }

    fn a(ip: &str) -> RecordData {
        RecordData::A(ip.parse().expect("an IPv4 address"))
    }

    fn cname(target: &str) -> RecordData {
        RecordData::Cname(target.to_owned())
    }

    fn mx(preference: u16, exchange: &str) -> RecordData {
        RecordData::Mx {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    fn example_net() -> Zone {
        Zone::new(
            "example.net",
            vec![
                rec("example.net", mx(20, "mx2.example.net")),
                rec("example.net.", mx(10, "mx1.example.net.")),
                rec("example.net", RecordData::Txt("v=spf1 mx -all".into())),
                rec("mx1.example.net", a("192.0.2.10")),
                rec("MX2.Example.Net", a("192.0.2.20")),
                rec("mail.example.net", cname("mx1.example.net")),
                rec("alias.example.net", cname("mail.example.net")),
                rec("gone.example.net", cname("nothing.example.net")),
                rec("away.example.net", cname("mx.example.com")),
                rec("loop1.example.net", cname("loop2.example.net")),
                rec("loop2.example.net", cname("loop1.example.net")),
                rec(
                    "sel._domainkey.example.net",
                    RecordData::Txt("v=DKIM1; p=".into()),
                ),
                rec("stray.example.com", a("192.0.2.99")),
            ],
        )
    }

    fn authority() -> Authority {
        let nomail = Zone::new("example.org", vec![rec("example.org", mx(0, "."))]);
        Authority::new(vec![example_net(), nomail])
    }

    fn ask_at(authority: &Authority, name: &str, qtype: QueryType, now: Duration) -> Summary {
        let query = encode_query(42, name, qtype).unwrap();
        match authority.answer(&query, now) {
            Answer::Reply(bytes) => Summary::decode(&bytes).unwrap(),
            Answer::Drop => panic!("no reply to {name} {qtype}"),
        }
    }

    fn ask(name: &str, qtype: QueryType) -> Summary {
        ask_at(&authority(), name, qtype, Duration::ZERO)
    }

    fn data(summary: &Summary) -> Vec<RecordData> {
        summary.answers.iter().map(|r| r.data.clone()).collect()
    }

    #[test]
    fn answer_is_authoritative_and_echoes_id_and_question_rfc1035_4_1_1() {
        let summary = ask("example.net", QueryType::Mx);
        assert_eq!(summary.id, 42);
        assert!(summary.is_response && summary.authoritative);
        assert!(summary.recursion_desired, "RD is copied");
        assert_eq!(summary.rcode, Rcode::NoError);
        assert_eq!(summary.question.unwrap().to_string(), "example.net. MX?");
        assert_eq!(
            data(&ask("example.net", QueryType::Mx)),
            [mx(20, "mx2.example.net."), mx(10, "mx1.example.net.")],
            "in zone order; the client sorts by preference"
        );
    }

    #[test]
    fn hickory_reads_our_reply_as_genuine_dns_rfc1035_4_1() {
        let query = encode_query(42, "example.net", QueryType::Mx).unwrap();
        let Answer::Reply(bytes) = authority().answer(&query, Duration::ZERO) else {
            panic!("dropped");
        };
        let message = Message::from_vec(&bytes).unwrap();
        assert_eq!(message.metadata.id, 42);
        assert_eq!(message.metadata.message_type, MessageType::Response);
        assert!(message.metadata.authoritative);
        assert!(!message.metadata.recursion_available);
        assert_eq!(message.metadata.response_code, ResponseCode::NoError);
        assert_eq!(message.queries[0].query_type, RecordType::MX);
        assert_eq!(message.answers.len(), 2);
        assert!(
            message
                .answers
                .iter()
                .all(|r| r.record_type() == RecordType::MX && r.dns_class == DNSClass::IN)
        );
    }

    #[test]
    fn names_ignore_case_and_final_dot_rfc4343_3() {
        let summary = ask("MX2.EXAMPLE.NET.", QueryType::A);
        assert_eq!(data(&summary), [a("192.0.2.20")]);
        assert_eq!(
            summary.question.unwrap().name,
            "MX2.EXAMPLE.NET.",
            "the question is echoed as asked"
        );
    }

    #[test]
    fn nxdomain_is_rcode_3_rfc1035_4_1_1() {
        let summary = ask("nobody.example.net", QueryType::Mx);
        assert_eq!(summary.rcode, Rcode::NxDomain);
        assert!(summary.authoritative && summary.answers.is_empty());
        assert_eq!(
            summary.to_string(),
            "response id 42 NXDOMAIN: nobody.example.net. MX?"
        );
    }

    #[test]
    fn nodata_is_noerror_with_no_answer_rfc2308_2_2() {
        let summary = ask("mx1.example.net", QueryType::Mx);
        assert_eq!(summary.rcode, Rcode::NoError);
        assert!(summary.authoritative && summary.answers.is_empty());
        assert_eq!(summary.rcode, ask("example.net", QueryType::Aaaa).rcode);
    }

    #[test]
    fn empty_non_terminal_is_nodata_not_nxdomain_rfc8020_2() {
        let summary = ask("_domainkey.example.net", QueryType::Txt);
        assert_eq!(summary.rcode, Rcode::NoError);
        assert!(summary.answers.is_empty());
    }

    #[test]
    fn name_outside_every_zone_is_refused_rcode_5_rfc1035_4_1_1() {
        let summary = ask("example.com", QueryType::Mx);
        assert_eq!(summary.rcode, Rcode::Refused);
        assert!(!summary.authoritative);
        let summary = ask("stray.example.com", QueryType::A);
        assert_eq!(summary.rcode, Rcode::Refused, "out-of-zone data is ignored");
        let summary = ask("notexample.net", QueryType::A);
        assert_eq!(summary.rcode, Rcode::Refused, "zones end at a label");
    }

    #[test]
    fn null_mx_is_served_as_is_rfc7505_3() {
        let summary = ask("example.org", QueryType::Mx);
        assert_eq!(summary.answers.len(), 1);
        assert!(summary.answers[0].data.is_null_mx());
        assert_eq!(
            summary.to_string(),
            "response id 42 NOERROR: example.org. 300 MX 0 ."
        );
    }

    #[test]
    fn cname_is_chased_within_the_zones_rfc1034_3_6_2() {
        let summary = ask("alias.example.net", QueryType::A);
        assert_eq!(summary.rcode, Rcode::NoError);
        assert_eq!(
            data(&summary),
            [
                cname("mail.example.net."),
                cname("mx1.example.net."),
                a("192.0.2.10"),
            ]
        );
        let summary = ask("alias.example.net", QueryType::Cname);
        assert_eq!(
            data(&summary),
            [cname("mail.example.net.")],
            "a question for the CNAME itself is not chased"
        );
    }

    #[test]
    fn cname_to_missing_name_is_nxdomain_with_the_cname_rfc6604_2() {
        let summary = ask("gone.example.net", QueryType::A);
        assert_eq!(summary.rcode, Rcode::NxDomain);
        assert_eq!(summary.answers.len(), 1);
    }

    #[test]
    fn cname_leaving_the_zones_stops_with_the_cname_rfc1034_4_3_2() {
        let summary = ask("away.example.net", QueryType::Mx);
        assert_eq!(summary.rcode, Rcode::NoError);
        assert_eq!(data(&summary), [cname("mx.example.com.")]);
    }

    #[test]
    fn cname_loop_ends_rfc1034_3_6_2() {
        let summary = ask("loop1.example.net", QueryType::A);
        assert_eq!(summary.rcode, Rcode::NoError);
        assert_eq!(summary.answers.len(), 2);
    }

    #[test]
    fn garbage_with_readable_id_is_formerr_rcode_1_rfc1035_4_1_1() {
        let Answer::Reply(bytes) =
            authority().answer(&[0x12, 0x34, 0x01, 0x00, 0xff], Duration::ZERO)
        else {
            panic!("dropped");
        };
        let summary = Summary::decode(&bytes).unwrap();
        assert_eq!((summary.id, summary.rcode), (0x1234, Rcode::FormErr));
        assert_eq!(authority().answer(&[0x12], Duration::ZERO), Answer::Drop);
        assert_eq!(authority().answer(&[], Duration::ZERO), Answer::Drop);
    }

    #[test]
    fn responses_are_never_answered_rfc1035_4_1_1() {
        let query = encode_query(42, "example.net", QueryType::Mx).unwrap();
        let Answer::Reply(reply) = authority().answer(&query, Duration::ZERO) else {
            panic!("dropped");
        };
        assert_eq!(authority().answer(&reply, Duration::ZERO), Answer::Drop);
        let garbage_response = [0x12, 0x34, 0x81, 0x80, 0xff];
        assert_eq!(
            authority().answer(&garbage_response, Duration::ZERO),
            Answer::Drop
        );
    }

    #[test]
    fn two_questions_are_formerr_rfc9619_2() {
        let mut message = Message::new(5, MessageType::Query, OpCode::Query);
        for name in ["example.net", "example.org"] {
            message.add_query(Query::query(to_name(name).unwrap(), RecordType::MX));
        }
        let Answer::Reply(bytes) = authority().answer(&to_bytes(&message).unwrap(), Duration::ZERO)
        else {
            panic!("dropped");
        };
        assert_eq!(Summary::decode(&bytes).unwrap().rcode, Rcode::FormErr);
    }

    #[test]
    fn other_opcode_is_notimp_rcode_4_rfc1035_4_1_1() {
        let mut message = Message::new(5, MessageType::Query, OpCode::Status);
        message.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::MX,
        ));
        let Answer::Reply(bytes) = authority().answer(&to_bytes(&message).unwrap(), Duration::ZERO)
        else {
            panic!("dropped");
        };
        assert_eq!(Summary::decode(&bytes).unwrap().rcode, Rcode::NotImp);
    }

    #[test]
    fn edns_query_gets_an_opt_in_the_reply_rfc6891_6_1_1() {
        let mut message = Message::new(5, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::MX,
        ));
        message.edns = Some(Edns::new());
        let Answer::Reply(bytes) = authority().answer(&to_bytes(&message).unwrap(), Duration::ZERO)
        else {
            panic!("dropped");
        };
        let reply = Message::from_vec(&bytes).unwrap();
        assert_eq!(reply.edns.map(|e| e.max_payload()), Some(EDNS_PAYLOAD));
        assert_eq!(reply.answers.len(), 2);
    }

    #[test]
    fn unmodelled_type_at_existing_name_is_nodata_rfc2308_2_2() {
        let mut message = Message::new(5, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::NS,
        ));
        let Answer::Reply(bytes) = authority().answer(&to_bytes(&message).unwrap(), Duration::ZERO)
        else {
            panic!("dropped");
        };
        let summary = Summary::decode(&bytes).unwrap();
        assert_eq!(summary.rcode, Rcode::NoError);
        assert!(summary.answers.is_empty());
    }

    #[test]
    fn servfail_fault_until_10_minutes_then_recovery() {
        let zone = example_net().with_fault(Fault {
            name: None,
            kind: FaultKind::ServFail,
            from: Duration::ZERO,
            until: Some(10 * MINUTE),
        });
        let authority = Authority::new(vec![zone]);
        let at = |t| ask_at(&authority, "example.net", QueryType::Mx, t);
        let early = at(Duration::ZERO);
        assert_eq!(early.rcode, Rcode::ServFail);
        assert!(early.answers.is_empty() && !early.authoritative);
        assert_eq!(
            at(10 * MINUTE - Duration::from_millis(1)).rcode,
            Rcode::ServFail
        );
        let later = at(10 * MINUTE);
        assert_eq!(later.rcode, Rcode::NoError);
        assert_eq!(later.answers.len(), 2);
    }

    #[test]
    fn fault_on_one_name_leaves_the_others() {
        let zone = example_net().with_fault(Fault {
            name: Some("MX1.example.net.".into()),
            kind: FaultKind::NxDomain,
            from: 5 * MINUTE,
            until: None,
        });
        let authority = Authority::new(vec![zone]);
        let at = |name, t| ask_at(&authority, name, QueryType::A, t).rcode;
        assert_eq!(at("mx1.example.net", Duration::ZERO), Rcode::NoError);
        assert_eq!(at("mx1.example.net", 5 * MINUTE), Rcode::NxDomain);
        assert_eq!(at("mx1.example.net", 600 * MINUTE), Rcode::NxDomain);
        assert_eq!(at("mx2.example.net", 5 * MINUTE), Rcode::NoError);
    }

    #[test]
    fn no_answer_fault_drops_the_query() {
        let zone = example_net().with_fault(Fault {
            name: None,
            kind: FaultKind::NoAnswer,
            from: MINUTE,
            until: Some(2 * MINUTE),
        });
        let authority = Authority::new(vec![zone]);
        let query = encode_query(1, "example.net", QueryType::Mx).unwrap();
        assert!(matches!(
            authority.answer(&query, Duration::ZERO),
            Answer::Reply(_)
        ));
        assert_eq!(authority.answer(&query, MINUTE), Answer::Drop);
        assert!(matches!(
            authority.answer(&query, 2 * MINUTE),
            Answer::Reply(_)
        ));
    }

    #[test]
    fn most_specific_zone_answers_rfc1034_4_3_2() {
        let parent = Zone::new("example", vec![]);
        let child = Zone::new(
            "sub.example",
            vec![rec("sub.example", mx(10, "mx.sub.example"))],
        );
        let authority = Authority::new(vec![parent, child]);
        let summary = ask_at(&authority, "sub.example", QueryType::Mx, Duration::ZERO);
        assert_eq!(summary.answers.len(), 1);
        let summary = ask_at(&authority, "other.example", QueryType::Mx, Duration::ZERO);
        assert_eq!(summary.rcode, Rcode::NxDomain);
    }

    #[test]
    fn zone_problems_are_reported_rfc1034_3_6_2_rfc7505_3() {
        let zone = Zone::new(
            "example.net",
            vec![
                rec("example.net", mx(0, ".")),
                rec("example.net", mx(10, "mx.example.net")),
                rec("www.example.net", cname("example.net")),
                rec("WWW.example.net", a("192.0.2.1")),
                rec("example.com", a("192.0.2.1")),
            ],
        );
        let problems = zone.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(matches!(problems[0], ZoneProblem::OutOfZone { .. }));
        assert!(problems.contains(&ZoneProblem::NullMxWithOtherMx {
            name: "example.net".into()
        }));
        assert!(problems.contains(&ZoneProblem::CnameAndOtherData {
            name: "www.example.net".into()
        }));
        assert!(
            example_net()
                .problems()
                .iter()
                .all(|p| matches!(p, ZoneProblem::OutOfZone { .. }))
        );
    }

    #[test]
    fn hostile_datagrams_never_panic() {
        let authority = authority();
        let mut rng = SplitMix64::new(0xd15ea5e);
        let valid = encode_query(9, "alias.example.net", QueryType::A).unwrap();
        for round in 0..600 {
            let bytes: Vec<u8> = if round % 2 == 0 {
                let len = (rng.next() % 64) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                let mut bytes = valid.clone();
                for _ in 0..1 + rng.next() % 3 {
                    let i = (rng.next() as usize) % bytes.len();
                    bytes[i] = rng.next() as u8;
                }
                bytes
            };
            if let Answer::Reply(reply) = authority.answer(&bytes, Duration::ZERO) {
                let summary = Summary::decode(&reply).expect("our replies always decode");
                assert!(summary.is_response);
            }
        }
    }

    /// The zone of a name is the one with the longest origin at or above
    /// it, the last of two with the same origin (RFC 1034 §4.3.2 step 2):
    /// the origin index agrees with trying every zone.
    #[test]
    fn zone_for_is_the_closest_enclosing_origin_rfc1034_4_3_2() {
        let labels = ["a", "b", "example", "net", "xn--bcher-kva", "a-b"];
        let mut rng = SplitMix64::new(0x20e);
        let name = |rng: &mut SplitMix64| {
            let n = rng.next() % 4;
            (0..n)
                .map(|_| labels[(rng.next() as usize) % labels.len()])
                .collect::<Vec<_>>()
                .join(".")
        };
        for _ in 0..300 {
            let origins: Vec<String> = (0..1 + rng.next() % 6).map(|_| name(&mut rng)).collect();
            let zones = origins.iter().map(|o| Zone::new(o, Vec::new())).collect();
            let authority = Authority::new(zones);
            for _ in 0..20 {
                let asked = name(&mut rng);
                let every_zone = authority
                    .zones
                    .iter()
                    .enumerate()
                    .filter(|(_, zone)| is_within(&asked, &zone.origin))
                    .max_by_key(|(_, zone)| zone.origin.len())
                    .map(|(i, _)| i);
                let found = authority.zone_for(&asked).map(std::ptr::from_ref);
                let expected = every_zone.map(|i| std::ptr::from_ref(&authority.zones[i]));
                assert_eq!(found, expected, "{asked:?} in {origins:?}");
            }
        }
    }
}
