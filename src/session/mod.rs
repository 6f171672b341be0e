//! The session kit: what every line-protocol machine has, written once and
//! protocol-neutral, under SMTP and POP3 (and the TLS and IMAP to come).
//!
//! * `grammar`: the kinds of line a session is made of, and line splitting
//!   for observers
//! * `line`: framing of CRLF-terminated lines, with the endless-line bound
//! * `stuffing`: dot-stuffing of message data (SMTP DATA, POP3 RETR)
//! * `limits`: a server session's bounds, its timers and counters
//!   ([`Guard`]) and the one [`CloseReason`]
//! * `text`: reply text on the wire is printable ASCII
//! * `pair`: two machines back to back on virtual time, for tests
//!
//! and the [`Session`] trait, the shape every machine shares: bytes and
//! time in, bytes and events out, in the manner of quinn-proto's
//! `Connection`. A machine reads no clock and does no IO; the driver
//! (`node::pump`), the test [`Pair`](pair::Pair) and the fuzzers pump it.

pub mod grammar;
pub mod limits;
pub mod line;
pub mod pair;
pub mod stuffing;
pub mod text;

#[cfg(test)]
pub(crate) mod test_rng;

use std::time::Instant;

pub use limits::{CloseReason, Guard, Limit, SessionLimits};
pub use line::{LineBuffer, LineError};

/// A sans-IO session machine. `Host` is what the machine asks its host
/// while it reads input: the SMTP server's `Policy`, the POP3 server's
/// `Maildrop`, nothing (`()`) for a client. It is a parameter rather than
/// an associated type so that one server serves any policy the host owns.
pub trait Session<Host = ()> {
    /// What happened, for the host.
    type Event;

    /// Bytes received from the peer at `now`.
    fn handle_input(&mut self, bytes: &[u8], now: Instant, host: &mut Host);

    /// The host says what time it is; called at [`Session::poll_timeout`].
    fn handle_timeout(&mut self, now: Instant);

    /// The peer closed the connection.
    fn handle_close(&mut self);

    /// The host is going down: say so if the protocol can, then close. A
    /// client has nothing to tell its server; the driver closes the stream.
    fn shutdown(&mut self) {}

    /// Bytes to send to the peer; call until `None`.
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;

    /// Lends the bytes to send to `send`, in place; false when there were
    /// none. A machine that keeps one outbox overrides it to clear that
    /// buffer instead of handing it over: a fresh buffer of an odd size
    /// for every reply, freed between the trace's long-lived payloads,
    /// left holes in glibc's heap (see benches/README.md, memory).
    fn transmit(&mut self, send: &mut dyn FnMut(&[u8])) -> bool {
        match self.poll_transmit() {
            Some(bytes) => {
                send(&bytes);
                true
            }
            None => false,
        }
    }

    /// What happened, oldest first.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When the host should call [`Session::handle_timeout`] next.
    fn poll_timeout(&self) -> Option<Instant>;

    /// The session is over; nothing more will be sent.
    fn is_closed(&self) -> bool;

    /// True once, when the machine has just agreed to switch the
    /// connection to TLS (SMTP's STARTTLS, RFC 3207 §4): from the next byte
    /// on, the driver runs the TLS handshake and then carries the session's
    /// bytes inside records. Machines without TLS never ask.
    fn take_tls_start(&mut self) -> bool {
        false
    }

    /// The driver completed the TLS handshake at `now`.
    fn handle_tls_established(&mut self, _now: Instant) {}

    /// The TLS handshake failed; `why` is the TLS library's reason. The
    /// driver closes the connection after this.
    fn handle_tls_failed(&mut self, _why: &str) {}

    /// The machine waits for its host's verdict (an SMTP server whose MTA
    /// checks SPF, DKIM and DMARC over DNS): the driver awaits
    /// [`Settle::settle`] and then calls [`Session::resume`].
    fn is_holding(&self) -> bool {
        false
    }

    /// The host has settled what the machine held for.
    fn resume(&mut self, _now: Instant, _host: &mut Host) {}
}

/// [`Session::transmit`] for a machine that keeps one outbox: lends it
/// and clears it, keeping its capacity for the next reply or command.
pub fn transmit_outbox(outbox: &mut Vec<u8>, send: &mut dyn FnMut(&[u8])) -> bool {
    if outbox.is_empty() {
        return false;
    }
    send(outbox);
    outbox.clear();
    true
}

/// A host that may need time before it can answer: the work its checks
/// need (DNS lookups) happens in `settle`, which the driver awaits while
/// the machine holds. Hosts that answer at once settle at once.
pub trait Settle {
    fn settle(&mut self) -> impl std::future::Future<Output = ()> {
        std::future::ready(())
    }
}

impl Settle for () {}
