//! Exporters: the trace written out for people and programs.
//!
//! * `text`: a teacher's board, line by line
//! * `json`: JSON Lines, one object per event
//! * `markdown`: a handout with one section per session
//! * `mermaid`: a sequence diagram of the trip, for Markdown and GitHub
//! * `pcap`: a capture for Wireshark, in pcapng or classic pcap

pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod pcap;
pub mod text;
