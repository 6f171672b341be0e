//! SMTP (RFC 5321 and its extensions) as sans-IO machines.
//!
//! Bytes in, bytes and events out; time is handed in, never read. The same
//! machines serve the simulated network, real sockets, fuzzers and tests.
//!
//! * `address`, `command`, `reply`: the grammar of paths, commands, replies
//! * `extensions`: what EHLO advertises
//! * `dsn`: the DSN parameters of RFC 3461 and their xtext
//! * `policy`: the questions a server asks its host
//! * `server`, `client`: the two session machines
//! * `observe`: what each line of a session is, seen from outside
//! * `pair`: the two back to back in memory, for tests and the demo
//! * `whatif`: a server's decision points, and what a what-if puts there
//!
//! Line framing, dot-stuffing, limits and timers are the session kit's
//! (`crate::session`), shared with POP3.

pub mod address;
pub mod client;
pub mod command;
pub mod dsn;
pub mod extensions;
pub mod observe;
pub mod pair;
pub mod policy;
pub mod reply;
pub mod server;
pub mod whatif;

pub use address::{ForwardPath, Host, Mailbox, ReversePath};
pub use client::{ClientConfig, ClientEvent, ClientSession, Outcome, Transaction};
pub use command::{Command, CommandError};
pub use policy::{Envelope, Peer, Policy, SimplePolicy};
pub use reply::{EnhancedCode, Reply, ReplyCode, ReplyParser};
pub use server::{ServerConfig, ServerEvent, ServerSession};
pub use whatif::{Instead, Step};
