use super::*;
use crate::auth::spf::SpfOutcome;
use crate::auth::table::{Table, block_on};

fn spf(result: SpfResult, domain: &str) -> SpfOutcome {
    SpfOutcome {
        result,
        domain: domain.into(),
        mechanism: None,
        problem: None,
        dns_terms: 0,
        void_lookups: 0,
    }
}

fn dkim(result: DkimResult, domain: &str) -> DkimOutcome {
    DkimOutcome {
        result,
        domain: domain.into(),
        selector: "mail".into(),
        algorithm: "ed25519-sha256".into(),
        b_prefix: String::new(),
        problem: None,
    }
}

#[test]
fn organizational_domain_by_the_simple_rule_rfc7489_3_2() {
    assert_eq!(organizational_domain("mail.example.org"), "example.org");
    assert_eq!(organizational_domain("a.b.example.org."), "example.org");
    assert_eq!(organizational_domain("example.org"), "example.org");
    assert_eq!(organizational_domain("www.example.co.uk"), "example.co.uk");
    assert_eq!(organizational_domain("Example.CO.uk"), "example.co.uk");
    assert_eq!(organizational_domain("org"), "org");
}

#[test]
fn relaxed_and_strict_alignment_rfc7489_3_1() {
    assert!(Alignment::Relaxed.aligned("mail.example.org", "example.org"));
    assert!(Alignment::Relaxed.aligned("EXAMPLE.org", "news.example.org"));
    assert!(!Alignment::Relaxed.aligned("example.net", "example.org"));
    assert!(!Alignment::Strict.aligned("mail.example.org", "example.org"));
    assert!(Alignment::Strict.aligned("Example.org.", "example.org"));
}

#[test]
fn record_needs_v_first_and_p_rfc7489_6_3() {
    let r = parse_record("v=DMARC1; p=reject; sp=none; adkim=s; pct=50; rua=mailto:x@example.org")
        .unwrap();
    assert_eq!(
        (r.p, r.sp, r.adkim, r.aspf, r.pct),
        (
            Policy::Reject,
            Some(Policy::None),
            Alignment::Strict,
            Alignment::Relaxed,
            50
        )
    );
    assert!(parse_record("p=reject; v=DMARC1").is_err());
    assert!(parse_record("v=DMARC1").is_err());
    assert!(parse_record("v=DMARC1; p=bounce").is_err());
    assert!(parse_record("v=DMARC1; p=none; pct=101").is_err());
}

fn eval(t: &mut Table, from: &str, spf_: SpfOutcome, dkim_: &[DkimOutcome]) -> DmarcOutcome {
    block_on(evaluate(t, from, &spf_, dkim_, 0))
}

#[test]
fn aligned_spf_or_dkim_pass_passes_rfc7489_4_2() {
    let mut t = Table::default().txt("_dmarc.example.org", "v=DMARC1; p=reject");
    let out = eval(
        &mut t,
        "example.org",
        spf(SpfResult::Pass, "bounces.example.org"),
        &[],
    );
    assert_eq!(out.result, DmarcResult::Pass);
    assert!(out.spf_aligned && !out.dkim_aligned);
    let out = eval(
        &mut t,
        "example.org",
        spf(SpfResult::Fail, "forwarder.example"),
        &[dkim(DkimResult::Pass, "example.org")],
    );
    assert_eq!(out.result, DmarcResult::Pass, "DKIM survives forwarding");
    assert!(out.dkim_aligned);
}

#[test]
fn unaligned_passes_fail_and_the_policy_applies_rfc7489_6_6_2() {
    let mut t = Table::default().txt("_dmarc.example.org", "v=DMARC1; p=reject");
    let out = eval(
        &mut t,
        "example.org",
        spf(SpfResult::Pass, "spoofer.example"),
        &[dkim(DkimResult::Pass, "spoofer.example")],
    );
    assert_eq!(out.result, DmarcResult::Fail);
    assert_eq!(out.disposition, Policy::Reject);
    let mut t = Table::default().txt("_dmarc.example.org", "v=DMARC1; p=none");
    let out = eval(
        &mut t,
        "example.org",
        spf(SpfResult::Fail, "example.org"),
        &[],
    );
    assert_eq!(
        (out.result, out.disposition),
        (DmarcResult::Fail, Policy::None)
    );
}

#[test]
fn discovery_falls_back_to_the_organizational_domain_and_sp_rfc7489_6_6_3() {
    let mut t = Table::default().txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine");
    let out = eval(
        &mut t,
        "news.example.org",
        spf(SpfResult::None, "x.example"),
        &[],
    );
    assert_eq!(out.policy, Some(Policy::Quarantine));
    assert_eq!(out.disposition, Policy::Quarantine);
    let asked: Vec<&str> = t.asked.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(asked, ["_dmarc.news.example.org", "_dmarc.example.org"]);
    // Two records at one name: no policy (step 5).
    let mut t = Table::default()
        .txt("_dmarc.example.org", "v=DMARC1; p=reject")
        .txt("_dmarc.example.org", "v=DMARC1; p=none");
    assert_eq!(
        eval(
            &mut t,
            "example.org",
            spf(SpfResult::Fail, "x.example"),
            &[]
        )
        .result,
        DmarcResult::None
    );
    // No record anywhere: none, and nothing to do.
    let mut t = Table::default();
    let out = eval(
        &mut t,
        "example.org",
        spf(SpfResult::Fail, "x.example"),
        &[],
    );
    assert_eq!(
        (out.result, out.disposition),
        (DmarcResult::None, Policy::None)
    );
    // A DNS failure is temperror.
    let mut t = Table::default().fail("_dmarc.example.org", QueryType::Txt, LookupError::ServFail);
    assert_eq!(
        eval(
            &mut t,
            "example.org",
            spf(SpfResult::Fail, "x.example"),
            &[]
        )
        .result,
        DmarcResult::TempError
    );
}

#[test]
fn outside_pct_the_next_weaker_policy_applies_rfc7489_6_6_4() {
    let mut t = Table::default().txt("_dmarc.example.org", "v=DMARC1; p=reject; pct=20");
    let s = spf(SpfResult::Fail, "x.example");
    assert_eq!(
        block_on(evaluate(&mut t, "example.org", &s, &[], 19)).disposition,
        Policy::Reject
    );
    assert_eq!(
        block_on(evaluate(&mut t, "example.org", &s, &[], 20)).disposition,
        Policy::Quarantine
    );
}

#[test]
fn author_domain_needs_exactly_one_from_rfc7489_6_6_1() {
    assert_eq!(
        author_domain(b"From: Alice <alice@Example.org>\r\n\r\n").unwrap(),
        "example.org"
    );
    assert!(author_domain(b"To: x@example.org\r\n\r\n").is_err());
    assert!(author_domain(b"From: a@example.org\r\nFrom: b@example.net\r\n\r\n").is_err());
    assert!(author_domain(b"From: a@example.org, b@example.net\r\n\r\n").is_err());
}
