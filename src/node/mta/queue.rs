//! Queue entries: messages an MTA has taken responsibility for and not yet
//! passed on, each with its recipients' state (RFC 5321 §4.5.4).

use std::sync::Arc;
use std::time::Duration;

use crate::smtp::client::DsnRequest;
use crate::smtp::dsn::{MailDsn, Notify, Orcpt, RcptDsn};
use crate::smtp::{Mailbox, ReversePath};

/// Where one recipient stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RcptState {
    /// Still to deliver; the last reason it was not.
    Pending { last_reason: Option<String> },
    /// Handed on.
    Done,
    /// Given up on; a bounce reports it.
    Failed,
}

/// A recipient to relay: the path exactly as it came (RFC 5321 §2.4).
/// `<Postmaster>` is always ours, so a relayed recipient is a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rcpt {
    pub mailbox: Mailbox,
    pub state: RcptState,
    /// When the sender wants reports, and the address it first wrote
    /// (RFC 3461 §4.1, §4.2), passed on with the recipient.
    pub notify: Option<Notify>,
    pub orcpt: Option<Orcpt>,
    /// A delay warning went (or was weighed) already: one per recipient.
    pub delay_warned: bool,
}

/// One queue entry.
#[derive(Debug, Clone)]
pub(crate) struct QueueEntry {
    pub id: String,
    pub message_id: String,
    pub reverse_path: ReversePath,
    /// RET and ENVID (RFC 3461 §4.3, §4.4), passed on with the message.
    pub dsn: MailDsn,
    pub content: Arc<[u8]>,
    pub rcpts: Vec<Rcpt>,
    /// Simulated time of arrival, and the same as Unix seconds.
    pub arrived: Duration,
    pub arrival_unix: i64,
    /// Delivery attempts made so far.
    pub attempts: u32,
    pub next_attempt: Duration,
    /// A delivery attempt is under way.
    pub in_flight: bool,
}

impl QueueEntry {
    /// The recipients still to deliver, in the order they came.
    pub fn pending(&self) -> Vec<Mailbox> {
        self.rcpts
            .iter()
            .filter(|r| matches!(r.state, RcptState::Pending { .. }))
            .map(|r| r.mailbox.clone())
            .collect()
    }

    pub fn rcpt(&self, mailbox: &Mailbox) -> Option<&Rcpt> {
        self.rcpts.iter().find(|r| &r.mailbox == mailbox)
    }

    /// What to ask of the next hop for `rcpts` (RFC 3461 §5.2): the
    /// parameters as they came.
    pub fn dsn_request(&self, rcpts: &[Mailbox]) -> DsnRequest {
        DsnRequest {
            mail: self.dsn.clone(),
            rcpts: rcpts
                .iter()
                .map(|m| {
                    self.rcpt(m).map_or_else(RcptDsn::default, |r| RcptDsn {
                        notify: r.notify,
                        orcpt: r.orcpt.clone(),
                    })
                })
                .collect(),
        }
    }

    pub fn set(&mut self, mailbox: &Mailbox, state: RcptState) {
        if let Some(r) = self.rcpts.iter_mut().find(|r| &r.mailbox == mailbox) {
            r.state = state;
        }
    }
}
