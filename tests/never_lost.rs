//! Nothing lost, nothing doubled, under faults (issue 14 §4).
//!
//! proptest builds random worlds: one sending domain (alice's laptop and
//! smtp.example.org), up to three receiving domains with one or two MX
//! hosts of random preference (a backup relays for its domain), hosts
//! down for a while, resets (at a time, or inside a session after so many
//! octets), stalls, slow replies to the final dot, duplicated and
//! reordered DNS datagrams, and a handful of messages with several
//! recipients, some of them unknown (a bounce). Each world runs, and from
//! its trace alone:
//!
//! * every (message, recipient) ends as delivered, bounced, or still
//!   queued at the end, exactly once, unless the trace shows RFC 5321
//!   §6.1's case: a session in which the receiver took the message but
//!   the sender never read its 250 (a timeout after the final dot, or a
//!   cut). Each such session is one more copy on its way, and no more;
//! * so no mailbox holds a copy twice without such a session behind it;
//! * every bounce sends a DSN (which must itself end delivered, bounced
//!   or queued), or was of a message with the null reverse-path `<>`.
//!
//! The faults stay off the laptop's own link and its server, whose mail
//! program submits once and does not retry: a message it never handed
//! over is not in the mail system at all.
//!
//! `cargo test` runs a few cases (`NEVER_LOST_CASES` unset: 256, well under a second); set
//! `NEVER_LOST_CASES=2000` for a long hunt. A failing case is shrunk and
//! printed as a scenario: save it under `tests/regressions/` (which
//! `every_regression_scenario_holds` runs through the same checks).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mailflow::trace::{ConnId, Dir, EventKind, HostId, Trace};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

const DOMAINS: [&str; 3] = ["example.net", "example.com", "example.edu"];
const USERS: [&str; 2] = ["bob", "carol"];

/// A fault of the generated world.
#[derive(Debug, Clone)]
enum Fault {
    /// MX `mx` of domain `d` is down from `from` for `len` minutes.
    Down {
        d: usize,
        mx: usize,
        from: u32,
        len: u32,
    },
    /// A reset on the link to that MX at `at` minutes.
    ResetAt { d: usize, mx: usize, at: u32 },
    /// A reset in session `session` to that MX after `after` octets.
    ResetAfter {
        d: usize,
        mx: usize,
        session: u32,
        after: usize,
    },
    /// The link to that MX stalls from `from` for `len` minutes.
    Stall {
        d: usize,
        mx: usize,
        from: u32,
        len: u32,
    },
    /// That MX answers the final dot `delay` minutes late until `until`.
    Slow {
        d: usize,
        mx: usize,
        delay: u32,
        until: u32,
    },
    /// DNS datagrams between the name server and the sender (`mx` 0) or
    /// that MX (1) arrive twice or out of order.
    Datagrams {
        d: usize,
        mx: usize,
        duplicate: bool,
    },
}

#[derive(Debug, Clone)]
struct Domain {
    /// Preferences of its MX hosts (one or two); the first holds the
    /// mailboxes, a second is a backup that relays for the domain.
    prefs: Vec<u16>,
}

#[derive(Debug, Clone)]
struct Message {
    at: u32,
    /// (domain, user) pairs; user 2 is unknown there.
    to: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
struct World {
    seed: u64,
    domains: Vec<Domain>,
    faults: Vec<Fault>,
    messages: Vec<Message>,
    max_age_hours: u32,
}

fn mx_name(d: usize, mx: usize) -> String {
    format!("mx{}.{}", mx + 1, DOMAINS[d])
}

fn address(d: usize, user: usize) -> String {
    let user = USERS.get(user).copied().unwrap_or("nobody");
    format!("{user}@{}", DOMAINS[d])
}

impl World {
    /// The world as a scenario file.
    fn ron(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "(\n    title: \"never lost\",\n    seed: {},\n    run_for: \"8h\",",
            self.seed
        );
        s.push_str("    dns: [(name: \"ns.example.org\", ip: \"192.0.2.53\", zones: [\n");
        s.push_str("        (origin: \"example.org\", records: [Mx(\"example.org\", 10, \"smtp.example.org\")]),\n");
        for (d, domain) in self.domains.iter().enumerate() {
            let records: Vec<String> = domain
                .prefs
                .iter()
                .enumerate()
                .map(|(mx, p)| format!("Mx(\"{}\", {p}, \"{}\")", DOMAINS[d], mx_name(d, mx)))
                .collect();
            let _ = writeln!(
                s,
                "        (origin: \"{}\", records: [{}]),",
                DOMAINS[d],
                records.join(", ")
            );
        }
        s.push_str("    ])],\n    mtas: [\n");
        let _ = writeln!(
            s,
            "        (name: \"smtp.example.org\", ip: \"192.0.2.25\", domains: [\"example.org\"], \
             mailboxes: {{\"alice@example.org\": \"alice\"}}, submission: true, \
             retry: [\"5m\", \"20m\"], max_age: \"{}h\"),",
            self.max_age_hours
        );
        for (d, domain) in self.domains.iter().enumerate() {
            for mx in 0..domain.prefs.len() {
                let ip = format!("198.51.100.{}", 25 + 10 * d + mx);
                let mut fields = format!(
                    "name: \"{}\", ip: \"{ip}\", retry: [\"5m\", \"20m\"], max_age: \"{}h\"",
                    mx_name(d, mx),
                    self.max_age_hours
                );
                if mx == 0 {
                    let boxes: Vec<String> = USERS
                        .iter()
                        .map(|u| format!("\"{u}@{}\": \"{u}\"", DOMAINS[d]))
                        .collect();
                    let _ = write!(
                        fields,
                        ", domains: [\"{}\"], mailboxes: {{{}}}",
                        DOMAINS[d],
                        boxes.join(", ")
                    );
                } else {
                    let _ = write!(fields, ", relay_domains: [\"{}\"]", DOMAINS[d]);
                }
                let mut down = Vec::new();
                let mut slow = None;
                for f in &self.faults {
                    match *f {
                        Fault::Down {
                            d: fd,
                            mx: fm,
                            from,
                            len,
                        } if (fd, fm) == (d, mx) => {
                            down.push(format!("(\"{from}m\", \"{}m\")", from + len));
                        }
                        Fault::Slow {
                            d: fd,
                            mx: fm,
                            delay,
                            until,
                        } if (fd, fm) == (d, mx) => {
                            slow.get_or_insert(format!(
                                ", slow_data_reply: (delay: \"{delay}m\", until: \"{until}m\")"
                            ));
                        }
                        _ => {}
                    }
                }
                if !down.is_empty() {
                    let _ = write!(fields, ", down: [{}]", down.join(", "));
                }
                fields.push_str(&slow.unwrap_or_default());
                let _ = writeln!(s, "        ({fields}),");
            }
        }
        s.push_str("    ],\n    clients: [(name: \"laptop.example.org\", ip: \"192.0.2.10\", \
                    account: \"alice@example.org\", password: \"alice\", server: \"smtp.example.org\", send: [\n");
        for (n, m) in self.messages.iter().enumerate() {
            let to: Vec<String> =
                m.to.iter()
                    .map(|&(d, u)| format!("\"{}\"", address(d, u)))
                    .collect();
            let _ = writeln!(
                s,
                "        (at: \"{}m\", to: [{}], subject: \"message {n}\", body: \"Hello {n}\\n\"),",
                m.at,
                to.join(", ")
            );
        }
        s.push_str("    ])],\n    links: [\n");
        // (one end, the MX) → (resets, stalls, duplicate, reorder).
        type Faults = (Vec<String>, Vec<String>, bool, bool);
        let mut links: BTreeMap<(&str, String), Faults> = BTreeMap::new();
        for f in &self.faults {
            let (d, mx) = match *f {
                Fault::ResetAt { d, mx, .. }
                | Fault::ResetAfter { d, mx, .. }
                | Fault::Stall { d, mx, .. }
                | Fault::Datagrams { d, mx, .. } => (d, mx),
                Fault::Down { .. } | Fault::Slow { .. } => continue,
            };
            if mx >= self.domains[d].prefs.len() {
                continue;
            }
            // Datagram faults: between the name server and the sender
            // (`mx` 0) or the MX (1); the others between sender and MX.
            let key = match f {
                Fault::Datagrams { .. } if mx == 0 => ("ns.example.org", "smtp.example.org".into()),
                Fault::Datagrams { .. } => ("ns.example.org", mx_name(d, mx)),
                _ => ("smtp.example.org", mx_name(d, mx)),
            };
            let link = links.entry(key).or_default();
            match *f {
                Fault::ResetAt { at, .. } => link.0.push(format!("(at: \"{at}m\")")),
                Fault::ResetAfter { session, after, .. } => {
                    link.0.push(format!("(session: {session}, after: {after})"))
                }
                Fault::Stall { from, len, .. } => {
                    link.1.push(format!("(\"{from}m\", \"{}m\")", from + len))
                }
                Fault::Datagrams {
                    duplicate: true, ..
                } => link.2 = true,
                Fault::Datagrams {
                    duplicate: false, ..
                } => link.3 = true,
                Fault::Down { .. } | Fault::Slow { .. } => {}
            }
        }
        for ((end, mx), (resets, stalls, duplicate, reorder)) in links {
            let _ = writeln!(
                s,
                "        (between: (\"{end}\", \"{mx}\"), resets: [{}], stalls: [{}], \
                 duplicate: {}, reorder: {}),",
                resets.join(", "),
                stalls.join(", "),
                if duplicate { 0.5 } else { 0.0 },
                if reorder { 0.5 } else { 0.0 },
            );
        }
        s.push_str("    ],\n)\n");
        s
    }
}

fn fault(domains: usize) -> impl Strategy<Value = Fault> {
    let place = (0..domains, 0..2usize);
    prop_oneof![
        (place.clone(), 0..60u32, 1..90u32).prop_map(|((d, mx), from, len)| Fault::Down {
            d,
            mx,
            from,
            len
        }),
        (place.clone(), 0..40u32).prop_map(|((d, mx), at)| Fault::ResetAt { d, mx, at }),
        (place.clone(), 1..3u32, 1..900usize).prop_map(|((d, mx), session, after)| {
            Fault::ResetAfter {
                d,
                mx,
                session,
                after,
            }
        }),
        (place.clone(), 0..30u32, 1..20u32).prop_map(|((d, mx), from, len)| Fault::Stall {
            d,
            mx,
            from,
            len
        }),
        (place.clone(), 1..16u32, 1..40u32).prop_map(|((d, mx), delay, until)| Fault::Slow {
            d,
            mx,
            delay,
            until
        }),
        (place, any::<bool>()).prop_map(|((d, mx), duplicate)| Fault::Datagrams {
            d,
            mx,
            duplicate
        }),
    ]
}

fn world() -> impl Strategy<Value = World> {
    (1..=3usize).prop_flat_map(|n| {
        // The backup's preference is worse (higher) than the primary's,
        // as it must be for a backup that relays to the primary.
        let domain = (0..30u16, prop::option::of(1..30u16)).prop_map(|(p, backup)| Domain {
            prefs: std::iter::once(p).chain(backup.map(|b| p + b)).collect(),
        });
        let rcpt = (0..n, 0..3usize);
        let message =
            (0..15u32, prop::collection::vec(rcpt, 1..=3)).prop_map(|(at, to)| Message { at, to });
        (
            any::<u64>(),
            prop::collection::vec(domain, n),
            prop::collection::vec(fault(n), 0..=5),
            prop::collection::vec(message, 1..=4),
            prop_oneof![Just(2u32), Just(48u32)],
        )
            .prop_map(|(seed, domains, faults, messages, max_age_hours)| World {
                seed,
                domains,
                faults,
                messages,
                max_age_hours,
            })
    })
}

// ---------------------------------------------------------------------------
// The checks, from the trace alone.

/// `<bob@example.net>` for `bob@example.net` or `<BOB@example.net>`.
fn path(address: &str) -> String {
    mailflow::trace::state::path(address).to_lowercase()
}

/// Whether the client of `conn` read the server's 250 to its final dot:
/// a reply `2.6.0` (the one that takes a message) on `conn` that arrived
/// before the client closed and before any reset.
fn heard_acceptance(trace: &Trace, conn: ConnId) -> bool {
    let events = trace.events();
    let end = |e: &mailflow::trace::Event| match &e.kind {
        EventKind::Close {
            conn: c,
            dir: Dir::Up,
            ..
        } if *c == conn => Some(e.at),
        EventKind::Reset { conn: c, .. } if *c == conn => Some(e.at),
        _ => None,
    };
    let gone = events.iter().filter_map(end).min();
    events.iter().any(|e| match &e.kind {
        EventKind::Bytes {
            conn: c,
            dir: Dir::Down,
            arrives,
            data,
            ..
        } if *c == conn => {
            String::from_utf8_lossy(data.as_bytes())
                .lines()
                .any(|l| l.starts_with("250 2.6.0"))
                && gone.is_none_or(|g| *arrives <= g)
        }
        _ => false,
    })
}

/// A queue entry: its message id, reverse-path, recipients, and the
/// session it came in on.
type Entry = (String, String, Vec<String>, Option<ConnId>);

/// What went wrong, or nothing.
fn check(trace: &Trace) -> Result<(), String> {
    let events = trace.events();
    // Queue entries: (host, queue id) → (message id, from, rcpts, conn).
    let mut entries: BTreeMap<(HostId, String), Entry> = BTreeMap::new();
    // Each entry's recipients' last fate: relayed, failed, or open.
    let mut fate: BTreeMap<(HostId, String, String), &'static str> = BTreeMap::new();
    let mut delivered: BTreeMap<(String, String), usize> = BTreeMap::new();
    // Sessions that carried a delivery attempt: their client is an MTA.
    let mut attempts: BTreeMap<ConnId, ()> = BTreeMap::new();
    let mut bounces = Vec::new();
    let mut problems = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::Queued {
                host,
                queue_id,
                rest,
            } => {
                let mailflow::trace::QueuedRest {
                    message_id,
                    from,
                    rcpts,
                    conn,
                } = &**rest;
                let rcpts: Vec<String> = rcpts.iter().map(|r| path(r)).collect();
                for r in &rcpts {
                    fate.insert((*host, queue_id.clone(), r.clone()), "queued");
                }
                entries.insert(
                    (*host, queue_id.clone()),
                    (message_id.clone(), from.clone(), rcpts, *conn),
                );
            }
            EventKind::Attempting { conn, .. } => {
                attempts.insert(*conn, ());
            }
            EventKind::Relayed {
                host,
                queue_id,
                rcpts,
                ..
            } => {
                for r in rcpts.iter() {
                    fate.insert((*host, queue_id.clone(), path(r)), "relayed");
                }
            }
            EventKind::Delivered {
                host,
                queue_id,
                rest,
            } => {
                let (mailbox, message_id) = (&rest.mailbox, &rest.message_id);
                fate.insert((*host, queue_id.clone(), path(mailbox)), "delivered");
                *delivered
                    .entry((message_id.clone(), path(mailbox)))
                    .or_default() += 1;
            }
            EventKind::Bounced {
                host,
                queue_id,
                rest,
            } => {
                let (failures, dsn_queue_id) = (&rest.failures, &rest.dsn_queue_id);
                for a in failures {
                    fate.insert((*host, queue_id.clone(), path(&a.rcpt)), "bounced");
                }
                bounces.push((*host, queue_id.clone(), dsn_queue_id.clone()));
            }
            _ => {}
        }
    }
    // A DSN for every bounce, unless the bounced message had `<>`.
    for (host, queue_id, dsn) in &bounces {
        let from = entries
            .get(&(*host, queue_id.clone()))
            .map(|e| e.1.as_str());
        match (dsn, from) {
            (Some(dsn), _) if !entries.contains_key(&(*host, dsn.clone())) => problems.push(
                format!("{queue_id} bounced with a DSN {dsn} that was never queued"),
            ),
            (None, Some(from)) if from != "<>" && !from.is_empty() => problems.push(format!(
                "{queue_id} from {from} bounced without a DSN to its sender"
            )),
            _ => {}
        }
    }
    // Every message, by Message-ID: its recipients from where it entered.
    let mut messages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (message_id, _, rcpts, _) in entries.values() {
        messages
            .entry(message_id.clone())
            .or_insert_with(|| rcpts.clone());
    }
    for e in events {
        if let EventKind::Composed {
            message_id, rest, ..
        } = &e.kind
            && !messages.contains_key(message_id)
        {
            problems.push(format!(
                "{message_id} to {:?} was written but never taken on by a server",
                rest.rcpts
            ));
        }
    }
    for (message_id, rcpts) in &messages {
        for r in rcpts {
            let ends = fate
                .iter()
                .filter(|((h, q, rr), f)| {
                    rr == r
                        && **f != "relayed"
                        && entries
                            .get(&(*h, q.clone()))
                            .is_some_and(|e| &e.0 == message_id)
                })
                .count();
            // §6.1: sessions where an MTA's client never read the 250.
            let unheard = entries
                .values()
                .filter(|(m, _, rr, conn)| {
                    m == message_id
                        && rr.contains(r)
                        && conn.is_some_and(|c| {
                            attempts.contains_key(&c) && !heard_acceptance(trace, c)
                        })
                })
                .count();
            if ends != 1 + unheard {
                problems.push(format!(
                    "{message_id} for {r} ends {ends} time(s) (delivered, bounced or queued), \
                     but the trace shows {unheard} session(s) whose 250 the sender never read: \
                     expected {}",
                    1 + unheard
                ));
            }
            let copies = delivered
                .get(&(message_id.clone(), r.clone()))
                .copied()
                .unwrap_or(0);
            if copies > 1 + unheard {
                problems.push(format!(
                    "{r} holds {copies} copies of {message_id}, with {unheard} unread 250(s) to explain them"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Runs a scenario's text and checks its trace.
fn run_and_check(source: &str, origin: &str) -> Result<(), String> {
    let loaded = mailflow::scenario::parse(source, origin).map_err(|e| format!("{e}"))?;
    let run = mailflow::sim::run(&loaded.plan);
    check(&run.trace)
}

fn cases() -> u32 {
    std::env::var("NEVER_LOST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_message_ends_once_per_recipient_unless_rfc5321_s6_1_explains_it(world in world()) {
        let source = world.ron();
        if let Err(problem) = run_and_check(&source, "generated") {
            prop_assert!(false, "{problem}\n\nthe world, as a scenario:\n{source}");
        }
    }
}

/// Shrunk failing cases and worlds worth keeping, as scenarios, through
/// the same checks.
#[test]
fn every_regression_scenario_holds() {
    let dir = std::fs::read_dir("tests/regressions").expect("tests/regressions is readable");
    let mut files: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression scenarios in tests/regressions"
    );
    for file in files {
        let name = file.to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&file).expect("a regression file is readable");
        if let Err(problem) = run_and_check(&source, &name) {
            panic!("{name}:\n{problem}");
        }
    }
}

/// The checks are not blind: the duplicate-delivery lesson holds two
/// copies with one unread 250 behind them, and the same trace without
/// the reply's late arrival shown would fail.
#[test]
fn the_check_accepts_rfc5321_s6_1_and_sees_a_copy_it_cannot_explain() {
    let loaded = mailflow::scenario::load("duplicate-delivery").expect("bundled");
    let run = mailflow::sim::run(&loaded.plan);
    assert_eq!(check(&run.trace), Ok(()));
    // The same run where the client seems to have read the 250: two
    // copies with nothing to explain the second.
    let mut faked = Trace::new(run.trace.hosts.clone());
    for e in run.trace.events() {
        let kind = match &e.kind {
            EventKind::Close { dir: Dir::Up, .. } | EventKind::Reset { .. } => continue,
            other => other.clone(),
        };
        faked.push(e.at, kind);
    }
    let error = check(&faked).expect_err("two copies, and every 250 read");
    assert!(error.contains("2 copies"), "{error}");
}

/// The generator is not idle: over 96 worlds (a fixed seed),
/// every fault it can write shows in a trace, and mail is delivered,
/// bounced, and sent twice (§6.1) at least once each.
#[test]
fn generated_worlds_meet_every_fault() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..96 {
        let world = world().new_tree(&mut runner).expect("a world").current();
        let loaded = mailflow::scenario::parse(&world.ron(), "generated").expect("it loads");
        let run = mailflow::sim::run(&loaded.plan);
        assert_eq!(check(&run.trace), Ok(()), "{}", world.ron());
        for e in run.trace.events() {
            let kind = match &e.kind {
                EventKind::Reset { why, .. } if why.contains("went down") => "reset by a host down",
                EventKind::Reset { .. } => "reset on the link",
                EventKind::Stalled { .. } => "stalled",
                EventKind::SlowReply { .. } => "slow reply",
                EventKind::Duplicated { .. } => "duplicated",
                EventKind::Reordered { .. } => "reordered",
                EventKind::Delivered { .. } => "delivered",
                EventKind::Bounced { .. } => "bounced",
                EventKind::Deferred { .. } => "deferred",
                _ => continue,
            };
            *seen.entry(kind).or_default() += 1;
        }
        let twice = run.trace.events().iter().filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } => Some((&rest.message_id, &rest.mailbox)),
            _ => None,
        });
        let mut counts: BTreeMap<_, usize> = BTreeMap::new();
        twice.for_each(|k| *counts.entry(k).or_default() += 1);
        if counts.values().any(|&n| n > 1) {
            *seen.entry("delivered twice").or_default() += 1;
        }
    }
    eprintln!("{seen:?}");
    for kind in [
        "reset by a host down",
        "reset on the link",
        "stalled",
        "slow reply",
        "duplicated",
        "reordered",
        "delivered",
        "bounced",
        "deferred",
        "delivered twice",
    ] {
        assert!(seen.contains_key(kind), "no {kind} in 96 worlds: {seen:?}");
    }
}
