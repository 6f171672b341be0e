//! What the expectations read, derived from the trace alone: queue
//! entries and their facts (`trace::state`), sessions and their lines
//! (`trace::index`), and per message its send time, its subject and, for
//! a bounce, the message it reports on.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::mail::Headers;
use crate::plan::{Expectation, Window};
use crate::trace::index::{Index, Needs};
use crate::trace::state::{State, What};
use crate::trace::transcript::{LineKind, Transcriber};
use crate::trace::{ConnId, DeliveredRest, EventKind, SimTime, Trace};

/// The message data lines of each of `conns`, each followed by CRLF, as
/// the transcript reads them: the index built for facts keeps no data
/// text (`Needs::Facts`), so the few sessions whose message was never
/// delivered are read again from the trace, in one walk.
fn data_lines(trace: &Trace, conns: BTreeSet<ConnId>) -> BTreeMap<ConnId, String> {
    let mut data: BTreeMap<ConnId, String> = BTreeMap::new();
    if conns.is_empty() {
        return data;
    }
    let mut transcriber = Transcriber::new();
    for e in trace.events() {
        let conn = match &e.kind {
            EventKind::Connect { conn, .. }
            | EventKind::Bytes { conn, .. }
            | EventKind::Close { conn, .. } => conn,
            _ => continue,
        };
        if !conns.contains(conn) {
            continue;
        }
        for line in transcriber.feed(e) {
            if line.kind == LineKind::Data {
                let text = data.entry(line.conn).or_default();
                text.push_str(&line.text);
                text.push_str("\r\n");
            }
        }
    }
    data
}

/// A thing a claim counts: when it happened, the message it concerns.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub at: SimTime,
    pub message: Option<String>,
}

pub struct Facts<'t> {
    pub trace: &'t Trace,
    /// What the index is built for: `Needs::Facts`, or `Needs::Sessions`
    /// when no claim reads a transcript line.
    needs: Needs,
    /// Each part is made when a claim first reads it: at a million
    /// messages each is hundreds of megabytes beside the trace, and most
    /// scenarios read a few (issue 14 §1).
    state: OnceCell<State>,
    index: OnceCell<Index>,
    /// Message-ID → when its client wrote it.
    sent: OnceCell<BTreeMap<String, SimTime>>,
    /// Message-ID → Subject.
    subjects: OnceCell<BTreeMap<String, String>>,
    /// A bounce's Message-ID → the Message-ID of the message it reports.
    reports: OnceCell<BTreeMap<String, String>>,
    /// The seq of a session's Connect → the messages it carried.
    carried: OnceCell<BTreeMap<u64, Vec<String>>>,
}

impl<'t> Facts<'t> {
    /// Everything a lesson step or any claim reads.
    pub fn of(trace: &'t Trace) -> Facts<'t> {
        Facts::with(trace, Needs::Facts)
    }

    /// What `expectations` read: the transcript lines only when a claim
    /// counts replies.
    pub fn for_claims(trace: &'t Trace, expectations: &[Expectation]) -> Facts<'t> {
        let lines = expectations
            .iter()
            .any(|e| matches!(e, Expectation::Reply { .. } | Expectation::NoReply { .. }));
        Facts::with(trace, if lines { Needs::Facts } else { Needs::Sessions })
    }

    fn with(trace: &'t Trace, needs: Needs) -> Facts<'t> {
        Facts {
            trace,
            needs,
            state: OnceCell::new(),
            index: OnceCell::new(),
            sent: OnceCell::new(),
            subjects: OnceCell::new(),
            reports: OnceCell::new(),
            carried: OnceCell::new(),
        }
    }

    /// Queue entries and their facts.
    pub fn state(&self) -> &State {
        self.state.get_or_init(|| State::queues(self.trace))
    }

    /// Sessions, their lines (unless no claim reads one) and each
    /// message's events: no search texts, tags or DNS links.
    pub fn index(&self) -> &Index {
        self.index
            .get_or_init(|| Index::build_for(self.trace, self.needs))
    }

    fn sent(&self) -> &BTreeMap<String, SimTime> {
        self.sent.get_or_init(|| {
            let mut sent = BTreeMap::new();
            for e in self.trace.events() {
                if let EventKind::Composed { message_id, .. } = &e.kind {
                    sent.entry(message_id.clone()).or_insert(e.at);
                }
            }
            sent
        })
    }

    fn subjects(&self) -> &BTreeMap<String, String> {
        self.subjects.get_or_init(|| {
            let mut subjects = BTreeMap::new();
            for e in self.trace.events() {
                if let EventKind::Delivered { rest, .. } = &e.kind {
                    let DeliveredRest {
                        message_id,
                        content,
                        ..
                    } = &**rest;
                    if let Some(subject) =
                        Headers::parse(&content.as_bytes()).get_decoded("Subject")
                    {
                        subjects.entry(message_id.clone()).or_insert(subject);
                    }
                }
            }
            // A message never delivered: its subject as the session
            // carried it.
            let (state, index) = (self.state(), self.index());
            let undelivered: Vec<(&String, ConnId)> = state
                .entries()
                .iter()
                .filter(|entry| !subjects.contains_key(&entry.message_id))
                .filter_map(|entry| {
                    let conn = entry.conn.filter(|&c| index.session(c).is_some())?;
                    Some((&entry.message_id, conn))
                })
                .collect();
            let data = data_lines(
                self.trace,
                undelivered.iter().map(|&(_, conn)| conn).collect(),
            );
            for (message_id, conn) in undelivered {
                let data = data.get(&conn).map_or("", String::as_str);
                if let Some(subject) = Headers::parse(data.as_bytes()).get_decoded("Subject") {
                    subjects.insert(message_id.clone(), subject);
                }
            }
            subjects
        })
    }

    fn reports(&self) -> &BTreeMap<String, String> {
        self.reports.get_or_init(|| {
            let state = self.state();
            let mut reports = BTreeMap::new();
            for entry in state.entries() {
                for fact in &entry.facts {
                    if let What::Bounced { dsn: Some(q), .. } = &fact.what
                        && let Some(dsn) = state.entry(entry.host, q)
                    {
                        reports.insert(dsn.message_id.clone(), entry.message_id.clone());
                    }
                }
            }
            reports
        })
    }

    fn carried(&self) -> &BTreeMap<u64, Vec<String>> {
        self.carried.get_or_init(|| {
            let mut carried: BTreeMap<u64, Vec<String>> = BTreeMap::new();
            for (id, seqs) in &self.index().message_events {
                for &seq in seqs {
                    let connect = self
                        .trace
                        .events()
                        .get(seq as usize)
                        .is_some_and(|e| matches!(e.kind, EventKind::Connect { .. }));
                    if connect {
                        let ids = carried.entry(seq).or_default();
                        if !ids.contains(id) {
                            ids.push(id.clone());
                        }
                    }
                }
            }
            carried
        })
    }

    /// Is `message_id` the message a teacher named, by Subject or by
    /// Message-ID (with or without its angle brackets)?
    pub fn is_message(&self, selector: &str, message_id: &str) -> bool {
        let bare = |s: &str| {
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        };
        bare(selector).eq_ignore_ascii_case(&bare(message_id))
            || self
                .subjects()
                .get(message_id)
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(selector.trim()))
    }

    /// No selector matches every message.
    pub fn matches(&self, selector: &Option<String>, message_id: Option<&str>) -> bool {
        match (selector, message_id) {
            (None, _) => true,
            (Some(s), Some(id)) => self.is_message(s, id),
            (Some(_), None) => false,
        }
    }

    /// The message a bounce reports on.
    pub fn reported_by(&self, dsn_message_id: &str) -> Option<&str> {
        self.reports().get(dsn_message_id).map(String::as_str)
    }

    /// The first message a client wrote.
    pub fn first_message(&self) -> Option<&str> {
        self.trace.events().iter().find_map(|e| match &e.kind {
            EventKind::Composed { message_id, .. } => Some(message_id.as_str()),
            _ => None,
        })
    }

    /// A time as a window counts it: from the start of the run, or from
    /// when the message was sent (`None` when that is not known).
    pub fn counted(&self, window: &Window, o: &Occurrence) -> Option<Duration> {
        if !window.since_send {
            return Some(o.at.duration());
        }
        let sent = self.sent().get(o.message.as_deref()?)?;
        Some(o.at.duration().saturating_sub(sent.duration()))
    }

    pub fn in_window(&self, window: &Window, o: &Occurrence) -> bool {
        window.is_open() || self.counted(window, o).is_some_and(|t| window.holds(t))
    }

    /// The messages the session that starts at `connect_seq` carried.
    pub fn messages_of_session(&self, connect_seq: u64) -> &[String] {
        self.carried().get(&connect_seq).map_or(&[], Vec::as_slice)
    }
}
