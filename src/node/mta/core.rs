//! The MTA's decisions as a plain value: what to do with a message it
//! took on (file it, queue it), which entries are due, and what one
//! delivery attempt leads to (defer, expire, bounce, dequeue). No clock,
//! no network: the time is handed in and the answers are [`Effect`]s,
//! which the async node carries out and records in the trace.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::mail::{Action, DsnRecipient, compose_dsn, with_return_path};
use crate::smtp::client::{Outcome, Reason};
use crate::smtp::dsn::{MailDsn, RcptDsn};
use crate::smtp::{EnhancedCode, ForwardPath, Mailbox, ReversePath};

use super::bounce::{self, Failure, Original};
use super::local::LocalDomains;
use super::notify::{self, Notice};
use super::queue::{QueueEntry, Rcpt, RcptState};
use super::queue_id::QueueIds;
use super::retry::RetryPolicy;
use super::route::RouteFailure;

/// The time, as the simulation counts it and as Unix seconds for headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Now {
    pub at: Duration,
    pub unix: i64,
}

/// A message the MTA has just said 250 for, Received field included.
#[derive(Debug, Clone)]
pub(crate) struct Arrival {
    pub id: String,
    pub message_id: String,
    pub reverse_path: ReversePath,
    pub forward_paths: Vec<ForwardPath>,
    pub content: Vec<u8>,
    /// RET and ENVID of the transaction (RFC 3461).
    pub dsn: MailDsn,
    /// NOTIFY and ORCPT of each forward path that gave them.
    pub rcpt_dsn: Vec<(ForwardPath, RcptDsn)>,
}

impl Arrival {
    /// The DSN parameters given with `path`.
    pub fn dsn_of(&self, path: &ForwardPath) -> RcptDsn {
        self.rcpt_dsn
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    }
}

/// What became of one recipient in one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fate {
    /// The next hop took it.
    Delivered,
    /// The next hop took it but offers no DSN (RFC 3461 §5.2.2): reports
    /// end here, so a sender who asked for success hears `relayed`.
    Relayed {
        remote_mta: String,
    },
    /// Try again later; the reason as the trace shows it.
    Deferred {
        reason: String,
    },
    Failed(Failure),
}

impl Fate {
    /// The SMTP client's outcome for a recipient, as the queue sees it.
    pub fn judged(outcome: Outcome, host: &str) -> Fate {
        let describe = |reason: &Reason| match reason {
            Reason::Reply(reply) => reply.to_string().replace('\n', " "),
            Reason::Local { enhanced, text } => format!("{enhanced} {text}"),
        };
        match outcome {
            Outcome::Delivered { .. } => Fate::Delivered,
            Outcome::Deferred { reason } => Fate::Deferred {
                reason: format!("{host}: {}", describe(&reason)),
            },
            Outcome::Failed { reason } => {
                let (status, diagnostic) = match &reason {
                    Reason::Reply(reply) => (
                        reply.enhanced().unwrap_or(EnhancedCode::new(5, 0, 0)),
                        DsnRecipient::smtp_diagnostic(reply),
                    ),
                    Reason::Local { enhanced, text } => (*enhanced, format!("X-mailflow; {text}")),
                };
                Fate::Failed(Failure {
                    status,
                    diagnostic,
                    remote_mta: Some(host.to_owned()),
                })
            }
        }
    }
}

impl RouteFailure {
    /// The route's verdict for each of its recipients.
    pub fn fate(&self) -> Fate {
        match self {
            RouteFailure::Permanent { status, diagnostic } => Fate::Failed(Failure {
                status: *status,
                diagnostic: diagnostic.clone(),
                remote_mta: None,
            }),
            RouteFailure::Temporary { reason } => Fate::Deferred {
                reason: reason.clone(),
            },
        }
    }
}

/// What the node must do, in this order, and record in the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A new queue entry: the MTA answers for the message from now on.
    Queued {
        queue_id: String,
        message_id: String,
        from: ReversePath,
        rcpts: Vec<ForwardPath>,
    },
    /// File `content` (Return-Path on top) in local mailbox `mailbox`.
    Store {
        queue_id: String,
        mailbox: String,
        message_id: String,
        content: Vec<u8>,
    },
    /// The entry waits for delivery: wake the queue runner.
    Enqueued { queue_id: String },
    /// Too old: these recipients are given up on.
    Expired {
        queue_id: String,
        rcpts: Vec<Mailbox>,
    },
    /// These recipients are tried again at `retry_at`.
    Deferred {
        queue_id: String,
        attempts: Vec<(Mailbox, String)>,
        retry_at: Duration,
        attempt: u32,
    },
    /// Failures reported in the DSN queued as `dsn_queue_id`; `None` when
    /// the message had the null reverse-path and nobody is told (§6.1).
    Bounced {
        queue_id: String,
        failures: Vec<DsnRecipient>,
        dsn_queue_id: Option<String>,
    },
    /// A report of `action` for `rcpts` that is not a bounce (RFC 3461:
    /// delivered, relayed, delayed) queued as `dsn_queue_id`, or a report
    /// the sender's NOTIFY withheld (`None`); `why` says which.
    Notified {
        queue_id: String,
        action: Action,
        rcpts: Vec<String>,
        dsn_queue_id: Option<String>,
        why: String,
    },
    /// Every recipient is done, failed or expired.
    Dequeued { queue_id: String },
}

/// RFC 5321 §6.3: a message that carries `max_hops` Received fields or
/// more is looping; the count is returned so that the refusal can say it.
pub(crate) fn loop_detected(hops: usize, max_hops: usize) -> Option<usize> {
    (hops >= max_hops).then_some(hops)
}

/// One MTA's queue and the decisions about it.
#[derive(Debug)]
pub(crate) struct Queue {
    hostname: String,
    local: LocalDomains,
    ids: QueueIds,
    entries: BTreeMap<String, QueueEntry>,
    /// A live world's run id, so that a bounce's Message-ID is never the
    /// same as one from an earlier run (RFC 5322 §3.6.4).
    run_id: Option<String>,
}

impl Queue {
    pub fn new(hostname: &str, local: LocalDomains, ids: QueueIds, run_id: Option<&str>) -> Queue {
        Queue {
            hostname: hostname.to_owned(),
            local,
            ids,
            entries: BTreeMap::new(),
            run_id: run_id.map(str::to_owned),
        }
    }

    /// The Message-ID of the report queued as `dsn_id`.
    pub fn dsn_message_id(&self, dsn_id: &str) -> String {
        match &self.run_id {
            Some(run) => format!("<{dsn_id}.{run}.dsn@{}>", self.hostname),
            None => format!("<{dsn_id}.dsn@{}>", self.hostname),
        }
    }

    /// A fresh queue id; the Received field needs it before intake.
    pub fn next_id(&mut self) -> String {
        self.ids.next()
    }

    pub fn local(&self) -> &LocalDomains {
        &self.local
    }

    pub fn entry(&self, id: &str) -> Option<&QueueEntry> {
        self.entries.get(id)
    }

    /// Takes a message on: one copy into each local mailbox it names (a
    /// mailbox named twice, as `bob@` and `BOB@`, gets one copy, as in
    /// Postfix and Sendmail), and a queue entry for the rest.
    pub fn intake(&mut self, arrival: Arrival, now: Now) -> Vec<Effect> {
        let dsn_of: Vec<RcptDsn> = arrival
            .forward_paths
            .iter()
            .map(|p| arrival.dsn_of(p))
            .collect();
        let Arrival {
            id,
            message_id,
            reverse_path,
            forward_paths,
            content,
            dsn,
            rcpt_dsn: _,
        } = arrival;
        let mut effects = vec![Effect::Queued {
            queue_id: id.clone(),
            message_id: message_id.clone(),
            from: reverse_path.clone(),
            rcpts: forward_paths.clone(),
        }];
        let mut filed: Vec<String> = Vec::new();
        let mut remote: Vec<(Mailbox, RcptDsn)> = Vec::new();
        let mut delivered: Vec<(String, RcptDsn)> = Vec::new();
        for (path, rcpt_dsn) in forward_paths.iter().zip(dsn_of) {
            match (self.local.mailbox_of(path), path.mailbox()) {
                (Some(mailbox), _) if filed.contains(&mailbox) => {}
                (Some(mailbox), _) => {
                    effects.push(Effect::Store {
                        queue_id: id.clone(),
                        mailbox: mailbox.clone(),
                        message_id: message_id.clone(),
                        content: with_return_path(&content, &reverse_path),
                    });
                    delivered.push((mailbox.clone(), rcpt_dsn));
                    filed.push(mailbox);
                }
                (None, Some(m)) if !remote.iter().any(|(r, _)| same_remote(r, m)) => {
                    remote.push((m.clone(), rcpt_dsn));
                }
                (None, _) => {}
            }
        }
        let original = Original {
            queue_id: &id,
            message_id: &message_id,
            reverse_path: &reverse_path,
            content: &content,
            arrival_unix: now.unix,
            dsn: &dsn,
        };
        let notices = notify::delivered(&delivered);
        let reports = self.notify(&original, notices, now);
        if remote.is_empty() {
            effects.extend(reports);
            effects.push(Effect::Dequeued { queue_id: id });
            return effects;
        }
        let entry = QueueEntry {
            id: id.clone(),
            message_id,
            reverse_path,
            dsn,
            content: Arc::from(content),
            rcpts: remote
                .into_iter()
                .map(|(mailbox, d)| Rcpt {
                    mailbox,
                    state: RcptState::Pending { last_reason: None },
                    notify: d.notify,
                    orcpt: d.orcpt,
                    delay_warned: false,
                })
                .collect(),
            arrived: now.at,
            arrival_unix: now.unix,
            attempts: 0,
            next_attempt: now.at,
            in_flight: false,
        };
        self.entries.insert(id.clone(), entry);
        effects.push(Effect::Enqueued { queue_id: id });
        effects.extend(reports);
        effects
    }

    /// The entries whose attempt is due, now marked as under way.
    pub fn due(&mut self, now: Duration) -> Vec<String> {
        self.entries
            .values_mut()
            .filter(|e| !e.in_flight && e.next_attempt <= now)
            .map(|e| {
                e.in_flight = true;
                e.id.clone()
            })
            .collect()
    }

    /// When the next waiting entry falls due.
    pub fn next_wakeup(&self) -> Option<Duration> {
        self.entries
            .values()
            .filter(|e| !e.in_flight)
            .map(|e| e.next_attempt)
            .min()
    }

    /// Applies one attempt's outcomes: the delivered are done, the failed
    /// are bounced, the deferred wait for the next step of the schedule,
    /// or expire when the entry is too old (RFC 5321 §4.5.4.1).
    pub fn settle(
        &mut self,
        id: &str,
        outcomes: Vec<(Mailbox, Fate)>,
        now: Now,
        retry: &RetryPolicy,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let Some(entry) = self.entries.get_mut(id) else {
            return effects;
        };
        entry.attempts += 1;
        entry.in_flight = false;
        let mut failures = Vec::new();
        let mut deferred = Vec::new();
        let mut relayed = Vec::new();
        for (rcpt, fate) in outcomes {
            match fate {
                Fate::Delivered => entry.set(&rcpt, RcptState::Done),
                Fate::Relayed { remote_mta } => {
                    entry.set(&rcpt, RcptState::Done);
                    relayed.push((rcpt, remote_mta));
                }
                Fate::Failed(failure) => {
                    entry.set(&rcpt, RcptState::Failed);
                    failures.push(failure.reported(&rcpt));
                }
                Fate::Deferred { reason } => {
                    let last_reason = Some(reason.clone());
                    entry.set(&rcpt, RcptState::Pending { last_reason });
                    deferred.push((rcpt, reason));
                }
            }
        }
        if !deferred.is_empty() && retry.expired(entry.arrived, now.at) {
            effects.push(Effect::Expired {
                queue_id: id.to_owned(),
                rcpts: deferred.iter().map(|(rcpt, _)| rcpt.clone()).collect(),
            });
            for (rcpt, reason) in deferred.drain(..) {
                entry.set(&rcpt, RcptState::Failed);
                failures.push(Failure::expired(&reason).reported(&rcpt));
            }
        }
        let mut notices = notify::relayed(entry, &relayed);
        notices.extend(notify::delayed(entry, &deferred, now, retry));
        if !deferred.is_empty() {
            let retry_at = now.at + retry.interval(entry.attempts);
            entry.next_attempt = retry_at;
            effects.push(Effect::Deferred {
                queue_id: id.to_owned(),
                attempts: deferred,
                retry_at,
                attempt: entry.attempts,
            });
        }
        let finished = entry.pending().is_empty();
        let (failures, withheld) = notify::failures(entry, failures);
        notices.extend(withheld);
        if !failures.is_empty() {
            effects.extend(self.bounce(id, failures, now));
        }
        if let Some(entry) = self.entries.get(id) {
            let entry = entry.clone();
            effects.extend(self.notify(&entry.original(), notices, now));
        }
        if finished {
            self.entries.remove(id);
            effects.push(Effect::Dequeued {
                queue_id: id.to_owned(),
            });
        }
        effects
    }

    /// Reports `failures` of entry `id` to its sender, and takes the
    /// report on as a message of its own; never for a null reverse-path.
    fn bounce(&mut self, id: &str, failures: Vec<DsnRecipient>, now: Now) -> Vec<Effect> {
        let Some(entry) = self.entries.get(id) else {
            return Vec::new();
        };
        let ReversePath::Mailbox(sender) = entry.reverse_path.clone() else {
            // RFC 5321 §6.1: "if this address is null ("<>"), the
            // receiver-SMTP MUST NOT send a notification".
            return vec![Effect::Bounced {
                queue_id: id.to_owned(),
                failures,
                dsn_queue_id: None,
            }];
        };
        let entry = entry.clone();
        let reported = failures.clone();
        let (dsn_id, queued) = self.send_report(&entry.original(), sender, failures, now);
        let mut effects = vec![Effect::Bounced {
            queue_id: id.to_owned(),
            failures: reported,
            dsn_queue_id: Some(dsn_id),
        }];
        effects.extend(queued);
        effects
    }

    /// Sends the reports `notices` ask for (success, relayed, delayed),
    /// one DSN per kind of action, and records those NOTIFY withheld.
    fn notify(&mut self, original: &Original, notices: Vec<Notice>, now: Now) -> Vec<Effect> {
        let mut effects = Vec::new();
        for notice in notices {
            let rcpts = notice
                .recipients
                .iter()
                .map(|r| r.final_recipient.clone())
                .collect();
            let sender = match (&notice.withheld, original.reverse_path) {
                (None, ReversePath::Mailbox(sender)) => sender.clone(),
                (why, _) => {
                    // RFC 3461 §5.2 / RFC 5321 §6.1: nobody to tell after
                    // MAIL FROM:<>; or the sender said not to.
                    let why = why.clone().unwrap_or_else(|| {
                        "it came with MAIL FROM:<>: a report about a report is never sent \
                         (RFC 3461 §6.2, RFC 5321 §6.1)"
                            .to_owned()
                    });
                    effects.push(Effect::Notified {
                        queue_id: original.queue_id.to_owned(),
                        action: notice.action,
                        rcpts,
                        dsn_queue_id: None,
                        why,
                    });
                    continue;
                }
            };
            let (dsn_id, queued) = self.send_report(original, sender, notice.recipients, now);
            effects.push(Effect::Notified {
                queue_id: original.queue_id.to_owned(),
                action: notice.action,
                rcpts,
                dsn_queue_id: Some(dsn_id),
                why: notice.why,
            });
            effects.extend(queued);
        }
        effects
    }

    /// Writes one report about `original` to `sender` and takes it on as
    /// a message of its own, with the null reverse-path and no NOTIFY,
    /// so that it is never reported on in turn.
    fn send_report(
        &mut self,
        original: &Original,
        sender: Mailbox,
        recipients: Vec<DsnRecipient>,
        now: Now,
    ) -> (String, Vec<Effect>) {
        let dsn_id = self.ids.next();
        let message_id = self.dsn_message_id(&dsn_id);
        let dsn = bounce::report(
            original,
            sender.clone(),
            recipients,
            &self.hostname,
            message_id.clone(),
            now.unix,
        );
        let arrival = Arrival {
            id: dsn_id.clone(),
            message_id,
            reverse_path: ReversePath::Null,
            forward_paths: vec![ForwardPath::Mailbox(sender)],
            content: compose_dsn(&dsn),
            dsn: MailDsn::default(),
            rcpt_dsn: Vec::new(),
        };
        (dsn_id, self.intake(arrival, now))
    }
}

/// Two relayed recipients are one when the local parts are equal as
/// written (they are case-sensitive, §2.4) and the domains are equal
/// without case.
fn same_remote(a: &Mailbox, b: &Mailbox) -> bool {
    a.local_part() == b.local_part()
        && a.host()
            .to_string()
            .eq_ignore_ascii_case(&b.host().to_string())
}

#[cfg(test)]
mod tests;
