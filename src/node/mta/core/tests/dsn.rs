//! The queue's DSN decisions (RFC 3461): which reports a recipient's
//! NOTIFY asks for, and what they say.

use super::*;
use crate::mail::parse_dsn;
use crate::smtp::dsn::{Notify, Orcpt, Ret};

fn notify(text: &str) -> Option<Notify> {
    Some(Notify::parse(text).expect("a valid NOTIFY"))
}

/// A message from alice@example.org with these DSN parameters per
/// recipient, RET and ENVID.
fn asking(q: &mut Queue, to: &[(&str, Option<Notify>)], ret: Option<Ret>) -> Arrival {
    let paths: Vec<&str> = to.iter().map(|(p, _)| *p).collect();
    let mut a = arrival(q, "<alice@example.org>", &paths);
    a.dsn = MailDsn {
        ret,
        envid: Some("QQ314159".to_owned()),
    };
    a.rcpt_dsn = to
        .iter()
        .map(|(p, n)| {
            let p = path(p);
            let orcpt = p.mailbox().map(|m| Orcpt::rfc822(&m.to_string()));
            (p, RcptDsn { notify: *n, orcpt })
        })
        .collect();
    a
}

fn notified(effects: &[Effect]) -> Vec<(Action, Option<String>, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notified {
                action,
                dsn_queue_id,
                why,
                ..
            } => Some((*action, dsn_queue_id.clone(), why.clone())),
            _ => None,
        })
        .collect()
}

/// The content of the report queued as `id`: from the queue, or as
/// filed into a local mailbox.
fn report(q: &Queue, effects: &[Effect], id: &str) -> Vec<u8> {
    if let Some(entry) = q.entry(id) {
        return entry.content.to_vec();
    }
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Store {
                queue_id, content, ..
            } if queue_id == id => Some(content.clone()),
            _ => None,
        })
        .expect("the report was queued or filed")
}

fn relay_with_warning(after: Duration) -> RetryPolicy {
    RetryPolicy {
        delay_warning: Some(after),
        ..retry()
    }
}

#[test]
fn rfc3461_s6_2_notify_never_suppresses_the_failure_dsn() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", notify("NEVER"))], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let fate = failed((5, 1, 1), "no such user");
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), fate)],
        at(1),
        &retry(),
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Bounced { .. } | Effect::Queued { .. })),
        "no bounce may go: {effects:?}"
    );
    let n = notified(&effects);
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].0, n[0].1.as_deref()), (Action::Failed, None));
    assert!(n[0].2.starts_with("NOTIFY=NEVER"), "{}", n[0].2);
    assert!(q.entry(&id).is_none(), "the entry is done with");
}

#[test]
fn rfc3461_s4_1_failure_without_failure_in_notify_is_not_bounced() {
    let mut q = queue();
    let a = asking(
        &mut q,
        &[
            ("<bob@example.net>", notify("SUCCESS,DELAY")),
            ("<carol@example.net>", notify("FAILURE")),
        ],
        None,
    );
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let outcomes = vec![
        (
            mailbox("bob@example.net"),
            failed((5, 1, 1), "no such user"),
        ),
        (
            mailbox("carol@example.net"),
            failed((5, 1, 1), "no such user"),
        ),
    ];
    let effects = q.settle(&id, outcomes, at(1), &retry());
    let Some(Effect::Bounced {
        failures,
        dsn_queue_id: Some(dsn),
        ..
    }) = effects.iter().find(|e| matches!(e, Effect::Bounced { .. }))
    else {
        panic!("carol's failure is bounced: {effects:?}");
    };
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].final_recipient, "carol@example.net");
    let n = notified(&effects);
    assert!(
        n[0].2.contains("NOTIFY=SUCCESS,DELAY has no FAILURE"),
        "{n:?}"
    );
    // The bounce names the original recipient and envelope (RFC 3464).
    let content = report(&q, &effects, dsn);
    let parsed = parse_dsn(&content).expect("a report");
    assert_eq!(parsed.envelope_id.as_deref(), Some("QQ314159"));
    assert_eq!(
        parsed.recipients[0].original_recipient.as_deref(),
        Some("carol@example.net")
    );
}

#[test]
fn rfc3461_s5_2_2_relay_to_non_dsn_server_sends_relayed() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", notify("SUCCESS"))], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let fate = Fate::Relayed {
        remote_mta: "mx.example.net".to_owned(),
    };
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), fate)],
        at(1),
        &retry(),
    );
    let n = notified(&effects);
    assert_eq!(n.len(), 1, "{effects:?}");
    assert_eq!(n[0].0, Action::Relayed);
    assert!(
        n[0].2.contains("mx.example.net offers no DSN"),
        "{}",
        n[0].2
    );
    let content = report(&q, &effects, n[0].1.as_deref().expect("a report went"));
    assert_eq!(
        parse_dsn_status(&content),
        vec![(
            "bob@example.net".to_owned(),
            EnhancedCode::new(2, 0, 0),
            Action::Relayed
        )]
    );
    assert!(String::from_utf8_lossy(&content).contains("Remote-MTA: dns; mx.example.net"));
}

#[test]
fn rfc3461_s5_2_relay_to_a_dsn_server_leaves_the_report_to_it() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", notify("SUCCESS"))], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), Fate::Delivered)],
        at(1),
        &retry(),
    );
    assert!(notified(&effects).is_empty(), "{effects:?}");
}

#[test]
fn rfc3461_s5_2_2_relayed_without_notify_success_is_silent() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", None)], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let fate = Fate::Relayed {
        remote_mta: "mx.example.net".to_owned(),
    };
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), fate)],
        at(1),
        &retry(),
    );
    assert!(notified(&effects).is_empty(), "{effects:?}");
}

#[test]
fn rfc3461_s6_2_local_delivery_with_notify_success_sends_delivered() {
    let mut q = queue();
    let mut a = asking(&mut q, &[("<alice@example.org>", notify("SUCCESS"))], None);
    a.reverse_path = ReversePath::parse("<erin@example.com>").unwrap();
    let effects = q.intake(a, at(0));
    let n = notified(&effects);
    assert_eq!(n.len(), 1, "{effects:?}");
    assert_eq!(n[0].0, Action::Delivered);
    let dsn_id = n[0].1.clone().expect("a report went");
    let content = report(&q, &effects, &dsn_id);
    let parsed = parse_dsn(&content).unwrap();
    assert_eq!(parsed.recipients[0].action, Action::Delivered);
    assert_eq!(parsed.recipients[0].status, EnhancedCode::new(2, 0, 0));
    // The report goes with MAIL FROM:<> and asks for nothing itself.
    let entry = q.entry(&dsn_id).expect("relayed to erin");
    assert_eq!(entry.reverse_path, ReversePath::Null);
    assert!(entry.rcpts.iter().all(|r| r.notify.is_none()));
}

#[test]
fn rfc3464_2_3_3_one_delay_warning_per_recipient_after_delay_warning() {
    let mut q = queue();
    let a = asking(
        &mut q,
        &[("<bob@example.net>", notify("SUCCESS,DELAY"))],
        None,
    );
    let id = a.id.clone();
    q.intake(a, at(0));
    let policy = relay_with_warning(30 * MIN);
    let mut warnings = Vec::new();
    for minute in [0, 10, 40, 70] {
        q.due(minute * MIN);
        let outcome = (
            mailbox("bob@example.net"),
            deferred("mx.example.net: 451 4.3.0 try later"),
        );
        let effects = q.settle(&id, vec![outcome], at(minute), &policy);
        for (action, dsn, _) in notified(&effects) {
            warnings.push((minute, action, report(&q, &effects, &dsn.unwrap())));
        }
    }
    assert_eq!(warnings.len(), 1, "one warning only");
    let (minute, action, content) = &warnings[0];
    assert_eq!((*minute, *action), (40, Action::Delayed));
    let status = parse_dsn_status(content);
    assert_eq!(status[0].1, EnhancedCode::new(4, 3, 0));
    let text = String::from_utf8_lossy(content);
    // Arrival 1_796_115_600 + max_age 2h.
    assert!(
        text.contains("Will-Retry-Until: Tue, 01 Dec 2026 11:00:00 +0000"),
        "{text}"
    );
    assert!(text.contains("Subject: Delayed Mail (still being retried)"));
}

#[test]
fn rfc3461_s4_1_no_delay_warning_without_delay_in_notify() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", notify("FAILURE"))], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let outcome = (mailbox("bob@example.net"), deferred("4.4.1 refused"));
    let effects = q.settle(&id, vec![outcome], at(40), &relay_with_warning(30 * MIN));
    let n = notified(&effects);
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].0, n[0].1.as_deref()), (Action::Delayed, None));
    assert!(n[0].2.contains("NOTIFY=FAILURE has no DELAY"), "{}", n[0].2);
}

#[test]
fn postfix_delay_warning_off_by_default() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", None)], None);
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let outcome = (mailbox("bob@example.net"), deferred("4.4.1 refused"));
    let effects = q.settle(&id, vec![outcome], at(100), &retry());
    assert!(notified(&effects).is_empty());
}

#[test]
fn rfc3461_s4_3_ret_full_returns_the_message_only_with_a_failure() {
    let mut q = queue();
    let a = asking(
        &mut q,
        &[
            ("<bob@example.net>", notify("SUCCESS,FAILURE")),
            ("<carol@example.net>", notify("SUCCESS,FAILURE")),
        ],
        Some(Ret::Full),
    );
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let outcomes = vec![
        (
            mailbox("bob@example.net"),
            failed((5, 1, 1), "no such user"),
        ),
        (
            mailbox("carol@example.net"),
            Fate::Relayed {
                remote_mta: "mx.example.net".to_owned(),
            },
        ),
    ];
    let effects = q.settle(&id, outcomes, at(1), &retry());
    let bounce = effects
        .iter()
        .find_map(|e| match e {
            Effect::Bounced {
                dsn_queue_id: Some(d),
                ..
            } => Some(d.clone()),
            _ => None,
        })
        .expect("a bounce");
    let bounce = String::from_utf8(report(&q, &effects, &bounce)).unwrap();
    assert!(bounce.contains("Content-Type: message/rfc822"), "{bounce}");
    assert!(bounce.contains("\r\nhello\r\n"), "the body comes back");
    let relayed = notified(&effects)[0].1.clone().expect("a report");
    let relayed = String::from_utf8(report(&q, &effects, &relayed)).unwrap();
    assert!(relayed.contains("Content-Type: text/rfc822-headers"));
    assert!(
        !relayed.contains("\r\nhello\r\n"),
        "headers only on success"
    );
}

#[test]
fn rfc3461_s4_3_ret_hdrs_returns_headers_only() {
    let mut q = queue();
    let a = asking(&mut q, &[("<bob@example.net>", None)], Some(Ret::Hdrs));
    let id = a.id.clone();
    q.intake(a, at(0));
    q.due(Duration::ZERO);
    let fate = failed((5, 1, 1), "no such user");
    let effects = q.settle(
        &id,
        vec![(mailbox("bob@example.net"), fate)],
        at(1),
        &retry(),
    );
    let Some(Effect::Bounced {
        dsn_queue_id: Some(d),
        ..
    }) = effects.iter().find(|e| matches!(e, Effect::Bounced { .. }))
    else {
        panic!("{effects:?}")
    };
    let text = String::from_utf8(report(&q, &effects, d)).unwrap();
    assert!(text.contains("Content-Type: text/rfc822-headers"));
    assert!(!text.contains("\r\nhello\r\n"));
}
