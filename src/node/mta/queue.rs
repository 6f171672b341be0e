//! Queue entries: messages an MTA has taken responsibility for and not yet
//! passed on, each with its recipients' state (RFC 5321 §4.5.4).

use std::sync::Arc;
use std::time::Duration;

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
}

/// One queue entry.
#[derive(Debug, Clone)]
pub(crate) struct QueueEntry {
    pub id: String,
    pub message_id: String,
    pub reverse_path: ReversePath,
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

    pub fn set(&mut self, mailbox: &Mailbox, state: RcptState) {
        if let Some(r) = self.rcpts.iter_mut().find(|r| &r.mailbox == mailbox) {
            r.state = state;
        }
    }
}
