//! Queues and mailboxes as they stand at any playhead, for the views that
//! show them. Built once in a walk over the trace, like `index::Index`,
//! and extended when a live trace grows: every queue entry keeps the facts
//! that changed it, each with its seq, so "the queue at `pos`" is a binary
//! search per entry rather than a replay from the start.
//!
//! The queue at `pos` is what the trace says: an entry is listed from its
//! `Queued` until its `Dequeued`, and what happened to it is its facts
//! before `pos` (attempting, deferred, relayed, delivered, bounced...).
//!
//! A playhead `pos` means "the first `pos` events have happened".

use std::collections::BTreeMap;

use super::{
    Attempt, BouncedRest, ComposedRest, ConnId, DeferredRest, DeliveredRest, Event, EventKind,
    HostId, NotifiedRest, QueuedRest, SimTime, Trace,
};
use crate::mail::Headers;

/// An address as a path in angle brackets, `<bob@example.net>`, the way
/// SMTP writes it, whether the node reported it bare or bracketed.
pub fn path(address: &str) -> String {
    let bare = address.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{bare}>")
}

/// Two spellings of one recipient (`<bob@x>`, `bob@x`) compare equal.
fn same_rcpt(a: &str, b: &str) -> bool {
    path(a).eq_ignore_ascii_case(&path(b))
}

/// Something that happened to a queue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A session `conn` carries it to the next hop now.
    Attempting { conn: ConnId, rcpts: Vec<String> },
    /// Attempt `attempt` failed for a while; tried again at `retry_at`.
    Deferred {
        attempt: u32,
        retry_at: SimTime,
        attempts: Vec<Attempt>,
    },
    /// The next hop took these recipients.
    Relayed { rcpts: Vec<String>, to: HostId },
    /// Filed into a mailbox of this host.
    Delivered { mailbox: String },
    /// Given up on; a bounce (`dsn`, a new entry) goes back, unless this
    /// was a bounce itself.
    Bounced {
        failures: Vec<Attempt>,
        dsn: Option<String>,
    },
    /// A report other than a bounce (RFC 3461) went, or was withheld.
    /// Boxed: rare, and four times the size of the other facts, which
    /// every fact would otherwise take (issue 14 §1).
    Notified(Box<Notice>),
    /// Too old to keep trying.
    Expired { rcpts: Vec<String> },
    /// Refused as a mail loop.
    Loop { hops: usize },
}

/// A report other than a bounce (RFC 3461): it went as `dsn`, or was
/// withheld (`None`) for the reason `why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub action: String,
    pub rcpts: Vec<String>,
    pub dsn: Option<String>,
    pub why: String,
}

/// A fact with its place in the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub seq: u64,
    pub at: SimTime,
    pub what: What,
}

/// A queue entry over its whole life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub host: HostId,
    pub queue_id: String,
    pub message_id: String,
    /// The reverse-path, `<>` for a bounce.
    pub from: String,
    pub rcpts: Vec<String>,
    /// The session that brought it; `None` when the host made it (a bounce).
    pub conn: Option<ConnId>,
    pub queued: u64,
    pub queued_at: SimTime,
    pub dequeued: Option<u64>,
    /// In seq order.
    pub facts: Vec<Fact>,
}

impl Entry {
    /// Is it in the queue once the first `pos` events have happened?
    pub fn listed_at(&self, pos: usize) -> bool {
        (self.queued as usize) < pos && self.dequeued.is_none_or(|d| d as usize >= pos)
    }

    /// Its facts among the first `pos` events.
    pub fn facts_at(&self, pos: usize) -> &[Fact] {
        let n = self.facts.partition_point(|f| (f.seq as usize) < pos);
        &self.facts[..n]
    }
}

/// Where one recipient of an entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rcpt {
    /// Nothing tried yet.
    Waiting,
    /// On its way in session `conn`.
    InFlight(ConnId),
    /// Will be tried again; the reason the last try failed.
    Deferred(String),
    Relayed(HostId),
    Delivered(String),
    Failed(String),
    Expired,
}

/// An entry as it stands at a playhead.
#[derive(Debug, Clone, Copy)]
pub struct EntryAt<'a> {
    pub entry: &'a Entry,
    /// Its facts so far.
    pub facts: &'a [Fact],
}

impl EntryAt<'_> {
    /// The last thing that happened to it, if anything did.
    pub fn last(&self) -> Option<&Fact> {
        self.facts.last()
    }

    /// Made and filed on one host, carried by no session: a bounce to a
    /// local sender goes straight into the mailbox, no `MAIL FROM` said.
    pub fn filed_locally(&self) -> Option<&str> {
        if self.entry.conn.is_some() || self.attempts() > 0 {
            return None;
        }
        self.facts.iter().find_map(|f| match &f.what {
            What::Delivered { mailbox } => Some(mailbox.as_str()),
            _ => None,
        })
    }

    /// Attempts started so far.
    pub fn attempts(&self) -> usize {
        self.facts
            .iter()
            .filter(|f| matches!(f.what, What::Attempting { .. }))
            .count()
    }

    /// Each recipient, as `<path>`, with where it stands: the last fact
    /// that names it (delivery names the mailbox).
    pub fn rcpts(&self) -> Vec<(String, Rcpt)> {
        let mut out: Vec<(String, Rcpt)> = self
            .entry
            .rcpts
            .iter()
            .map(|r| (path(r), Rcpt::Waiting))
            .collect();
        let mut set = |r: &str, state: Rcpt| match out.iter_mut().find(|(p, _)| same_rcpt(p, r)) {
            Some(slot) => slot.1 = state,
            None => out.push((path(r), state)),
        };
        for f in self.facts {
            match &f.what {
                What::Attempting { conn, rcpts } => {
                    rcpts.iter().for_each(|r| set(r, Rcpt::InFlight(*conn)))
                }
                What::Deferred { attempts, .. } => attempts
                    .iter()
                    .for_each(|a| set(&a.rcpt, Rcpt::Deferred(a.reason.clone()))),
                What::Relayed { rcpts, to } => {
                    rcpts.iter().for_each(|r| set(r, Rcpt::Relayed(*to)))
                }
                What::Delivered { mailbox } => set(mailbox, Rcpt::Delivered(mailbox.clone())),
                What::Bounced { failures, .. } => failures
                    .iter()
                    .for_each(|a| set(&a.rcpt, Rcpt::Failed(a.reason.clone()))),
                What::Expired { rcpts } => rcpts.iter().for_each(|r| set(r, Rcpt::Expired)),
                // A failure NOTIFY kept from the sender is still a failure.
                What::Notified(notice) if notice.dsn.is_none() && notice.action == "failed" => {
                    let why = &notice.why;
                    notice
                        .rcpts
                        .iter()
                        .for_each(|r| set(r, Rcpt::Failed(why.clone())))
                }
                What::Notified(_) => {}
                What::Loop { hops } => {
                    let why = format!("a mail loop: {hops} Received headers");
                    for r in &self.entry.rcpts {
                        set(r, Rcpt::Failed(why.clone()));
                    }
                }
            }
        }
        out
    }
}

/// A message in a mailbox over its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub uid: String,
    pub queue_id: String,
    pub subject: String,
    pub from: String,
    pub at: SimTime,
    pub delivered: u64,
    pub removed: Option<u64>,
}

impl Stored {
    fn held_at(&self, pos: usize) -> bool {
        (self.delivered as usize) < pos && self.removed.is_none_or(|r| r as usize >= pos)
    }
}

/// A message a client wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub seq: u64,
    pub host: HostId,
    pub from: String,
    pub rcpts: Vec<String>,
}

/// Queues and mailboxes of a run, answerable at any playhead.
#[derive(Debug, Default)]
pub struct State {
    /// Every entry, in the order it was queued.
    entries: Vec<Entry>,
    /// The entry a (host, queue id) names now: facts go to it.
    current: BTreeMap<(HostId, String), usize>,
    /// Mailboxes by (host, address), their messages in delivery order.
    boxes: BTreeMap<(HostId, String), Vec<Stored>>,
    /// Messages written by clients, by Message-ID.
    composed: BTreeMap<String, Composed>,
    /// Only the queue entries are kept (`State::queues`): `boxes` and
    /// `composed` stay empty.
    queues_only: bool,
    indexed: usize,
}

/// A mailbox at a playhead: its messages held then (none once fetched).
pub type Mailbox<'a> = ((HostId, &'a str), Vec<&'a Stored>);

impl State {
    pub fn build(trace: &Trace) -> State {
        let mut state = State::default();
        state.extend(trace);
        state
    }

    /// The queue entries alone (`entries`, `entry`, `queue_at`,
    /// `hops_at`), without the mailboxes and the messages composed: what
    /// the expectations read. At a million messages those two are ~0.5
    /// KiB a message, and every delivery's headers parsed (issue 14 §1).
    pub fn queues(trace: &Trace) -> State {
        let mut state = State {
            queues_only: true,
            ..State::default()
        };
        state.extend(trace);
        state
    }

    /// Takes in the events appended since the last call. The trace must
    /// be the one seen so far, grown only at its end.
    pub fn extend(&mut self, trace: &Trace) {
        let events = trace.events();
        let start = self.indexed.min(events.len());
        for event in &events[start..] {
            self.note(event);
        }
        self.indexed = events.len();
    }

    fn fact(&mut self, event: &Event, host: HostId, queue_id: &str, what: What) {
        if let Some(&i) = self.current.get(&(host, queue_id.to_owned())) {
            // An entry has a few facts (two or three when all goes well):
            // grown one at a time, not to four at the first.
            let facts = &mut self.entries[i].facts;
            facts.reserve_exact(1);
            facts.push(Fact {
                seq: event.seq,
                at: event.at,
                what,
            });
        }
    }

    fn note(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Composed {
                host,
                message_id,
                rest,
            } if !self.queues_only => {
                let ComposedRest { from, rcpts } = &**rest;
                self.composed.insert(
                    message_id.clone(),
                    Composed {
                        seq: event.seq,
                        host: *host,
                        from: from.clone(),
                        rcpts: rcpts.clone(),
                    },
                );
            }
            EventKind::Queued {
                host,
                queue_id,
                rest,
            } => {
                let QueuedRest {
                    message_id,
                    from,
                    rcpts,
                    conn,
                } = &**rest;
                self.current
                    .insert((*host, queue_id.clone()), self.entries.len());
                self.entries.push(Entry {
                    host: *host,
                    queue_id: queue_id.clone(),
                    message_id: message_id.clone(),
                    from: from.clone(),
                    rcpts: rcpts.clone(),
                    conn: *conn,
                    queued: event.seq,
                    queued_at: event.at,
                    dequeued: None,
                    facts: Vec::new(),
                });
            }
            EventKind::Dequeued { host, queue_id } => {
                if let Some(i) = self.current.remove(&(*host, queue_id.clone())) {
                    self.entries[i].dequeued = Some(event.seq);
                }
            }
            EventKind::Attempting {
                host,
                queue_id,
                conn,
                rcpts,
            } => {
                let what = What::Attempting {
                    conn: *conn,
                    rcpts: rcpts.to_vec(),
                };
                self.fact(event, *host, queue_id, what);
            }
            EventKind::Deferred {
                host,
                queue_id,
                rest,
            } => {
                let DeferredRest {
                    attempts,
                    retry_at,
                    attempt,
                } = &**rest;
                let what = What::Deferred {
                    attempt: *attempt,
                    retry_at: *retry_at,
                    attempts: attempts.clone(),
                };
                self.fact(event, *host, queue_id, what);
            }
            EventKind::Relayed {
                host,
                queue_id,
                rcpts,
                to,
            } => {
                let what = What::Relayed {
                    rcpts: rcpts.to_vec(),
                    to: *to,
                };
                self.fact(event, *host, queue_id, what);
            }
            EventKind::Bounced {
                host,
                queue_id,
                rest,
            } => {
                let BouncedRest {
                    failures,
                    dsn_queue_id,
                } = &**rest;
                let what = What::Bounced {
                    failures: failures.clone(),
                    dsn: dsn_queue_id.clone(),
                };
                self.fact(event, *host, queue_id, what);
            }
            EventKind::Notified {
                host,
                queue_id,
                rest,
            } => {
                let NotifiedRest {
                    action,
                    rcpts,
                    dsn_queue_id,
                    why,
                } = &**rest;
                let what = What::Notified(Box::new(Notice {
                    action: action.clone(),
                    rcpts: rcpts.clone(),
                    dsn: dsn_queue_id.clone(),
                    why: why.clone(),
                }));
                self.fact(event, *host, queue_id, what);
            }
            EventKind::Expired {
                host,
                queue_id,
                rcpts,
            } => {
                let what = What::Expired {
                    rcpts: rcpts.to_vec(),
                };
                self.fact(event, *host, queue_id, what);
            }
            EventKind::LoopDetected {
                host,
                queue_id,
                hops,
            } => self.fact(event, *host, queue_id, What::Loop { hops: *hops }),
            EventKind::Delivered {
                host,
                queue_id,
                rest,
            } => {
                let DeliveredRest {
                    mailbox,
                    uid,
                    content,
                    ..
                } = &**rest;
                let what = What::Delivered {
                    mailbox: mailbox.clone(),
                };
                self.fact(event, *host, queue_id, what);
                if self.queues_only {
                    return;
                }
                let content = content.as_bytes();
                let headers = Headers::parse(&content);
                self.boxes
                    .entry((*host, mailbox.clone()))
                    .or_default()
                    .push(Stored {
                        uid: uid.clone(),
                        queue_id: queue_id.clone(),
                        subject: headers.get_decoded("Subject").unwrap_or_default(),
                        from: headers.get("From").unwrap_or_default().to_owned(),
                        at: event.at,
                        delivered: event.seq,
                        removed: None,
                    });
            }
            EventKind::Removed {
                host,
                mailbox,
                uids,
            } if !self.queues_only => {
                if let Some(stored) = self.boxes.get_mut(&(*host, mailbox.clone())) {
                    for s in stored
                        .iter_mut()
                        .filter(|s| s.removed.is_none() && uids.contains(&s.uid))
                    {
                        s.removed = Some(event.seq);
                    }
                }
            }
            _ => {}
        }
    }

    /// Every entry ever queued, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The queue entries listed at `pos`, in the order they were queued,
    /// with what had happened to each by then.
    pub fn queue_at(&self, pos: usize) -> Vec<EntryAt<'_>> {
        let queued = self.entries.partition_point(|e| (e.queued as usize) < pos);
        self.entries[..queued]
            .iter()
            .filter(|e| e.listed_at(pos))
            .map(|entry| EntryAt {
                entry,
                facts: entry.facts_at(pos),
            })
            .collect()
    }

    /// The entries of one message queued among the first `pos` events, in
    /// order: its hops.
    pub fn hops_at<'a>(
        &'a self,
        message_id: &'a str,
        pos: usize,
    ) -> impl Iterator<Item = &'a Entry> {
        let queued = self.entries.partition_point(|e| (e.queued as usize) < pos);
        self.entries[..queued]
            .iter()
            .filter(move |e| e.message_id == message_id)
    }

    /// The entry `queue_id` of `host` that was queued last.
    pub fn entry(&self, host: HostId, queue_id: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.host == host && e.queue_id == queue_id)
    }

    /// Every mailbox that has received mail by `pos`, with the messages
    /// it holds then.
    pub fn mailboxes_at(&self, pos: usize) -> Vec<Mailbox<'_>> {
        debug_assert!(!self.queues_only, "mailboxes of a state of queues alone");
        self.boxes
            .iter()
            .filter(|(_, stored)| stored.first().is_some_and(|s| (s.delivered as usize) < pos))
            .map(|((host, address), stored)| {
                let held = stored.iter().filter(|s| s.held_at(pos)).collect();
                ((*host, address.as_str()), held)
            })
            .collect()
    }

    /// How many messages mailbox `address` of `host` was ever given.
    pub fn filed(&self, host: HostId, address: &str) -> usize {
        debug_assert!(!self.queues_only, "mailboxes of a state of queues alone");
        self.boxes
            .get(&(host, address.to_owned()))
            .map_or(0, Vec::len)
    }

    /// What a client wrote, by Message-ID.
    pub fn composed(&self, message_id: &str) -> Option<&Composed> {
        debug_assert!(
            !self.queues_only,
            "messages composed of a state of queues alone"
        );
        self.composed.get(message_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace() -> Trace {
        let mut t = Trace::new(Vec::new());
        let (h, at) = (HostId(0), SimTime::ZERO);
        let q = |id: &str| EventKind::Queued {
            host: h,
            queue_id: id.into(),
            rest: Box::new(crate::trace::QueuedRest {
                message_id: "<m@x>".into(),
                from: "<a@x>".into(),
                rcpts: vec!["<b@y>".into()],
                conn: None,
            }),
        };
        t.push(at, q("Q1")); // 0
        t.push(
            at,
            EventKind::Attempting {
                host: h,
                queue_id: "Q1".into(),
                conn: ConnId(3),
                rcpts: vec!["b@y".into()].into(),
            },
        ); // 1
        t.push(
            at,
            EventKind::Deferred {
                host: h,
                queue_id: "Q1".into(),
                rest: Box::new(DeferredRest {
                    attempts: vec![Attempt {
                        rcpt: "b@y".into(),
                        reason: "450 later".into(),
                    }],
                    retry_at: SimTime::from(std::time::Duration::from_secs(60)),
                    attempt: 1,
                }),
            },
        ); // 2
        t.push(
            at,
            EventKind::Delivered {
                host: h,
                queue_id: "Q1".into(),
                rest: Box::new(crate::trace::DeliveredRest {
                    mailbox: "b@y".into(),
                    uid: "u1".into(),
                    message_id: "<m@x>".into(),
                    content: crate::trace::Letter::new(b"Subject: hi\r\n\r\nbody\r\n"),
                }),
            },
        ); // 3
        t.push(
            at,
            EventKind::Dequeued {
                host: h,
                queue_id: "Q1".into(),
            },
        ); // 4
        t
    }

    #[test]
    fn an_entry_is_listed_from_queued_until_dequeued() {
        let s = State::build(&trace());
        let listed: Vec<usize> = (0..=5).map(|p| s.queue_at(p).len()).collect();
        assert_eq!(listed, [0, 1, 1, 1, 1, 0]);
    }

    #[test]
    fn a_recipient_reads_as_a_path_and_follows_its_last_fact() {
        let s = State::build(&trace());
        let rcpt = |pos| s.queue_at(pos)[0].rcpts();
        assert_eq!(rcpt(1), [("<b@y>".to_owned(), Rcpt::Waiting)]);
        assert_eq!(rcpt(2), [("<b@y>".to_owned(), Rcpt::InFlight(ConnId(3)))]);
        assert_eq!(
            rcpt(3),
            [("<b@y>".to_owned(), Rcpt::Deferred("450 later".into()))]
        );
        assert_eq!(
            rcpt(4),
            [("<b@y>".to_owned(), Rcpt::Delivered("b@y".into()))]
        );
    }

    #[test]
    fn a_live_trace_extends_to_the_same_state() {
        let full = trace();
        let mut grown = Trace::new(Vec::new());
        let mut s = State::default();
        for e in full.events() {
            grown.push(e.at, e.kind.clone());
            s.extend(&grown);
        }
        assert_eq!(s.entries(), State::build(&full).entries());
    }

    #[test]
    fn mailboxes_hold_what_was_delivered_and_not_removed() {
        let mut t = trace();
        t.push(
            SimTime::ZERO,
            EventKind::Removed {
                host: HostId(0),
                mailbox: "b@y".into(),
                uids: vec!["u1".into()].into(),
            },
        ); // 5
        let s = State::build(&t);
        assert!(s.mailboxes_at(3).is_empty());
        assert_eq!(s.mailboxes_at(4)[0].1.len(), 1);
        assert_eq!(s.mailboxes_at(4)[0].1[0].subject, "hi");
        assert_eq!(s.mailboxes_at(6)[0].1.len(), 0);
    }

    /// The expectations' state holds every queue entry and fact the
    /// views' state holds, on every bundled scenario, and no mailbox.
    #[test]
    fn a_state_of_queues_holds_the_same_entries() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let trace = crate::sim::run(&plan).trace;
            let (full, queues) = (State::build(&trace), State::queues(&trace));
            assert_eq!(queues.entries(), full.entries(), "{name}");
            assert!(
                queues.boxes.is_empty() && queues.composed.is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn paths_are_bracketed_once() {
        assert_eq!(path("bob@x"), "<bob@x>");
        assert_eq!(path("<bob@x>"), "<bob@x>");
        assert_eq!(path("<>"), "<>");
    }
}
