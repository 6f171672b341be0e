//! Grading tasks: what a student's world must achieve. A task file names
//! settings the teacher imposes on every student's world (`set`: mx1 is
//! down for two hours), constraints on the world's configuration
//! (`require`: no open relay, a backup MX) and claims about its run
//! (`expect`, the expectation language of scenarios). Each constraint and
//! each claim is one criterion, worth one point.
//!
//! * `require`: the constraints, checked against the student's plan
//!
//! Running the student's world is the grader's (`cli::grade`): this layer
//! knows no simulator.

mod require;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::diagnostic::{Problem, ScenarioError};
use super::load::ron_options;
use super::ron::explain;
use super::schema::Expect;
use super::validate::task_expectations;
use crate::plan::Expectation;

pub use require::{Criterion, Require};

/// A task file as the teacher writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// One line: what the student must build.
    pub title: String,
    /// The assignment, for the student.
    #[serde(default)]
    pub about: String,
    /// Settings applied to every student's world before it runs, as a
    /// variant's `set`: `{"mx1.example.net.down": "[(\"0s\", \"2h\")]"}`.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Constraints on the world's configuration.
    #[serde(default)]
    pub require: Vec<Require>,
    /// Claims about the run, checked against its trace.
    #[serde(default)]
    pub expect: Vec<Expect>,
}

/// A task, checked and ready to grade with.
#[derive(Debug, Clone)]
pub struct Task {
    pub origin: String,
    pub title: String,
    pub about: String,
    /// `key=value`, in the order of the file.
    pub settings: Vec<String>,
    pub require: Vec<Require>,
    pub expect: Vec<Expectation>,
}

impl Task {
    /// How many criteria: the most points a student can score.
    pub fn criteria(&self) -> usize {
        self.require.len() + self.expect.len()
    }
}

/// Reads a task file.
pub fn load_task(path: &str) -> Result<Task, ScenarioError> {
    let fail = |source: String, problems: Vec<Problem>| {
        let mut e = ScenarioError {
            file: path.to_owned(),
            source,
            problems,
        };
        e.sort();
        e
    };
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            let problem = Problem::new(format!("cannot read the task {path:?}: {e}"))
                .help("give the path of a task file, e.g. scenarios/tasks/backup-mx/task.ron");
            return Err(fail(String::new(), vec![problem]));
        }
    };
    parse_task(&source, path)
}

/// Parses and checks task text; `origin` names it in errors.
pub fn parse_task(source: &str, origin: &str) -> Result<Task, ScenarioError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let fail = |problems: Vec<Problem>| {
        let mut e = ScenarioError {
            file: origin.to_owned(),
            source: source.to_owned(),
            problems,
        };
        e.sort();
        e
    };
    let file: TaskFile = ron_options()
        .from_str(source)
        .map_err(|e| fail(explain(source, &e)))?;
    let mut problems = Vec::new();
    if file.require.is_empty() && file.expect.is_empty() {
        problems.push(
            Problem::new("this task has no criteria, so every world would pass")
                .help("add expect: [Delivered(to: \"bob@example.net\")] or require: [NoOpenRelay]"),
        );
    }
    let expect = task_expectations(&file.expect, source).unwrap_or_else(|mut p| {
        problems.append(&mut p);
        Vec::new()
    });
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    Ok(Task {
        origin: origin.to_owned(),
        title: file.title,
        about: file.about,
        settings: file.set.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        require: file.require,
        expect,
    })
}
