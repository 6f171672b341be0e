//! POP3 status lines: every response begins with `+OK` or `-ERR`, maybe
//! followed by a space and some text for people (RFC 1939 §3).
//!
//! Unlike SMTP there are no numeric codes: the indicator is all a client
//! may rely on. The text is free, but servers usually say something useful,
//! such as `+OK 2 messages (320 octets)`. A response to RETR, TOP, or LIST,
//! UIDL and CAPA without an argument goes on after a positive status line
//! with a multi-line body (see [`super::multiline`]).

use std::fmt;

use thiserror::Error;

/// Longest first line of a response, CRLF included (RFC 2449 §4).
pub const MAX_RESPONSE_LINE: usize = 512;

/// The status indicator, always in upper case on the wire (RFC 1939 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`: the command succeeded.
    Ok,
    /// `-ERR`: it did not.
    Err,
}

impl Status {
    pub fn indicator(self) -> &'static str {
        match self {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
        }
    }
}

/// One status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: Status,
    /// What follows the indicator and its space; may be empty.
    pub text: String,
}

/// Why a line is not a status line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    #[error("response {0:?} starts with neither +OK nor -ERR (RFC 1939 §3)")]
    NoStatus(String),
}

impl Response {
    /// A positive response. CR and LF in `text` become spaces, so that the
    /// text can never end the line early.
    pub fn ok(text: impl Into<String>) -> Response {
        Response::new(Status::Ok, text)
    }

    /// A negative response; the text is cleaned as for [`Response::ok`].
    pub fn err(text: impl Into<String>) -> Response {
        Response::new(Status::Err, text)
    }

    fn new(status: Status, text: impl Into<String>) -> Response {
        let mut text = text.into();
        if text.contains(['\r', '\n']) {
            text = text.replace(['\r', '\n'], " ");
        }
        Response { status, text }
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Parses a status line received from a server, CRLF already removed.
    /// Text that is not UTF-8 is kept lossily: it is only for people.
    pub fn parse(line: &[u8]) -> Result<Response, ResponseError> {
        for status in [Status::Ok, Status::Err] {
            let Some(rest) = line.strip_prefix(status.indicator().as_bytes()) else {
                continue;
            };
            // `+OKAY` is not `+OK`: the indicator ends at a space or the line end.
            let text = match rest {
                [] => String::new(),
                [b' ', text @ ..] => String::from_utf8_lossy(text).into_owned(),
                _ => break,
            };
            return Ok(Response { status, text });
        }
        let shown = String::from_utf8_lossy(line).chars().take(40).collect();
        Err(ResponseError::NoStatus(shown))
    }

    /// Writes the status line, CRLF included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

impl fmt::Display for Response {
    /// The status line as sent, without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.indicator())?;
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_plus_ok_or_minus_err_rfc1939_3() {
        let ok = Response::parse(b"+OK 2 messages (320 octets)").unwrap();
        assert!(ok.is_ok());
        assert_eq!(ok.text, "2 messages (320 octets)");
        let err = Response::parse(b"-ERR no such message").unwrap();
        assert_eq!(err.status, Status::Err);
        assert_eq!(Response::parse(b"+OK").unwrap().text, "");
    }

    #[test]
    fn anything_else_is_not_a_status_line_rfc1939_3() {
        for line in [&b"+OKAY"[..], b"-ERROR x", b"OK", b"", b"250 OK", b"+ok"] {
            assert!(Response::parse(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn round_trip_and_no_line_break_in_text() {
        let r = Response::err("two\r\nlines");
        let mut out = Vec::new();
        r.encode(&mut out);
        assert_eq!(out, b"-ERR two  lines\r\n");
        assert_eq!(Response::parse(&out[..out.len() - 2]), Ok(r));
        assert_eq!(Response::ok("").to_string(), "+OK");
    }
}
