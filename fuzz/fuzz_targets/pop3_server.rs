//! Fuzzes the POP3 server machine with arbitrary client bytes.
//!
//! Input layout (as `server`, see `fuzz/README.md`): byte 0 flags (bits
//! 0-1 how the session ends: timeout at the deadline, shutdown, peer close,
//! a timeout check just before the deadline then peer close), byte 1 `n`
//! (`n % 8`) chunk-length bytes, the lengths (`len + 1`), then what the
//! client sent.
//!
//! Invariants: no panic; the same output, events and maildrop whatever the
//! split; every line written ends in CRLF and is at most 512 octets; once
//! closed the session says nothing more and wants no timer; exactly one
//! `Closed`, last; messages are deleted only by QUIT after a login, and
//! only the ones the maildrop held.

#![no_main]

mod input;

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailflow::pop3::server::AUTOLOGOUT;
use mailflow::pop3::{CloseReason, MemoryMaildrop, Pop3Server, Pop3ServerEvent};

/// RFC 2449 §4: a response line is at most 512 octets with its CRLF.
const MAX_RESPONSE_LINE: usize = 512;

const WELCOME: &[u8] = b"From: alice@example.org\r\nSubject: welcome\r\n\r\nHello Bob.\r\n";
const DOTS: &[u8] = b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend.\r\n\r\n.\r\n";
/// Not ending in CRLF, as a careless maildrop might hold it.
const RAGGED: &[u8] = b"Subject: ragged\r\n\r\nno final line end";

fn maildrop() -> MemoryMaildrop {
    let mut drop = MemoryMaildrop::new()
        .with_account("bob", "secret")
        .with_account("carol", "");
    drop.deliver("bob", "1.welcome", WELCOME);
    drop.deliver("bob", "2.dots", DOTS);
    drop.deliver(
        "bob",
        "3 has spaces and is longer than seventy octets, which UIDL cannot show",
        RAGGED,
    );
    drop
}

fn uids(drop: &MemoryMaildrop, user: &str) -> Vec<String> {
    drop.messages(user)
        .iter()
        .map(|(uid, _)| uid.clone())
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
struct Run {
    out: Vec<u8>,
    events: Vec<Pop3ServerEvent>,
    bob: Vec<String>,
}

fn run<'a>(flags: u8, chunks: impl Iterator<Item = &'a [u8]>, now: Instant) -> Run {
    let mut drop = maildrop();
    let mut server = Pop3Server::new("pop.example.net", now);
    let mut out = Vec::new();
    let mut events = Vec::new();
    let drain = |server: &mut Pop3Server, out: &mut Vec<u8>, events: &mut Vec<_>| {
        let before = (out.len(), events.len());
        while let Some(bytes) = server.poll_transmit() {
            assert!(
                !bytes.is_empty(),
                "poll_transmit returned an empty transmit"
            );
            out.extend_from_slice(&bytes);
        }
        events.extend(std::iter::from_fn(|| server.poll_event()));
        before != (out.len(), events.len())
    };
    drain(&mut server, &mut out, &mut events);
    for chunk in chunks {
        let was_closed = server.is_closed();
        server.handle_input(chunk, now, &mut drop);
        let said = drain(&mut server, &mut out, &mut events);
        assert!(!(was_closed && said), "a closed session answered input");
    }
    let was_closed = server.is_closed();
    let deadline = server.poll_timeout();
    assert!(
        was_closed || deadline.is_some(),
        "an open session wants no timer"
    );
    match flags & 3 {
        0 => server.handle_timeout(deadline.unwrap_or(now + AUTOLOGOUT)),
        1 => server.shutdown(),
        2 => server.handle_close(),
        _ => {
            let before = out.len();
            if let Some(deadline) = deadline {
                server.handle_timeout(deadline - Duration::from_nanos(1));
            }
            drain(&mut server, &mut out, &mut events);
            assert_eq!(out.len(), before, "timeout fired before its deadline");
            assert_eq!(server.is_closed(), was_closed, "closed before its deadline");
            server.handle_close();
        }
    }
    let said = drain(&mut server, &mut out, &mut events);
    assert!(!(was_closed && said), "a closed session spoke again");
    assert!(
        server.is_closed(),
        "the session is still open after it was ended"
    );
    assert_eq!(
        server.poll_timeout(),
        None,
        "a closed session wants a timer"
    );
    server.handle_input(b"QUIT\r\n", now, &mut drop);
    server.shutdown();
    server.handle_timeout(now + AUTOLOGOUT * 2);
    server.handle_close();
    assert!(
        !drain(&mut server, &mut out, &mut events),
        "a closed session spoke again"
    );
    Run {
        out,
        events,
        bob: uids(&drop, "bob"),
    }
}

fn check(run: &Run) {
    if !run.out.is_empty() {
        assert!(run.out.ends_with(b"\r\n"), "output ends inside a line");
    }
    for line in run.out.split_inclusive(|&b| b == b'\n') {
        assert!(
            line.len() <= MAX_RESPONSE_LINE,
            "a line of {} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(&line[..80])
        );
    }
    let closed: Vec<_> = run
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Pop3ServerEvent::Closed { .. }))
        .collect();
    assert_eq!(closed.len(), 1, "exactly one Closed: {:?}", run.events);
    assert_eq!(
        closed[0].0,
        run.events.len() - 1,
        "Closed is the last event"
    );
    let Pop3ServerEvent::Closed { reason } = closed[0].1 else {
        unreachable!()
    };
    let before = uids(&maildrop(), "bob");
    let mut logged_in: Option<&str> = None;
    let mut deleted = Vec::new();
    for event in &run.events {
        match event {
            Pop3ServerEvent::LoggedIn { user } => {
                assert!(logged_in.is_none(), "logged in twice");
                logged_in = Some(user);
            }
            Pop3ServerEvent::Retrieved { user, uid } => {
                assert_eq!(Some(user.as_str()), logged_in, "RETR before login");
                assert!(
                    user != "bob" || before.contains(uid),
                    "retrieved unknown {uid}"
                );
            }
            Pop3ServerEvent::Deleted { user, uids } => {
                assert_eq!(Some(user.as_str()), logged_in, "deleted before login");
                assert_eq!(*reason, CloseReason::Quit, "deleted without QUIT");
                deleted.extend(uids.iter().cloned());
            }
            Pop3ServerEvent::Closed { .. } => {}
        }
    }
    let expected: Vec<String> = before
        .into_iter()
        .filter(|u| !deleted.contains(u))
        .collect();
    assert_eq!(
        run.bob, expected,
        "the maildrop changed other than by Deleted"
    );
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
    assert!(
        whole == split,
        "output depends on how the input was split:\nwhole: {:?}\nsplit: {:?}",
        String::from_utf8_lossy(&whole.out),
        String::from_utf8_lossy(&split.out)
    );
});
