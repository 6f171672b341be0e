//! The queue: messages an MTA has taken responsibility for and not yet
//! passed on, each with its recipients' state (RFC 5321 §4.5.4).

use std::sync::Arc;
use std::time::Duration;

use crate::node::activity::Job;
use crate::smtp::ReversePath;

/// Where one recipient stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RcptState {
    /// Still to deliver; the last reason it was not.
    Pending { last_reason: Option<String> },
    /// Handed on or stored.
    Done,
    /// Given up on; a bounce reports it.
    Failed,
}

#[derive(Debug, Clone)]
pub(crate) struct Rcpt {
    pub address: String,
    pub state: RcptState,
}

/// One queue entry.
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
    /// A delivery task is working on it.
    pub in_flight: bool,
    /// Keeps the world running while the entry waits.
    pub _job: Job,
}

impl QueueEntry {
    pub fn pending(&self) -> Vec<String> {
        self.rcpts
            .iter()
            .filter(|r| matches!(r.state, RcptState::Pending { .. }))
            .map(|r| r.address.clone())
            .collect()
    }

    pub fn set(&mut self, address: &str, state: RcptState) {
        if let Some(r) = self.rcpts.iter_mut().find(|r| r.address == address) {
            r.state = state;
        }
    }
}
