//! Two runs of one world side by side (a run and its what-if branch):
//! where they part, and what became of each recipient in each, from the
//! queue facts of `state`.

use super::state::{EntryAt, Rcpt, State, What, path};
use super::{EventKind, SimTime, Trace};

/// The first event at which the two runs differ (its index in both), or
/// `None` when they are the same.
pub fn fork(a: &Trace, b: &Trace) -> Option<usize> {
    let (ea, eb) = (a.events(), b.events());
    let same = ea
        .iter()
        .zip(eb)
        .take_while(|(x, y)| x.at == y.at && x.kind == y.kind)
        .count();
    (same < ea.len().max(eb.len())).then_some(same)
}

/// How one recipient of one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Delivered {
        at: SimTime,
    },
    /// Refused for good: the reason, and where the bounce went.
    Bounced {
        at: SimTime,
        reason: String,
        dsn_to: Option<String>,
    },
    Expired {
        at: SimTime,
        dsn_to: Option<String>,
    },
    /// Still queued (or on its way) when the run ended.
    Queued {
        why: String,
    },
}

/// What became of one recipient of a message written by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fate {
    pub message_id: String,
    /// As a path, `<bob@example.net>`.
    pub rcpt: String,
    pub end: End,
    /// Hosts that queued it for this recipient: its SMTP hops.
    pub hops: usize,
    /// When each deferral said to try again.
    pub retries: Vec<SimTime>,
}

/// Every recipient of every message a client wrote, in the order written.
pub fn fates(trace: &Trace, state: &State) -> Vec<Fate> {
    let mut out = Vec::new();
    for event in trace.events() {
        let EventKind::Composed {
            message_id, rest, ..
        } = &event.kind
        else {
            continue;
        };
        let rcpts = &rest.rcpts;
        for rcpt in rcpts {
            out.push(fate(state, message_id, &path(rcpt)));
        }
    }
    out
}

fn fate(store: &State, message_id: &str, rcpt: &str) -> Fate {
    let entries = store
        .entries()
        .iter()
        .filter(|e| e.message_id == message_id)
        .filter(|e| e.rcpts.iter().any(|r| path(r).eq_ignore_ascii_case(rcpt)));
    let mut fate = Fate {
        message_id: message_id.to_owned(),
        rcpt: rcpt.to_owned(),
        end: End::Queued {
            why: "not queued anywhere".into(),
        },
        hops: 0,
        retries: Vec::new(),
    };
    for entry in entries {
        fate.hops += 1;
        let at = EntryAt {
            entry,
            facts: &entry.facts,
        };
        for f in &entry.facts {
            if let What::Deferred {
                attempts, retry_at, ..
            } = &f.what
                && attempts
                    .iter()
                    .any(|a| path(&a.rcpt).eq_ignore_ascii_case(rcpt))
            {
                fate.retries.push(*retry_at);
            }
        }
        let standing = at
            .rcpts()
            .into_iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(rcpt))
            .map(|(_, s)| s);
        let dsn_to = || {
            entry.facts.iter().find_map(|f| match &f.what {
                What::Bounced { dsn: Some(dsn), .. } => store
                    .entry(entry.host, dsn)
                    .and_then(|d| d.rcpts.first())
                    .map(|r| path(r)),
                _ => None,
            })
        };
        let when = |pick: fn(&What) -> bool| {
            entry
                .facts
                .iter()
                .rev()
                .find(|f| pick(&f.what))
                .map_or(SimTime::ZERO, |f| f.at)
        };
        fate.end = match standing {
            Some(Rcpt::Delivered(_)) => End::Delivered {
                at: when(|w| matches!(w, What::Delivered { .. })),
            },
            Some(Rcpt::Failed(reason)) => End::Bounced {
                at: when(|w| matches!(w, What::Bounced { .. } | What::Loop { .. })),
                reason,
                dsn_to: dsn_to(),
            },
            Some(Rcpt::Expired) => End::Expired {
                at: when(|w| matches!(w, What::Expired { .. })),
                dsn_to: dsn_to(),
            },
            // Passed on: the next host's entry says what came of it.
            Some(Rcpt::Relayed(_)) => End::Queued {
                why: "handed on, not yet queued at the next hop".into(),
            },
            Some(Rcpt::Deferred(reason)) => End::Queued {
                why: format!("deferred: {reason}"),
            },
            Some(Rcpt::InFlight(_)) => End::Queued {
                why: "on its way when the run ended".into(),
            },
            Some(Rcpt::Waiting) | None => End::Queued {
                why: "waiting for its first attempt".into(),
            },
        };
    }
    fate
}

impl End {
    /// In a few words: `delivered at +0.110s`.
    pub fn words(&self) -> String {
        match self {
            End::Delivered { at } => format!("delivered at {at}"),
            End::Bounced { at, reason, dsn_to } => {
                let dsn = dsn_to
                    .as_ref()
                    .map_or(String::new(), |to| format!("; DSN to {to}"));
                format!("bounced at {at} ({reason}){dsn}")
            }
            End::Expired { at, dsn_to } => {
                let dsn = dsn_to
                    .as_ref()
                    .map_or(String::new(), |to| format!("; DSN to {to}"));
                format!("expired at {at}{dsn}")
            }
            End::Queued { why } => format!("still queued ({why})"),
        }
    }

    /// One word for the outcome, to say whether it changed.
    pub fn kind(&self) -> &'static str {
        match self {
            End::Delivered { .. } => "delivered",
            End::Bounced { .. } => "bounced",
            End::Expired { .. } => "expired",
            End::Queued { .. } => "queued",
        }
    }
}

impl Fate {
    /// The end, the hops and the retries, in a line.
    pub fn words(&self) -> String {
        let retries = match self.retries.as_slice() {
            [] => "no retry".to_owned(),
            times => {
                let list: Vec<String> = times.iter().map(ToString::to_string).collect();
                format!("retried at {}", list.join(", "))
            }
        };
        let hops = match self.hops {
            1 => "1 hop".to_owned(),
            n => format!("{n} hops"),
        };
        format!("{}, {hops}, {retries}", self.end.words())
    }
}

/// One recipient in both runs (`None` where a run has no such message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub message_id: String,
    pub rcpt: String,
    pub before: Option<Fate>,
    pub after: Option<Fate>,
}

impl Change {
    /// The outcome differs, not only its time.
    pub fn outcome_changed(&self) -> bool {
        self.before.as_ref().map(|f| f.end.kind()) != self.after.as_ref().map(|f| f.end.kind())
    }

    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Every recipient of both runs, paired by message and recipient, in the
/// order of the first run (then the second's own).
pub fn changes(before: &[Fate], after: &[Fate]) -> Vec<Change> {
    let key = |f: &Fate| (f.message_id.clone(), f.rcpt.to_lowercase());
    let mut out: Vec<Change> = before
        .iter()
        .map(|b| Change {
            message_id: b.message_id.clone(),
            rcpt: b.rcpt.clone(),
            before: Some(b.clone()),
            after: after.iter().find(|a| key(a) == key(b)).cloned(),
        })
        .collect();
    for a in after {
        if !before.iter().any(|b| key(b) == key(a)) {
            out.push(Change {
                message_id: a.message_id.clone(),
                rcpt: a.rcpt.clone(),
                before: None,
                after: Some(a.clone()),
            });
        }
    }
    out
}

/// Counts of a run for the summary: deferrals, bounces (DSNs sent), and
/// when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub events: usize,
    pub deferrals: usize,
    pub dsns: usize,
    pub ended: SimTime,
}

pub fn totals(trace: &Trace) -> Totals {
    let events = trace.events();
    Totals {
        events: events.len(),
        deferrals: events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Deferred { .. }))
            .count(),
        dsns: events
            .iter()
            .filter(|e| {
                matches!(
                    &e.kind,
                    EventKind::Bounced { rest, .. } if rest.dsn_queue_id.is_some()
                )
            })
            .count(),
        ended: events.last().map_or(SimTime::ZERO, |e| e.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::HostId;

    fn trace(kinds: &[EventKind]) -> Trace {
        let mut t = Trace::new(Vec::new());
        for k in kinds {
            t.push(SimTime::ZERO, k.clone());
        }
        t
    }

    fn wake(why: &str) -> EventKind {
        EventKind::Wake {
            host: HostId(0),
            why: why.into(),
        }
    }

    #[test]
    fn the_fork_is_the_first_event_that_differs() {
        let a = trace(&[wake("a"), wake("b"), wake("c")]);
        let b = trace(&[wake("a"), wake("x"), wake("c")]);
        assert_eq!(fork(&a, &b), Some(1));
        assert_eq!(fork(&a, &a), None);
        let shorter = trace(&[wake("a"), wake("b")]);
        assert_eq!(fork(&a, &shorter), Some(2));
    }
}
