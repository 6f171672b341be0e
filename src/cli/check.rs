//! `mailflow check`: load and validate scenario files without running them.

use std::process::ExitCode;

use crate::scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (or bundled names).
    #[arg(required = true)]
    pub files: Vec<String>,
}

pub fn run(args: &Args) -> ExitCode {
    let mut bad = 0;
    for file in &args.files {
        match scenario::load(file) {
            Ok(loaded) => println!("ok    {file}: {}", loaded.plan.title),
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
