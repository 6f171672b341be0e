//! Line framing, the same for every line protocol here: SMTP commands and
//! replies (RFC 5321 §2.3.8) and POP3 commands and responses (RFC 1939 §3)
//! are lines ending in CRLF. A line longer than its limit is discarded up
//! to its end and reported, so a peer that never sends CRLF cannot grow
//! memory.

use thiserror::Error;

/// Why a line could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LineError {
    #[error("line longer than {0} octets")]
    TooLong(usize),
    #[error("line ended with a bare LF; a protocol line ends with CRLF")]
    BareLf,
}

/// A new buffer's first allocation: an SMTP command line's 512 octets.
const INITIAL: usize = 512;

/// Collects bytes and hands out complete lines.
#[derive(Debug)]
pub struct LineBuffer {
    max: usize,
    buf: Vec<u8>,
    start: usize,
    /// Inside an over-long line: drop bytes until its LF.
    discarding: bool,
    /// Octets of the current over-long line dropped so far.
    dropped: usize,
}

impl LineBuffer {
    /// `max` counts the CRLF, as the limits of RFC 5321 §4.5.3.1 and
    /// RFC 2449 §4 do.
    pub fn new(max: usize) -> LineBuffer {
        LineBuffer {
            max,
            buf: Vec::new(),
            start: 0,
            discarding: false,
            dropped: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.buf.capacity() == 0 {
            // Room for a command line (RFC 5321 §4.5.3.1.4) at once: grown
            // from nothing, a session's buffer was reallocated twice or
            // more before its lines fit (engine5). It is kept, cleared,
            // for the rest of the session.
            self.buf.reserve(bytes.len().max(INITIAL));
        }
        self.buf.extend_from_slice(bytes);
        let pending = &self.buf[self.start..];
        if pending.len() > self.max && !pending.contains(&b'\n') {
            // The current line is already too long: keep none of it.
            self.discarding = true;
            self.dropped = self.dropped.saturating_add(pending.len());
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Octets dropped so far of a line that has not ended yet: how long a
    /// peer has been sending without a line end.
    pub fn overlong(&self) -> usize {
        if self.discarding { self.dropped } else { 0 }
    }

    /// True when part of a line is waiting for its end.
    pub fn has_partial(&self) -> bool {
        self.discarding || self.start < self.buf.len()
    }

    /// The next complete line without its CRLF.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, LineError>> {
        self.next_line_ref().map(|line| line.map(<[u8]>::to_vec))
    }

    /// The next complete line without its CRLF, read in place: a reader
    /// that keeps only part of the line copies no more than that part.
    pub fn next_line_ref(&mut self) -> Option<Result<&[u8], LineError>> {
        // memchr reads a word at a time: every line of every session.
        let Some(lf) = memchr::memchr(b'\n', &self.buf[self.start..]) else {
            self.compact();
            return None;
        };
        let line = &self.buf[self.start..=self.start + lf];
        self.start += lf + 1;
        self.dropped = 0;
        let result = if std::mem::take(&mut self.discarding) || line.len() > self.max {
            Err(LineError::TooLong(self.max))
        } else if line.len() < 2 || line[line.len() - 2] != b'\r' {
            Err(LineError::BareLf)
        } else {
            Ok(&line[..line.len() - 2])
        };
        Some(result)
    }

    /// The bytes not yet taken as lines (the start of a DATA body that
    /// arrived pipelined behind its command), to be read in place.
    pub fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Marks `n` unread bytes as taken.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_with_crlf_rfc5321_2_3_8() {
        let mut lb = LineBuffer::new(512);
        lb.push(b"NOOP\r\nQU");
        assert_eq!(lb.next_line(), Some(Ok(b"NOOP".to_vec())));
        assert_eq!(lb.next_line(), None);
        lb.push(b"IT\r\n");
        assert_eq!(lb.next_line(), Some(Ok(b"QUIT".to_vec())));
    }

    #[test]
    fn bare_lf_is_reported_rfc5321_2_3_8() {
        let mut lb = LineBuffer::new(512);
        lb.push(b"NOOP\nNOOP\r\n");
        assert_eq!(lb.next_line(), Some(Err(LineError::BareLf)));
        assert_eq!(lb.next_line(), Some(Ok(b"NOOP".to_vec())));
    }

    #[test]
    fn overlong_counts_the_dropped_octets_until_the_line_ends() {
        let mut lb = LineBuffer::new(512);
        lb.push(&[b'x'; 600]);
        lb.push(&[b'x'; 600]);
        assert!(lb.overlong() >= 1200 - 512);
        lb.push(b"\r\nNOOP\r\n");
        assert_eq!(lb.next_line(), Some(Err(LineError::TooLong(512))));
        assert_eq!(lb.overlong(), 0);
        assert_eq!(lb.next_line(), Some(Ok(b"NOOP".to_vec())));
    }

    #[test]
    fn endless_line_stays_bounded() {
        let mut lb = LineBuffer::new(512);
        for _ in 0..1000 {
            lb.push(&[b'x'; 1000]);
            assert!(lb.buf.len() <= 1000);
        }
        lb.push(b"\r\nNOOP\r\n");
        assert_eq!(lb.next_line(), Some(Err(LineError::TooLong(512))));
        assert_eq!(lb.next_line(), Some(Ok(b"NOOP".to_vec())));
    }

    #[test]
    fn complete_lines_survive_a_long_partial() {
        let mut lb = LineBuffer::new(16);
        lb.push(b"NOOP\r\n");
        lb.push(&[b'x'; 40]);
        assert_eq!(lb.next_line(), Some(Ok(b"NOOP".to_vec())));
        assert_eq!(lb.next_line(), None);
        lb.push(b"\r\n");
        assert_eq!(lb.next_line(), Some(Err(LineError::TooLong(16))));
    }

    #[test]
    fn limit_counts_the_crlf_rfc5321_4_5_3_1_4() {
        let mut lb = LineBuffer::new(8);
        lb.push(b"123456\r\n1234567\r\n");
        assert_eq!(lb.next_line(), Some(Ok(b"123456".to_vec())));
        assert_eq!(lb.next_line(), Some(Err(LineError::TooLong(8))));
    }
}
