//! `mailflow run`: run a scenario headless (or replay a recording), print
//! what happened, and check its expectations. Exit code 0 when all hold,
//! 1 when one fails, 2 when the scenario or recording cannot be loaded.

use std::io::Write;
use std::process::ExitCode;

use super::{ScenarioArgs, Source};
use crate::export;
use crate::record::{End, Recording};
use crate::scenario;
use crate::sim::Ending;

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
    /// One self-contained HTML page: the ladder as SVG, each session's
    /// transcript explained line by line, the letters, queue and DNS facts.
    Html,
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
            Format::Html => "html",
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
    /// Also write the run to FILE, to replay with `run FILE` or `tui FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
    /// No progress line on stderr while the world computes (there is
    /// none in a pipe or under NO_COLOR anyway).
    #[arg(long, short)]
    pub quiet: bool,
}

impl Args {
    /// What `mailflow` alone runs: the built-in scenario, explained.
    pub fn first_minute() -> Args {
        Args {
            world: ScenarioArgs::first_minute(),
            format: Format::Text,
            explain: true,
            record: None,
            quiet: false,
        }
    }
}

pub fn run(args: &Args) -> ExitCode {
    let source = match args.world.source() {
        Ok(source) => source,
        Err(code) => return code,
    };
    if let Source::Scenario(plan) = &source
        && plan.has_externals()
    {
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
    let run = source.finish_showing(super::progress::wanted(args.quiet));
    if let Some(path) = &args.record
        && let Err(e) = record(&run, path)
    {
        eprintln!(
            "mailflow: cannot write the recording {}: {e}",
            path.display()
        );
        return ExitCode::from(2);
    }
    let verdicts = run.verdicts();
    let board = || export::text::render_with(&run.trace, args.explain);
    match args.format {
        Format::Text => {
            println!("{}  (seed {})", run.title, run.seed);
            if !run.about.is_empty() {
                println!("{}", crate::text::wrap(&run.about, 78, "").join("\n"));
            }
            println!();
            let mut board = export::text::Board::new(args.explain);
            stream(&run.trace, |event, out| board.write(&run.trace, event, out));
            println!();
            match run.end {
                Some(End {
                    ending: Ending::Quiet,
                    at,
                }) => println!("The run ended at {at}: nothing was left to do."),
                Some(End {
                    ending: Ending::TimeLimit,
                    at,
                }) => println!("The run stopped at its limit, {at}; mail may still be queued."),
                Some(End {
                    ending: Ending::Stopped,
                    at,
                }) => println!("The live world was stopped at {at}; mail may still be queued."),
                None => println!(
                    "The recording stops at {}: it was cut off before the run ended.",
                    run.trace.events().last().map(|e| e.at).unwrap_or_default()
                ),
            }
        }
        Format::Json => {
            let mut hosts = String::new();
            export::json::write_hosts(&run.trace, &mut hosts);
            print!("{hosts}");
            stream(&run.trace, export::json::write_event);
        }
        Format::Markdown => {
            print!(
                "{}",
                export::markdown::render(&run.title, &run.about, &run.trace, &board())
            );
        }
        Format::Mermaid => print!("{}", export::mermaid::render(&run.trace, &run.title)),
        Format::Html => print!(
            "{}",
            export::html::render(&export::html::Handout {
                title: &run.title,
                about: &run.about,
                seed: run.seed,
                trace: &run.trace,
                verdicts: &verdicts,
            })
        ),
        Format::Pcapng | Format::Pcap => {
            let start = run.start_unix.saturating_mul(1_000_000);
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

/// Prints what `write` makes of each event as it goes, a block at a
/// time: the whole text of a run is ~6 KiB a message, and built first it
/// was a large share of the peak at a hundred thousand messages (issue
/// 14 §1). The bytes are the same as the whole text printed at once.
fn stream(trace: &crate::trace::Trace, mut write: impl FnMut(&crate::trace::Event, &mut String)) {
    const BLOCK: usize = 64 * 1024;
    let mut out = String::with_capacity(2 * BLOCK);
    for event in trace.events() {
        write(event, &mut out);
        if out.len() >= BLOCK {
            print!("{out}");
            out.clear();
        }
    }
    print!("{out}");
}

/// Writes the recording whole, then flushes it.
fn record(run: &Recording, path: &std::path::Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    crate::record::write(run, &mut out)?;
    out.flush()
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
        // The diagram, the page and the capture own stdout: the verdicts
        // go aside (the page shows them too).
        Format::Mermaid | Format::Html | Format::Pcapng | Format::Pcap => {
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
