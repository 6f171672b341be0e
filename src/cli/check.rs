//! `mailflow check`: load and validate scenario files (and every variant
//! they define) without running them. Warnings (slips that let a file
//! run, but not as meant) are printed and do not fail the check unless
//! `--strict` says so.

use std::process::ExitCode;

use crate::scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (or bundled names).
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Also check these what-ifs against each file (see `run --what-if`).
    #[arg(long = "what-if", value_name = "WHAT-IF")]
    pub what_if: Vec<String>,
    /// Count warnings as errors (exit 2).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: &Args) -> ExitCode {
    let mut bad = 0;
    for file in &args.files {
        match scenario::load(file) {
            Ok(mut loaded) => {
                if super::add_what_ifs(&mut loaded.plan, &args.what_if).is_err() {
                    bad += 1;
                    continue;
                }
                let whatifs = match loaded.plan.overrides.len() {
                    0 => String::new(),
                    1 => " (with 1 what-if)".to_owned(),
                    n => format!(" (with {n} what-ifs)"),
                };
                // A quiz or a lesson names events: only the run knows them.
                let classroom = match placed(&loaded) {
                    Ok(words) => words,
                    Err(error) => {
                        bad += 1;
                        eprint!("{error}");
                        continue;
                    }
                };
                let variants = if loaded.variants.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> =
                        loaded.variants.iter().map(|(n, _)| n.as_str()).collect();
                    format!(" (variants: {})", names.join(", "))
                };
                match &loaded.warnings {
                    None => println!(
                        "ok    {file}: {}{variants}{whatifs}{classroom}",
                        loaded.plan.title
                    ),
                    Some(warnings) => {
                        let n = warnings.problems.len();
                        println!(
                            "ok    {file}: {}{variants}{whatifs}{classroom}, with {n} warning(s)",
                            loaded.plan.title
                        );
                        eprint!("{warnings}");
                        if args.strict {
                            bad += 1;
                        }
                    }
                }
            }
            Err(error) => {
                bad += 1;
                eprint!("{error}");
            }
        }
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// Runs the world of a scenario with a quiz or a lesson and places them
/// on its run: " (lesson: 7 steps, quiz: 2 questions)", or the error that
/// marks a selector finding nothing. Nothing to say without either.
fn placed(loaded: &scenario::Loaded) -> Result<String, scenario::ScenarioError> {
    let s = &loaded.scenario;
    if s.quiz.is_empty() && s.lesson.is_empty() {
        return Ok(String::new());
    }
    let run = crate::sim::run(&loaded.plan);
    let resolved = scenario::lesson::resolve(s, &loaded.source, &loaded.origin, &run.trace)?;
    let mut parts = Vec::new();
    if !resolved.lesson.steps.is_empty() {
        parts.push(format!("lesson: {} steps", resolved.lesson.steps.len()));
    }
    if !resolved.quiz.is_empty() {
        parts.push(format!("quiz: {} questions", resolved.quiz.len()));
    }
    Ok(format!(" ({})", parts.join(", ")))
}
