use super::canon::{body, header, select, split};
use super::*;
use crate::auth::keys::SigningKey;
use crate::auth::table::{Table, block_on};
use crate::dns::LookupError;

/// The example of RFC 6376 §3.4.5.
const EXAMPLE: &[u8] = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

#[test]
fn relaxed_header_example_rfc6376_3_4_5() {
    let (fields, _) = split(EXAMPLE);
    let out: Vec<u8> = fields
        .iter()
        .flat_map(|f| header(f.raw, Canon::Relaxed))
        .collect();
    assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
}

#[test]
fn relaxed_header_keeps_space_after_a_colon_inside_the_value_rfc6376_3_4_2() {
    // Only the colon after the field name loses its surrounding WSP.
    assert_eq!(
        header(b"Subject :  Re: \t lunch \r\n", Canon::Relaxed),
        b"subject:Re: lunch\r\n"
    );
    assert_eq!(header(b"h: a:\r\n\t b\r\n", Canon::Relaxed), b"h:a: b\r\n");
}

#[test]
fn relaxed_body_example_rfc6376_3_4_5() {
    let (_, at) = split(EXAMPLE);
    assert_eq!(body(&EXAMPLE[at..], Canon::Relaxed), b" C\r\nD E\r\n");
}

#[test]
fn simple_header_and_body_example_rfc6376_3_4_5() {
    let (fields, at) = split(EXAMPLE);
    let out: Vec<u8> = fields
        .iter()
        .flat_map(|f| header(f.raw, Canon::Simple))
        .collect();
    assert_eq!(out, b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
    assert_eq!(body(&EXAMPLE[at..], Canon::Simple), b" C \r\nD \t E\r\n");
}

#[test]
fn empty_body_is_crlf_in_simple_and_nothing_in_relaxed_rfc6376_3_4_3_and_3_4_4() {
    assert_eq!(body(b"", Canon::Simple), b"\r\n");
    assert_eq!(body(b"\r\n\r\n", Canon::Simple), b"\r\n");
    assert_eq!(body(b"", Canon::Relaxed), b"");
    assert_eq!(body(b"\r\n", Canon::Relaxed), b"");
    // A missing final CRLF is added.
    assert_eq!(body(b"hi", Canon::Relaxed), b"hi\r\n");
    // The SHA-256 of the empty relaxed body, as RFC 6376 §3.4.4 implies.
    let hash = ring::digest::digest(&ring::digest::SHA256, &body(b"", Canon::Relaxed));
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(hash),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
}

#[test]
fn header_selection_goes_bottom_up_and_skips_missing_rfc6376_5_4_2() {
    let message = b"Received: 1\r\nX: top\r\nFrom: a@example.org\r\nX: bottom\r\n\r\n";
    let (fields, _) = split(message);
    let names: Vec<String> = ["x", "x", "x", "from", "cc"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let chosen = select(&fields, &names);
    assert_eq!(
        chosen,
        [
            &b"X: bottom\r\n"[..],
            b"X: top\r\n",
            b"From: a@example.org\r\n"
        ],
        "the third x and the absent cc select nothing"
    );
}

fn message() -> Vec<u8> {
    b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n\
Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n\
Hi Bob,\r\n\r\nlunch at noon?\r\n\r\nAlice\r\n"
        .to_vec()
}

fn signed(key: &SigningKey) -> (Vec<u8>, Table) {
    let m = message();
    let field = sign(&m, key, "example.org", "mail", 1_796_115_600);
    let table = Table::default().txt("mail._domainkey.example.org", &key.record());
    ([field.as_bytes(), &m].concat(), table)
}

fn check(message: &[u8], table: &mut Table) -> DkimOutcome {
    let mut all = block_on(verify(table, message, 1_796_115_700));
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn rsa_sha256_signature_verifies_rfc6376_5_and_6() {
    let key = SigningKey::rsa(None).unwrap();
    let (m, mut t) = signed(&key);
    let out = check(&m, &mut t);
    assert_eq!(out.result, DkimResult::Pass, "{:?}", out.problem);
    assert_eq!(out.domain, "example.org");
    assert_eq!(out.algorithm, "rsa-sha256");
    assert_eq!(
        t.asked,
        [(
            "mail._domainkey.example.org".to_owned(),
            crate::dns::QueryType::Txt
        )]
    );
}

#[test]
fn ed25519_sha256_signature_verifies_rfc8463_3() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let (m, mut t) = signed(&key);
    let out = check(&m, &mut t);
    assert_eq!(out.result, DkimResult::Pass, "{:?}", out.problem);
    assert_eq!(out.algorithm, "ed25519-sha256");
}

#[test]
fn relaxed_survives_refolding_and_case_rfc6376_3_4_2() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let (m, mut t) = signed(&key);
    let text = String::from_utf8(m).unwrap();
    let changed = text
        .replace("Subject: Lunch", "SUBJECT:   Lunch ")
        .replace("To: bob@example.net", "To:\r\n bob@example.net")
        .replace("lunch at noon?", "lunch  at noon?   ");
    assert_eq!(check(changed.as_bytes(), &mut t).result, DkimResult::Pass);
}

#[test]
fn a_footer_breaks_the_body_hash_rfc6376_3_7() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let (mut m, mut t) = signed(&key);
    m.extend_from_slice(b"--\r\nlunch mailing list\r\n");
    let out = check(&m, &mut t);
    assert_eq!(out.result, DkimResult::Fail);
    assert!(out.problem.unwrap().contains("body hash"));
}

#[test]
fn a_changed_signed_header_fails_and_an_unsigned_one_does_not_rfc6376_5_4() {
    let key = SigningKey::rsa(None).unwrap();
    let (m, mut t) = signed(&key);
    let text = String::from_utf8(m).unwrap();
    let forged = text.replace("Subject: Lunch", "Subject: Dinner");
    assert_eq!(check(forged.as_bytes(), &mut t).result, DkimResult::Fail);
    let added = text.replace("\r\n\r\nHi", "\r\nX-Mailing-List: lunch\r\n\r\nHi");
    assert_eq!(check(added.as_bytes(), &mut t).result, DkimResult::Pass);
    // A second From added on top is not what was signed (§5.4.2 picks the bottom one,
    // but a reader shows the top one): the signature still covers the original only.
    let spoofed = format!("From: mallory@example.com\r\n{text}");
    assert_eq!(check(spoofed.as_bytes(), &mut t).result, DkimResult::Pass);
}

#[test]
fn body_length_limits_what_is_hashed_rfc6376_3_5_l() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let m = message();
    let (_, at) = split(&m);
    let canon_len = body(&m[at..], Canon::Relaxed).len();
    let field = sign(&m, &key, "example.org", "mail", 0);
    // Re-sign by hand with l= so the appended footer is outside the hash.
    let with_l = field.replace(
        "c=relaxed/relaxed;",
        &format!("c=relaxed/relaxed; l={canon_len};"),
    );
    let (fields, _) = split(&m);
    let names: Vec<String> = ["from", "subject", "date", "to", "message-id"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let head_end = with_l.find("b=").unwrap() + 2;
    let head = &with_l[..head_end];
    let head = head.replace(
        &head[head.find("h=").unwrap()..head.find(";\r\n\tbh=").unwrap()],
        &format!("h={}", names.join(":")),
    );
    let data = sign::signed_data(&fields, &names, head.as_bytes(), Canon::Relaxed);
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(key.sign(&data));
    let signed = [format!("{head}{b}\r\n").as_bytes(), &m, b"footer\r\n"].concat();
    let mut t = Table::default().txt("mail._domainkey.example.org", &key.record());
    assert_eq!(check(&signed, &mut t).result, DkimResult::Pass);
    // A body shorter than l= fails.
    let cut = [format!("{head}{b}\r\n").as_bytes(), &m[..m.len() - 8]].concat();
    assert_eq!(check(&cut, &mut t).result, DkimResult::Fail);
}

#[test]
fn key_problems_are_permerror_and_dns_failure_temperror_rfc6376_6_1_2() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let (m, _) = signed(&key);
    let mut none = Table::default();
    assert_eq!(check(&m, &mut none).result, DkimResult::PermError);
    let mut revoked = Table::default().txt("mail._domainkey.example.org", "v=DKIM1; k=ed25519; p=");
    let out = check(&m, &mut revoked);
    assert_eq!(out.result, DkimResult::PermError);
    assert!(out.problem.unwrap().contains("revoked"));
    let mut wrong_type = Table::default().txt(
        "mail._domainkey.example.org",
        &SigningKey::rsa(None).unwrap().record(),
    );
    assert_eq!(check(&m, &mut wrong_type).result, DkimResult::PermError);
    let mut failing = Table::default().fail(
        "mail._domainkey.example.org",
        crate::dns::QueryType::Txt,
        LookupError::ServFail,
    );
    assert_eq!(check(&m, &mut failing).result, DkimResult::TempError);
    let other = SigningKey::ed25519(8, "example.org", "mail");
    let mut impostor = Table::default().txt("mail._domainkey.example.org", &other.record());
    assert_eq!(check(&m, &mut impostor).result, DkimResult::Fail);
}

#[test]
fn signature_syntax_errors_are_neutral_rfc6376_3_5() {
    let m = message();
    for field in [
        "DKIM-Signature: v=2; a=rsa-sha256; d=example.org; s=mail; h=from; bh=AA==; b=AA==\r\n",
        "DKIM-Signature: v=1; a=rsa-sha1; d=example.org; s=mail; h=from; bh=AA==; b=AA==\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mail; h=subject; bh=AA==; b=AA==\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; h=from; bh=AA==; b=AA==\r\n",
        "DKIM-Signature: v=1; v=1; a=rsa-sha256; d=example.org; s=mail; h=from; bh=AA==; b=AA==\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mail; i=x@evil.example; h=from; bh=AA==; b=AA==\r\n",
    ] {
        let mut t = Table::default();
        let out = check(&[field.as_bytes(), &m].concat(), &mut t);
        assert_eq!(out.result, DkimResult::Neutral, "{field}");
        assert!(
            t.asked.is_empty(),
            "no key is fetched for a broken signature"
        );
    }
}

#[test]
fn expired_signature_fails_rfc6376_3_5_x() {
    let key = SigningKey::ed25519(7, "example.org", "mail");
    let m = message();
    let field = sign(&m, &key, "example.org", "mail", 0).replace("t=0;", "t=0; x=100;");
    let mut t = Table::default().txt("mail._domainkey.example.org", &key.record());
    let out = check(&[field.as_bytes(), &m].concat(), &mut t);
    assert_eq!(out.result, DkimResult::Fail);
}

#[test]
fn b_value_is_removed_with_its_folding_rfc6376_3_7() {
    let field = b"DKIM-Signature: v=1; bh=abc;\r\n\tb=XYZ\r\n\t 123; d=x\r\n";
    assert_eq!(
        verify::without_b_value(field),
        b"DKIM-Signature: v=1; bh=abc;\r\n\tb=; d=x\r\n".to_vec()
    );
    let last = b"DKIM-Signature: v=1; b=XYZ\r\n";
    assert_eq!(
        verify::without_b_value(last),
        b"DKIM-Signature: v=1; b=\r\n".to_vec()
    );
}

#[test]
fn no_signature_gives_no_results() {
    let mut t = Table::default();
    assert!(block_on(verify(&mut t, &message(), 0)).is_empty());
}
