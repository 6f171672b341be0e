//! Bounces: Delivery Status Notifications (RFC 3464, RFC 3462, RFC 3834).
//!
//! When an MTA cannot deliver a message it has accepted (a 5xx from the
//! next hop, or retries that ran out), it must tell the sender (RFC 5321
//! §6.1). It writes a new message to the envelope's reverse-path, a
//! `multipart/report` (RFC 3462) of three parts:
//!
//! ```text
//! Content-Type: multipart/report; report-type=delivery-status; boundary="b"
//!
//! --b                                  1. for people: what failed and why
//! Content-Type: text/plain; charset=utf-8
//!
//! --b                                  2. for programs (RFC 3464 §2)
//! Content-Type: message/delivery-status
//!
//! Reporting-MTA: dns; mx.example.org         per-message fields (§2.2)
//! Arrival-Date: Tue, 01 Dec 2026 12:00:00 +0000
//!
//! Final-Recipient: rfc822; bob@example.net   per-recipient fields (§2.3)
//! Action: failed
//! Status: 5.1.1
//! Remote-MTA: dns; mx.example.net
//! Diagnostic-Code: smtp; 550 5.1.1 no such user
//!
//! --b                                  3. the original's headers (RFC 3462)
//! Content-Type: text/rfc822-headers
//!
//! --b--
//! ```
//!
//! Two rules keep bounces from bouncing for ever. A bounce is sent with the
//! null reverse-path, `MAIL FROM:<>` (RFC 5321 §4.5.5), so that nothing can
//! be returned to it; and an MTA never sends a DSN about a message whose
//! reverse-path was null (RFC 3464 §1, RFC 5321 §6.1). Those decisions
//! belong to the MTA; this module only writes and reads the report.
//! `Auto-Submitted: auto-replied` (RFC 3834 §5) tells vacation responders
//! not to answer it either.
//!
//! Everything is derived from the inputs: the MIME boundary comes from the
//! DSN's Message-ID, so the same run writes the same bytes.
//!
//! When an address or the server's words are not ASCII, the report uses the
//! internationalized types of RFC 6533 (`message/global-delivery-status`,
//! address type `utf-8`) so that a program can still read it.

use std::fmt;

use crate::smtp::{EnhancedCode, Mailbox, Reply};

use super::compose::bracketed_id;
use super::date::rfc5322_date;
use super::fold::{fold_field, sanitize};
use super::headers::{Headers, header_section};
use super::mime::{ContentType, split_multipart};

/// The `Action` field (RFC 3464 §2.3.3): what the reporting MTA did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Could not be delivered, and will not be tried again.
    Failed,
    /// Not delivered yet; still being tried.
    Delayed,
    /// Delivered (a success DSN, asked for with `NOTIFY=SUCCESS`).
    Delivered,
    /// Passed on to a system that sends no DSNs.
    Relayed,
    /// Delivered to an alias or list, which passed it on.
    Expanded,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
        }
    }

    /// Reads an action, case-insensitively; a comment after it is ignored.
    pub fn parse(text: &str) -> Option<Action> {
        let word = text.split_whitespace().next()?;
        [
            Action::Failed,
            Action::Delayed,
            Action::Delivered,
            Action::Relayed,
            Action::Expanded,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one recipient (RFC 3464 §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    /// The address the MTA tried, without angle brackets.
    pub final_recipient: String,
    pub action: Action,
    pub status: EnhancedCode,
    /// `smtp; 550 5.1.1 no such user`: the next hop's words. Without a
    /// `type;` prefix, `smtp; ` is assumed. See [`DsnRecipient::smtp_diagnostic`].
    pub diagnostic: Option<String>,
    /// The host name of the server that answered (`dns; ` is added).
    pub remote_mta: Option<String>,
    /// For `Delayed`: when the MTA gives up (Unix seconds).
    pub will_retry_until: Option<i64>,
    /// The sender's ORCPT (RFC 3461 §4.2): `(addr-type, address)`, shown
    /// as `Original-Recipient` (RFC 3464 §2.3.1).
    pub original_recipient: Option<(String, String)>,
}

impl DsnRecipient {
    /// The `Diagnostic-Code` for an SMTP reply (§2.3.6):
    /// `smtp; 550 5.1.1 no such user`, lines joined by spaces.
    pub fn smtp_diagnostic(reply: &Reply) -> String {
        match reply.enhanced() {
            Some(esc) => format!("smtp; {} {} {}", reply.code(), esc, reply.text()),
            None => format!("smtp; {} {}", reply.code(), reply.text()),
        }
        .trim_end()
        .to_owned()
    }
}

/// A delivery report to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// The MTA writing the report (its host name).
    pub reporting_mta: String,
    /// When that MTA received the original (Unix seconds).
    pub arrival_date: i64,
    /// The report's own `Date:`.
    pub date: i64,
    /// The report's own Message-ID; also the seed of its MIME boundary.
    pub message_id: String,
    /// The original sender: the reverse-path of the original envelope.
    pub to: Mailbox,
    pub original_message_id: Option<String>,
    pub recipients: Vec<DsnRecipient>,
    /// The original message (or its header section), returned as the
    /// third part: cut to its headers unless `return_full`.
    pub original_headers: Vec<u8>,
    /// Return the whole message as `message/rfc822` (RET=FULL, RFC 3461
    /// §4.3) rather than its headers (`text/rfc822-headers`).
    pub return_full: bool,
    /// The sender's ENVID (RFC 3461 §4.4), shown as `Original-Envelope-Id`
    /// (RFC 3464 §2.2.1).
    pub envelope_id: Option<String>,
}

impl Dsn {
    /// `Undelivered Mail Returned to Sender` when any recipient failed,
    /// `Delayed Mail (still being retried)` when some are only delayed.
    pub fn subject(&self) -> &'static str {
        match self.tally() {
            (failed, _) if failed > 0 => "Undelivered Mail Returned to Sender",
            (_, delayed) if delayed > 0 => "Delayed Mail (still being retried)",
            _ => "Successful Mail Delivery Report",
        }
    }

    /// How many recipients failed, and how many are delayed.
    fn tally(&self) -> (usize, usize) {
        let count = |a: Action| self.recipients.iter().filter(|r| r.action == a).count();
        (count(Action::Failed), count(Action::Delayed))
    }

    /// True when the report needs the UTF-8 types of RFC 6533.
    fn is_international(&self) -> bool {
        !self.reporting_mta.is_ascii()
            || self.recipients.iter().any(|r| {
                !r.final_recipient.is_ascii()
                    || r.diagnostic.as_deref().is_some_and(|d| !d.is_ascii())
                    || r.remote_mta.as_deref().is_some_and(|m| !m.is_ascii())
            })
    }
}

/// Writes the report as a `multipart/report` message with CRLF line ends.
/// Send it with `MAIL FROM:<>`.
pub fn compose_dsn(dsn: &Dsn) -> Vec<u8> {
    let global = dsn.is_international();
    let original = if dsn.return_full {
        &dsn.original_headers[..]
    } else {
        header_section(&dsn.original_headers)
    };
    let status_type = if global {
        "global-delivery-status"
    } else {
        "delivery-status"
    };
    let headers_type = match (dsn.return_full, original.is_ascii()) {
        (false, true) => "text/rfc822-headers",
        (false, false) => "message/global-headers",
        (true, true) => "message/rfc822",
        (true, false) => "message/global",
    };
    let returned = match (dsn.return_full, dsn.tally()) {
        (true, _) => "Returned message",
        (false, (0, 0)) => "Message headers",
        (false, _) => "Undelivered message headers",
    };

    let notice = human_readable(dsn).into_bytes();
    let status = delivery_status(dsn, global).into_bytes();
    let mut quoted = original.to_vec();
    if !quoted.is_empty() && !quoted.ends_with(b"\n") {
        quoted.extend_from_slice(b"\r\n");
    }
    let parts = [
        part("Notification", "text/plain; charset=utf-8", &notice),
        part(
            "Delivery report",
            &format!("message/{status_type}"),
            &status,
        ),
        part(returned, headers_type, &quoted),
    ];
    let boundary = choose_boundary(&dsn.message_id, &parts);

    let mut fields = vec![
        fold_field("Date", &rfc5322_date(dsn.date)),
        fold_field(
            "From",
            &format!(
                "Mail Delivery System <MAILER-DAEMON@{}>",
                sanitize(&dsn.reporting_mta)
            ),
        ),
        fold_field("To", &dsn.to.to_string()),
        fold_field("Subject", dsn.subject()),
    ];
    if let Some(id) = bracketed_id(&dsn.message_id) {
        fields.push(fold_field("Message-ID", &id));
    }
    if let Some(original_id) = dsn.original_message_id.as_deref().and_then(bracketed_id) {
        // RFC 3834 §3.1.3: an automatic reply points at what it answers.
        fields.push(fold_field("In-Reply-To", &original_id));
        fields.push(fold_field("References", &original_id));
    }
    fields.push("Auto-Submitted: auto-replied".to_owned());
    fields.push("MIME-Version: 1.0".to_owned());
    fields.push(fold_field(
        "Content-Type",
        &format!("multipart/report; report-type={status_type}; boundary=\"{boundary}\""),
    ));
    let wide = parts.iter().any(|p| !p.is_ascii());
    fields.push(format!(
        "Content-Transfer-Encoding: {}",
        if wide { "8bit" } else { "7bit" }
    ));

    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        b"\r\nThis is a MIME-encapsulated delivery status notification (RFC 3464).\r\n",
    );
    for p in &parts {
        out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        out.extend_from_slice(p);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// Reads a report back: for each recipient block of its delivery-status
/// part, the recipient's address, status and action. Empty when `content`
/// is not a delivery report. Nested multiparts are searched too.
pub fn parse_dsn_status(content: &[u8]) -> Vec<(String, EnhancedCode, Action)> {
    parse_dsn(content)
        .map(|report| {
            report
                .recipients
                .into_iter()
                .map(|r| (r.final_recipient, r.status, r.action))
                .collect()
        })
        .unwrap_or_default()
}

/// A delivery report as read back (RFC 3464 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnReport {
    /// `Original-Envelope-Id` (§2.2.1): the sender's ENVID.
    pub envelope_id: Option<String>,
    pub recipients: Vec<ReportedRecipient>,
}

/// One recipient block of a report (RFC 3464 §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedRecipient {
    /// `Original-Recipient` (§2.3.1), the address without its type.
    pub original_recipient: Option<String>,
    pub final_recipient: String,
    pub action: Action,
    pub status: EnhancedCode,
}

/// Reads the delivery-status part of a report; `None` when `content` has
/// none. Blocks without the three required fields are skipped.
pub fn parse_dsn(content: &[u8]) -> Option<DsnReport> {
    let body = find_status_part(content, 0)?;
    let per_message = Headers::parse(body);
    let envelope_id = per_message
        .get("Original-Envelope-Id")
        .filter(|_| per_message.get("Final-Recipient").is_none())
        .map(|id| id.trim().to_owned());
    Some(DsnReport {
        envelope_id,
        recipients: status_fields(body),
    })
}

fn find_status_part(entity: &[u8], depth: usize) -> Option<&[u8]> {
    let headers = Headers::parse(entity);
    let ct = headers.get("Content-Type").and_then(ContentType::parse)?;
    let body = entity.get(headers.body_offset()..)?;
    if ct.is("message/delivery-status") || ct.is("message/global-delivery-status") {
        return Some(body);
    }
    if !ct.mime_type.starts_with("multipart/") || depth > 4 {
        return None;
    }
    let boundary = ct.param("boundary")?;
    split_multipart(body, boundary)
        .into_iter()
        .find_map(|p| find_status_part(p, depth + 1))
}

/// Per-recipient blocks are separated by empty lines (RFC 3464 §2.1);
/// each is read like a header section.
fn status_fields(mut body: &[u8]) -> Vec<ReportedRecipient> {
    let mut found = Vec::new();
    while !body.is_empty() {
        let block = Headers::parse(body);
        if let Some(entry) = recipient_entry(&block) {
            found.push(entry);
        }
        let consumed = block.body_offset().max(1);
        body = body.get(consumed..).unwrap_or_default();
    }
    found
}

fn recipient_entry(block: &Headers) -> Option<ReportedRecipient> {
    let address = |field: &str| {
        let address = field.split_once(';').map_or(field, |(_, a)| a);
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        address.to_owned()
    };
    let final_recipient = address(block.get("Final-Recipient")?);
    let status = EnhancedCode::parse(block.get("Status")?.split_whitespace().next()?)?;
    let action = Action::parse(block.get("Action")?)?;
    Some(ReportedRecipient {
        original_recipient: block.get("Original-Recipient").map(address),
        final_recipient,
        action,
        status,
    })
}

/// One body part: its headers, an empty line, its content.
fn part(description: &str, content_type: &str, content: &[u8]) -> Vec<u8> {
    let encoding = if content.is_ascii() { "7bit" } else { "8bit" };
    let mut out = format!(
        "Content-Description: {description}\r\nContent-Type: {content_type}\r\n\
         Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(content);
    out
}

/// A boundary derived from the Message-ID (FNV-1a), lengthened in the
/// unlikely case that it occurs in a part (RFC 2046 §5.1.1).
fn choose_boundary(message_id: &str, parts: &[Vec<u8>]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in message_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let base = format!("=_mailflow-report-{hash:016x}");
    let occurs = |candidate: &str| {
        let needle = candidate.as_bytes();
        parts
            .iter()
            .any(|p| p.windows(needle.len()).any(|w| w == needle))
    };
    let mut candidate = base.clone();
    let mut n = 0u32;
    while occurs(&candidate) {
        n += 1;
        candidate = format!("{base}.{n}");
    }
    candidate
}

/// Part 2: the machine-readable report (RFC 3464 §2.2, §2.3).
fn delivery_status(dsn: &Dsn, global: bool) -> String {
    let address_type = if global { "utf-8" } else { "rfc822" };
    let mut lines = Vec::new();
    if let Some(envid) = &dsn.envelope_id {
        lines.push(fold_field("Original-Envelope-Id", &sanitize(envid)));
    }
    lines.push(fold_field(
        "Reporting-MTA",
        &format!("dns; {}", dsn.reporting_mta),
    ));
    lines.push(fold_field("Arrival-Date", &rfc5322_date(dsn.arrival_date)));
    for r in &dsn.recipients {
        lines.push(String::new());
        if let Some((addr_type, address)) = &r.original_recipient {
            lines.push(fold_field(
                "Original-Recipient",
                &format!("{}; {}", sanitize(addr_type), sanitize(address)),
            ));
        }
        lines.push(fold_field(
            "Final-Recipient",
            &format!("{address_type}; {}", bare_address(&r.final_recipient)),
        ));
        lines.push(format!("Action: {}", r.action));
        lines.push(format!("Status: {}", r.status));
        if let Some(mta) = &r.remote_mta {
            lines.push(fold_field("Remote-MTA", &format!("dns; {mta}")));
        }
        if let Some(diagnostic) = &r.diagnostic {
            lines.push(fold_field("Diagnostic-Code", &typed_diagnostic(diagnostic)));
        }
        if let (Action::Delayed, Some(until)) = (r.action, r.will_retry_until) {
            lines.push(fold_field("Will-Retry-Until", &rfc5322_date(until)));
        }
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

/// Part 1: the same news in words, for the person who sent the message.
fn human_readable(dsn: &Dsn) -> String {
    let whom = if dsn.recipients.len() == 1 {
        "the recipient below"
    } else {
        "the recipients below"
    };
    let when = rfc5322_date(dsn.arrival_date);
    let intro = match dsn.tally() {
        (0, 0) => format!("Your message of {when} reached {whom}."),
        (_, 0) => format!(
            "I am sorry to tell you that your message of {when} could not be \
             delivered to {whom}."
        ),
        (0, _) => format!(
            "Your message of {when} has not been delivered to {whom} yet. \
             Nothing is lost: it waits in the queue and delivery will be tried \
             again. You do not need to send it again."
        ),
        _ => format!(
            "Your message of {when} has not reached all of its recipients: for \
             some, delivery failed for good; for others it is still being \
             tried. Each recipient is listed below."
        ),
    };
    let mut text = format!(
        "This is the mail system at {}.\r\n\r\n",
        sanitize(&dsn.reporting_mta)
    );
    text.push_str(&wrap(&intro, ""));
    for r in &dsn.recipients {
        text.push_str(&format!("\r\n<{}>\r\n", bare_address(&r.final_recipient)));
        if let Some(diagnostic) = &r.diagnostic {
            let words = typed_diagnostic(diagnostic);
            let words = words
                .split_once(';')
                .map_or(words.as_str(), |(_, w)| w.trim());
            let said = match &r.remote_mta {
                Some(mta) => format!("The server {} answered: {words}", sanitize(mta)),
                None => format!("The mail system said: {words}"),
            };
            text.push_str(&wrap(&said, "    "));
        }
        let status = format!("Status {}: {}.", r.status, explain_status(r.status));
        text.push_str(&wrap(&status, "    "));
        text.push_str(&wrap(&action_outcome(r), "    "));
    }
    text.push_str("\r\n");
    text.push_str(&wrap(
        "The second part of this message says the same for programs (RFC 3464); \
         the third part holds the headers of your message. This notice was sent \
         with an empty return path, MAIL FROM:<>, so that it can never bounce \
         back and forth in a loop.",
        "",
    ));
    text
}

/// Fills `text` into CRLF-ended lines of at most 72 columns, each starting
/// with `indent`; a word longer than a line stands alone.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = crate::text::wrap(text, 72, indent).join("\r\n");
    out.push_str("\r\n");
    out
}

/// The class and subject of an enhanced code in words (RFC 3463 §3).
fn explain_status(code: EnhancedCode) -> String {
    let class = match code.class {
        2 => "success",
        4 => "a temporary problem",
        _ => "a permanent failure",
    };
    let subject = match code.subject {
        1 => "the address",
        2 => "the recipient's mailbox",
        3 => "the receiving mail system",
        4 => "the network or routing",
        5 => "the mail delivery protocol",
        6 => "the message content",
        7 => "security or policy",
        _ => "an unspecified cause",
    };
    format!("{class}, concerning {subject}")
}

fn action_outcome(r: &DsnRecipient) -> String {
    match (r.action, r.will_retry_until) {
        (Action::Failed, _) => "This recipient will not be tried again.".to_owned(),
        (Action::Delayed, Some(until)) => {
            format!(
                "Delivery will be tried again until {}.",
                rfc5322_date(until)
            )
        }
        (Action::Delayed, None) => "Delivery will be tried again.".to_owned(),
        (Action::Delivered, _) => "The message was delivered.".to_owned(),
        (Action::Relayed, _) => {
            "It was passed on to a system that sends no delivery reports.".to_owned()
        }
        (Action::Expanded, _) => {
            "It was delivered to an alias or list, which passed it on.".to_owned()
        }
    }
}

fn bare_address(address: &str) -> String {
    sanitize(address)
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// `diagnostic-type; text` (§2.3.6); `smtp; ` is put before bare text.
fn typed_diagnostic(diagnostic: &str) -> String {
    let diagnostic = sanitize(diagnostic);
    let has_type = diagnostic.split_once(';').is_some_and(|(t, _)| {
        !t.trim().is_empty()
            && t.trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if has_type {
        diagnostic
    } else {
        format!("smtp; {diagnostic}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::NamedMailbox;
    use crate::mail::compose::{Draft, compose};
    use crate::mail::headers::body;

    const NOON: i64 = 1_796_126_400;

    fn original() -> Vec<u8> {
        compose(&Draft {
            from: NamedMailbox::named("Alice", Mailbox::parse("alice@example.org").unwrap()),
            to: vec![NamedMailbox::new(
                Mailbox::parse("bob@example.net").unwrap(),
            )],
            cc: vec![],
            bcc: vec![],
            subject: "Lunch?".into(),
            body: "See you.\n".into(),
            date: NOON,
            message_id: "<1@example.org>".into(),
        })
    }

    fn failed() -> DsnRecipient {
        DsnRecipient {
            final_recipient: "bob@example.net".into(),
            action: Action::Failed,
            status: EnhancedCode::new(5, 1, 1),
            diagnostic: Some("smtp; 550 5.1.1 no such user".into()),
            remote_mta: Some("mx.example.net".into()),
            will_retry_until: None,
            original_recipient: None,
        }
    }

    fn delayed() -> DsnRecipient {
        DsnRecipient {
            final_recipient: "carol@example.com".into(),
            action: Action::Delayed,
            status: EnhancedCode::new(4, 4, 1),
            diagnostic: Some("connection refused".into()),
            remote_mta: None,
            will_retry_until: Some(NOON + 5 * 86_400),
            original_recipient: None,
        }
    }

    fn dsn(recipients: Vec<DsnRecipient>) -> Dsn {
        Dsn {
            reporting_mta: "smtp.example.org".into(),
            arrival_date: NOON,
            date: NOON + 60,
            message_id: "<B1@smtp.example.org>".into(),
            to: Mailbox::parse("alice@example.org").unwrap(),
            original_message_id: Some("<1@example.org>".into()),
            recipients,
            original_headers: original(),
            return_full: false,
            envelope_id: None,
        }
    }

    fn parts(content: &[u8]) -> Vec<Vec<u8>> {
        let h = Headers::parse(content);
        let ct = ContentType::parse(h.get("Content-Type").unwrap()).unwrap();
        split_multipart(body(content), ct.param("boundary").unwrap())
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    }

    #[test]
    fn bounce_headers_rfc3464_and_rfc3834_5() {
        let content = compose_dsn(&dsn(vec![failed()]));
        let h = Headers::parse(&content);
        assert_eq!(
            h.get("From"),
            Some("Mail Delivery System <MAILER-DAEMON@smtp.example.org>")
        );
        assert_eq!(h.get("To"), Some("alice@example.org"));
        assert_eq!(
            h.get("Subject"),
            Some("Undelivered Mail Returned to Sender")
        );
        assert_eq!(h.get("Auto-Submitted"), Some("auto-replied"));
        assert_eq!(h.get("In-Reply-To"), Some("<1@example.org>"));
        assert_eq!(h.message_id(), Some("<B1@smtp.example.org>"));
        let ct = ContentType::parse(h.get("Content-Type").unwrap()).unwrap();
        assert!(ct.is("multipart/report"));
        assert_eq!(ct.param("report-type"), Some("delivery-status"));
    }

    #[test]
    fn three_parts_in_order_rfc3462_2() {
        let content = compose_dsn(&dsn(vec![failed()]));
        let parts = parts(&content);
        assert_eq!(parts.len(), 3);
        let types: Vec<String> = parts
            .iter()
            .map(|p| Headers::parse(p).get("Content-Type").unwrap().to_owned())
            .collect();
        assert_eq!(
            types,
            [
                "text/plain; charset=utf-8",
                "message/delivery-status",
                "text/rfc822-headers"
            ]
        );
        // The third part is the original header section, byte for byte.
        assert_eq!(body(&parts[2]), header_section(&original()));
        assert!(content.ends_with(b"--\r\n"));
    }

    #[test]
    fn required_fields_rfc3464_2_2_and_2_3() {
        let content = compose_dsn(&dsn(vec![failed(), delayed()]));
        let status = body(&parts(&content)[1]).to_vec();
        let text = String::from_utf8(status).unwrap();
        assert_eq!(
            text,
            "Reporting-MTA: dns; smtp.example.org\r\n\
             Arrival-Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n\
             \r\n\
             Final-Recipient: rfc822; bob@example.net\r\n\
             Action: failed\r\n\
             Status: 5.1.1\r\n\
             Remote-MTA: dns; mx.example.net\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\
             \r\n\
             Final-Recipient: rfc822; carol@example.com\r\n\
             Action: delayed\r\n\
             Status: 4.4.1\r\n\
             Diagnostic-Code: smtp; connection refused\r\n\
             Will-Retry-Until: Sun, 06 Dec 2026 12:00:00 +0000\r\n"
        );
    }

    #[test]
    fn status_parses_back_rfc3464_2_3() {
        let content = compose_dsn(&dsn(vec![failed(), delayed()]));
        assert_eq!(
            parse_dsn_status(&content),
            vec![
                (
                    "bob@example.net".to_owned(),
                    EnhancedCode::new(5, 1, 1),
                    Action::Failed
                ),
                (
                    "carol@example.com".to_owned(),
                    EnhancedCode::new(4, 4, 1),
                    Action::Delayed
                ),
            ]
        );
        assert!(parse_dsn_status(&original()).is_empty());
    }

    #[test]
    fn delay_notice_has_its_own_subject_rfc3464_2_3_3() {
        let content = compose_dsn(&dsn(vec![delayed()]));
        let h = Headers::parse(&content);
        assert_eq!(h.get("Subject"), Some("Delayed Mail (still being retried)"));
        let notice = String::from_utf8(body(&parts(&content)[0]).to_vec()).unwrap();
        let unwrapped = notice.replace("\r\n    ", " ").replace("\r\n", " ");
        assert!(unwrapped.contains("You do not need to send it again."));
        assert!(unwrapped.contains("tried again until Sun, 06 Dec 2026 12:00:00 +0000"));
    }

    #[test]
    fn human_part_explains_in_words_rfc3464_1() {
        let content = compose_dsn(&dsn(vec![failed()]));
        let notice = String::from_utf8(body(&parts(&content)[0]).to_vec()).unwrap();
        assert!(notice.starts_with("This is the mail system at smtp.example.org."));
        assert!(notice.contains("<bob@example.net>"));
        assert!(notice.contains("The server mx.example.net answered: 550 5.1.1 no such user"));
        assert!(notice.contains("Status 5.1.1: a permanent failure, concerning the address."));
        assert!(notice.contains("MAIL FROM:<>"));
        for line in notice.split("\r\n") {
            assert!(line.len() <= 72, "{line}");
        }
    }

    #[test]
    fn boundary_is_derived_not_random_rfc2046_5_1_1() {
        let a = compose_dsn(&dsn(vec![failed()]));
        assert_eq!(a, compose_dsn(&dsn(vec![failed()])));
        let mut other = dsn(vec![failed()]);
        other.message_id = "<B2@smtp.example.org>".into();
        let b = compose_dsn(&other);
        let boundary = |c: &[u8]| {
            let h = Headers::parse(c);
            ContentType::parse(h.get("Content-Type").unwrap())
                .unwrap()
                .param("boundary")
                .unwrap()
                .to_owned()
        };
        assert_ne!(boundary(&a), boundary(&b));
        assert!(boundary(&a).len() <= 70);
    }

    #[test]
    fn boundary_avoids_the_content_rfc2046_5_1_1() {
        let mut d = dsn(vec![failed()]);
        let natural = {
            let h = Headers::parse(&compose_dsn(&d))
                .get("Content-Type")
                .unwrap()
                .to_owned();
            ContentType::parse(&h)
                .unwrap()
                .param("boundary")
                .unwrap()
                .to_owned()
        };
        d.original_headers = format!("X-Trap: --{natural}\r\nSubject: x\r\n").into_bytes();
        let content = compose_dsn(&d);
        let h = Headers::parse(&content);
        let ct = ContentType::parse(h.get("Content-Type").unwrap()).unwrap();
        assert_ne!(ct.param("boundary"), Some(natural.as_str()));
        assert_eq!(parts(&content).len(), 3);
        assert_eq!(parse_dsn_status(&content).len(), 1);
    }

    #[test]
    fn smtp_diagnostic_from_a_reply_rfc3464_2_3_6() {
        let reply = Reply::new(550, Some(EnhancedCode::new(5, 1, 1)), "no such user");
        assert_eq!(
            DsnRecipient::smtp_diagnostic(&reply),
            "smtp; 550 5.1.1 no such user"
        );
        let plain = Reply::new(554, None, "");
        assert_eq!(DsnRecipient::smtp_diagnostic(&plain), "smtp; 554");
    }

    #[test]
    fn utf8_recipient_uses_global_types_rfc6533_3() {
        let mut r = failed();
        r.final_recipient = "jörg@bücher.example".into();
        let content = compose_dsn(&dsn(vec![r]));
        let h = Headers::parse(&content);
        let ct = ContentType::parse(h.get("Content-Type").unwrap()).unwrap();
        assert_eq!(ct.param("report-type"), Some("global-delivery-status"));
        assert_eq!(h.get("Content-Transfer-Encoding"), Some("8bit"));
        let status = parse_dsn_status(&content);
        assert_eq!(status[0].0, "jörg@bücher.example");
        let text = String::from_utf8(content).unwrap();
        assert!(text.contains("Final-Recipient: utf-8; jörg@bücher.example"));
    }

    #[test]
    fn whole_original_is_cut_to_its_headers_rfc3462_3() {
        let mut d = dsn(vec![failed()]);
        d.original_headers = b"Subject: secret plans\r\n\r\nthe body stays private\r\n".to_vec();
        let content = compose_dsn(&d);
        let text = String::from_utf8(content).unwrap();
        assert!(text.contains("Subject: secret plans\r\n"));
        assert!(!text.contains("the body stays private"));
    }

    #[test]
    fn hostile_server_words_stay_in_their_field_rfc3464_2_3_6() {
        let mut r = failed();
        r.diagnostic = Some("smtp; 550 bad\r\nAction: delivered\r\nStatus: 2.0.0".into());
        let content = compose_dsn(&dsn(vec![r]));
        assert_eq!(
            parse_dsn_status(&content),
            vec![(
                "bob@example.net".to_owned(),
                EnhancedCode::new(5, 1, 1),
                Action::Failed
            )]
        );
    }

    fn success(action: Action) -> DsnRecipient {
        DsnRecipient {
            final_recipient: "bob@example.net".into(),
            action,
            status: EnhancedCode::new(2, 0, 0),
            diagnostic: None,
            remote_mta: None,
            will_retry_until: None,
            original_recipient: Some(("rfc822".into(), "Bob@example.net".into())),
        }
    }

    #[test]
    fn rfc3464_2_2_1_and_2_3_1_envelope_id_and_original_recipient() {
        let mut d = dsn(vec![success(Action::Delivered)]);
        d.envelope_id = Some("QQ314159".into());
        let content = compose_dsn(&d);
        let status = String::from_utf8(body(&parts(&content)[1]).to_vec()).unwrap();
        assert!(status.starts_with(
            "Original-Envelope-Id: QQ314159\r\nReporting-MTA: dns; smtp.example.org\r\n"
        ));
        assert!(status.contains(
            "\r\nOriginal-Recipient: rfc822; Bob@example.net\r\nFinal-Recipient: rfc822; bob@example.net\r\nAction: delivered\r\n"
        ));
        let report = parse_dsn(&content).unwrap();
        assert_eq!(report.envelope_id.as_deref(), Some("QQ314159"));
        assert_eq!(
            report.recipients[0].original_recipient.as_deref(),
            Some("Bob@example.net")
        );
        assert_eq!(
            Headers::parse(&content).get("Subject"),
            Some("Successful Mail Delivery Report")
        );
    }

    #[test]
    fn rfc3461_4_3_ret_full_returns_the_whole_message_as_message_rfc822() {
        let mut d = dsn(vec![failed()]);
        d.original_headers = b"Subject: plans\r\n\r\nthe body comes back\r\n".to_vec();
        d.return_full = true;
        let content = compose_dsn(&d);
        let parts = parts(&content);
        let third = Headers::parse(&parts[2]);
        assert_eq!(third.get("Content-Type"), Some("message/rfc822"));
        assert_eq!(body(&parts[2]), &d.original_headers[..]);
    }

    #[test]
    fn rfc3464_2_3_3_relayed_notice_says_so_in_words() {
        let content = compose_dsn(&dsn(vec![success(Action::Relayed)]));
        let notice = String::from_utf8(body(&parts(&content)[0]).to_vec()).unwrap();
        assert!(notice.contains("passed on to a system that sends no"));
        assert_eq!(parse_dsn_status(&content)[0].2, Action::Relayed);
    }
}
