//! `mailflow lesson NAME`: walk a scenario's guided lesson in the
//! dashboard, one step at a time. In a pipe it prints the lesson instead,
//! each step with the event it shows and its questions with their answers:
//! a teacher's script, and what the tests read.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::tui;
use crate::tui::World;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub tui: tui::Args,
}

pub fn run(args: &Args) -> ExitCode {
    let mut tui_args = args.tui.clone();
    tui_args.lesson = true;
    if std::io::stdout().is_terminal() {
        return tui::run(&tui_args);
    }
    let source = match tui_args.world.source() {
        Ok(source) => source,
        Err(code) => return code,
    };
    let world = match source {
        super::Source::Scenario(plan) => World::run(plan),
        recording => World::of(recording.finish()),
    };
    match tui::classroom_of(&tui_args, &world) {
        Ok(resolved) => {
            print!(
                "{}",
                crate::export::lesson::script(&world.title, &world.trace, &world.index, &resolved)
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
