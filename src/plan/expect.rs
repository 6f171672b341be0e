//! The scenario's claims, validated: checked against the trace after the
//! run, never read by a node.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A claim to check against the trace; see `schema::Expect`.
/// Serde for recordings, which keep the claims to check on replay; the
/// narrowing, the window and the count are flattened into the claim, so a
/// recording written before they existed reads the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Expectation {
    Delivered {
        to: String,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
        #[serde(flatten)]
        count: Count,
    },
    NotDelivered {
        to: String,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
    },
    Bounced {
        to: String,
        status: Option<String>,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
        #[serde(flatten)]
        count: Count,
    },
    NotBounced {
        to: String,
        status: Option<String>,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
    },
    Deferred {
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
        #[serde(flatten)]
        count: Count,
    },
    Hops {
        exactly: usize,
        #[serde(flatten)]
        scope: Scope,
    },
    ReceivedHeaders {
        mailbox: String,
        count: usize,
        #[serde(flatten)]
        scope: Scope,
    },
    /// The receiver's Authentication-Results on the message in `mailbox`
    /// says these results (each `None` is not checked), and the message
    /// is (or is not) flagged as quarantined.
    Authenticated {
        mailbox: String,
        spf: Option<String>,
        dkim: Option<String>,
        dmarc: Option<String>,
        quarantined: Option<bool>,
        #[serde(flatten)]
        scope: Scope,
    },
    Retrieved {
        by: String,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
        #[serde(flatten)]
        count: Count,
    },
    Reply {
        code: u16,
        status: Option<String>,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
        #[serde(flatten)]
        count: Count,
    },
    NoReply {
        code: u16,
        status: Option<String>,
        #[serde(flatten)]
        scope: Scope,
        #[serde(flatten)]
        window: Window,
    },
    LoopDetected,
    Expired,
    NotExpired,
}

/// What a claim is narrowed to. Addresses are lower case, as the trace
/// names mailboxes; hosts are names of the scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scope {
    /// A message, by its Subject or its Message-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A recipient: the one a bounce is for, a deferral or reply is about,
    /// or the end of a path of hops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<String>,
    /// The MTA that deferred, or the server that replied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The command a reply answers (`RCPT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The session (connection) number, as the transcript shows `[n]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<u32>,
}

/// When a claim's events must happen; every bound given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Window {
    /// At or before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Duration>,
    /// Strictly after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Duration>,
    /// At or after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Duration>,
    /// From the first to the second, both included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<(Duration, Duration)>,
    /// Counted from when the message was sent (its client wrote it), not
    /// from the start of the run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub since_send: bool,
}

impl Window {
    pub fn is_open(&self) -> bool {
        self.within.is_none()
            && self.after.is_none()
            && self.not_before.is_none()
            && self.between.is_none()
    }

    /// Does a time (counted as the window counts) fall inside?
    pub fn holds(&self, t: Duration) -> bool {
        self.within.is_none_or(|w| t <= w)
            && self.after.is_none_or(|a| t > a)
            && self.not_before.is_none_or(|n| t >= n)
            && self.between.is_none_or(|(a, b)| a <= t && t <= b)
    }
}

/// How many matching events there must be. None given means at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Count {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exactly: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_most: Option<usize>,
}

impl Count {
    pub fn at_least(n: usize) -> Count {
        Count {
            at_least: Some(n),
            ..Count::default()
        }
    }

    pub fn holds(&self, n: usize) -> bool {
        let open = self.exactly.is_none() && self.at_least.is_none() && self.at_most.is_none();
        (!open || n >= 1)
            && self.exactly.is_none_or(|e| n == e)
            && self.at_least.is_none_or(|a| n >= a)
            && self.at_most.is_none_or(|m| n <= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_made_before_scopes_reads_the_same() {
        let old = r#"[{"claim":"delivered","to":"bob@example.net","within":{"secs":300,"nanos":0}},
            {"claim":"deferred","at_least":3},{"claim":"loop_detected"},
            {"claim":"reply","code":550,"status":"5.1.1"}]"#;
        let read: Vec<Expectation> = serde_json::from_str(old).expect("old claims read");
        assert_eq!(
            read[0],
            Expectation::Delivered {
                to: "bob@example.net".into(),
                scope: Scope::default(),
                window: Window {
                    within: Some(Duration::from_secs(300)),
                    ..Window::default()
                },
                count: Count::default(),
            }
        );
        assert_eq!(
            read[1],
            Expectation::Deferred {
                scope: Scope::default(),
                window: Window::default(),
                count: Count::at_least(3),
            }
        );
        let again: Vec<Expectation> =
            serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
        assert_eq!(again, read);
    }

    #[test]
    fn counts_and_windows() {
        assert!(!Count::default().holds(0) && Count::default().holds(2));
        let exactly_0 = Count {
            exactly: Some(0),
            ..Count::default()
        };
        assert!(exactly_0.holds(0) && !exactly_0.holds(1));
        let most_2 = Count {
            at_most: Some(2),
            ..Count::default()
        };
        assert!(most_2.holds(0) && most_2.holds(2) && !most_2.holds(3));
        let m = Duration::from_secs(60);
        let w = Window {
            after: Some(m),
            between: Some((m, 5 * m)),
            ..Window::default()
        };
        assert!(!w.holds(m) && w.holds(2 * m) && !w.holds(6 * m));
    }
}
