//! What-ifs, validated: one server's answer at one point of the run, or
//! one DNS answer, replaced. The world is otherwise the scenario's, so a
//! branch is an ordinary run that takes the other road at that point.
//!
//! Counting: `attempt` is the n-th time (from 1) in the whole run that
//! the named server reaches this step, over all its sessions on every
//! port, in the order it answers them. For DNS it is the n-th query for
//! this name and type that any DNS server of the world answers.

pub use crate::dns::DnsAnswer;
use crate::dns::QueryType;
use crate::smtp::{Instead, Step};
use crate::trace::HostId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// An MTA answers (or loses the connection, or keeps silent) at the
    /// `attempt`-th `step` it reaches.
    Server {
        host: HostId,
        step: Step,
        attempt: u32,
        instead: Instead,
    },
    /// The `attempt`-th query for `name`/`qtype` gets another answer.
    Dns {
        /// Canonical: lower case, no final dot.
        name: String,
        qtype: QueryType,
        attempt: u32,
        answer: DnsAnswer,
    },
}

impl Override {
    /// Where it applies, as the trace names it: `RCPT #1`,
    /// `example.net MX? #1`.
    pub fn point(&self) -> String {
        match self {
            Override::Server { step, attempt, .. } => format!("{step} #{attempt}"),
            Override::Dns {
                name,
                qtype,
                attempt,
                ..
            } => format!("{name} {qtype}? #{attempt}"),
        }
    }

    /// What happens there instead, in words.
    pub fn instead(&self) -> String {
        match self {
            Override::Server { instead, .. } => instead.to_string(),
            Override::Dns { answer, .. } => answer.to_string(),
        }
    }
}

impl Override {
    /// `instead` at a server's point of a run, or `None` for a DNS point.
    pub fn reply_at(point: &crate::trace::point::Point, instead: Instead) -> Option<Override> {
        match point {
            crate::trace::point::Point::Reply {
                host,
                step,
                attempt,
                ..
            } => Some(Override::Server {
                host: *host,
                step: *step,
                attempt: *attempt,
                instead,
            }),
            crate::trace::point::Point::Dns { .. } => None,
        }
    }

    /// `answer` at a DNS point of a run, or `None` for a server's point.
    pub fn answer_at(point: &crate::trace::point::Point, answer: DnsAnswer) -> Option<Override> {
        match point {
            crate::trace::point::Point::Dns {
                name,
                qtype,
                attempt,
                ..
            } => Some(Override::Dns {
                name: name.clone(),
                qtype: *qtype,
                attempt: *attempt,
                answer,
            }),
            crate::trace::point::Point::Reply { .. } => None,
        }
    }
}
