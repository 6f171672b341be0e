//! Live mode: the dashboard over a world that is still running (`mailflow
//! serve`). Events come through a channel as they are recorded; the trace
//! and its index grow at their end, and the playhead follows the live edge.
//!
//! * Playing: the playhead animates each new event at the chosen speed and
//!   waits at the live edge instead of stopping. When it is more than
//!   `BACKLOG` events behind (a flood of mail, or Space after a long pause)
//!   it plays faster, by the square of how far behind it is (in backlogs),
//!   taking up to `MAX_STEPS_PER_FRAME` steps a frame: a backlog of a few
//!   thousand events shrinks to `BACKLOG` in about 20 s at 1× (less when
//!   faster), and the last `BACKLOG` events play at the chosen speed.
//! * Paused: new events are counted, not shown; the playhead stays put.
//! * When the channel disconnects the world has stopped: the dashboard then
//!   behaves as over a finished run.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use super::app::{App, World};
use super::theme::Theme;
use crate::trace::Event;

/// What the status bar says about a live world.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// What listens for real clients, one line each, e.g.
    /// `smtp 127.0.0.1:2525 → mx.example.net:25`.
    pub listening: Vec<String>,
    /// A first command for newcomers, e.g.
    /// `swaks --server 127.0.0.1:2525 --to bob@example.net`.
    pub hint: Option<String>,
    /// Quit when the world stops, rather than stay to replay it: under
    /// `mailflow serve` the world stops on Ctrl-C or SIGTERM from outside
    /// (or an error), and the dashboard must end with it.
    pub quit_when_stopped: bool,
}

/// The dashboard's side of a live world.
#[derive(Debug, Clone)]
pub struct LiveState {
    pub about: Live,
    /// The world is still running (its channel is open).
    pub connected: bool,
    /// Events that arrived while paused, not yet shown.
    arrived_paused: usize,
}

/// How often a live dashboard looks at the channel while nothing moves on
/// screen: new events show within this, and an idle dashboard stays idle.
pub const POLL: Duration = Duration::from_millis(200);

/// How far behind the live edge playing stays at the chosen speed.
pub const BACKLOG: usize = 40;

/// The most events taken from the channel at once, so that a world that
/// sends faster than the dashboard takes never keeps it from drawing.
pub const MAX_DRAIN: usize = 65_536;

/// The most steps one frame may take while catching up.
pub const MAX_STEPS_PER_FRAME: usize = 32;

impl LiveState {
    pub fn new(about: Live) -> LiveState {
        LiveState {
            about,
            connected: true,
            arrived_paused: 0,
        }
    }
}

impl App {
    /// A dashboard over a live world, playing: it follows the live edge.
    /// A world that goes on from its recording (`serve --record`) comes
    /// with the earlier sittings' events: the playhead starts after them,
    /// where the world is now, and stepping back replays them.
    pub fn new_live(world: World, theme: Theme, live: Live) -> App {
        let mut app = App::new(world, theme);
        app.live = Some(LiveState::new(live));
        app.playing = true;
        app.seek(app.len());
        app.progress = 1.0;
        app
    }

    /// Is the world still running? (Playing then waits at the end.)
    pub fn is_live(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.connected)
    }

    /// Playing, at the live edge, the last event fully shown: nothing
    /// moves until an event arrives.
    pub fn waiting_at_live_edge(&self) -> bool {
        self.is_live() && self.playing && self.pos >= self.len() && self.progress >= 1.0
    }

    /// Events that arrived while paused and lie beyond the playhead.
    pub fn new_events(&self) -> usize {
        self.live.as_ref().map_or(0, |l| {
            l.arrived_paused.min(self.len().saturating_sub(self.pos))
        })
    }

    /// Counts events appended while paused.
    pub(super) fn note_arrivals(&mut self, count: usize) {
        if let Some(live) = &mut self.live
            && !self.playing
        {
            live.arrived_paused += count;
        }
    }

    /// Playing shows what arrived: nothing is new any more.
    pub(super) fn forget_arrivals(&mut self) {
        if let Some(live) = &mut self.live {
            live.arrived_paused = 0;
        }
    }

    /// How many times faster than the chosen speed playing goes now: 1
    /// within `BACKLOG` events of the live edge, (behind / BACKLOG)²
    /// beyond. Squared, so that the time to catch up hardly depends on
    /// the backlog: in proportion, a long one would take minutes.
    pub fn catch_up(&self) -> f64 {
        if !self.is_live() || !self.playing {
            return 1.0;
        }
        let behind = self.len().saturating_sub(self.pos);
        (behind as f64 / BACKLOG as f64).powi(2).max(1.0)
    }
}

/// Moves every event waiting in `feed` into the app, and notes when the
/// world has stopped. True when anything changed.
pub fn drain(app: &mut App, feed: &Receiver<Event>) -> bool {
    if !app.is_live() {
        return false;
    }
    let mut events = Vec::new();
    let stopped = loop {
        if events.len() >= MAX_DRAIN {
            // A flood: show this much now, take the rest next frame.
            break false;
        }
        match feed.try_recv() {
            Ok(event) => events.push(event),
            Err(TryRecvError::Empty) => break false,
            Err(TryRecvError::Disconnected) => break true,
        }
    };
    let changed = !events.is_empty() || stopped;
    app.extend(events);
    if stopped && let Some(live) = &mut app.live {
        live.connected = false;
        app.quit |= live.about.quit_when_stopped;
        app.notice = Some("the world has stopped: what it did stays here to replay".into());
    }
    changed
}
