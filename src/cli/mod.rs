//! The command line: clap parses, each subcommand lives in its own file.

mod demo;
mod explain;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// and print every line with what it means (the default).
    Demo(demo::Args),
}

/// Parses the process arguments and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        None => demo::run(&demo::Args::default()),
    }
}
