//! Answers that wait for the host. Checking a sender's SPF record, or a
//! message's DKIM signatures and the DMARC policy of its From domain,
//! takes DNS lookups, and a sans-IO machine cannot wait for them. So the
//! machine holds: it keeps the command (or the message) and whatever the
//! client sent after it, answers nothing, and says so with
//! `Session::is_holding`. The driver lets the host settle its checks
//! (`session::Settle`) and calls `resume`; the machine asks the policy for
//! its verdict and goes on with the waiting input, as a Postfix smtpd
//! waits for its policy service or milter.

use std::time::Instant;

use super::{Phase, ServerSession};
use crate::smtp::ReversePath;
use crate::smtp::command::MailParams;
use crate::smtp::policy::{Envelope, Policy};

/// What waits for the host's verdict.
#[derive(Debug)]
pub(super) enum Held {
    /// MAIL FROM passed the protocol's checks; the sender is being checked.
    Sender {
        from: ReversePath,
        params: MailParams,
    },
    /// The message is complete; it is being checked before the 250.
    Message {
        envelope: Envelope,
        content: Vec<u8>,
    },
}

impl ServerSession {
    /// The host has settled: answer what was held, then read on.
    pub fn resume(&mut self, _now: Instant, policy: &mut impl Policy) {
        let Phase::Held(held) = std::mem::replace(&mut self.phase, Phase::Commands) else {
            return;
        };
        match held {
            Held::Sender { from, params } => match policy.sender_verdict() {
                Some(reply) => self.send(reply),
                None => self.sender_ok(from, params),
            },
            Held::Message { envelope, content } => match policy.message_verdict() {
                Some(reply) => self.refused(envelope, reply),
                None => self.take_message(envelope, content, policy),
            },
        }
        self.read_lines(policy);
    }
}
