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
    let hosts = serde_json::json!({ "kind": "hosts", "hosts": trace.hosts });
    let _ = writeln!(out, "{hosts}");
    for event in trace.events() {
        let line = Line {
            event,
            seconds: event.at.duration().as_secs_f64(),
        };
        if let Ok(json) = serde_json::to_string(&line) {
            let _ = writeln!(out, "{json}");
        }
    }
    out
}
