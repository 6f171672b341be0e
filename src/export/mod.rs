//! Exporters: the trace written out for people and programs.
//!
//! * `text`: a teacher's board, line by line
//! * `json`: JSON Lines, one object per event
//! * `markdown`: a handout with one section per session
//! * `mermaid`: a sequence diagram of the trip, for Markdown and GitHub
//! * `pcap`: a capture for Wireshark, in pcapng or classic pcap
//! * `html`: a self-contained handout page with the ladder as SVG
//! * `lesson`: a scenario's lesson as a script, step by step
//!
//! `trip` is the run as steps (arrows, notes, gaps) that the Mermaid
//! diagram and the HTML ladder both draw.

pub mod html;
pub mod json;
pub mod lesson;
pub mod markdown;
pub mod mermaid;
pub mod pcap;
pub mod text;
pub mod trip;

use crate::trace::Trace;
use crate::trace::transcript::Connection;

/// A session's heading in the handouts, Markdown and HTML alike:
/// `[1] smtp.example.org → mx.example.net (SMTP), at +0.436s`.
pub fn session_heading(trace: &Trace, c: &Connection) -> String {
    format!(
        "[{}] {} → {} ({}), at {}",
        c.conn.0,
        trace.name(c.from),
        trace.name(c.to),
        c.protocol.name(),
        c.at
    )
}
