//! A scenario's quiz and lesson placed on its run: each selector becomes a
//! playhead position, each question an `Authored` one ready to ask. A
//! selector that finds no event, or an answer the trace contradicts, is
//! an error that marks the place in the file, like any other scenario
//! error: `mailflow check` runs the world to find them.
//!
//! `resolve_so_far` places them on the part of a run computed so far (the
//! dashboard opens before its world is done): what is placed there is
//! where the whole run places it, and the rest waits for more of the run.

use super::select::{Found, find, find_so_far, replies};
use super::{At, LessonStep, Question};
use crate::scenario::diagnostic::{Problem, ScenarioError};
use crate::scenario::expect::facts::Facts;
use crate::scenario::ron::{SourceMap, Step as Path};
use crate::scenario::schema::Scenario;
use crate::trace::Trace;
use crate::trace::describe::event_text;

/// Where a selector puts the playhead: `before` the event (where a
/// question is asked) and `after` it (where it shows); both 0 for
/// `Start`, both the end for `End`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub before: usize,
    pub after: usize,
    /// The reply line, for a `Reply` selector.
    pub line: Option<usize>,
}

/// Which list a question came from, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `quiz[k]`.
    Quiz(usize),
    /// `lesson[step].questions[k]`.
    Lesson(usize, usize),
}

/// A scenario's own question, placed on the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authored {
    pub origin: Origin,
    pub ask: String,
    pub choices: Vec<String>,
    /// The right choice, from 0.
    pub answer: usize,
    pub why: String,
    /// The selector as written.
    pub at: String,
    pub mark: Mark,
    /// What the trace shows there: the reply line, or the event in words.
    pub shows: String,
}

/// When a step is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Key,
    Answered,
    /// When the playhead reaches this position (just after the event).
    Reached(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub text: String,
    /// `None`: the playhead stays where it is.
    pub mark: Option<Mark>,
    pub questions: Vec<Authored>,
    pub until: Until,
    /// The goal as written, for the hint line.
    pub until_text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lesson {
    pub steps: Vec<Step>,
}

/// A scenario's quiz and lesson on one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub quiz: Vec<Authored>,
    pub lesson: Lesson,
}

/// Places `scenario`'s quiz and lesson on `trace`, the run of its plan;
/// `source` and `origin` name the file in errors.
pub fn resolve(
    scenario: &Scenario,
    source: &str,
    origin: &str,
    trace: &Trace,
) -> Result<Resolved, ScenarioError> {
    resolve_naming(scenario, source, origin, trace).map_err(|unfit| unfit.error)
}

/// A quiz or lesson that does not fit its run: the error, and where, in
/// words ("lesson step 4", "quiz question 2"), for a screen with no room
/// for the file's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfit {
    pub error: ScenarioError,
    pub places: Vec<String>,
}

/// `resolve`, and on error also the places that did not fit.
pub fn resolve_naming(
    scenario: &Scenario,
    source: &str,
    origin: &str,
    trace: &Trace,
) -> Result<Resolved, Unfit> {
    let facts = Facts::of(trace);
    let mut r = Resolver::new(&facts, source, false);
    let quiz = scenario
        .quiz
        .iter()
        .enumerate()
        .filter_map(|(k, q)| {
            let path = vec![Path::Field("quiz"), Path::Item(k)];
            let at = q.at.as_ref()?;
            r.question(q, at, Origin::Quiz(k), &path)
        })
        .collect();
    let steps = scenario
        .lesson
        .iter()
        .enumerate()
        .map(|(k, s)| r.step(s, k))
        .collect();
    let places = std::mem::take(&mut r.places);
    match r.error(origin) {
        None => Ok(Resolved {
            quiz,
            lesson: Lesson { steps },
        }),
        Some(error) => Err(Unfit { error, places }),
    }
}

/// A question or step in words, from its path in the file.
fn place(path: &[Path]) -> Option<String> {
    match path {
        [Path::Field("quiz"), Path::Item(k), ..] => Some(format!("quiz question {}", k + 1)),
        [
            Path::Field("lesson"),
            Path::Item(k),
            Path::Field("questions"),
            Path::Item(j),
            ..,
        ] => Some(format!("lesson step {}, question {}", k + 1, j + 1)),
        [Path::Field("lesson"), Path::Item(k), ..] => Some(format!("lesson step {}", k + 1)),
        _ => None,
    }
}

/// A scenario's quiz and lesson on the part of its run computed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoFar {
    /// The quiz's questions whose event is computed, in quiz order.
    pub quiz: Vec<Authored>,
    /// The lesson's first steps, up to the first one not placed yet (its
    /// `at` or its `until` not computed): steps are walked in order.
    pub steps: Vec<Step>,
    /// A question or a step still waits for more of the run.
    pub waiting: bool,
    /// What is wrong already: an answer the trace contradicts at a placed
    /// event, a goal that comes no later than its step. More of the run
    /// cannot mend these; a selector that finds nothing is known only
    /// when the run has ended (`resolve`).
    pub problems: Option<Unfit>,
}

/// Places `scenario`'s quiz and lesson on `trace`, the start of a run of
/// its plan still computing. Whatever is placed is where `resolve` places
/// it on the whole run: a selector is placed only when its event is
/// computed and no later event can move it (see `select::find_so_far`).
pub fn resolve_so_far(scenario: &Scenario, source: &str, origin: &str, trace: &Trace) -> SoFar {
    let facts = Facts::of(trace);
    let mut r = Resolver::new(&facts, source, true);
    let mut waiting = false;
    let mut quiz = Vec::new();
    for (k, q) in scenario.quiz.iter().enumerate() {
        let path = vec![Path::Field("quiz"), Path::Item(k)];
        let Some(at) = q.at.as_ref() else {
            continue;
        };
        match r.question(q, at, Origin::Quiz(k), &path) {
            Some(placed) => quiz.push(placed),
            None => waiting = true,
        }
    }
    let mut steps = Vec::new();
    for (k, s) in scenario.lesson.iter().enumerate() {
        r.unplaced = false;
        let step = r.step(s, k);
        if r.unplaced {
            waiting = true;
            break;
        }
        steps.push(step);
    }
    let places = std::mem::take(&mut r.places);
    SoFar {
        quiz,
        steps,
        waiting,
        problems: r.error(origin).map(|error| Unfit { error, places }),
    }
}

struct Resolver<'a, 't> {
    facts: &'a Facts<'t>,
    source: &'a str,
    map: Option<SourceMap>,
    problems: Vec<Problem>,
    /// The trace is the start of a run still computing: a selector not
    /// found yet waits (`unplaced`) rather than being a problem.
    growing: bool,
    /// A selector was not placed since this was last cleared.
    unplaced: bool,
    /// Where the problems are, in words, in the order found.
    places: Vec<String>,
}

impl<'a, 't> Resolver<'a, 't> {
    fn new(facts: &'a Facts<'t>, source: &'a str, growing: bool) -> Self {
        Resolver {
            facts,
            source,
            map: None,
            problems: Vec::new(),
            growing,
            unplaced: false,
            places: Vec::new(),
        }
    }

    /// The problems found, as one error naming the file.
    fn error(self, origin: &str) -> Option<ScenarioError> {
        if self.problems.is_empty() {
            return None;
        }
        let mut error = ScenarioError {
            file: origin.to_owned(),
            source: self.source.to_owned(),
            problems: self.problems,
        };
        error.sort();
        Some(error)
    }
    fn at(&mut self, message: String, path: &[Path]) -> Problem {
        if let Some(place) = place(path).filter(|p| !self.places.contains(p)) {
            self.places.push(place);
        }
        let map = self.map.get_or_insert_with(|| SourceMap::new(self.source));
        let problem = Problem::new(message);
        match map.nearest(path) {
            Some((start, end)) => problem.span(self.source, start, end),
            None => problem,
        }
    }

    /// The mark of `at`, or a problem at `path`.
    fn mark(&mut self, at: &At, path: &[Path]) -> Option<Mark> {
        let len = self.facts.trace.len();
        let found = if self.growing {
            find_so_far(at, self.facts).ok_or_else(String::new)
        } else {
            find(at, self.facts)
        };
        match found {
            Ok(Found::Start) => Some(Mark {
                before: 0,
                after: 0,
                line: None,
            }),
            Ok(Found::End) => Some(Mark {
                before: len,
                after: len,
                line: None,
            }),
            Ok(Found::Event { seq, line }) => Some(Mark {
                before: seq as usize,
                after: seq as usize + 1,
                line,
            }),
            Err(_) if self.growing => {
                self.unplaced = true;
                None
            }
            Err(why) => {
                let problem = self
                    .at(format!("{at} finds no event in this run: {why}"), path)
                    .help(
                        "run the scenario (`mailflow run FILE`) to see its events, and name \
                         one that happens; `nth:` counts matches from 1",
                    );
                self.problems.push(problem);
                None
            }
        }
    }

    /// What the trace shows at a mark.
    fn shows(&self, mark: Mark) -> String {
        if let Some(line) = mark.line {
            let text = self
                .facts
                .index()
                .line(line)
                .map_or("", |l| l.text.as_str());
            return format!("S: {text}");
        }
        let trace = self.facts.trace;
        match trace.events().get(mark.before) {
            Some(e) if mark.after > mark.before => event_text(trace, e),
            _ => String::new(),
        }
    }

    fn question(
        &mut self,
        q: &Question,
        at: &At,
        origin: Origin,
        path: &[Path],
    ) -> Option<Authored> {
        let at_path = [path, &[Path::Field("at")]].concat();
        let mark = self.mark(at, &at_path)?;
        self.consistent(q, mark, path);
        Some(Authored {
            origin,
            ask: q.ask.clone(),
            choices: q.choices.clone(),
            answer: q.answer.saturating_sub(1),
            why: q.why.clone(),
            at: at.to_string(),
            shows: self.shows(mark),
            mark,
        })
    }

    /// Where the trace can say what the answer is, it must agree: a
    /// question at a reply whose choices are reply codes has the code the
    /// server really sent as its answer, and no other choice has it.
    fn consistent(&mut self, q: &Question, mark: Mark, path: &[Path]) {
        let Some(line) = mark.line else {
            return;
        };
        let Some(real) = replies(self.facts).find(|r| r.line == line) else {
            return;
        };
        let code = |c: &str| -> Option<String> {
            let word = c.split_whitespace().next()?;
            let ok = (word.len() == 3 && word.bytes().all(|b| b.is_ascii_digit()))
                || word == "+OK"
                || word == "-ERR";
            ok.then(|| word.to_owned())
        };
        let codes: Option<Vec<String>> = q.choices.iter().map(|c| code(c)).collect();
        let Some(codes) = codes else {
            return;
        };
        let Some(text) = self.facts.index().line(line).map(|l| &l.text) else {
            return;
        };
        let sent = real
            .code
            .map(|c| c.to_string())
            .unwrap_or_else(|| text.split_whitespace().next().unwrap_or("").to_owned());
        let right = codes.get(q.answer.saturating_sub(1));
        if right != Some(&sent) {
            let problem = self
                .at(
                    format!(
                        "the answer is {}, but the server sent {text:?} here",
                        right.map_or("missing", String::as_str)
                    ),
                    &[path, &[Path::Field("answer")]].concat(),
                )
                .help(match codes.iter().position(|c| *c == sent) {
                    Some(i) => format!("the choice that matches the trace is {}", i + 1),
                    None => format!("add {sent} to the choices and make it the answer"),
                });
            self.problems.push(problem);
        } else if codes.iter().filter(|c| **c == sent).count() > 1 {
            let problem = self
                .at(
                    format!("two choices are {sent}: both would be right"),
                    &[path, &[Path::Field("choices")]].concat(),
                )
                .help("give each choice its own code");
            self.problems.push(problem);
        }
    }

    fn step(&mut self, s: &LessonStep, k: usize) -> Step {
        let path = vec![Path::Field("lesson"), Path::Item(k)];
        let mark =
            s.at.as_ref()
                .and_then(|at| self.mark(at, &[path.as_slice(), &[Path::Field("at")]].concat()));
        let questions = match &s.at {
            Some(at) => s
                .questions
                .iter()
                .enumerate()
                .filter_map(|(j, q)| {
                    let qpath =
                        [path.as_slice(), &[Path::Field("questions"), Path::Item(j)]].concat();
                    self.question(q, at, Origin::Lesson(k, j), &qpath)
                })
                .collect(),
            None => Vec::new(),
        };
        let (until, until_text) = match &s.until {
            super::Until::Key => (Until::Key, None),
            super::Until::Answered => (Until::Answered, None),
            super::Until::Reached(at) => {
                let upath = [path.as_slice(), &[Path::Field("until"), Path::Item(0)]].concat();
                match self.mark(at, &upath) {
                    Some(m) if mark.is_some_and(|s| m.after <= s.after) => {
                        let problem = self
                            .at(
                                format!("{at} comes no later than this step's own event, so the step would end at once"),
                                &upath,
                            )
                            .help("name an event after the step's `at`, or write until: Key");
                        self.problems.push(problem);
                        (Until::Key, None)
                    }
                    Some(m) => (Until::Reached(m.after), Some(at.to_string())),
                    None => (Until::Key, None),
                }
            }
        };
        Step {
            text: s.text.clone(),
            mark,
            questions,
            until,
            until_text,
        }
    }
}
