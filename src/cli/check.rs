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
    /// Count warnings as errors (exit 2).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: &Args) -> ExitCode {
    let mut bad = 0;
    for file in &args.files {
        match scenario::load(file) {
            Ok(loaded) => {
                let variants = if loaded.variants.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> =
                        loaded.variants.iter().map(|(n, _)| n.as_str()).collect();
                    format!(" (variants: {})", names.join(", "))
                };
                match &loaded.warnings {
                    None => println!("ok    {file}: {}{variants}", loaded.plan.title),
                    Some(warnings) => {
                        let n = warnings.problems.len();
                        println!(
                            "ok    {file}: {}{variants}, with {n} warning(s)",
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
