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
                if variants.is_empty() {
                    l.plan.title
                } else {
                    format!("{} [--variant {}]", l.plan.title, variants.join(", "))
                }
            },
        );
        println!("{name:width$}  {title}");
    }
    println!();
    println!("Run one with `mailflow run NAME`; copy scenarios/NAME.ron to start your own.");
    println!(
        "Grading: `mailflow grade TASK.ron STUDENTS/`; examples in scenarios/tasks/ (not bundled)."
    );
    ExitCode::SUCCESS
}
