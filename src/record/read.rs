//! Reading a recording from any `io::BufRead`: every failure is an
//! [`Error`] naming the line, never a panic, and no line is held beyond
//! [`MAX_LINE`](super::MAX_LINE) bytes.

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;

use super::format::{EndLine, EventIn, Header, ResumeLine};
use super::{End, MAGIC, MAX_LINE, OLDEST, Recording, Resume, VERSION};
use crate::trace::{ConnId, EventKind, HostId, SimTime, Trace};

/// What is wrong with a file, and on which line (counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl std::error::Error for Error {}

/// A recording read back, and what to tell the reader about a cut.
#[derive(Debug)]
pub struct Loaded {
    pub recording: Recording,
    /// Set when the file stops before its end line (a crash mid-write).
    pub warning: Option<String>,
    /// The format version the file was written in.
    pub version: u32,
    /// Octets up to the end of the last whole line: where a continuation
    /// appends, cutting off a line a crash left half-written.
    pub whole: u64,
}

/// Reads a recording.
pub fn read(input: impl BufRead) -> Result<Loaded, Error> {
    read_limited(input, MAX_LINE)
}

/// Reads a recording whose lines are at most `max_line` bytes.
pub fn read_limited(input: impl BufRead, max_line: usize) -> Result<Loaded, Error> {
    let mut lines = Lines {
        input,
        number: 0,
        buf: Vec::new(),
        max_line,
        read: 0,
        whole: 0,
    };
    let version = magic(&mut lines)?;
    let header: Header = match lines.next()? {
        Some(true) => lines.parse()?,
        _ => {
            return Err(lines.error(
                "the recording is cut off in its header: there is nothing to replay".into(),
            ));
        }
    };
    let mut trace = Trace::new(header.hosts.into_iter().map(Into::into).collect());
    trace.links = header.links.into_iter().map(Into::into).collect();
    trace.zones = header.zones;
    let known = trace.hosts.len();
    for link in &trace.links {
        host_known(link.a, known)
            .and(host_known(link.b, known))
            .map_err(|e| lines.error(e))?;
    }
    for zone in &trace.zones {
        host_known(zone.server, known).map_err(|e| lines.error(e))?;
    }
    let mut recording = Recording {
        title: header.title,
        about: header.about,
        seed: header.seed,
        start_unix: header.start_unix,
        expect: header.expect,
        trace,
        end: None,
        resumes: Vec::new(),
    };
    let mut check = Check::default();
    let warning = loop {
        let n = recording.trace.len();
        match lines.next()? {
            None if recording.end.is_some() => break None,
            None => {
                break Some(format!(
                    "recording stops after {n} events without its end line: the run was cut off"
                ));
            }
            Some(false) => {
                break Some(format!(
                    "recording ends mid-event after {n} events: read the {n} whole ones"
                ));
            }
            Some(true) if lines.buf.starts_with(b"{\"resumed\"") && version >= 2 => {
                let line: ResumeLine = lines.parse()?;
                if line.resumed != n {
                    return Err(lines.error(format!(
                        "the world resumes after {} events, but {n} come before this line",
                        line.resumed
                    )));
                }
                check.resume(line.t).map_err(|e| lines.error(e))?;
                let before = recording.end.take();
                recording.resumes.push(Resume {
                    after: n,
                    at: line.t,
                    before,
                });
            }
            Some(true) if recording.end.is_some() => {
                return Err(lines.error("nothing but a resume line may follow the end line".into()));
            }
            Some(true) if lines.buf.starts_with(b"{\"end\"") => {
                let end: EndLine = lines.parse()?;
                recording.end = Some(End {
                    ending: end.end,
                    at: end.t,
                });
            }
            Some(true) => {
                let event: EventIn = lines.parse()?;
                check
                    .event(event.t, &event.kind, known)
                    .map_err(|e| lines.error(e))?;
                recording.trace.push(event.t, event.kind);
            }
        }
    };
    Ok(Loaded {
        recording,
        warning,
        version,
        whole: lines.whole,
    })
}

/// Line 1: `mailflow-recording VERSION`; the version, if this build
/// reads it.
fn magic(lines: &mut Lines<impl BufRead>) -> Result<u32, Error> {
    let whole = match lines.next()? {
        Some(whole) => whole,
        None => return Err(lines.error("the file is empty: not a mailflow recording".into())),
    };
    let text = String::from_utf8_lossy(&lines.buf).into_owned();
    let Some(version) = text.strip_prefix(MAGIC).and_then(|v| v.strip_prefix(' ')) else {
        return Err(lines.error(if !whole && MAGIC.starts_with(text.as_str()) {
            "the recording is cut off in its first line".into()
        } else {
            format!("not a mailflow recording: it must begin with `{MAGIC} {VERSION}`")
        }));
    };
    if !whole {
        return Err(lines.error("the recording is cut off in its first line".into()));
    }
    match version.trim_end_matches('\r').parse::<u32>() {
        Ok(v) if v > VERSION => Err(lines.error(format!(
            "recording format version {v} is newer than this build of mailflow reads (version {VERSION}): use a newer mailflow"
        ))),
        Ok(v) if v >= OLDEST => Ok(v),
        _ => Err(lines.error(format!(
            "unknown recording format version `{}`: this build reads versions {OLDEST} to {VERSION}",
            version.chars().take(20).collect::<String>()
        ))),
    }
}

fn host_known(id: HostId, known: usize) -> Result<(), String> {
    if id.index() < known {
        Ok(())
    } else {
        Err(format!(
            "host {} is not in the header's {known} hosts",
            id.0
        ))
    }
}

/// What every event must satisfy so that no view meets a dangling id.
#[derive(Default)]
struct Check {
    last: SimTime,
    conns: HashSet<ConnId>,
}

impl Check {
    /// A resume line: the world's clock goes on from `at`.
    fn resume(&mut self, at: SimTime) -> Result<(), String> {
        if at < self.last {
            return Err(format!(
                "the world resumes at {at}, before its last event at {}: time goes forwards",
                self.last
            ));
        }
        self.last = at;
        Ok(())
    }

    fn event(&mut self, at: SimTime, kind: &EventKind, known: usize) -> Result<(), String> {
        if at < self.last {
            return Err(format!(
                "the event at {at} comes after one at {}: time goes forwards",
                self.last
            ));
        }
        self.last = at;
        for host in hosts(kind).into_iter().flatten() {
            host_known(host, known)?;
        }
        match kind {
            EventKind::Connect { conn, .. } if !self.conns.insert(*conn) => {
                Err(format!("connection {} is opened twice", conn.0))
            }
            EventKind::Accept { conn }
            | EventKind::Refused { conn }
            | EventKind::Unreachable { conn }
            | EventKind::Bytes { conn, .. }
            | EventKind::Tls { conn, .. }
            | EventKind::Close { conn, .. }
                if !self.conns.contains(conn) =>
            {
                Err(format!("connection {} was never opened", conn.0))
            }
            _ => Ok(()),
        }
    }
}

/// The hosts an event names.
fn hosts(kind: &EventKind) -> [Option<HostId>; 2] {
    use EventKind as K;
    match kind {
        K::Connect { from, to, .. }
        | K::Datagram { from, to, .. }
        | K::Stalled { from, to, .. }
        | K::Reordered { from, to, .. }
        | K::Duplicated { from, to }
        | K::Relayed { host: from, to, .. } => [Some(*from), Some(*to)],
        K::NoRoute { from, .. } => [Some(*from), None],
        K::Composed { host, .. }
        | K::Queued { host, .. }
        | K::Attempting { host, .. }
        | K::Delivered { host, .. }
        | K::Deferred { host, .. }
        | K::Dequeued { host, .. }
        | K::Removed { host, .. }
        | K::Bounced { host, .. }
        | K::Notified { host, .. }
        | K::Expired { host, .. }
        | K::LoopDetected { host, .. }
        | K::Resolved { host, .. }
        | K::Retrieved { host, .. }
        | K::Wake { host, .. }
        | K::WhatIf { host, .. }
        | K::HostDown { host, .. }
        | K::SlowReply { host, .. }
        | K::HostUp { host } => [Some(*host), None],
        K::Accept { .. }
        | K::Refused { .. }
        | K::Unreachable { .. }
        | K::Bytes { .. }
        | K::Tls { .. }
        | K::Close { .. }
        | K::Reset { .. } => [None, None],
    }
}

/// Lines of at most `max_line` bytes, numbered from 1.
struct Lines<R> {
    input: R,
    number: usize,
    buf: Vec<u8>,
    max_line: usize,
    /// Octets consumed so far, and up to the end of the last whole line.
    read: u64,
    whole: u64,
}

impl<R: BufRead> Lines<R> {
    /// The next line into `buf`: `Some(true)` when it ended with `\n`,
    /// `Some(false)` when the file stopped inside it, `None` at the end.
    fn next(&mut self) -> Result<Option<bool>, Error> {
        self.buf.clear();
        self.number += 1;
        loop {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(format!("cannot read: {e}"))),
            };
            if available.is_empty() {
                return Ok((!self.buf.is_empty()).then_some(false));
            }
            let (taken, ended) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            if self.buf.len() + taken > self.max_line {
                return Err(self.error(format!(
                    "the line is longer than {} bytes: not a recording mailflow wrote",
                    self.max_line
                )));
            }
            self.buf.extend_from_slice(&available[..taken]);
            self.input.consume(taken + usize::from(ended));
            self.read += (taken + usize::from(ended)) as u64;
            if ended {
                self.whole = self.read;
                return Ok(Some(true));
            }
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.buf).map_err(|e| {
            // serde_json counts within the line; the line number is ours.
            let text = e.to_string();
            let what = text.split(" at line ").next().unwrap_or(&text);
            self.error(format!("column {}: {what}", e.column()))
        })
    }

    fn error(&self, what: String) -> Error {
        Error {
            line: self.number,
            what,
        }
    }
}
