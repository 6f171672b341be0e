//! What a capture costs: `run --format pcapng` against `--format json` of
//! the same trace, in the same process.
//!
//! Two runs: `hello` as it ships, and `hello` scaled up, alice sending N
//! messages one every 100 ms of simulated time (bob fetches them all at
//! the end). For each it prints the trace's events, the bytes of the
//! pcapng and of the JSON Lines per event, and the time to write each
//! (best of k), with the ratio pcapng / JSON.
//!
//! Run with `cargo bench --bench capture`; `MAILFLOW_BENCH_CAPTURE_N`
//! sets N (default 2000).

#[path = "support/scaled.rs"]
mod scaled;

use std::time::{Duration, Instant};

use mailflow::export::{json, pcap};
use mailflow::scenario;
use mailflow::sim;
use mailflow::trace::Trace;

fn best<T>(k: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut best = Duration::MAX;
    for _ in 0..k {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("k > 0"))
}

fn measure(label: &str, trace: &Trace, start: i64) {
    let k = 5;
    let (t_ng, ng) = best(k, || pcap::pcapng(trace, start));
    let (t_json, js) = best(k, || json::render(trace));
    let events = trace.len() as f64;
    println!(
        "{label}: {} events, {} packets; pcapng {} B ({:.0} B/event) in {:.2} ms ({:.0} MB/s); json {} B ({:.0} B/event) in {:.2} ms; time pcapng/json {:.2}, size {:.2}",
        trace.len(),
        pcap::packets(trace).len(),
        ng.len(),
        ng.len() as f64 / events,
        t_ng.as_secs_f64() * 1e3,
        ng.len() as f64 / t_ng.as_secs_f64() / 1e6,
        js.len(),
        js.len() as f64 / events,
        t_json.as_secs_f64() * 1e3,
        t_ng.as_secs_f64() / t_json.as_secs_f64(),
        ng.len() as f64 / js.len() as f64,
    );
}

fn main() {
    let n: u64 = std::env::var("MAILFLOW_BENCH_CAPTURE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let plan = scenario::load("hello").expect("hello loads").plan;
    let start = plan.start_unix * 1_000_000;
    measure("hello", &sim::run(&plan).trace, start);

    let big = scaled::hello_times(&plan, n);
    let trace = sim::run(&big).trace;
    measure(&format!("hello x{n}"), &trace, start);
}
