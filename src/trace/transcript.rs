//! Protocol items derived from the bytes of the trace: the `C:`/`S:` lines
//! of each connection, classified by the protocol's own observer, and the
//! parsed SMTP replies. Nothing here is stored in the trace; everything is
//! computed from `Bytes` events.

use std::collections::BTreeMap;

use super::{ConnId, Dir, EventKind, Protocol, SimTime, Trace};
use crate::session::grammar::{Lines, Observed, Side};
use crate::smtp::{Reply, ReplyParser};

pub use crate::session::grammar::{Exchange, LineKind};
pub use text::Text;

mod text;

/// One line of a connection as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The `Bytes` event that carried (the end of) this line.
    pub seq: u64,
    pub conn: ConnId,
    pub at: SimTime,
    pub dir: Dir,
    pub kind: LineKind,
    pub protocol: Protocol,
    /// Which exchange of the session the line belongs to: a command and
    /// the replies that answer it share one (the greeting is 0). None for
    /// a reply nobody asked for, and for protocols without exchanges.
    pub exchange: Option<Exchange>,
    /// Shared with equal lines (`Text`): an index holds ~100 a message.
    pub text: Text,
    /// The line travelled inside TLS: the ends read it, the link saw only
    /// records.
    pub sealed: bool,
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

/// Where a trace line came from: the event that carried its last byte.
type Tag = (u64, SimTime);

/// Each protocol's own observer says what its lines are (`smtp::observe`,
/// `pop3::observe`); the transcript only dispatches.
enum Observer {
    Smtp(crate::smtp::observe::Observer<Tag>),
    Pop3(crate::pop3::observe::Observer),
    /// No grammar known (another port): client lines are shown as
    /// commands, server lines as replies.
    Plain {
        up: Lines,
        down: Lines,
    },
}

impl Observer {
    fn new(protocol: Protocol) -> Observer {
        match protocol {
            Protocol::Smtp | Protocol::Submission => {
                Observer::Smtp(crate::smtp::observe::Observer::new())
            }
            Protocol::Pop3 => Observer::Pop3(crate::pop3::observe::Observer::new()),
            Protocol::Dns | Protocol::Other => Observer::Plain {
                up: Lines::default(),
                down: Lines::default(),
            },
        }
    }

    /// The lines `bytes` complete, appended to `out`.
    fn feed(&mut self, dir: Dir, tag: Tag, bytes: &[u8], out: &mut Vec<Observed<Tag>>) {
        match (self, dir) {
            (Observer::Smtp(o), Dir::Up) => o.client_into(tag, bytes, out),
            (Observer::Smtp(o), Dir::Down) => o.server_into(tag, bytes, out),
            (Observer::Pop3(o), Dir::Up) => out.extend(o.client(tag, bytes)),
            (Observer::Pop3(o), Dir::Down) => out.extend(o.server(tag, bytes)),
            (Observer::Plain { up, down }, dir) => {
                let (lines, side, kind) = match dir {
                    Dir::Up => (up, Side::Client, LineKind::Command),
                    Dir::Down => (down, Side::Server, LineKind::Reply { code: None }),
                };
                lines.push(bytes, |text| {
                    out.push(Observed {
                        tag,
                        side,
                        kind,
                        exchange: None,
                        text,
                    })
                });
            }
        }
    }

    /// Lines still undecided when the connection is gone.
    fn close(&mut self) -> Vec<Observed<Tag>> {
        match self {
            Observer::Smtp(o) => o.close(),
            Observer::Pop3(_) | Observer::Plain { .. } => Vec::new(),
        }
    }
}

/// Turns `Bytes` events into lines as it walks the trace, keeping each
/// connection's observer; views that walk the trace in order (the text
/// transcript, the dashboard) feed it every event.
#[derive(Default)]
pub struct Transcriber {
    conns: BTreeMap<ConnId, ConnState>,
    /// Message data lines come out without their text (`Text::default`):
    /// for readers that look at commands and replies only.
    no_data_text: bool,
    /// The lines of the event being fed, kept between events: the live
    /// transcript feeds every event a real server sees.
    observed: Vec<Observed<Tag>>,
}

/// A line as [`Transcriber::feed_with`] lends it: [`Line`]'s fields, the
/// text borrowed as octets (not yet made a [`Text`]).
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    pub seq: u64,
    pub conn: ConnId,
    pub at: SimTime,
    pub dir: Dir,
    pub kind: LineKind,
    pub protocol: Protocol,
    pub exchange: Option<Exchange>,
    /// Without its line ending; empty for a data line of a transcriber
    /// made `without_data_text`. Not always UTF-8.
    pub text: &'a [u8],
    pub sealed: bool,
}

impl LineRef<'_> {
    /// The text as the board shows it: octets that are not UTF-8 replaced.
    pub fn text_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.text)
    }

    pub fn to_line(self) -> Line {
        Line {
            seq: self.seq,
            conn: self.conn,
            at: self.at,
            dir: self.dir,
            kind: self.kind,
            protocol: self.protocol,
            exchange: self.exchange,
            text: match std::str::from_utf8(self.text) {
                Ok(text) => Text::new(text),
                Err(_) => Text::new(&String::from_utf8_lossy(self.text)),
            },
            sealed: self.sealed,
        }
    }
}

struct ConnState {
    protocol: Protocol,
    observer: Observer,
    /// Sides that have closed; at two the connection is forgotten, so a
    /// transcriber that runs for days holds only open connections.
    closed: u8,
    /// A real socket: forgotten at the first close, because the far side's
    /// close is recorded only if it comes before ours (we stop reading).
    real: bool,
    /// The first event that carried bytes inside TLS: lines from it on are
    /// sealed (TLS never stops once started, RFC 3207 §4.2).
    sealed_from: Option<u64>,
}

impl Transcriber {
    pub fn new() -> Transcriber {
        Transcriber::default()
    }

    /// A transcriber whose message data lines (`Data`, `Chunk`) are empty:
    /// the same lines, in the same order, without the message text, which
    /// is most of a session's text and is in the trace already.
    pub fn without_data_text() -> Transcriber {
        Transcriber {
            no_data_text: true,
            ..Transcriber::default()
        }
    }

    /// The lines that `event` completes (none for other events). A line
    /// that had to wait for a reply to be decided (see `smtp::observe`)
    /// comes out with the reply, still carrying its own seq and time.
    pub fn feed(&mut self, event: &super::Event) -> Vec<Line> {
        let mut lines = Vec::new();
        self.feed_with(event, |line| lines.push(line.to_line()));
        lines
    }

    /// The lines that `event` completes, as [`Transcriber::feed`] gives
    /// them, lent one by one: a reader that only writes them out (the
    /// board) makes no `Line`, no `Text` and no vector per event.
    pub fn feed_with(&mut self, event: &super::Event, mut each: impl FnMut(LineRef<'_>)) {
        let (conn, protocol, sealed_from) = match &event.kind {
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
                        observer: Observer::new(*protocol),
                        closed: 0,
                        real: real.is_some(),
                        sealed_from: None,
                    },
                );
                return;
            }
            EventKind::Close { conn, .. } => {
                let Some(state) = self.conns.get_mut(conn) else {
                    return;
                };
                state.closed += 1;
                if state.closed < 2 && !state.real {
                    return;
                }
                let (protocol, sealed_from) = (state.protocol, state.sealed_from);
                self.observed.extend(state.observer.close());
                self.conns.remove(conn);
                (*conn, protocol, sealed_from)
            }
            EventKind::Bytes {
                conn,
                dir,
                data,
                sealed,
                ..
            } => {
                let Some(state) = self.conns.get_mut(conn) else {
                    return;
                };
                if sealed.is_some() && state.sealed_from.is_none() {
                    state.sealed_from = Some(event.seq);
                }
                state.observer.feed(
                    *dir,
                    (event.seq, event.at),
                    data.as_bytes(),
                    &mut self.observed,
                );
                (*conn, state.protocol, state.sealed_from)
            }
            _ => return,
        };
        for o in self.observed.drain(..) {
            let data = matches!(o.kind, LineKind::Data | LineKind::Chunk);
            each(LineRef {
                sealed: sealed_from.is_some_and(|from| o.tag.0 >= from),
                seq: o.tag.0,
                conn,
                at: o.tag.1,
                dir: match o.side {
                    Side::Client => Dir::Up,
                    Side::Server => Dir::Down,
                },
                kind: o.kind,
                protocol,
                exchange: o.exchange,
                text: if self.no_data_text && data {
                    &[]
                } else {
                    &o.text
                },
            });
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
