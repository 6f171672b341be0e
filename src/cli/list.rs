//! `mailflow list`: the bundled scenarios, one line each.

use std::process::ExitCode;

use crate::scenario::{self, bundled};

pub fn run() -> ExitCode {
    let width = bundled::names().iter().map(|n| n.len()).max().unwrap_or(0);
    for (name, source) in bundled::BUNDLED {
        let title = scenario::parse(source, name).map_or_else(
            |e| format!("(broken: {})", e.problems[0].message),
            |l| l.plan.title,
        );
        println!("{name:width$}  {title}");
    }
    println!();
    println!("Run one with `mailflow run NAME`; copy scenarios/NAME.ron to start your own.");
    ExitCode::SUCCESS
}
