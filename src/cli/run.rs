//! `mailflow run`: run a scenario headless, print what happened, and check
//! its expectations. Exit code 0 when all hold, 1 when one fails, 2 when
//! the scenario cannot be loaded.

use std::io::Write;
use std::process::ExitCode;

use super::ScenarioArgs;
use crate::export;
use crate::scenario;
use crate::sim::{self, Ending};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A teacher's board: times, C:/S: lines, DNS, queue facts.
    #[default]
    Text,
    /// JSON Lines: one object per event.
    Json,
    /// A Markdown handout with one section per session.
    Markdown,
    /// A Mermaid sequence diagram of the trip (expectations on stderr).
    Mermaid,
    /// A capture for Wireshark, hosts named (binary: redirect it).
    Pcapng,
    /// The same capture as classic pcap, without host names.
    Pcap,
}

impl Format {
    /// Binary formats go to a file, never to a screen.
    fn is_capture(self) -> bool {
        matches!(self, Format::Pcapng | Format::Pcap)
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "jsonl",
            Format::Markdown => "md",
            Format::Mermaid => "mmd",
            Format::Pcapng => "pcapng",
            Format::Pcap => "pcap",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub world: ScenarioArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Follow each SMTP command and reply with what it means (text format).
    #[arg(long)]
    pub explain: bool,
}

impl Args {
    /// What `mailflow` alone runs: the built-in scenario, explained.
    pub fn first_minute() -> Args {
        Args {
            world: ScenarioArgs::first_minute(),
            format: Format::Text,
            explain: true,
        }
    }
}

pub fn run(args: &Args) -> ExitCode {
    let plan = match args.world.plan() {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    if plan.has_externals() {
        let names: Vec<&str> = plan
            .externals
            .iter()
            .map(|e| plan.host(e.host).name.as_str())
            .collect();
        eprintln!(
            "mailflow: {} {} real: this run uses the wall clock and real TCP, so two runs may differ",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        );
    }
    if args.format.is_capture() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!(
            "mailflow: a capture is binary; send it to a file: mailflow run {} --format {} > run.{}",
            args.world.scenario,
            args.format.extension(),
            args.format.extension()
        );
        return ExitCode::from(2);
    }
    let run = sim::run(&plan);
    let verdicts = scenario::expect::check(&plan.expect, &run.trace);
    let board = || export::text::render_with(&run.trace, args.explain);
    match args.format {
        Format::Text => {
            println!("{}  (seed {})", plan.title, plan.seed);
            if !plan.about.is_empty() {
                println!("{}", crate::text::wrap(&plan.about, 78, "").join("\n"));
            }
            println!();
            print!("{}", board());
            println!();
            match run.ending {
                Ending::Quiet => {
                    println!("The run ended at {}: nothing was left to do.", run.ended_at)
                }
                Ending::TimeLimit => println!(
                    "The run stopped at its limit, {}; mail may still be queued.",
                    run.ended_at
                ),
            }
        }
        Format::Json => {
            print!("{}", export::json::render(&run.trace));
        }
        Format::Markdown => {
            print!(
                "{}",
                export::markdown::render(&plan.title, &plan.about, &run.trace, &board())
            );
        }
        Format::Mermaid => print!("{}", export::mermaid::render(&run.trace, &plan.title)),
        Format::Pcapng | Format::Pcap => {
            let start = plan.start_unix.saturating_mul(1_000_000);
            let bytes = if args.format == Format::Pcapng {
                export::pcap::pcapng(&run.trace, start)
            } else {
                export::pcap::pcap(&run.trace, start)
            };
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
                eprintln!("mailflow: cannot write the capture: {e}");
                return ExitCode::from(2);
            }
        }
    }
    report(&verdicts, args.format)
}

/// Prints the verdicts and picks the exit code.
fn report(verdicts: &[scenario::expect::Verdict], format: Format) -> ExitCode {
    let failed = verdicts.iter().filter(|v| !v.held).count();
    match format {
        Format::Json => {
            for v in verdicts {
                let line = serde_json::json!({
                    "kind": "expectation", "claim": v.claim, "held": v.held, "evidence": v.evidence
                });
                println!("{line}");
            }
        }
        // The diagram and the capture own stdout: the verdicts go aside.
        Format::Mermaid | Format::Pcapng | Format::Pcap => {
            for v in verdicts {
                eprintln!("  {v}");
            }
        }
        Format::Text | Format::Markdown => {
            if !verdicts.is_empty() {
                let heading = if format == Format::Markdown {
                    "\n## Expectations\n"
                } else {
                    "\nExpectations:"
                };
                println!("{heading}");
                for v in verdicts {
                    println!("  {v}");
                }
                println!(
                    "{} of {} expectations held.",
                    verdicts.len() - failed,
                    verdicts.len()
                );
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
