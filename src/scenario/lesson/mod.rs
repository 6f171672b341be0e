//! Quizzes and guided lessons (issue 11 §1 and §4), as teachers write
//! them in a scenario:
//!
//! ```text
//! quiz: [(at: Reply(from: "mx.example.net", command: "RCPT"),
//!         ask: "What will mx.example.net answer?",
//!         choices: ["250", "450", "550"], answer: 2, why: "...")],
//! lesson: [(text: "...", at: Start),
//!          (text: "...", at: Reply(...), questions: [(ask: ..., ...)], until: Answered)],
//! ```
//!
//! * this file: the schema (`At`, the event selector; `Question`;
//!   `LessonStep`; `Until`) and how a selector is written back in words
//! * `select`: which event of a trace a selector names
//! * `resolve`: a scenario's quiz and lesson placed on its run, with an
//!   error naming the place in the file for a selector that finds nothing
//!
//! The selector's fields are the expectations' (`from`, `command`,
//! `rcpt`, `session`, `host`, `message`, `for`, `to`, `by`) and the
//! what-ifs' (`CONNECT`/`DOT` as commands, `name`/`query` for DNS), so a
//! teacher learns one vocabulary; `nth` counts matches from 1 in the
//! order of the trace.

pub mod resolve;
pub mod select;

use std::fmt;

use serde::Deserialize;

pub use resolve::{
    Authored, Lesson, Mark, Resolved, SoFar, Step, Unfit, Until as Goal, resolve, resolve_naming,
    resolve_so_far,
};

fn first() -> u32 {
    1
}

fn mx() -> String {
    "MX".into()
}

/// An event of the run, named by what happened there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum At {
    /// Before the first event.
    Start,
    /// After the last event.
    End,
    /// The first event at or after this time: `Time("3h")`.
    Time(String),
    /// A server's reply (SMTP or POP3): by the server (`from`), the
    /// command it answers (`"RCPT"`, `"CONNECT"` for the greeting,
    /// `"DOT"` for the end of data, POP3's `"RETR"`), the recipient of a
    /// RCPT, the session as the transcript numbers it, the reply code.
    Reply {
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        command: Option<String>,
        #[serde(default)]
        rcpt: Option<String>,
        #[serde(default)]
        session: Option<u32>,
        #[serde(default)]
        code: Option<u16>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// The answer to a DNS query for `name` and `query` (the query itself
    /// when no answer came back).
    Dns {
        name: String,
        #[serde(default = "mx")]
        query: String,
        #[serde(default = "first")]
        nth: u32,
    },
    /// A connection asked for: by the host that dials, the host dialled,
    /// the port (25, 587, 110).
    Connect {
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        port: Option<u16>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA took a message on: a new queue entry.
    Queued {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA decided to try again later.
    Deferred {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        rcpt: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA wakes to try a deferred queue entry again: the retry.
    Retry {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA gave up on recipients and sends a bounce (DSN); `for` is a
    /// recipient that failed.
    Bounced {
        #[serde(default)]
        host: Option<String>,
        #[serde(default, rename = "for")]
        for_rcpt: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// A message was stored in a mailbox (a bounce too: it is a message).
    Delivered {
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// A client fetched a message over POP3.
    Retrieved {
        #[serde(default)]
        by: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA decided on a delivery report other than a bounce (RFC
    /// 3461): `action` is `delivered`, `relayed`, `delayed`, or `failed`
    /// for a bounce the sender's NOTIFY withheld.
    Notified {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        action: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// A queue entry grew too old and was given up.
    Expired {
        #[serde(default)]
        host: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// An MTA refused a message with too many Received lines.
    Loop {
        #[serde(default)]
        host: Option<String>,
        #[serde(default = "first")]
        nth: u32,
    },
    /// A host went off the network.
    Down { host: String },
    /// A host came back.
    Up { host: String },
}

/// A question a scenario asks at an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Where playback stops to ask (in a lesson: the step's `at`).
    #[serde(default)]
    pub at: Option<At>,
    pub ask: String,
    pub choices: Vec<String>,
    /// The right choice, counted from 1 as the keys are.
    pub answer: usize,
    /// Shown with the answer: why it is right.
    #[serde(default)]
    pub why: String,
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonStep {
    pub text: String,
    /// Where the playhead goes: just after this event, or just before it
    /// when the step asks questions (they are asked, then it shows). Left
    /// out, the playhead stays where the step before left it.
    #[serde(default)]
    pub at: Option<At>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub until: Until,
}

/// When a lesson moves on from a step. `>` always moves on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub enum Until {
    /// When the student presses `>`.
    #[default]
    Key,
    /// When every question of the step is answered.
    Answered,
    /// When playback reaches this event (the step starts playing).
    Reached(At),
}

impl At {
    /// The name of the selector, as written.
    pub fn name(&self) -> &'static str {
        match self {
            At::Start => "Start",
            At::End => "End",
            At::Time(_) => "Time",
            At::Reply { .. } => "Reply",
            At::Dns { .. } => "Dns",
            At::Connect { .. } => "Connect",
            At::Queued { .. } => "Queued",
            At::Deferred { .. } => "Deferred",
            At::Retry { .. } => "Retry",
            At::Bounced { .. } => "Bounced",
            At::Delivered { .. } => "Delivered",
            At::Retrieved { .. } => "Retrieved",
            At::Notified { .. } => "Notified",
            At::Expired { .. } => "Expired",
            At::Loop { .. } => "Loop",
            At::Down { .. } => "Down",
            At::Up { .. } => "Up",
        }
    }
}

/// As a teacher writes it: `Reply(from: "mx.example.net", command:
/// "RCPT", nth: 2)`, fields left out when not given (and `nth` when 1).
impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields: Vec<String> = Vec::new();
        let mut text = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                fields.push(format!("{name}: {v:?}"));
            }
        };
        let mut nth_of = 1;
        match self {
            At::Start | At::End => return f.write_str(self.name()),
            At::Time(t) => return write!(f, "Time({t:?})"),
            At::Reply {
                from,
                command,
                rcpt,
                session,
                code,
                nth,
            } => {
                text("from", from);
                text("command", command);
                text("rcpt", rcpt);
                if let Some(s) = session {
                    fields.push(format!("session: {s}"));
                }
                if let Some(c) = code {
                    fields.push(format!("code: {c}"));
                }
                nth_of = *nth;
            }
            At::Dns { name, query, nth } => {
                fields.push(format!("name: {name:?}"));
                fields.push(format!("query: {query:?}"));
                nth_of = *nth;
            }
            At::Connect {
                from,
                to,
                port,
                nth,
            } => {
                text("from", from);
                text("to", to);
                if let Some(p) = port {
                    fields.push(format!("port: {p}"));
                }
                nth_of = *nth;
            }
            At::Queued { host, message, nth } | At::Retry { host, message, nth } => {
                text("host", host);
                text("message", message);
                nth_of = *nth;
            }
            At::Deferred {
                host,
                rcpt,
                message,
                nth,
            } => {
                text("host", host);
                text("rcpt", rcpt);
                text("message", message);
                nth_of = *nth;
            }
            At::Bounced {
                host,
                for_rcpt,
                message,
                nth,
            } => {
                text("host", host);
                text("for", for_rcpt);
                text("message", message);
                nth_of = *nth;
            }
            At::Delivered { to, message, nth } => {
                text("to", to);
                text("message", message);
                nth_of = *nth;
            }
            At::Retrieved { by, message, nth } => {
                text("by", by);
                text("message", message);
                nth_of = *nth;
            }
            At::Notified { host, action, nth } => {
                text("host", host);
                text("action", action);
                nth_of = *nth;
            }
            At::Expired { host, nth } | At::Loop { host, nth } => {
                text("host", host);
                nth_of = *nth;
            }
            At::Down { host } | At::Up { host } => fields.push(format!("host: {host:?}")),
        }
        if nth_of != 1 {
            fields.push(format!("nth: {nth_of}"));
        }
        write!(f, "{}({})", self.name(), fields.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_is_written_back_as_a_teacher_wrote_it() {
        let at: At = crate::scenario::load::ron_options()
            .from_str(r#"Reply(from: "mx.example.net", command: "RCPT", nth: 2)"#)
            .expect("parses");
        assert_eq!(
            at.to_string(),
            r#"Reply(from: "mx.example.net", command: "RCPT", nth: 2)"#
        );
        let start: At = crate::scenario::load::ron_options()
            .from_str("Start")
            .expect("parses");
        assert_eq!(start.to_string(), "Start");
    }
}
