//! POP3 (RFC 1939, with CAPA of RFC 2449) as sans-IO machines: the last
//! leg of a message's trip, from the recipient's maildrop to their client.
//!
//! Bytes in, bytes and events out; time is handed in, never read. The same
//! machines serve the simulated network, real sockets, fuzzers and tests.
//!
//! * `command`, `response`: the grammar of command lines and status lines
//! * `multiline`: byte-stuffed multi-line responses (RETR, TOP, listings)
//! * `maildrop`: the questions a server asks its host
//! * `server`, `client`: the two session machines
//! * `observe`: what each line of a session is, seen from outside
//!
//! A session, as the transcript shows it:
//!
//! ```text
//! S: +OK pop.example.net POP3 ready
//! C: USER bob
//! S: +OK bob: send PASS
//! C: PASS secret                       (in the clear, for anyone on the path)
//! S: +OK bob's maildrop has 1 message (120 octets)
//! C: LIST
//! S: +OK 1 message (120 octets)
//! S: 1 120
//! S: .
//! C: RETR 1
//! S: +OK 120 octets
//! S: <the message, lines starting with "." doubled>
//! S: .
//! C: DELE 1
//! S: +OK message 1 deleted             (only marked: nothing is gone yet)
//! C: QUIT
//! S: +OK pop.example.net POP3 server signing off (maildrop empty)
//! ```
//!
//! Only QUIT in the TRANSACTION state deletes (the UPDATE state, RFC 1939
//! §6): a session that times out or loses its connection leaves the
//! maildrop as it was.

pub mod client;
pub mod command;
pub mod maildrop;
pub mod multiline;
pub mod observe;
pub mod response;
pub mod server;

#[cfg(test)]
mod tests;

pub use client::{ClientConfig, Pop3Client, Pop3ClientEvent};
pub use command::{Command, CommandError};
pub use maildrop::{Maildrop, MemoryMaildrop};
pub use response::{Response, ResponseError, Status};
pub use server::{CloseReason, Pop3Server, Pop3ServerEvent, SessionState};
