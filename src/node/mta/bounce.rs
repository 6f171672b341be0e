//! Bounces: a delivery status notification (RFC 3464) back to the sender,
//! sent with the null reverse-path so that it can never bounce in turn
//! (RFC 5321 §4.5.5, §6.1).

use std::sync::Arc;

use super::Mta;
use super::policy::address_of;
use super::queue::{QueueEntry, Rcpt, RcptState};
use crate::mail::{Dsn, DsnRecipient, compose_dsn, header_section, prepend, return_path};
use crate::smtp::ReversePath;
use crate::trace::{Attempt, EventKind};

/// Reports `failures` of queue entry `id` to its sender.
pub(crate) fn send(mta: &Mta, id: &str, failures: Vec<DsnRecipient>) {
    let net = &mta.net;
    let now_unix = mta.unix_now();
    let mut state = mta.state.borrow_mut();
    let Some(entry) = state.queue.get(id) else {
        return;
    };
    let (reverse_path, arrival_unix, original_id) = (
        entry.reverse_path.clone(),
        entry.arrival_unix,
        entry.message_id.clone(),
    );
    let original_headers = header_section(&entry.content).to_vec();
    let reported: Vec<Attempt> = failures
        .iter()
        .map(|f| Attempt {
            rcpt: f.final_recipient.clone(),
            reason: format!("{} {}", f.status, f.diagnostic.clone().unwrap_or_default()),
        })
        .collect();
    let sender = match &reverse_path {
        ReversePath::Mailbox(m) => m.clone(),
        ReversePath::Null => {
            // A bounce that fails is dropped, never bounced (§6.1).
            net.record(EventKind::Bounced {
                host: net.host(),
                queue_id: id.to_owned(),
                failures: reported,
                dsn_queue_id: None,
            });
            return;
        }
    };
    let hostname = state.config.hostname.clone();
    let dsn_id = state.new_queue_id();
    let message_id = format!("<{dsn_id}.dsn@{hostname}>");
    let dsn = Dsn {
        reporting_mta: hostname,
        arrival_date: arrival_unix,
        date: now_unix,
        message_id: message_id.clone(),
        to: sender.clone(),
        original_message_id: Some(original_id),
        recipients: failures,
        original_headers,
    };
    let content = compose_dsn(&dsn);
    net.record(EventKind::Bounced {
        host: net.host(),
        queue_id: id.to_owned(),
        failures: reported,
        dsn_queue_id: Some(dsn_id.clone()),
    });
    let address = address_of(&sender);
    net.record(EventKind::Queued {
        host: net.host(),
        queue_id: dsn_id.clone(),
        message_id: message_id.clone(),
        from: ReversePath::Null.to_string(),
        rcpts: vec![format!("<{address}>")],
        conn: None,
    });
    let local = sender.domain().is_some_and(|d| state.is_local(d));
    if local {
        let stored = prepend(&content, &return_path(&ReversePath::Null));
        state.store(net, &address, &dsn_id, &message_id, stored);
        net.record(EventKind::Dequeued {
            host: net.host(),
            queue_id: dsn_id,
        });
        return;
    }
    let now = net.now().0;
    state.queue.insert(
        dsn_id.clone(),
        QueueEntry {
            id: dsn_id,
            message_id,
            reverse_path: ReversePath::Null,
            content: Arc::from(content),
            rcpts: vec![Rcpt {
                address,
                state: RcptState::Pending { last_reason: None },
            }],
            arrived: now,
            arrival_unix: now_unix,
            attempts: 0,
            next_attempt: now,
            in_flight: false,
            _job: mta.activity.begin(),
        },
    );
    mta.wake.notify_one();
}
