//! Whether a DNS message reads the same under any id.
//!
//! A compression pointer (RFC 1035 §4.1.4) may point anywhere before it,
//! the header included: a name pointing at offset 0 reads the id as
//! labels, so two messages that differ only in their id can decode to
//! different things (the `dns` fuzz target found one). A memo keyed by the
//! bytes after the id may keep only messages whose names never reach into
//! the header. This walk is conservative: anything it does not follow (a
//! record type with names it does not know, a reserved label type, bytes
//! cut short) counts as "may depend on the id", and takes the full path.
//!
//! The walk reads only the octets after the id, so its verdict is the same
//! for every message with the same key.

/// Octets of the header (RFC 1035 §4.1.1).
const HEADER: usize = 12;
/// Labels and pointers followed per name before giving up.
const MAX_STEPS: usize = 128;

/// No name of `message` (question, and the records of the types whose
/// names are known: MX and CNAME; A, AAAA, TXT and OPT have none) can be
/// read through the header.
pub(crate) fn reads_the_same_under_any_id(message: &[u8]) -> bool {
    if message.len() < HEADER {
        return false;
    }
    let count = |i: usize| usize::from(u16::from_be_bytes([message[i], message[i + 1]]));
    let mut at = HEADER;
    for _ in 0..count(4) {
        let Some(end) = name_end(message, at) else {
            return false;
        };
        at = end + 4;
    }
    for _ in 0..count(6) + count(8) + count(10) {
        let Some(end) = name_end(message, at) else {
            return false;
        };
        let Some(fixed) = message.get(end..end + 10) else {
            return false;
        };
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let length = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let rdata = end + 10;
        let names_ok = match rtype {
            // A, TXT, AAAA, OPT: no names inside.
            1 | 16 | 28 | 41 => true,
            // CNAME: a name; MX: a preference, then a name.
            5 => name_end(message, rdata).is_some(),
            15 => name_end(message, rdata + 2).is_some(),
            _ => false,
        };
        if !names_ok {
            return false;
        }
        at = rdata + length;
    }
    at <= message.len()
}

/// Where the name at `at` ends in place, when it and every name its
/// pointers lead to lie after the header; `None` otherwise.
fn name_end(message: &[u8], mut at: usize) -> Option<usize> {
    let mut end = None;
    for _ in 0..MAX_STEPS {
        let length = *message.get(at)?;
        match length >> 6 {
            0 if length == 0 => return Some(end.unwrap_or(at + 1)),
            0 => at += 1 + usize::from(length),
            3 => {
                let target =
                    usize::from(u16::from_be_bytes([length & 0x3f, *message.get(at + 1)?]));
                if target < HEADER {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
            }
            // 01 and 10: extended and reserved label types (RFC 6891 §5).
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{QueryType, encode_query};

    #[test]
    fn our_queries_read_the_same_under_any_id() {
        for qtype in [QueryType::Mx, QueryType::A, QueryType::Txt] {
            let query = encode_query(7, "mx.example.net", qtype).unwrap();
            assert!(reads_the_same_under_any_id(&query));
        }
    }

    /// The fuzzer's find: a record whose owner is a pointer to offset 0.
    #[test]
    fn a_pointer_into_the_header_depends_on_the_id_rfc1035_4_1_4() {
        let mut query = encode_query(0x0100, "example.net", QueryType::Mx).unwrap();
        query[7] = 1; // ANCOUNT 1
        query.extend_from_slice(&[0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1]);
        assert!(!reads_the_same_under_any_id(&query));
        let mut query = encode_query(0x0100, "example.net", QueryType::Mx).unwrap();
        query[12..14].copy_from_slice(&[0xc0, 1]); // the question's name
        assert!(!reads_the_same_under_any_id(&query));
    }

    #[test]
    fn a_pointer_to_the_question_is_fine_but_a_loop_is_not() {
        let mut reply = encode_query(9, "example.net", QueryType::Mx).unwrap();
        reply[7] = 1;
        // example.net. MX 10 mx.<example.net>
        reply.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 44, 0, 7, 0, 10]);
        reply.extend_from_slice(&[2, b'm', b'x', 0xc0, 12]);
        assert!(reads_the_same_under_any_id(&reply));
        let last = reply.len() - 1;
        reply[last] = (last - 1) as u8; // the pointer points at itself
        assert!(!reads_the_same_under_any_id(&reply));
    }

    #[test]
    fn unknown_types_and_short_messages_take_the_full_path() {
        let mut reply = encode_query(9, "example.net", QueryType::Mx).unwrap();
        reply[7] = 1;
        reply.extend_from_slice(&[0xc0, 12, 0, 2, 0, 1, 0, 0, 1, 44, 0, 2, 0xc0, 12]); // NS
        assert!(!reads_the_same_under_any_id(&reply));
        assert!(!reads_the_same_under_any_id(&reply[..11]));
        let query = encode_query(9, "example.net", QueryType::Mx).unwrap();
        assert!(!reads_the_same_under_any_id(&query[..query.len() - 2]));
    }
}
