//! Which event of a run a selector names: every event that fits, in the
//! order of the trace, and the `nth` of them. Read from the trace alone,
//! with the expectations' facts (`expect::facts`) for messages named by
//! subject and queue entries named by message.

use std::collections::HashMap;

use super::At;
use crate::dns::question_of;
use crate::scenario::duration::parse_duration;
use crate::scenario::expect::facts::Facts;
use crate::trace::transcript::LineKind;
use crate::trace::{Dir, EventKind, HostId, Protocol, SimTime};

/// Where a selector landed: the event (`seq`), and for a reply the
/// transcript line, by its number among all lines (`Index::line`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Start,
    End,
    Event { seq: u64, line: Option<usize> },
}

/// Finds the event `at` names, or says what the trace has instead.
pub fn find(at: &At, facts: &Facts) -> Result<Found, String> {
    find_in(at, facts, false)
}

/// Finds the event `at` names in the part of a run computed so far, when
/// the events after it cannot change where it lands; `None` when it needs
/// more of the run: its event is not computed yet, it is `End`, or it is a
/// DNS answer not received yet.
pub fn find_so_far(at: &At, facts: &Facts) -> Option<Found> {
    find_in(at, facts, true).ok()
}

/// `growing`: the trace is the start of a run still computing.
fn find_in(at: &At, facts: &Facts, growing: bool) -> Result<Found, String> {
    let trace = facts.trace;
    let host_is = |id: HostId, name: &Option<String>| {
        name.as_ref()
            .is_none_or(|n| trace.name(id).eq_ignore_ascii_case(n.trim_end_matches('.')))
    };
    let addr_is = |address: &str, want: &Option<String>| {
        want.as_ref().is_none_or(|w| same_address(address, w))
    };
    let message_of = |host: HostId, queue_id: &str| {
        facts
            .state()
            .entry(host, queue_id)
            .map(|e| e.message_id.clone())
    };
    let msg_is = |id: Option<&str>, want: &Option<String>| facts.matches(want, id);
    let events = trace.events();
    let (hits, nth, noun): (Vec<(u64, Option<usize>)>, u32, &str) = match at {
        At::Start => return Ok(Found::Start),
        At::End if growing => return Err("the run has not ended yet".to_owned()),
        At::End => return Ok(Found::End),
        At::Time(t) => {
            let t = parse_duration(t).map_err(|_| format!("{t:?} is not a duration"))?;
            return events
                .iter()
                .find(|e| e.at >= SimTime::from(t))
                .map(|e| Found::Event {
                    seq: e.seq,
                    line: None,
                })
                .ok_or_else(|| {
                    format!(
                        "the run's last event is at {}",
                        events.last().map_or(SimTime::ZERO, |e| e.at)
                    )
                });
        }
        At::Reply {
            from,
            command,
            rcpt,
            session,
            code,
            nth,
        } => {
            let hits = replies(facts)
                .filter(|r| {
                    host_is(r.server, from)
                        && session.is_none_or(|s| s == r.conn)
                        && code.is_none_or(|c| Some(c) == r.code)
                        && command
                            .as_ref()
                            .is_none_or(|c| c.trim().eq_ignore_ascii_case(&r.command))
                        && rcpt.as_ref().is_none_or(|want| {
                            r.rcpt.as_deref().is_some_and(|a| same_address(a, want))
                        })
                })
                .map(|r| (r.seq, Some(r.line)))
                .collect();
            (hits, *nth, "matching reply(ies)")
        }
        At::Dns { name, query, nth } => {
            let want = crate::dns::canonical_name(name);
            let mut hits = Vec::new();
            for e in events {
                let EventKind::Datagram {
                    from,
                    to,
                    to_port: 53,
                    data,
                    ..
                } = &e.kind
                else {
                    continue;
                };
                let Some((qname, qtype)) = question_of(data.as_bytes()) else {
                    continue;
                };
                if qname != want || !qtype.to_string().eq_ignore_ascii_case(query.trim()) {
                    continue;
                }
                // The answer: the next datagram back with the same id.
                let id = data.as_bytes().get(..2);
                let answer = events[e.seq as usize + 1..].iter().find(|a| {
                    matches!(&a.kind, EventKind::Datagram { from: f, to: t, from_port: 53, data: d, .. }
                        if f == to && t == from && d.as_bytes().get(..2) == id)
                });
                // The answer may still come: this query and those after
                // it are placed once it has.
                if growing && answer.is_none() {
                    break;
                }
                hits.push((answer.map_or(e.seq, |a| a.seq), None));
            }
            (hits, *nth, "matching DNS quer(ies)")
        }
        At::Connect {
            from,
            to,
            port: want,
            nth,
        } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Connect { from: f, to: t, port, .. }
                    if host_is(*f, from) && host_is(*t, to) && want.is_none_or(|p| p == *port))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching connection(s)")
        }
        At::Queued { host, message, nth } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Queued { host: h, rest, .. }
                    if host_is(*h, host) && msg_is(Some(&rest.message_id), message))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching queue entr(ies)")
        }
        At::Deferred {
            host,
            rcpt,
            message,
            nth,
        } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Deferred { host: h, queue_id, rest, .. }
                    if host_is(*h, host)
                        && msg_is(message_of(*h, queue_id).as_deref(), message)
                        && (rcpt.is_none() || rest.attempts.iter().any(|a| addr_is(&a.rcpt, rcpt))))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching deferral(s)")
        }
        At::Retry { host, message, nth } => {
            // The MTA wakes for it ("retry 2 of SMTP0001"), connection or not.
            let hits = events
                .iter()
                .filter(|e| match &e.kind {
                    EventKind::Wake { host: h, why } => {
                        let queue_id = why
                            .strip_prefix("retry ")
                            .and_then(|rest| rest.split_once(" of "))
                            .map(|(_, q)| q);
                        queue_id.is_some_and(|q| {
                            host_is(*h, host) && msg_is(message_of(*h, q).as_deref(), message)
                        })
                    }
                    _ => false,
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching retr(ies)")
        }
        At::Bounced {
            host,
            for_rcpt,
            message,
            nth,
        } => {
            let hits = events
                .iter()
                .filter(|e| matches!(&e.kind, EventKind::Bounced { host: h, queue_id, rest, .. }
                    if host_is(*h, host)
                        && msg_is(message_of(*h, queue_id).as_deref(), message)
                        && (for_rcpt.is_none() || rest.failures.iter().any(|a| addr_is(&a.rcpt, for_rcpt)))))
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching bounce(s)")
        }
        At::Delivered { to, message, nth } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Delivered { rest, .. }
                    if addr_is(&rest.mailbox, to) && msg_is(Some(&rest.message_id), message))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching deliver(ies)")
        }
        At::Retrieved { by, message, nth } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Retrieved { mailbox, rest, .. }
                    if addr_is(mailbox, by) && msg_is(rest.message_id.as_deref(), message))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching fetch(es)")
        }
        At::Notified { host, action, nth } => {
            let hits = events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::Notified { host: h, rest, .. }
                    if host_is(*h, host)
                        && action.as_ref().is_none_or(|want| want.eq_ignore_ascii_case(&rest.action)))
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "matching report decision(s)")
        }
        At::Expired { host, nth } => {
            let hits = events
                .iter()
                .filter(
                    |e| matches!(&e.kind, EventKind::Expired { host: h, .. } if host_is(*h, host)),
                )
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "expir(ies)")
        }
        At::Loop { host, nth } => {
            let hits = events
                .iter()
                .filter(|e| matches!(&e.kind, EventKind::LoopDetected { host: h, .. } if host_is(*h, host)))
                .map(|e| (e.seq, None))
                .collect();
            (hits, *nth, "loop detection(s)")
        }
        At::Down { host } | At::Up { host } => {
            let down = matches!(at, At::Down { .. });
            let name = Some(host.clone());
            let hits = events
                .iter()
                .filter(|e| match &e.kind {
                    EventKind::HostDown { host: h, .. } => down && host_is(*h, &name),
                    EventKind::HostUp { host: h } => !down && host_is(*h, &name),
                    _ => false,
                })
                .map(|e| (e.seq, None))
                .collect();
            (hits, 1, if down { "outage(s)" } else { "return(s)" })
        }
    };
    let n = nth.max(1) as usize;
    match hits.get(n - 1) {
        Some(&(seq, line)) => Ok(Found::Event { seq, line }),
        None if hits.is_empty() => Err("no event of this run matches it".to_owned()),
        None => Err(format!(
            "this run has {} {noun}, so nth: {n} finds none",
            hits.len()
        )),
    }
}

/// A server's reply, with what it answers.
pub struct ReplyLine {
    pub seq: u64,
    /// Its last line, by its number among all lines (`Index::line`).
    pub line: usize,
    pub conn: u32,
    pub server: HostId,
    /// The verb answered, upper case; `CONNECT` for the greeting, `DOT`
    /// for the end of data (the what-ifs' words).
    pub command: String,
    /// The recipient of a RCPT.
    pub rcpt: Option<String>,
    /// The SMTP code; `None` for POP3's +OK/-ERR.
    pub code: Option<u16>,
}

/// Every complete reply of every SMTP and POP3 session, in trace order,
/// made one at a time as they are read: a selector keeps the few that fit,
/// and all of them at once were the largest part of `check`'s peak at a
/// hundred thousand messages (issue 14 §1).
pub fn replies<'f>(facts: &'f Facts) -> impl Iterator<Item = ReplyLine> + 'f {
    let index = facts.index();
    // The line that opened each exchange, the first client line of it: a
    // session of thousands of messages is not searched once per reply.
    let mut requests: HashMap<(u32, u32), usize> = HashMap::new();
    for (i, line) in index.lines.iter().enumerate() {
        if let (Dir::Up, Some(exchange)) = (line.dir, line.exchange) {
            requests.entry((line.conn.0, exchange)).or_insert(i);
        }
    }
    index.lines.iter().enumerate().filter_map(move |(i, line)| {
        let LineKind::Reply { code } = line.kind else {
            return None;
        };
        if line.dir != Dir::Down
            || !matches!(
                line.protocol,
                Protocol::Smtp | Protocol::Submission | Protocol::Pop3
            )
            || crate::trace::index::continued(line)
        {
            return None;
        }
        let session = index.session(line.conn)?;
        let exchange = line.exchange?;
        let request = requests
            .get(&(line.conn.0, exchange))
            .map(|&j| &index.lines[j]);
        let (command, rcpt) = match request {
            _ if exchange == 0 => ("CONNECT".to_owned(), None),
            Some(r) if r.kind == LineKind::Data => ("DOT".to_owned(), None),
            Some(r) => {
                let verb = r
                    .text
                    .split([' ', ':'])
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let rcpt = (verb == "RCPT")
                    .then(|| {
                        r.text
                            .split_once('<')
                            .and_then(|(_, rest)| rest.split_once('>'))
                            .map(|(a, _)| a.to_owned())
                    })
                    .flatten();
                (verb, rcpt)
            }
            None => return None,
        };
        Some(ReplyLine {
            seq: line.seq,
            // Numbered as every index numbers it (the dashboard's too).
            line: index.number(i),
            conn: line.conn.0,
            server: session.connection.to,
            command,
            rcpt,
            code,
        })
    })
}

/// The expectations' comparison: the path of an address, any case.
fn same_address(a: &str, b: &str) -> bool {
    crate::trace::state::path(a).eq_ignore_ascii_case(&crate::trace::state::path(b))
}
