//! The command line: clap parses, each subcommand lives in its own file.

mod check;
mod demo;
mod explain;
mod grade;
mod lesson;
mod list;
mod progress;
mod run;
mod serve;
mod tui;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::plan::Plan;
use crate::record::Recording;
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
    /// Another name for `run`: `mailflow export hello.mfr --format pcapng`.
    Export(run::Args),
    /// Run a scenario on the wall clock with real sockets into it: real
    /// SMTP clients (swaks, curl, Python) deliver to a node, real POP3
    /// clients fetch, dig asks its DNS server; all of it animated.
    Serve(serve::Args),
    /// Validate scenario files without running them.
    Check(check::Args),
    /// Grade students' scenarios against a task: a score and a line of
    /// feedback per criterion (exit 0 when every student meets them all).
    Grade(grade::Args),
    /// Walk a scenario's guided lesson in the dashboard, step by step
    /// (in a pipe: print the lesson with its answers).
    Lesson(lesson::Args),
    /// List the bundled scenarios (and which have a lesson).
    List,
}

/// Which scenario, with which seed: what `run` and `tui` both start from.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// A scenario file, the name of a bundled one (see `mailflow list`),
    /// or a recording (`run NAME --record FILE`).
    #[arg(default_value = bundled::DEFAULT)]
    pub scenario: String,
    /// Replace the scenario's seed (jitter, loss, equal-preference MX order).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Change one reply or DNS answer and run that branch instead:
    /// 'mx.example.net RCPT#1 451 4.3.0 try later', 'mx.example.net
    /// DATA#1 lost', 'dns example.net MX#1 NXDOMAIN'. Repeatable.
    #[arg(long = "what-if", value_name = "WHAT-IF")]
    pub what_if: Vec<String>,
    /// Run this variant of the scenario (its `variants:` list).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Change a setting before the run: `run_for=4h`,
    /// `smtp.example.org.max_age=2h` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
}

impl ScenarioArgs {
    /// The built-in scenario with its own seed.
    pub fn first_minute() -> ScenarioArgs {
        ScenarioArgs {
            scenario: bundled::DEFAULT.to_owned(),
            seed: None,
            what_if: Vec::new(),
            variant: None,
            settings: Vec::new(),
        }
    }

    /// Where the world comes from: a recording (known by its first line,
    /// not its name) or a scenario, validated, with `--seed` applied. On
    /// failure prints the error, which names the place and what is wrong,
    /// and gives exit code 2.
    fn source(&self) -> Result<Source, ExitCode> {
        let path = std::path::Path::new(&self.scenario);
        if crate::record::is_recording(path) {
            let flag = if self.seed.is_some() {
                Some("--seed")
            } else if !self.what_if.is_empty() {
                Some("--what-if")
            } else if self.variant.is_some() {
                Some("--variant")
            } else if !self.settings.is_empty() {
                Some("--set")
            } else {
                None
            };
            if let Some(flag) = flag {
                eprintln!(
                    "mailflow: {} is a recording: it replays the run it was made from, so {flag} does not apply; give the scenario instead",
                    self.scenario
                );
                return Err(ExitCode::from(2));
            }
            return open_recording(path).map(Source::Recording);
        }
        let loaded = crate::scenario::load_with(&self.scenario, &self.settings).map_err(|e| {
            eprint!("{e}");
            ExitCode::from(2)
        })?;
        let mut plan = loaded
            .variant(self.variant.as_deref())
            .map_err(|e| {
                eprintln!("mailflow: {e}");
                ExitCode::from(2)
            })?
            .clone();
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        add_what_ifs(&mut plan, &self.what_if)?;
        Ok(Source::Scenario(plan))
    }
}

/// Adds `--what-if` lines to the plan; the first bad one is printed with
/// its token marked, and gives exit code 2.
fn add_what_ifs(plan: &mut Plan, lines: &[String]) -> Result<(), ExitCode> {
    for line in lines {
        match crate::scenario::whatif::parse_line(line, plan) {
            Ok(o) => plan.overrides.push(o),
            Err(error) => {
                eprint!("{error}");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(())
}

/// A world to show: a scenario still to run, or a run recorded before.
pub enum Source {
    Scenario(Plan),
    Recording(Recording),
}

impl Source {
    /// The finished run: a scenario runs now, a recording already ran.
    pub fn finish(self) -> Recording {
        self.finish_showing(false)
    }

    /// As `finish`, with a progress line on stderr while a scenario runs
    /// when `progress` (see `progress::wanted`).
    pub fn finish_showing(self, progress: bool) -> Recording {
        match self {
            Source::Scenario(plan) => {
                let run = progress::run(&plan, &plan.title, progress);
                Recording::of(&plan, run)
            }
            Source::Recording(recording) => recording,
        }
    }
}

/// Reads a recording; a cut-off file is read up to its last whole event
/// and says so on stderr.
fn open_recording(path: &std::path::Path) -> Result<Recording, ExitCode> {
    let file = std::fs::File::open(path).map_err(|e| {
        eprintln!("mailflow: cannot open {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    match crate::record::read(std::io::BufReader::new(file)) {
        Ok(loaded) => {
            if let Some(warning) = loaded.warning {
                eprintln!("mailflow: {}: {warning}", path.display());
            }
            Ok(loaded.recording)
        }
        Err(e) => {
            eprintln!("mailflow: {}: {e}", path.display());
            Err(ExitCode::from(2))
        }
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
    quiet_on_a_closed_pipe();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Run(args) | Command::Export(args)) => run::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Grade(args)) => grade::run(&args),
        Some(Command::List) => list::run(),
        Some(Command::Lesson(args)) => lesson::run(&args),
        Some(Command::Tui(args)) => tui::run(&args),
        Some(Command::Serve(args)) => serve::run(&args),
        // The dashboard in a terminal; the explained transcript in a pipe.
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            tui::run(&tui::Args::first_minute())
        }
        None => run::run(&run::Args::first_minute()),
    }
}

/// `mailflow list | head`: when the reader of stdout goes away, stop
/// quietly with the status a shell shows for SIGPIPE (128 + 13), as Unix
/// tools do; a closed pipe is not our error. `println!` panics on EPIPE
/// instead, and restoring SIGPIPE's default action would need unsafe code.
fn quiet_on_a_closed_pipe() {
    let earlier = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        earlier(info);
    }));
}
