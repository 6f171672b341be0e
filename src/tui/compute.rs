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
        (self.reached.duration().as_secs_f64() / self.run_for.as_secs_f64()).clamp(0.0, 1.0)
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

    /// `name`'s scenario and what dashboards place on it: the lesson and
    /// quiz of the whole run, and the placing that follows its world.
    fn placed(loaded: &crate::scenario::Loaded) -> crate::scenario::lesson::Resolved {
        let whole = crate::sim::run(&loaded.plan).trace;
        let (s, source, origin) = (&loaded.scenario, &loaded.source, &loaded.origin);
        crate::scenario::lesson::resolve(s, source, origin, &whole)
            .unwrap_or_else(|e| panic!("{origin}:\n{e}"))
    }

    fn placing(loaded: &crate::scenario::Loaded) -> Option<Placing> {
        Placing::of(&loaded.scenario, &loaded.source, &loaded.origin)
    }

    /// Issue 14 §8: `mailflow lesson NAME` opens before its world is
    /// computed, and once the world is done its dashboard holds the lesson
    /// a run computed first places, step for step, for every bundled
    /// lesson; nothing is reported broken.
    #[test]
    fn a_lesson_walked_beside_its_computing_world_ends_as_the_batch_run_places_it() {
        for name in bundled::names() {
            let loaded = crate::scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            if loaded.scenario.lesson.is_empty() && loaded.scenario.quiz.is_empty() {
                continue;
            }
            let batch = placed(&loaded);
            let classroom = crate::tui::Classroom {
                lesson: true,
                ..Default::default()
            };
            let mut app = crate::tui::computing_classroom(
                loaded.plan.clone(),
                Theme::dark(),
                classroom,
                placing(&loaded),
            );
            assert!(app.lesson.on, "{name}: the lesson is walked from the start");
            finish_blocking(&mut app);
            assert_eq!(app.lesson.lesson, batch.lesson, "{name}");
            assert_eq!(app.predict.quiz, batch.quiz, "{name}");
            assert!(app.lesson.broken.is_none(), "{name}");
            assert_eq!(
                app.lesson.progress(),
                format!("step 1/{}", batch.lesson.steps.len())
            );
        }
    }

    /// The text of the dashboard drawn at `width`×`height`.
    fn screen(app: &App, width: u16, height: u16) -> String {
        let backend = ratatui::backend::TestBackend::new(width, height);
        let mut terminal = ratatui::Terminal::new(backend).expect("a test terminal");
        terminal
            .draw(|frame| crate::tui::ui::draw(frame, app))
            .expect("drawn");
        let buffer = terminal.backend().buffer();
        buffer
            .content
            .chunks(width as usize)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A dashboard over hello's world with a quiz question at
    /// mx.example.net's reply to RCPT, fed by hand one event at a time.
    fn fed_by_hand(nth: u32) -> (App, std::sync::mpsc::SyncSender<Event>, Vec<Event>) {
        let source = bundled::source("hello").expect("bundled").replacen(
            "    lesson: [",
            &format!(
                "    quiz: [(at: Reply(from: \"mx.example.net\", command: \"RCPT\", nth: {nth}), \
                 ask: \"Which?\", choices: [\"250\", \"550\"], answer: 1)],\n    lesson: ["
            ),
            1,
        );
        let loaded = crate::scenario::parse(&source, "hello.ron").expect("loads");
        let events = crate::sim::run(&loaded.plan).trace.events().to_vec();
        let (tap, feed) = std::sync::mpsc::sync_channel(FEED);
        let header = crate::sim::header(&loaded.plan);
        let world = World {
            title: loaded.plan.title.clone(),
            about: String::new(),
            index: crate::trace::index::Index::build(&header),
            trace: header,
            verdicts: Vec::new(),
            plan: Some(loaded.plan.clone()),
        };
        let mut app = App::new(world, Theme::dark());
        app.computing = Some(Computing {
            feed,
            world: None,
            run_for: loaded.plan.run_for,
            reached: SimTime::ZERO,
            placing: placing(&loaded),
        });
        app.enter_classroom(crate::tui::Classroom {
            quiz_only: true,
            ..Default::default()
        });
        (app, tap, events)
    }

    /// Predict mode on a world slower than playback: each frame brings
    /// one event and playback races to the edge, yet the question is asked
    /// before its reply, never stepped over, and no reply is shown before
    /// it is computed.
    #[test]
    fn a_quiz_question_is_asked_before_its_reply_while_the_world_computes() {
        let (mut app, tap, events) = fed_by_hand(1);
        app.playing = true;
        let mut asked = None;
        let n = events.len();
        let mut events = events.into_iter();
        // One event a frame while the world computes, then frames until
        // the playhead reaches the end. Placement waits out its patience
        // in wall time, so a loaded machine needs more frames: the loop
        // runs on the playhead, not on a count of frames.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while app.pos < n {
            let fed = events
                .next()
                .map(|e| tap.send(e).expect("the dashboard listens"));
            let before = app.pos;
            pump(&mut app);
            crate::tui::advance(&mut app, Duration::from_secs(60));
            assert!(app.pos <= app.edge() && app.edge() <= app.len());
            if app.overlay == crate::tui::app::Overlay::Predict && asked.is_none() {
                asked = Some(app.pos);
                app.predict.answer(0);
                app.continue_after_question();
                app.playing = true;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the playhead stuck at {} of {n}",
                app.pos
            );
            if fed.is_none() && app.pos == before {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let at = asked.expect("the quiz question was asked");
        let question = &app.predict.records[0].question;
        assert_eq!(question.seq as usize, at, "asked just before its event");
        assert_eq!(app.predict.records.len(), 1);
    }

    /// A selector that finds no event in the whole run: the dashboard
    /// opened anyway, and when the world ends it names the question and
    /// its line in the file, on screen and for the quit.
    #[test]
    fn a_quiz_question_that_finds_nothing_is_shown_when_the_world_ends() {
        let (mut app, tap, events) = fed_by_hand(3);
        for e in events {
            tap.send(e).expect("the dashboard listens");
        }
        pump(&mut app);
        assert!(app.predict.quiz.is_empty());
        // The feed ended without a world thread: a run cut short places
        // nothing more; a whole one is checked as `check` does.
        let placing = app
            .computing
            .take()
            .and_then(|c| c.placing)
            .expect("placing");
        crate::tui::placing::finish(&mut app, placing);
        let unfit = app.lesson.broken.as_ref().expect("reported");
        assert_eq!(unfit.places, ["quiz question 1"]);
        let shown = screen(&app, 80, 24);
        assert!(shown.contains("does not fit"), "{shown}");
        // The quiz went in where the lesson began.
        let line = bundled::source("hello")
            .and_then(|s| s.lines().position(|l| l.starts_with("    lesson: [")))
            .expect("hello has a lesson")
            + 1;
        assert!(shown.contains(&format!("hello.ron:{line}:")), "{shown}");
        assert!(shown.contains("nth: 3) finds no"), "{shown}");
    }
}
