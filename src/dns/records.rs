//! The zone data model: resource records as plain values.
//!
//! A resource record (RFC 1035 §3.2.1) says one thing about one name: its
//! owner `name`, how long a cache may keep it (`ttl`, in seconds) and its
//! typed `data`. mailflow models the five types that mail needs:
//!
//! | type  | RFC            | says                                              |
//! |-------|----------------|---------------------------------------------------|
//! | MX    | 1035 §3.3.9    | "mail for this name goes to `exchange`"; lower preference first (RFC 5321 §5.1) |
//! | A     | 1035 §3.4.1    | an IPv4 address of the name                       |
//! | AAAA  | 3596 §2.2      | an IPv6 address of the name                       |
//! | TXT   | 1035 §3.3.14   | free text: SPF, DMARC, DKIM keys live here        |
//! | CNAME | 1035 §3.3.1    | "this name is an alias of another name"           |
//!
//! Names are plain strings such as `mx.example.net` or `mx.example.net.`:
//! DNS compares names without regard to ASCII case (RFC 4343), and a final
//! dot only says that the name is absolute, which every name here is.
//! [`canonical_name`] gives the form to compare by.
//!
//! The types are free of serde on purpose: the scenario layer maps its RON
//! onto them, and the wire layer maps them onto RFC 1035 bytes.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// One resource record (RFC 1035 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name, with or without the final dot.
    pub name: String,
    /// Seconds a cache may keep the record (RFC 1035 §3.2.1).
    pub ttl: u32,
    pub data: RecordData,
}

impl Record {
    pub fn new(name: &str, ttl: u32, data: RecordData) -> Record {
        Record {
            name: name.to_owned(),
            ttl,
            data,
        }
    }

    /// The type of the record, as a question would ask for it.
    pub fn query_type(&self) -> QueryType {
        self.data.query_type()
    }
}

/// Written like a line of dig's answer section, without the class:
/// `example.net. 300 MX 10 mx.example.net.`
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            Absolute(&self.name),
            self.ttl,
            self.query_type(),
            self.data
        )
    }
}

/// The typed data of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// A mail exchanger (RFC 1035 §3.3.9). The null MX of RFC 7505 is
    /// `Mx { preference: 0, exchange: "." }`: "this domain takes no mail".
    Mx {
        preference: u16,
        exchange: String,
    },
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// The text of a TXT record. On the wire it is cut into
    /// character-strings of at most 255 octets and joined again when read,
    /// as SPF does (RFC 7208 §3.3).
    Txt(String),
    /// The canonical name this owner is an alias of (RFC 1034 §3.6.2).
    Cname(String),
}

impl RecordData {
    pub fn query_type(&self) -> QueryType {
        match self {
            RecordData::Mx { .. } => QueryType::Mx,
            RecordData::A(_) => QueryType::A,
            RecordData::Aaaa(_) => QueryType::Aaaa,
            RecordData::Txt(_) => QueryType::Txt,
            RecordData::Cname(_) => QueryType::Cname,
        }
    }

    /// A null MX (RFC 7505 §3): preference 0 and the root as the exchange.
    /// A domain that publishes it accepts no mail, and a sender bounces at
    /// once instead of falling back to the A record.
    pub fn is_null_mx(&self) -> bool {
        match self {
            RecordData::Mx {
                preference,
                exchange,
            } => *preference == 0 && canonical_name(exchange).is_empty(),
            _ => false,
        }
    }
}

/// The data as dig writes it: `10 mx.example.net.`, `192.0.2.1`,
/// `"v=spf1 -all"`.
impl fmt::Display for RecordData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {}", Absolute(exchange)),
            RecordData::A(ip) => write!(f, "{ip}"),
            RecordData::Aaaa(ip) => write!(f, "{ip}"),
            RecordData::Txt(text) => {
                f.write_str("\"")?;
                for c in text.chars() {
                    match c {
                        '"' | '\\' => write!(f, "\\{c}")?,
                        c if c.is_control() => write!(f, "\\{:03}", u32::from(c))?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            RecordData::Cname(target) => write!(f, "{}", Absolute(target)),
        }
    }
}

/// The record types a question can ask for (RFC 1035 §3.2.2 TYPE values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryType {
    Mx,
    A,
    Aaaa,
    Txt,
    Cname,
}

impl QueryType {
    /// The TYPE value on the wire (RFC 1035 §3.2.2, RFC 3596 §2.1).
    pub fn code(self) -> u16 {
        match self {
            QueryType::A => 1,
            QueryType::Cname => 5,
            QueryType::Mx => 15,
            QueryType::Txt => 16,
            QueryType::Aaaa => 28,
        }
    }

    /// The type with this TYPE value, if mailflow models it.
    pub fn from_code(code: u16) -> Option<QueryType> {
        [
            QueryType::A,
            QueryType::Cname,
            QueryType::Mx,
            QueryType::Txt,
            QueryType::Aaaa,
        ]
        .into_iter()
        .find(|t| t.code() == code)
    }

    /// The mnemonic of RFC 1035 §3.2.2: `MX`, `A`, `AAAA`, `TXT`, `CNAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::Mx => "MX",
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Txt => "TXT",
            QueryType::Cname => "CNAME",
        }
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A type name that mailflow does not model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type {0:?}: use one of MX, A, AAAA, TXT, CNAME")]
pub struct UnknownQueryType(pub String);

/// Reads a mnemonic in any case: `mx`, `MX`, `Aaaa`.
impl FromStr for QueryType {
    type Err = UnknownQueryType;

    fn from_str(s: &str) -> Result<QueryType, UnknownQueryType> {
        [
            QueryType::Mx,
            QueryType::A,
            QueryType::Aaaa,
            QueryType::Txt,
            QueryType::Cname,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
        .ok_or_else(|| UnknownQueryType(s.to_owned()))
    }
}

/// The form in which two names compare equal when DNS says they are the
/// same name: ASCII lowercase (RFC 4343 §3) and without the final dot.
/// The root is the empty string.
pub fn canonical_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Writes a name with its final dot, as dig does; the root is `.`.
pub(crate) struct Absolute<'a>(pub &'a str);

impl fmt::Display for Absolute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.ends_with('.') {
            f.write_str(self.0)
        } else {
            write!(f, "{}.", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(preference: u16, exchange: &str) -> RecordData {
        RecordData::Mx {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    #[test]
    fn null_mx_is_preference_0_and_root_rfc7505_3() {
        assert!(mx(0, ".").is_null_mx());
        assert!(mx(0, "").is_null_mx());
        assert!(!mx(10, ".").is_null_mx(), "only preference 0 is a null MX");
        assert!(!mx(0, "mx.example.net").is_null_mx());
        assert!(!RecordData::Txt(".".into()).is_null_mx());
    }

    #[test]
    fn names_compare_without_case_or_final_dot_rfc4343_3() {
        assert_eq!(canonical_name("MX.Example.NET."), "mx.example.net");
        assert_eq!(canonical_name("mx.example.net"), "mx.example.net");
        assert_eq!(canonical_name("."), "");
    }

    #[test]
    fn type_codes_are_those_of_rfc1035_3_2_2_and_rfc3596_2_1() {
        assert_eq!(QueryType::A.code(), 1);
        assert_eq!(QueryType::Cname.code(), 5);
        assert_eq!(QueryType::Mx.code(), 15);
        assert_eq!(QueryType::Txt.code(), 16);
        assert_eq!(QueryType::Aaaa.code(), 28);
        for t in [
            QueryType::Mx,
            QueryType::A,
            QueryType::Aaaa,
            QueryType::Txt,
            QueryType::Cname,
        ] {
            assert_eq!(QueryType::from_code(t.code()), Some(t));
            assert_eq!(t.to_string().parse::<QueryType>(), Ok(t));
        }
        assert_eq!(QueryType::from_code(2), None, "NS is not modelled");
        assert_eq!("aaaa".parse::<QueryType>(), Ok(QueryType::Aaaa));
        assert!("NS".parse::<QueryType>().is_err());
    }

    #[test]
    fn records_display_like_dig_answer_lines() {
        let r = Record::new("example.net", 300, mx(10, "mx.example.net"));
        assert_eq!(r.to_string(), "example.net. 300 MX 10 mx.example.net.");
        let r = Record::new("example.org.", 60, mx(0, "."));
        assert_eq!(r.to_string(), "example.org. 60 MX 0 .");
        let r = Record::new(
            "example.net",
            60,
            RecordData::Txt("v=spf1 \"a\" -all".into()),
        );
        assert_eq!(r.to_string(), r#"example.net. 60 TXT "v=spf1 \"a\" -all""#);
        let r = Record::new(
            "www.example.net",
            60,
            RecordData::Cname("example.net".into()),
        );
        assert_eq!(r.to_string(), "www.example.net. 60 CNAME example.net.");
        let r = Record::new(
            "h.example",
            1,
            RecordData::Aaaa("2001:db8::1".parse().unwrap()),
        );
        assert_eq!(r.to_string(), "h.example. 1 AAAA 2001:db8::1");
    }
}
