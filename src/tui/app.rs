//! The dashboard's state: a run, its indexes, and a playhead. Everything
//! on screen is a function of these; the view states kept here are small
//! (a selection, a scroll offset, a filter), one per view. A live run
//! grows at its end (`extend`); nothing already shown changes.

use std::time::Duration;

use crate::scenario::expect::Verdict;
use crate::trace::describe::event_text;
use crate::trace::index::{Index, Session};
use crate::trace::search::Query;
use crate::trace::state::State;
use crate::trace::{ConnId, Event, EventKind, SimTime, Trace};

use super::live::LiveState;
use super::predict::{Phase, Predict};
use super::theme::Theme;

/// The screens, one key each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Map, transcript, explanation.
    Main,
    /// The sequence (ladder) diagram of the followed message.
    Ladder,
    /// Envelope beside letter, Received chain bottom-up.
    Letter,
    /// Queues and mailboxes at the playhead.
    Queues,
    /// Zones, and queries with their answers.
    Dns,
    /// Every event, filterable.
    Events,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Main,
        View::Ladder,
        View::Letter,
        View::Queues,
        View::Dns,
        View::Events,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Main => "1 Flow",
            View::Ladder => "2 Ladder",
            View::Letter => "3 Letter",
            View::Queues => "4 Queues",
            View::Dns => "5 DNS",
            View::Events => "6 Events",
        }
    }
}

/// Which pane of the main view takes scroll keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Map,
    Transcript,
    Explain,
}

/// Playback speeds, in steps per second at "1×" times this factor.
pub const SPEEDS: [f64; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0];

/// A quiet stretch longer than this is compressed and announced.
pub const GAP: Duration = Duration::from_secs(60);

/// What the events view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Hide DNS datagrams and lookups.
    pub hide_dns: bool,
    /// Only failures: refused, deferred, bounced, expired, loops, 4xx/5xx.
    pub failures_only: bool,
    /// Only events of this host (index into the trace's hosts).
    pub host: Option<u16>,
}

/// The small per-view states.
#[derive(Debug, Clone, Default)]
pub struct ViewStates {
    /// Lines scrolled up from the bottom of the transcript; 0 follows.
    pub transcript_back: usize,
    pub explain_scroll: u16,
    pub events_filter: EventFilter,
    /// Selected row in the events view (an index into the filtered list).
    pub events_selected: usize,
    /// Selected Received line in the letter view.
    pub letter_selected: usize,
    /// Scroll of the ladder, queue and DNS views.
    pub scroll: u16,
    /// The transcript shows what an eavesdropper on the link sees: the
    /// TLS records in place of the lines read inside them.
    pub eavesdrop: bool,
    /// Lines the help overlay is scrolled down (a short screen).
    pub help_scroll: u16,
}

/// What covers the dashboard and takes the keys: at most one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    /// The keys and symbols; any key closes it.
    Help,
    /// A `/` query being typed in the status bar.
    Search,
    /// Predict mode's question, then its reveal (`App::predict`).
    Predict,
    /// The what-if menu of the point under the playhead.
    WhatIf,
    /// What a what-if changed, run beside run.
    Changes,
}

/// The run being shown: finished, or live and growing at its end.
pub struct World {
    pub title: String,
    pub about: String,
    pub trace: Trace,
    pub index: Index,
    pub verdicts: Vec<Verdict>,
    /// The plan it was run from, for what-ifs; `None` for a recording or
    /// a live world.
    pub plan: Option<crate::plan::Plan>,
}

impl World {
    /// A finished run, from a scenario just run or a recording: its
    /// expectations checked and its trace indexed.
    pub fn of(run: crate::record::Recording) -> World {
        let verdicts = run.verdicts();
        let index = Index::build(&run.trace);
        World {
            title: run.title,
            about: run.about,
            trace: run.trace,
            index,
            verdicts,
            plan: None,
        }
    }

    /// Runs `plan` on the simulated clock, keeping it for what-ifs.
    pub fn run(plan: crate::plan::Plan) -> World {
        let run = crate::sim::run(&plan);
        World {
            plan: Some(plan.clone()),
            ..World::of(crate::record::Recording::of(&plan, run))
        }
    }
}

pub struct App {
    pub world: World,
    /// Queues and mailboxes at any playhead, grown with the trace.
    pub state: State,
    /// How many events have happened: 0 ..= trace length.
    pub pos: usize,
    /// Which stop of the current event is selected, when it carries
    /// several lines (a pipelined group, a multi-line reply): an index
    /// into `Index::stops_of`. Every line can be read on its own.
    pub part: usize,
    pub playing: bool,
    pub speed: usize,
    pub view: View,
    pub focus: Focus,
    /// A session the user chose; `None` follows the playhead.
    pub pinned: Option<ConnId>,
    /// The message followed by the ladder and letter views and `{ }`.
    pub follow: Option<String>,
    /// What covers the dashboard and takes the keys, if anything.
    pub overlay: Overlay,
    pub theme: Theme,
    /// The `/` query: typed while the search overlay is open, kept after
    /// it closes so that `n` finds the next match.
    pub search: String,
    /// A short message in the status bar (search results, jumps).
    pub notice: Option<String>,
    /// Progress (0..1) of the animation of the current step.
    pub progress: f64,
    pub views: ViewStates,
    pub quit: bool,
    /// Set when the world is still running (`mailflow serve`).
    pub live: Option<LiveState>,
    /// Set while the world shown is still computing (`mailflow tui`).
    pub computing: Option<super::compute::Computing>,
    /// Predict mode: the quiz before server replies, and its score.
    pub predict: Predict,
    /// The what-if menu and the branch it made, if any.
    pub whatif: super::whatif::WhatIf,
    /// The console, when the student types as a host of the world.
    pub console: Option<Box<super::console::Console>>,
    /// The scenario's lesson, when one is walked.
    pub lesson: super::lesson::Guide,
    /// Where the last draw put the panes that take clicks: the mouse
    /// reads this, so a click lands on what is on screen.
    pub drawn: std::cell::Cell<super::ui::Drawn>,
}

impl App {
    pub fn new(world: World, theme: Theme) -> App {
        let follow = world.index.messages.first().cloned();
        App {
            state: State::build(&world.trace),
            world,
            pos: 0,
            part: 0,
            playing: false,
            speed: 2,
            view: View::Main,
            focus: Focus::Transcript,
            pinned: None,
            follow,
            overlay: Overlay::None,
            theme,
            search: String::new(),
            notice: None,
            progress: 1.0,
            views: ViewStates::default(),
            quit: false,
            live: None,
            computing: None,
            predict: Predict::default(),
            whatif: Default::default(),
            console: None,
            lesson: Default::default(),
            drawn: Default::default(),
        }
    }

    /// Appends events recorded after the last one (a live world) and
    /// indexes them; returns how many. The playhead, pin, selection and
    /// scrolls keep their meaning: they point at events that do not move.
    /// The first message to appear is followed when none was.
    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) -> usize {
        let before = self.len();
        for event in events {
            // Seqs are positions; the sender numbers them the same way.
            let seq = self.world.trace.push(event.at, event.kind);
            debug_assert_eq!(seq, event.seq, "live events arrive in order");
        }
        let added = self.len() - before;
        if added == 0 {
            return 0;
        }
        self.world.index.extend(&self.world.trace);
        self.state.extend(&self.world.trace);
        if self.follow.is_none() {
            self.follow = self.world.index.messages.first().cloned();
        }
        self.note_arrivals(added);
        added
    }

    pub fn trace(&self) -> &Trace {
        &self.world.trace
    }

    pub fn len(&self) -> usize {
        self.world.trace.len()
    }

    pub fn is_empty(&self) -> bool {
        self.world.trace.is_empty()
    }

    /// The event at the playhead: the last one that happened.
    pub fn current(&self) -> Option<&Event> {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.world.trace.events().get(i))
    }

    /// Simulated time at the playhead.
    pub fn now(&self) -> SimTime {
        self.current().map_or(SimTime::ZERO, |e| e.at)
    }

    /// The session shown in the transcript: the pinned one, else the one
    /// the playhead is in, else the last one that started before it.
    pub fn session(&self) -> Option<&Session> {
        let index = &self.world.index;
        if let Some(conn) = self.pinned {
            return index.session(conn);
        }
        if let Some(s) = self.current().and_then(|e| index.session_of(e.seq)) {
            return Some(s);
        }
        let before = index
            .sessions
            .partition_point(|s| (s.connection.seq as usize) < self.pos);
        before.checked_sub(1).map(|i| &index.sessions[i])
    }

    /// Moves the playhead to `pos`, clamped, on the first line of its
    /// event; the animation restarts.
    pub fn seek(&mut self, pos: usize) {
        let pos = pos.min(self.len());
        if pos != self.pos || self.part != 0 {
            self.pos = pos;
            self.part = 0;
            self.progress = 0.0;
            self.views.transcript_back = 0;
            self.views.explain_scroll = 0;
        }
    }

    /// Moves the playhead to transcript line `line` (an index into
    /// `Index::lines`): its event, and that line selected within it.
    pub fn seek_line(&mut self, line: usize) {
        let Some(seq) = self.world.index.lines.get(line).map(|l| l.seq) else {
            return;
        };
        self.seek(seq as usize + 1);
        let stops = self.world.index.stops_of(seq);
        // A data line is read with its run: the stop at or after it.
        self.part = stops
            .iter()
            .position(|&i| i >= line)
            .unwrap_or(stops.len().saturating_sub(1));
    }

    /// The stops of the current event: its lines a person reads one by one.
    pub fn stops(&self) -> Vec<usize> {
        self.current()
            .map(|e| self.world.index.stops_of(e.seq))
            .unwrap_or_default()
    }

    /// The transcript line under the playhead (an index into
    /// `Index::lines`), when the current event carries lines.
    pub fn selected_line(&self) -> Option<usize> {
        let stops = self.stops();
        stops
            .get(self.part.min(stops.len().saturating_sub(1)))
            .copied()
    }

    /// One step forward: the next line of the current event, else the
    /// next event. Every event is a step, so the counter never jumps.
    /// In predict mode, a step onto an event that carries a server's
    /// reply opens a question instead (see `ask_before_next`).
    pub fn step_forward(&mut self) {
        if self.part + 1 < self.stops().len() {
            self.part += 1;
            self.views.explain_scroll = 0;
        } else if self.computing.is_some() && !super::placing::may_step(self) {
            // The world has not reached (or placed) the next event yet.
            if let Some(note) = super::placing::waiting_note(self) {
                self.notice = Some(note);
            }
            return;
        } else if self.ask_before_next() {
            return;
        } else {
            self.seek(self.pos + 1);
        }
        self.progress = 0.0;
    }

    /// How far the playhead may step: the end of the trace, or, while the
    /// world computes and a question or lesson step waits for its event,
    /// the end of what they have been placed on.
    pub fn edge(&self) -> usize {
        let len = self.len();
        self.computing.as_ref().map_or(len, |c| c.edge(len))
    }

    /// Predict mode: when the next event carries a reply not asked about
    /// yet, stops playback and asks; true when it did. The playhead stays
    /// before the reply, so no view can show it.
    pub fn ask_before_next(&mut self) -> bool {
        if !self.predict.asks_at(self.pos as u64) || self.pos >= self.len() {
            return false;
        }
        let (trace, index) = (&self.world.trace, &self.world.index);
        let Some(question) = self.predict.next_question(trace, index, self.pos as u64) else {
            return false;
        };
        self.predict.resume |= self.playing;
        self.playing = false;
        self.predict.phase = Some(Phase::Asking(question));
        self.overlay = Overlay::Predict;
        true
    }

    /// After a reveal (or a skip): the next reply of the same event is
    /// asked, else the playhead moves onto the event as a step would, and
    /// playback runs on if a question stopped it.
    pub fn continue_after_question(&mut self) {
        self.predict.phase = None;
        self.overlay = Overlay::None;
        if self.ask_before_next() {
            return;
        }
        self.seek(self.pos + 1);
        self.progress = 0.0;
        self.playing = std::mem::take(&mut self.predict.resume);
    }

    /// Turns predict mode on or off; off drops an open question (kept as
    /// skipped: it was asked).
    pub fn toggle_predict(&mut self) {
        self.predict.on = !self.predict.on;
        if self.predict.on {
            self.notice = Some(
                "predict on: playback stops before each server reply and asks what it will be"
                    .into(),
            );
        } else {
            self.predict.skip();
            self.predict.phase = None;
            self.predict.resume = false;
            if self.overlay == Overlay::Predict {
                self.overlay = Overlay::None;
            }
            self.notice = Some(format!("predict off: {}", self.predict.score()));
        }
    }

    /// One step back: the previous line of the current event, else the
    /// last line of the previous event.
    pub fn step_back(&mut self) {
        if self.part > 0 {
            self.part -= 1;
            self.views.explain_scroll = 0;
        } else {
            self.seek(self.pos.saturating_sub(1));
            self.part = self.stops().len().saturating_sub(1);
        }
        self.progress = 1.0;
    }

    /// To the start of the next (or previous) session.
    pub fn jump_session(&mut self, forward: bool) {
        let starts = self
            .world
            .index
            .sessions
            .iter()
            .map(|s| s.connection.seq as usize + 1);
        let target = if forward {
            starts.filter(|&p| p > self.pos).min()
        } else {
            starts.filter(|&p| p < self.pos).max()
        };
        match target {
            Some(p) => {
                self.pinned = None;
                self.seek(p);
            }
            None => self.notice = Some("no more sessions that way".into()),
        }
    }

    /// To the next (or previous) event of the followed message.
    pub fn jump_hop(&mut self, forward: bool) {
        let Some(id) = self.follow.clone() else {
            self.notice = Some("follow a message first: press f".into());
            return;
        };
        let seqs = self.world.index.message_seqs(&id);
        let positions = seqs.iter().map(|&s| s as usize + 1);
        let target = if forward {
            positions.filter(|&p| p > self.pos).min()
        } else {
            positions.filter(|&p| p < self.pos).max()
        };
        match target {
            Some(p) => {
                self.pinned = None;
                self.seek(p);
            }
            None => self.notice = Some(format!("no more hops of {id} that way")),
        }
    }

    /// Follows the next message in turn (f).
    pub fn cycle_follow(&mut self) {
        let messages = &self.world.index.messages;
        if messages.is_empty() {
            self.notice = Some("this run has no messages to follow".into());
            return;
        }
        let next = match &self.follow {
            Some(id) => messages
                .iter()
                .position(|m| m == id)
                .map_or(0, |i| (i + 1) % messages.len()),
            None => 0,
        };
        self.follow = Some(messages[next].clone());
        self.notice = Some(format!("following {}", messages[next]));
    }

    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }

    /// How long the current step lasts at the current speed; a step that
    /// crosses a long quiet gap lingers so the announcement can be read.
    pub fn step_duration(&self) -> Duration {
        let base = match self.current().map(|e| &e.kind) {
            Some(EventKind::Bytes { .. } | EventKind::Datagram { .. }) => 0.8,
            _ => 0.5,
        };
        let gap = if self.gap_before().is_some() {
            1.5
        } else {
            0.0
        };
        Duration::from_secs_f64((base + gap) / SPEEDS[self.speed])
    }

    /// The quiet stretch just before the current event, when long.
    pub fn gap_before(&self) -> Option<Duration> {
        let events = self.world.trace.events();
        let cur = self.pos.checked_sub(1)?;
        let prev = cur.checked_sub(1).map_or(SimTime::ZERO, |p| events[p].at);
        let gap = events[cur].at.duration().saturating_sub(prev.duration());
        (gap >= GAP).then_some(gap)
    }

    /// The first match of `query` at a playhead in `within`, in playhead
    /// order, that `wanted` takes: `(position, None)` for an event's
    /// description, then `(position, Some(line))` for each of its
    /// transcript lines. It stops at the first, so a search costs the
    /// distance to the next match rather than the whole trace, and it
    /// reads only the texts the index cannot rule out.
    fn first_match(
        &self,
        query: &Query,
        within: std::ops::RangeInclusive<usize>,
        wanted: impl Fn((usize, Option<usize>)) -> bool,
    ) -> Option<(usize, Option<usize>)> {
        let trace = &self.world.trace;
        let index = &self.world.index;
        let (lines, events) = (&index.lines, index.event_texts());
        let first = (*within.start()).max(1);
        let last = (*within.end()).min(trace.len());
        let line_end = lines.partition_point(|l| (l.seq as usize) < last);
        let line_start = lines.partition_point(|l| (l.seq as usize) + 1 < first);
        let mut event = events.next_candidate(first - 1, last, query);
        let mut line = index.line_texts.next_candidate(line_start, line_end, query);
        loop {
            // The earlier candidate, by (seq, line or not, index): an
            // event comes before its own lines.
            let candidates = [
                event.map(|i| (i, false, i)),
                line.map(|l| (lines[l].seq as usize, true, l)),
            ];
            let (seq, is_line, k) = candidates.into_iter().flatten().min()?;
            if is_line {
                if wanted((seq + 1, Some(k))) && contains_folded(&lines[k].text, query.text()) {
                    return Some((seq + 1, Some(k)));
                }
                line = index.line_texts.next_candidate(k + 1, line_end, query);
            } else {
                let e = &trace.events()[seq];
                if !matches!(e.kind, EventKind::Bytes { .. })
                    && wanted((seq + 1, None))
                    && contains_folded(&event_text(trace, e), query.text())
                {
                    return Some((seq + 1, None));
                }
                event = events.next_candidate(seq + 1, last, query);
            }
        }
    }

    /// Searches transcript lines and event descriptions for the query,
    /// from just after the line under the playhead (wrapping round), and
    /// jumps there: a line found is selected on its own, even inside a
    /// pipelined group.
    pub fn search_next(&mut self) {
        let query = Query::new(&self.search.to_lowercase());
        if query.text().is_empty() {
            return;
        }
        self.world.index.describe_for_search(&self.world.trace);
        let here = (self.pos, self.selected_line());
        // The first match after here, else (wrapping round) the first of
        // all: it lies at or before here.
        let found = self
            .first_match(&query, here.0..=self.len(), |hit| hit > here)
            .or_else(|| self.first_match(&query, 0..=here.0, |_| true));
        match found {
            Some((pos, line)) => {
                self.pinned = None;
                match line {
                    Some(line) => self.seek_line(line),
                    None => self.seek(pos),
                }
                self.notice = Some(format!("found \"{}\" at event {pos}", self.search));
            }
            None => self.notice = Some(format!("\"{}\" is not in this run", self.search)),
        }
    }
}

/// Does `text` contain `query` (already lower case), ignoring case? ASCII
/// is compared in place, without a lower-case copy of every line searched;
/// anything else is lowered first (a few letters lower into ASCII: K).
fn contains_folded(text: &str, query: &str) -> bool {
    if !query.is_ascii() || !text.is_ascii() {
        return text.to_lowercase().contains(query);
    }
    let (text, query) = (text.as_bytes(), query.as_bytes());
    query.is_empty()
        || text
            .windows(query.len())
            .any(|w| w.eq_ignore_ascii_case(query))
}
