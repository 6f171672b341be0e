//! A live world in sittings: `mailflow serve --record FILE` stopped (or
//! killed) and started again on the same file goes on where it stopped.
//! What the nodes held is read back from the trace, the one truth:
//! mailboxes are what was delivered minus what POP3 removed, queue ids
//! and connection numbers go on after the last ones used, and the
//! scenario's own sends and fetches that were due before the last event
//! are not done twice.
//!
//! Queue entries still waiting for delivery are not carried on: the trace
//! keeps each message's bytes as they crossed a wire and as they were
//! filed, not the queue's copy. They are listed (`waiting`), so the
//! caller can say so.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::node::mta::Kept;
use crate::trace::state::State;
use crate::trace::{EventKind, HostId, SimTime, Trace};

/// What earlier sittings left, read from their trace.
#[derive(Debug, Clone, Default)]
pub struct Continuation {
    /// The time of the last event.
    pub last: SimTime,
    /// Events so far: the next one's sequence number.
    pub events: u64,
    /// Connections numbered so far: the next one's number.
    pub conns: u32,
    /// What each MTA held.
    pub mtas: BTreeMap<HostId, Kept>,
    /// Queue entries that were still waiting, by host: not carried on.
    pub waiting: Vec<(HostId, String)>,
}

impl Continuation {
    /// Reads what `trace` leaves the nodes: its mailboxes and queue as
    /// the views see them at its end (`trace::state`), and the numbers it
    /// used.
    pub fn of(trace: &Trace) -> Continuation {
        let end = trace.len();
        let state = State::build(trace);
        let mut c = Continuation {
            last: trace.events().last().map_or(SimTime::ZERO, |e| e.at),
            events: end as u64,
            conns: trace
                .events()
                .iter()
                .filter_map(|e| match e.kind {
                    EventKind::Connect { conn, .. } => Some(conn.0.saturating_add(1)),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
            ..Continuation::default()
        };
        for entry in state.entries() {
            c.mta(entry.host).queue_ids.push(entry.queue_id.clone());
        }
        c.waiting = state
            .queue_at(end)
            .iter()
            .map(|e| (e.entry.host, e.entry.queue_id.clone()))
            .collect();
        for ((host, address), held) in state.mailboxes_at(end) {
            let kept = c.mta(host);
            // Every message filed counts, held or not: unique-ids count on.
            kept.stored += state.filed(host, address) as u64;
            let mailbox = kept.mailboxes.entry(address.to_owned()).or_default();
            for stored in held {
                if let Some(EventKind::Delivered { rest, .. }) = trace
                    .events()
                    .get(stored.delivered as usize)
                    .map(|e| &e.kind)
                {
                    mailbox.push((stored.uid.clone(), rest.content.clone()));
                }
            }
        }
        c
    }

    fn mta(&mut self, host: HostId) -> &mut Kept {
        self.mtas.entry(host).or_default()
    }
}

/// One sitting of a live world: where its clock stands against the wall
/// clock, and what it goes on from.
#[derive(Debug, Clone)]
pub struct Sitting {
    /// The Unix second of the world's zero (of its first sitting): the
    /// world's time `t` is `start_unix + t` in every sitting.
    pub start_unix: i64,
    /// The time the world's clock reads as this sitting starts.
    pub at: SimTime,
    pub carried: Option<Continuation>,
}

impl Sitting {
    /// A world's first sitting: zero is the second that began just now.
    pub fn first() -> Sitting {
        let now = since_epoch();
        Sitting {
            start_unix: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
            at: SimTime::from(Duration::from_nanos(u64::from(now.subsec_nanos()))),
            carried: None,
        }
    }

    /// A later sitting of the world that started at `start_unix`: its
    /// clock reads the real time since then, the time it was down
    /// included, and never less than the last event's time (a clock set
    /// back makes no gap rather than a trace that runs backwards).
    pub fn after(start_unix: i64, carried: Continuation) -> Sitting {
        let start = Duration::from_secs(u64::try_from(start_unix).unwrap_or(0));
        let at = SimTime::from(since_epoch().saturating_sub(start)).max(carried.last);
        Sitting {
            start_unix,
            at,
            carried: Some(carried),
        }
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::ConnId;

    fn hosts() -> Vec<crate::trace::HostInfo> {
        crate::scenario::load("hello")
            .expect("bundled")
            .plan
            .hosts
            .iter()
            .map(|h| crate::trace::HostInfo {
                name: h.name.clone(),
                ip: h.ip,
                role: h.role,
                down: Vec::new(),
                label: h.label.clone(),
            })
            .collect()
    }

    fn at(ms: u64) -> SimTime {
        SimTime::from(Duration::from_millis(ms))
    }

    #[test]
    fn mailboxes_hold_what_was_delivered_and_not_removed_rfc1939_6() {
        let mx = HostId(2);
        let mut trace = Trace::new(hosts());
        let delivered = |uid: &str| EventKind::Delivered {
            host: mx,
            queue_id: format!("MX{uid}"),
            rest: Box::new(crate::trace::DeliveredRest {
                mailbox: "bob@example.net".into(),
                uid: uid.into(),
                message_id: format!("<{uid}@x>"),
                content: crate::trace::Letter::new(uid.as_bytes()),
            }),
        };
        trace.push(at(1), delivered("a"));
        trace.push(at(2), delivered("b"));
        trace.push(at(3), delivered("c"));
        trace.push(
            at(4),
            EventKind::Removed {
                host: mx,
                mailbox: "bob@example.net".into(),
                uids: vec!["a".into(), "c".into()].into(),
            },
        );
        let c = Continuation::of(&trace);
        let kept = &c.mtas[&mx];
        let uids: Vec<&str> = kept.mailboxes["bob@example.net"]
            .iter()
            .map(|(uid, _)| uid.as_str())
            .collect();
        assert_eq!(uids, ["b"]);
        assert_eq!(kept.stored, 3);
        assert_eq!((c.last, c.events), (at(4), 4));
    }

    #[test]
    fn queue_ids_and_connections_go_on_and_waiting_entries_are_listed() {
        let (smtp, mx) = (HostId(1), HostId(2));
        let mut trace = Trace::new(hosts());
        let queued = |host, id: &str| EventKind::Queued {
            host,
            queue_id: id.into(),
            rest: Box::new(crate::trace::QueuedRest {
                message_id: "<m@x>".into(),
                from: "<a@x>".into(),
                rcpts: vec!["<b@y>".into()],
                conn: None,
            }),
        };
        trace.push(
            at(1),
            EventKind::Connect {
                conn: ConnId(6),
                from: smtp,
                to: mx,
                port: 25,
                protocol: crate::trace::Protocol::Smtp,
                real: None,
            },
        );
        trace.push(at(2), queued(smtp, "SMTP0001"));
        trace.push(at(3), queued(mx, "MX0001"));
        trace.push(
            at(4),
            EventKind::Dequeued {
                host: mx,
                queue_id: "MX0001".into(),
            },
        );
        let c = Continuation::of(&trace);
        assert_eq!(c.conns, 7);
        assert_eq!(c.mtas[&smtp].queue_ids, ["SMTP0001"]);
        assert_eq!(c.waiting, [(smtp, "SMTP0001".to_owned())]);
    }

    #[test]
    fn a_later_sitting_never_starts_before_the_last_event() {
        let future = Continuation {
            last: SimTime::from(Duration::from_secs(1 << 40)),
            ..Continuation::default()
        };
        let now = Sitting::first();
        let later = Sitting::after(now.start_unix, future.clone());
        assert_eq!(later.at, future.last);
        let later = Sitting::after(now.start_unix, Continuation::default());
        assert!(later.at >= now.at, "{:?} < {:?}", later.at, now.at);
    }
}
