//! The RON schema of a scenario, as teachers write it. Names are plain,
//! defaults are sensible, and unknown fields are errors (a typo must not
//! pass silently). `scenarios/hello.ron` teaches the format by example.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One line: what this scenario shows.
    pub title: String,
    /// A paragraph for the student: what to watch for.
    #[serde(default)]
    pub about: String,
    /// The seed of every random choice (jitter, loss, equal-preference MX
    /// order). Same seed, same run.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The wall-clock time at the start, for Date and Received headers:
    /// `"2026-12-01 09:00:00"` (UTC).
    #[serde(default = "default_start")]
    pub start: String,
    /// Stop after this much simulated time even if mail is still queued.
    #[serde(default = "default_run_for")]
    pub run_for: String,
    /// Delay of links not listed in `links`.
    #[serde(default = "default_latency")]
    pub latency: String,
    #[serde(default)]
    pub dns: Vec<DnsServer>,
    #[serde(default)]
    pub mtas: Vec<Mta>,
    #[serde(default)]
    pub clients: Vec<Client>,
    #[serde(default)]
    pub links: Vec<Link>,
    /// Real machines outside the world (another `mailflow serve`, Postfix,
    /// aiosmtpd): mail routed to them leaves over a real TCP connection.
    #[serde(default)]
    pub externals: Vec<External>,
    /// What must be true at the end: the lesson's claims, checked.
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// What-ifs: replies and DNS answers replaced (`scenario::whatif`).
    #[serde(default)]
    pub overrides: Vec<super::whatif::WhatIf>,
    /// The same world with a few settings changed, each with its own
    /// claims: one file shows both outcomes of a lesson.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Questions asked at chosen events in predict mode
    /// (`scenario::lesson`).
    #[serde(default)]
    pub quiz: Vec<super::lesson::Question>,
    /// A guided lesson: steps with text, a place in the run, questions
    /// and a condition to move on (`mailflow lesson NAME`).
    #[serde(default)]
    pub lesson: Vec<super::lesson::LessonStep>,
}

/// One variant of a scenario: `set` changes settings of the world
/// (`"smtp.example.org.max_age": "2h"`, `"run_for": "4h"`), `expect`
/// replaces the claims (the scenario's own are kept when it is left out).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    #[serde(default)]
    pub expect: Option<Vec<Expect>>,
}

fn default_seed() -> u64 {
    1
}

fn default_start() -> String {
    "2026-12-01 09:00:00".into()
}

fn default_run_for() -> String {
    "7d".into()
}

fn default_latency() -> String {
    "5ms".into()
}

fn default_true() -> bool {
    true
}

/// An authoritative DNS server and its zones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsServer {
    pub name: String,
    pub ip: String,
    pub zones: Vec<Zone>,
    /// Windows when this host is off the network: `[("0s", "10m")]`.
    #[serde(default)]
    pub down: Vec<(String, String)>,
    /// A short name for the map, where the full name does not fit:
    /// `"relay"`, `"university"`.
    #[serde(default)]
    pub label: Option<String>,
}

/// One zone. Hosts of the scenario whose names fall inside it get their A
/// (or AAAA) record automatically unless the zone already has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub origin: String,
    #[serde(default)]
    pub records: Vec<Record>,
    #[serde(default)]
    pub faults: Vec<DnsFault>,
}

/// A resource record, written like a zone file line.
#[derive(Debug, Clone, Deserialize)]
pub enum Record {
    /// `Mx("example.net", 10, "mx.example.net")`
    Mx(String, u16, String),
    /// `NullMx("example.com")`: the domain accepts no mail (RFC 7505).
    NullMx(String),
    /// `A("mx.example.net", "203.0.113.25")`
    A(String, String),
    /// `Aaaa("mx.example.net", "2001:db8::25")`
    Aaaa(String, String),
    /// `Txt("example.net", "v=spf1 -all")`
    Txt(String, String),
    /// `Cname("mail.example.net", "mx.example.net")`
    Cname(String, String),
    /// `Spf("example.org", "v=spf1 mx -all")`: the domain's SPF policy
    /// (RFC 7208), a TXT record at the domain.
    Spf(String, String),
    /// `Dmarc("example.org", "v=DMARC1; p=reject")`: the domain's DMARC
    /// policy (RFC 7489), a TXT record at `_dmarc.<domain>`.
    Dmarc(String, String),
    /// `DkimKey(domain: "example.org", selector: "mail")`: a DKIM key
    /// (RFC 6376). The public key is published at
    /// `<selector>._domainkey.<domain>`; the MTAs serving the domain sign
    /// with the private key. Ed25519 keys come from the world's seed; RSA
    /// keys are given (`private_key`, base64 DER) or the shipped test key.
    DkimKey {
        domain: String,
        selector: String,
        #[serde(default)]
        algorithm: DkimAlgorithm,
        #[serde(default)]
        private_key: Option<String>,
    },
}

/// A mailing list: its members and the footer added to each message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailingList {
    pub members: Vec<String>,
    #[serde(default)]
    pub footer: String,
}

/// The algorithm of a DKIM key: `Rsa` (rsa-sha256, RFC 6376) or
/// `Ed25519` (ed25519-sha256, RFC 8463).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum DkimAlgorithm {
    #[default]
    Rsa,
    Ed25519,
}

/// A DNS failure for a time: `ServFail(name: "example.net", until: "10m")`.
/// No name means the whole zone; no `until` means for ever.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DnsFault {
    /// The server answers SERVFAIL (rcode 2): try again later.
    ServFail {
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "zero")]
        from: String,
        #[serde(default)]
        until: Option<String>,
    },
    /// The server says the name does not exist (rcode 3).
    NxDomain {
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "zero")]
        from: String,
        #[serde(default)]
        until: Option<String>,
    },
    /// The server does not answer at all: the resolver times out.
    NoAnswer {
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "zero")]
        from: String,
        #[serde(default)]
        until: Option<String>,
    },
}

fn zero() -> String {
    "0s".into()
}

/// A mail transfer agent: listens on 25, on 587 for submission, and on
/// 110 (POP3) when it holds mailboxes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mta {
    pub name: String,
    pub ip: String,
    /// Domains delivered here rather than relayed.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Full address → password (for POP3 and for AUTH on 587).
    #[serde(default)]
    pub mailboxes: BTreeMap<String, String>,
    /// Listen on 587 with AUTH PLAIN for its own users (RFC 6409).
    #[serde(default)]
    pub submission: bool,
    /// Client addresses allowed to relay without AUTH (`"192.0.2.0/24"`).
    #[serde(default)]
    pub relay_networks: Vec<String>,
    /// Domains accepted from anyone and passed on: what a backup MX does.
    #[serde(default)]
    pub relay_domains: Vec<String>,
    /// Send all non-local mail to this host instead of asking DNS for MX.
    #[serde(default)]
    pub smarthost: Option<String>,
    /// Waits between delivery attempts; the last one repeats.
    #[serde(default = "default_retry")]
    pub retry: Vec<String>,
    /// Give up (and bounce) a message this old (RFC 5321 §4.5.4.1: 4-5 days).
    #[serde(default = "default_max_age")]
    pub max_age: String,
    /// Refuse first attempts with 450 4.7.1 and accept them after this delay.
    #[serde(default)]
    pub greylisting: Option<String>,
    /// Answer the final dot of DATA late, as a server with a slow disk or
    /// content filter does: `(delay: "11m")`, or `(delay: "11m", until:
    /// "30m")` for data that ends before 30m only. Past the client's
    /// 10-minute wait (RFC 5321 §4.5.3.2.6) the client gives up on a
    /// message the server takes, and sends it again (§6.1).
    #[serde(default)]
    pub slow_data_reply: Option<SlowReply>,
    /// Offer DSN (RFC 3461) after EHLO, as Postfix does by default: its
    /// NOTIFY, ORCPT, RET and ENVID are taken, kept and passed on.
    #[serde(default = "default_true")]
    pub dsn: bool,
    /// Warn the sender once (`Action: delayed`, RFC 3464) of mail still
    /// queued after this long, as Postfix's delay_warning_time; off when
    /// absent.
    #[serde(default)]
    pub delay_warning: Option<String>,
    /// Largest message accepted, in octets (advertised with SIZE).
    #[serde(default = "default_max_size")]
    pub max_size: usize,
    #[serde(default = "default_max_recipients")]
    pub max_recipients: usize,
    /// Largest total of one mailbox in octets; more gets 452 4.2.2.
    #[serde(default)]
    pub quota: Option<usize>,
    /// Refuse a message with more Received headers than this (§6.3).
    #[serde(default = "default_max_hops")]
    pub max_hops: usize,
    /// Offer and use PIPELINING (RFC 2920).
    #[serde(default = "default_true")]
    pub pipelining: bool,
    /// Keep bare CR/LF in message data instead of refusing the message.
    #[serde(default)]
    pub keep_bare_line_endings: bool,
    /// Offer CHUNKING and BINARYMIME (RFC 3030), and relay with BDAT
    /// where the next server offers CHUNKING. Off by default, so the
    /// lessons about DATA and its final dot keep telling that story.
    #[serde(default)]
    pub chunking: bool,
    /// Octets per BDAT chunk when it relays; the whole message in one
    /// chunk when unset.
    #[serde(default)]
    pub chunk_size: Option<usize>,
    /// STARTTLS on ports 25 and 587 (RFC 3207): `Off`, `Offer`, `Require`.
    #[serde(default)]
    pub starttls: ServerTls,
    /// STARTTLS when it relays: `Never`, `WhenOffered`, `Require`.
    #[serde(default)]
    pub relay_tls: ClientTls,
    /// The certificate it shows: `Valid`, `Expired`, or `Names(["…"])`
    /// for one issued to other names.
    #[serde(default)]
    pub certificate: Certificate,
    /// Which DNS server to ask (default: the first one).
    #[serde(default)]
    pub resolver: Option<String>,
    /// Check SPF at MAIL FROM, and DKIM and DMARC at the end of data, on
    /// mail from other servers; add Authentication-Results and
    /// Received-SPF (RFC 8601, RFC 7208 §9.1).
    #[serde(default)]
    pub verify_senders: bool,
    /// With `verify_senders`: refuse an SPF fail at MAIL FROM with
    /// 550 5.7.23 (otherwise it is only recorded).
    #[serde(default)]
    pub spf_reject: bool,
    /// With `verify_senders`: act on the From domain's DMARC policy
    /// (reject: 550 5.7.26; quarantine: delivered with a flag).
    #[serde(default = "default_true")]
    pub dmarc_enforce: bool,
    /// The DKIM selector to sign with, per domain, where a domain has
    /// several keys: `{"example.org": "s2026"}`.
    #[serde(default)]
    pub dkim_selectors: BTreeMap<String, String>,
    /// Addresses of its domains that pass their mail on unchanged, with
    /// the envelope's sender kept (a `.forward`, Postfix's
    /// virtual_alias_maps): `{"bob@example.net": ["bob@example.com"]}`.
    #[serde(default)]
    pub forward: BTreeMap<String, Vec<String>>,
    /// Mailing lists at its domains: a message to the list goes to every
    /// member, sent from the list's own return address
    /// (`<list>-bounces@<domain>`, a mailbox it must hold) with a footer
    /// added to the body, as Mailman does.
    #[serde(default)]
    pub lists: BTreeMap<String, MailingList>,
    #[serde(default)]
    pub down: Vec<(String, String)>,
    /// A short name for the map, where the full name does not fit:
    /// `"relay"`, `"university"`.
    #[serde(default)]
    pub label: Option<String>,
}

/// How late a server answers the final dot (see `Mta::slow_data_reply`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowReply {
    pub delay: String,
    #[serde(default)]
    pub until: Option<String>,
}

fn default_retry() -> Vec<String> {
    vec!["30m".into()]
}

fn default_max_age() -> String {
    "5d".into()
}

fn default_max_size() -> usize {
    10 * 1024 * 1024
}

fn default_max_recipients() -> usize {
    100
}

fn default_max_hops() -> usize {
    100
}

/// A real SMTP server outside the world. Inside, it is a host with a
/// name and a documentation address like any other (so MX records can
/// point at it); port 25 there is `address` in the real world.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct External {
    pub name: String,
    pub ip: String,
    /// Where the real server listens, e.g. `"127.0.0.1:8025"`.
    pub address: String,
    /// A short name for the map, where the full name does not fit:
    /// `"relay"`, `"university"`.
    #[serde(default)]
    pub label: Option<String>,
}

/// A person's mail program.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub name: String,
    pub ip: String,
    /// The person's address, e.g. `"alice@example.org"`.
    pub account: String,
    pub password: String,
    /// The MTA it submits to (port 587) and fetches from (POP3).
    pub server: String,
    /// Messages to send.
    #[serde(default)]
    pub send: Vec<Message>,
    /// When to fetch the mailbox over POP3: `["2m", "1h"]`.
    #[serde(default)]
    pub fetch: Vec<String>,
    /// Keep messages on the server after fetching them.
    #[serde(default)]
    pub keep_on_server: bool,
    #[serde(default = "default_true")]
    pub pipelining: bool,
    /// STARTTLS when it submits: `Never`, `WhenOffered`, `Require`.
    #[serde(default)]
    pub starttls: ClientTls,
    /// Command lines the client writes right behind STARTTLS, in the same
    /// flight, as a man in the middle would inject them: `["RSET"]`. A
    /// correct server throws them away unread (CVE-2011-0411, RFC 3207
    /// §4.2). Needs `starttls: WhenOffered` or `Require`.
    #[serde(default)]
    pub inject_after_starttls: Vec<String>,
    /// Submit with BDAT where the server offers CHUNKING (RFC 3030).
    #[serde(default)]
    pub chunking: bool,
    /// Octets per BDAT chunk; the whole message in one when unset.
    #[serde(default)]
    pub chunk_size: Option<usize>,
    #[serde(default)]
    pub resolver: Option<String>,
    /// Slips made on purpose, because they are the lesson:
    /// `["password"]` lets the password differ from the mailbox's, so
    /// the server answers AUTH with 535. `check` refuses them otherwise.
    #[serde(default)]
    pub deliberate: Vec<String>,
    /// A short name for the map, where the full name does not fit:
    /// `"relay"`, `"university"`.
    #[serde(default)]
    pub label: Option<String>,
}

/// Whether a server offers STARTTLS (RFC 3207).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum ServerTls {
    #[default]
    Off,
    Offer,
    /// Nothing but EHLO, STARTTLS, NOOP, RSET, HELP and QUIT before TLS.
    Require,
}

/// Whether a client uses STARTTLS (RFC 3207).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum ClientTls {
    #[default]
    Never,
    WhenOffered,
    /// No mail in plaintext: without TLS every recipient is deferred.
    Require,
}

/// The certificate a server shows, issued by the world's own CA.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub enum Certificate {
    /// For its host name, valid from a day before the start for 90 days.
    #[default]
    Valid,
    /// For its host name, expired a day before the start.
    Expired,
    /// Valid, but for these names only (RFC 6125: a client that dialled the
    /// host name refuses it).
    Names(Vec<String>),
}

/// One message a client sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// When, after the start: `"0s"`, `"2m"`.
    #[serde(default = "zero")]
    pub at: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// Envelope only: never written into the headers (RFC 5322 §3.6.3).
    #[serde(default)]
    pub bcc: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// Send exactly these bytes as the message data instead of composing
    /// one (for lessons about what a client may not send).
    #[serde(default)]
    pub raw: Option<String>,
    /// Ask for delivery status notifications (RFC 3461 §4.1) for every
    /// recipient: `[Success, Failure, Delay]`, or `[Never]`. Sent only to
    /// a server that offers DSN, with ORCPT naming each recipient.
    #[serde(default)]
    pub notify: Vec<NotifyOn>,
    /// NOTIFY for single recipients, in place of `notify`:
    /// `{"carol@example.com": [Never]}`.
    #[serde(default)]
    pub notify_for: BTreeMap<String, Vec<NotifyOn>>,
    /// What a failure report returns (RFC 3461 §4.3): `Full` message or
    /// `Hdrs` only.
    #[serde(default)]
    pub ret: Option<Return>,
    /// The sender's own name for the transaction (RFC 3461 §4.4), quoted
    /// back in every report as Original-Envelope-Id.
    #[serde(default)]
    pub envid: Option<String>,
}

/// When a sender wants a report (RFC 3461 §4.1 `NOTIFY`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum NotifyOn {
    Success,
    Failure,
    Delay,
    /// No report at all; alone.
    Never,
}

/// What a failure report returns (RFC 3461 §4.3 `RET`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Return {
    Full,
    Hdrs,
}

/// A link with its own delay or faults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub between: (String, String),
    #[serde(default)]
    pub latency: Option<String>,
    #[serde(default)]
    pub jitter: Option<String>,
    /// Chance that a datagram is lost, 0.0 to 1.0.
    #[serde(default)]
    pub loss: f64,
    /// Windows when the link carries nothing; connections open over it
    /// are cut when one begins.
    #[serde(default)]
    pub down: Vec<(String, String)>,
    /// Connections cut by a reset: `(at: "5m")` cuts every one open then,
    /// `(session: 2, after: 120)` cuts the second connection over the
    /// link once its client has sent 120 octets (inside a command, or
    /// inside DATA).
    #[serde(default)]
    pub resets: Vec<Reset>,
    /// Windows when the link holds every byte back: what is sent then
    /// arrives only after the window. `[("1m", "12m")]`.
    #[serde(default)]
    pub stalls: Vec<(String, String)>,
    /// Chance that a datagram arrives twice, 0.0 to 1.0.
    #[serde(default)]
    pub duplicate: f64,
    /// Chance that a datagram is held back so that the next overtakes
    /// it, 0.0 to 1.0.
    #[serde(default)]
    pub reorder: f64,
}

/// A reset of a link's connections: `at` a time, or in the `session`th
/// connection over the link `after` its client sent so many octets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub session: Option<u32>,
    #[serde(default)]
    pub after: Option<usize>,
}

/// A claim about the run, checked at its end. Every claim can be
/// narrowed (`message`, `rcpt`, `from`, `host`, `session`), limited in
/// time (`within`, `after`, `not_before`, `between`, counted from the
/// run's start or, with `since: "send"`, from when the message was sent)
/// and counted (`exactly`, `at_least`, `at_most`). The README's
/// "Expectations" section is the reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Expect {
    /// A message reached this mailbox (within a time, if given).
    Delivered {
        to: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        exactly: Option<usize>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// No message reached this mailbox (in the time window, if given).
    NotDelivered {
        to: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
    },
    /// A bounce (DSN) reached this mailbox, with this status if given,
    /// for this original recipient (`for`) and message if given.
    Bounced {
        to: String,
        #[serde(default, rename = "for")]
        for_rcpt: Option<String>,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        exactly: Option<usize>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// No bounce (matching what is given) reached this mailbox.
    NotBounced {
        to: String,
        #[serde(default, rename = "for")]
        for_rcpt: Option<String>,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
    },
    /// Deliveries were deferred (at least once, unless counted), by this
    /// MTA (`host`), for this recipient and message if given.
    Deferred {
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        rcpt: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        exactly: Option<usize>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// Each recipient's path of the first message (or of `message`, or
    /// only the path to `to`) took exactly this many SMTP hops.
    Hops {
        exactly: usize,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    /// The message in this mailbox carries this many Received headers.
    ReceivedHeaders {
        mailbox: String,
        count: usize,
        #[serde(default)]
        message: Option<String>,
    },
    /// The message in this mailbox carries an Authentication-Results
    /// field (RFC 8601) with these results (`"pass"`, `"fail"`, ...), and
    /// is, or is not, flagged as quarantined by DMARC.
    Authenticated {
        mailbox: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        spf: Option<String>,
        #[serde(default)]
        dkim: Option<String>,
        #[serde(default)]
        dmarc: Option<String>,
        #[serde(default)]
        quarantined: Option<bool>,
    },
    /// This account fetched messages over POP3 (at least one, unless
    /// counted).
    Retrieved {
        by: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        exactly: Option<usize>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// An SMTP server replied with this code (and enhanced status), from
    /// this server, to this command or recipient, in this session.
    Reply {
        code: u16,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        command: Option<String>,
        #[serde(default)]
        rcpt: Option<String>,
        #[serde(default)]
        session: Option<u32>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
        #[serde(default)]
        exactly: Option<usize>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// No SMTP reply matching what is given came back.
    NoReply {
        code: u16,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        command: Option<String>,
        #[serde(default)]
        rcpt: Option<String>,
        #[serde(default)]
        session: Option<u32>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        within: Option<String>,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        not_before: Option<String>,
        #[serde(default)]
        between: Option<(String, String)>,
        #[serde(default)]
        since: Option<String>,
    },
    /// An MTA detected a mail loop.
    LoopDetected,
    /// A queue entry expired.
    Expired,
    /// No queue entry expired.
    NotExpired,
}

impl From<ServerTls> for crate::smtp::server::Tls {
    fn from(tls: ServerTls) -> Self {
        match tls {
            ServerTls::Off => Self::Off,
            ServerTls::Offer => Self::Offered,
            ServerTls::Require => Self::Required,
        }
    }
}

impl From<ClientTls> for crate::smtp::client::StartTls {
    fn from(tls: ClientTls) -> Self {
        match tls {
            ClientTls::Never => Self::Never,
            ClientTls::WhenOffered => Self::Opportunistic,
            ClientTls::Require => Self::Required,
        }
    }
}
