//! Writing a recording to any `io::Write`.

use std::io::{self, Write};

use super::format::{EndLine, EventOut, Header};
use super::{MAGIC, Recording, VERSION};

/// Writes `recording` in the format of the module's documentation. Each
/// line is written whole and ended before the next begins, so a crash
/// leaves a file the reader takes up to its last whole event.
pub fn write(recording: &Recording, out: &mut impl Write) -> io::Result<()> {
    let trace = &recording.trace;
    writeln!(out, "{MAGIC} {VERSION}")?;
    let header = Header {
        title: recording.title.clone(),
        about: recording.about.clone(),
        seed: recording.seed,
        start_unix: recording.start_unix,
        hosts: trace.hosts.iter().map(Into::into).collect(),
        links: trace.links.iter().map(Into::into).collect(),
        zones: trace.zones.clone(),
        expect: recording.expect.clone(),
    };
    line(out, &header)?;
    for event in trace.events() {
        line(
            out,
            &EventOut {
                t: event.at,
                kind: &event.kind,
            },
        )?;
    }
    if let Some(end) = recording.end {
        line(
            out,
            &EndLine {
                end: end.ending,
                t: end.at,
            },
        )?;
    }
    Ok(())
}

fn line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}
