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
}
