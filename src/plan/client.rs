//! A client's section of the plan: its account, its server, and the
//! messages it writes and the times it fetches.

use std::time::Duration;

use crate::smtp::Mailbox;
use crate::trace::HostId;

#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub host: HostId,
    /// In lower case, as its MTA names the mailbox.
    pub account: Mailbox,
    pub password: String,
    /// The MTA it submits to and fetches from, by host name: found
    /// through DNS as a real mail program finds it.
    pub server: String,
    pub send: Vec<MessagePlan>,
    pub fetch: Vec<Duration>,
    pub keep_on_server: bool,
    pub pipelining: bool,
    pub starttls: crate::smtp::client::StartTls,
    /// Lines sent behind STARTTLS in its flight (CVE-2011-0411 lessons).
    pub inject_after_starttls: Vec<String>,
    /// BDAT where CHUNKING is offered (RFC 3030), in chunks of this size.
    pub chunking: bool,
    pub chunk_size: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct MessagePlan {
    pub at: Duration,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    pub body: String,
    pub raw: Option<String>,
    /// What it asks of DSN (RFC 3461).
    pub dsn: MessageDsn,
}

/// A message's DSN request: NOTIFY for all recipients or some, RET and
/// ENVID. ORCPT names each recipient as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageDsn {
    pub notify: Option<crate::smtp::dsn::Notify>,
    /// Recipient (lower case) → its own NOTIFY.
    pub notify_for: Vec<(Mailbox, crate::smtp::dsn::Notify)>,
    pub mail: crate::smtp::dsn::MailDsn,
}

impl MessageDsn {
    pub fn asks(&self) -> bool {
        self.notify.is_some() || !self.notify_for.is_empty() || !self.mail.is_empty()
    }

    /// What the transaction asks for `forward_paths`, in order.
    pub fn request(
        &self,
        forward_paths: &[crate::smtp::ForwardPath],
    ) -> crate::smtp::client::DsnRequest {
        use crate::smtp::dsn::{Orcpt, RcptDsn};
        if !self.asks() {
            return Default::default();
        }
        let rcpts = forward_paths
            .iter()
            .map(|p| {
                let mailbox = p.mailbox();
                let own = self
                    .notify_for
                    .iter()
                    .find(|(m, _)| {
                        mailbox.is_some_and(|b| b.to_string().eq_ignore_ascii_case(&m.to_string()))
                    })
                    .map(|(_, n)| *n);
                RcptDsn {
                    notify: own.or(self.notify),
                    orcpt: mailbox.map(|m| Orcpt::rfc822(&m.to_string())),
                }
            })
            .collect();
        crate::smtp::client::DsnRequest {
            mail: self.mail.clone(),
            rcpts,
        }
    }
}
