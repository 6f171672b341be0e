//! Fuzzes the DNS wire decoder and the authoritative server with arbitrary
//! datagrams.
//!
//! Input: the datagram itself, no header (a seed is a query as
//! `mailflow::dns::encode_query` writes it).
//!
//! Invariants: no panic; `Summary::decode` either reads the bytes or says
//! why, and what it reads can be displayed; `Authority::answer` never
//! answers a response, and what it sends back (also cut for UDP) decodes,
//! is a response and echoes the query's id; a query it cannot read gets a
//! FORMERR or nothing. A `CachedAuthority` gives the same answer as the
//! authority, asked once (a miss) and again with another id (a hit).

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mailflow::dns::wire::fit_for_udp;
use mailflow::dns::{
    Answer, Authority, CachedAuthority, Fault, FaultKind, Rcode, Record, RecordData, Summary, Zone,
};

fn authority() -> Authority {
    let rec = |name: &str, data| Record::new(name, 300, data);
    let mx = |preference, exchange: &str| RecordData::Mx {
        preference,
        exchange: exchange.to_owned(),
    };
    let cname = |target: &str| RecordData::Cname(target.to_owned());
    let example = Zone::new(
        "example.net",
        vec![
            rec("example.net", mx(20, "mx2.example.net")),
            rec("example.net.", mx(10, "mx1.example.net.")),
            rec("example.net", RecordData::Txt("v=spf1 mx -all".into())),
            rec("example.net", RecordData::Txt("x".repeat(600))),
            rec(
                "mx1.example.net",
                RecordData::A("192.0.2.10".parse().expect("IPv4")),
            ),
            rec(
                "MX2.Example.Net",
                RecordData::Aaaa("2001:db8::20".parse().expect("IPv6")),
            ),
            rec("mail.example.net", cname("mx1.example.net")),
            rec("loop1.example.net", cname("loop2.example.net")),
            rec("loop2.example.net", cname("loop1.example.net")),
            rec("away.example.net", cname("mx.example.org")),
            rec(
                "stray.example.com",
                RecordData::A("192.0.2.99".parse().expect("IPv4")),
            ),
        ],
    );
    let nomail = Zone::new("example.org", vec![rec("example.org", mx(0, "."))]).with_fault(Fault {
        name: Some("broken.example.org".into()),
        kind: FaultKind::ServFail,
        from: Duration::from_secs(60),
        until: Some(Duration::from_secs(120)),
    });
    let silent = Zone::new("silent.example", vec![]).with_fault(Fault {
        name: None,
        kind: FaultKind::NoAnswer,
        from: Duration::ZERO,
        until: None,
    });
    Authority::new(vec![example, nomail, silent])
}

fuzz_target!(|data: &[u8]| {
    let query = Summary::decode(data);
    if let Ok(summary) = &query {
        let _ = summary.to_string();
    }
    let authority = authority();
    let mut cached = CachedAuthority::new(authority.clone());
    for now in [Duration::ZERO, Duration::from_secs(90)] {
        let answer = authority.answer(data, now);
        assert_eq!(cached.answer_with(data, now, None), answer, "a miss differs");
        if let [high, low, rest @ ..] = data {
            let mut other = vec![!high, *low];
            other.extend_from_slice(rest);
            assert_eq!(
                cached.answer_with(&other, now, None),
                authority.answer(&other, now),
                "a hit differs"
            );
        }
        match answer {
            Answer::Drop => {}
            Answer::Reply(bytes) => {
                let reply = match Summary::decode(&bytes) {
                    Ok(reply) => reply,
                    Err(e) => panic!("the authority wrote an unreadable reply: {e}"),
                };
                assert!(reply.is_response, "the reply is not a response");
                let _ = reply.to_string();
                match &query {
                    Ok(q) => {
                        assert!(!q.is_response, "answered a response");
                        assert_eq!(reply.id, q.id, "the reply does not echo the id");
                    }
                    Err(_) => assert!(
                        matches!(reply.rcode, Rcode::FormErr | Rcode::ServFail),
                        "an unreadable query got {reply}"
                    ),
                }
                let cut = fit_for_udp(data, bytes);
                match Summary::decode(&cut) {
                    Ok(cut) => assert_eq!(cut.id, reply.id),
                    Err(e) => panic!("the reply cut for UDP is unreadable: {e}"),
                }
            }
        }
    }
});
