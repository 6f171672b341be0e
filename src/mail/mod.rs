//! Messages: the letter, as opposed to the envelope.
//!
//! SMTP moves an *envelope* (`MAIL FROM`, `RCPT TO`: see
//! [`crate::smtp::Envelope`]) around a *letter*: the bytes after `DATA`, an
//! Internet message of RFC 5322 with its own `From:`, `To:` and `Subject:`.
//! Servers deliver by the envelope and hardly look at the letter; people
//! read the letter and never see the envelope. Most surprises in mail
//! (Bcc, forwarding, spoofed senders, bounces going "somewhere else")
//! come from the gap between the two, and this module is where mailflow
//! shows it.
//!
//! | piece | what it does | rules |
//! |---|---|---|
//! | [`compose`](mod@compose) | a [`Draft`] becomes message bytes; Bcc stays in the envelope | RFC 5322 §3.6, RFC 2045, RFC 2047 |
//! | [`address`] | `Name <mailbox>` in headers: [`NamedMailbox`] | RFC 5322 §3.4 |
//! | [`date`] | `Tue, 01 Dec 2026 12:00:00 +0000` from simulated seconds | RFC 5322 §3.3 |
//! | [`headers`] | reading a header section: unfolding, order, body offset | RFC 5322 §2.2 |
//! | [`fold`] | long fields over several lines, and back | RFC 5322 §2.2.3 |
//! | [`lex`] | which characters stand outside quotes, comments and `<...>` | RFC 5322 §3.2 |
//! | [`encoded_word`] | non-ASCII subjects and names in ASCII headers | RFC 2047 |
//! | [`trace_fields`] | `Received:` per hop, `Return-Path:`, hop counting | RFC 5321 §4.4, §6.3 |
//! | [`mime`] | `Content-Type` parameters, multipart parts | RFC 2045, RFC 2046 |
//! | [`dsn`] | bounces and delay notices, written and read back | RFC 3464, RFC 3462 |
//!
//! The life of a message, in calls:
//!
//! 1. the client composes: [`compose()`] gives the letter and
//!    [`Draft::envelope_recipients`] the `RCPT TO` list;
//! 2. each server that accepts it puts a [`Received`] on top with
//!    [`prepend`], and refuses it when [`received_count`] says it loops;
//! 3. the last one adds [`return_path`] and stores it;
//! 4. a server that cannot deliver writes [`compose_dsn`] and sends it
//!    with the null reverse-path `<>`.
//!
//! Nothing here does IO or reads a clock: every instant is handed in as
//! Unix seconds of simulated time, and the same inputs give the same bytes.

pub mod address;
pub mod compose;
pub mod date;
pub mod dsn;
pub mod encoded_word;
pub mod fold;
pub mod headers;
pub mod lex;
pub mod mime;
pub mod trace_fields;

pub use address::NamedMailbox;
pub use compose::{Draft, compose, message_id};
pub use date::{parse_rfc5322_date, rfc5322_date};
pub use dsn::{
    Action, Dsn, DsnRecipient, DsnReport, ReportedRecipient, compose_dsn, parse_dsn,
    parse_dsn_status,
};
pub use headers::{Field, Headers, body, header_section};
pub use mime::{ContentType, split_multipart};
pub use trace_fields::{
    LOOP_DETECTION_THRESHOLD, Received, With, prepend, received_count, return_path,
    with_return_path,
};
