//! A guided lesson in the dashboard (issue 11 §4): the scenario's steps,
//! one at a time. Entering a step moves the playhead to its event (just
//! after it, so every view shows it; just before it when the step asks,
//! so that no view gives the answer away); its questions are asked as
//! predict mode asks (`predict`), and the step is done when its goal
//! holds: a key (`>`), every question answered, or playback reaching an
//! event. `>` always moves on and `<` goes back.

use std::fmt::Write as _;

use crate::scenario::lesson::{Goal, Lesson, Step, Unfit};

use super::app::{App, Overlay};
use super::predict::{Key, Phase};

/// The lesson being walked, if the dashboard has one.
#[derive(Debug, Clone, Default)]
pub struct Guide {
    pub lesson: Lesson,
    /// Walking it (`mailflow lesson`, `tui --lesson`).
    pub on: bool,
    /// The current step, from 0.
    pub step: usize,
    /// The step's goal did not hold when it was entered: when it does,
    /// the lesson moves on. A step gone back to, already done, waits for >.
    pub armed: bool,
    /// How many steps the lesson has while its world still computes: the
    /// steps after `lesson.steps` wait for their events (0: all placed).
    pub total: usize,
    /// The quiz or lesson does not fit the run (a selector that found no
    /// event, an answer the trace contradicts): found while the world
    /// computed beside the dashboard, shown, and reported on quit.
    pub broken: Option<Unfit>,
    /// Esc was pressed once: the next Esc quits, any other key stays.
    pub leaving: bool,
}

impl Guide {
    pub fn current(&self) -> Option<&Step> {
        self.on.then(|| self.lesson.steps.get(self.step)).flatten()
    }

    /// The lesson's length, placed or not.
    pub fn steps(&self) -> usize {
        self.total.max(self.lesson.steps.len())
    }

    /// The current step waits for the world to reach its event.
    pub fn waiting(&self) -> bool {
        self.on && self.step >= self.lesson.steps.len() && self.step < self.steps()
    }

    /// "step 3/9".
    pub fn progress(&self) -> String {
        format!("step {}/{}", self.step + 1, self.steps())
    }

    pub fn is_last(&self) -> bool {
        self.step + 1 >= self.steps()
    }
}

/// Starts walking the lesson at its first step.
pub fn start(app: &mut App) {
    if app.lesson.steps() == 0 {
        app.notice = Some("this scenario has no lesson: `mailflow list` shows which do".into());
        return;
    }
    app.lesson.on = true;
    enter(app, 0);
}

/// Goes to step `k`: its place, its questions, its goal. A step whose
/// event the world has not reached yet is waited at: the pane says so,
/// and the step is entered when it is placed (`placing`).
pub fn enter(app: &mut App, k: usize) {
    let Some(step) = app.lesson.lesson.steps.get(k).cloned() else {
        if k < app.lesson.steps() {
            app.lesson.step = k;
            if matches!(app.predict.phase, Some(Phase::Asking(_))) {
                app.predict.skip();
            }
            app.predict.phase = None;
            if app.overlay == Overlay::Predict {
                app.overlay = Overlay::None;
            }
            app.predict.pending.clear();
            app.lesson.armed = false;
        }
        return;
    };
    app.lesson.step = k;
    // An open question of the step left behind counts as skipped.
    if matches!(app.predict.phase, Some(Phase::Asking(_))) {
        app.predict.skip();
    }
    app.predict.phase = None;
    app.predict.resume = false;
    if app.overlay == Overlay::Predict {
        app.overlay = Overlay::None;
    }
    app.predict.pending = step.questions.clone();
    app.playing = false;
    app.pinned = None;
    let unasked = step
        .questions
        .iter()
        .any(|q| !app.predict.asked(Key::Authored(q.origin)));
    if let Some(mark) = step.mark {
        if unasked && mark.before < app.len() {
            app.seek(mark.before);
            app.ask_before_next();
        } else {
            app.seek(mark.after);
            if let Some(line) = mark.line {
                app.seek_line(line);
            }
        }
    }
    if let Goal::Reached(target) = step.until
        && app.pos < target
        && app.overlay != Overlay::Predict
    {
        app.playing = true;
    }
    app.lesson.armed = !goal_holds(app, &step);
}

/// Whether the step's goal holds now.
fn goal_holds(app: &App, step: &Step) -> bool {
    match step.until {
        Goal::Key => false,
        Goal::Answered => step
            .questions
            .iter()
            .all(|q| app.predict.asked(Key::Authored(q.origin))),
        Goal::Reached(target) => app.pos >= target,
    }
}

/// `>`: the next step, or the end of the lesson.
pub fn next(app: &mut App) {
    if !app.lesson.on {
        app.notice = Some("no lesson is open: `mailflow lesson NAME` walks one".into());
        return;
    }
    if app.lesson.is_last() {
        app.notice = Some(format!(
            "the end of the lesson: {}; < goes back, q quits",
            app.predict.tally()
        ));
        return;
    }
    if app.lesson.waiting() {
        app.notice = Some(format!(
            "step {} waits for the world to reach its event: Space plays on meanwhile",
            app.lesson.step + 1
        ));
        return;
    }
    let k = app.lesson.step + 1;
    enter(app, k);
}

/// `<`: the step before.
pub fn back(app: &mut App) {
    if !app.lesson.on {
        app.notice = Some("no lesson is open: `mailflow lesson NAME` walks one".into());
        return;
    }
    match app.lesson.step.checked_sub(1) {
        Some(k) => enter(app, k),
        None => app.notice = Some("this is the lesson's first step".into()),
    }
}

/// Moves on when the step's goal holds; called after every key and every
/// frame of playback. At most one step at a time.
pub fn tick(app: &mut App) {
    let Some(step) = app.lesson.current() else {
        return;
    };
    if app.overlay == Overlay::Predict || app.lesson.is_last() {
        return;
    }
    let step = step.clone();
    if !goal_holds(app, &step) {
        app.lesson.armed = true;
    } else if app.lesson.armed {
        let k = app.lesson.step + 1;
        enter(app, k);
    }
}

/// What the student does to move on, for the pane's last line.
pub fn hint(app: &App) -> String {
    let Some(step) = app.lesson.current() else {
        return if app.lesson.waiting() && app.lesson.step > 0 {
            "waiting for the world · < back".to_owned()
        } else {
            String::new()
        };
    };
    let goal = match (step.until, &step.until_text) {
        _ if app.lesson.is_last() => "the last step: < goes back, q quits".to_owned(),
        (Goal::Answered, _) => "answer the question to go on (> skips)".to_owned(),
        (Goal::Reached(_), Some(at)) => format!("Space plays on to {at} (> skips)"),
        _ => "> next step".to_owned(),
    };
    if app.lesson.step > 0 {
        format!("{goal} · < back")
    } else {
        goal
    }
}

/// The pane's title and text when no step can be shown: the lesson or
/// quiz does not fit the run, or the current step waits for the world.
/// Each line of the text is a paragraph; `true` when it is an error.
pub fn pane_note(app: &App) -> Option<(String, String, bool)> {
    if let Some(Unfit { error, places }) = &app.lesson.broken {
        let file = error.file.rsplit('/').next().unwrap_or(&error.file);
        let mut text = format!("Does not fit: {}.", places.join(", "));
        for p in &error.problems {
            let _ = match p.at {
                Some((line, _)) => write!(text, "\n{file}:{line}: {}", p.message),
                None => write!(text, "\n{file}: {}", p.message),
            };
        }
        let title = " This lesson or quiz does not fit its run (q quits and prints it) ".to_owned();
        return Some((title, text, true));
    }
    if !app.lesson.waiting() {
        return None;
    }
    let reached = app.computing.as_ref().map_or(String::new(), |c| {
        format!(" (computed to {} so far)", c.reached)
    });
    let text = format!(
        "Step {} waits for the world to reach its event{reached}. It opens by itself when the \
         world gets there; Space plays on meanwhile.",
        app.lesson.step + 1
    );
    Some((format!(" Lesson · {} ", app.lesson.progress()), text, false))
}
