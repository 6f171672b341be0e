//! Multi-line responses (RFC 1939 §3): after a positive status line come
//! lines ending in CRLF, then a line holding a single `.`. A line that
//! begins with `.` is byte-stuffed with one more `.`, which the receiver
//! removes; so the end is always the five octets `CRLF.CRLF`, as for SMTP's
//! DATA (RFC 5321 §4.5.2).
//!
//! * [`BodyStream`] sends a stored message (RETR) or its top (TOP). It
//!   stuffs as the bytes leave, a piece at a time, so a server never copies
//!   a whole message to answer, and a pipelined run of RETRs costs memory
//!   per command, not per message octet.
//! * [`push_line`] and [`push_end`] write a listing (LIST, UIDL, CAPA).
//! * [`listing_line`] reads one back on the client side. A client reads a
//!   message body with [`crate::session::stuffing::DataReceiver`], which unstuffs
//!   and finds `CRLF.CRLF` exactly as it does for SMTP.
//!
//! A line starts after CRLF only, on both sides, as in
//! [`crate::session::stuffing::stuff`]: a bare LF followed by `.` is plain text.

use std::sync::Arc;

/// A message (or its first part) leaving as a stuffed multi-line body.
#[derive(Debug, Clone)]
pub struct BodyStream {
    content: Arc<[u8]>,
    /// Octets of `content` to send; TOP sends fewer than all.
    end: usize,
    pos: usize,
    line_start: bool,
    after_cr: bool,
}

impl BodyStream {
    /// Sends `content[..end]` (`end` is clamped to the length).
    pub fn new(content: Arc<[u8]>, end: usize) -> BodyStream {
        let end = end.min(content.len());
        BodyStream {
            content,
            end,
            pos: 0,
            line_start: true,
            after_cr: false,
        }
    }

    /// Octets of the message not yet written (stuffing not counted).
    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// Writes up to `budget` octets of the message, stuffed, and once they
    /// are all written the end line: a CRLF first if the part sent does not
    /// end with one, then `.` CRLF. Returns true when all is written.
    pub fn write(&mut self, out: &mut Vec<u8>, budget: usize) -> bool {
        let stop = self.end.min(self.pos.saturating_add(budget));
        let piece = &self.content[self.pos..stop];
        out.reserve(piece.len() + piece.len() / 64 + 5);
        for &b in piece {
            if self.line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            self.line_start = self.after_cr && b == b'\n';
            self.after_cr = b == b'\r';
        }
        self.pos = stop;
        if self.pos < self.end {
            return false;
        }
        let sent = &self.content[..self.end];
        if !sent.is_empty() && !sent.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        push_end(out);
        true
    }
}

/// Appends one line of a listing, stuffed, with its CRLF.
pub fn push_line(out: &mut Vec<u8>, line: &str) {
    if line.starts_with('.') {
        out.push(b'.');
    }
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends the line that ends a multi-line response.
pub fn push_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b".\r\n");
}

/// One received line of a multi-line response, CRLF removed: `None` for
/// the end line `.`, otherwise the line with its stuffing dot removed.
pub fn listing_line(line: &[u8]) -> Option<&[u8]> {
    match line {
        b"." => None,
        [b'.', rest @ ..] => Some(rest),
        _ => Some(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::stuffing::{DataReceiver, stuff};

    fn stream_all(content: &[u8], budget: usize) -> Vec<u8> {
        let mut stream = BodyStream::new(content.into(), usize::MAX);
        let mut out = Vec::new();
        let mut rounds = 0;
        while !stream.write(&mut out, budget) {
            rounds += 1;
            assert!(rounds <= content.len() + 1);
        }
        out
    }

    #[test]
    fn leading_dots_are_stuffed_rfc1939_3() {
        assert_eq!(
            stream_all(b".a\r\nb\r\n..c\r\n", 1000),
            b"..a\r\nb\r\n...c\r\n.\r\n"
        );
        assert_eq!(stream_all(b"", 1000), b".\r\n");
        assert_eq!(stream_all(b"no newline", 1000), b"no newline\r\n.\r\n");
    }

    #[test]
    fn streaming_in_pieces_equals_smtp_stuffing_rfc1939_3() {
        let samples: [&[u8]; 7] = [
            b"Subject: x\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n",
            b".\r\n.\r\n",
            b"a\n.b\r.c\r\n.d",
            b"\r\n.\r\n",
            b"\r\r\n.x",
            b"x",
            b"",
        ];
        for content in samples {
            let mut expected = Vec::new();
            stuff(content, &mut expected);
            for budget in 1..=content.len().max(1) {
                assert_eq!(
                    stream_all(content, budget),
                    expected,
                    "{content:?} {budget}"
                );
            }
            // And the receiver of SMTP's DATA gets the content back.
            let mut rx = DataReceiver::new(1 << 10);
            let (used, done) = rx.ingest(&expected);
            assert!(done && used == expected.len());
            let mut back = content.to_vec();
            if !back.is_empty() && !back.ends_with(b"\r\n") {
                back.extend_from_slice(b"\r\n");
            }
            assert_eq!(rx.finish().0, back);
        }
    }

    #[test]
    fn a_part_ends_where_asked() {
        let content: Arc<[u8]> = Arc::from(&b"H: v\r\n\r\nbody\r\n"[..]);
        let mut stream = BodyStream::new(content, 8);
        let mut out = Vec::new();
        assert!(stream.write(&mut out, 100));
        assert_eq!(out, b"H: v\r\n\r\n.\r\n");
    }

    #[test]
    fn listing_lines_are_unstuffed_and_end_at_a_lone_dot_rfc1939_3() {
        let mut out = Vec::new();
        push_line(&mut out, "1 120");
        push_line(&mut out, ".odd");
        push_end(&mut out);
        assert_eq!(out, b"1 120\r\n..odd\r\n.\r\n");
        assert_eq!(listing_line(b"1 120"), Some(&b"1 120"[..]));
        assert_eq!(listing_line(b"..odd"), Some(&b".odd"[..]));
        assert_eq!(listing_line(b"."), None);
    }
}
