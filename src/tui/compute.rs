//! A world still computing under `mailflow tui`: it runs on its own
//! thread and sends each event as it happens, so the dashboard opens at
//! once over what is computed so far and grows with it, as a live world's
//! does (the index extends at its end). Unlike a live world the playhead
//! stays where the user puts it; playing waits at the end of what is
//! computed until more comes. The status bar shows the simulated time
//! reached against the run's limit until the world is done; then its
//! expectations are checked, as for a run computed first. A scenario's
//! quiz and lesson are placed as the events come (`placing`).

use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::app::{App, World};
use super::live::MAX_DRAIN;
use super::placing::{self, Placing};
use crate::plan::Plan;
use crate::sim::Run;
use crate::trace::{Event, SimTime};

/// How many events may wait between the world and the dashboard: the
/// world waits when the dashboard lags, so memory stays bounded.
const FEED: usize = 65_536;

/// The dashboard's side of a world computing on another thread.
#[derive(Debug)]
pub struct Computing {
    feed: Receiver<Event>,
    world: Option<JoinHandle<Run>>,
    /// The run's limit (`run_for`): a world may end sooner, when quiet.
    pub run_for: Duration,
    /// Simulated time of the last event received.
    pub reached: SimTime,
    /// The scenario's quiz and lesson, placed as the world reaches them.
    pub placing: Option<Placing>,
}

impl Computing {
    /// How far the world has come, 0..=1, against its limit.
    pub fn fraction(&self) -> f64 {
        if self.run_for.is_zero() {
            return 0.0;
        }
        (self.reached.0.as_secs_f64() / self.run_for.as_secs_f64()).clamp(0.0, 1.0)
    }

    /// How far the playhead may step in a trace of `len` events: while a
    /// question or step waits, no further than its placement has read.
    pub fn edge(&self, len: usize) -> usize {
        self.placing.as_ref().map_or(len, |p| p.edge(len))
    }
}

/// Starts `plan`'s world on its own thread: the world to show (its header,
/// no events yet) and the feed that brings its events.
pub fn start(plan: Plan) -> (World, Computing) {
    let (tap, feed) = std::sync::mpsc::sync_channel(FEED);
    let header = crate::sim::header(&plan);
    let run_for = plan.run_for;
    let world = World {
        title: plan.title.clone(),
        about: plan.about.clone(),
        index: crate::trace::index::Index::build(&header),
        trace: header,
        verdicts: Vec::new(),
        plan: Some(plan.clone()),
    };
    let thread = std::thread::Builder::new()
        .name("world".into())
        .spawn(move || crate::sim::run_streamed(&plan, tap))
        .ok();
    let computing = Computing {
        feed,
        world: thread,
        run_for,
        reached: SimTime::ZERO,
        placing: None,
    };
    (world, computing)
}

/// Moves the events computed since the last call into the app; when the
/// world is done, checks its expectations and forgets it. True when
/// anything changed.
pub fn pump(app: &mut App) -> bool {
    let Some(computing) = &mut app.computing else {
        return false;
    };
    let mut batch = Vec::new();
    let mut done = false;
    while batch.len() < MAX_DRAIN {
        match computing.feed.try_recv() {
            Ok(event) => batch.push(event),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                done = true;
                break;
            }
        }
    }
    if let Some(last) = batch.last() {
        computing.reached = last.at;
    }
    let changed = !batch.is_empty() || done;
    app.extend(batch);
    if done {
        finish(app);
        return true;
    }
    // Before the playhead moves onto what came: a question there is known.
    placing::update(app, false) || changed
}

/// The world has sent its last event: its expectations are checked on the
/// whole trace, and the dashboard is over a finished run.
fn finish(app: &mut App) {
    let Some(mut computing) = app.computing.take() else {
        return;
    };
    let joined = computing.world.take().map(JoinHandle::join);
    match joined {
        Some(Ok(_)) => {
            if let Some(plan) = &app.world.plan {
                app.world.verdicts = crate::scenario::expect::check(&plan.expect, &app.world.trace);
            }
            if let Some(placing) = computing.placing.take() {
                placing::finish(app, placing);
            }
        }
        _ => {
            app.notice = Some("the world stopped before its end: this run is cut short".into());
        }
    }
}

/// Waits until the world is done, taking every event: what a dashboard
/// that stays open long enough ends with.
pub fn finish_blocking(app: &mut App) {
    while app.computing.is_some() {
        if !pump(app) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::bundled;
    use crate::tui::Theme;

    /// The trace a dashboard ends with while its world computed beside it
    /// is the trace of a run computed first, byte for byte (as recorded),
    /// and so are the expectations checked, for every bundled scenario.
    #[test]
    fn a_world_computed_beside_the_dashboard_ends_with_the_batch_trace() {
        for name in bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let batch = World::run(plan.clone());
            let (world, computing) = start(plan.clone());
            let mut app = App::new(world, Theme::dark());
            app.computing = Some(computing);
            finish_blocking(&mut app);
            let bytes = |trace: &crate::trace::Trace| {
                serde_json::to_string(trace).unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            assert_eq!(
                bytes(&app.world.trace),
                bytes(&batch.trace),
                "{name}: the streamed trace differs"
            );
            assert_eq!(
                app.world.verdicts, batch.verdicts,
                "{name}: the verdicts differ"
            );
            let index = crate::trace::index::Index::build(&batch.trace);
            assert_eq!(app.world.index.tags, index.tags, "{name}");
            assert_eq!(app.world.index.lines.len(), index.lines.len(), "{name}");
        }
    }
}
