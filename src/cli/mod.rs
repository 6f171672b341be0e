//! The command line: clap parses, each subcommand lives in its own file.

mod check;
mod demo;
mod explain;
mod list;
mod run;
mod serve;
mod tui;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::plan::Plan;
use crate::scenario::bundled;

/// A terminal mail-flow simulator: genuine SMTP between virtual hosts.
#[derive(Debug, Parser)]
#[command(name = "mailflow", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain an SMTP reply code (550), an enhanced status code (5.7.1),
    /// a command (RCPT) or an extension (PIPELINING).
    Explain(explain::Args),
    /// Run one SMTP session between mailflow's client and server machines
    /// and print every line with what it means.
    Demo(demo::Args),
    /// Open the dashboard on a scenario (the default, on the built-in one).
    Tui(tui::Args),
    /// Run a scenario headless: print the transcript and check its
    /// expectations (exit 0 when all hold, 1 when one fails, 2 on errors).
    Run(run::Args),
    /// Run a scenario on the wall clock with real sockets into it: real
    /// SMTP clients (swaks, curl, Python) deliver to a node, real POP3
    /// clients fetch, dig asks its DNS server; all of it animated.
    Serve(serve::Args),
    /// Validate scenario files without running them.
    Check(check::Args),
    /// List the bundled scenarios.
    List,
}

/// Which scenario, with which seed: what `run` and `tui` both start from.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// A scenario file, or the name of a bundled one (see `mailflow list`).
    #[arg(default_value = bundled::DEFAULT)]
    pub scenario: String,
    /// Replace the scenario's seed (jitter, loss, equal-preference MX order).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl ScenarioArgs {
    /// The built-in scenario with its own seed.
    pub fn first_minute() -> ScenarioArgs {
        ScenarioArgs {
            scenario: bundled::DEFAULT.to_owned(),
            seed: None,
        }
    }

    /// The validated plan, with `--seed` applied; on failure prints the
    /// error, which names the place and what is wrong, and gives exit
    /// code 2.
    fn plan(&self) -> Result<Plan, ExitCode> {
        let loaded = load(&self.scenario)?;
        let mut plan = loaded.plan;
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        Ok(plan)
    }
}

/// Loads a scenario file or a bundled one; on failure prints the error,
/// which names the place and what is wrong, and gives exit code 2.
fn load(name: &str) -> Result<crate::scenario::Loaded, ExitCode> {
    crate::scenario::load(name).map_err(|error| {
        eprint!("{error}");
        ExitCode::from(2)
    })
}

/// Parses the process arguments and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::List) => list::run(),
        Some(Command::Tui(args)) => tui::run(&args),
        Some(Command::Serve(args)) => serve::run(&args),
        // The dashboard in a terminal; the explained transcript in a pipe.
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            tui::run(&tui::Args::first_minute())
        }
        None => run::run(&run::Args::first_minute()),
    }
}
