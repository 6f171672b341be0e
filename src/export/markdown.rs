//! A Markdown handout: the scenario's story, the trip as a Mermaid
//! sequence diagram (GitHub draws it), its hosts, each session as a
//! transcript block, and the queue facts in order.

use std::fmt::Write;

use crate::trace::transcript::{self, LineKind};
use crate::trace::{Dir, Trace};

/// The handout; `title` and `about` come from the scenario.
pub fn render(title: &str, about: &str, trace: &Trace, facts: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    if !about.is_empty() {
        let _ = writeln!(out, "{about}\n");
    }
    // The heading above names the run, so the diagram needs no title.
    let trip = super::mermaid::render(trace, "");
    let _ = writeln!(out, "## The trip\n\n```mermaid\n{trip}```\n");
    let _ = writeln!(out, "## Hosts\n\n| host | address | role |\n|---|---|---|");
    for h in &trace.hosts {
        let _ = writeln!(out, "| {} | {} | {} |", h.name, h.ip, h.role.name());
    }
    let _ = writeln!(out, "\n## Sessions");
    for c in transcript::connections(trace) {
        let lines = transcript::lines(trace, c.conn);
        let _ = writeln!(out, "\n### {}\n", super::session_heading(trace, &c));
        if lines.is_empty() {
            let _ = writeln!(out, "No bytes were exchanged.");
            continue;
        }
        let _ = writeln!(out, "```");
        for line in lines {
            let tag = match (line.dir, line.kind) {
                (_, LineKind::Data) => "  |",
                (_, LineKind::Chunk) => "  :",
                (Dir::Up, _) => "C:",
                (Dir::Down, _) => "S:",
            };
            let _ = writeln!(out, "{tag} {}", line.text);
        }
        let _ = writeln!(out, "```");
    }
    let _ = writeln!(out, "\n## Everything, in order\n\n```\n{facts}```");
    out
}
