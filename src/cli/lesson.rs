//! `mailflow lesson NAME`: walk a scenario's guided lesson in the
//! dashboard, one step at a time. In a pipe it prints the lesson instead,
//! each step with the event it shows and its questions with their answers:
//! a teacher's script, and what the tests read.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

use super::tui;
use crate::scenario::lesson::{Authored, Goal, Resolved};
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
            print!("{}", script(&world, &resolved));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// The lesson as text: each step, where it stands in the run, what the
/// trace shows there, its questions and answers, and how it moves on.
pub fn script(world: &World, resolved: &Resolved) -> String {
    let trace = &world.trace;
    let steps = &resolved.lesson.steps;
    let mut out = format!("Lesson: {}\n", world.title);
    let when = |pos: usize| {
        pos.checked_sub(1)
            .and_then(|i| trace.events().get(i))
            .map_or("+0.000s".to_owned(), |e| e.at.to_string())
    };
    for (k, step) in steps.iter().enumerate() {
        let place = match step.mark {
            None => "where the step before left off".to_owned(),
            Some(m) if m.after == 0 => "the start of the run".to_owned(),
            Some(m) if m.before >= trace.len() => "the end of the run".to_owned(),
            Some(m) => format!("event {} at {}", m.after, when(m.after)),
        };
        let _ = writeln!(out, "\nStep {}/{} · {place}", k + 1, steps.len());
        for line in step.text.lines() {
            let _ = writeln!(out, "  {line}");
        }
        if let Some(m) = step.mark
            && m.after > m.before
        {
            let shows = match m.line {
                Some(line) => format!("S: {}", world.index.lines[line].text),
                None => crate::trace::describe::event_text(trace, &trace.events()[m.before]),
            };
            let _ = writeln!(out, "  ▸ {shows}");
        }
        for q in &step.questions {
            question(&mut out, q);
        }
        let goal = match (step.until, &step.until_text) {
            (Goal::Answered, _) => "moves on when the questions are answered".to_owned(),
            (Goal::Reached(pos), Some(at)) => {
                format!("plays on to {at} (event {pos}, {})", when(pos))
            }
            _ => "moves on with >".to_owned(),
        };
        let _ = writeln!(out, "  ({goal})");
    }
    if !resolved.quiz.is_empty() {
        let _ = writeln!(out, "\nQuiz (asked in predict mode)");
        for q in &resolved.quiz {
            question(&mut out, q);
        }
    }
    out
}

fn question(out: &mut String, q: &Authored) {
    let _ = writeln!(out, "  Q: {} [at {}]", q.ask, q.at);
    for (i, c) in q.choices.iter().enumerate() {
        let mark = if i == q.answer { "*" } else { " " };
        let _ = writeln!(out, "   {mark}{}. {c}", i + 1);
    }
    if !q.why.is_empty() {
        let _ = writeln!(out, "     why: {}", q.why);
    }
}
