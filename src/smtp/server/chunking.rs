//! CHUNKING and BINARYMIME (RFC 3030): the message in counted chunks.
//!
//! `BDAT <size> [LAST]` is followed by exactly `size` octets. They are
//! counted, never scanned: no dot-stuffing, no end-of-data line, so no
//! sequence of CR, LF and dots inside a chunk can end the message early
//! (the smuggling that `CRLF.CRLF` invites cannot happen here). The
//! server reads every announced chunk, whatever it answers to it (§2:
//! a refused BDAT still has its octets behind it, and reading them
//! keeps the session in step), then replies: 250 per chunk, and after
//! `LAST` the verdict on the whole message.
//!
//! BDAT is read as a chunk only when this session's EHLO reply listed
//! CHUNKING; elsewhere it is the unimplemented command of a server
//! without the extension (502), as on any real one, and the observer
//! (`smtp::observe`) decides it the same way.

use super::{Phase, ServerSession, esc};
use crate::session::stuffing::text_faults;
use crate::smtp::command::{Body, MailParams};
use crate::smtp::policy::Policy;
use crate::smtp::reply::Reply;
use crate::smtp::server::Tls;

/// A chunk being read.
#[derive(Debug)]
pub(super) struct Chunk {
    /// Octets still to come.
    remaining: u64,
    size: u64,
    last: bool,
    /// `None`: the octets join the message. `Some`: they are read and
    /// thrown away, and this reply answers the BDAT.
    refusal: Option<Reply>,
}

/// The message of a chunked transaction, as far as its chunks came.
#[derive(Debug, Default)]
pub(super) struct Chunked {
    content: Vec<u8>,
}

impl ServerSession {
    /// Whether this session's EHLO reply offered CHUNKING.
    pub(super) fn offers_chunking(&self) -> bool {
        self.chunking_offered
    }

    /// True while the octets of a BDAT chunk are being read.
    pub fn in_chunk(&self) -> bool {
        matches!(self.phase, Phase::Chunk(_))
    }

    /// `BDAT size [LAST]`: decide the answer, then read the octets.
    pub(super) fn bdat(&mut self, size: u64, last: bool, policy: &mut impl Policy) {
        if !self.offers_chunking() {
            // Not offered: the octets that follow are not announced data
            // to this server; it reads them as commands.
            let (code, text) = if self.config.chunking {
                (503, "BDAT needs EHLO: CHUNKING is offered after EHLO only")
            } else {
                (502, "BDAT is not implemented here: CHUNKING is not offered")
            };
            return self.fail(Reply::new(code, esc(5, 5, 1), text));
        }
        let refusal = self.chunk_refusal(size, policy);
        if refusal.is_none() {
            self.chunked.get_or_insert_with(Box::default);
        }
        self.phase = Phase::Chunk(Box::new(Chunk {
            remaining: size,
            size,
            last,
            refusal,
        }));
        // BDAT 0: nothing to read, the answer is due now.
        self.chunk_maybe_done(policy);
    }

    /// Why this chunk cannot join a message, if it cannot.
    fn chunk_refusal(&mut self, size: u64, policy: &impl Policy) -> Option<Reply> {
        if self.config.tls == Tls::Required && !self.peer.tls {
            return Some(Reply::new(
                530,
                esc(5, 7, 0),
                "Must issue a STARTTLS command first",
            ));
        }
        let Some(envelope) = &self.transaction else {
            return Some(Reply::new(503, esc(5, 5, 1), "Send MAIL FROM first"));
        };
        if envelope.forward_paths.is_empty() {
            return Some(Reply::new(
                503,
                esc(5, 5, 1),
                "No valid recipients: send RCPT TO first",
            ));
        }
        let max = policy.max_message_size() as u64;
        let so_far = self.chunked.as_ref().map_or(0, |c| c.content.len() as u64);
        if so_far.saturating_add(size) > max {
            let text = format!("Message size exceeds fixed maximum message size of {max} octets");
            return Some(Reply::new(552, esc(5, 3, 4), text));
        }
        None
    }

    /// Chunk octets from `input`; returns how many were used. The answer
    /// goes out once the last octet is in.
    pub(super) fn read_chunk(&mut self, input: &[u8], policy: &mut impl Policy) -> usize {
        let Phase::Chunk(chunk) = &mut self.phase else {
            return 0;
        };
        let take = take_octets(chunk, &mut self.chunked, input);
        self.chunk_maybe_done(policy);
        take
    }

    /// The octets that came behind the BDAT line, read in place.
    pub(super) fn read_chunk_from_lines(&mut self, policy: &mut impl Policy) {
        let Phase::Chunk(chunk) = &mut self.phase else {
            return;
        };
        let take = take_octets(chunk, &mut self.chunked, self.lines.unread());
        self.lines.consume(take);
        self.chunk_maybe_done(policy);
    }

    fn chunk_maybe_done(&mut self, policy: &mut impl Policy) {
        if matches!(&self.phase, Phase::Chunk(c) if c.remaining == 0)
            && let Phase::Chunk(chunk) = std::mem::replace(&mut self.phase, Phase::Commands)
        {
            self.chunk_read(*chunk, policy);
        }
    }

    /// The whole chunk is in: answer it.
    fn chunk_read(&mut self, chunk: Chunk, policy: &mut impl Policy) {
        if let Some(reply) = chunk.refusal {
            return self.chunk_refused(reply);
        }
        if !chunk.last {
            let text = format!("{} octets received", chunk.size);
            return self.send(Reply::new(250, esc(2, 0, 0), text));
        }
        let (Some(envelope), Some(chunked)) = (self.transaction.take(), self.chunked.take()) else {
            return;
        };
        let content = chunked.content;
        let binary = envelope.params.body == Some(Body::BinaryMime);
        // BINARYMIME content is octets; any other body is text, held to
        // the same line rules as DATA's (CRLF only, 1000 octets a line).
        let faults = if binary {
            Default::default()
        } else {
            text_faults(&content)
        };
        self.judge_message(envelope, content, &faults, policy);
    }

    /// A refused chunk: a transaction that lost a chunk is over (§2: the
    /// client sends no more chunks; those already pipelined are read and
    /// answered 503 as having no transaction).
    fn chunk_refused(&mut self, reply: Reply) {
        self.chunked = None;
        let code = reply.code().get();
        match self.transaction.take() {
            // 503 for no recipients leaves the transaction as DATA's does.
            Some(envelope) if code == 503 => {
                self.transaction = Some(envelope);
                self.fail(reply);
            }
            Some(envelope) => self.refused(envelope, reply),
            None => self.fail(reply),
        }
    }

    /// DATA in a transaction that BDAT began, or one declared
    /// BODY=BINARYMIME: 503 (RFC 3030 §2, §3).
    pub(super) fn data_refusal(&self) -> Option<Reply> {
        let envelope = self.transaction.as_ref()?;
        if self.chunked.is_some() {
            return Some(Reply::new(
                503,
                esc(5, 5, 1),
                "DATA after BDAT: a transaction uses one or the other (RFC 3030 section 2); RSET first",
            ));
        }
        if envelope.params.body == Some(Body::BinaryMime) {
            return Some(Reply::new(
                503,
                esc(5, 6, 1),
                "BODY=BINARYMIME needs BDAT: binary content cannot pass through DATA (RFC 3030 section 3)",
            ));
        }
        None
    }

    /// `BODY=BINARYMIME` where BINARYMIME was not offered: 555.
    pub(super) fn body_refusal(&self, params: &MailParams) -> Option<Reply> {
        (params.body == Some(Body::BinaryMime) && !self.offers_chunking()).then(|| {
            Reply::new(
                555,
                esc(5, 5, 4),
                "MAIL parameter BODY=BINARYMIME not recognized or not implemented",
            )
        })
    }
}

/// Takes what `input` holds of the chunk; a kept chunk joins the message.
fn take_octets(chunk: &mut Chunk, chunked: &mut Option<Box<Chunked>>, input: &[u8]) -> usize {
    let take = usize::try_from(chunk.remaining).map_or(input.len(), |r| r.min(input.len()));
    chunk.remaining -= take as u64;
    if chunk.refusal.is_none()
        && let Some(chunked) = chunked
    {
        chunked.content.extend_from_slice(&input[..take]);
    }
    take
}
