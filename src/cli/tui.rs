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
    /// Be this client or MTA: type SMTP (and POP3) into a console, and
    /// the world answers and waits for you (a on the dashboard, too).
    #[arg(long = "as", value_name = "HOST")]
    pub as_host: Option<String>,
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
            as_host: None,
        }
    }
}

pub fn run(args: &Args) -> ExitCode {
    let source = match args.world.source() {
        Ok(source) => source,
        Err(code) => return code,
    };
    // A wrong host is said before anything else, terminal or not.
    let played = match (&args.as_host, &source) {
        (None, _) => None,
        (Some(_), super::Source::Recording(_)) => {
            eprintln!("mailflow tui: --as needs a scenario to run, not a recording");
            return ExitCode::from(2);
        }
        (Some(name), super::Source::Scenario(plan)) => match crate::sim::driven::hand(plan, name) {
            Ok(host) => Some(host),
            Err(e) => {
                eprintln!("mailflow tui: {e}");
                return ExitCode::from(2);
            }
        },
    };
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "mailflow tui needs a terminal; for text use `mailflow run {}`",
            args.world.scenario
        );
        return ExitCode::from(2);
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(args.theme.as_deref(), no_color);
    if let (Some(host), super::Source::Scenario(plan)) = (played, &source) {
        return run_as(plan, host, theme);
    }
    let world = match source {
        super::Source::Scenario(plan) => World::run(plan),
        recording => World::of(recording.finish()),
    };
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

/// `--as HOST`: the console over a world that waits for the student.
fn run_as(plan: &crate::plan::Plan, host: crate::trace::HostId, theme: Theme) -> ExitCode {
    match tui::run_as(plan, host, theme) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("mailflow tui: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("mailflow: the terminal failed: {e}");
            ExitCode::FAILURE
        }
    }
}
