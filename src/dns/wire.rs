//! DNS messages on the wire (RFC 1035 §4.1), encoded and decoded with
//! hickory-proto so that the bytes are the ones dig and Wireshark know.
//!
//! Every DNS message, question or answer, has the same shape:
//!
//! ```text
//! +---------------------+
//! |        Header       |  id, QR (query/response), OPCODE, AA, TC, RD, RA, RCODE
//! +---------------------+
//! |       Question      |  the name and type asked about
//! +---------------------+
//! |        Answer       |  records that answer the question
//! +---------------------+
//! |      Authority      |  records pointing toward an authority
//! +---------------------+
//! |      Additional     |  records that may help
//! +---------------------+
//! ```
//!
//! [`encode_query`] writes the question a stub resolver sends.
//! [`Summary::decode`] reads any message into a plain description for
//! transcripts, and its `Display` reads like dig:
//!
//! ```text
//! query id 7: example.net. MX?
//! response id 7 NOERROR: example.net. 300 MX 10 mx.example.net.
//! ```
//!
//! hickory's types stay inside the `dns` module; the rest of mailflow sees
//! [`Record`]s and strings.

use std::fmt;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, TXT};
use hickory_proto::rr::{self, Name, RData, RecordType};

use super::records::{Absolute, QueryType, Record, RecordData};

/// Longest character-string inside a TXT record (RFC 1035 §3.3).
const MAX_CHARACTER_STRING: usize = 255;

/// Why a DNS message could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// A name that DNS cannot carry: a label over 63 octets, a name over
    /// 255 octets, an empty label (RFC 1035 §2.3.4).
    #[error("bad domain name {name:?}: {reason}")]
    BadName { name: String, reason: String },
    /// Bytes that are not a DNS message.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// A message that could not be written.
    #[error("cannot encode DNS message: {0}")]
    Encode(String),
}

/// The question a stub resolver sends (RFC 1035 §4.1.1, §4.1.2): opcode
/// QUERY, class IN, and RD set, asking the server to recurse for us as a
/// stub resolver does (RFC 1034 §5.3.1).
pub fn encode_query(id: u16, name: &str, qtype: QueryType) -> Result<Vec<u8>, DnsError> {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(to_name(name)?, record_type(qtype)));
    to_bytes(&message)
}

/// RCODE, the outcome a response reports (RFC 1035 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rcode {
    /// 0: the name exists; the answer section may still be empty (NODATA).
    NoError,
    /// 1: the server could not read the query.
    FormErr,
    /// 2: the server failed; ask again later.
    ServFail,
    /// 3: the name does not exist (only an authority may say so).
    NxDomain,
    /// 4: the server does not do this kind of query.
    NotImp,
    /// 5: the server will not answer (here: not its zone).
    Refused,
    /// Anything else, with its value.
    Other(u16),
}

impl Rcode {
    pub fn code(self) -> u16 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
            Rcode::Other(code) => code,
        }
    }

    pub fn from_code(code: u16) -> Rcode {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            code => Rcode::Other(code),
        }
    }
}

/// The name dig prints: `NOERROR`, `NXDOMAIN`, `RCODE9`.
impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rcode::NoError => f.write_str("NOERROR"),
            Rcode::FormErr => f.write_str("FORMERR"),
            Rcode::ServFail => f.write_str("SERVFAIL"),
            Rcode::NxDomain => f.write_str("NXDOMAIN"),
            Rcode::NotImp => f.write_str("NOTIMP"),
            Rcode::Refused => f.write_str("REFUSED"),
            Rcode::Other(code) => write!(f, "RCODE{code}"),
        }
    }
}

/// The type a question asks for: one that mailflow models, or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionType {
    Known(QueryType),
    /// Any other TYPE value, such as 2 (NS) or 255 (ANY).
    Other(u16),
}

impl QuestionType {
    pub fn code(self) -> u16 {
        match self {
            QuestionType::Known(t) => t.code(),
            QuestionType::Other(code) => code,
        }
    }

    fn from_code(code: u16) -> QuestionType {
        QueryType::from_code(code).map_or(QuestionType::Other(code), QuestionType::Known)
    }
}

/// The mnemonic, or `TYPE<n>` for one without a name (RFC 3597 §5).
impl fmt::Display for QuestionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuestionType::Known(t) => write!(f, "{t}"),
            QuestionType::Other(code) => match RecordType::from(*code) {
                RecordType::Unknown(_) => write!(f, "TYPE{code}"),
                known => write!(f, "{known}"),
            },
        }
    }
}

/// The question section's entry (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// As it was on the wire, absolute: `example.net.`
    pub name: String,
    pub qtype: QuestionType,
}

/// `example.net. MX?`
impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}?", Absolute(&self.name), self.qtype)
    }
}

/// A plain description of one DNS message, for transcripts and for the
/// resolver. Names are absolute (`mx.example.net.`) with their case as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: u16,
    /// QR: false for a query, true for a response.
    pub is_response: bool,
    pub rcode: Rcode,
    /// AA: the answer comes from an authority for the name.
    pub authoritative: bool,
    /// TC: the answer did not fit and was cut.
    pub truncated: bool,
    /// RD: the asker wants the server to recurse.
    pub recursion_desired: bool,
    /// The first question; a message in practice carries exactly one.
    pub question: Option<Question>,
    /// The answer records of the types mailflow models, in wire order.
    pub answers: Vec<Record>,
    /// Answer records of other types, written as dig would.
    pub other_answers: Vec<String>,
}

impl Summary {
    /// Reads a datagram. Anything that is not a DNS message is a
    /// [`DnsError::Malformed`] saying what is wrong, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Summary, DnsError> {
        let message = Message::from_vec(bytes).map_err(|e| DnsError::Malformed(e.to_string()))?;
        Ok(Summary::from_message(&message))
    }

    pub(crate) fn from_message(message: &Message) -> Summary {
        let mut answers = Vec::new();
        let mut other_answers = Vec::new();
        for record in &message.answers {
            match from_wire_record(record) {
                Some(record) => answers.push(record),
                None => other_answers.push(format!(
                    "{} {} {} {}",
                    record.name.to_ascii(),
                    record.ttl,
                    record.record_type(),
                    record.data
                )),
            }
        }
        let meta = &message.metadata;
        Summary {
            id: meta.id,
            is_response: meta.message_type == MessageType::Response,
            rcode: Rcode::from_code(u16::from(meta.response_code)),
            authoritative: meta.authoritative,
            truncated: meta.truncation,
            recursion_desired: meta.recursion_desired,
            question: message.queries.first().map(|q| Question {
                name: q.name.to_ascii(),
                qtype: QuestionType::from_code(u16::from(q.query_type)),
            }),
            answers,
            other_answers,
        }
    }
}

/// One line, as in a transcript:
///
/// ```text
/// query id 7: example.net. MX?
/// response id 7 NOERROR: example.net. 300 MX 10 mx.example.net.
/// response id 8 NOERROR: example.net. TXT? no records
/// response id 9 NXDOMAIN: nowhere.example.net. MX?
/// ```
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_response {
            write!(f, "query id {}: ", self.id)?;
            return match &self.question {
                Some(q) => write!(f, "{q}"),
                None => f.write_str("no question"),
            };
        }
        write!(f, "response id {} {}", self.id, self.rcode)?;
        if self.truncated {
            f.write_str(" (truncated)")?;
        }
        f.write_str(": ")?;
        if self.answers.is_empty() && self.other_answers.is_empty() {
            return match (&self.question, self.rcode) {
                (Some(q), Rcode::NoError) => write!(f, "{q} no records"),
                (Some(q), _) => write!(f, "{q}"),
                (None, _) => f.write_str("no question"),
            };
        }
        let lines = self
            .answers
            .iter()
            .map(Record::to_string)
            .chain(self.other_answers.iter().cloned());
        for (i, line) in lines.enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&line)?;
        }
        Ok(())
    }
}

/// A name for the wire, made absolute. ASCII names keep their case; a
/// name with other characters becomes its IDNA A-label (RFC 5891).
pub(crate) fn to_name(name: &str) -> Result<Name, DnsError> {
    let absolute = if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    };
    let parsed = if absolute.is_ascii() {
        Name::from_ascii(&absolute)
    } else {
        Name::from_utf8(&absolute)
    };
    parsed.map_err(|e| DnsError::BadName {
        name: name.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn record_type(qtype: QueryType) -> RecordType {
    RecordType::from(qtype.code())
}

/// A record for the wire, class IN.
pub(crate) fn to_wire_record(record: &Record) -> Result<rr::Record, DnsError> {
    let data = match &record.data {
        RecordData::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, to_name(exchange)?)),
        RecordData::A(ip) => RData::A(A(*ip)),
        RecordData::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
        RecordData::Txt(text) => {
            let mut strings: Vec<&[u8]> = text.as_bytes().chunks(MAX_CHARACTER_STRING).collect();
            if strings.is_empty() {
                // TXT holds one or more character-strings (RFC 1035 §3.3.14).
                strings.push(b"");
            }
            RData::TXT(TXT::from_bytes(strings))
        }
        RecordData::Cname(target) => RData::CNAME(CNAME(to_name(target)?)),
    };
    Ok(rr::Record::from_rdata(
        to_name(&record.name)?,
        record.ttl,
        data,
    ))
}

/// A record from the wire, if it is of a type mailflow models.
fn from_wire_record(record: &rr::Record) -> Option<Record> {
    let data = match &record.data {
        RData::MX(mx) => RecordData::Mx {
            preference: mx.preference,
            exchange: mx.exchange.to_ascii(),
        },
        RData::A(a) => RecordData::A(a.0),
        RData::AAAA(aaaa) => RecordData::Aaaa(aaaa.0),
        RData::TXT(txt) => {
            let bytes: Vec<u8> = txt
                .txt_data
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect();
            RecordData::Txt(String::from_utf8_lossy(&bytes).into_owned())
        }
        RData::CNAME(cname) => RecordData::Cname(cname.0.to_ascii()),
        _ => return None,
    };
    Some(Record {
        name: record.name.to_ascii(),
        ttl: record.ttl,
        data,
    })
}

/// The response as it may go back over UDP: one longer than the asker
/// accepts (512 octets, or the payload size of its EDNS OPT record) is cut
/// to its header and question with TC set, and the asker retries over TCP
/// (RFC 1035 §4.2.1, RFC 6891 §6.2.5, RFC 7766 §5).
pub fn fit_for_udp(query: &[u8], response: Vec<u8>) -> Vec<u8> {
    let limit = Message::from_vec(query).map_or(512, |q| usize::from(q.max_payload()));
    if response.len() <= limit {
        return response;
    }
    match Message::from_vec(&response) {
        Ok(message) => to_bytes(&message.truncate()).unwrap_or(response),
        Err(_) => response,
    }
}

pub(crate) fn to_bytes(message: &Message) -> Result<Vec<u8>, DnsError> {
    message
        .to_vec()
        .map_err(|e| DnsError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::resolver::SplitMix64;
    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::DNSClass;

    fn every_type() -> Vec<Record> {
        vec![
            Record::new(
                "example.net.",
                300,
                RecordData::Mx {
                    preference: 10,
                    exchange: "mx.example.net.".into(),
                },
            ),
            Record::new(
                "example.org.",
                300,
                RecordData::Mx {
                    preference: 0,
                    exchange: ".".into(),
                },
            ),
            Record::new(
                "mx.example.net.",
                60,
                RecordData::A("192.0.2.25".parse().unwrap()),
            ),
            Record::new(
                "mx.example.net.",
                60,
                RecordData::Aaaa("2001:db8::25".parse().unwrap()),
            ),
            Record::new(
                "example.net.",
                3600,
                RecordData::Txt("v=spf1 mx -all".into()),
            ),
            Record::new("empty.example.net.", 1, RecordData::Txt(String::new())),
            Record::new("long.example.net.", 1, RecordData::Txt("é".repeat(300))),
            Record::new(
                "www.example.net.",
                300,
                RecordData::Cname("example.net.".into()),
            ),
        ]
    }

    fn response_with(records: &[Record]) -> Vec<u8> {
        let mut message = Message::new(7, MessageType::Response, OpCode::Query);
        message.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::MX,
        ));
        for record in records {
            message.add_answer(to_wire_record(record).unwrap());
        }
        to_bytes(&message).unwrap()
    }

    fn big_response() -> Vec<u8> {
        let records: Vec<Record> = (0..12)
            .map(|i| {
                Record::new(
                    "example.net",
                    300,
                    RecordData::Txt(format!("{i} {}", "t".repeat(60))),
                )
            })
            .collect();
        response_with(&records)
    }

    #[test]
    fn udp_answer_over_512_octets_is_cut_with_tc_rfc1035_4_2_1() {
        let query = encode_query(7, "example.net", QueryType::Mx).unwrap();
        let big = big_response();
        assert!(big.len() > 512);
        let cut = fit_for_udp(&query, big);
        assert!(cut.len() <= 512);
        let message = Message::from_vec(&cut).unwrap();
        assert!(message.metadata.truncation, "TC must be set");
        assert_eq!(message.metadata.id, 7);
        assert!(message.answers.is_empty());
        assert_eq!(message.queries.len(), 1, "the question stays");
    }

    #[test]
    fn edns_payload_size_lets_a_long_answer_through_rfc6891_6_2_5() {
        let mut query = Message::new(7, MessageType::Query, OpCode::Query);
        query.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::TXT,
        ));
        let mut edns = hickory_proto::op::Edns::new();
        edns.set_max_payload(4096);
        query.set_edns(edns);
        let query = to_bytes(&query).unwrap();
        let big = big_response();
        assert_eq!(fit_for_udp(&query, big.clone()), big);
        let small = response_with(&every_type()[..1]);
        let plain = encode_query(7, "example.net", QueryType::Mx).unwrap();
        assert_eq!(fit_for_udp(&plain, small.clone()), small);
    }

    #[test]
    fn every_record_type_round_trips_rfc1035_3_3() {
        let records = every_type();
        let summary = Summary::decode(&response_with(&records)).unwrap();
        assert_eq!(summary.answers, records);
        assert!(summary.other_answers.is_empty());
    }

    #[test]
    fn long_txt_is_cut_into_255_octet_strings_rfc1035_3_3_14() {
        let record = Record::new("t.example.", 1, RecordData::Txt("x".repeat(600)));
        let wire = to_wire_record(&record).unwrap();
        let RData::TXT(txt) = &wire.data else {
            panic!("not TXT: {wire:?}");
        };
        let lengths: Vec<usize> = txt.txt_data.iter().map(|s| s.len()).collect();
        assert_eq!(lengths, [255, 255, 90]);
    }

    #[test]
    fn query_bytes_are_rfc1035_4_1_layout() {
        let bytes = encode_query(7, "example.net", QueryType::Mx).unwrap();
        #[rustfmt::skip]
        let expected: &[u8] = &[
            0x00, 0x07,             // ID 7
            0x01, 0x00,             // QR=0 OPCODE=0 AA=0 TC=0 RD=1 | RA=0 Z=0 RCODE=0
            0x00, 0x01,             // QDCOUNT 1
            0x00, 0x00,             // ANCOUNT
            0x00, 0x00,             // NSCOUNT
            0x00, 0x00,             // ARCOUNT
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
            3, b'n', b'e', b't',
            0,                      // the root label ends the name
            0x00, 0x0f,             // QTYPE 15 = MX
            0x00, 0x01,             // QCLASS 1 = IN
        ];
        assert_eq!(bytes, expected);
        assert_eq!(
            encode_query(7, "example.net.", QueryType::Mx).unwrap(),
            expected,
            "the final dot changes nothing"
        );
    }

    #[test]
    fn hickory_reads_our_query_as_genuine_dns_rfc1035_4_1_2() {
        for qtype in [
            QueryType::Mx,
            QueryType::A,
            QueryType::Aaaa,
            QueryType::Txt,
            QueryType::Cname,
        ] {
            let bytes = encode_query(0xbeef, "Mail.Example.NET", qtype).unwrap();
            let message = Message::from_vec(&bytes).unwrap();
            assert_eq!(message.metadata.id, 0xbeef);
            assert_eq!(message.metadata.message_type, MessageType::Query);
            assert!(message.metadata.recursion_desired);
            assert_eq!(message.queries.len(), 1);
            let q = &message.queries[0];
            assert_eq!(q.name.to_ascii(), "Mail.Example.NET.", "case is kept");
            assert_eq!(u16::from(q.query_type), qtype.code());
            assert_eq!(q.query_class, DNSClass::IN);
        }
    }

    #[test]
    fn bad_names_are_refused_rfc1035_2_3_4() {
        let long_label = format!("{}.example", "a".repeat(64));
        assert!(matches!(
            encode_query(1, &long_label, QueryType::A),
            Err(DnsError::BadName { .. })
        ));
        let long_name = vec!["abcdefghi"; 30].join(".");
        assert!(matches!(
            encode_query(1, &long_name, QueryType::A),
            Err(DnsError::BadName { .. })
        ));
        assert!(matches!(
            encode_query(1, "a..example", QueryType::A),
            Err(DnsError::BadName { .. })
        ));
    }

    #[test]
    fn unicode_name_is_sent_as_a_label_rfc5891_4_4() {
        let bytes = encode_query(1, "bücher.example", QueryType::Mx).unwrap();
        let summary = Summary::decode(&bytes).unwrap();
        assert_eq!(summary.question.unwrap().name, "xn--bcher-kva.example.");
    }

    #[test]
    fn summary_of_query_reads_like_dig() {
        let bytes = encode_query(7, "example.net", QueryType::Mx).unwrap();
        let summary = Summary::decode(&bytes).unwrap();
        assert!(!summary.is_response && summary.recursion_desired);
        assert_eq!(summary.to_string(), "query id 7: example.net. MX?");
    }

    #[test]
    fn summary_of_response_reads_like_dig() {
        let records = &every_type()[..1];
        let summary = Summary::decode(&response_with(records)).unwrap();
        assert_eq!(
            summary.to_string(),
            "response id 7 NOERROR: example.net. 300 MX 10 mx.example.net."
        );
        let two = [every_type()[0].clone(), every_type()[2].clone()];
        let summary = Summary::decode(&response_with(&two)).unwrap();
        assert_eq!(
            summary.to_string(),
            "response id 7 NOERROR: example.net. 300 MX 10 mx.example.net.; \
             mx.example.net. 60 A 192.0.2.25"
        );
    }

    #[test]
    fn nxdomain_and_nodata_summaries_rfc1035_4_1_1() {
        let mut message = Message::new(9, MessageType::Response, OpCode::Query);
        message.add_query(Query::query(
            to_name("nowhere.example.net").unwrap(),
            RecordType::MX,
        ));
        message.metadata.response_code = ResponseCode::NXDomain;
        let summary = Summary::decode(&to_bytes(&message).unwrap()).unwrap();
        assert_eq!(summary.rcode, Rcode::NxDomain);
        assert_eq!(
            summary.to_string(),
            "response id 9 NXDOMAIN: nowhere.example.net. MX?"
        );
        message.metadata.response_code = ResponseCode::NoError;
        let summary = Summary::decode(&to_bytes(&message).unwrap()).unwrap();
        assert_eq!(
            summary.to_string(),
            "response id 9 NOERROR: nowhere.example.net. MX? no records"
        );
    }

    #[test]
    fn other_types_are_named_rfc3597_5() {
        let mut message = Message::new(3, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(
            to_name("example.net").unwrap(),
            RecordType::NS,
        ));
        let summary = Summary::decode(&to_bytes(&message).unwrap()).unwrap();
        assert_eq!(summary.to_string(), "query id 3: example.net. NS?");
        assert_eq!(QuestionType::Other(65280).to_string(), "TYPE65280");
    }

    #[test]
    fn short_datagram_is_malformed_not_a_panic() {
        assert!(matches!(Summary::decode(&[]), Err(DnsError::Malformed(_))));
        assert!(matches!(
            Summary::decode(&[0, 7, 1]),
            Err(DnsError::Malformed(_))
        ));
        let mut truncated = encode_query(7, "example.net", QueryType::Mx).unwrap();
        truncated.truncate(20);
        assert!(matches!(
            Summary::decode(&truncated),
            Err(DnsError::Malformed(_))
        ));
    }

    #[test]
    fn compression_loop_is_malformed_rfc1035_4_1_4() {
        // A question name that is a pointer to itself (offset 12).
        let mut bytes = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(matches!(
            Summary::decode(&bytes),
            Err(DnsError::Malformed(_))
        ));
    }

    #[test]
    fn hostile_datagrams_never_panic() {
        let mut rng = SplitMix64::new(0x5eed);
        let valid = response_with(&every_type());
        for round in 0..600 {
            let bytes: Vec<u8> = if round % 2 == 0 {
                let len = (rng.next() % 96) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                let mut bytes = valid.clone();
                for _ in 0..1 + rng.next() % 4 {
                    let i = (rng.next() as usize) % bytes.len();
                    bytes[i] = rng.next() as u8;
                }
                bytes.truncate((rng.next() as usize) % (valid.len() + 1));
                bytes
            };
            if let Ok(summary) = Summary::decode(&bytes) {
                let _ = summary.to_string();
            }
        }
    }
}
