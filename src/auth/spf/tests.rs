use super::*;
use crate::auth::table::{Table, block_on};
use crate::dns::RecordData;

fn id(ip: &str, sender: &str) -> Identity {
    Identity::of(ip.parse().unwrap(), Some(sender), "mail.example.org")
}

fn check(table: &mut Table, ip: &str, sender: &str) -> SpfOutcome {
    block_on(check_host(table, &id(ip, sender)))
}

fn mx(exchange: &str) -> RecordData {
    RecordData::Mx {
        preference: 10,
        exchange: exchange.into(),
    }
}

#[test]
fn qualifiers_give_their_results_rfc7208_4_6_2() {
    for (record, result) in [
        ("v=spf1 +all", SpfResult::Pass),
        ("v=spf1 all", SpfResult::Pass),
        ("v=spf1 -all", SpfResult::Fail),
        ("v=spf1 ~all", SpfResult::SoftFail),
        ("v=spf1 ?all", SpfResult::Neutral),
    ] {
        let mut t = Table::default().txt("example.org", record);
        let out = check(&mut t, "192.0.2.1", "alice@example.org");
        assert_eq!(out.result, result, "{record}");
        assert_eq!(out.mechanism.as_deref(), record.strip_prefix("v=spf1 "));
    }
}

#[test]
fn no_match_and_no_redirect_is_neutral_rfc7208_4_7() {
    let mut t = Table::default().txt("example.org", "v=spf1 ip4:192.0.2.0/24");
    assert_eq!(
        check(&mut t, "198.51.100.1", "a@example.org").result,
        SpfResult::Neutral
    );
    assert_eq!(
        check(&mut t, "192.0.2.77", "a@example.org").result,
        SpfResult::Pass
    );
}

#[test]
fn ip4_and_ip6_match_by_prefix_rfc7208_5_6() {
    let mut t = Table::default().txt(
        "example.org",
        "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8::/32 -all",
    );
    assert_eq!(
        check(&mut t, "192.0.2.100", "a@example.org").result,
        SpfResult::Pass
    );
    assert_eq!(
        check(&mut t, "192.0.2.200", "a@example.org").result,
        SpfResult::Fail
    );
    assert_eq!(
        check(&mut t, "2001:db8::25", "a@example.org").result,
        SpfResult::Pass
    );
    assert_eq!(
        check(&mut t, "2001:db9::25", "a@example.org").result,
        SpfResult::Fail
    );
}

#[test]
fn a_and_mx_match_the_domains_hosts_rfc7208_5_3_and_5_4() {
    let mut t = Table::default()
        .txt("example.org", "v=spf1 a mx a:other.example.org/24 -all")
        .a("example.org", "192.0.2.10")
        .with("example.org", mx("smtp.example.org"))
        .a("smtp.example.org", "192.0.2.25")
        .a("other.example.org", "203.0.113.1");
    assert_eq!(
        check(&mut t, "192.0.2.10", "a@example.org")
            .mechanism
            .as_deref(),
        Some("a")
    );
    assert_eq!(
        check(&mut t, "192.0.2.25", "a@example.org")
            .mechanism
            .as_deref(),
        Some("mx")
    );
    assert_eq!(
        check(&mut t, "203.0.113.99", "a@example.org")
            .mechanism
            .as_deref(),
        Some("a:other.example.org/24")
    );
    assert_eq!(
        check(&mut t, "198.51.100.1", "a@example.org").result,
        SpfResult::Fail
    );
}

#[test]
fn include_matches_only_on_pass_rfc7208_5_2() {
    let mut t = Table::default()
        .txt("example.org", "v=spf1 include:relay.example.net -all")
        .txt("relay.example.net", "v=spf1 ip4:198.51.100.0/24 ~all");
    assert_eq!(
        check(&mut t, "198.51.100.9", "a@example.org").result,
        SpfResult::Pass
    );
    // The included record's ~all is "no match", so the outer -all decides.
    assert_eq!(
        check(&mut t, "203.0.113.9", "a@example.org").result,
        SpfResult::Fail
    );
    let mut t = Table::default().txt("example.org", "v=spf1 include:nothing.example.net -all");
    let out = check(&mut t, "203.0.113.9", "a@example.org");
    assert_eq!(
        out.result,
        SpfResult::PermError,
        "include of a domain without SPF"
    );
}

#[test]
fn redirect_applies_when_nothing_matched_rfc7208_6_1() {
    let mut t = Table::default()
        .txt(
            "example.org",
            "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net",
        )
        .txt("_spf.example.net", "v=spf1 ip4:198.51.100.0/24 -all");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::Pass
    );
    assert_eq!(
        check(&mut t, "198.51.100.3", "a@example.org").result,
        SpfResult::Pass
    );
    assert_eq!(
        check(&mut t, "203.0.113.3", "a@example.org").result,
        SpfResult::Fail
    );
    // With `all` present, redirect is never used.
    let mut t = Table::default()
        .txt("example.org", "v=spf1 ?all redirect=_spf.example.net")
        .txt("_spf.example.net", "v=spf1 -all");
    assert_eq!(
        check(&mut t, "203.0.113.3", "a@example.org").result,
        SpfResult::Neutral
    );
}

#[test]
fn no_record_is_none_and_two_records_are_permerror_rfc7208_4_5() {
    let mut t = Table::default().txt("example.org", "some other text");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::None
    );
    let mut t = Table::default();
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@nowhere.example").result,
        SpfResult::None
    );
    let mut t = Table::default()
        .txt("example.org", "v=spf1 -all")
        .txt("example.org", "v=spf1 +all");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::PermError
    );
    // "v=spf10" is not version 1.
    let mut t = Table::default().txt("example.org", "v=spf10 -all");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::None
    );
}

#[test]
fn dns_failure_is_temperror_rfc7208_4_4_and_5() {
    let mut t = Table::default().fail("example.org", QueryType::Txt, LookupError::ServFail);
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::TempError
    );
    let mut t = Table::default()
        .txt("example.org", "v=spf1 a:slow.example.net -all")
        .fail("slow.example.net", QueryType::A, LookupError::Timeout);
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::TempError
    );
}

#[test]
fn syntax_error_anywhere_is_permerror_before_evaluating_rfc7208_4_6() {
    for record in [
        "v=spf1 +all foo",
        "v=spf1 ip4:192.0.2.300 +all",
        "v=spf1 ip4:192.0.2.0/33 +all",
        "v=spf1 a/024 +all",
        "v=spf1 include +all",
        "v=spf1 +all redirect=a.example redirect=b.example",
        "v=spf1 exists:%{z}.example +all",
        "v=spf1 a:50% +all",
    ] {
        let mut t = Table::default().txt("example.org", record);
        let out = check(&mut t, "192.0.2.1", "a@example.org");
        assert_eq!(out.result, SpfResult::PermError, "{record}");
        assert!(out.problem.is_some());
    }
    // Unknown modifiers are ignored (§6).
    let mut t = Table::default().txt("example.org", "v=spf1 foo=bar +all");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::Pass
    );
}

#[test]
fn more_than_ten_dns_terms_is_permerror_rfc7208_4_6_4() {
    let mut t = Table::default();
    let includes: Vec<String> = (0..11)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    t = t.txt(
        "example.org",
        &format!("v=spf1 {} -all", includes.join(" ")),
    );
    for i in 0..11 {
        t = t.txt(
            &format!("s{i}.example.net"),
            "v=spf1 ip4:203.0.113.0/24 ?all",
        );
    }
    let out = check(&mut t, "192.0.2.1", "a@example.org");
    assert_eq!(out.result, SpfResult::PermError);
    assert_eq!(out.dns_terms, 11);
    assert!(out.problem.unwrap().contains("more than 10"));
    // Exactly ten is allowed, and a match in the tenth passes.
    let mut t = Table::default();
    let includes: Vec<String> = (0..10)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    t = t.txt(
        "example.org",
        &format!("v=spf1 {} -all", includes.join(" ")),
    );
    for i in 0..9 {
        t = t.txt(&format!("s{i}.example.net"), "v=spf1 ?all");
    }
    t = t.txt("s9.example.net", "v=spf1 ip4:192.0.2.1 ?all");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::Pass
    );
    // ip4, ip6 and all cost nothing.
    let many = "ip4:203.0.113.1 ".repeat(30);
    let mut t = Table::default().txt("example.org", &format!("v=spf1 {many}-all"));
    assert_eq!(check(&mut t, "192.0.2.1", "a@example.org").dns_terms, 0);
}

#[test]
fn a_third_void_lookup_is_permerror_rfc7208_4_6_4() {
    let mut t = Table::default().txt(
        "example.org",
        "v=spf1 a:v1.example.org a:v2.example.org a:v3.example.org +all",
    );
    let out = check(&mut t, "192.0.2.1", "a@example.org");
    assert_eq!(out.result, SpfResult::PermError);
    assert_eq!(out.void_lookups, 3);
    let mut t = Table::default().txt(
        "example.org",
        "v=spf1 a:v1.example.org a:v2.example.org +all",
    );
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::Pass
    );
}

#[test]
fn mx_with_more_than_ten_records_is_permerror_rfc7208_4_6_4() {
    let mut t = Table::default().txt("example.org", "v=spf1 mx -all");
    for i in 0..11 {
        t = t
            .with("example.org", mx(&format!("mx{i}.example.org")))
            .a(&format!("mx{i}.example.org"), "192.0.2.1");
    }
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::PermError
    );
}

#[test]
fn exists_matches_any_a_record_rfc7208_5_7() {
    let mut t = Table::default()
        .txt("example.org", "v=spf1 exists:%{i}._spf.%{d} -all")
        .a("192.0.2.1._spf.example.org", "127.0.0.2");
    assert_eq!(
        check(&mut t, "192.0.2.1", "a@example.org").result,
        SpfResult::Pass
    );
    assert_eq!(
        check(&mut t, "192.0.2.2", "a@example.org").result,
        SpfResult::Fail
    );
}

#[test]
fn macros_expand_as_the_rfc_examples_rfc7208_7_4() {
    // §7.4: sender strong-bad@email.example.com, IP 192.0.2.3.
    let v4 = Identity::of(
        "192.0.2.3".parse().unwrap(),
        Some("strong-bad@email.example.com"),
        "mx.example.org",
    );
    let d = "email.example.com";
    for (macro_string, expanded) in [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        (
            "%{ir}.%{v}._spf.%{d2}",
            "3.2.0.192.in-addr._spf.example.com",
        ),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        (
            "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
        ),
        (
            "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
            "3.2.0.192.in-addr.strong.lp._spf.example.com",
        ),
        (
            "%{d2}.trusted-domains.example.net",
            "example.com.trusted-domains.example.net",
        ),
        ("%%%_%-", "% %20"),
    ] {
        assert_eq!(
            expand(macro_string, &v4, d, false).unwrap(),
            expanded,
            "{macro_string}"
        );
    }
    // §7.4: IPv6 2001:db8::cb01 in nibbles.
    let v6 = Identity::of(
        "2001:db8::cb01".parse().unwrap(),
        Some("strong-bad@email.example.com"),
        "h",
    );
    assert_eq!(
        expand("%{ir}.%{v}._spf.%{d2}", &v6, d, false).unwrap(),
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    );
    // Upper-case letters are URL-escaped.
    assert_eq!(
        expand("%{S}", &v4, d, false).unwrap(),
        "strong-bad%40email.example.com"
    );
    // c, r and t belong to exp only (§7.2).
    assert!(expand("%{c}", &v4, d, false).is_err());
    assert!(expand("%{c}", &v4, d, true).is_ok());
}

#[test]
fn null_reverse_path_checks_postmaster_at_helo_rfc7208_2_4() {
    let identity = Identity::of("192.0.2.25".parse().unwrap(), None, "smtp.example.org");
    assert_eq!(identity.sender, "postmaster@smtp.example.org");
    assert_eq!(identity.scope, Scope::Helo);
    let mut t = Table::default()
        .txt("smtp.example.org", "v=spf1 a -all")
        .a("smtp.example.org", "192.0.2.25");
    assert_eq!(
        block_on(check_host(&mut t, &identity)).result,
        SpfResult::Pass
    );
}

#[test]
fn a_malformed_domain_is_none_without_a_lookup_rfc7208_4_3() {
    let mut t = Table::default();
    let out = check(&mut t, "192.0.2.1", "a@localhost");
    assert_eq!(out.result, SpfResult::None);
    assert!(t.asked.is_empty());
}
