//! Paths and mailboxes: the addresses of the SMTP envelope (RFC 5321 §4.1.2),
//! with the UTF-8 extensions of RFC 6531 §3.3.
//!
//! Parsed values keep the text as it was written (a quoted local part keeps
//! its quotes) so that encoding a parsed path gives the same bytes back.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use thiserror::Error;

/// Longest path (`<` .. `>` included) a server must accept, RFC 5321 §4.5.3.1.3.
pub const MAX_PATH_OCTETS: usize = 256;
/// Longest domain name, RFC 5321 §4.5.3.1.2.
pub const MAX_DOMAIN_OCTETS: usize = 255;

/// Why a path or mailbox did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error("a path is written in angle brackets, like <alice@example.org>")]
    MissingBrackets,
    #[error("the path is longer than {MAX_PATH_OCTETS} octets (RFC 5321 §4.5.3.1.3)")]
    TooLong,
    #[error("a mailbox needs a local part, an @ and a domain, like alice@example.org")]
    MissingAt,
    #[error("the local part is empty or badly formed (RFC 5321 §4.1.2)")]
    BadLocalPart,
    #[error("the domain is empty or badly formed (RFC 5321 §4.1.2)")]
    BadDomain,
    #[error("the address literal in [...] is not a valid IP address (RFC 5321 §4.1.3)")]
    BadAddressLiteral,
    #[error("the source route before ':' is badly formed (RFC 5321 §4.1.2)")]
    BadSourceRoute,
    #[error("the null path <> is not allowed here")]
    NullNotAllowed,
}

/// The part of a mailbox after the `@`: a domain name or an address literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain such as `example.net` (stored as written).
    Domain(String),
    /// `[192.0.2.1]`
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    Ipv6(Ipv6Addr),
}

impl Host {
    /// The domain name, if this host is one.
    pub fn domain(&self) -> Option<&str> {
        match self {
            Host::Domain(d) => Some(d),
            _ => None,
        }
    }

    /// Case-insensitive comparison with a domain name (RFC 5321 §2.4).
    pub fn is_domain(&self, name: &str) -> bool {
        self.domain().is_some_and(|d| d.eq_ignore_ascii_case(name))
    }

    /// Parses `example.net`, `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
    pub fn parse(text: &str) -> Result<Host, AddressError> {
        if let Some(inner) = text.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or(AddressError::BadAddressLiteral)?;
            return parse_address_literal(inner);
        }
        if is_domain(text) {
            Ok(Host::Domain(text.to_owned()))
        } else {
            Err(AddressError::BadDomain)
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(ip) => write!(f, "[{ip}]"),
            Host::Ipv6(ip) => write!(f, "[IPv6:{ip}]"),
        }
    }
}

fn parse_address_literal(inner: &str) -> Result<Host, AddressError> {
    if let Some(v6) = inner
        .get(..5)
        .filter(|tag| tag.eq_ignore_ascii_case("IPv6:"))
        .and_then(|_| inner.get(5..))
    {
        return v6
            .parse()
            .map(Host::Ipv6)
            .map_err(|_| AddressError::BadAddressLiteral);
    }
    inner
        .parse()
        .map(Host::Ipv4)
        .map_err(|_| AddressError::BadAddressLiteral)
}

/// `local-part@host`, RFC 5321 §4.1.2.
///
/// Shared, not copied, when cloned: one message's addresses are cloned
/// into its envelope, its queue entry, each delivery attempt and each
/// trace event, and never change once parsed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mailbox(Arc<Parts>);

#[derive(PartialEq, Eq, Hash)]
struct Parts {
    local_part: String,
    host: Host,
}

impl fmt::Debug for Mailbox {
    /// As a plain struct of its two halves prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("local_part", &self.0.local_part)
            .field("host", &self.0.host)
            .finish()
    }
}

impl Mailbox {
    /// Builds a mailbox from its two halves, checking both.
    pub fn new(local_part: &str, host: Host) -> Result<Mailbox, AddressError> {
        if !is_local_part(local_part) {
            return Err(AddressError::BadLocalPart);
        }
        Ok(Mailbox(Arc::new(Parts {
            local_part: local_part.to_owned(),
            host,
        })))
    }

    /// Parses `alice@example.org` (no angle brackets).
    pub fn parse(text: &str) -> Result<Mailbox, AddressError> {
        let at = find_unquoted_at(text).ok_or(AddressError::MissingAt)?;
        let (local, host) = (&text[..at], &text[at + 1..]);
        if local.is_empty() || !is_local_part(local) {
            return Err(AddressError::BadLocalPart);
        }
        if host.is_empty() {
            return Err(AddressError::BadDomain);
        }
        Ok(Mailbox(Arc::new(Parts {
            local_part: local.to_owned(),
            host: Host::parse(host)?,
        })))
    }

    /// The local part as written, quotes included when it was quoted.
    pub fn local_part(&self) -> &str {
        &self.0.local_part
    }

    /// The local part with quoting removed where it is not needed:
    /// `"bob"` and `bob` name the same mailbox (RFC 5321 §4.1.2).
    pub fn canonical_local_part(&self) -> String {
        let Some(body) = self
            .0
            .local_part
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
        else {
            return self.0.local_part.clone();
        };
        let mut unescaped = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            unescaped.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        if is_local_part(&unescaped) && !unescaped.starts_with('"') {
            return unescaped;
        }
        let mut quoted = String::from('"');
        for c in unescaped.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    }

    /// The host after the `@`.
    pub fn host(&self) -> &Host {
        &self.0.host
    }

    /// The domain, when the host is a name rather than an address literal.
    pub fn domain(&self) -> Option<&str> {
        self.0.host.domain()
    }

    /// True when the mailbox is all ASCII; otherwise it needs SMTPUTF8
    /// (RFC 6531 §3.2).
    pub fn is_ascii(&self) -> bool {
        self.0.local_part.is_ascii() && self.0.host.domain().is_none_or(str::is_ascii)
    }

    /// True for `postmaster@...` in any case (RFC 5321 §4.5.1).
    pub fn is_postmaster(&self) -> bool {
        self.canonical_local_part()
            .eq_ignore_ascii_case("postmaster")
    }
}

impl fmt::Display for Mailbox {
    // Piece by piece, not through `write!`: every reply, command and
    // trace event that names an address passes here.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.local_part)?;
        f.write_str("@")?;
        fmt::Display::fmt(&self.0.host, f)
    }
}

impl Mailbox {
    /// Octets of the text form (an address literal counted at its
    /// longest), to size a buffer once.
    pub(crate) fn text_len(&self) -> usize {
        let host = match &self.0.host {
            Host::Domain(d) => d.len(),
            Host::Ipv4(_) => 17,
            Host::Ipv6(_) => 47,
        };
        self.0.local_part.len() + 1 + host
    }
}

/// `value`'s text in a String sized for it at once (`to_string` grows
/// from nothing, a reallocation per doubling).
pub(crate) fn text_of(value: &impl fmt::Display, capacity: usize) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(capacity);
    let _ = write!(out, "{value}");
    out
}

/// The argument of `MAIL FROM:`: where bounces go, or nowhere (`<>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`: the null reverse-path of bounces, RFC 5321 §4.5.5.
    Null,
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Parses `<>` or `<[source-route:]mailbox>`.
    pub fn parse(text: &str) -> Result<ReversePath, AddressError> {
        let inner = strip_brackets(text)?;
        if inner.is_empty() {
            return Ok(ReversePath::Null);
        }
        Ok(ReversePath::Mailbox(parse_path_inner(inner)?))
    }

    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(m) => Some(m),
        }
    }

    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }
}

/// What a path without a mailbox is written as.
const NULL_PATH: &str = "<>";
const POSTMASTER_PATH: &str = "<Postmaster>";

/// A path's text: `<mailbox>`, or `none` when it has no mailbox.
/// Piece by piece, not through `write!`: every MAIL and RCPT, every
/// reply to them and every queued message's event passes here.
fn write_path(f: &mut fmt::Formatter<'_>, mailbox: Option<&Mailbox>, none: &str) -> fmt::Result {
    match mailbox {
        None => f.write_str(none),
        Some(m) => {
            f.write_str("<")?;
            fmt::Display::fmt(m, f)?;
            f.write_str(">")
        }
    }
}

/// Octets of [`write_path`]'s text, at most.
fn path_len(mailbox: Option<&Mailbox>, none: &str) -> usize {
    mailbox.map_or(none.len(), |m| m.text_len() + 2)
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_path(f, self.mailbox(), NULL_PATH)
    }
}

impl ReversePath {
    /// `to_string`, sized at once.
    pub fn to_text(&self) -> String {
        text_of(self, self.text_len())
    }

    /// Octets of the text form, at most.
    pub(crate) fn text_len(&self) -> usize {
        path_len(self.mailbox(), NULL_PATH)
    }
}

/// The argument of `RCPT TO:`: a mailbox, or the bare `<Postmaster>` that
/// every server must accept (RFC 5321 §4.1.1.3, §4.5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    Postmaster,
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// Parses `<Postmaster>` or `<[source-route:]mailbox>`; `<>` is refused.
    pub fn parse(text: &str) -> Result<ForwardPath, AddressError> {
        let inner = strip_brackets(text)?;
        if inner.is_empty() {
            return Err(AddressError::NullNotAllowed);
        }
        if inner.eq_ignore_ascii_case("postmaster") {
            return Ok(ForwardPath::Postmaster);
        }
        Ok(ForwardPath::Mailbox(parse_path_inner(inner)?))
    }

    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(m) => Some(m),
        }
    }

    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }

    /// True for `<Postmaster>` and `<postmaster@any.domain>`.
    pub fn is_postmaster(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_postmaster)
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_path(f, self.mailbox(), POSTMASTER_PATH)
    }
}

impl ForwardPath {
    /// `to_string`, sized at once.
    pub fn to_text(&self) -> String {
        text_of(self, self.text_len())
    }

    /// Octets of the text form, at most.
    pub(crate) fn text_len(&self) -> usize {
        path_len(self.mailbox(), POSTMASTER_PATH)
    }
}

fn strip_brackets(text: &str) -> Result<&str, AddressError> {
    if text.len() > MAX_PATH_OCTETS {
        return Err(AddressError::TooLong);
    }
    text.strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .ok_or(AddressError::MissingBrackets)
}

/// `[A-d-l ":"] Mailbox`: a source route is checked, then ignored
/// (RFC 5321 §4.1.1.3 and Appendix C).
fn parse_path_inner(inner: &str) -> Result<Mailbox, AddressError> {
    if inner.starts_with('@') {
        let colon = inner.find(':').ok_or(AddressError::BadSourceRoute)?;
        let route = &inner[..colon];
        let well_formed = route
            .split(',')
            .all(|hop| hop.strip_prefix('@').is_some_and(is_domain));
        if !well_formed {
            return Err(AddressError::BadSourceRoute);
        }
        return Mailbox::parse(&inner[colon + 1..]);
    }
    Mailbox::parse(inner)
}

/// Index of the `@` that separates local part and domain: the last one
/// outside a quoted string.
fn find_unquoted_at(text: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    let mut found = None;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '@' if !in_quote => found = Some(i),
            _ => {}
        }
    }
    found
}

/// `atext` of RFC 5322 §3.2.3, widened by RFC 6531 to any non-ASCII character.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// `Local-part = Dot-string / Quoted-string`, RFC 5321 §4.1.2.
fn is_local_part(text: &str) -> bool {
    if let Some(body) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return is_quoted_content(body);
    }
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// `*QcontentSMTP`: printable ASCII except `"` and `\`, which need a
/// backslash; non-ASCII allowed per RFC 6531.
fn is_quoted_content(body: &str) -> bool {
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(' '..='~') => {}
                _ => return false,
            },
            '"' => return false,
            ' '..='~' => {}
            c if !c.is_ascii() => {}
            _ => return false,
        }
    }
    true
}

/// `Domain = sub-domain *("." sub-domain)`, RFC 5321 §4.1.2; a sub-domain
/// may be a U-label (RFC 6531 §3.3), so non-ASCII letters are allowed.
pub fn is_domain(text: &str) -> bool {
    if text.is_empty() || text.len() > MAX_DOMAIN_OCTETS {
        return false;
    }
    text.split('.').all(|label| {
        let ldh = |c: char| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii();
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(ldh)
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_reverse_path_rfc5321_4_1_2() {
        assert_eq!(ReversePath::parse("<>"), Ok(ReversePath::Null));
    }

    #[test]
    fn null_forward_path_is_refused_rfc5321_4_1_2() {
        assert_eq!(ForwardPath::parse("<>"), Err(AddressError::NullNotAllowed));
    }

    #[test]
    fn bare_postmaster_any_case_rfc5321_4_1_1_3() {
        assert_eq!(
            ForwardPath::parse("<PostMaster>"),
            Ok(ForwardPath::Postmaster)
        );
        assert!(
            ForwardPath::parse("<postmaster@example.net>")
                .unwrap()
                .is_postmaster()
        );
    }

    #[test]
    fn quoted_local_part_keeps_quotes_rfc5321_4_1_2() {
        let m = Mailbox::parse(r#""john \"jd\" doe"@example.org"#).unwrap();
        assert_eq!(m.local_part(), r#""john \"jd\" doe""#);
        assert_eq!(m.to_string(), r#""john \"jd\" doe"@example.org"#);
        let at_inside = Mailbox::parse(r#""a@b"@example.org"#).unwrap();
        assert_eq!(at_inside.domain(), Some("example.org"));
    }

    #[test]
    fn quoted_forms_are_equivalent_rfc5321_4_1_2() {
        let quoted = Mailbox::parse(r#""bob"@example.net"#).unwrap();
        assert_eq!(quoted.canonical_local_part(), "bob");
        let needed = Mailbox::parse(r#""john doe"@example.net"#).unwrap();
        assert_eq!(needed.canonical_local_part(), r#""john doe""#);
        let escaped = Mailbox::parse(r#""a\b"@example.net"#).unwrap();
        assert_eq!(escaped.canonical_local_part(), "ab");
        let backslash = Mailbox::parse(r#""a\\b"@example.net"#).unwrap();
        assert_eq!(backslash.canonical_local_part(), r#""a\\b""#);
        assert!(
            Mailbox::parse(r#""PostMaster"@example.net"#)
                .unwrap()
                .is_postmaster()
        );
    }

    #[test]
    fn address_literals_rfc5321_4_1_3() {
        let v4 = Mailbox::parse("root@[192.0.2.1]").unwrap();
        assert_eq!(v4.host(), &Host::Ipv4("192.0.2.1".parse().unwrap()));
        let v6 = Mailbox::parse("root@[IPv6:2001:db8::1]").unwrap();
        assert_eq!(v6.to_string(), "root@[IPv6:2001:db8::1]");
        assert_eq!(
            Mailbox::parse("root@[300.1.1.1]"),
            Err(AddressError::BadAddressLiteral)
        );
    }

    #[test]
    fn source_route_accepted_and_ignored_rfc5321_appendix_c() {
        let p = ReversePath::parse("<@relay.example,@hop.example:alice@example.org>").unwrap();
        assert_eq!(p.to_string(), "<alice@example.org>");
        assert_eq!(
            ReversePath::parse("<@bad_domain:alice@example.org>"),
            Err(AddressError::BadSourceRoute)
        );
    }

    #[test]
    fn dot_string_rules_rfc5321_4_1_2() {
        assert!(Mailbox::parse("a.b@example.org").is_ok());
        assert!(Mailbox::parse(".ab@example.org").is_err());
        assert!(Mailbox::parse("a..b@example.org").is_err());
        assert!(Mailbox::parse("a b@example.org").is_err());
        assert!(Mailbox::parse("ab@-example.org").is_err());
        assert!(Mailbox::parse("ab@example..org").is_err());
        assert!(Mailbox::parse("ab@").is_err());
        assert!(Mailbox::parse("@example.org").is_err());
    }

    #[test]
    fn utf8_mailbox_is_not_ascii_rfc6531_3_3() {
        let m = Mailbox::parse("jörg@bücher.example").unwrap();
        assert!(!m.is_ascii());
        assert!(Mailbox::parse("joerg@example.org").unwrap().is_ascii());
    }

    #[test]
    fn path_length_limit_rfc5321_4_5_3_1_3() {
        let long = format!("<{}@example.org>", "a".repeat(260));
        assert_eq!(ReversePath::parse(&long), Err(AddressError::TooLong));
    }

    #[test]
    fn domains_compare_case_insensitively_rfc5321_2_4() {
        assert!(Host::parse("Example.NET").unwrap().is_domain("example.net"));
    }
}
