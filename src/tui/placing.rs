//! A scenario's quiz and lesson placed on its world while it computes
//! (`compute`): each step and question becomes usable once the world has
//! reached its event (`lesson::resolve_so_far`), and the playhead never
//! steps past what has been placed, so no question is stepped over before
//! it is known. When the world ends they are placed on the whole run, as
//! a run computed first places them; a selector that found nothing is
//! then shown as the error `mailflow check` reports.

use std::time::Instant;

use super::app::App;
use crate::scenario::lesson::{self, SoFar, Unfit};
use crate::scenario::schema::Scenario;

/// A placement reads the whole trace: it runs again no sooner than this
/// many times its own cost later, so a long run is not re-read each frame.
const PATIENCE: u32 = 4;

/// The scenario's quiz and lesson, and how far they are placed.
#[derive(Debug)]
pub struct Placing {
    scenario: Scenario,
    source: String,
    origin: String,
    /// The trace length of the last placement: while something waits, the
    /// playhead may step up to here and no further.
    pub seen: usize,
    /// A step or question still waits for its event.
    pub waiting: bool,
    /// When the next placement may run.
    next: Instant,
}

impl Placing {
    /// A scenario with a quiz or a lesson; `None` for one with neither.
    pub fn of(scenario: &Scenario, source: &str, origin: &str) -> Option<Placing> {
        (!scenario.lesson.is_empty() || scenario.quiz.iter().any(|q| q.at.is_some())).then(|| {
            Placing {
                scenario: scenario.clone(),
                source: source.to_owned(),
                origin: origin.to_owned(),
                seen: 0,
                waiting: true,
                next: Instant::now(),
            }
        })
    }

    /// How many steps the lesson has, placed or not.
    pub fn steps(&self) -> usize {
        self.scenario.lesson.len()
    }

    /// How far the playhead may step in a trace of `len` events.
    pub fn edge(&self, len: usize) -> usize {
        if self.waiting {
            self.seen.min(len)
        } else {
            len
        }
    }
}

/// Places what the events computed so far allow, when something waits,
/// the student has reached what is placed, and the last placement is not
/// too recent; `force` places now. True when anything changed.
pub fn update(app: &mut App, force: bool) -> bool {
    let len = app.len();
    // Only a student who has reached what is placed needs more: the
    // playhead at its edge, or the lesson at a step not placed yet.
    let wanted = force || app.lesson.waiting();
    let pos = app.pos;
    let Some(placing) = app.computing.as_mut().and_then(|c| c.placing.as_mut()) else {
        return false;
    };
    if !placing.waiting || (placing.seen == len && !force) || !(wanted || pos >= placing.seen) {
        return false;
    }
    let started = Instant::now();
    if !force && started < placing.next {
        return false;
    }
    let so_far = lesson::resolve_so_far(
        &placing.scenario,
        &placing.source,
        &placing.origin,
        &app.world.trace,
    );
    placing.seen = len;
    placing.waiting = so_far.waiting;
    placing.next = started + started.elapsed() * PATIENCE;
    apply(app, so_far);
    true
}

/// The world has ended: the quiz and lesson placed on the whole run, as a
/// run computed first places them, or the error that says what did not fit.
pub fn finish(app: &mut App, placing: Placing) {
    if app
        .notice
        .as_deref()
        .is_some_and(|n| n.starts_with(WAITING))
    {
        app.notice = None;
    }
    let trace = &app.world.trace;
    match lesson::resolve_naming(&placing.scenario, &placing.source, &placing.origin, trace) {
        Ok(resolved) => apply(
            app,
            SoFar {
                quiz: resolved.quiz,
                steps: resolved.lesson.steps,
                waiting: false,
                problems: None,
            },
        ),
        Err(unfit) => broken(app, unfit),
    }
}

/// Puts what is placed into the dashboard; a student waiting at a step
/// now placed enters it.
fn apply(app: &mut App, so_far: SoFar) {
    app.predict.quiz = so_far.quiz;
    let before = app.lesson.lesson.steps.len();
    app.lesson.lesson.steps = so_far.steps;
    if let Some(error) = so_far.problems {
        broken(app, error);
    }
    let k = app.lesson.step;
    if app.lesson.on && k >= before && k < app.lesson.lesson.steps.len() {
        super::lesson::enter(app, k);
    }
}

/// The quiz or lesson does not fit the run: said on screen at once, and
/// again when the dashboard closes.
fn broken(app: &mut App, unfit: Unfit) {
    app.notice = Some(format!(
        "this scenario's quiz or lesson does not fit its run: {}",
        unfit.places.join(", ")
    ));
    app.lesson.broken = Some(unfit);
}

const WAITING: &str = "waiting for the world to reach the next question or step";

/// What the student waits for at the edge of what is placed, with the
/// simulated time the world has reached; `None` when nothing waits.
pub fn waiting_note(app: &App) -> Option<String> {
    let computing = app.computing.as_ref()?;
    let placing = computing.placing.as_ref()?;
    if !placing.waiting || app.pos < placing.edge(app.len()) {
        return None;
    }
    Some(format!(
        "{WAITING}: computed to {} so far",
        computing.reached
    ))
}

/// May the playhead step onto the next event? A key does not wait for the
/// placement's patience: what has come is placed now, then looked at.
pub fn may_step(app: &mut App) -> bool {
    if app.pos >= app.edge() {
        update(app, true);
    }
    app.pos < app.edge()
}
