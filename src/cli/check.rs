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
                let variants = if loaded.variants.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> =
                        loaded.variants.iter().map(|(n, _)| n.as_str()).collect();
                    format!(" (variants: {})", names.join(", "))
                };
                match &loaded.warnings {
                    None => println!("ok    {file}: {}{variants}{whatifs}", loaded.plan.title),
                    Some(warnings) => {
                        let n = warnings.problems.len();
                        println!(
                            "ok    {file}: {}{variants}{whatifs}, with {n} warning(s)",
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
