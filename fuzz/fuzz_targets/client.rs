//! Fuzzes the client session machine with arbitrary server bytes.
//!
//! Input layout: byte 0 flags (bit 0 pipelining off, bit 1 AUTH PLAIN,
//! bits 2-3 how the session ends: peer close, timeout, both), byte 1 `n`
//! (`n % 8`) chunk-length bytes, the lengths, then what the server sent.
//!
//! Invariants: no panic; every transaction is reported exactly once, in
//! order, with one outcome per recipient, by the time the session is
//! closed; outcomes agree with the reply class; what the client writes is
//! bounded whatever the server says; and the result does not depend on how
//! the server's bytes were split.

#![no_main]

mod input;

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailflow::smtp::client::Reason;
use mailflow::smtp::{
    ClientConfig, ClientEvent, ClientSession, ForwardPath, Outcome, ReversePath, Transaction,
};

fn transactions() -> Vec<Transaction> {
    let to = |s: &str| ForwardPath::parse(s).expect("valid forward path");
    vec![
        Transaction {
            reverse_path: ReversePath::parse("<alice@example.org>").expect("valid"),
            forward_paths: vec![
                to("<bob@example.net>"),
                to("<nobody@example.net>"),
                to("<Postmaster>"),
            ],
            content: b"Subject: hi\r\n\r\n.dot\r\nbody\r\n".to_vec(),
        },
        Transaction {
            reverse_path: ReversePath::Null,
            forward_paths: vec![to("<jörg@bücher.example>")],
            content: "Subject: Grüße\r\n\r\n8-bit \u{e9}\r\n".as_bytes().to_vec(),
        },
        Transaction {
            reverse_path: ReversePath::parse("<alice@example.org>").expect("valid"),
            forward_paths: Vec::new(),
            content: b"nobody to send to\r\n".to_vec(),
        },
    ]
}

#[derive(Debug, PartialEq, Eq)]
struct Run {
    out: Vec<u8>,
    events: Vec<ClientEvent>,
}

fn run<'a>(flags: u8, chunks: impl Iterator<Item = &'a [u8]>, now: Instant) -> Run {
    let mut config = ClientConfig::new("client.example");
    if flags & 1 != 0 {
        config = config.without_pipelining();
    }
    if flags & 2 != 0 {
        config = config.with_credentials("alice", "alice");
    }
    let mut client = ClientSession::new(config, transactions(), now);
    let mut out = Vec::new();
    let mut events = Vec::new();
    for chunk in chunks {
        client.handle_input(chunk, now);
        while let Some(bytes) = client.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        events.extend(std::iter::from_fn(|| client.poll_event()));
    }
    match (flags >> 2) & 3 {
        0 => client.handle_close(),
        1 => {
            let deadline = client.poll_timeout();
            client.handle_timeout(now + Duration::from_secs(3600));
            assert!(
                deadline.is_none() || client.is_closed(),
                "a client with a deadline did not give up after it"
            );
            client.handle_close();
        }
        _ => {
            client.handle_timeout(now + Duration::from_secs(1));
            client.handle_close();
        }
    }
    while let Some(bytes) = client.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    events.extend(std::iter::from_fn(|| client.poll_event()));
    assert!(client.is_closed());
    assert_eq!(client.poll_timeout(), None);
    Run { out, events }
}

fn check(run: &Run) {
    let txs = transactions();
    // Bounded whatever the server says: each transaction is sent at most once.
    let budget: usize = 4096
        + txs
            .iter()
            .map(|t| 2 * t.content.len() + 600 * (t.forward_paths.len() + 3))
            .sum::<usize>();
    assert!(
        run.out.len() <= budget,
        "client wrote {} octets",
        run.out.len()
    );
    for line in run.out.split(|&b| b == b'\n') {
        assert!(
            line.len() < 1000,
            "client wrote a line of {} octets",
            line.len()
        );
    }
    let mut next = 0;
    let mut closed = false;
    let mut greeted = false;
    for event in &run.events {
        assert!(!closed, "event after Closed: {event:?}");
        match event {
            ClientEvent::Greeted { .. } => {
                assert!(!greeted, "greeted twice");
                greeted = true;
            }
            ClientEvent::Authenticated => assert!(greeted),
            ClientEvent::TransactionDone { index, outcomes } => {
                assert_eq!(*index, next, "transactions reported out of order");
                assert_eq!(outcomes.len(), txs[*index].forward_paths.len());
                for outcome in outcomes {
                    match outcome {
                        Outcome::Delivered { reply } => {
                            assert!(reply.code().is_positive(), "{outcome:?}")
                        }
                        Outcome::Failed {
                            reason: Reason::Reply(reply),
                        } => assert!(reply.code().is_permanent(), "{outcome:?}"),
                        Outcome::Deferred {
                            reason: Reason::Reply(reply),
                        } => assert!(!reply.code().is_permanent(), "{outcome:?}"),
                        _ => {}
                    }
                }
                next += 1;
            }
            ClientEvent::Closed => closed = true,
            // The fuzzed client never asks for TLS (its config leaves
            // STARTTLS off), so no handshake may ever start.
            ClientEvent::TlsStarting => panic!("TLS started without being asked for"),
        }
    }
    assert!(closed, "no Closed event");
    assert_eq!(next, txs.len(), "some transactions were never reported");
}

fuzz_target!(|data: &[u8]| {
    let Some(input::Input {
        flags,
        chunks,
        payload,
    }) = input::read(data)
    else {
        return;
    };
    let now = Instant::now();
    let split = run(flags, chunks.into_iter(), now);
    check(&split);
    let whole = run(flags, std::iter::once(payload), now);
    // What the client decides never depends on how the input was split.
    assert_eq!(whole.events, split.events, "events depend on the split");
    // What it sends may: commands still in the outbox when the session
    // ends are dropped (RFC 5321 §3.8), and fed in pieces the host polled
    // some of them out first. So the whole run's bytes are a prefix of
    // the split run's, never different bytes.
    assert!(
        split.out.starts_with(&whole.out),
        "output depends on how the input was split:\nwhole: {:?}\nsplit: {:?}",
        String::from_utf8_lossy(&whole.out),
        String::from_utf8_lossy(&split.out)
    );
});
