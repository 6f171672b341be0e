//! Writing a recording to any `io::Write`.

use std::io::{self, Write};

use super::format::{EndLine, EventOut, Header, ResumeLine};
use super::{End, MAGIC, Recording, Resume, VERSION};

/// Writes `recording` in the format of the module's documentation. Each
/// line is written whole and ended before the next begins, so a crash
/// leaves a file the reader takes up to its last whole event.
pub fn write(recording: &Recording, out: &mut impl Write) -> io::Result<()> {
    let trace = &recording.trace;
    head(recording, out)?;
    let mut resumes = recording.resumes.iter().peekable();
    for (n, event) in trace.events().iter().enumerate() {
        while let Some(resume) = resumes.next_if(|r| r.after <= n) {
            resumed(out, resume)?;
        }
        line(
            out,
            &EventOut {
                t: event.at,
                kind: &event.kind,
            },
        )?;
    }
    for resume in resumes {
        resumed(out, resume)?;
    }
    if let Some(end) = recording.end {
        ended(out, end)?;
    }
    Ok(())
}

/// The magic line and the header: everything but the events.
pub(super) fn head(recording: &Recording, out: &mut impl Write) -> io::Result<()> {
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
    line(out, &header)
}

/// The end line of a run or of one sitting.
pub(super) fn ended(out: &mut impl Write, end: End) -> io::Result<()> {
    line(
        out,
        &EndLine {
            end: end.ending,
            t: end.at,
        },
    )
}

/// A sitting's end line, if it had one, then the resume line.
fn resumed(out: &mut impl Write, resume: &Resume) -> io::Result<()> {
    if let Some(end) = resume.before {
        ended(out, end)?;
    }
    line(
        out,
        &ResumeLine {
            resumed: resume.after,
            t: resume.at,
        },
    )
}

pub(super) fn line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}
