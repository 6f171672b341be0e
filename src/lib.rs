//! mailflow: a terminal mail-flow simulator.
//!
//! The layers follow `DESIGN.md`: protocol machines at the bottom know no IO
//! (`smtp`), the teaching catalog (`explain`) turns codes and verbs into
//! words, and the faces (`cli`) start things. Dependencies point down only.

pub mod cli;
pub mod explain;
pub mod smtp;
