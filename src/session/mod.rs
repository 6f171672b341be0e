//! What every session machine shares, whatever its protocol.
//!
//! * `grammar`: the kinds of line a session is made of, and line splitting
//!   for observers

pub mod grammar;
