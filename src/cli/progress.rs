//! A progress line on stderr while a world computes: the simulated time
//! reached against the run's limit, as a bar. Only when stderr is a
//! terminal, never in a pipe or a file, and not when `--quiet` or
//! NO_COLOR asks for plain output. The world then runs on its own thread
//! and streams its events here (`sim::run_streamed`); the trace put back
//! together is the one `sim::run` gives.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use crate::plan::Plan;
use crate::sim::{self, Run};
use crate::trace::SimTime;

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(100);

/// Is a progress line wanted: stderr a terminal, and nobody asked for
/// quiet or plain output?
pub fn wanted(quiet: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !quiet && !no_color && std::io::stderr().is_terminal()
}

/// The progress line: what computes, the simulated time reached of the
/// limit, a bar, and the events so far.
pub fn line(what: &str, reached: SimTime, run_for: Duration, events: usize) -> String {
    const WIDTH: usize = 20;
    let fraction = if run_for.is_zero() {
        0.0
    } else {
        (reached.duration().as_secs_f64() / run_for.as_secs_f64()).clamp(0.0, 1.0)
    };
    let filled = ((fraction * WIDTH as f64).round() as usize).min(WIDTH);
    format!(
        "{what}: {reached} of {} [{}{}] {:>3.0}%  {events} events",
        SimTime::from(run_for),
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        fraction * 100.0
    )
}

/// Runs `plan`, with a progress line on stderr when `show`; the run is
/// the same either way.
pub fn run(plan: &Plan, what: &str, show: bool) -> Run {
    if show {
        run_to(plan, what, &mut std::io::stderr())
    } else {
        sim::run(plan)
    }
}

/// Runs `plan` on its own thread, drawing the progress line on `out`.
fn run_to(plan: &Plan, what: &str, out: &mut impl Write) -> Run {
    let (tap, feed) = std::sync::mpsc::sync_channel(65_536);
    let owned = plan.clone();
    let world = std::thread::spawn(move || sim::run_streamed(&owned, tap));
    let mut events = Vec::new();
    let mut reached = SimTime::ZERO;
    let mut drawn = Instant::now();
    loop {
        match feed.recv_timeout(EVERY) {
            Ok(event) => {
                reached = event.at;
                events.push(event);
                // Take what waits before looking at the clock again.
                events.extend(feed.try_iter());
                if let Some(last) = events.last() {
                    reached = last.at;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if drawn.elapsed() >= EVERY {
            drawn = Instant::now();
            let text = line(what, reached, plan.run_for, events.len());
            let _ = write!(out, "\r\x1b[2K{text}");
            let _ = out.flush();
        }
    }
    // The line goes once the run is done: what follows starts clean.
    let _ = write!(out, "\r\x1b[2K");
    let _ = out.flush();
    let mut run = match world.join() {
        Ok(run) => run,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    for event in events {
        run.trace.push(event.at, event.kind);
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the progress line the run is the same, byte for byte, as
    /// without it, for every bundled scenario.
    #[test]
    fn a_run_with_progress_gives_the_same_trace() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let bytes = |run: &Run| serde_json::to_string(&run.trace).unwrap_or_default();
            let mut shown = Vec::new();
            let (with, without) = (run_to(&plan, name, &mut shown), sim::run(&plan));
            assert!(shown.ends_with(b"\r\x1b[2K"), "{name}: the line is cleared");
            assert_eq!(bytes(&with), bytes(&without), "{name}");
            assert_eq!(
                (with.ending, with.ended_at),
                (without.ending, without.ended_at),
                "{name}"
            );
        }
    }

    #[test]
    fn the_line_says_how_far_of_the_limit() {
        let line = line(
            "hello",
            SimTime::from(Duration::from_secs(30)),
            Duration::from_secs(120),
            42,
        );
        assert!(line.contains("[#####---------------]  25%"), "{line}");
        assert!(line.contains("42 events"), "{line}");
        assert!(line.starts_with("hello: "), "{line}");
    }
}
