//! A lesson as text: each step with where it stands in the run and what
//! the trace shows there, its questions with the right answer marked, and
//! how it moves on. `mailflow lesson NAME` prints it in a pipe: a
//! teacher's script, checked against the run like every view.

use std::fmt::Write as _;

use crate::scenario::lesson::{Authored, Goal, Resolved};
use crate::trace::Trace;
use crate::trace::index::Index;

/// The lesson as text: each step, where it stands in the run, what the
/// trace shows there, its questions and answers, and how it moves on.
pub fn script(title: &str, trace: &Trace, index: &Index, resolved: &Resolved) -> String {
    let steps = &resolved.lesson.steps;
    let mut out = format!("Lesson: {title}\n");
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
                Some(line) => format!("S: {}", index.lines[line].text),
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
