//! An MTA's section of the plan: what it serves, whom it relays for, how
//! it retries, and the limits it sets. The MTA node reads it as it is.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::smtp::Mailbox;
use crate::trace::HostId;

#[derive(Debug, Clone)]
pub struct MtaPlan {
    pub host: HostId,
    /// Local domains, lower case.
    pub domains: Vec<String>,
    /// Mailbox name → password. The name is the address in lower case:
    /// the MTA files mail under it and the trace reports it.
    pub mailboxes: BTreeMap<String, String>,
    /// Listens on 587 too, for its users' mail programs.
    pub submission: bool,
    /// (network, prefix length) pairs allowed to relay.
    pub relay_networks: Vec<(IpAddr, u8)>,
    /// Domains accepted from anyone and relayed (a backup MX).
    pub relay_domains: Vec<String>,
    /// Where every relayed message goes, by host name: an MTA of this
    /// world, found through DNS as a real one would be.
    pub smarthost: Option<String>,
    pub retry: Vec<Duration>,
    pub max_age: Duration,
    pub greylisting: Option<Duration>,
    /// Answer the final dot this late, for data that ends before the
    /// second time if one is given.
    pub slow_data_reply: Option<(Duration, Option<Duration>)>,
    /// Offer DSN (RFC 3461).
    pub dsn: bool,
    /// Warn of mail still queued after this long (RFC 3464 `delayed`).
    pub delay_warning: Option<Duration>,
    pub max_size: usize,
    pub max_recipients: usize,
    pub quota: Option<usize>,
    pub max_hops: usize,
    pub pipelining: bool,
    pub keep_bare_line_endings: bool,
    /// CHUNKING and BINARYMIME offered, BDAT used where offered (RFC 3030).
    pub chunking: bool,
    pub chunk_size: Option<usize>,
    pub starttls: crate::smtp::server::Tls,
    pub relay_tls: crate::smtp::client::StartTls,
    pub certificate: crate::scenario::schema::Certificate,
    /// Sender authentication: what it checks and with which keys it signs.
    pub auth: AuthPlan,
    /// Local address (lower case) → where its mail goes instead, the
    /// envelope's sender kept.
    pub forward: BTreeMap<String, Vec<Mailbox>>,
    /// Local address (lower case) → the mailing list there.
    pub lists: BTreeMap<String, ListPlan>,
}

/// A mailing list: members, the footer it adds, and its return address.
#[derive(Debug, Clone)]
pub struct ListPlan {
    pub members: Vec<Mailbox>,
    pub footer: String,
    /// `<list>-bounces@<domain>`: the MAIL FROM of what the list sends.
    pub bounces: Mailbox,
}

/// What an MTA does about SPF, DKIM and DMARC.
#[derive(Debug, Clone, Default)]
pub struct AuthPlan {
    /// Check mail from other servers and add Authentication-Results.
    pub verify: bool,
    /// Refuse an SPF fail at MAIL FROM (550 5.7.23).
    pub spf_reject: bool,
    /// Act on DMARC policies (550 5.7.26, quarantine flag).
    pub dmarc_enforce: bool,
    /// The keys it signs its users' mail with, one per domain.
    pub signers: Vec<DkimSigner>,
}

/// A DKIM key an MTA signs with.
#[derive(Debug, Clone)]
pub struct DkimSigner {
    /// `d=`, lower case.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    pub key: Arc<crate::auth::keys::SigningKey>,
}
