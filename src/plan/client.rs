//! A client's section of the plan: its account, its server, and the
//! messages it writes and the times it fetches.

use std::time::Duration;

use crate::trace::HostId;

#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub host: HostId,
    pub account: String,
    pub password: String,
    /// The MTA it submits to and fetches from.
    pub server: String,
    pub send: Vec<MessagePlan>,
    pub fetch: Vec<Duration>,
    pub keep_on_server: bool,
    pub pipelining: bool,
}

#[derive(Debug, Clone)]
pub struct MessagePlan {
    pub at: Duration,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub raw: Option<String>,
}
