//! `mailflow tui`: run a scenario on the simulated clock (or read a
//! recording), then open the dashboard on its trace.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::ScenarioArgs;
use crate::tui::{self, Theme, World};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub world: ScenarioArgs,
    /// dark, light (for projectors), high-contrast or mono. NO_COLOR wins.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Theme::NAMES))]
    pub theme: Option<String>,
    /// Predict mode: stop before each server reply and ask what it will
    /// be (g toggles it in the dashboard). A summary is printed on quit.
    #[arg(long)]
    pub predict: bool,
    /// The predict summary printed on quit: text, or markdown for a teacher.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

/// How the predict summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Text,
    Markdown,
}

impl Args {
    pub fn first_minute() -> Args {
        Args {
            world: ScenarioArgs::first_minute(),
            theme: None,
            predict: false,
            format: SummaryFormat::Text,
        }
    }
}

pub fn run(args: &Args) -> ExitCode {
    let source = match args.world.source() {
        Ok(source) => source,
        Err(code) => return code,
    };
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "mailflow tui needs a terminal; for text use `mailflow run {}`",
            args.world.scenario
        );
        return ExitCode::from(2);
    }
    let world = match source {
        super::Source::Scenario(plan) => World::run(plan),
        recording => World::of(recording.finish()),
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(args.theme.as_deref(), no_color);
    let title = world.title.clone();
    match tui::run_with(world, theme, args.predict) {
        Ok(quiz) => {
            // After the terminal is restored: a dashboard that asked
            // questions leaves what was asked and answered on stdout.
            if !quiz.records.is_empty() {
                let markdown = args.format == SummaryFormat::Markdown;
                print!("{}", quiz.summary(&title, markdown));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mailflow: the terminal failed: {e}");
            ExitCode::FAILURE
        }
    }
}
