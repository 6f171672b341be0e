//! Which reports a sender asked for (RFC 3461 §4.1, §5.2, §6.2): a
//! recipient's NOTIFY says whether its failure is bounced, whether a
//! delivery is reported (`delivered` here, `relayed` when the next hop
//! offers no DSN), and whether mail still queued after `delay_warning`
//! is warned about. Without NOTIFY, failures and delays are reported and
//! successes are not, as Postfix does. What a NOTIFY withholds is said,
//! so the trace shows why no report went.

use crate::mail::{Action, DsnRecipient};
use crate::smtp::dsn::{Notify, Orcpt, RcptDsn, Wanted, wants};
use crate::smtp::{EnhancedCode, Mailbox};

use super::core::Now;
use super::queue::QueueEntry;
use super::retry::RetryPolicy;

/// One report to send (or withheld) about some recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub action: Action,
    pub recipients: Vec<DsnRecipient>,
    /// Why the report goes, for the trace.
    pub why: String,
    /// `Some(why)`: the sender's NOTIFY asked for no such report.
    pub withheld: Option<String>,
}

/// `delivered` for local mailboxes whose NOTIFY has SUCCESS.
pub(crate) fn delivered(filed: &[(String, RcptDsn)]) -> Vec<Notice> {
    let recipients: Vec<DsnRecipient> = filed
        .iter()
        .filter(|(_, d)| wants(d.notify, Wanted::Success))
        .map(|(mailbox, d)| success(mailbox, Action::Delivered, None, d.orcpt.as_ref()))
        .collect();
    one(
        Action::Delivered,
        recipients,
        "NOTIFY=SUCCESS asked to hear of the delivery (RFC 3461 §4.1)".to_owned(),
    )
}

/// `relayed` for recipients handed to a hop that offers no DSN, whose
/// NOTIFY has SUCCESS (RFC 3461 §5.2.2, RFC 3464 §2.3.3).
pub(crate) fn relayed(entry: &QueueEntry, handed: &[(Mailbox, String)]) -> Vec<Notice> {
    let mut hosts: Vec<&str> = Vec::new();
    let recipients: Vec<DsnRecipient> = handed
        .iter()
        .filter_map(|(mailbox, host)| {
            let rcpt = entry.rcpt(mailbox)?;
            wants(rcpt.notify, Wanted::Success).then(|| {
                if !hosts.contains(&host.as_str()) {
                    hosts.push(host);
                }
                let address = mailbox.to_string();
                success(&address, Action::Relayed, Some(host), rcpt.orcpt.as_ref())
            })
        })
        .collect();
    let why = format!(
        "{} offers no DSN, so no report can come from further on; NOTIFY=SUCCESS \
         hears `relayed` from here (RFC 3461 §5.2.2)",
        hosts.join(", ")
    );
    one(Action::Relayed, recipients, why)
}

/// One `delayed` warning per recipient still deferred once the entry
/// is `delay_warning` old, with the time it will be given up on.
pub(crate) fn delayed(
    entry: &mut QueueEntry,
    deferred: &[(Mailbox, String)],
    now: Now,
    retry: &RetryPolicy,
) -> Vec<Notice> {
    let Some(after) = retry.delay_warning else {
        return Vec::new();
    };
    if now.at.saturating_sub(entry.arrived) < after {
        return Vec::new();
    }
    let until = entry.arrival_unix + retry.max_age.as_secs() as i64;
    let mut warned = Vec::new();
    let mut notices = Vec::new();
    for (mailbox, reason) in deferred {
        let Some(rcpt) = entry.rcpts.iter_mut().find(|r| &r.mailbox == mailbox) else {
            continue;
        };
        if rcpt.delay_warned {
            continue;
        }
        rcpt.delay_warned = true;
        let reported = DsnRecipient {
            final_recipient: mailbox.to_string(),
            action: Action::Delayed,
            status: status_in(reason).unwrap_or(EnhancedCode::new(4, 0, 0)),
            diagnostic: Some(format!("X-mailflow; {reason}")),
            remote_mta: None,
            will_retry_until: Some(until),
            original_recipient: original(rcpt.orcpt.as_ref()),
        };
        match withheld(rcpt.notify, Wanted::Delay) {
            Some(why) => notices.push(Notice {
                action: Action::Delayed,
                recipients: vec![reported],
                why: why.clone(),
                withheld: Some(why),
            }),
            None => warned.push(reported),
        }
    }
    let why = format!(
        "still queued after {} (delay_warning); NOTIFY allows DELAY (RFC 3461 §4.1)",
        crate::scenario::duration::format_duration(after)
    );
    let mut out = one(Action::Delayed, warned, why);
    out.extend(notices);
    out
}

/// Splits failures into those to bounce and those NOTIFY withholds; each
/// gets its Original-Recipient (RFC 3464 §2.3.1).
pub(crate) fn failures(
    entry: &QueueEntry,
    failures: Vec<DsnRecipient>,
) -> (Vec<DsnRecipient>, Vec<Notice>) {
    let mut bounced = Vec::new();
    let mut notices = Vec::new();
    for mut failure in failures {
        let rcpt = entry
            .rcpts
            .iter()
            .find(|r| r.mailbox.to_string() == failure.final_recipient);
        let notify = rcpt.and_then(|r| r.notify);
        failure.original_recipient = original(rcpt.and_then(|r| r.orcpt.as_ref()));
        match withheld(notify, Wanted::Failure) {
            Some(why) => notices.push(Notice {
                action: Action::Failed,
                recipients: vec![failure],
                why: why.clone(),
                withheld: Some(why),
            }),
            None => bounced.push(failure),
        }
    }
    (bounced, notices)
}

/// Why NOTIFY withholds a report of `kind`, or `None` when it asks for it.
fn withheld(notify: Option<Notify>, kind: Wanted) -> Option<String> {
    if wants(notify, kind) {
        return None;
    }
    let what = match kind {
        Wanted::Success => "SUCCESS",
        Wanted::Failure => "FAILURE",
        Wanted::Delay => "DELAY",
    };
    Some(match notify {
        Some(n) if n.is_never() => {
            "NOTIFY=NEVER: the sender asked for no report at all (RFC 3461 §4.1)".to_owned()
        }
        Some(n) => format!("NOTIFY={n} has no {what}: no report (RFC 3461 §4.1)"),
        None => format!("no NOTIFY, and {what} is not reported by default (RFC 3461 §4.1)"),
    })
}

fn one(action: Action, recipients: Vec<DsnRecipient>, why: String) -> Vec<Notice> {
    if recipients.is_empty() {
        return Vec::new();
    }
    vec![Notice {
        action,
        recipients,
        why,
        withheld: None,
    }]
}

fn success(
    address: &str,
    action: Action,
    remote_mta: Option<&str>,
    orcpt: Option<&Orcpt>,
) -> DsnRecipient {
    DsnRecipient {
        final_recipient: address.to_owned(),
        action,
        status: EnhancedCode::new(2, 0, 0),
        diagnostic: None,
        remote_mta: remote_mta.map(str::to_owned),
        will_retry_until: None,
        original_recipient: original(orcpt),
    }
}

fn original(orcpt: Option<&Orcpt>) -> Option<(String, String)> {
    orcpt.map(|o| (o.addr_type.clone(), o.address.clone()))
}

/// The first enhanced code of class 4 in a deferral's reason
/// (`mx.example.net: 451 4.7.1 ...`, `4.4.1 connect ...`).
fn status_in(reason: &str) -> Option<EnhancedCode> {
    reason
        .split_whitespace()
        .filter_map(EnhancedCode::parse)
        .find(|c| c.class == 4)
}
