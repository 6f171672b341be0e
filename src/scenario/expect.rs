//! Expectations checked against a finished trace: the claims of a lesson,
//! so the same file is the lesson, the homework and the test.

use std::fmt;

use super::duration::format_duration;
use crate::plan::Expectation;
use crate::trace::transcript;
use crate::trace::{EventKind, Trace};

/// The verdict on one expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub claim: String,
    pub held: bool,
    /// What the trace shows, in a sentence.
    pub evidence: String,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.held { "held  " } else { "FAILED" };
        write!(f, "{mark} {}: {}", self.claim, self.evidence)
    }
}

/// Checks every expectation in order.
pub fn check(expectations: &[Expectation], trace: &Trace) -> Vec<Verdict> {
    expectations.iter().map(|e| check_one(e, trace)).collect()
}

/// Messages stored into `mailbox`: (time, content).
fn deliveries<'a>(
    trace: &'a Trace,
    mailbox: &'a str,
) -> impl Iterator<Item = (crate::trace::SimTime, &'a [u8])> + 'a {
    trace.events().iter().filter_map(move |e| match &e.kind {
        EventKind::Delivered {
            mailbox: m,
            content,
            ..
        } if m.eq_ignore_ascii_case(mailbox) => Some((e.at, content.as_bytes())),
        _ => None,
    })
}

fn count(trace: &Trace, pred: impl Fn(&EventKind) -> bool) -> usize {
    trace.events().iter().filter(|e| pred(&e.kind)).count()
}

fn check_one(e: &Expectation, trace: &Trace) -> Verdict {
    let (claim, held, evidence) = match e {
        Expectation::Delivered { to, within } => {
            let first = deliveries(trace, to).map(|(at, _)| at).next();
            let claim = match within {
                Some(w) => format!("delivered to {to} within {}", format_duration(*w)),
                None => format!("delivered to {to}"),
            };
            match first {
                Some(at) => (
                    claim,
                    within.is_none_or(|w| at.0 <= w),
                    format!("first delivered at {at}"),
                ),
                None => (claim, false, "nothing was delivered there".into()),
            }
        }
        Expectation::NotDelivered { to } => {
            let n = deliveries(trace, to).count();
            (
                format!("nothing delivered to {to}"),
                n == 0,
                format!("{n} message(s) delivered there"),
            )
        }
        Expectation::Bounced { to, status } => {
            let statuses: Vec<String> = deliveries(trace, to)
                .flat_map(|(_, content)| crate::mail::parse_dsn_status(content))
                .map(|(_, status, _)| status.to_string())
                .collect();
            let held = match status {
                Some(s) => statuses.iter().any(|x| x == s),
                None => !statuses.is_empty(),
            };
            let claim = match status {
                Some(s) => format!("a bounce with status {s} reached {to}"),
                None => format!("a bounce reached {to}"),
            };
            let evidence = if statuses.is_empty() {
                "no bounce arrived there".into()
            } else {
                format!("bounces arrived with status {}", statuses.join(", "))
            };
            (claim, held, evidence)
        }
        Expectation::Deferred { at_least } => {
            let n = count(trace, |k| matches!(k, EventKind::Deferred { .. }));
            (
                format!("deferred at least {at_least} time(s)"),
                n >= *at_least,
                format!("{n} deferral(s)"),
            )
        }
        Expectation::Hops { exactly } => {
            let first = trace.events().iter().find_map(|e| match &e.kind {
                EventKind::Composed { message_id, .. } => Some(message_id.clone()),
                _ => None,
            });
            let n = first.as_ref().map_or(0, |id| {
                count(
                    trace,
                    |k| matches!(k, EventKind::Queued { message_id, .. } if message_id == id),
                )
            });
            (
                format!("the first message took exactly {exactly} SMTP hop(s)"),
                n == *exactly,
                format!("{n} hop(s)"),
            )
        }
        Expectation::ReceivedHeaders {
            mailbox,
            count: want,
        } => {
            let first = deliveries(trace, mailbox).next();
            let claim = format!("the message in {mailbox} carries {want} Received header(s)");
            match first {
                Some((_, content)) => {
                    let n = crate::mail::received_count(content);
                    (claim, n == *want, format!("it carries {n}"))
                }
                None => (claim, false, "nothing was delivered there".into()),
            }
        }
        Expectation::Retrieved { by, at_least } => {
            let n = count(
                trace,
                |k| matches!(k, EventKind::Retrieved { mailbox, .. } if mailbox.eq_ignore_ascii_case(by)),
            );
            (
                format!("{by} fetched at least {at_least} message(s) over POP3"),
                n >= *at_least,
                format!("{n} fetched"),
            )
        }
        Expectation::Reply { code, status } => {
            let replies = transcript::smtp_replies(trace);
            let held = replies.iter().any(|(_, r)| {
                r.code().get() == *code
                    && status
                        .as_ref()
                        .is_none_or(|s| r.enhanced().is_some_and(|e| e.to_string() == *s))
            });
            let claim = match status {
                Some(s) => format!("some server replied {code} {s}"),
                None => format!("some server replied {code}"),
            };
            let seen = replies
                .iter()
                .filter(|(_, r)| r.code().get() == *code)
                .count();
            (claim, held, format!("{seen} {code} repl(ies) in the trace"))
        }
        Expectation::LoopDetected => {
            let n = count(trace, |k| matches!(k, EventKind::LoopDetected { .. }));
            (
                "a mail loop was detected".into(),
                n > 0,
                format!("{n} loop detection(s)"),
            )
        }
        Expectation::Expired => {
            let n = count(trace, |k| matches!(k, EventKind::Expired { .. }));
            (
                "a queued message expired".into(),
                n > 0,
                format!("{n} expir(ies)"),
            )
        }
    };
    Verdict {
        claim,
        held,
        evidence,
    }
}
