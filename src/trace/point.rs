//! Where in a run a what-if can go, found from the trace alone: a server's
//! reply line is the n-th time that server answered that step (the
//! greeting, a command, the end of data), counted in the order it sent
//! its replies, as the server counts (see `plan::whatif`); a DNS answer is
//! the n-th query for its name and type that reached a DNS server, in
//! the order they arrived.

use super::index::Index;
use super::transcript::LineKind;
use super::{Dir, EventKind, HostId, Protocol, Trace};
use crate::dns::{QueryType, question_of};
use crate::smtp::{Command, Step};

/// A point of the run a what-if can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Point {
    /// `host` answered `step` for the `attempt`-th time: the reply line
    /// `line` (an index into `Index::lines`), or none when that step got
    /// no reply in this run (a what-if took it).
    Reply {
        host: HostId,
        step: Step,
        attempt: u32,
        line: Option<usize>,
    },
    /// The `attempt`-th query for `name`/`qtype` that reached a DNS
    /// server: the datagram `seq` carried it.
    Dns {
        server: HostId,
        name: String,
        qtype: QueryType,
        attempt: u32,
        seq: u64,
    },
}

impl Point {
    /// In the words of `--what-if`: `mx.example.net RCPT#1`.
    pub fn describe(&self, trace: &Trace) -> String {
        match self {
            Point::Reply {
                host,
                step,
                attempt,
                ..
            } => format!("{} {step}#{attempt}", trace.name(*host)),
            Point::Dns {
                name,
                qtype,
                attempt,
                ..
            } => format!("dns {name} {qtype}#{attempt}"),
        }
    }
}

/// The step a reply line answers, when it answers one a what-if can name.
fn step_of(index: &Index, line: usize) -> Option<Step> {
    let reply = &index.lines[line];
    if reply.dir != Dir::Down
        || !matches!(reply.kind, LineKind::Reply { .. })
        || !matches!(reply.protocol, Protocol::Smtp | Protocol::Submission)
    {
        return None;
    }
    let exchange = reply.exchange?;
    if exchange == 0 {
        return Some(Step::Connect);
    }
    let session = index.session(reply.conn)?;
    // The client line of the same exchange: a command, or the message
    // data whose final dot the reply answers.
    let asked = session
        .lines
        .iter()
        .map(|&k| &index.lines[k])
        .find(|l| l.dir == Dir::Up && l.exchange == Some(exchange))?;
    match asked.kind {
        LineKind::Data => Some(Step::Dot),
        LineKind::Command => Command::parse(asked.text.as_bytes())
            .ok()
            .as_ref()
            .and_then(Step::of),
        _ => None,
    }
}

/// Is `line` the last line of its reply (the one that completes it)?
fn ends_reply(index: &Index, line: usize) -> bool {
    matches!(index.lines[line].kind, LineKind::Reply { .. })
        && index.lines[line].text.as_bytes().get(3) != Some(&b'-')
}

/// The what-if point of a transcript line: a server's SMTP reply (any
/// line of it), counted among that server's answers to the same step.
pub fn of_line(trace: &Trace, index: &Index, line: usize) -> Option<Point> {
    // Any line of a reply stands for the reply: its last line.
    let session = index.session(index.lines.get(line)?.conn)?;
    let from = session.lines.iter().position(|&k| k == line)?;
    let target = session.lines[from..]
        .iter()
        .copied()
        .find(|&k| index.lines[k].dir == Dir::Down && ends_reply(index, k))?;
    let step = step_of(index, target)?;
    let host = index.session(index.lines[target].conn)?.connection.to;
    let mut attempt = 0;
    for (k, l) in index.lines.iter().enumerate().take(target + 1) {
        let here = index
            .session(l.conn)
            .is_some_and(|s| s.connection.to == host);
        if here && ends_reply(index, k) && step_of(index, k) == Some(step) {
            attempt += 1;
        }
    }
    // Steps a what-if left unanswered (lost, silent) were reached too.
    attempt += trace.events()[..=index.lines[target].seq as usize]
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::WhatIf { host: h, conn: Some(_), rest }
            if *h == host && rest.point.starts_with(&format!("{step} #")) && !rest.instead.starts_with(|c: char| c.is_ascii_digit())))
        .count() as u32;
    Some(Point::Reply {
        host,
        step,
        attempt,
        line: Some(target),
    })
}

/// The what-if point of an event: a DNS query or its answer (the query
/// it answers), a connection (its greeting), or a delivery (the end of
/// data that handed the message to the host that stored it).
pub fn of_event(trace: &Trace, index: &Index, seq: u64) -> Option<Point> {
    let event = trace.events().get(seq as usize)?;
    match &event.kind {
        EventKind::Datagram { .. } => dns_point(trace, seq),
        EventKind::Connect { conn, .. } | EventKind::Accept { conn } => {
            let session = index.session(*conn)?;
            let greeting =
                session.lines.iter().copied().find(|&k| {
                    index.lines[k].exchange == Some(0) && index.lines[k].dir == Dir::Down
                })?;
            of_line(trace, index, greeting)
        }
        EventKind::Delivered { host, queue_id, .. } => {
            // The session that brought the entry here ended in its 250.
            let conn =
                trace.events()[..seq as usize]
                    .iter()
                    .rev()
                    .find_map(|e| match &e.kind {
                        EventKind::Queued {
                            host: h,
                            queue_id: q,
                            rest,
                        } if h == host && q == queue_id => Some(rest.conn),
                        _ => None,
                    })??;
            let session = index.session(conn)?;
            let dot = session.lines.iter().copied().rev().find(|&k| {
                index.lines[k].dir == Dir::Down && step_of(index, k) == Some(Step::Dot)
            })?;
            of_line(trace, index, dot)
        }
        _ => None,
    }
}

/// A DNS datagram's question, counted among the queries for it that
/// reached a DNS server, in the order they arrived.
fn dns_point(trace: &Trace, seq: u64) -> Option<Point> {
    let events = trace.events();
    let EventKind::Datagram { data, to_port, .. } = &events[seq as usize].kind else {
        return None;
    };
    // An answer points at the query it answers: the last query before it
    // with the same id, from the host it answers.
    let query_seq = if *to_port == 53 {
        seq
    } else {
        let id = data.as_bytes().get(..2)?;
        let EventKind::Datagram { from, to, .. } = &events[seq as usize].kind else {
            return None;
        };
        events[..seq as usize]
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Datagram {
                    from: f,
                    to: t,
                    to_port: 53,
                    data: d,
                    ..
                } if f == to && t == from && d.as_bytes().get(..2) == Some(id) => Some(e.seq),
                _ => None,
            })?
    };
    let EventKind::Datagram {
        to: server,
        data,
        arrives: Some(arrived),
        ..
    } = &events[query_seq as usize].kind
    else {
        return None;
    };
    let (name, qtype) = question_of(data.as_bytes())?;
    let key = (*arrived, query_seq);
    let attempt = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Datagram {
                to_port: 53,
                arrives: Some(at),
                data,
                ..
            } if (*at, e.seq) <= key => question_of(data.as_bytes()),
            _ => None,
        })
        .filter(|q| q.0 == name && q.1 == qtype)
        .count() as u32;
    Some(Point::Dns {
        server: *server,
        name,
        qtype,
        attempt,
        seq: query_seq,
    })
}
