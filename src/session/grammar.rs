//! What each line of a session is, as its protocol's grammar says: the
//! words shared by the per-protocol observers (`smtp::observe`,
//! `pop3::observe`) and everything that shows a session line by line (the
//! transcript, the dashboard, the catalog).
//!
//! A line's meaning depends on both directions: after `C: DATA`, the next
//! client line is message data only if the server answered 354; after
//! `C: RETR 1`, the server's next lines are the message only if it answered
//! `+OK`. So an observer is fed both byte streams in the order they crossed
//! the wire, and it decides each line's kind the way the server did.

/// Which end of a connection sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The side that connected: `C:` lines.
    Client,
    /// The side that accepted: `S:` lines.
    Server,
}

/// What a line of a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A command line from the client.
    Command,
    /// The client's answer to a server challenge during authentication
    /// (SMTP's 334, RFC 4954 §4; POP3's `+ `, RFC 5034 §4): base64, not a
    /// command.
    SaslResponse,
    /// A reply or status line from the server; `code` is its three digits
    /// (SMTP), none for POP3's `+OK`/`-ERR`.
    Reply { code: Option<u16> },
    /// A line of the message itself: SMTP's data after 354, up to and
    /// including the lone dot; POP3's multi-line body after `+OK`.
    Data,
    /// Octets of the message in an SMTP BDAT chunk (RFC 3030 §2), shown
    /// split at LF: counted by the size on the BDAT line, never scanned,
    /// so a lone `.` here is message content, not an end.
    Chunk,
}

/// The exchange a line belongs to: the greeting is exchange 0, each client
/// command opens the next one, and the replies (and data) that answer that
/// command share its number. With pipelining (RFC 2920, RFC 2449) several
/// commands are sent before the first reply: the number says which reply
/// answers which command.
pub type Exchange = u32;

/// One line as an observer classified it. `tag` is whatever the caller fed
/// with the bytes (a trace event's seq and time, say), kept per line because
/// a line can be decided later than it arrived (see `Observed::held`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed<T> {
    pub tag: T,
    pub side: Side,
    pub kind: LineKind,
    /// None for a line that answers nothing: a reply nobody asked for.
    pub exchange: Option<Exchange>,
    /// The line without its line ending, at most [`MAX_KEPT`] bytes.
    pub text: Vec<u8>,
}

/// Longest line kept whole: more is dropped, so hostile input cannot grow
/// an observer without bound.
pub const MAX_KEPT: usize = 4096;

/// Splits one direction's bytes into lines at LF (a CR before it is
/// dropped), keeping a partial line until its end arrives. A machine frames
/// with [`super::line::LineBuffer`], which refuses a bare LF or an
/// over-long line; an observer must show what was sent, so it keeps both
/// (the long one cut at [`MAX_KEPT`]).
#[derive(Debug, Default)]
pub struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    /// Calls `emit` with each line that `bytes` completes.
    pub fn push(&mut self, bytes: &[u8], mut emit: impl FnMut(Vec<u8>)) {
        let mut rest = bytes;
        // memchr looks at a word of octets at a time: the live transcript
        // splits every octet the world sends and receives.
        while let Some(end) = memchr::memchr(b'\n', rest) {
            self.keep(&rest[..end]);
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            emit(line);
            rest = &rest[end + 1..];
        }
        self.keep(rest);
    }

    /// Emits the line begun and not ended, if any: a chunk's octets end
    /// where their count does, line end or not.
    pub fn flush(&mut self, mut emit: impl FnMut(Vec<u8>)) {
        if !self.partial.is_empty() {
            emit(std::mem::take(&mut self.partial));
        }
    }

    /// True while a line has begun but not ended.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_KEPT.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_and_wait_for_their_end() {
        let mut lines = Lines::default();
        let mut got = Vec::new();
        lines.push(b"EHLO a\r\nMAIL FR", |l| got.push(l));
        assert!(lines.has_partial());
        lines.push(b"OM:<>\r\n\r\n", |l| got.push(l));
        assert_eq!(got, [&b"EHLO a"[..], b"MAIL FROM:<>", b""]);
    }

    #[test]
    fn endless_line_is_cut_not_grown() {
        let mut lines = Lines::default();
        let mut got = Vec::new();
        for _ in 0..100 {
            lines.push(&[b'x'; 1000], |l| got.push(l));
        }
        lines.push(b"\n", |l| got.push(l));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), MAX_KEPT);
    }
}
