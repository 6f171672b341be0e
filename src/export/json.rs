//! JSON Lines: one object per event, host names spelled out, bytes as text.

use std::fmt::Write;

use serde::Serialize;

use crate::trace::{Event, Trace};

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    event: &'a Event,
    /// Microseconds of simulated time, as in `at`, for readers that want
    /// seconds without parsing.
    seconds: f64,
}

/// Every event as one JSON object per line, after one line naming the hosts.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    write_hosts(trace, &mut out);
    for event in trace.events() {
        write_event(event, &mut out);
    }
    out
}

/// The first line, naming the hosts.
pub fn write_hosts(trace: &Trace, out: &mut String) {
    let hosts = serde_json::json!({ "kind": "hosts", "hosts": trace.hosts });
    let _ = writeln!(out, "{hosts}");
}

/// One event's line, for a writer that streams them (`mailflow run`).
pub fn write_event(event: &Event, out: &mut String) {
    let line = Line {
        event,
        seconds: event.at.duration().as_secs_f64(),
    };
    if let Ok(json) = serde_json::to_string(&line) {
        let _ = writeln!(out, "{json}");
    }
}
