//! Bounces: the delivery status notification (RFC 3464) that reports a
//! queue entry's failed recipients to its sender. It is sent with the
//! null reverse-path, so that it can never bounce in turn, and a message
//! that itself came with the null reverse-path is never reported at all
//! (RFC 5321 §6.1); the queue decides that, this module writes the report.

use crate::mail::{Action, Dsn, DsnRecipient, header_section};
use crate::smtp::dsn::{MailDsn, Ret};
use crate::smtp::{EnhancedCode, Mailbox, ReversePath};

use super::queue::QueueEntry;

/// The message a report is about, as the MTA took it on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Original<'a> {
    pub queue_id: &'a str,
    pub message_id: &'a str,
    pub reverse_path: &'a ReversePath,
    pub content: &'a [u8],
    pub arrival_unix: i64,
    /// RET and ENVID the sender gave (RFC 3461 §4.3, §4.4).
    pub dsn: &'a MailDsn,
}

impl QueueEntry {
    pub fn original(&self) -> Original<'_> {
        Original {
            queue_id: &self.id,
            message_id: &self.message_id,
            reverse_path: &self.reverse_path,
            content: &self.content,
            arrival_unix: self.arrival_unix,
            dsn: &self.dsn,
        }
    }
}

/// Given up on one recipient: its status and the words for the DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub status: EnhancedCode,
    /// `smtp; 550 5.1.1 ...` or `X-mailflow; ...` (RFC 3464 §2.3.6).
    pub diagnostic: String,
    /// The server that said it, if one did.
    pub remote_mta: Option<String>,
}

impl Failure {
    /// The DSN's block for `rcpt`, the address as it was relayed.
    pub fn reported(&self, rcpt: &Mailbox) -> DsnRecipient {
        DsnRecipient {
            final_recipient: rcpt.to_string(),
            action: Action::Failed,
            status: self.status,
            diagnostic: Some(self.diagnostic.clone()),
            remote_mta: self.remote_mta.clone(),
            will_retry_until: None,
            original_recipient: None,
        }
    }

    /// Too old to keep trying (RFC 5321 §4.5.4.1). The status is X.4.7,
    /// "delivery time expired", which tells the sender why it ends now;
    /// the last real reason goes into the diagnostic, as RFC 3463 §3.5
    /// asks ("the code for the actual problem found when delivery was
    /// attempted should be returned").
    pub fn expired(last_reason: &str) -> Failure {
        Failure {
            status: EnhancedCode::new(4, 4, 7),
            diagnostic: format!("X-mailflow; gave up after the maximum age: {last_reason}"),
            remote_mta: None,
        }
    }
}

/// The report on `recipients` of `original` to `sender`, written by
/// `hostname` at `date` (Unix seconds) under its own `message_id`. The
/// whole message goes back only with RET=FULL and only in a report of
/// failure: "If a DSN contains no indications of delivery failure, only
/// the headers of the message SHOULD be returned" (RFC 3461 §4.3).
pub(crate) fn report(
    original: &Original,
    sender: Mailbox,
    recipients: Vec<DsnRecipient>,
    hostname: &str,
    message_id: String,
    date: i64,
) -> Dsn {
    let failed = recipients.iter().any(|r| r.action == Action::Failed);
    let return_full = failed && original.dsn.ret == Some(Ret::Full);
    let returned = if return_full {
        original.content
    } else {
        header_section(original.content)
    };
    Dsn {
        reporting_mta: hostname.to_owned(),
        arrival_date: original.arrival_unix,
        date,
        message_id,
        to: sender,
        original_message_id: Some(original.message_id.to_owned()),
        recipients,
        original_headers: returned.to_vec(),
        return_full,
        envelope_id: original.dsn.envid.clone(),
    }
}
