//! Exporters: the trace written out for people and programs.
//!
//! * `text`: a teacher's board, line by line
//! * `json`: JSON Lines, one object per event
//! * `markdown`: a handout with one section per session
//! * `mermaid`: a sequence diagram of the trip, for Markdown and GitHub

pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod text;
