//! The client's side of CHUNKING and BINARYMIME (RFC 3030).
//!
//! With `ClientConfig::chunking` on and CHUNKING offered, the message goes
//! in BDAT chunks of `chunk_size` octets (the whole message in one when
//! unset): counted, not dot-stuffed, so it arrives byte for byte. Behind
//! PIPELINING every chunk goes in the flight with MAIL and RCPT (BDAT is
//! pipelinable, §2); otherwise each waits for the 250 to the one before.
//!
//! A body DATA cannot carry unchanged (a NUL, a bare CR or LF, a line
//! over 998 octets) is binary: a chunking client sends it with
//! `BODY=BINARYMIME` by BDAT, and to a server without BINARYMIME not at
//! all (§3: it "MUST NOT, under any circumstances, send binary data";
//! 5.6.3, conversion required but not supported). A client without the
//! option is the legacy client and sends what it was given by DATA.

use std::time::Instant;

use super::{ClientSession, Expect, Outcome, Reason};
use crate::session::stuffing::{DataFaults, text_faults};
use crate::smtp::command::{Body, Command};

/// True for content DATA cannot carry byte for byte.
pub fn is_binary(content: &[u8]) -> bool {
    content.contains(&0) || text_faults(content) != DataFaults::default()
}

impl ClientSession {
    /// This session sends with BDAT: the client may, the server offers it.
    pub(super) fn uses_bdat(&self) -> bool {
        self.config.chunking && self.extensions.chunking
    }

    /// The BODY parameter for `content`: BINARYMIME for a binary body
    /// sent by BDAT, else 8BITMIME where offered and needed.
    pub(super) fn body_for(&self, content: &[u8]) -> Option<Body> {
        if self.config.chunking && is_binary(content) {
            return Some(Body::BinaryMime);
        }
        (self.extensions.eight_bit_mime && !content.is_ascii()).then_some(Body::EightBitMime)
    }

    /// A binary body this server cannot take: every recipient fails with
    /// 5.6.3 (RFC 3030 §3, RFC 3463 §3.7), and nothing is sent.
    pub(super) fn binary_refusal(&self, content: &[u8]) -> Option<Outcome> {
        let binary = self.config.chunking && is_binary(content);
        if !binary || (self.uses_bdat() && self.extensions.binarymime) {
            return None;
        }
        let text = "Binary content (BODY=BINARYMIME), but the server does not offer \
                    CHUNKING and BINARYMIME, and DATA cannot carry it (RFC 3030 section 3)";
        Some(Outcome::Failed {
            reason: Reason::local(5, 6, 3, text),
        })
    }

    /// After RCPT: the message, by BDAT where it can, else DATA.
    pub(super) fn send_message(&mut self, now: Instant) {
        if !self.uses_bdat() {
            return self.send(&Command::Data, Expect::Data, now);
        }
        self.send_chunk(now);
        if self.pipelined() {
            while self.progress.chunked < self.content_len() {
                self.send_chunk(now);
            }
        }
    }

    fn content_len(&self) -> usize {
        self.transactions
            .get(self.current)
            .map_or(0, |t| t.content.len())
    }

    /// `BDAT size [LAST]` and its octets, as they are.
    fn send_chunk(&mut self, now: Instant) {
        let Some(tx) = self.transactions.get(self.current) else {
            return;
        };
        let start = self.progress.chunked;
        let room = tx.content.len() - start;
        let size = self
            .config
            .chunk_size
            .filter(|&s| s > 0)
            .map_or(room, |s| s.min(room));
        let last = start + size == tx.content.len();
        let octets = tx.content[start..start + size].to_vec();
        let bdat = Command::Bdat {
            size: size as u64,
            last,
        };
        self.progress.chunked = start + size;
        self.send(&bdat, Expect::Bdat { last }, now);
        self.outbox.extend_from_slice(&octets);
    }

    /// The reply to a chunk: 250 sends the next (without PIPELINING);
    /// after LAST, or a refusal, the accepted recipients have their fate.
    pub(super) fn on_bdat(&mut self, last: bool, reply: crate::smtp::Reply, now: Instant) {
        let deliverable = self.progress.mail_ok && !self.progress.accepted.is_empty();
        let positive = reply.code().is_positive();
        if deliverable && (last || !positive) {
            // Once: a refused chunk settles them, later replies find none.
            self.settle_accepted(&reply);
            if positive {
                self.progress.needs_rset = false;
            }
        }
        if last || (!positive && !self.pipelined()) {
            return self.transaction_done(now);
        }
        if positive && !self.pipelined() {
            self.send_chunk(now);
        }
    }
}
