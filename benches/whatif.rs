//! What a what-if costs: for every bundled scenario, a plain run (what
//! `mailflow tui` does before it opens: run, index, state) against a
//! branch as the dashboard makes it (the world run again with the
//! override, indexed, and compared per recipient with the original), as
//! a ratio measured in the same process. Every server reply of the run is
//! tried (given a 421) and the slowest branch is reported. Best of 7
//! each, so a busy machine's pauses do not count.
//!
//! Run with `cargo bench --bench whatif`. It fails (exit 1) if a branch
//! changes nothing: then it measured nothing.

use std::time::{Duration, Instant};

use mailflow::plan::{Override, Plan};
use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::trace::compare;
use mailflow::trace::index::Index;
use mailflow::trace::point::{self, Point};
use mailflow::trace::state::State;

const TRIES: usize = 7;

fn best(mut f: impl FnMut()) -> Duration {
    (0..TRIES)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// What the dashboard builds for a run: the run, its index and state.
fn open(plan: &Plan) -> (mailflow::trace::Trace, Index, State) {
    let trace = sim::run(plan).trace;
    let index = Index::build(&trace);
    let state = State::build(&trace);
    (trace, index, state)
}

fn main() {
    println!(
        "{:<18} {:>7} {:>10} {:>10} {:>7}  what-if",
        "scenario", "events", "plain", "branch", "ratio"
    );
    let mut worst: f64 = 0.0;
    let mut failed = false;
    for name in bundled::names() {
        let plan = scenario::load(name).expect("bundled").plan;
        let (trace, index, state) = open(&plan);
        // Every server reply a what-if can change, each given a 421: the
        // slowest branch counts (a late one replays almost all the run).
        let mut points: Vec<Point> = Vec::new();
        for i in 0..index.lines.len() {
            if let Some(p) = point::of_line(&trace, &index, i)
                && !points.contains(&p)
            {
                points.push(p);
            }
        }
        let instead = scenario::whatif::instead("421 4.3.2").expect("a reply");
        let plain = best(|| {
            std::hint::black_box(open(&plan));
        });
        let mut slowest = (Duration::ZERO, String::new());
        for p in &points {
            let what = Override::reply_at(p, instead.clone()).expect("a server's point");
            let mut branch_plan = plan.clone();
            branch_plan.overrides.push(what);
            let mut forked = None;
            let branch = best(|| {
                let (b_trace, _b_index, b_state) = open(&branch_plan);
                forked = compare::fork(&trace, &b_trace);
                let changes = compare::changes(
                    &compare::fates(&trace, &state),
                    &compare::fates(&b_trace, &b_state),
                );
                std::hint::black_box(changes);
            });
            if forked.is_none() {
                eprintln!("{name}: {} changed nothing", p.describe(&trace));
                failed = true;
            }
            if branch > slowest.0 {
                slowest = (branch, p.describe(&trace));
            }
        }
        let ratio = slowest.0.as_secs_f64() / plain.as_secs_f64().max(1e-9);
        worst = worst.max(ratio);
        println!(
            "{name:<18} {:>7} {:>8.2}ms {:>8.2}ms {:>6.2}×  {} 421 (slowest of {})",
            trace.len(),
            plain.as_secs_f64() * 1e3,
            slowest.0.as_secs_f64() * 1e3,
            ratio,
            slowest.1,
            points.len()
        );
    }
    println!("worst branch / plain run: {worst:.2}×");
    if failed {
        eprintln!("a branch changed nothing: its time measures nothing");
        std::process::exit(1);
    }
}
