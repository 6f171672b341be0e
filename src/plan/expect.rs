//! The scenario's claims, validated: checked against the trace after the
//! run, never read by a node.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A claim to check against the trace; see `schema::Expect`.
/// Serde for recordings, which keep the claims to check on replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Expectation {
    Delivered {
        to: String,
        within: Option<Duration>,
    },
    NotDelivered {
        to: String,
    },
    Bounced {
        to: String,
        status: Option<String>,
    },
    Deferred {
        at_least: usize,
    },
    Hops {
        exactly: usize,
    },
    ReceivedHeaders {
        mailbox: String,
        count: usize,
    },
    Retrieved {
        by: String,
        at_least: usize,
    },
    Reply {
        code: u16,
        status: Option<String>,
    },
    LoopDetected,
    Expired,
}
