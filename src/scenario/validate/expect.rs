//! Expectations: the addresses they name and the times they allow.

use super::Validator;
use crate::plan::Expectation;
use crate::scenario::ron::Step::{Field, Item};
use crate::scenario::schema::Expect;

impl Validator<'_> {
    pub(super) fn expectation(&mut self, e: &Expect, k: usize) -> Expectation {
        let path = |f: &'static str| [Field(name!(Scenario.expect)), Item(k), Field(f)];
        match e {
            Expect::Delivered { to, within } => Expectation::Delivered {
                to: self.mailbox_name(
                    to,
                    "the expected mailbox",
                    &path(name!(Expect::Delivered.to)),
                ),
                within: within
                    .as_ref()
                    .map(|w| self.duration(w, "`within`", &path(name!(Expect::Delivered.within)))),
            },
            Expect::NotDelivered { to } => Expectation::NotDelivered {
                to: self.mailbox_name(
                    to,
                    "the expected mailbox",
                    &path(name!(Expect::NotDelivered.to)),
                ),
            },
            Expect::Bounced { to, status } => Expectation::Bounced {
                to: self.mailbox_name(to, "the expected mailbox", &path(name!(Expect::Bounced.to))),
                status: status.clone(),
            },
            Expect::Deferred { at_least } => Expectation::Deferred {
                at_least: *at_least,
            },
            Expect::Hops { exactly } => Expectation::Hops { exactly: *exactly },
            Expect::ReceivedHeaders { mailbox, count } => Expectation::ReceivedHeaders {
                mailbox: self.mailbox_name(
                    mailbox,
                    "the expected mailbox",
                    &path(name!(Expect::ReceivedHeaders.mailbox)),
                ),
                count: *count,
            },
            Expect::Retrieved { by, at_least } => Expectation::Retrieved {
                by: self.mailbox_name(by, "the account", &path(name!(Expect::Retrieved.by))),
                at_least: *at_least,
            },
            Expect::Reply { code, status } => Expectation::Reply {
                code: *code,
                status: status.clone(),
            },
            Expect::LoopDetected => Expectation::LoopDetected,
            Expect::Expired => Expectation::Expired,
        }
    }
}
