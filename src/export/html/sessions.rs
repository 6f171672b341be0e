//! Each session's transcript: its `C:`/`S:` lines with their times, as
//! the protocol's own observer classified them (`trace::transcript`),
//! each line opening onto what the catalog says it means. Message data
//! is shown as it went, line by line, in one block, and explained at
//! its final dot.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::{escape, push};
use super::glossary::Glossary;
use super::tone_class;
use crate::explain::Catalog;
use crate::export::session_heading;
use crate::export::trip::Tone;
use crate::trace::transcript::{self, Line, LineKind, Transcriber};
use crate::trace::{ConnId, Dir, EventKind, Trace};

/// How a connection that carried nothing ended.
#[derive(Clone, Copy)]
enum Failed {
    Refused,
    Unreachable,
}

/// Every session, in the order it was opened.
pub fn render<'c>(
    out: &mut String,
    trace: &Trace,
    catalog: &'c Catalog,
    glossary: &mut Glossary<'c>,
) {
    // One walk for every connection's lines, not one per connection.
    let mut transcriber = Transcriber::new();
    let mut lines: BTreeMap<ConnId, Vec<Line>> = BTreeMap::new();
    let mut failed: BTreeMap<ConnId, Failed> = BTreeMap::new();
    for event in trace.events() {
        match event.kind {
            EventKind::Refused { conn } => {
                failed.insert(conn, Failed::Refused);
            }
            EventKind::Unreachable { conn } => {
                failed.insert(conn, Failed::Unreachable);
            }
            _ => {}
        }
        for line in transcriber.feed(event) {
            lines.entry(line.conn).or_default().push(line);
        }
    }
    let connections = transcript::connections(trace);
    if connections.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"sessions\"><h2>Sessions</h2>\
         <p class=\"dim\">Open a line to read what it means.</p>\n",
    );
    for c in &connections {
        let _ = write!(
            out,
            "<section class=\"session\" id=\"s-{}\"><h3>{}</h3>",
            c.conn.0,
            escape(&session_heading(trace, c))
        );
        let session = lines.remove(&c.conn).unwrap_or_default();
        if session.is_empty() {
            let why = match failed.get(&c.conn) {
                Some(Failed::Refused) => "✗ connection refused: no bytes were exchanged.",
                Some(Failed::Unreachable) => "✗ connect: no answer: no bytes were exchanged.",
                None => "No bytes were exchanged.",
            };
            let _ = writeln!(out, "<p class=\"dim\">{why}</p></section>");
            continue;
        }
        out.push_str("<div class=\"tx\">");
        let mut in_data = false;
        for line in &session {
            let data =
                (line.kind == LineKind::Data && line.text != ".") || line.kind == LineKind::Chunk;
            if data != in_data {
                out.push_str(if data {
                    "<div class=\"data\">"
                } else {
                    "</div>"
                });
                in_data = data;
            }
            if data {
                out.push_str("<div class=\"l\"><span class=\"w\">");
                push(out, &line.text);
                out.push_str("</span></div>");
                continue;
            }
            write_line(out, line, catalog, glossary);
        }
        if in_data {
            out.push_str("</div>");
        }
        out.push_str("</div></section>\n");
    }
    out.push_str("</section>\n");
}

/// A command, a reply or the final dot, opening onto its explanation.
fn write_line<'c>(
    out: &mut String,
    line: &Line,
    catalog: &'c Catalog,
    glossary: &mut Glossary<'c>,
) {
    let (tag, tone) = match (line.dir, line.kind) {
        (_, LineKind::Reply { code }) => ("S:", Tone::of_reply(code, &line.text)),
        (Dir::Up, _) => ("C:", Tone::Command),
        (Dir::Down, _) => ("S:", Tone::Plain),
    };
    let _ = write!(
        out,
        "<details class=\"l\"><summary><time>{}</time> <b class=\"k\">{tag}</b> <span class=\"w {}\">",
        line.at,
        tone_class(tone)
    );
    push(out, &line.text);
    out.push_str("</span></summary>");
    glossary.cite(out, &catalog.explain_transcript_line(line));
    out.push_str("</details>");
}
