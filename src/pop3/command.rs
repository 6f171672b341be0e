//! POP3 commands: parsing a received line and writing one to send
//! (RFC 1939 §3–§7, CAPA of RFC 2449 §5).
//!
//! A command is a keyword of three or four letters, case-insensitive,
//! maybe followed by arguments, each after a single space (RFC 1939 §3).
//! A message number is decimal and starts at 1. PASS is the exception:
//! its one argument is the rest of the line, spaces included, because a
//! password may hold spaces (RFC 1939 §7).
//!
//! A command line is at most 255 octets, CRLF included (RFC 2449 §4, which
//! raised RFC 1939's 40-character arguments).

use std::fmt;

use thiserror::Error;

use super::response::Response;

/// Longest command line, CRLF included (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = 255;

/// One command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`: who wants their maildrop (RFC 1939 §7).
    User(String),
    /// `PASS string`: the password, right after a successful USER.
    Pass(String),
    /// `STAT`: how many messages and how many octets (§5).
    Stat,
    /// `LIST [msg]`: the size of one message or of each (§5).
    List(Option<u32>),
    /// `UIDL [msg]`: the unique id of one message or of each (§7).
    Uidl(Option<u32>),
    /// `RETR msg`: the whole message (§5).
    Retr(u32),
    /// `TOP msg n`: the headers, the blank line, and `n` body lines (§7).
    Top(u32, u32),
    /// `DELE msg`: mark for deletion when the session ends with QUIT (§5).
    Dele(u32),
    /// `RSET`: unmark every message marked for deletion (§5).
    Rset,
    /// `NOOP`: do nothing, say `+OK` (§5).
    Noop,
    /// `QUIT`: leave; in TRANSACTION state, delete what was marked (§6).
    Quit,
    /// `CAPA`: list the capabilities (RFC 2449 §5).
    Capa,
}

/// Why a command line was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("command line is not valid UTF-8")]
    NotUtf8,
    #[error("unknown command {0:?}")]
    Unknown(String),
    /// A real POP3 command that this server does not offer.
    #[error("{0} is a POP3 command this server does not offer")]
    NotOffered(&'static str),
    /// Wrong arguments; the text is the usage.
    #[error("syntax: {0}")]
    Syntax(&'static str),
}

impl CommandError {
    /// The `-ERR` a server sends for this error.
    pub fn response(&self) -> Response {
        match self {
            CommandError::NotUtf8 => Response::err("command line is not valid UTF-8"),
            CommandError::Unknown(keyword) => Response::err(format!(
                "unknown command {keyword:?}; CAPA lists what is here"
            )),
            CommandError::NotOffered(keyword) => Response::err(format!(
                "{keyword} is not offered here; log in with USER and PASS (CAPA lists what is here)"
            )),
            CommandError::Syntax(usage) => Response::err(format!("syntax: {usage}")),
        }
    }
}

impl Command {
    /// The keyword in upper case, as a transcript shows it.
    pub fn keyword(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Uidl(_) => "UIDL",
            Command::Retr(_) => "RETR",
            Command::Top(..) => "TOP",
            Command::Dele(_) => "DELE",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::Capa => "CAPA",
        }
    }

    /// True when a `+OK` to this command goes on with a multi-line body
    /// ended by a lone dot (RFC 1939 §3; CAPA, RFC 2449 §5).
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::Retr(_)
                | Command::Top(..)
                | Command::Capa
                | Command::List(None)
                | Command::Uidl(None)
        )
    }

    /// Writes the command line, CRLF included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    /// Parses one line received from a client, CRLF already removed.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = std::str::from_utf8(line).map_err(|_| CommandError::NotUtf8)?;
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        let upper = keyword.to_ascii_uppercase();
        if upper == "PASS" {
            // The whole rest of the line, spaces included (RFC 1939 §7).
            return match text_argument(rest) {
                Some(password) => Ok(Command::Pass(password.to_owned())),
                None => Err(CommandError::Syntax(PASS)),
            };
        }
        // Trailing spaces are forgiven; anything else needs single spaces.
        let rest = rest.trim_end_matches(' ');
        let args: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(' ').collect()
        };
        let syntax = |usage| Err(CommandError::Syntax(usage));
        match (upper.as_str(), args.as_slice()) {
            ("USER", [name]) => match text_argument(name) {
                Some(name) => Ok(Command::User(name.to_owned())),
                None => syntax(USER),
            },
            ("STAT", []) => Ok(Command::Stat),
            ("LIST", []) => Ok(Command::List(None)),
            ("LIST", [msg]) => Ok(Command::List(Some(message_number(msg, LIST)?))),
            ("UIDL", []) => Ok(Command::Uidl(None)),
            ("UIDL", [msg]) => Ok(Command::Uidl(Some(message_number(msg, UIDL)?))),
            ("RETR", [msg]) => Ok(Command::Retr(message_number(msg, RETR)?)),
            ("TOP", [msg, n]) => {
                let msg = message_number(msg, TOP)?;
                let n = decimal(n).ok_or(CommandError::Syntax(TOP))?;
                Ok(Command::Top(msg, n))
            }
            ("DELE", [msg]) => Ok(Command::Dele(message_number(msg, DELE)?)),
            ("RSET", []) => Ok(Command::Rset),
            ("NOOP", []) => Ok(Command::Noop),
            ("QUIT", []) => Ok(Command::Quit),
            ("CAPA", []) => Ok(Command::Capa),
            ("USER", _) => syntax(USER),
            ("LIST", _) => syntax(LIST),
            ("UIDL", _) => syntax(UIDL),
            ("RETR", _) => syntax(RETR),
            ("TOP", _) => syntax(TOP),
            ("DELE", _) => syntax(DELE),
            ("STAT" | "RSET" | "NOOP" | "QUIT" | "CAPA", _) => {
                syntax("this command takes no argument (RFC 1939 §5)")
            }
            // Real commands of RFC 1939 §7, RFC 2449, RFC 2595, RFC 5034, RFC 6856.
            ("APOP", _) => Err(CommandError::NotOffered("APOP")),
            ("AUTH", _) => Err(CommandError::NotOffered("AUTH")),
            ("STLS", _) => Err(CommandError::NotOffered("STLS")),
            ("UTF8", _) => Err(CommandError::NotOffered("UTF8")),
            ("LANG", _) => Err(CommandError::NotOffered("LANG")),
            _ => Err(CommandError::Unknown(keyword.chars().take(16).collect())),
        }
    }
}

const USER: &str = "USER name (RFC 1939 §7)";
const PASS: &str = "PASS string (RFC 1939 §7)";
const LIST: &str = "LIST [msg], msg a message number from 1 (RFC 1939 §5)";
const UIDL: &str = "UIDL [msg], msg a message number from 1 (RFC 1939 §7)";
const RETR: &str = "RETR msg, msg a message number from 1 (RFC 1939 §5)";
const TOP: &str = "TOP msg n, msg a message number from 1, n a line count from 0 (RFC 1939 §7)";
const DELE: &str = "DELE msg, msg a message number from 1 (RFC 1939 §5)";

/// A non-empty argument without control characters.
fn text_argument(arg: &str) -> Option<&str> {
    (!arg.is_empty() && !arg.chars().any(char::is_control)).then_some(arg)
}

/// Digits only, no sign, within `u32` (RFC 1939 §3: numbers are decimal).
fn decimal(arg: &str) -> Option<u32> {
    if arg.is_empty() || arg.len() > 10 || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    arg.parse().ok()
}

/// A message number: decimal, 1 or more (RFC 1939 §3).
fn message_number(arg: &str, usage: &'static str) -> Result<u32, CommandError> {
    decimal(arg)
        .filter(|&n| n >= 1)
        .ok_or(CommandError::Syntax(usage))
}

impl fmt::Display for Command {
    /// The command line as sent, without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyword = self.keyword();
        match self {
            Command::User(text) | Command::Pass(text) => write!(f, "{keyword} {text}"),
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => write!(f, "{keyword} {n}"),
            Command::Top(n, lines) => write!(f, "{keyword} {n} {lines}"),
            Command::Stat
            | Command::List(None)
            | Command::Uidl(None)
            | Command::Rset
            | Command::Noop
            | Command::Quit
            | Command::Capa => f.write_str(keyword),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, CommandError> {
        Command::parse(line.as_bytes())
    }

    #[test]
    fn keywords_are_case_insensitive_rfc1939_3() {
        assert_eq!(parse("stat"), Ok(Command::Stat));
        assert_eq!(parse("Retr 2"), Ok(Command::Retr(2)));
        assert_eq!(parse("uSeR alice"), Ok(Command::User("alice".into())));
        assert_eq!(parse("capa"), Ok(Command::Capa));
    }

    #[test]
    fn message_numbers_are_decimal_from_1_rfc1939_3() {
        assert_eq!(parse("LIST 007"), Ok(Command::List(Some(7))));
        assert_eq!(parse("DELE 4294967295"), Ok(Command::Dele(u32::MAX)));
        for bad in [
            "RETR 0",
            "RETR -1",
            "RETR +1",
            "RETR 1x",
            "RETR x",
            "RETR 4294967296",
            "RETR 99999999999999999999",
            "RETR",
            "RETR 1 2",
            "RETR  1",
            "LIST 0",
            "UIDL 0",
            "DELE 0",
        ] {
            assert!(matches!(parse(bad), Err(CommandError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn top_takes_a_message_and_a_line_count_from_0_rfc1939_7() {
        assert_eq!(parse("TOP 1 0"), Ok(Command::Top(1, 0)));
        assert_eq!(parse("top 3 10"), Ok(Command::Top(3, 10)));
        for bad in ["TOP 1", "TOP 0 1", "TOP 1 -1", "TOP", "TOP 1 2 3"] {
            assert!(matches!(parse(bad), Err(CommandError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn pass_keeps_spaces_of_the_password_rfc1939_7() {
        assert_eq!(
            parse("PASS correct horse battery "),
            Ok(Command::Pass("correct horse battery ".into()))
        );
        assert!(matches!(parse("PASS"), Err(CommandError::Syntax(_))));
        assert!(matches!(parse("PASS "), Err(CommandError::Syntax(_))));
        assert!(matches!(parse("PASS a\0b"), Err(CommandError::Syntax(_))));
    }

    #[test]
    fn arguments_where_none_belong_are_refused_rfc1939_5() {
        for bad in ["STAT 1", "RSET now", "QUIT please", "NOOP x", "CAPA all"] {
            assert!(matches!(parse(bad), Err(CommandError::Syntax(_))), "{bad}");
        }
        assert_eq!(parse("STAT  "), Ok(Command::Stat));
        assert!(matches!(parse("USER a b"), Err(CommandError::Syntax(_))));
    }

    #[test]
    fn apop_and_friends_are_known_but_not_offered() {
        assert_eq!(
            parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
            Err(CommandError::NotOffered("APOP"))
        );
        assert_eq!(parse("STLS"), Err(CommandError::NotOffered("STLS")));
        assert_eq!(parse("XYZZY"), Err(CommandError::Unknown("XYZZY".into())));
        assert_eq!(Command::parse(b"\xff"), Err(CommandError::NotUtf8));
        assert_eq!(parse(""), Err(CommandError::Unknown(String::new())));
    }

    #[test]
    fn errors_become_minus_err_rfc1939_3() {
        let response = parse("RETR 0").unwrap_err().response();
        assert!(!response.is_ok());
        assert!(response.text.starts_with("syntax: RETR msg"));
    }

    #[test]
    fn round_trip_of_every_command() {
        for line in [
            "USER alice",
            "PASS s3cret with spaces",
            "STAT",
            "LIST",
            "LIST 2",
            "UIDL",
            "UIDL 3",
            "RETR 1",
            "TOP 1 0",
            "DELE 2",
            "RSET",
            "NOOP",
            "QUIT",
            "CAPA",
        ] {
            let command = parse(line).unwrap();
            assert_eq!(command.to_string(), line);
            let mut out = Vec::new();
            command.encode(&mut out);
            assert_eq!(out, format!("{line}\r\n").as_bytes());
        }
    }
}
