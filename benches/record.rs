//! What a recording costs: its size per event and per message octet, and
//! the time to write and to read it back, as ratios to `sim::run` of the
//! same world in the same process.
//!
//! Two runs: `hello` as it ships, and `hello` scaled up as in
//! `benches/capture.rs` (alice sends N messages, one every 100 ms of
//! simulated time; bob fetches them all at the end).
//!
//! Run with `cargo bench --bench record`; `MAILFLOW_BENCH_RECORD_N` sets
//! N (default 2000; 20,000 gives a million events);
//! `MAILFLOW_BENCH_RECORD_OUT=FILE` keeps the last recording in FILE.

#[path = "support/scaled.rs"]
mod scaled;

use std::time::{Duration, Instant};

use mailflow::plan::Plan;
use mailflow::record::{self, Recording};
use mailflow::scenario;
use mailflow::sim;
use mailflow::trace::{EventKind, Payload};

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

fn measure(label: &str, plan: &Plan) {
    let (t_run, run) = timed(|| sim::run(plan));
    let recording = Recording::of(plan, run);
    let (t_write, bytes) = timed(|| {
        let mut out = Vec::new();
        record::write(&recording, &mut out).expect("a Vec takes it");
        out
    });
    let (t_read, loaded) = timed(|| record::read(&bytes[..]).expect("reads back"));
    assert_eq!(loaded.recording.trace.len(), recording.trace.len());
    // To measure what a compressor would gain, outside this process.
    if let Some(path) = std::env::var_os("MAILFLOW_BENCH_RECORD_OUT") {
        std::fs::write(path, &bytes).expect("the recording is written");
    }
    let events = recording.trace.len() as f64;
    let sum = |f: fn(&EventKind) -> Option<&Payload>| -> usize {
        recording
            .trace
            .events()
            .iter()
            .filter_map(|e| f(&e.kind))
            .map(|p| p.as_bytes().len())
            .sum()
    };
    let delivered: usize = recording
        .trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } => Some(rest.content.len()),
            _ => None,
        })
        .sum();
    let wire = sum(|k| match k {
        EventKind::Bytes { data, .. } | EventKind::Datagram { data, .. } => Some(data),
        _ => None,
    });
    println!(
        "{label}: {} events, {} B recorded ({:.0} B/event); delivered messages {} B ({:.2} B per message octet), wire bytes {} B ({:.2} B per wire octet)",
        recording.trace.len(),
        bytes.len(),
        bytes.len() as f64 / events,
        delivered,
        bytes.len() as f64 / delivered.max(1) as f64,
        wire,
        bytes.len() as f64 / wire.max(1) as f64,
    );
    println!(
        "{label}: sim::run {:.1} ms; write {:.1} ms ({:.3} of the run, {:.0} MB/s); read {:.1} ms ({:.3} of the run, {:.0} MB/s)",
        t_run.as_secs_f64() * 1e3,
        t_write.as_secs_f64() * 1e3,
        t_write.as_secs_f64() / t_run.as_secs_f64(),
        bytes.len() as f64 / t_write.as_secs_f64() / 1e6,
        t_read.as_secs_f64() * 1e3,
        t_read.as_secs_f64() / t_run.as_secs_f64(),
        bytes.len() as f64 / t_read.as_secs_f64() / 1e6,
    );
}

fn main() {
    let n: u64 = std::env::var("MAILFLOW_BENCH_RECORD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let plan = scenario::load("hello").expect("hello loads").plan;
    measure("hello", &plan);

    let big = scaled::hello_times(&plan, n);
    measure(&format!("hello x{n}"), &big);
}
