//! Protocol items derived from the bytes of the trace: the `C:`/`S:` lines
//! of each connection, classified, and the parsed SMTP replies. Nothing here
//! is stored in the trace; everything is computed from `Bytes` events.

use std::collections::BTreeMap;

use super::{ConnId, Dir, EventKind, Protocol, SimTime, Trace};
use crate::smtp::{Reply, ReplyParser};

/// What a transcript line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A command line from the client.
    Command,
    /// A reply line from the server; `code` is its three digits, if any.
    Reply { code: Option<u16> },
    /// A line of the message itself, after DATA (or after RETR in POP3).
    Data,
}

/// One line of a connection as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The `Bytes` event that carried (the end of) this line.
    pub seq: u64,
    pub at: SimTime,
    pub dir: Dir,
    pub kind: LineKind,
    pub protocol: Protocol,
    pub text: String,
}

/// Facts about one connection, from its `Connect` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub conn: ConnId,
    pub seq: u64,
    pub at: SimTime,
    pub from: super::HostId,
    pub to: super::HostId,
    pub protocol: Protocol,
}

/// Every connection attempt, in order.
pub fn connections(trace: &Trace) -> Vec<Connection> {
    trace
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Connect {
                conn,
                from,
                to,
                protocol,
                ..
            } => Some(Connection {
                conn,
                seq: e.seq,
                at: e.at,
                from,
                to,
                protocol,
            }),
            _ => None,
        })
        .collect()
}

/// Splits one direction's bytes into lines, keeping partial lines until
/// their end arrives.
#[derive(Default)]
struct Splitter {
    partial: Vec<u8>,
}

impl Splitter {
    fn push(&mut self, bytes: &[u8], mut emit: impl FnMut(String)) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.partial)
                    .trim_end_matches('\r')
                    .to_owned();
                self.partial.clear();
                emit(line);
            } else if self.partial.len() < 4096 {
                self.partial.push(b);
            }
        }
    }
}

/// Turns `Bytes` events into lines as it walks the trace, keeping each
/// connection's partial lines and phase; views that walk the trace in
/// order (the text transcript, the dashboard) feed it every event.
#[derive(Default)]
pub struct Transcriber {
    conns: BTreeMap<ConnId, ConnState>,
}

struct ConnState {
    protocol: Protocol,
    up: Splitter,
    down: Splitter,
    phase: Phase,
    /// Sides that have closed; at two the connection is forgotten, so a
    /// transcriber that runs for days holds only open connections.
    closed: u8,
    /// A real socket: forgotten at the first close, because the far side's
    /// close is recorded only if it comes before ours (we stop reading).
    real: bool,
}

impl Transcriber {
    pub fn new() -> Transcriber {
        Transcriber::default()
    }

    /// The lines that `event` completes (none for other events).
    pub fn feed(&mut self, event: &super::Event) -> Vec<Line> {
        match &event.kind {
            EventKind::Connect {
                conn,
                protocol,
                real,
                ..
            } => {
                self.conns.insert(
                    *conn,
                    ConnState {
                        protocol: *protocol,
                        up: Splitter::default(),
                        down: Splitter::default(),
                        phase: Phase::default(),
                        closed: 0,
                        real: real.is_some(),
                    },
                );
                Vec::new()
            }
            EventKind::Close { conn, .. } => {
                if let Some(state) = self.conns.get_mut(conn) {
                    state.closed += 1;
                    if state.closed >= 2 || state.real {
                        self.conns.remove(conn);
                    }
                }
                Vec::new()
            }
            EventKind::Bytes {
                conn, dir, data, ..
            } => {
                let Some(state) = self.conns.get_mut(conn) else {
                    return Vec::new();
                };
                let splitter = match dir {
                    Dir::Up => &mut state.up,
                    Dir::Down => &mut state.down,
                };
                let (protocol, phase) = (state.protocol, &mut state.phase);
                let mut out = Vec::new();
                splitter.push(data.as_bytes(), |text| {
                    let kind = classify(protocol, *dir, &text, phase);
                    out.push(Line {
                        seq: event.seq,
                        at: event.at,
                        dir: *dir,
                        kind,
                        protocol,
                        text,
                    });
                });
                out
            }
            _ => Vec::new(),
        }
    }
}

/// The lines of connection `conn`, in the order they were sent.
pub fn lines(trace: &Trace, conn: ConnId) -> Vec<Line> {
    let mut transcriber = Transcriber::new();
    trace
        .events()
        .iter()
        .filter(|e| match &e.kind {
            EventKind::Connect { conn: c, .. } | EventKind::Bytes { conn: c, .. } => *c == conn,
            _ => false,
        })
        .flat_map(|e| transcriber.feed(e))
        .collect()
}

/// Where a connection's conversation stands, for telling data from commands.
#[derive(Default)]
struct Phase {
    /// SMTP: between DATA and the lone dot.
    smtp_data: bool,
    /// POP3: a command with a multi-line answer was sent.
    pop3_multiline: bool,
    /// POP3: inside that answer, until the lone dot.
    pop3_data: bool,
}

/// Command, reply or data? SMTP data runs from DATA to the lone dot; POP3
/// data from the `+OK` of RETR, TOP, CAPA or a listing to the lone dot.
fn classify(protocol: Protocol, dir: Dir, text: &str, phase: &mut Phase) -> LineKind {
    let pop3 = protocol == Protocol::Pop3;
    let ends = text == ".";
    match (dir, pop3) {
        (Dir::Up, false) if phase.smtp_data => {
            phase.smtp_data = !ends;
            LineKind::Data
        }
        (Dir::Up, false) => {
            phase.smtp_data = text.eq_ignore_ascii_case("DATA");
            LineKind::Command
        }
        (Dir::Up, true) => {
            let mut words = text.split_whitespace();
            let verb = words.next().unwrap_or_default().to_ascii_uppercase();
            let bare = words.next().is_none();
            phase.pop3_multiline = matches!(verb.as_str(), "RETR" | "TOP" | "CAPA")
                || (bare && matches!(verb.as_str(), "LIST" | "UIDL"));
            LineKind::Command
        }
        (Dir::Down, true) if phase.pop3_data => {
            phase.pop3_data = !ends;
            LineKind::Data
        }
        (Dir::Down, true) => {
            phase.pop3_data = std::mem::take(&mut phase.pop3_multiline) && text.starts_with("+OK");
            LineKind::Reply { code: None }
        }
        (Dir::Down, false) => LineKind::Reply {
            code: text.get(..3).and_then(|c| c.parse().ok()),
        },
    }
}

/// Every SMTP reply in the trace, parsed from the server side's bytes.
pub fn smtp_replies(trace: &Trace) -> Vec<(ConnId, Reply)> {
    let smtp: BTreeMap<ConnId, ()> = connections(trace)
        .into_iter()
        .filter(|c| matches!(c.protocol, Protocol::Smtp | Protocol::Submission))
        .map(|c| (c.conn, ()))
        .collect();
    let mut parsers: BTreeMap<ConnId, ReplyParser> = BTreeMap::new();
    let mut replies = Vec::new();
    for e in trace.events() {
        let EventKind::Bytes {
            conn,
            dir: Dir::Down,
            data,
            ..
        } = &e.kind
        else {
            continue;
        };
        if !smtp.contains_key(conn) {
            continue;
        }
        let parser = parsers.entry(*conn).or_default();
        parser.push(data.as_bytes());
        while let Some(reply) = parser.next_reply() {
            if let Ok(reply) = reply {
                replies.push((*conn, reply));
            }
        }
    }
    replies
}
