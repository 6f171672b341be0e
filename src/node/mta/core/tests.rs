//! The queue's decisions, without a network: each test hands in a time
//! and outcomes and reads the effects.

use std::time::Duration;

use super::*;
use crate::mail::{Action, parse_dsn_status};
use crate::smtp::Reply;

const MIN: Duration = Duration::from_secs(60);

fn queue() -> Queue {
    Queue::new(
        "smtp.example.org",
        LocalDomains::new(&["example.org".to_owned()], "smtp.example.org"),
        QueueIds::new("SMTP"),
        None,
    )
}

fn at(minutes: u32) -> Now {
    Now {
        at: minutes * MIN,
        unix: 1_796_115_600 + 60 * minutes as i64,
    }
}

fn retry() -> RetryPolicy {
    RetryPolicy {
        schedule: vec![10 * MIN, 30 * MIN],
        max_age: 120 * MIN,
        delay_warning: None,
    }
}

fn mailbox(text: &str) -> Mailbox {
    Mailbox::parse(text).expect("a valid mailbox")
}

fn path(text: &str) -> ForwardPath {
    ForwardPath::parse(text).expect("a valid path")
}

fn arrival(q: &mut Queue, from: &str, to: &[&str]) -> Arrival {
    Arrival {
        id: q.next_id(),
        message_id: "<1@laptop.example.org>".to_owned(),
        reverse_path: ReversePath::parse(from).expect("a valid reverse-path"),
        forward_paths: to.iter().map(|t| path(t)).collect(),
        content: b"Subject: hi\r\nMessage-ID: <1@laptop.example.org>\r\n\r\nhello\r\n".to_vec(),
        dsn: MailDsn::default(),
        rcpt_dsn: Vec::new(),
    }
}

fn stored(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Store { mailbox, .. } => Some(mailbox.as_str()),
            _ => None,
        })
        .collect()
}

fn failed(status: (u8, u16, u16), text: &str) -> Fate {
    let reply = Reply::new(
        550,
        Some(EnhancedCode::new(status.0, status.1, status.2)),
        text,
    );
    Fate::judged(
        Outcome::Failed {
            reason: Reason::Reply(reply),
        },
        "mx.example.net",
    )
}

fn deferred(text: &str) -> Fate {
    Fate::Deferred {
        reason: text.to_owned(),
    }
}

/// Takes on a message for remote recipients and starts its first attempt.
fn queued(q: &mut Queue, to: &[&str]) -> String {
    let a = arrival(q, "<alice@example.org>", to);
    let id = a.id.clone();
    q.intake(a, at(0));
    assert_eq!(q.due(Duration::ZERO), vec![id.clone()]);
    id
}

#[test]
fn intake_files_local_mail_and_queues_the_rest() {
    let mut q = queue();
    let a = arrival(
        &mut q,
        "<carol@example.com>",
        &["<alice@example.org>", "<bob@example.net>"],
    );
    let effects = q.intake(a, at(0));
    assert!(matches!(&effects[0], Effect::Queued { queue_id, .. } if queue_id == "SMTP0001"));
    assert_eq!(stored(&effects), ["alice@example.org"]);
    match &effects[1] {
        Effect::Store { content, .. } => {
            assert!(content.starts_with(b"Return-Path: <carol@example.com>\r\n"));
        }
        other => panic!("expected a store, got {other:?}"),
    }
    assert_eq!(
        effects.last(),
        Some(&Effect::Enqueued {
            queue_id: "SMTP0001".to_owned()
        })
    );
    let entry = q.entry("SMTP0001").expect("queued");
    assert_eq!(entry.pending(), vec![mailbox("bob@example.net")]);
}

#[test]
fn local_only_mail_leaves_the_queue_at_once() {
    let mut q = queue();
    let a = arrival(&mut q, "<carol@example.com>", &["<alice@example.org>"]);
    let effects = q.intake(a, at(0));
    assert_eq!(
        effects.last(),
        Some(&Effect::Dequeued {
            queue_id: "SMTP0001".to_owned()
        })
    );
    assert!(q.entry("SMTP0001").is_none());
    assert_eq!(q.next_wakeup(), None);
}

/// Issue 9 item 15: RFC 5321 allows one copy per RCPT or per mailbox;
/// like Postfix and Sendmail, a mailbox named twice gets one copy.
#[test]
fn a_mailbox_named_twice_in_one_transaction_gets_one_copy() {
    let mut q = queue();
    let a = arrival(
        &mut q,
        "<carol@example.com>",
        &[
            "<alice@example.org>",
            "<ALICE@Example.ORG>",
            "<\"alice\"@example.org>",
            "<postmaster@example.org>",
            "<Postmaster>",
        ],
    );
    let effects = q.intake(a, at(0));
    assert_eq!(
        stored(&effects),
        ["alice@example.org", "postmaster@example.org"]
    );
    // The trace still shows every path as the client wrote it.
    match &effects[0] {
        Effect::Queued { rcpts, .. } => assert_eq!(rcpts.len(), 5),
        other => panic!("expected Queued first, got {other:?}"),
    }
}

#[test]
fn a_relayed_recipient_named_twice_is_tried_once_rfc5321_2_4() {
    let mut q = queue();
    let id = queued(
        &mut q,
        &[
            "<bob@example.net>",
            "<bob@EXAMPLE.net>",
            "<Bob@example.net>",
        ],
    );
    // The domain has no case, the local part has (§2.4): two recipients.
    assert_eq!(
        q.entry(&id).expect("queued").pending(),
        vec![mailbox("bob@example.net"), mailbox("Bob@example.net")]
    );
}

#[test]
fn relay_keeps_the_local_part_case_rfc5321_2_4() {
    let mut q = queue();
    let id = queued(&mut q, &["<Bob@Example.net>"]);
    let pending = q.entry(&id).expect("queued").pending();
    assert_eq!(pending[0].to_string(), "Bob@Example.net");
    let effects = q.settle(
        &id,
        vec![(
            mailbox("Bob@Example.net"),
            failed((5, 1, 1), "no such user"),
        )],
        at(1),
        &retry(),
    );
    let Some(Effect::Bounced { failures, .. }) = effects.first() else {
        panic!("expected a bounce, got {effects:?}");
    };
    assert_eq!(failures[0].final_recipient, "Bob@Example.net");
}

#[test]
fn due_entries_are_handed_out_once_until_settled() {
    let mut q = queue();
    let a = arrival(&mut q, "<alice@example.org>", &["<bob@example.net>"]);
    let id = a.id.clone();
    q.intake(a, at(0));
    assert_eq!(q.next_wakeup(), Some(Duration::ZERO));
    assert_eq!(q.due(Duration::ZERO), vec![id.clone()]);
    // Under way: not due again, and nothing to wake for.
    assert!(q.due(Duration::ZERO).is_empty());
    assert_eq!(q.next_wakeup(), None);
    q.settle(
        &id,
        vec![(mailbox("bob@example.net"), deferred("4.4.1 down"))],
        at(0),
        &retry(),
    );
    assert_eq!(q.next_wakeup(), Some(10 * MIN));
    assert!(q.due(9 * MIN).is_empty());
    assert_eq!(q.due(10 * MIN), vec![id]);
}

#[test]
fn retry_follows_the_schedule_and_the_last_interval_repeats_rfc5321_4_5_4_1() {
    let mut q = queue();
    let id = queued(&mut q, &["<bob@example.net>"]);
    let mut now: u32 = 0;
    for (attempt, wait) in [(1, 10), (2, 30), (3, 30), (4, 30)] {
        let effects = q.settle(
            &id,
            vec![(mailbox("bob@example.net"), deferred("4.4.1 down"))],
            at(now),
            &retry(),
        );
        assert_eq!(
            effects,
            vec![Effect::Deferred {
                queue_id: id.clone(),
                attempts: vec![(mailbox("bob@example.net"), "4.4.1 down".to_owned())],
                retry_at: (now + wait) * MIN,
                attempt,
            }]
        );
        now += wait;
        assert_eq!(q.due(now * MIN), vec![id.clone()]);
    }
}

#[test]
fn one_attempt_settles_each_recipient_on_its_own_rfc5321_4_5_4() {
    let mut q = queue();
    let id = queued(
        &mut q,
        &[
            "<bob@example.net>",
            "<carol@example.com>",
            "<dave@example.com>",
        ],
    );
    let effects = q.settle(
        &id,
        vec![
            (mailbox("bob@example.net"), Fate::Delivered),
            (
                mailbox("carol@example.com"),
                deferred("mx.example.com: 450 4.7.1 later"),
            ),
            (
                mailbox("dave@example.com"),
                failed((5, 1, 1), "no such user"),
            ),
        ],
        at(1),
        &retry(),
    );
    // Deferred: carol alone. Bounced: dave alone, in a DSN to alice,
    // who is local here. The entry stays for carol.
    let Effect::Deferred { attempts, .. } = &effects[0] else {
        panic!("expected Deferred first, got {effects:?}");
    };
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].0, mailbox("carol@example.com"));
    let Effect::Bounced {
        failures,
        dsn_queue_id,
        ..
    } = &effects[1]
    else {
        panic!("expected Bounced second, got {effects:?}");
    };
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].final_recipient, "dave@example.com");
    assert_eq!(failures[0].status, EnhancedCode::new(5, 1, 1));
    assert_eq!(dsn_queue_id.as_deref(), Some("SMTP0002"));
    assert_eq!(stored(&effects), ["alice@example.org"]);
    assert!(!effects.contains(&Effect::Dequeued {
        queue_id: id.clone()
    }));
    // The retry carries only the deferred recipient.
    assert_eq!(
        q.entry(&id).expect("still queued").pending(),
        vec![mailbox("carol@example.com")]
    );
    assert_eq!(q.due(11 * MIN), vec![id.clone()]);
    let effects = q.settle(
        &id,
        vec![(mailbox("carol@example.com"), Fate::Delivered)],
        at(11),
        &retry(),
    );
    assert_eq!(
        effects,
        vec![Effect::Dequeued {
            queue_id: id.clone()
        }]
    );
    assert!(q.entry(&id).is_none());
}

#[test]
fn a_route_failure_reaches_every_recipient_by_its_own_address() {
    let mut q = queue();
    let id = queued(
        &mut q,
        &["<bob@nowhere.example>", "<Carol@nowhere.example>"],
    );
    let failure = RouteFailure::Permanent {
        status: EnhancedCode::new(5, 1, 2),
        diagnostic: "X-mailflow; nowhere.example: no such domain (NXDOMAIN)".to_owned(),
    };
    let pending = q.entry(&id).expect("queued").pending();
    let outcomes = pending.into_iter().map(|r| (r, failure.fate())).collect();
    let effects = q.settle(&id, outcomes, at(0), &retry());
    let Some(Effect::Bounced { failures, .. }) = effects.first() else {
        panic!("expected a bounce, got {effects:?}");
    };
    let names: Vec<&str> = failures
        .iter()
        .map(|f| f.final_recipient.as_str())
        .collect();
    assert_eq!(names, ["bob@nowhere.example", "Carol@nowhere.example"]);
    assert!(failures.iter().all(|f| f.remote_mta.is_none()));
}

#[test]
fn expiry_at_max_age_bounces_with_the_last_reason_rfc5321_4_5_4_1() {
    let mut q = queue();
    let id = queued(&mut q, &["<bob@example.net>"]);
    let last = "mx.example.net: 450 4.7.1 Greylisted, try again later";
    q.settle(
        &id,
        vec![(mailbox("bob@example.net"), deferred("4.4.1 down"))],
        at(0),
        &retry(),
    );
    // 119 minutes old: still retried.
    assert_eq!(q.due(119 * MIN), vec![id.clone()]);
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), deferred(last))],
        at(119),
        &retry(),
    );
    assert!(matches!(effects[..], [Effect::Deferred { .. }]));
    // 120 minutes: given up, reported with X.4.7 and the last reason.
    assert_eq!(q.due(149 * MIN), vec![id.clone()]);
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), deferred(last))],
        at(149),
        &retry(),
    );
    assert_eq!(
        effects[0],
        Effect::Expired {
            queue_id: id.clone(),
            rcpts: vec![mailbox("bob@example.net")]
        }
    );
    let Effect::Bounced { failures, .. } = &effects[1] else {
        panic!("expected a bounce, got {effects:?}");
    };
    assert_eq!(failures[0].status, EnhancedCode::new(4, 4, 7));
    assert_eq!(failures[0].action, Action::Failed);
    let diagnostic = failures[0].diagnostic.as_deref().unwrap_or_default();
    assert!(diagnostic.ends_with(last), "{diagnostic}");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Deferred { .. })));
    assert_eq!(effects.last(), Some(&Effect::Dequeued { queue_id: id }));
}

#[test]
fn the_dsn_goes_to_the_sender_with_the_null_reverse_path_rfc5321_6_1() {
    let mut q = queue();
    let a = arrival(&mut q, "<Erin@example.com>", &["<bob@example.net>"]);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let effects = q.settle(
        &id,
        vec![(
            mailbox("bob@example.net"),
            failed((5, 1, 1), "no such user"),
        )],
        at(2),
        &retry(),
    );
    let Some(Effect::Queued {
        queue_id,
        from,
        rcpts,
        ..
    }) = effects.get(1)
    else {
        panic!("expected the DSN to be queued, got {effects:?}");
    };
    assert_eq!(from, &ReversePath::Null);
    // A remote sender: the report is relayed, to the address as written.
    assert_eq!(rcpts, &vec![path("<Erin@example.com>")]);
    let dsn = q.entry(queue_id).expect("the DSN waits for delivery");
    assert_eq!(dsn.reverse_path, ReversePath::Null);
    assert_eq!(dsn.pending(), vec![mailbox("Erin@example.com")]);
    assert_eq!(
        parse_dsn_status(&dsn.content),
        vec![(
            "bob@example.net".to_owned(),
            EnhancedCode::new(5, 1, 1),
            Action::Failed
        )]
    );
}

#[test]
fn a_null_reverse_path_message_is_never_bounced_rfc5321_6_1() {
    let mut q = queue();
    let a = arrival(&mut q, "<>", &["<bob@example.net>"]);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let effects = q.settle(
        &id,
        vec![(
            mailbox("bob@example.net"),
            failed((5, 1, 1), "no such user"),
        )],
        at(1),
        &retry(),
    );
    assert!(matches!(
        &effects[0],
        Effect::Bounced { dsn_queue_id: None, failures, .. } if failures.len() == 1
    ));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Queued { .. } | Effect::Store { .. }))
    );
    assert_eq!(effects.last(), Some(&Effect::Dequeued { queue_id: id }));
    // No id was spent on a report.
    assert_eq!(q.next_id(), "SMTP0002");
}

#[test]
fn loop_detected_by_hop_count_rfc5321_6_3() {
    let hop = "Received: from a by b with ESMTP id Q1; Tue, 01 Dec 2026 12:00:00 +0000\r\n";
    let message = |hops: usize| format!("{}Subject: hi\r\n\r\nbody\r\n", hop.repeat(hops));
    let hops = |n| crate::mail::headers::Taken::read(message(n).as_bytes()).received;
    assert_eq!(loop_detected(hops(2), 3), None);
    assert_eq!(loop_detected(hops(3), 3), Some(3));
    assert_eq!(loop_detected(hops(5), 3), Some(5));
}

#[test]
fn a_live_worlds_bounce_message_id_carries_its_run_id_rfc5322_3_6_4() {
    // Two runs of serve bounce with the same queue ids; their reports must
    // still have different Message-IDs.
    let ids: Vec<String> = ["run1", "run2"]
        .into_iter()
        .map(|run| {
            let queue = Queue::new(
                "smtp.example.org",
                LocalDomains::new(&["example.org".to_owned()], "smtp.example.org"),
                QueueIds::new("SMTP"),
                Some(run),
            );
            queue.dsn_message_id("SMTP0002")
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    assert!(ids[0].contains("run1"), "{}", ids[0]);
}

/// The give-up time is a minimum (RFC 5321 §4.5.4.1: "at least 4-5
/// days"): reaching max_age between two attempts changes nothing, and the
/// entry is given up when the next attempt fails, as Postfix and Exim do.
/// The README's retry arithmetic (2h13m for max_age 2h) rests on this.
#[test]
fn an_entry_is_given_up_at_the_first_failed_attempt_after_max_age_rfc5321_4_5_4_1() {
    let mut q = queue();
    let id = queued(&mut q, &["<bob@example.net>"]);
    let down = || vec![(mailbox("bob@example.net"), deferred("4.4.1 timed out"))];
    let effects = q.settle(&id, down(), at(0), &retry());
    assert!(matches!(effects[..], [Effect::Deferred { .. }]));
    // The second attempt at 100 minutes fails: the next waits 30, to 130.
    let effects = q.settle(&id, down(), at(100), &retry());
    assert!(matches!(effects[..], [Effect::Deferred { .. }]));
    // At 120 minutes, max_age, nothing is due: no timer gives it up.
    assert!(q.due(120 * MIN).is_empty());
    assert!(q.due(129 * MIN).is_empty());
    // The attempt after max_age still happens, and only its failure
    // expires the entry.
    assert_eq!(q.due(130 * MIN), vec![id.clone()]);
    let effects = q.settle(&id, down(), at(130), &retry());
    assert!(
        matches!(&effects[0], Effect::Expired { queue_id, .. } if *queue_id == id),
        "{effects:?}"
    );
}

mod dsn;
