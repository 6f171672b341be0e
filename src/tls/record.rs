//! What a flight of TLS records holds, read from the bytes (RFC 8446 §5.1,
//! RFC 5246 §6.2): the dashboard and the exports name the handshake steps
//! by what is on the wire, not by what the ends say they did.

/// The steps in `wire`, in order: handshake messages by name while they
/// are in the clear (ClientHello, ServerHello, and all of TLS 1.2's until
/// ChangeCipherSpec), then `encrypted` for each record nobody on the link
/// can read. A cut or garbled record ends the list with what is wrong.
pub fn steps(wire: &[u8]) -> Vec<String> {
    let mut steps = Vec::new();
    let mut rest = wire;
    let mut ciphered = false;
    while !rest.is_empty() {
        let Some(header) = rest.get(..5) else {
            steps.push(format!("{} octets of a cut record", rest.len()));
            break;
        };
        let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let Some(fragment) = rest.get(5..5 + length) else {
            steps.push(format!(
                "a record cut at {} of {length} octets",
                rest.len() - 5
            ));
            break;
        };
        rest = &rest[5 + length..];
        match header[0] {
            20 => {
                steps.push("ChangeCipherSpec".to_owned());
                ciphered = true;
            }
            21 if !ciphered && fragment.len() == 2 => steps.push(alert(fragment[1])),
            22 if !ciphered => steps.extend(handshake_messages(fragment)),
            21..=23 => steps.push("encrypted".to_owned()),
            other => steps.push(format!("record of unknown type {other}")),
        }
    }
    steps
}

/// The steps as one line: runs of `encrypted` counted, e.g.
/// `ServerHello, ChangeCipherSpec, 4 encrypted records`.
pub fn summary(wire: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut encrypted = 0;
    let flush = |parts: &mut Vec<String>, encrypted: &mut usize| {
        match *encrypted {
            0 => {}
            1 => parts.push("1 encrypted record".to_owned()),
            n => parts.push(format!("{n} encrypted records")),
        }
        *encrypted = 0;
    };
    for step in steps(wire) {
        if step == "encrypted" {
            encrypted += 1;
        } else {
            flush(&mut parts, &mut encrypted);
            parts.push(step);
        }
    }
    flush(&mut parts, &mut encrypted);
    parts.join(", ")
}

/// The length of the first whole record in `wire` (its 5-octet header
/// and fragment, RFC 8446 §5.1), or `None` while it is still cut.
pub fn first_len(wire: &[u8]) -> Option<usize> {
    let header = wire.get(..5)?;
    let len = 5 + usize::from(u16::from_be_bytes([header[3], header[4]]));
    (wire.len() >= len).then_some(len)
}

fn handshake_messages(mut fragment: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    while fragment.len() >= 4 {
        let length = u32::from_be_bytes([0, fragment[1], fragment[2], fragment[3]]) as usize;
        names.push(handshake_name(fragment[0]));
        fragment = fragment.get(4 + length..).unwrap_or_default();
    }
    names
}

/// RFC 8446 §4 and RFC 5246 §7.4 handshake types.
fn handshake_name(kind: u8) -> String {
    let name = match kind {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        other => return format!("handshake message {other}"),
    };
    name.to_owned()
}

/// RFC 8446 §6 alert descriptions.
fn alert(description: u8) -> String {
    let name = match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        80 => "internal_error",
        112 => "unrecognized_name",
        other => return format!("alert {other}"),
    };
    format!("alert {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_hello_record_is_named_rfc8446_5_1() {
        // Record: handshake, TLS 1.0 legacy version, 6 octets: ClientHello of 2.
        let wire = [22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3];
        assert_eq!(steps(&wire), ["ClientHello"]);
    }

    #[test]
    fn after_change_cipher_spec_records_are_encrypted_rfc5246_7_1() {
        let wire = [20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 2, 9, 9, 23, 3, 3, 0, 1, 7];
        assert_eq!(summary(&wire), "ChangeCipherSpec, 2 encrypted records");
    }

    #[test]
    fn a_plaintext_alert_is_named_rfc8446_6() {
        assert_eq!(
            steps(&[21, 3, 3, 0, 2, 2, 45]),
            ["alert certificate_expired"]
        );
    }

    #[test]
    fn a_record_is_whole_once_its_fragment_is_there_rfc8446_5_1() {
        assert_eq!(first_len(&[23, 3, 3, 0, 2, 7]), None);
        assert_eq!(first_len(&[23, 3, 3, 0, 2, 7, 7, 23]), Some(7));
        assert_eq!(first_len(&[23, 3]), None);
    }

    #[test]
    fn hostile_bytes_give_a_cut_record_not_a_panic() {
        assert_eq!(
            steps(&[22, 3, 3, 0, 9, 1]),
            ["a record cut at 1 of 9 octets"]
        );
        assert_eq!(steps(&[22, 3]), ["2 octets of a cut record"]);
        assert_eq!(steps(&[22, 3, 3, 0, 4, 1, 255, 255, 255]), ["ClientHello"]);
    }
}
