//! The DSN extension of SMTP (RFC 3461): the parameters a client uses to
//! ask for delivery status notifications, and the xtext they travel in.
//!
//! ```text
//! MAIL FROM:<alice@example.org> RET=HDRS ENVID=QQ314159     (§4.3, §4.4)
//! RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@example.net
//!                                                           (§4.1, §4.2)
//! ```
//!
//! `NOTIFY` says when the sender wants a report about this recipient
//! (`NEVER`, or any of `SUCCESS`, `FAILURE`, `DELAY`); `ORCPT` keeps the
//! address the sender first wrote, so a report can name it after
//! forwarding rewrote the envelope; `RET` asks for the whole message or
//! only its headers in a failure report; `ENVID` is the sender's own
//! name for the transaction, quoted back in every report. Each MTA that
//! relays the message passes them on to the next (§5.2), when that one
//! offers DSN too.

use std::fmt;

use thiserror::Error;

/// RFC 3461 §4.4: "the ENVID ... MUST NOT exceed 100 characters".
pub const MAX_ENVID: usize = 100;
/// RFC 3461 §4.2: the ORCPT value "MUST NOT exceed 500 characters".
pub const MAX_ORCPT: usize = 500;

/// Why a DSN parameter was refused; the server answers 501 5.5.4.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DsnError {
    #[error("{0} given twice (RFC 3461 §4)")]
    Duplicate(&'static str),
    #[error("NOTIFY=NEVER cannot be combined with SUCCESS, FAILURE or DELAY (RFC 3461 §4.1)")]
    NeverNotAlone,
    #[error("NOTIFY takes NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1)")]
    NotifyWord,
    #[error("RET takes FULL or HDRS (RFC 3461 §4.3)")]
    RetWord,
    #[error("ORCPT takes addr-type;xtext, e.g. rfc822;bob@example.net (RFC 3461 §4.2)")]
    OrcptForm,
    #[error("{what} is {len} characters; at most {max} are allowed (RFC 3461 §4)")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what}: {reason}")]
    Xtext {
        what: &'static str,
        reason: XtextError,
    },
    #[error("{0} needs a value")]
    Missing(&'static str),
}

impl DsnError {
    /// The parameter the error is about, as the client wrote it.
    pub fn keyword(&self) -> &'static str {
        match self {
            DsnError::Duplicate(k) | DsnError::Missing(k) => k,
            DsnError::NeverNotAlone | DsnError::NotifyWord => "NOTIFY",
            DsnError::RetWord => "RET",
            DsnError::OrcptForm => "ORCPT",
            DsnError::TooLong { what, .. } | DsnError::Xtext { what, .. } => what,
        }
    }
}

/// What is wrong with an xtext (RFC 3461 §4).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XtextError {
    #[error("'+' must be followed by two upper-case hex digits, at offset {0}")]
    BadHex(usize),
    #[error("character {0:?} must be written as +XX")]
    Unencoded(char),
    #[error("the decoded text must be printable US-ASCII")]
    NotPrintable,
}

/// Decodes xtext (RFC 3461 §4): `+XX` is the octet XX (upper-case hex);
/// every other character is itself, `!` to `~` but not `+` or `=`. The
/// result must be printable US-ASCII, as §4.2 and §4.4 ask of ORCPT and
/// ENVID.
pub fn xtext_decode(text: &str) -> Result<String, XtextError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')))
                    .ok_or(XtextError::BadHex(i))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| XtextError::BadHex(i))?);
                i += 3;
            }
            b @ b'!'..=b'~' if b != b'=' => {
                out.push(b);
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                return Err(XtextError::Unencoded(c));
            }
        }
    }
    if !out.iter().all(|b| (b' '..=b'~').contains(b)) {
        return Err(XtextError::NotPrintable);
    }
    String::from_utf8(out).map_err(|_| XtextError::NotPrintable)
}

/// Encodes text as xtext: `+`, `=`, space, controls and every octet of a
/// non-ASCII character become `+XX`.
pub fn xtext_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// `RET=` (RFC 3461 §4.3): what a failure report returns of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// The whole message (`message/rfc822`).
    Full,
    /// Its header section only (`text/rfc822-headers`).
    Hdrs,
}

impl Ret {
    pub fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Hdrs => "HDRS",
        }
    }
}

/// `NOTIFY=` (RFC 3461 §4.1): when the sender wants a report. All three
/// false is `NEVER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
}

impl Notify {
    pub const NEVER: Notify = Notify {
        success: false,
        failure: false,
        delay: false,
    };

    pub fn is_never(self) -> bool {
        self == Notify::NEVER
    }

    /// Reads `NEVER` or `SUCCESS,FAILURE,DELAY` (any of them, any case).
    pub fn parse(value: &str) -> Result<Notify, DsnError> {
        let mut notify = Notify::NEVER;
        let mut never = false;
        for word in value.split(',') {
            match word.to_ascii_uppercase().as_str() {
                "NEVER" => never = true,
                "SUCCESS" => notify.success = true,
                "FAILURE" => notify.failure = true,
                "DELAY" => notify.delay = true,
                _ => return Err(DsnError::NotifyWord),
            }
        }
        if never && !notify.is_never() {
            return Err(DsnError::NeverNotAlone);
        }
        Ok(notify)
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            return f.write_str("NEVER");
        }
        let words: Vec<&str> = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect();
        f.write_str(&words.join(","))
    }
}

/// Whether a report of this kind may go, given the recipient's NOTIFY
/// (`None` when the client gave none). Without NOTIFY an MTA reports
/// failures and delays, never successes (§4.1, §6.1 as Postfix does).
pub fn wants(notify: Option<Notify>, kind: Wanted) -> bool {
    let n = notify.unwrap_or(Notify {
        success: false,
        failure: true,
        delay: true,
    });
    match kind {
        Wanted::Success => n.success,
        Wanted::Failure => n.failure,
        Wanted::Delay => n.delay,
    }
}

/// The three occasions NOTIFY names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Success,
    Failure,
    Delay,
}

/// `ORCPT=addr-type;xtext` (RFC 3461 §4.2), decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    /// `rfc822` for an Internet address (RFC 3464 §2.3.1); kept as written.
    pub addr_type: String,
    pub address: String,
}

impl Orcpt {
    pub fn rfc822(address: &str) -> Orcpt {
        Orcpt {
            addr_type: "rfc822".to_owned(),
            address: address.to_owned(),
        }
    }

    pub fn parse(value: &str) -> Result<Orcpt, DsnError> {
        if value.len() > MAX_ORCPT {
            return Err(DsnError::TooLong {
                what: "ORCPT",
                len: value.len(),
                max: MAX_ORCPT,
            });
        }
        let (addr_type, xtext) = value.split_once(';').ok_or(DsnError::OrcptForm)?;
        let atom = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
        };
        if !atom(addr_type) || xtext.is_empty() {
            return Err(DsnError::OrcptForm);
        }
        let address = xtext_decode(xtext).map_err(|reason| DsnError::Xtext {
            what: "ORCPT",
            reason,
        })?;
        Ok(Orcpt {
            addr_type: addr_type.to_owned(),
            address,
        })
    }
}

impl fmt::Display for Orcpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.addr_type, xtext_encode(&self.address))
    }
}

/// Reads `ENVID=` (§4.4): xtext of at most 100 characters.
pub fn parse_envid(value: &str) -> Result<String, DsnError> {
    if value.len() > MAX_ENVID {
        return Err(DsnError::TooLong {
            what: "ENVID",
            len: value.len(),
            max: MAX_ENVID,
        });
    }
    xtext_decode(value).map_err(|reason| DsnError::Xtext {
        what: "ENVID",
        reason,
    })
}

/// The DSN parameters of `MAIL FROM:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MailDsn {
    pub ret: Option<Ret>,
    /// Decoded from xtext.
    pub envid: Option<String>,
}

impl MailDsn {
    pub fn is_empty(&self) -> bool {
        self.ret.is_none() && self.envid.is_none()
    }

    /// The first DSN keyword present, to name in a 555.
    pub fn first_keyword(&self) -> Option<&'static str> {
        match (self.ret, &self.envid) {
            (Some(_), _) => Some("RET"),
            (None, Some(_)) => Some("ENVID"),
            (None, None) => None,
        }
    }

    /// Takes `RET=` or `ENVID=`; `Ok(false)` for any other keyword.
    pub fn take(&mut self, keyword: &str, value: Option<&str>) -> Result<bool, DsnError> {
        match keyword {
            "RET" => {
                let value = value.ok_or(DsnError::Missing("RET"))?;
                if self.ret.is_some() {
                    return Err(DsnError::Duplicate("RET"));
                }
                self.ret = Some(match value.to_ascii_uppercase().as_str() {
                    "FULL" => Ret::Full,
                    "HDRS" => Ret::Hdrs,
                    _ => return Err(DsnError::RetWord),
                });
            }
            "ENVID" => {
                let value = value.ok_or(DsnError::Missing("ENVID"))?;
                if self.envid.is_some() {
                    return Err(DsnError::Duplicate("ENVID"));
                }
                self.envid = Some(parse_envid(value)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl fmt::Display for MailDsn {
    /// ` RET=HDRS ENVID=...`, each with its leading space; empty when none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ret) = self.ret {
            write!(f, " RET={}", ret.as_str())?;
        }
        if let Some(envid) = &self.envid {
            write!(f, " ENVID={}", xtext_encode(envid))?;
        }
        Ok(())
    }
}

/// The DSN parameters of `RCPT TO:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RcptDsn {
    pub notify: Option<Notify>,
    pub orcpt: Option<Orcpt>,
}

impl RcptDsn {
    pub fn is_empty(&self) -> bool {
        self.notify.is_none() && self.orcpt.is_none()
    }

    pub fn first_keyword(&self) -> Option<&'static str> {
        match (self.notify, &self.orcpt) {
            (Some(_), _) => Some("NOTIFY"),
            (None, Some(_)) => Some("ORCPT"),
            (None, None) => None,
        }
    }

    /// Takes `NOTIFY=` or `ORCPT=`; `Ok(false)` for any other keyword.
    pub fn take(&mut self, keyword: &str, value: Option<&str>) -> Result<bool, DsnError> {
        match keyword {
            "NOTIFY" => {
                let value = value.ok_or(DsnError::Missing("NOTIFY"))?;
                if self.notify.is_some() {
                    return Err(DsnError::Duplicate("NOTIFY"));
                }
                self.notify = Some(Notify::parse(value)?);
            }
            "ORCPT" => {
                let value = value.ok_or(DsnError::Missing("ORCPT"))?;
                if self.orcpt.is_some() {
                    return Err(DsnError::Duplicate("ORCPT"));
                }
                self.orcpt = Some(Orcpt::parse(value)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl fmt::Display for RcptDsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(notify) = self.notify {
            write!(f, " NOTIFY={notify}")?;
        }
        if let Some(orcpt) = &self.orcpt {
            write!(f, " ORCPT={orcpt}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3461_s4_xtext_decodes_plus_hex() {
        assert_eq!(xtext_decode("a+2Bb+3Dc").unwrap(), "a+b=c");
        assert_eq!(xtext_decode("bob@example.net").unwrap(), "bob@example.net");
        assert_eq!(xtext_decode("").unwrap(), "");
    }

    #[test]
    fn rfc3461_s4_xtext_refuses_bad_hex_and_a_lone_plus() {
        assert_eq!(xtext_decode("a+"), Err(XtextError::BadHex(1)));
        assert_eq!(xtext_decode("a+2"), Err(XtextError::BadHex(1)));
        assert_eq!(xtext_decode("+zz"), Err(XtextError::BadHex(0)));
        // Hex digits are upper case in xtext.
        assert_eq!(xtext_decode("+2b"), Err(XtextError::BadHex(0)));
        // A multi-byte character after '+' is no panic.
        assert_eq!(xtext_decode("+é"), Err(XtextError::BadHex(0)));
        assert_eq!(xtext_decode("+2é"), Err(XtextError::BadHex(0)));
    }

    #[test]
    fn rfc3461_s4_xtext_refuses_unencoded_characters() {
        assert_eq!(xtext_decode("a=b"), Err(XtextError::Unencoded('=')));
        assert_eq!(xtext_decode("a b"), Err(XtextError::Unencoded(' ')));
        assert_eq!(xtext_decode("jörg"), Err(XtextError::Unencoded('ö')));
    }

    #[test]
    fn rfc3461_s4_2_decoded_text_must_be_printable() {
        assert_eq!(xtext_decode("a+0Db"), Err(XtextError::NotPrintable));
        assert_eq!(xtext_decode("+C3+B6"), Err(XtextError::NotPrintable));
        assert_eq!(xtext_decode("a+20b").unwrap(), "a b");
    }

    #[test]
    fn rfc3461_s4_xtext_encodes_plus_equals_and_space() {
        assert_eq!(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext_encode("bob@example.net"), "bob@example.net");
    }

    #[test]
    fn rfc3461_s4_1_notify_never_is_exclusive() {
        assert_eq!(Notify::parse("never"), Ok(Notify::NEVER));
        assert_eq!(Notify::parse("NEVER,SUCCESS"), Err(DsnError::NeverNotAlone));
        assert_eq!(Notify::parse("DELAY,NEVER"), Err(DsnError::NeverNotAlone));
    }

    #[test]
    fn rfc3461_s4_1_notify_list() {
        let n = Notify::parse("SUCCESS,delay").unwrap();
        assert!(n.success && n.delay && !n.failure);
        assert_eq!(n.to_string(), "SUCCESS,DELAY");
        assert_eq!(Notify::parse("SUCCESS,"), Err(DsnError::NotifyWord));
        assert_eq!(Notify::parse("SOMETIMES"), Err(DsnError::NotifyWord));
    }

    #[test]
    fn rfc3461_s4_1_default_reports_failure_and_delay_not_success() {
        assert!(wants(None, Wanted::Failure));
        assert!(wants(None, Wanted::Delay));
        assert!(!wants(None, Wanted::Success));
        assert!(!wants(Some(Notify::NEVER), Wanted::Failure));
    }

    #[test]
    fn rfc3461_s4_2_orcpt_is_addr_type_and_xtext() {
        let o = Orcpt::parse("rfc822;bob+2Bnews@example.net").unwrap();
        assert_eq!(o.addr_type, "rfc822");
        assert_eq!(o.address, "bob+news@example.net");
        assert_eq!(o.to_string(), "rfc822;bob+2Bnews@example.net");
        assert_eq!(Orcpt::parse("bob@example.net"), Err(DsnError::OrcptForm));
        assert_eq!(Orcpt::parse(";bob@example.net"), Err(DsnError::OrcptForm));
        assert_eq!(Orcpt::parse("rfc822;"), Err(DsnError::OrcptForm));
    }

    #[test]
    fn rfc3461_s4_2_orcpt_over_500_characters_is_refused() {
        let ok = format!("rfc822;{}", "a".repeat(MAX_ORCPT - 7));
        assert!(Orcpt::parse(&ok).is_ok());
        let long = format!("rfc822;{}", "a".repeat(MAX_ORCPT));
        assert!(matches!(
            Orcpt::parse(&long),
            Err(DsnError::TooLong { what: "ORCPT", .. })
        ));
    }

    #[test]
    fn rfc3461_s4_4_envid_over_100_characters_is_refused() {
        assert_eq!(parse_envid(&"x".repeat(100)).unwrap().len(), 100);
        assert!(matches!(
            parse_envid(&"x".repeat(101)),
            Err(DsnError::TooLong { what: "ENVID", .. })
        ));
    }

    #[test]
    fn rfc3461_s4_duplicate_parameters_are_refused() {
        let mut mail = MailDsn::default();
        assert_eq!(mail.take("RET", Some("HDRS")), Ok(true));
        assert_eq!(
            mail.take("RET", Some("FULL")),
            Err(DsnError::Duplicate("RET"))
        );
        let mut rcpt = RcptDsn::default();
        assert_eq!(rcpt.take("NOTIFY", Some("NEVER")), Ok(true));
        assert_eq!(
            rcpt.take("NOTIFY", Some("NEVER")),
            Err(DsnError::Duplicate("NOTIFY"))
        );
        assert_eq!(rcpt.take("XFOO", None), Ok(false));
    }

    #[test]
    fn rfc3461_s4_3_ret_is_full_or_hdrs() {
        let mut mail = MailDsn::default();
        assert_eq!(mail.take("RET", Some("PARTIAL")), Err(DsnError::RetWord));
        assert_eq!(mail.take("RET", None), Err(DsnError::Missing("RET")));
        assert_eq!(mail.take("RET", Some("full")), Ok(true));
        assert_eq!(mail.ret, Some(Ret::Full));
    }
}
