//! `mailflow grade TASK STUDENT...`: run each student's world under the
//! task's settings and score it against the task's criteria, one point
//! each, with a line of feedback per criterion. A folder stands for the
//! `.ron` files in it. Exit 0 when every student meets every criterion,
//! 1 when one does not (or a student file cannot be graded), 2 when the
//! task itself cannot be read.

use std::path::Path;
use std::process::ExitCode;

use crate::scenario::task::{Criterion, Task, load_task};
use crate::scenario::{self, expect};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A score and a line per criterion, for the teacher.
    #[default]
    Text,
    /// JSON Lines, one object per student, for a learning platform.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The task file: what a student's world must achieve.
    pub task: String,
    /// Students' scenario files, or folders of them.
    #[arg(required = true)]
    pub students: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress line on stderr while a world computes (there is none
    /// in a pipe or under NO_COLOR anyway).
    #[arg(long, short)]
    pub quiet: bool,
}

/// One student's result.
#[derive(Debug, Clone)]
pub struct Grade {
    pub student: String,
    pub criteria: Vec<Criterion>,
    /// Why the file could not be graded at all.
    pub error: Option<String>,
}

impl Grade {
    pub fn score(&self) -> usize {
        self.criteria.iter().filter(|c| c.held).count()
    }

    pub fn passed(&self, task: &Task) -> bool {
        self.error.is_none() && self.score() == task.criteria()
    }
}

pub fn run(args: &Args) -> ExitCode {
    let task = match load_task(&args.task) {
        Ok(task) => task,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let files = match students(&args.students) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("mailflow: {e}");
            return ExitCode::from(2);
        }
    };
    if args.format == Format::Text {
        println!(
            "{}  ({}, {} criteria)",
            task.title,
            task.origin,
            task.criteria()
        );
    }
    let mut passed = 0;
    let progress = super::progress::wanted(args.quiet);
    for file in &files {
        let grade = grade(&task, file, progress);
        passed += usize::from(grade.passed(&task));
        match args.format {
            Format::Text => print!("{}", text(&task, &grade)),
            Format::Json => println!("{}", json(&task, &grade)),
        }
    }
    if args.format == Format::Text && files.len() > 1 {
        println!(
            "\n{passed} of {} students met every criterion.",
            files.len()
        );
    }
    if passed == files.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The files to grade: each argument, or the `.ron` files of a folder,
/// in name order.
fn students(args: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if !path.is_dir() {
            out.push(arg.clone());
            continue;
        }
        let mut inside: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read the folder {arg}: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ron"))
            .map(|p| p.display().to_string())
            .collect();
        if inside.is_empty() {
            return Err(format!("the folder {arg} holds no .ron files to grade"));
        }
        inside.sort();
        out.append(&mut inside);
    }
    Ok(out)
}

/// Runs one student's world under the task and scores it.
/// With `progress`, a progress line on stderr while the world computes.
pub fn grade(task: &Task, student: &str, progress: bool) -> Grade {
    let fail = |error: String| Grade {
        student: student.to_owned(),
        criteria: Vec::new(),
        error: Some(error),
    };
    let loaded = match scenario::load_with(student, &task.settings) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let mut plan = loaded.plan;
    if plan.has_externals() {
        return fail(format!(
            "{student} has real hosts (externals): grading runs a world on simulated time only; remove `externals`"
        ));
    }
    let mut criteria: Vec<Criterion> = task.require.iter().map(|r| r.check(&plan)).collect();
    plan.expect = task.expect.clone();
    let run = super::progress::run(&plan, student, progress);
    criteria.extend(
        expect::check(&plan.expect, &run.trace)
            .into_iter()
            .map(|v| Criterion {
                claim: v.claim,
                held: v.held,
                feedback: v.evidence,
            }),
    );
    Grade {
        student: student.to_owned(),
        criteria,
        error: None,
    }
}

/// The teacher's view: a score, then a line per criterion.
pub fn text(task: &Task, g: &Grade) -> String {
    let max = task.criteria();
    let mut out = String::new();
    match &g.error {
        Some(error) => {
            out.push_str(&format!("\n{}: 0/{max}, could not be graded:\n", g.student));
            for line in error.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        None => {
            let verdict = if g.passed(task) { "passed" } else { "not yet" };
            out.push_str(&format!("\n{}: {}/{max} {verdict}\n", g.student, g.score()));
            for c in &g.criteria {
                let mark = if c.held { "✓" } else { "✗" };
                out.push_str(&format!("  {mark} {}: {}\n", c.claim, c.feedback));
            }
        }
    }
    out
}

/// One JSON object for a learning platform.
pub fn json(task: &Task, g: &Grade) -> serde_json::Value {
    serde_json::json!({
        "task": task.title,
        "student": g.student,
        "score": g.score(),
        "max": task.criteria(),
        "passed": g.passed(task),
        "criteria": g.criteria.iter().map(|c| serde_json::json!({
            "criterion": c.claim,
            "passed": c.held,
            "feedback": c.feedback,
        })).collect::<Vec<_>>(),
        "error": g.error,
    })
}
