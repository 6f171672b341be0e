//! `mailflow list`: the bundled scenarios, one line each.

use std::process::ExitCode;

use crate::scenario::{self, bundled};

pub fn run() -> ExitCode {
    let width = bundled::names().iter().map(|n| n.len()).max().unwrap_or(0);
    for (name, source) in bundled::BUNDLED {
        let title = scenario::parse(source, name).map_or_else(
            |e| format!("(broken: {})", e.problems[0].message),
            |l| {
                let variants: Vec<&str> = l.variants.iter().map(|(n, _)| n.as_str()).collect();
                let mut title = l.plan.title;
                if !l.scenario.lesson.is_empty() {
                    title = format!("{title} [lesson: {} steps]", l.scenario.lesson.len());
                }
                if !variants.is_empty() {
                    title = format!("{title} [--variant {}]", variants.join(", "));
                }
                title
            },
        );
        println!("{name:width$}  {title}");
    }
    println!();
    println!("Run one with `mailflow run NAME`; copy scenarios/NAME.ron to start your own.");
    println!("Walk a lesson with `mailflow lesson NAME` (or `mailflow tui NAME --lesson`).");
    println!(
        "Grading: `mailflow grade TASK.ron STUDENTS/`; examples in scenarios/tasks/ (not bundled)."
    );
    ExitCode::SUCCESS
}
