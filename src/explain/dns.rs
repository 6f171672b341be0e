//! DNS look-ups: response codes, record types, and the one-line summaries
//! of queries and responses that transcripts show (RFC 1035).

use super::{Catalog, Entry, Kind, Protocol};

/// RCODE values 0 to 5 and their names (RFC 1035 §4.1.1).
const RCODES: [&str; 6] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
];

/// The largest RCODE there can be: 12 bits with EDNS (RFC 6891 §6.1.3).
const MAX_RCODE: u16 = 4095;

/// The record types mailflow models, by TYPE value (RFC 1035 §3.2.2,
/// RFC 3596 §2.1).
const TYPES: [(u16, &str); 5] = [
    (1, "A"),
    (5, "CNAME"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
];

/// The entry on the RCODE field itself, for codes without an entry.
const RCODE_FIELD: &str = "RCODE";
/// The entry on queries and responses.
const MESSAGE: &str = "DNS";
/// The entry on the TC flag.
const TRUNCATED: &str = "TC";

impl Catalog {
    /// The response code named, ignoring case: "NXDOMAIN", "servfail",
    /// "NODATA" (an empty NOERROR answer), a number ("3") or dig's form of
    /// an unnamed one ("RCODE9"). A number without a name of its own gives
    /// the entry on the RCODE field. `None` for anything else.
    pub fn explain_dns_rcode(&self, name: &str) -> Option<&Entry> {
        let upper = name.trim().to_ascii_uppercase();
        let number = upper.strip_prefix("RCODE").unwrap_or(&upper);
        if is_number(number) {
            let code: u16 = number.parse().ok().filter(|&code| code <= MAX_RCODE)?;
            return match RCODES.get(usize::from(code)) {
                Some(mnemonic) => self.of_kind(mnemonic, Kind::DnsRcode),
                None => self.of_kind(RCODE_FIELD, Kind::DnsConcept),
            };
        }
        self.of_kind(&upper, Kind::DnsRcode)
    }

    /// The record type named, ignoring case: "MX", "aaaa", "null MX", a
    /// question as a transcript shows it ("MX?"), a TYPE value ("15") or
    /// its generic form ("TYPE15"). `None` for types mailflow does not
    /// model, such as NS.
    pub fn explain_record_type(&self, name: &str) -> Option<&Entry> {
        let upper = name.trim().to_ascii_uppercase();
        let upper = upper.strip_suffix('?').unwrap_or(&upper);
        let number = upper.strip_prefix("TYPE").unwrap_or(upper);
        if is_number(number) {
            let code: u16 = number.parse().ok()?;
            let (_, mnemonic) = TYPES.iter().find(|(value, _)| *value == code)?;
            return self.of_kind(mnemonic, Kind::DnsRecord);
        }
        self.of_kind(upper, Kind::DnsRecord)
    }

    /// Explanations for one DNS line, most telling first. It reads the
    /// summaries that mailflow's transcripts print, as dig would:
    ///
    /// * "query id 7: example.net. MX?" gives the type asked for, then the
    ///   entry on queries and responses;
    /// * "response id 7 NOERROR: example.net. 300 MX 10 mx.example.net."
    ///   gives the response code, then the type of each answer record (a
    ///   null MX as such); with no records it gives `NODATA` for NOERROR
    ///   ("... MX? no records"), and the type asked for; "(truncated)" adds
    ///   the TC flag.
    ///
    /// A bare name works too: "NXDOMAIN", "3", "MX", "AA", "implicit MX".
    /// Empty if nothing fits.
    pub fn explain_dns_line(&self, line: &str) -> Vec<&Entry> {
        let line = line.trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut found: Vec<&Entry> = Vec::new();
        match words
            .first()
            .map(|word| word.to_ascii_lowercase())
            .as_deref()
        {
            Some("query") => {
                found.extend(self.question_type(&words));
                found.extend(self.lookup(MESSAGE));
            }
            Some("response") => {
                let rcode = words.get(3).map(|word| word.trim_end_matches(':'));
                let truncated = words.iter().any(|word| word.starts_with("(truncated)"));
                // An empty answer that was cut short says nothing about the data.
                let no_records = line.ends_with("no records") && !truncated;
                found.extend(match rcode {
                    Some(rcode) if no_records && rcode.eq_ignore_ascii_case("NOERROR") => {
                        self.explain_dns_rcode("NODATA")
                    }
                    Some(rcode) => self.explain_dns_rcode(rcode),
                    None => None,
                });
                let answers = self.answer_types(&words);
                if answers.is_empty() {
                    found.extend(self.question_type(&words));
                }
                found.extend(answers);
                if truncated {
                    found.extend(self.of_kind(TRUNCATED, Kind::DnsConcept));
                }
            }
            _ => found.extend(
                self.explain_dns_rcode(line)
                    .or_else(|| self.explain_record_type(line))
                    .or_else(|| {
                        self.lookup(line)
                            .filter(|entry| entry.kind.protocol() == Some(Protocol::Dns))
                    }),
            ),
        }
        let mut unique: Vec<&Entry> = Vec::with_capacity(found.len());
        for entry in found {
            if !unique.iter().any(|seen| std::ptr::eq(*seen, entry)) {
                unique.push(entry);
            }
        }
        unique
    }

    /// The type of the question, written "example.net. MX?".
    fn question_type(&self, words: &[&str]) -> Option<&Entry> {
        let asked = words.iter().rev().find(|word| word.ends_with('?'))?;
        self.explain_record_type(asked)
    }

    /// The type of each answer record, written "name TTL TYPE data": a
    /// known mnemonic right after a number. "MX 0 ." is the null MX.
    fn answer_types(&self, words: &[&str]) -> Vec<&Entry> {
        let mut found = Vec::new();
        for (at, pair) in words.windows(2).enumerate() {
            let [ttl, mnemonic] = pair else {
                continue;
            };
            let known = TYPES.iter().any(|(_, name)| name == mnemonic);
            if !is_number(ttl) || !known {
                continue;
            }
            let data = |offset: usize| {
                words
                    .get(at + offset)
                    .map(|word| word.trim_end_matches(';'))
            };
            let null_mx = *mnemonic == "MX" && data(2) == Some("0") && data(3) == Some(".");
            let topic = if null_mx { "null MX" } else { mnemonic };
            found.extend(self.of_kind(topic, Kind::DnsRecord));
        }
        found
    }
}

/// One or more ASCII digits.
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_digits_only() {
        assert!(is_number("0") && is_number("4095"));
        assert!(!is_number("") && !is_number("-1") && !is_number("1a"));
    }

    #[test]
    fn type_values_are_rfc1035_3_2_2_and_rfc3596_2_1() {
        let value = |name: &str| TYPES.iter().find(|(_, n)| *n == name).map(|(v, _)| *v);
        assert_eq!(value("A"), Some(1));
        assert_eq!(value("CNAME"), Some(5));
        assert_eq!(value("MX"), Some(15));
        assert_eq!(value("TXT"), Some(16));
        assert_eq!(value("AAAA"), Some(28));
        assert_eq!(RCODES[3], "NXDOMAIN");
    }
}
