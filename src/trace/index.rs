//! Indexes over a trace, so that any view can seek to any playhead in
//! logarithmic time instead of replaying from the start: the transcript
//! lines of every connection, step functions for queue and mailbox sizes,
//! and the events that belong to each message. They are built in one walk
//! over the events, and a growing (live) trace extends them from where the
//! walk stopped, so a new event costs the same whatever came before it.
//!
//! A playhead `pos` means "the first `pos` events have happened".

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use unicode_width::UnicodeWidthStr;

use super::postings::Postings;
use super::search::Texts;
use super::transcript::{Connection, Line, LineKind, Transcriber};
use super::{ConnId, EventKind, HostId, SimTime, Trace};

/// A value that changes at certain events: `(seq, value from then on)`.
#[derive(Debug, Clone, Default)]
pub struct Steps {
    changes: Vec<(u64, i64)>,
}

impl Steps {
    fn add(&mut self, seq: u64, delta: i64) {
        let value = self.changes.last().map_or(0, |(_, v)| *v) + delta;
        self.changes.push((seq, value));
    }

    /// The value once the first `pos` events have happened.
    pub fn at(&self, pos: usize) -> i64 {
        let i = self
            .changes
            .partition_point(|(seq, _)| (*seq as usize) < pos);
        if i == 0 { 0 } else { self.changes[i - 1].1 }
    }
}

/// What became of a connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Refused,
    Unreachable,
}

/// What the events list filters on, for one event: a filter is then a
/// scan over a few bytes an event, never over the events themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// A DNS datagram or lookup.
    pub dns: bool,
    /// A failure worth finding (`describe::is_failure`).
    pub failure: bool,
    /// The hosts it involves: both ends of a connection or datagram, else
    /// the one host it happened on.
    pub hosts: [Option<HostId>; 2],
}

/// The DNS datagrams between two hosts, either way, for the ladder: their
/// seqs, and how wide each one's label (`describe::dns_label`) is, with
/// the widest of each block, so that the next label wider than some width
/// is found without measuring every label again.
#[derive(Debug, Clone, Default)]
pub struct DnsLink {
    pub seqs: Vec<u64>,
    /// Label widths in cells (255 for 255 and wider).
    widths: Vec<u8>,
    /// The widest label of each block of `WIDTH_BLOCK` datagrams.
    widest: Vec<u8>,
}

const WIDTH_BLOCK: usize = 64;

impl DnsLink {
    fn push(&mut self, seq: u64, width: usize) {
        let width = u8::try_from(width).unwrap_or(u8::MAX);
        if self.seqs.len().is_multiple_of(WIDTH_BLOCK) {
            self.widest.push(0);
        }
        let widest = self.widest.last_mut().expect("a block was just opened");
        *widest = (*widest).max(width);
        self.seqs.push(seq);
        self.widths.push(width);
    }

    /// The datagrams from seq `first` on, among the first `pos` events: a
    /// range of indices into `seqs`.
    pub fn between(&self, first: u64, pos: usize) -> Range<usize> {
        let start = self.seqs.partition_point(|&s| s < first);
        let end = self.seqs.partition_point(|&s| (s as usize) < pos);
        start..end.max(start)
    }

    /// The width of datagram `i`'s label (up to 255 cells).
    pub fn width(&self, i: usize) -> usize {
        usize::from(self.widths[i])
    }

    /// The first datagram in `range` whose label is wider than `than`
    /// cells (`than` < 255), skipping whole blocks that have none.
    pub fn next_wider(&self, range: Range<usize>, than: usize) -> Option<usize> {
        let mut i = range.start;
        while i < range.end {
            let block_end = ((i / WIDTH_BLOCK + 1) * WIDTH_BLOCK).min(range.end);
            if usize::from(self.widest[i / WIDTH_BLOCK]) > than
                && let Some(k) = (i..block_end).find(|&k| self.width(k) > than)
            {
                return Some(k);
            }
            i = block_end;
        }
        None
    }
}

/// What an index is built for. A view reads every part; the expectations
/// and lesson steps (`scenario::expect::Facts`) read only the sessions,
/// their lines and each message's events, and at a million messages the
/// parts they never read (search texts, the events list's tags and
/// postings, the DNS ladder's links) cost gigabytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Needs {
    /// Every index, for the dashboard.
    #[default]
    Views,
    /// `lines` (of each run of message data lines only the first, without
    /// its text, which the trace holds already, and of a multi-line SMTP
    /// reply only its last line, the one a reply is counted at: `number`
    /// and `line` give the lines the views' numbers), `sessions` (with
    /// `session`), `message_events` and `messages`, the step functions,
    /// `links`, `failed_from`; not
    /// `session_of`, `tags`, the postings, `line_texts`, `datagrams` or
    /// `dns_links`, which stay empty.
    Facts,
    /// As `Facts`, without any transcript line (sessions hold none): for
    /// the claims that read no line, the transcript is not made at all.
    Sessions,
}

/// Whether `line` is an SMTP reply line that another line of the same
/// reply follows (`250-PIPELINING`): a reply is counted, and a lesson
/// step placed, at its last line, so facts never read these (issue 14 §1:
/// an EHLO reply is most of a session's reply lines).
pub(crate) fn continued(line: &Line) -> bool {
    matches!(line.kind, LineKind::Reply { code: Some(_) })
        && line.text.as_bytes().get(3) == Some(&b'-')
}

/// One connection and what the index knows about it.
#[derive(Debug, Clone)]
pub struct Session {
    pub connection: Connection,
    pub outcome: Outcome,
    /// Indices into `Index::lines`.
    pub lines: Vec<usize>,
    /// The seq of its last event (close, refusal, last bytes).
    pub last_seq: u64,
}

/// Every index a view needs.
#[derive(Debug, Default)]
pub struct Index {
    /// All transcript lines of all connections, in trace order (built for
    /// facts: all but the message data after the first line of each run;
    /// see `numbers`).
    pub lines: Vec<Line>,
    /// Built for facts: the number of each of `lines` among all lines (as
    /// the views' index numbers them). Empty for views: every line is kept.
    numbers: Vec<usize>,
    pub sessions: Vec<Session>,
    by_conn: BTreeMap<ConnId, usize>,
    /// For each event, the session it belongs to (wire events only).
    session_of_event: Vec<Option<u32>>,
    /// Queue length per host.
    pub queued: BTreeMap<HostId, Steps>,
    /// Messages in mailboxes per host.
    pub stored: BTreeMap<HostId, Steps>,
    /// Message-ID → seqs of the events that concern it: composing,
    /// queueing, the sessions that carried it, delivery, retrieval.
    pub message_events: BTreeMap<String, Vec<u64>>,
    /// Message-IDs in the order they first appear.
    pub messages: Vec<String>,
    /// Distinct pairs of hosts that ever exchanged something.
    pub links: Vec<(HostId, HostId)>,
    /// One tag per event, for the events list's filters.
    pub tags: Vec<Tag>,
    /// The seqs of the DNS datagrams, in order, for the DNS view.
    pub datagrams: Vec<u64>,
    /// The DNS datagrams by pair of hosts (the lower id first), for the
    /// ladder.
    pub dns_links: BTreeMap<(HostId, HostId), DnsLink>,
    /// The sessions refused or never answered, by the host that tried
    /// (indices into `sessions`, in the order of their Connect).
    failed_from: BTreeMap<HostId, Vec<usize>>,
    /// The events by tag, for the events list's filters: all of them, and
    /// each host's (indexed by host id).
    pub events_all: Postings,
    events_by_host: Vec<Postings>,
    /// For search: each transcript line (parallel to `lines`).
    pub line_texts: Texts,
    /// For search: each event's description (parallel to the events;
    /// empty for bytes, searched as lines). Made by the first search, not
    /// by the walk: describing every event costs more than indexing it.
    event_texts: Texts,
    /// Whether some event happened earlier, in simulated time, than the
    /// one before it (never, in a run: simulated time only moves on).
    time_disorder: bool,
    needs: Needs,
    walk: Walk,
}

/// Where the walk over the trace stopped, with what it carries from one
/// event to the next (partial lines, queue ids), so `extend` resumes it.
#[derive(Default)]
struct Walk {
    /// Events indexed so far.
    indexed: usize,
    /// Transcript lines seen so far, kept or not.
    lines_seen: usize,
    transcriber: Transcriber,
    /// Queue id → Message-ID, for facts that name only the queue id.
    queue_of: BTreeMap<String, String>,
    /// When the last event indexed happened.
    last_at: SimTime,
}

impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("indexed", &self.indexed)
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Builds every index in one pass over the trace.
    pub fn build(trace: &Trace) -> Index {
        Index::build_for(trace, Needs::Views)
    }

    /// Builds, in the same one pass, only the indexes `needs` names.
    pub fn build_for(trace: &Trace, needs: Needs) -> Index {
        let mut index = Index {
            needs,
            ..Index::default()
        };
        if needs == Needs::Facts {
            index.walk.transcriber = Transcriber::without_data_text();
        }
        index.extend(trace);
        index
    }

    /// Whether this index holds what the views read.
    fn for_views(&self) -> bool {
        self.needs == Needs::Views
    }

    /// Indexes the events appended to `trace` since the last call (or
    /// since `build`). The trace must be the one indexed so far, grown
    /// only at its end.
    pub fn extend(&mut self, trace: &Trace) {
        let events = trace.events();
        let start = self.walk.indexed.min(events.len());
        if self.for_views() {
            self.session_of_event.resize(events.len(), None);
        }
        for event in &events[start..] {
            // A connection's first event is its Connect: the session
            // exists before anything names it.
            if let EventKind::Connect {
                conn,
                from,
                to,
                protocol,
                ..
            } = event.kind
            {
                self.by_conn.insert(conn, self.sessions.len());
                self.add_link(from, to);
                self.sessions.push(Session {
                    last_seq: event.seq,
                    connection: Connection {
                        conn,
                        seq: event.seq,
                        at: event.at,
                        from,
                        to,
                        protocol,
                    },
                    outcome: Outcome::Open,
                    lines: Vec::new(),
                });
            }
            let lines = if self.needs == Needs::Sessions {
                Vec::new()
            } else {
                self.walk.transcriber.feed(event)
            };
            for line in lines {
                let number = self.walk.lines_seen;
                self.walk.lines_seen += 1;
                let session = self.by_conn.get(&line.conn).copied();
                if self.for_views() {
                    self.line_texts.push(&line.text);
                } else {
                    if continued(&line) || self.continues_data(session, &line) {
                        continue;
                    }
                    self.numbers.push(number);
                }
                if let Some(s) = session {
                    self.sessions[s].lines.push(self.lines.len());
                }
                self.lines.push(line);
            }
            self.note(event);
            if self.for_views() {
                self.index_for_views(event);
            }
            self.time_disorder |= event.at < self.walk.last_at;
            self.walk.last_at = event.at;
        }
        self.walk.indexed = events.len();
    }

    /// Whether `line` is message data that follows data of the same
    /// exchange in its session: facts read no data text, only where an
    /// exchange's client lines begin, and a message is most of its
    /// session's lines (issue 14 §1).
    fn continues_data(&self, session: Option<usize>, line: &Line) -> bool {
        let data = |l: &Line| matches!(l.kind, LineKind::Data | LineKind::Chunk);
        data(line)
            && session
                .and_then(|s| self.sessions[s].lines.last())
                .map(|&last| &self.lines[last])
                .is_some_and(|last| {
                    data(last) && last.dir == line.dir && last.exchange == line.exchange
                })
    }

    /// The number of `lines[i]` among all lines, as the views' index
    /// numbers them (the same `i` for an index built for views).
    pub fn number(&self, i: usize) -> usize {
        if self.for_views() { i } else { self.numbers[i] }
    }

    /// The line numbered `number` among all lines, if this index keeps it.
    pub fn line(&self, number: usize) -> Option<&Line> {
        if self.for_views() {
            return self.lines.get(number);
        }
        let i = self.numbers.binary_search(&number).ok()?;
        Some(&self.lines[i])
    }

    /// The events list's tags and postings and the DNS views' datagrams,
    /// for one event.
    fn index_for_views(&mut self, event: &super::Event) {
        let tag = self.tag_of(event);
        self.file(event.seq, &tag);
        self.tags.push(tag);
        if let EventKind::Datagram { from, to, data, .. } = &event.kind {
            self.datagrams.push(event.seq);
            let width = super::describe::dns_label(data.as_bytes()).width();
            let pair = ((*from).min(*to), (*from).max(*to));
            self.dns_links
                .entry(pair)
                .or_default()
                .push(event.seq, width);
        }
    }

    /// How many events of the trace are indexed.
    pub fn indexed(&self) -> usize {
        self.walk.indexed
    }

    fn tag_of(&self, event: &super::Event) -> Tag {
        let hosts = match &event.kind {
            EventKind::Connect { from, to, .. }
            | EventKind::Datagram { from, to, .. }
            | EventKind::Stalled { from, to, .. }
            | EventKind::Reordered { from, to, .. }
            | EventKind::Duplicated { from, to } => [Some(*from), Some(*to)],
            EventKind::Bytes { conn, .. }
            | EventKind::Tls { conn, .. }
            | EventKind::Accept { conn }
            | EventKind::Close { conn, .. }
            | EventKind::Refused { conn }
            | EventKind::Reset { conn, .. }
            | EventKind::Unreachable { conn } => self.session(*conn).map_or([None, None], |s| {
                [Some(s.connection.from), Some(s.connection.to)]
            }),
            EventKind::NoRoute { from, .. } => [Some(*from), None],
            EventKind::Composed { host, .. }
            | EventKind::Queued { host, .. }
            | EventKind::Attempting { host, .. }
            | EventKind::Relayed { host, .. }
            | EventKind::Delivered { host, .. }
            | EventKind::Dequeued { host, .. }
            | EventKind::Removed { host, .. }
            | EventKind::Deferred { host, .. }
            | EventKind::Bounced { host, .. }
            | EventKind::Notified { host, .. }
            | EventKind::Expired { host, .. }
            | EventKind::LoopDetected { host, .. }
            | EventKind::Resolved { host, .. }
            | EventKind::Retrieved { host, .. }
            | EventKind::Wake { host, .. }
            | EventKind::WhatIf { host, .. }
            | EventKind::HostDown { host, .. }
            | EventKind::SlowReply { host, .. }
            | EventKind::HostUp { host } => [Some(*host), None],
        };
        Tag {
            dns: matches!(
                event.kind,
                EventKind::Datagram { .. } | EventKind::Resolved { .. }
            ),
            failure: super::describe::is_failure(event),
            hosts,
        }
    }

    /// Files an event under its classes, for the events list's filters.
    fn file(&mut self, seq: u64, tag: &Tag) {
        self.events_all.push(seq, tag);
        let hosts = match tag.hosts {
            [Some(a), Some(b)] if a == b => [Some(a), None],
            hosts => hosts,
        };
        for host in hosts.into_iter().flatten() {
            let h = usize::from(host.0);
            if self.events_by_host.len() <= h {
                self.events_by_host.resize_with(h + 1, Postings::default);
            }
            self.events_by_host[h].push(seq, tag);
        }
    }

    /// The events that involve `host`, by class (none: it never did
    /// anything).
    pub fn events_of(&self, host: HostId) -> Option<&Postings> {
        debug_assert!(self.for_views(), "events_of on an index built for facts");
        self.events_by_host.get(usize::from(host.0))
    }

    /// Describes, for search, the events not described yet.
    pub fn describe_for_search(&mut self, trace: &Trace) {
        debug_assert!(self.for_views(), "search on an index built for facts");
        let done = self.event_texts.len().min(trace.len());
        for e in &trace.events()[done..] {
            match e.kind {
                EventKind::Bytes { .. } => self.event_texts.push_empty(),
                _ => self
                    .event_texts
                    .push(&super::describe::event_text(trace, e)),
            }
        }
    }

    /// The events described for search so far.
    pub fn event_texts(&self) -> &Texts {
        &self.event_texts
    }

    /// Whether simulated time never goes back from one event to the next,
    /// so that the last of some events is also the latest.
    pub fn times_ordered(&self) -> bool {
        !self.time_disorder
    }

    /// The sessions `host` tried that were refused or never answered,
    /// whose Connect lies in `connects` (seqs), in the order of their
    /// Connect.
    pub fn failed_from(
        &self,
        host: HostId,
        connects: Range<u64>,
    ) -> impl Iterator<Item = &Session> {
        let failed = self.failed_from.get(&host).map_or(&[][..], Vec::as_slice);
        let seq = |s: &usize| self.sessions[*s].connection.seq;
        let start = failed.partition_point(|s| seq(s) < connects.start);
        let end = failed.partition_point(|s| seq(s) < connects.end);
        failed[start..end.max(start)]
            .iter()
            .map(|&s| &self.sessions[s])
    }

    /// Notes that session `s` failed, keeping the host's list in the
    /// order of Connect (a later Connect may fail first).
    fn note_failed(&mut self, s: usize) {
        let from = self.sessions[s].connection.from;
        let failed = self.failed_from.entry(from).or_default();
        let at = failed.partition_point(|&x| x < s);
        if failed.get(at) != Some(&s) {
            failed.insert(at, s);
        }
    }

    /// The DNS datagrams sent once `pos` events have happened: a prefix of
    /// `datagrams`.
    pub fn datagrams_at(&self, pos: usize) -> &[u64] {
        debug_assert!(self.for_views(), "datagrams_at on an index built for facts");
        let n = self.datagrams.partition_point(|&seq| (seq as usize) < pos);
        &self.datagrams[..n]
    }

    fn add_link(&mut self, a: HostId, b: HostId) {
        let pair = if a <= b { (a, b) } else { (b, a) };
        if !self.links.contains(&pair) {
            self.links.push(pair);
        }
    }

    fn session_mut(&mut self, conn: ConnId, seq: u64) -> Option<&mut Session> {
        let s = *self.by_conn.get(&conn)?;
        if let Some(slot) = self.session_of_event.get_mut(seq as usize) {
            *slot = Some(s as u32);
        }
        let session = &mut self.sessions[s];
        session.last_seq = session.last_seq.max(seq);
        Some(session)
    }

    fn mention(&mut self, message_id: &str, seq: u64) {
        let events = self
            .message_events
            .entry(message_id.to_owned())
            .or_insert_with(|| {
                self.messages.push(message_id.to_owned());
                Vec::new()
            });
        events.push(seq);
    }

    fn note(&mut self, event: &super::Event) {
        let seq = event.seq;
        match &event.kind {
            EventKind::Connect { conn, .. }
            | EventKind::Accept { conn }
            | EventKind::Bytes { conn, .. }
            | EventKind::Close { conn, .. } => {
                self.session_mut(*conn, seq);
            }
            EventKind::Refused { conn } => {
                if let Some(s) = self.session_mut(*conn, seq) {
                    s.outcome = Outcome::Refused;
                }
                if let Some(&s) = self.by_conn.get(conn) {
                    self.note_failed(s);
                }
            }
            EventKind::Unreachable { conn } => {
                if let Some(s) = self.session_mut(*conn, seq) {
                    s.outcome = Outcome::Unreachable;
                }
                if let Some(&s) = self.by_conn.get(conn) {
                    self.note_failed(s);
                }
            }
            EventKind::Datagram { from, to, .. } => self.add_link(*from, *to),
            EventKind::Composed { message_id, .. } => self.mention(message_id, seq),
            EventKind::Retrieved { rest, .. } => {
                if let Some(message_id) = &rest.message_id {
                    self.mention(message_id, seq);
                }
            }
            EventKind::Queued {
                host,
                queue_id,
                rest,
            } => {
                let message_id = &rest.message_id;
                self.walk
                    .queue_of
                    .insert(queue_id.clone(), message_id.clone());
                self.queued.entry(*host).or_default().add(seq, 1);
                self.mention(message_id, seq);
            }
            EventKind::Dequeued { host, .. } => self.queued.entry(*host).or_default().add(seq, -1),
            EventKind::Delivered { host, rest, .. } => {
                self.stored.entry(*host).or_default().add(seq, 1);
                self.mention(&rest.message_id, seq);
            }
            EventKind::Removed { host, uids, .. } => {
                self.stored
                    .entry(*host)
                    .or_default()
                    .add(seq, -(uids.len() as i64));
            }
            EventKind::Attempting { queue_id, conn, .. } => {
                if let Some(message_id) = self.walk.queue_of.get(queue_id).cloned() {
                    self.mention(&message_id, seq);
                    // The session that carries it belongs to the message too.
                    if let Some(&s) = self.by_conn.get(conn) {
                        let connect = self.sessions[s].connection.seq;
                        self.mention(&message_id, connect);
                    }
                }
            }
            EventKind::Deferred { queue_id, .. }
            | EventKind::Relayed { queue_id, .. }
            | EventKind::Bounced { queue_id, .. }
            | EventKind::Notified { queue_id, .. }
            | EventKind::Expired { queue_id, .. } => {
                if let Some(message_id) = self.walk.queue_of.get(queue_id).cloned() {
                    self.mention(&message_id, seq);
                }
            }
            _ => {}
        }
        if let EventKind::Queued { rest, .. } = &event.kind
            && let Some(conn) = &rest.conn
            && let Some(&s) = self.by_conn.get(conn)
        {
            // The submission or relay session that brought it here.
            let connect = self.sessions[s].connection.seq;
            let message_id = rest.message_id.clone();
            self.mention(&message_id, connect);
        }
    }

    /// The session of `conn`.
    pub fn session(&self, conn: ConnId) -> Option<&Session> {
        self.by_conn.get(&conn).map(|&s| &self.sessions[s])
    }

    /// The session a wire event belongs to.
    pub fn session_of(&self, seq: u64) -> Option<&Session> {
        debug_assert!(self.for_views(), "session_of on an index built for facts");
        let s = (*self.session_of_event.get(seq as usize)?)?;
        Some(&self.sessions[s as usize])
    }

    /// The lines of a session that have been sent once `pos` events happened.
    pub fn lines_at(&self, session: &Session, pos: usize) -> usize {
        session
            .lines
            .partition_point(|&i| (self.lines[i].seq as usize) < pos)
    }

    /// The lines of `session` that event `seq` completes (indices into
    /// `lines`), found by binary search rather than by a walk.
    pub fn event_lines<'a>(&self, session: &'a Session, seq: u64) -> &'a [usize] {
        let start = session.lines.partition_point(|&i| self.lines[i].seq < seq);
        let end = session.lines.partition_point(|&i| self.lines[i].seq <= seq);
        &session.lines[start..end]
    }

    /// The lines of event `seq` a person stops at, one by one: every
    /// command and reply line, and each run of message data as one stop
    /// (its last line: the final dot when the data ended there).
    pub fn stops_of(&self, seq: u64) -> Vec<usize> {
        let Some(session) = self.session_of(seq) else {
            return Vec::new();
        };
        let lines = self.event_lines(session, seq);
        let data = |i: usize| matches!(self.lines[i].kind, LineKind::Data | LineKind::Chunk);
        lines
            .iter()
            .enumerate()
            .filter(|&(k, &i)| !data(i) || lines.get(k + 1).is_none_or(|&next| !data(next)))
            .map(|(_, &i)| i)
            .collect()
    }

    /// Sorted, deduplicated seqs of a message's events.
    pub fn message_seqs(&self, message_id: &str) -> Vec<u64> {
        let mut seqs = self
            .message_events
            .get(message_id)
            .cloned()
            .unwrap_or_default();
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_answer_for_any_playhead() {
        let mut s = Steps::default();
        s.add(3, 1);
        s.add(5, 1);
        s.add(9, -1);
        assert_eq!(
            (s.at(0), s.at(3), s.at(4), s.at(6), s.at(10)),
            (0, 0, 1, 2, 1)
        );
    }

    /// An index built for facts holds, for every bundled scenario, the
    /// same sessions, lines and message events as the views' index, but of
    /// message data only the first line of each run, without its text, of
    /// a multi-line SMTP reply only its last line, and none of what only
    /// the views read; one built for sessions alone holds no line.
    #[test]
    fn an_index_for_facts_holds_what_facts_read_and_no_more() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let trace = crate::sim::run(&plan).trace;
            let (full, facts) = (Index::build(&trace), Index::build_for(&trace, Needs::Facts));
            let data = |l: &Line| matches!(l.kind, LineKind::Data | LineKind::Chunk);
            for (i, line) in facts.lines.iter().enumerate() {
                let number = facts.number(i);
                let mut same = full.lines[number].clone();
                if data(&same) {
                    same.text = Default::default();
                }
                assert_eq!(*line, same, "{name}");
                assert_eq!(facts.line(number), Some(line), "{name}");
            }
            // Every line but data that continues data and a reply line
            // that another line of its reply follows is kept.
            for (number, line) in full.lines.iter().enumerate() {
                let before = full.session(line.conn).and_then(|s| {
                    let k = s.lines.iter().position(|&i| i == number)?;
                    Some(&full.lines[*s.lines.get(k.checked_sub(1)?)?])
                });
                let continues = data(line)
                    && before.is_some_and(|b| {
                        data(b) && b.dir == line.dir && b.exchange == line.exchange
                    });
                let reply_goes_on = matches!(line.kind, LineKind::Reply { code: Some(_) })
                    && line.text.get(3..4) == Some("-");
                assert_eq!(
                    facts.line(number).is_none(),
                    continues || reply_goes_on,
                    "{name} {number}"
                );
            }
            assert_eq!(facts.sessions.len(), full.sessions.len(), "{name}");
            for (a, b) in facts.sessions.iter().zip(&full.sessions) {
                let kept: Vec<usize> = a.lines.iter().map(|&i| facts.number(i)).collect();
                let all: Vec<usize> = b
                    .lines
                    .iter()
                    .copied()
                    .filter(|&n| facts.line(n).is_some())
                    .collect();
                assert_eq!(
                    (&a.connection, a.outcome, &kept, a.last_seq),
                    (&b.connection, b.outcome, &all, b.last_seq),
                    "{name}"
                );
                assert!(facts.session(a.connection.conn).is_some(), "{name}");
            }
            assert_eq!(facts.message_events, full.message_events, "{name}");
            let sessions = Index::build_for(&trace, Needs::Sessions);
            assert!(sessions.lines.is_empty(), "{name}");
            assert_eq!(sessions.sessions.len(), full.sessions.len(), "{name}");
            for (a, b) in sessions.sessions.iter().zip(&full.sessions) {
                assert_eq!(
                    (&a.connection, a.outcome, a.last_seq, a.lines.is_empty()),
                    (&b.connection, b.outcome, b.last_seq, true),
                    "{name}"
                );
            }
            assert_eq!(
                (
                    &sessions.message_events,
                    &sessions.messages,
                    &sessions.links
                ),
                (&full.message_events, &full.messages, &full.links),
                "{name}"
            );
            assert!(!full.tags.is_empty(), "{name}");
            assert!(
                facts.tags.is_empty() && facts.session_of_event.is_empty(),
                "{name}"
            );
            assert!(
                facts.line_texts.is_empty() && facts.dns_links.is_empty(),
                "{name}"
            );
        }
    }
}
