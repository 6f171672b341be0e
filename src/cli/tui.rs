//! `mailflow tui`: open the dashboard on a scenario's world as it computes
//! on the simulated clock (or on a recording).

use std::io::IsTerminal;
use std::process::ExitCode;

use super::ScenarioArgs;
use crate::tui::{self, Theme, World};

#[derive(Debug, Clone, clap::Args)]
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
    /// Ask only the scenario's own quiz questions (its `quiz:` list), not
    /// every server reply.
    #[arg(long, conflicts_with = "predict")]
    pub quiz: bool,
    /// Walk the scenario's lesson (as `mailflow lesson NAME` does).
    #[arg(long)]
    pub lesson: bool,
    /// The summary printed on quit: text, or markdown for a teacher.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
    /// Be this client or MTA: type SMTP (and POP3) into a console, and
    /// the world answers and waits for you (a on the dashboard, too).
    #[arg(long = "as", value_name = "HOST")]
    pub as_host: Option<String>,
    /// Also write the summary (every question: asked, answered, right)
    /// to this file, in `--format`.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<std::path::PathBuf>,
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
            quiz: false,
            lesson: false,
            format: SummaryFormat::Text,
            as_host: None,
            summary: None,
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
    let classroom = tui::Classroom {
        predict: args.predict,
        quiz_only: args.quiz,
        lesson: args.lesson,
        resolved: Default::default(),
    };
    // A scenario opens at once and computes beside the dashboard; its
    // quiz and lesson are placed as the world reaches their events.
    if let super::Source::Scenario(plan) = &source {
        let placing = match placing_of(args) {
            Ok(placing) => placing,
            Err(code) => return code,
        };
        let opened = tui::run_computing_classroom(plan.clone(), theme, classroom, placing);
        return match opened {
            Ok(app) => closed(args, &app.world.title, &app.predict, Some(&app)),
            Err(e) => {
                eprintln!("mailflow: the terminal failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let world = match source {
        super::Source::Scenario(plan) => World::run(plan),
        recording => World::of(recording.finish()),
    };
    let resolved = match classroom_of(args, &world) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    let title = world.title.clone();
    let classroom = tui::Classroom {
        resolved,
        ..classroom
    };
    match tui::run_classroom(world, theme, classroom) {
        Ok(quiz) => closed(args, &title, &quiz, None),
        Err(e) => {
            eprintln!("mailflow: the terminal failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// After the terminal is restored: a dashboard that asked questions
/// leaves what was asked and answered on stdout; a quiz or lesson that
/// did not fit its run is reported as `check` reports it (exit 2).
fn closed(
    args: &Args,
    title: &str,
    quiz: &tui::predict::Predict,
    app: Option<&tui::App>,
) -> ExitCode {
    let markdown = args.format == SummaryFormat::Markdown;
    let summary = quiz.summary(title, markdown);
    if !quiz.records.is_empty() {
        print!("{summary}");
    }
    if let Some(path) = &args.summary {
        if let Err(e) = std::fs::write(path, &summary) {
            eprintln!("mailflow: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("mailflow: the summary is in {}", path.display());
    }
    let Some(app) = app else {
        return ExitCode::SUCCESS;
    };
    if let Some(unfit) = &app.lesson.broken {
        eprint!("{}", unfit.error);
        eprintln!(
            "mailflow: {} does not fit the run of {} (`mailflow check {}` says the same)",
            unfit.places.join(", "),
            args.world.scenario,
            args.world.scenario
        );
        return ExitCode::from(2);
    }
    let waiting = app
        .computing
        .as_ref()
        .and_then(|c| c.placing.as_ref())
        .is_some_and(|p| p.waiting);
    if waiting {
        eprintln!(
            "mailflow: the dashboard closed before the world ended, so not every question and \
             step was placed; `mailflow check {}` checks them all",
            args.world.scenario
        );
    }
    ExitCode::SUCCESS
}

/// The scenario's quiz and lesson, to place as its world computes. What
/// can be checked without the run is checked before the terminal opens:
/// the file itself (as it loads), and that `--lesson` and `--quiz` have
/// something to walk.
fn placing_of(args: &Args) -> Result<Option<tui::placing::Placing>, ExitCode> {
    let loaded =
        crate::scenario::load_with(&args.world.scenario, &args.world.settings).map_err(|e| {
            eprint!("{e}");
            ExitCode::from(2)
        })?;
    let s = &loaded.scenario;
    if args.lesson && s.lesson.is_empty() {
        eprintln!(
            "mailflow: {} has no lesson; `mailflow list` shows the scenarios that have one",
            args.world.scenario
        );
        return Err(ExitCode::from(2));
    }
    if args.quiz && s.quiz.iter().all(|q| q.at.is_none()) {
        eprintln!(
            "mailflow: {} has no quiz of its own; --predict asks about every server reply",
            args.world.scenario
        );
        return Err(ExitCode::from(2));
    }
    Ok(tui::placing::Placing::of(s, &loaded.source, &loaded.origin))
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

/// The scenario's quiz and lesson placed on the run shown. A recording
/// has none; a selector that finds nothing is an error (exit 2), as
/// `check` reports it.
pub fn classroom_of(
    args: &Args,
    world: &World,
) -> Result<crate::scenario::lesson::Resolved, ExitCode> {
    if world.plan.is_none() {
        if args.lesson || args.quiz {
            eprintln!(
                "mailflow: {} is a recording: its lesson and quiz live in the scenario; give the scenario instead",
                args.world.scenario
            );
            return Err(ExitCode::from(2));
        }
        return Ok(Default::default());
    }
    let loaded =
        crate::scenario::load_with(&args.world.scenario, &args.world.settings).map_err(|e| {
            eprint!("{e}");
            ExitCode::from(2)
        })?;
    let resolved = crate::scenario::lesson::resolve(
        &loaded.scenario,
        &loaded.source,
        &loaded.origin,
        &world.trace,
    )
    .map_err(|e| {
        eprint!("{e}");
        ExitCode::from(2)
    })?;
    if args.lesson && resolved.lesson.steps.is_empty() {
        eprintln!(
            "mailflow: {} has no lesson; `mailflow list` shows the scenarios that have one",
            args.world.scenario
        );
        return Err(ExitCode::from(2));
    }
    if args.quiz && resolved.quiz.is_empty() {
        eprintln!(
            "mailflow: {} has no quiz of its own; --predict asks about every server reply",
            args.world.scenario
        );
        return Err(ExitCode::from(2));
    }
    Ok(resolved)
}
