//! SMTP commands: parsing a received line and writing one to send
//! (RFC 5321 §4.1.1, ESMTP parameters of RFC 1869/5321 §4.1.2).
//!
//! Verbs are case-insensitive (§2.4). `MAIL FROM: <a@b>` with a space after
//! the colon is accepted although §4.1.2 has none: many clients send it.

use std::fmt;

use thiserror::Error;

use super::address::{AddressError, ForwardPath, ReversePath};
use super::dsn::{DsnError, MailDsn, RcptDsn};
use super::reply::{EnhancedCode, Reply};

/// `BODY=` of RFC 6152.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Body {
    #[default]
    SevenBit,
    EightBitMime,
    /// RFC 3030 §3: binary content; it travels only by BDAT.
    BinaryMime,
}

/// Parameters of `MAIL FROM:` (RFC 5321 §4.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailParams {
    /// `SIZE=` of RFC 1870.
    pub size: Option<u64>,
    /// `BODY=` of RFC 6152.
    pub body: Option<Body>,
    /// `SMTPUTF8` of RFC 6531.
    pub smtputf8: bool,
    /// `AUTH=` of RFC 4954 §5, kept as written (xtext).
    pub auth: Option<String>,
    /// `RET=` and `ENVID=` of RFC 3461 §4.3, §4.4.
    pub dsn: MailDsn,
    /// Parameters this server does not know: answered with 555 (§4.1.1.11).
    pub unknown: Vec<Param>,
}

impl MailParams {
    pub fn is_empty(&self) -> bool {
        *self == MailParams::default()
    }
}

/// Parameters of `RCPT TO:`: DSN's NOTIFY/ORCPT, and the rest unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcptParams {
    pub unknown: Vec<Param>,
    /// `NOTIFY=` and `ORCPT=` of RFC 3461 §4.1, §4.2.
    pub dsn: RcptDsn,
}

/// `esmtp-keyword ["=" esmtp-value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub keyword: String,
    pub value: Option<String>,
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={}", self.keyword, v),
            None => f.write_str(&self.keyword),
        }
    }
}

/// One command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Helo {
        domain: String,
    },
    Ehlo {
        domain: String,
    },
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    Rcpt {
        to: ForwardPath,
        params: RcptParams,
    },
    Data,
    Rset,
    Vrfy {
        target: String,
    },
    Expn {
        list: String,
    },
    Help {
        topic: Option<String>,
    },
    Noop,
    Quit,
    /// `AUTH mechanism [initial-response]`, RFC 4954 §4.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    StartTls,
    /// `BDAT chunk-size [LAST]`, RFC 3030 §2: exactly `size` octets of
    /// the message follow the line, unstuffed and unscanned.
    Bdat {
        size: u64,
        last: bool,
    },
}

impl Command {
    /// What a server that requires TLS still serves before STARTTLS
    /// (RFC 3207 §4: "530 Must issue a STARTTLS command first" for the rest).
    pub fn allowed_before_tls(&self) -> bool {
        matches!(
            self,
            Command::Ehlo { .. }
                | Command::Helo { .. }
                | Command::StartTls
                | Command::Noop
                | Command::Rset
                | Command::Help { .. }
                | Command::Quit
        )
    }

    /// The verb in upper case, as a transcript shows it.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Helo { .. } => "HELO",
            Command::Ehlo { .. } => "EHLO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Vrfy { .. } => "VRFY",
            Command::Expn { .. } => "EXPN",
            Command::Help { .. } => "HELP",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::Auth { .. } => "AUTH",
            Command::StartTls => "STARTTLS",
            Command::Bdat { .. } => "BDAT",
        }
    }

    /// Writes the command line, CRLF included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Straight into `out`: no String in between.
        use std::io::Write;
        write!(out, "{self}\r\n").expect("writing to a Vec cannot fail");
    }

    /// Parses one line received from a client, CRLF already removed.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = std::str::from_utf8(line).map_err(|_| CommandError::NotUtf8)?;
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb, rest),
            None => (line, ""),
        };
        // Upper-cased on the stack: every command line of every session is
        // read here, and no verb is longer than 8 octets.
        let mut buf = [0u8; 8];
        let upper = match buf.get_mut(..verb.len()) {
            Some(buf) => {
                buf.copy_from_slice(verb.as_bytes());
                buf.make_ascii_uppercase();
                // ASCII case changes keep UTF-8 valid.
                std::str::from_utf8(buf).unwrap_or("")
            }
            None => "",
        };
        let arg = rest.trim_end_matches(' ');
        match upper {
            "HELO" => Ok(Command::Helo {
                domain: one_word(arg, "HELO domain")?,
            }),
            "EHLO" => Ok(Command::Ehlo {
                domain: one_word(arg, "EHLO domain")?,
            }),
            "MAIL" => parse_mail(arg),
            "RCPT" => parse_rcpt(arg),
            "DATA" => no_argument(arg, Command::Data, "DATA"),
            "RSET" => no_argument(arg, Command::Rset, "RSET"),
            "QUIT" => no_argument(arg, Command::Quit, "QUIT"),
            "STARTTLS" => no_argument(arg, Command::StartTls, "STARTTLS"),
            // NOOP and HELP may carry a string that is ignored (§4.1.1.8, §4.1.1.9).
            "NOOP" => Ok(Command::Noop),
            "HELP" => Ok(Command::Help {
                topic: (!arg.is_empty()).then(|| arg.to_owned()),
            }),
            "VRFY" => Ok(Command::Vrfy {
                target: required(arg, "VRFY string")?,
            }),
            "EXPN" => Ok(Command::Expn {
                list: required(arg, "EXPN string")?,
            }),
            "AUTH" => parse_auth(arg),
            "BDAT" => parse_bdat(arg),
            "BURL" | "ETRN" | "ATRN" | "TURN" | "LHLO" | "SEND" | "SOML" | "SAML" | "VERB"
            | "ONEX" => Err(CommandError::NotImplemented(upper.to_owned())),
            _ => Err(CommandError::Unknown(verb.chars().take(16).collect())),
        }
    }
}

impl fmt::Display for Command {
    /// The command line as sent, without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Helo { domain } => write!(f, "HELO {domain}"),
            Command::Ehlo { domain } => write!(f, "EHLO {domain}"),
            Command::Mail { from, params } => {
                write!(f, "MAIL FROM:{from}")?;
                if let Some(size) = params.size {
                    write!(f, " SIZE={size}")?;
                }
                match params.body {
                    Some(Body::SevenBit) => f.write_str(" BODY=7BIT")?,
                    Some(Body::EightBitMime) => f.write_str(" BODY=8BITMIME")?,
                    Some(Body::BinaryMime) => f.write_str(" BODY=BINARYMIME")?,
                    None => {}
                }
                if params.smtputf8 {
                    f.write_str(" SMTPUTF8")?;
                }
                if let Some(auth) = &params.auth {
                    write!(f, " AUTH={auth}")?;
                }
                write!(f, "{}", params.dsn)?;
                params.unknown.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Rcpt { to, params } => {
                write!(f, "RCPT TO:{to}{}", params.dsn)?;
                params.unknown.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Data => f.write_str("DATA"),
            Command::Rset => f.write_str("RSET"),
            Command::Vrfy { target } => write!(f, "VRFY {target}"),
            Command::Expn { list } => write!(f, "EXPN {list}"),
            Command::Help { topic: Some(t) } => write!(f, "HELP {t}"),
            Command::Help { topic: None } => f.write_str("HELP"),
            Command::Noop => f.write_str("NOOP"),
            Command::Quit => f.write_str("QUIT"),
            Command::Auth {
                mechanism,
                initial: Some(i),
            } => write!(f, "AUTH {mechanism} {i}"),
            Command::Auth {
                mechanism,
                initial: None,
            } => write!(f, "AUTH {mechanism}"),
            Command::StartTls => f.write_str("STARTTLS"),
            Command::Bdat { size, last: true } => write!(f, "BDAT {size} LAST"),
            Command::Bdat { size, last: false } => write!(f, "BDAT {size}"),
        }
    }
}

/// Why a command line was not understood; each maps to the reply a server
/// sends for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("command line is not valid UTF-8")]
    NotUtf8,
    #[error("unknown command {0:?}")]
    Unknown(String),
    #[error("{0} is a known command that this server does not implement")]
    NotImplemented(String),
    #[error("syntax: {0}")]
    Syntax(&'static str),
    #[error("bad {what}: {reason}")]
    Path {
        what: &'static str,
        reason: AddressError,
    },
    #[error("bad value for parameter {0}")]
    BadParam(String),
    /// A DSN parameter (RFC 3461 §4) with a bad value, or given twice.
    #[error("{0}")]
    Dsn(DsnError),
}

impl CommandError {
    /// The reply a server sends for this error (RFC 5321 §4.2.2, §4.3.2).
    pub fn reply(&self) -> Reply {
        let esc = EnhancedCode::new;
        match self {
            CommandError::NotUtf8 => Reply::new(
                500,
                Some(esc(5, 5, 2)),
                "Syntax error: command line is not valid UTF-8",
            ),
            // X.5.2 covers "the command is unrecognized" (RFC 3463 §3.6).
            CommandError::Unknown(verb) => Reply::new(
                500,
                Some(esc(5, 5, 2)),
                format!("Command unrecognized: {verb:?}"),
            ),
            CommandError::NotImplemented(verb) => Reply::new(
                502,
                Some(esc(5, 5, 1)),
                format!("{verb} is not implemented here"),
            ),
            CommandError::Syntax(syntax) => Reply::new(
                501,
                Some(esc(5, 5, 4)),
                format!("Syntax error in arguments; use: {syntax}"),
            ),
            CommandError::Path {
                what: "reverse-path",
                reason,
            } => Reply::new(
                501,
                Some(esc(5, 1, 7)),
                format!("Bad sender address: {reason}"),
            ),
            CommandError::Path { reason, .. } => Reply::new(
                501,
                Some(esc(5, 1, 3)),
                format!("Bad recipient address: {reason}"),
            ),
            CommandError::BadParam(name) => Reply::new(
                501,
                Some(esc(5, 5, 4)),
                format!("Invalid value for parameter {name}"),
            ),
            CommandError::Dsn(why) => Reply::new(
                501,
                Some(esc(5, 5, 4)),
                format!("Bad {} parameter: {why}", why.keyword()),
            ),
        }
    }
}

/// A single word of at most 255 octets: the EHLO/HELO domain (§4.5.3.1.2).
fn one_word(arg: &str, syntax: &'static str) -> Result<String, CommandError> {
    let too_long = arg.len() > super::address::MAX_DOMAIN_OCTETS;
    if arg.is_empty() || too_long || arg.contains(' ') || arg.chars().any(char::is_control) {
        return Err(CommandError::Syntax(syntax));
    }
    Ok(arg.to_owned())
}

fn required(arg: &str, syntax: &'static str) -> Result<String, CommandError> {
    if arg.is_empty() {
        return Err(CommandError::Syntax(syntax));
    }
    Ok(arg.to_owned())
}

fn no_argument(arg: &str, command: Command, verb: &'static str) -> Result<Command, CommandError> {
    if arg.is_empty() {
        Ok(command)
    } else {
        Err(CommandError::Syntax(verb))
    }
}

/// Splits `FROM:<path> params` into the path (brackets included) and the
/// parameter text.
fn split_path<'a>(
    arg: &'a str,
    keyword: &str,
    syntax: &'static str,
) -> Result<(&'a str, &'a str), CommandError> {
    let after = arg
        .get(..keyword.len())
        .filter(|k| k.eq_ignore_ascii_case(keyword))
        .map(|_| arg[keyword.len()..].trim_start_matches(' '))
        .ok_or(CommandError::Syntax(syntax))?;
    if !after.starts_with('<') {
        return Err(CommandError::Syntax(syntax));
    }
    let end = closing_bracket(after).ok_or(CommandError::Syntax(syntax))?;
    let (path, params) = after.split_at(end + 1);
    if !params.is_empty() && !params.starts_with(' ') {
        return Err(CommandError::Syntax(syntax));
    }
    Ok((path, params.trim_start_matches(' ')))
}

/// Index of the `>` that closes a path, skipping quoted strings.
fn closing_bracket(text: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '>' if !in_quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// `esmtp-param *(SP esmtp-param)`, RFC 5321 §4.1.2.
fn parse_params(text: &str) -> Result<Vec<Param>, CommandError> {
    text.split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (keyword, value) = match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            };
            let keyword_ok = keyword
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && keyword
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            // esmtp-value = 1*(%d33-60 / %d62-126), widened to UTF-8 by RFC 6531.
            let value_ok = value.is_none_or(|v| {
                !v.is_empty() && v.chars().all(|c| c != '=' && (c > ' ' && c != '\x7f'))
            });
            if !keyword_ok || !value_ok {
                return Err(CommandError::Syntax("esmtp-keyword[=esmtp-value]"));
            }
            Ok(Param {
                keyword: keyword.to_ascii_uppercase(),
                value: value.map(str::to_owned),
            })
        })
        .collect()
}

fn parse_mail(arg: &str) -> Result<Command, CommandError> {
    const SYNTAX: &str = "MAIL FROM:<reverse-path> [parameters]";
    let (path, params_text) = split_path(arg, "FROM:", SYNTAX)?;
    let from = ReversePath::parse(path).map_err(|reason| CommandError::Path {
        what: "reverse-path",
        reason,
    })?;
    let mut params = MailParams::default();
    for param in parse_params(params_text)? {
        let value = param.value.as_deref();
        match (param.keyword.as_str(), value) {
            ("SIZE", Some(v)) if v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()) => {
                // 1*20DIGIT is valid syntax (RFC 1870 §3) even past u64: just too big.
                params.size = Some(v.parse().unwrap_or(u64::MAX));
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => {
                params.body = Some(Body::SevenBit);
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => {
                params.body = Some(Body::EightBitMime);
            }
            // RFC 3030 §3; a server that does not offer it answers 555.
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("BINARYMIME") => {
                params.body = Some(Body::BinaryMime);
            }
            ("SMTPUTF8", None) => params.smtputf8 = true,
            ("AUTH", Some(v)) => params.auth = Some(v.to_owned()),
            ("RET" | "ENVID", _) => {
                params
                    .dsn
                    .take(&param.keyword, value)
                    .map_err(CommandError::Dsn)?;
            }
            ("SIZE" | "BODY" | "SMTPUTF8" | "AUTH", _) => {
                return Err(CommandError::BadParam(param.keyword));
            }
            _ => params.unknown.push(param),
        }
    }
    Ok(Command::Mail { from, params })
}

fn parse_rcpt(arg: &str) -> Result<Command, CommandError> {
    const SYNTAX: &str = "RCPT TO:<forward-path> [parameters]";
    let (path, params_text) = split_path(arg, "TO:", SYNTAX)?;
    let to = ForwardPath::parse(path).map_err(|reason| CommandError::Path {
        what: "forward-path",
        reason,
    })?;
    let mut params = RcptParams::default();
    for param in parse_params(params_text)? {
        let taken = params
            .dsn
            .take(&param.keyword, param.value.as_deref())
            .map_err(CommandError::Dsn)?;
        if !taken {
            params.unknown.push(param);
        }
    }
    Ok(Command::Rcpt { to, params })
}

/// `"BDAT" SP chunk-size [SP end-marker]`, `chunk-size = 1*DIGIT`,
/// `end-marker = "LAST"` (RFC 3030 §2). A size past u64 can never be
/// read, and a line with a size the server cannot know is a 501 whose
/// octets the server cannot skip: the client lost the session there.
fn parse_bdat(arg: &str) -> Result<Command, CommandError> {
    const SYNTAX: &str = "BDAT chunk-size [LAST]";
    let mut words = arg.split(' ');
    let size = words
        .next()
        .filter(|w| !w.is_empty() && w.len() <= 20 && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| w.parse().ok())
        .ok_or(CommandError::Syntax(SYNTAX))?;
    let last = match (words.next(), words.next()) {
        (None, _) => false,
        (Some(w), None) if w.eq_ignore_ascii_case("LAST") => true,
        _ => return Err(CommandError::Syntax(SYNTAX)),
    };
    Ok(Command::Bdat { size, last })
}

fn parse_auth(arg: &str) -> Result<Command, CommandError> {
    const SYNTAX: &str = "AUTH mechanism [initial-response]";
    let mut words = arg.split(' ').filter(|w| !w.is_empty());
    let mechanism = words.next().ok_or(CommandError::Syntax(SYNTAX))?;
    let initial = words.next().map(str::to_owned);
    if words.next().is_some()
        || !mechanism
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CommandError::Syntax(SYNTAX));
    }
    Ok(Command::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        initial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, CommandError> {
        Command::parse(line.as_bytes())
    }

    #[test]
    fn verbs_are_case_insensitive_rfc5321_2_4() {
        assert_eq!(parse("quit"), Ok(Command::Quit));
        assert_eq!(parse("NoOp"), Ok(Command::Noop));
        assert!(matches!(
            parse("ehlo client.example"),
            Ok(Command::Ehlo { .. })
        ));
    }

    #[test]
    fn mail_with_esmtp_parameters_rfc5321_4_1_1_2() {
        let cmd = parse("MAIL FROM:<alice@example.org> SIZE=1024 BODY=8BITMIME SMTPUTF8 AUTH=<>")
            .unwrap();
        let Command::Mail { from, params } = &cmd else {
            panic!("{cmd:?}")
        };
        assert_eq!(from.to_string(), "<alice@example.org>");
        assert_eq!(params.size, Some(1024));
        assert_eq!(params.body, Some(Body::EightBitMime));
        assert!(params.smtputf8);
        assert_eq!(params.auth.as_deref(), Some("<>"));
        assert_eq!(
            cmd.to_string(),
            "MAIL FROM:<alice@example.org> SIZE=1024 BODY=8BITMIME SMTPUTF8 AUTH=<>"
        );
    }

    #[test]
    fn unknown_parameter_is_kept_for_a_555_rfc5321_4_1_1_11() {
        let Ok(Command::Mail { params, .. }) = parse("MAIL FROM:<a@b.example> XFOO=1") else {
            panic!()
        };
        assert_eq!(params.unknown[0].keyword, "XFOO");
    }

    #[test]
    fn bad_size_value_is_501_rfc1870() {
        assert_eq!(
            parse("MAIL FROM:<a@b.example> SIZE=big"),
            Err(CommandError::BadParam("SIZE".into()))
        );
    }

    #[test]
    fn space_after_colon_is_tolerated() {
        assert!(parse("MAIL FROM: <a@b.example>").is_ok());
        assert!(parse("RCPT TO: <a@b.example>").is_ok());
    }

    #[test]
    fn path_must_be_bracketed_rfc5321_4_1_2() {
        assert!(matches!(
            parse("MAIL FROM:a@b.example"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            parse("RCPT TO:<a@b.example"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            parse("RCPT TO:<a@b.example>junk"),
            Err(CommandError::Syntax(_))
        ));
    }

    #[test]
    fn quoted_gt_inside_local_part() {
        let Ok(Command::Rcpt { to, .. }) = parse(r#"RCPT TO:<"a>b"@example.net>"#) else {
            panic!()
        };
        assert_eq!(to.to_string(), r#"<"a>b"@example.net>"#);
    }

    #[test]
    fn known_but_unimplemented_is_502_rfc5321_4_2_4() {
        let err = parse("ETRN example.net").unwrap_err();
        assert_eq!(err.reply().code().get(), 502);
        assert_eq!(parse("XYZZY").unwrap_err().reply().code().get(), 500);
    }

    #[test]
    fn round_trip_of_every_command() {
        for line in [
            "HELO a.example",
            "EHLO [192.0.2.1]",
            "MAIL FROM:<>",
            "RCPT TO:<Postmaster>",
            "RCPT TO:<bob@example.net>",
            "DATA",
            "RSET",
            "VRFY bob",
            "EXPN staff",
            "HELP",
            "HELP MAIL",
            "NOOP",
            "QUIT",
            "AUTH PLAIN AGFsaWNlAGFsaWNl",
            "AUTH LOGIN",
            "STARTTLS",
            "BDAT 0 LAST",
            "BDAT 1000",
        ] {
            assert_eq!(parse(line).unwrap().to_string(), line);
        }
    }

    #[test]
    fn ehlo_domain_over_255_octets_is_501_rfc5321_4_5_3_1_2() {
        assert!(parse(&format!("EHLO {}", "a".repeat(255))).is_ok());
        assert_eq!(
            parse(&format!("EHLO {}", "a".repeat(256)))
                .unwrap_err()
                .reply()
                .code()
                .get(),
            501
        );
    }

    #[test]
    fn arguments_where_none_belong_are_501_rfc5321_4_1_1() {
        assert_eq!(parse("DATA now").unwrap_err().reply().code().get(), 501);
        assert_eq!(parse("QUIT please").unwrap_err().reply().code().get(), 501);
    }

    #[test]
    fn rfc3030_s2_bdat_takes_a_size_and_an_optional_last() {
        assert_eq!(
            parse("bdat 12 last"),
            Ok(Command::Bdat {
                size: 12,
                last: true
            })
        );
        assert_eq!(
            parse("BDAT 0"),
            Ok(Command::Bdat {
                size: 0,
                last: false
            })
        );
        for bad in [
            "BDAT",
            "BDAT x",
            "BDAT -1",
            "BDAT 1 FIRST",
            "BDAT 1 LAST x",
            "BDAT 1  LAST",
        ] {
            assert_eq!(parse(bad).unwrap_err().reply().code().get(), 501, "{bad:?}");
        }
        // 1*DIGIT past u64 is no size a server could read.
        assert!(parse("BDAT 99999999999999999999").is_err());
    }

    #[test]
    fn rfc3030_s3_body_binarymime_is_a_body_value() {
        let Ok(Command::Mail { params, .. }) = parse("MAIL FROM:<a@b.example> BODY=binarymime")
        else {
            panic!()
        };
        assert_eq!(params.body, Some(Body::BinaryMime));
        assert!(params.unknown.is_empty());
    }

    #[test]
    fn rfc3461_s4_dsn_parameters_round_trip() {
        for line in [
            "MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B314",
            "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@example.net",
            "RCPT TO:<bob@example.net> NOTIFY=NEVER",
        ] {
            assert_eq!(parse(line).unwrap().to_string(), line);
        }
    }

    #[test]
    fn rfc3461_s4_1_notify_never_with_another_is_501() {
        let err = parse("RCPT TO:<b@c.example> NOTIFY=NEVER,FAILURE").unwrap_err();
        let reply = err.reply();
        assert_eq!(reply.code().get(), 501);
        assert!(
            reply
                .text()
                .starts_with("Bad NOTIFY parameter: NOTIFY=NEVER cannot")
        );
    }

    #[test]
    fn rfc3461_s4_unknown_rcpt_parameters_stay_unknown() {
        let Ok(Command::Rcpt { params, .. }) = parse("RCPT TO:<b@c.example> XFOO NOTIFY=NEVER")
        else {
            panic!()
        };
        assert_eq!(params.unknown[0].keyword, "XFOO");
        assert!(params.dsn.notify.is_some_and(|n| n.is_never()));
    }
}
