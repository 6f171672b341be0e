//! Expectations checked against a finished trace: the claims of a lesson,
//! so the same file is the lesson, the homework and the test.
//!
//! Each claim gathers what it counts from the trace (`facts`: deliveries,
//! bounces, deferrals, replies, fetches, each with its time and message),
//! keeps those its scope and window allow, and compares the number with
//! its count. Nothing is read from the plan or a node.

pub(crate) mod facts;
mod hops;
mod words;

use std::fmt;

use self::facts::{Facts, Occurrence};
use crate::plan::{Count, Expectation, Scope, Window};
use crate::trace::index::Session;
use crate::trace::transcript::LineKind;
use crate::trace::{DeliveredRest, EventKind, Protocol, Trace};

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
    let facts = Facts::for_claims(trace, expectations);
    expectations.iter().map(|e| check_one(e, &facts)).collect()
}

/// The events a claim counts, with how many of them its window keeps.
struct Tally {
    /// Everything in scope, in any window.
    all: Vec<Occurrence>,
    /// Those in the window.
    kept: Vec<Occurrence>,
}

fn tally(facts: &Facts, window: &Window, all: Vec<Occurrence>) -> Tally {
    let kept = all
        .iter()
        .filter(|o| facts.in_window(window, o))
        .cloned()
        .collect();
    Tally { all, kept }
}

impl Tally {
    /// "2 (at +1m00.000s, +6m00.000s)", or the times alone when the
    /// window keeps all.
    fn evidence(&self, facts: &Facts, window: &Window, noun: &str) -> String {
        let times = |v: &[Occurrence]| {
            let mut shown: Vec<String> = v.iter().take(4).map(|o| o.at.to_string()).collect();
            if v.len() > 4 {
                shown.push(format!("… {} more", v.len() - 4));
            }
            shown.join(", ")
        };
        if self.all.is_empty() {
            return format!("no {noun} at all");
        }
        let all = format!("{} {noun} (at {})", self.all.len(), times(&self.all));
        if window.is_open() {
            return all;
        }
        let counted = if window.since_send {
            let after: Vec<String> = self
                .all
                .iter()
                .take(4)
                .filter_map(|o| facts.counted(window, o))
                .map(words::duration)
                .collect();
            format!("; after sending: {}", after.join(", "))
        } else {
            String::new()
        };
        format!("{} in the window; {all}{counted}", self.kept.len())
    }
}

fn check_one(e: &Expectation, facts: &Facts) -> Verdict {
    let (claim, held, evidence) = match e {
        Expectation::Delivered {
            to,
            scope,
            window,
            count,
        } => {
            let t = tally(facts, window, deliveries(facts, to, scope));
            let claim = words::claim(format!("delivered to {to}"), scope, window, count);
            let evidence = match (
                t.all.first(),
                window.is_open() && count == &Count::default(),
            ) {
                (None, _) => "nothing was delivered there".to_owned(),
                (Some(first), true) => format!("first delivered at {}", first.at),
                (Some(_), false) => t.evidence(facts, window, "delivery(ies)"),
            };
            (claim, count.holds(t.kept.len()), evidence)
        }
        Expectation::NotDelivered { to, scope, window } => {
            let t = tally(facts, window, deliveries(facts, to, scope));
            let claim = words::claim(
                format!("nothing delivered to {to}"),
                scope,
                window,
                &Count::default(),
            );
            let evidence = if window.is_open() {
                format!("{} message(s) delivered there", t.all.len())
            } else {
                t.evidence(facts, window, "delivery(ies)")
            };
            (claim, t.kept.is_empty(), evidence)
        }
        Expectation::Bounced {
            to,
            status,
            scope,
            window,
            count,
        } => {
            let (found, statuses) = bounces(facts, to, status, scope);
            let t = tally(facts, window, found);
            let what = match status {
                Some(s) => format!("a bounce with status {s} reached {to}"),
                None => format!("a bounce reached {to}"),
            };
            let claim = words::claim(what, scope, window, count);
            let evidence = bounce_evidence(&t, facts, window, &statuses);
            (claim, count.holds(t.kept.len()), evidence)
        }
        Expectation::NotBounced {
            to,
            status,
            scope,
            window,
        } => {
            let (found, statuses) = bounces(facts, to, status, scope);
            let t = tally(facts, window, found);
            let what = match status {
                Some(s) => format!("no bounce with status {s} reached {to}"),
                None => format!("no bounce reached {to}"),
            };
            let claim = words::claim(what, scope, window, &Count::default());
            let evidence = bounce_evidence(&t, facts, window, &statuses);
            (claim, t.kept.is_empty(), evidence)
        }
        Expectation::Deferred {
            scope,
            window,
            count,
        } => {
            let t = tally(facts, window, deferrals(facts, scope));
            let claim = words::claim("deferred".to_owned(), scope, window, count);
            let evidence = if window.is_open() {
                format!("{} deferral(s)", t.all.len())
            } else {
                t.evidence(facts, window, "deferral(s)")
            };
            (claim, count.holds(t.kept.len()), evidence)
        }
        Expectation::Hops { exactly, scope } => hops::check(facts, *exactly, scope),
        Expectation::ReceivedHeaders {
            mailbox,
            count: want,
            scope,
        } => {
            let first = first_stored(facts, mailbox, scope);
            let claim = words::claim(
                format!("the message in {mailbox} carries {want} Received header(s)"),
                scope,
                &Window::default(),
                &Count::default(),
            );
            match first {
                Some(content) => {
                    let n = crate::mail::received_count(&content.as_bytes());
                    (claim, n == *want, format!("it carries {n}"))
                }
                None => (claim, false, "nothing was delivered there".into()),
            }
        }
        Expectation::Authenticated {
            mailbox,
            spf,
            dkim,
            dmarc,
            quarantined,
            scope,
        } => {
            let first = first_stored(facts, mailbox, scope);
            let wanted: Vec<String> = [("spf", spf), ("dkim", dkim), ("dmarc", dmarc)]
                .into_iter()
                .filter_map(|(m, r)| r.as_ref().map(|r| format!("{m}={r}")))
                .chain(quarantined.map(|q| {
                    if q {
                        "quarantined".into()
                    } else {
                        "not quarantined".into()
                    }
                }))
                .collect();
            let claim = words::claim(
                format!("the message in {mailbox} is marked {}", wanted.join(", ")),
                scope,
                &Window::default(),
                &Count::default(),
            );
            match first {
                Some(content) => {
                    let found = crate::auth::results::read(&content.as_bytes());
                    let held = [("spf", spf), ("dkim", dkim), ("dmarc", dmarc)]
                        .into_iter()
                        .all(|(m, r)| {
                            r.as_ref()
                                .is_none_or(|r| found.result(m) == Some(r.as_str()))
                        })
                        && quarantined.is_none_or(|q| q == found.quarantined);
                    (claim, held, format!("it carries {found}"))
                }
                None => (claim, false, "nothing was delivered there".into()),
            }
        }
        Expectation::Retrieved {
            by,
            scope,
            window,
            count,
        } => {
            let found = facts
                .trace
                .events()
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Retrieved { mailbox, rest, .. }
                        if mailbox.eq_ignore_ascii_case(by)
                            && facts.matches(&scope.message, rest.message_id.as_deref()) =>
                    {
                        Some(Occurrence {
                            at: e.at,
                            message: rest.message_id.clone(),
                        })
                    }
                    _ => None,
                })
                .collect();
            let t = tally(facts, window, found);
            let claim = if count == &Count::default() && window.is_open() && scope.message.is_none()
            {
                format!("{by} fetched at least 1 message(s) over POP3")
            } else {
                words::claim(format!("{by} fetched over POP3"), scope, window, count)
            };
            let evidence = if window.is_open() {
                format!("{} fetched", t.all.len())
            } else {
                t.evidence(facts, window, "fetched")
            };
            (claim, count.holds(t.kept.len()), evidence)
        }
        Expectation::Reply {
            code,
            status,
            scope,
            window,
            count,
        } => {
            let (found, same_code) = replies(facts, *code, status, scope);
            let t = tally(facts, window, found);
            let claim = words::claim(
                words::reply(*code, status, scope, false),
                &message_only(scope),
                window,
                count,
            );
            let evidence = reply_evidence(&t, facts, window, *code, same_code);
            (claim, count.holds(t.kept.len()), evidence)
        }
        Expectation::NoReply {
            code,
            status,
            scope,
            window,
        } => {
            let (found, same_code) = replies(facts, *code, status, scope);
            let t = tally(facts, window, found);
            let claim = words::claim(
                words::reply(*code, status, scope, true),
                &message_only(scope),
                window,
                &Count::default(),
            );
            let evidence = reply_evidence(&t, facts, window, *code, same_code);
            (claim, t.kept.is_empty(), evidence)
        }
        Expectation::LoopDetected => {
            let n = count(facts, |k| matches!(k, EventKind::LoopDetected { .. }));
            (
                "a mail loop was detected".into(),
                n > 0,
                format!("{n} loop detection(s)"),
            )
        }
        Expectation::Expired => {
            let n = count(facts, |k| matches!(k, EventKind::Expired { .. }));
            (
                "a queued message expired".into(),
                n > 0,
                format!("{n} expir(ies)"),
            )
        }
        Expectation::NotExpired => {
            let n = count(facts, |k| matches!(k, EventKind::Expired { .. }));
            (
                "no queued message expired".into(),
                n == 0,
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

/// The scope's message alone: a reply's words name the rest.
fn message_only(scope: &Scope) -> Scope {
    Scope {
        message: scope.message.clone(),
        ..Scope::default()
    }
}

fn count(facts: &Facts, pred: impl Fn(&EventKind) -> bool) -> usize {
    facts
        .trace
        .events()
        .iter()
        .filter(|e| pred(&e.kind))
        .count()
}

/// The content of the first copy of the scope's message stored into
/// mailbox `to`: what the reader there opens first.
fn first_stored<'t>(
    facts: &Facts<'t>,
    to: &str,
    scope: &Scope,
) -> Option<&'t crate::trace::Letter> {
    facts.trace.events().iter().find_map(|e| match &e.kind {
        EventKind::Delivered { rest, .. }
            if rest.mailbox.eq_ignore_ascii_case(to)
                && facts.matches(&scope.message, Some(&rest.message_id)) =>
        {
            Some(&rest.content)
        }
        _ => None,
    })
}

/// Messages stored into mailbox `to`, of the scope's message.
fn deliveries(facts: &Facts, to: &str, scope: &Scope) -> Vec<Occurrence> {
    facts
        .trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. }
                if rest.mailbox.eq_ignore_ascii_case(to)
                    && facts.matches(&scope.message, Some(&rest.message_id)) =>
            {
                Some(Occurrence {
                    at: e.at,
                    message: Some(rest.message_id.clone()),
                })
            }
            _ => None,
        })
        .collect()
}

/// Bounces delivered to `to` that report on the scope's message and
/// recipient with `status`; beside them, every (recipient, status) any
/// bounce there reported, for the evidence. A bounce counts from the
/// message it reports on when the window counts from the send.
fn bounces(
    facts: &Facts,
    to: &str,
    status: &Option<String>,
    scope: &Scope,
) -> (Vec<Occurrence>, Vec<(String, String)>) {
    let mut found = Vec::new();
    let mut seen = Vec::new();
    for e in facts.trace.events() {
        let EventKind::Delivered { rest, .. } = &e.kind else {
            continue;
        };
        let DeliveredRest {
            mailbox,
            message_id,
            content,
            ..
        } = &**rest;
        if !mailbox.eq_ignore_ascii_case(to) {
            continue;
        }
        // A bounce reports a failure; a success or delay report (RFC
        // 3461 NOTIFY) is no bounce.
        let reports: Vec<_> = crate::mail::parse_dsn_status(&content.as_bytes())
            .into_iter()
            .filter(|(_, _, action)| *action == crate::mail::Action::Failed)
            .collect();
        if reports.is_empty() {
            continue;
        }
        let original = facts.reported_by(message_id);
        let mut hit = false;
        for (rcpt, s, _) in &reports {
            let s = s.to_string();
            seen.push((rcpt.to_lowercase(), s.clone()));
            hit |= status.as_ref().is_none_or(|want| *want == s)
                && scope
                    .rcpt
                    .as_ref()
                    .is_none_or(|r| r.eq_ignore_ascii_case(rcpt));
        }
        if hit && facts.matches(&scope.message, original) {
            found.push(Occurrence {
                at: e.at,
                message: original.map(str::to_owned),
            });
        }
    }
    (found, seen)
}

fn bounce_evidence(t: &Tally, facts: &Facts, window: &Window, seen: &[(String, String)]) -> String {
    if seen.is_empty() {
        return "no bounce arrived there".into();
    }
    let statuses: Vec<String> = seen
        .iter()
        .map(|(rcpt, status)| format!("{status} for {rcpt}"))
        .collect();
    let base = format!("bounces arrived with status {}", statuses.join(", "));
    if window.is_open() {
        base
    } else {
        format!(
            "{base}; {}",
            t.evidence(facts, window, "matching bounce(s)")
        )
    }
}

/// Every deferral the scope allows: one per `Deferred` fact of a queue
/// entry on the scope's host, naming its recipient, of its message.
fn deferrals(facts: &Facts, scope: &Scope) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for entry in facts.state().entries() {
        if scope
            .host
            .as_ref()
            .is_some_and(|h| !facts.trace.name(entry.host).eq_ignore_ascii_case(h))
            || !facts.matches(&scope.message, Some(&entry.message_id))
        {
            continue;
        }
        for fact in &entry.facts {
            let crate::trace::state::What::Deferred { attempts, .. } = &fact.what else {
                continue;
            };
            let names_rcpt = scope
                .rcpt
                .as_ref()
                .is_none_or(|r| attempts.iter().any(|a| same_address(&a.rcpt, r)));
            if names_rcpt {
                found.push(Occurrence {
                    at: fact.at,
                    message: Some(entry.message_id.clone()),
                });
            }
        }
    }
    found.sort_by_key(|o| o.at);
    found
}

fn same_address(a: &str, b: &str) -> bool {
    crate::trace::state::path(a).eq_ignore_ascii_case(&crate::trace::state::path(b))
}

/// SMTP replies (each counted once, at its last line) that the scope
/// allows, with `code` and `status`; beside them, how many replies had
/// the code at all.
fn replies(
    facts: &Facts,
    code: u16,
    status: &Option<String>,
    scope: &Scope,
) -> (Vec<Occurrence>, usize) {
    let mut found = Vec::new();
    let mut same_code = 0;
    for session in &facts.index().sessions {
        let c = &session.connection;
        if !matches!(c.protocol, Protocol::Smtp | Protocol::Submission)
            || scope.session.is_some_and(|s| s != c.conn.0)
            || scope
                .host
                .as_ref()
                .is_some_and(|h| !facts.trace.name(c.to).eq_ignore_ascii_case(h))
        {
            continue;
        }
        let messages = facts.messages_of_session(c.seq);
        let message = messages.first().cloned();
        if scope.message.is_some()
            && !messages
                .iter()
                .any(|m| facts.matches(&scope.message, Some(m)))
        {
            continue;
        }
        for &i in &session.lines {
            let line = &facts.index().lines[i];
            let LineKind::Reply { code: Some(got) } = line.kind else {
                continue;
            };
            // A multi-line reply counts once, at its last line.
            if got != code || line.text.as_bytes().get(3).is_some_and(|&b| b == b'-') {
                continue;
            }
            same_code += 1;
            let enhanced = line.text.get(4..).and_then(|t| t.split_whitespace().next());
            if status
                .as_ref()
                .is_some_and(|s| Some(s.as_str()) != enhanced)
            {
                continue;
            }
            if !answers(facts, session, line.exchange, scope) {
                continue;
            }
            found.push(Occurrence {
                at: line.at,
                message: message.clone(),
            });
        }
    }
    (found, same_code)
}

/// Does the command this reply answers fit the scope (`command`, `rcpt`)?
fn answers(facts: &Facts, session: &Session, exchange: Option<u32>, scope: &Scope) -> bool {
    if scope.command.is_none() && scope.rcpt.is_none() {
        return true;
    }
    let command = session
        .lines
        .iter()
        .map(|&i| &facts.index().lines[i])
        .find(|l| l.kind == LineKind::Command && l.exchange.is_some() && l.exchange == exchange);
    let Some(command) = command else {
        return false;
    };
    let verb = command
        .text
        .split([' ', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let verb_fits = scope.command.as_ref().is_none_or(|c| *c == verb);
    let rcpt_fits = scope.rcpt.as_ref().is_none_or(|r| {
        verb == "RCPT"
            && command
                .text
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .is_some_and(|(address, _)| same_address(address, r))
    });
    verb_fits && rcpt_fits
}

fn reply_evidence(
    t: &Tally,
    facts: &Facts,
    window: &Window,
    code: u16,
    same_code: usize,
) -> String {
    let base = format!("{same_code} {code} repl(ies) in the trace");
    if window.is_open() && same_code == t.all.len() {
        base
    } else {
        format!("{base}; {}", t.evidence(facts, window, "matching"))
    }
}

#[cfg(test)]
mod tests;
