//! Fuzzes the POP3 client machine with arbitrary server bytes.
//!
//! Input layout (as `client`, see `fuzz/README.md`): byte 0 flags (bit 0
//! DELE after RETR, bit 1 take messages of at most 64 octets, bits 2-3 how
//! the session ends: peer close, timeout at the deadline, a timeout check
//! just before it then peer close), byte 1 `n` (`n % 8`) chunk-length
//! bytes, the lengths (`len + 1`), then what the server sent.
//!
//! Invariants: no panic; the same output and events whatever the split;
//! the client sends at most one command per line it read (plus one), each
//! a CRLF line of at most 255 octets; no message over its limit is handed
//! on; exactly one `Closed`, last; closed at the end and wanting no timer.

#![no_main]

mod input;

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailflow::pop3::{ClientConfig, Pop3Client, Pop3ClientEvent};

/// RFC 2449 §4: a command line is at most 255 octets with its CRLF.
const MAX_COMMAND_LINE: usize = 255;
const SMALL: usize = 64;

#[derive(Debug, PartialEq, Eq)]
struct Run {
    out: Vec<u8>,
    events: Vec<Pop3ClientEvent>,
}

fn run<'a>(flags: u8, chunks: impl Iterator<Item = &'a [u8]>, now: Instant) -> Run {
    let config = ClientConfig {
        user: "bob".into(),
        password: "secret".into(),
        delete_after_retrieve: flags & 1 != 0,
    };
    let mut client = Pop3Client::new(config, now);
    if flags & 2 != 0 {
        client = client.with_max_message_size(SMALL);
    }
    let mut out = Vec::new();
    let mut events = Vec::new();
    let drain = |client: &mut Pop3Client, out: &mut Vec<u8>, events: &mut Vec<_>| {
        while let Some(bytes) = client.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        events.extend(std::iter::from_fn(|| client.poll_event()));
    };
    for chunk in chunks {
        client.handle_input(chunk, now);
        drain(&mut client, &mut out, &mut events);
    }
    match (flags >> 2) & 3 {
        0 => client.handle_close(),
        1 => {
            let deadline = client.poll_timeout();
            assert!(
                deadline.is_some() || client.is_closed(),
                "no timer while open"
            );
            client.handle_timeout(deadline.unwrap_or(now));
            assert!(
                client.is_closed(),
                "the client did not give up at its deadline"
            );
            client.handle_close();
        }
        _ => {
            let was_closed = client.is_closed();
            if let Some(deadline) = client.poll_timeout() {
                client.handle_timeout(deadline - Duration::from_nanos(1));
            }
            assert_eq!(
                client.is_closed(),
                was_closed,
                "gave up before its deadline"
            );
            client.handle_close();
        }
    }
    drain(&mut client, &mut out, &mut events);
    assert!(client.is_closed());
    assert_eq!(client.poll_timeout(), None, "a closed client wants a timer");
    let (len, count) = (out.len(), events.len());
    client.handle_input(b"+OK\r\n", now);
    client.handle_timeout(now + Duration::from_secs(86_400));
    client.handle_close();
    drain(&mut client, &mut out, &mut events);
    assert_eq!(
        (out.len(), events.len()),
        (len, count),
        "a closed client went on"
    );
    Run { out, events }
}

fn check(flags: u8, run: &Run, input: &[u8]) {
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let mut commands = 0;
    for line in run.out.split_inclusive(|&b| b == b'\n') {
        assert!(line.ends_with(b"\r\n"), "a command without CRLF: {line:?}");
        assert!(
            line.len() <= MAX_COMMAND_LINE,
            "a command of {} octets",
            line.len()
        );
        commands += 1;
    }
    assert!(
        commands <= lines + 1,
        "{commands} commands for {lines} lines"
    );
    let limit = if flags & 2 != 0 { SMALL } else { usize::MAX };
    let mut closed = false;
    let mut logged_in = false;
    for event in &run.events {
        assert!(!closed, "event after Closed: {event:?}");
        match event {
            Pop3ClientEvent::LoggedIn => {
                assert!(!logged_in, "logged in twice");
                logged_in = true;
            }
            Pop3ClientEvent::Retrieved { content, .. } => {
                assert!(logged_in, "retrieved before login");
                assert!(content.len() <= limit, "took {} octets", content.len());
            }
            Pop3ClientEvent::Failed { .. } => {}
            Pop3ClientEvent::Closed => closed = true,
        }
    }
    assert!(closed, "no Closed event");
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
    check(flags, &split, payload);
    let whole = run(flags, std::iter::once(payload), now);
    assert!(
        whole == split,
        "output depends on how the input was split:\nwhole: {:?}\nsplit: {:?}",
        String::from_utf8_lossy(&whole.out),
        String::from_utf8_lossy(&split.out)
    );
});
