//! SMTP machine benchmarks (divan, no IO).
//!
//! * `server_parse`: a client's side of a long pipelined session (EHLO,
//!   then transactions of MAIL, 3×RCPT, DATA, a 4 KiB dot-stuffed body and
//!   the final dot, then QUIT) fed to a `ServerSession` in chunks; divan
//!   prints the throughput in bytes per second. 64 KiB is the headline
//!   figure; the other chunk sizes show how the cost depends on the size
//!   of a read (see `server_parse_tiny_messages`).
//! * `server_parse_tiny_messages`: 1 MiB of pipelined transactions with
//!   empty messages, in one read, 64 KiB reads and 1460-octet reads. At
//!   each DATA the server copies the rest of the read out of its line
//!   buffer and back in after the message, so the cost of one read grows
//!   with (read size × messages in it); this benchmark keeps an eye on it.
//! * `reference_copy`, `reference_scan`: the same bytes, in the same
//!   chunks, copied into a `Vec` with `extend_from_slice`, and scanned byte
//!   by byte for line feeds. They are measured in the same run so that the
//!   ratio "server parse / plain copy" can be reported; the absolute times
//!   depend on the machine, the ratios much less.
//! * `pair_transaction`: one whole client↔server session through
//!   `smtp::pair::Pair` (EHLO, MAIL, 3×RCPT, DATA with 4 KiB, QUIT), with
//!   and without pipelining; divan prints transactions per second.
//!
//! Run with `cargo bench --bench smtp`.

use std::hint::black_box;
use std::time::Instant;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use mailflow::session::stuffing::stuff;
use mailflow::smtp::pair::Pair;
use mailflow::smtp::{
    ClientConfig, ForwardPath, Peer, ReversePath, ServerConfig, ServerEvent, ServerSession,
    SimplePolicy, Transaction,
};

fn main() {
    check_workloads();
    divan::main();
}

/// Transactions in the pipelined session: about 1.1 MB on the wire.
const TRANSACTIONS: usize = 256;
const BODY_SIZE: usize = 4096;
const CHUNK: usize = 64 * 1024;
/// Chunk sizes for `server_parse`: a 1 MiB read, the 64 KiB of a large
/// read, 16 KiB, and one Ethernet TCP segment, where per-chunk overhead
/// shows.
const CHUNKS: &[usize] = &[1 << 20, CHUNK, 16 * 1024, 1460];

/// A 4 KiB message of 72-column text, with a few lines that start with a
/// dot so that stuffing and unstuffing have work to do.
fn body() -> Vec<u8> {
    let mut content =
        b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: benchmark\r\n\r\n".to_vec();
    let mut line = 0;
    while content.len() < BODY_SIZE {
        if line % 16 == 7 {
            content.extend_from_slice(b". a line that starts with a dot\r\n");
        } else {
            let text =
                format!("{line:04} The quick brown fox jumps over the lazy dog; SMTP carries it.");
            content.extend_from_slice(text.as_bytes());
            content.extend_from_slice(b"\r\n");
        }
        line += 1;
    }
    content.truncate(BODY_SIZE - 2);
    content.extend_from_slice(b"\r\n");
    content
}

fn policy() -> SimplePolicy {
    SimplePolicy::for_domain("example.net", &["bob", "carol", "dave"])
}

/// What a pipelining client writes for the whole session.
fn pipelined_session() -> Vec<u8> {
    let body = body();
    let mut wire = b"EHLO client.example\r\n".to_vec();
    for _ in 0..TRANSACTIONS {
        wire.extend_from_slice(
            format!("MAIL FROM:<alice@example.org> SIZE={}\r\n", body.len()).as_bytes(),
        );
        for to in ["bob", "carol", "dave"] {
            wire.extend_from_slice(format!("RCPT TO:<{to}@example.net>\r\n").as_bytes());
        }
        wire.extend_from_slice(b"DATA\r\n");
        stuff(&body, &mut wire);
    }
    wire.extend_from_slice(b"QUIT\r\n");
    wire
}

/// Feeds the session to a fresh server; returns how many reply octets and
/// events it produced (so that nothing is optimised away).
fn serve(wire: &[u8], chunk: usize, mut policy: SimplePolicy, now: Instant) -> (usize, usize) {
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    let (mut out, mut events) = (0, 0);
    for piece in wire.chunks(chunk) {
        server.handle_input(piece, now, &mut policy);
        while let Some(bytes) = server.poll_transmit() {
            out += bytes.len();
        }
        while let Some(event) = server.poll_event() {
            events += 1;
            black_box(event);
        }
    }
    (out, events)
}

fn transaction() -> Transaction {
    let to = |s: &str| ForwardPath::parse(s).expect("valid forward path");
    Transaction {
        reverse_path: ReversePath::parse("<alice@example.org>").expect("valid reverse path"),
        forward_paths: vec![
            to("<bob@example.net>"),
            to("<carol@example.net>"),
            to("<dave@example.net>"),
        ],
        content: body(),
    }
}

fn session(
    pipelining: bool,
    tx: Transaction,
    policy: SimplePolicy,
    now: Instant,
) -> Pair<SimplePolicy> {
    let mut config = ClientConfig::new("client.example");
    if !pipelining {
        config = config.without_pipelining();
    }
    let mut pair = Pair::new(
        config,
        vec![tx],
        ServerConfig::new("mx.example.net"),
        policy,
        now,
    );
    pair.record = false;
    pair
}

/// The workloads do what they claim: every message is accepted.
fn check_workloads() {
    let now = Instant::now();
    let wire = pipelined_session();
    let mut policy = policy();
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    let mut received = 0;
    for piece in wire.chunks(CHUNK) {
        server.handle_input(piece, now, &mut policy);
        while let Some(event) = server.poll_event() {
            if let ServerEvent::MessageReceived {
                content, envelope, ..
            } = event
            {
                assert_eq!(content, body());
                assert_eq!(envelope.forward_paths.len(), 3);
                received += 1;
            }
        }
    }
    assert_eq!(
        received, TRANSACTIONS,
        "every pipelined message is accepted"
    );
    assert!(server.is_closed(), "the session ends with QUIT");

    for pipelining in [true, false] {
        let mut pair = session(pipelining, transaction(), policy.clone(), now);
        pair.drive();
        let delivered = pair
            .server_events()
            .iter()
            .filter(|e| matches!(e, ServerEvent::MessageReceived { .. }))
            .count();
        assert_eq!(delivered, 1);
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert_eq!(pair.client.pipelining(), pipelining);
    }
}

#[divan::bench(args = CHUNKS)]
fn server_parse(bencher: Bencher, chunk: usize) {
    let wire = pipelined_session();
    let now = Instant::now();
    bencher
        .counter(BytesCount::new(wire.len()))
        .with_inputs(policy)
        .bench_local_values(|policy| serve(black_box(&wire), chunk, policy, now));
}

#[divan::bench(args = CHUNKS)]
fn reference_copy(bencher: Bencher, chunk: usize) {
    let wire = pipelined_session();
    bencher
        .counter(BytesCount::new(wire.len()))
        .bench_local(|| {
            let mut copy = Vec::new();
            for piece in black_box(&wire).chunks(chunk) {
                copy.extend_from_slice(piece);
            }
            copy
        });
}

#[divan::bench]
fn reference_scan(bencher: Bencher) {
    let wire = pipelined_session();
    bencher
        .counter(BytesCount::new(wire.len()))
        .bench_local(|| {
            let mut lines = 0usize;
            for &b in black_box(&wire).iter() {
                lines += usize::from(b == b'\n');
            }
            lines
        });
}

#[divan::bench(args = [true, false])]
fn pair_transaction(bencher: Bencher, pipelining: bool) {
    let now = Instant::now();
    let tx = transaction();
    // Timed: opening both sessions (greeting), the whole exchange, QUIT.
    bencher
        .counter(ItemsCount::new(1usize))
        .with_inputs(|| (tx.clone(), policy()))
        .bench_local_values(|(tx, policy)| {
            let mut pair = session(pipelining, tx, policy, now);
            pair.drive();
            pair
        });
}

/// Many tiny pipelined transactions (empty messages) in one buffer.
fn tiny_session(target: usize) -> Vec<u8> {
    let mut wire = b"EHLO client.example\r\n".to_vec();
    while wire.len() < target {
        wire.extend_from_slice(
            b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n.\r\n",
        );
    }
    wire.extend_from_slice(b"QUIT\r\n");
    wire
}

#[divan::bench(args = [1 << 20, CHUNK, 1460], sample_count = 10)]
fn server_parse_tiny_messages(bencher: Bencher, chunk: usize) {
    let wire = tiny_session(1 << 20);
    let now = Instant::now();
    bencher
        .counter(BytesCount::new(wire.len()))
        .with_inputs(policy)
        .bench_local_values(|policy| serve(black_box(&wire), chunk, policy, now));
}
