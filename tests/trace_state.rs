//! The queues the dashboard shows are what the trace says, at every
//! playhead of every bundled scenario: `trace::state` answers from its
//! change lists, and here a plain replay of the events before the
//! playhead answers the same questions the slow way.

use std::collections::BTreeMap;

use mailflow::scenario;
use mailflow::sim;
use mailflow::trace::state::{Rcpt, State};
use mailflow::trace::{EventKind, HostId, Trace};

fn trace_of(name: &str) -> Trace {
    let loaded = scenario::load(name).unwrap_or_else(|e| panic!("{name} loads:\n{e}"));
    sim::run(&loaded.plan).trace
}

/// The (host, queue id) an event speaks of, and whether it is a fact
/// about the entry (not its coming or going).
fn entry_of(kind: &EventKind) -> Option<((HostId, String), bool)> {
    let (host, id, fact) = match kind {
        EventKind::Queued { host, queue_id, .. } | EventKind::Dequeued { host, queue_id } => {
            (host, queue_id, false)
        }
        EventKind::Attempting { host, queue_id, .. }
        | EventKind::Deferred { host, queue_id, .. }
        | EventKind::Relayed { host, queue_id, .. }
        | EventKind::Delivered { host, queue_id, .. }
        | EventKind::Bounced { host, queue_id, .. }
        | EventKind::Notified { host, queue_id, .. }
        | EventKind::Expired { host, queue_id, .. }
        | EventKind::LoopDetected { host, queue_id, .. } => (host, queue_id, true),
        _ => return None,
    };
    Some(((*host, id.clone()), fact))
}

#[test]
fn queue_at_every_playhead_is_queued_minus_dequeued_with_its_last_fact() {
    for (name, _) in scenario::bundled::BUNDLED {
        let trace = trace_of(name);
        let state = State::build(&trace);
        // The slow way: walk the events, keep what is queued and the seq
        // of the last fact about it.
        let mut queue: BTreeMap<(HostId, String), Option<u64>> = BTreeMap::new();
        for pos in 0..=trace.len() {
            if let Some(e) = pos.checked_sub(1).map(|i| &trace.events()[i]) {
                match (&e.kind, entry_of(&e.kind)) {
                    (EventKind::Queued { .. }, Some((key, _))) => {
                        queue.insert(key, None);
                    }
                    (EventKind::Dequeued { .. }, Some((key, _))) => {
                        queue.remove(&key);
                    }
                    (_, Some((key, true))) => {
                        if let Some(last) = queue.get_mut(&key) {
                            *last = Some(e.seq);
                        }
                    }
                    _ => {}
                }
            }
            let shown: BTreeMap<(HostId, String), Option<u64>> = state
                .queue_at(pos)
                .iter()
                .map(|q| {
                    let key = (q.entry.host, q.entry.queue_id.clone());
                    (key, q.last().map(|f| f.seq))
                })
                .collect();
            assert_eq!(shown, queue, "{name} at event {pos}");
        }
    }
}

/// The bare, lower-cased address of a path.
fn bare(r: &str) -> String {
    r.trim_matches(['<', '>']).to_lowercase()
}

#[test]
fn a_recipient_waits_for_its_first_attempt_only_before_one_names_it() {
    for (name, _) in scenario::bundled::BUNDLED {
        let trace = trace_of(name);
        let state = State::build(&trace);
        for pos in 0..=trace.len() {
            for q in state.queue_at(pos) {
                let attempted: Vec<String> = trace.events()[..pos]
                    .iter()
                    .filter_map(|e| match &e.kind {
                        EventKind::Attempting {
                            host,
                            queue_id,
                            rcpts,
                            ..
                        } if *host == q.entry.host && *queue_id == q.entry.queue_id => {
                            Some(rcpts.iter().map(|r| bare(r)))
                        }
                        _ => None,
                    })
                    .flatten()
                    .collect();
                for (rcpt, stands) in q.rcpts() {
                    if attempted.contains(&bare(&rcpt)) {
                        assert_ne!(
                            stands,
                            Rcpt::Waiting,
                            "{name} at event {pos}: {} to {rcpt} reads as waiting after an attempt",
                            q.entry.queue_id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn recipients_read_as_paths_in_angle_brackets() {
    for (name, _) in scenario::bundled::BUNDLED {
        let trace = trace_of(name);
        let state = State::build(&trace);
        for pos in 0..=trace.len() {
            for q in state.queue_at(pos) {
                for (rcpt, _) in q.rcpts() {
                    assert!(
                        rcpt.starts_with('<') && rcpt.ends_with('>') && !rcpt.starts_with("<<"),
                        "{name} at event {pos}: {rcpt}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_growing_trace_gives_the_state_of_the_finished_one() {
    let full = trace_of("greylisting");
    let mut grown = Trace::new(full.hosts.clone());
    let mut state = State::default();
    for (i, e) in full.events().iter().enumerate() {
        grown.push(e.at, e.kind.clone());
        if i % 7 == 0 {
            state.extend(&grown);
        }
    }
    state.extend(&grown);
    assert_eq!(state.entries(), State::build(&full).entries());
}
