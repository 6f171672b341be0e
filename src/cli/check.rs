//! `mailflow check`: load and validate scenario files without running them.

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
                let n = loaded.plan.overrides.len();
                let whatifs = match n {
                    0 => String::new(),
                    1 => " (with 1 what-if)".to_owned(),
                    n => format!(" (with {n} what-ifs)"),
                };
                println!("ok    {file}: {}{whatifs}", loaded.plan.title);
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
