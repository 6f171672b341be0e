//! mailflow: a terminal mail-flow simulator.
//!
//! The layers follow `DESIGN.md`, dependencies pointing down only:
//!
//! * `session`: the kit every session machine shares (framing,
//!   dot-stuffing, limits, timers, the line grammar, the `Session` trait)
//! * protocols, no IO: `smtp`, `pop3`, `dns`; messages: `mail`
//! * `trace`: the append-only log every view reads
//! * `plan`: the one description of a world, validated; nodes read it
//! * `scenario`: RON files, validation, expectations
//! * `net`: the virtual network and its taps
//! * `node`: clients, MTAs, DNS servers
//! * `sim`: building and running a world
//! * `serve`: a world on the wall clock with real sockets into it
//! * `record`: a finished run kept in a file and read back as it ran
//! * faces: `tui` (the dashboard), `export`, `cli`; the teaching catalog `explain`
//! * `text`: edit distance and word wrapping, for every layer

// Nothing here needs unsafe; the lint keeps it that way.
#![forbid(unsafe_code)]
// No unwrap on what came from outside the process (DESIGN.md, Habits);
// tests may unwrap, that is how they fail.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod auth;
pub mod cli;
pub mod dns;
pub mod explain;
pub mod export;
pub mod lanes;
pub mod mail;
pub mod net;
pub mod node;
pub mod plan;
pub mod pop3;
pub mod record;
pub mod scenario;
pub mod serve;
pub mod session;
pub mod sim;
pub mod smtp;
pub mod text;
pub mod tls;
pub mod trace;
pub mod tui;
