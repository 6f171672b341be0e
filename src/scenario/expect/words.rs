//! A claim in words, as `run` and `grade` print it: what is claimed, then
//! its scope, its window and its count.

use std::time::Duration;

use crate::plan::{Count, Scope, Window};
use crate::scenario::duration::format_duration;

/// `what`, narrowed by the scope's message, recipient and host, in the
/// window, counted.
pub fn claim(what: String, scope: &Scope, window: &Window, count: &Count) -> String {
    let mut out = what;
    if let Some(rcpt) = &scope.rcpt {
        out.push_str(&format!(" for {rcpt}"));
    }
    if let Some(host) = &scope.host {
        out.push_str(&format!(" by {host}"));
    }
    if let Some(message) = &scope.message {
        out.push_str(&format!(" (message {message:?})"));
    }
    out.push_str(&self::window(window));
    out.push_str(&self::count(count));
    out
}

/// " within 5m", " between 1h and 2h counted from sending", or nothing.
pub fn window(w: &Window) -> String {
    let mut parts = Vec::new();
    if let Some(d) = w.within {
        parts.push(format!("within {}", duration(d)));
    }
    if let Some(d) = w.after {
        parts.push(format!("after {}", duration(d)));
    }
    if let Some(d) = w.not_before {
        parts.push(format!("not before {}", duration(d)));
    }
    if let Some((a, b)) = w.between {
        parts.push(format!("between {} and {}", duration(a), duration(b)));
    }
    if parts.is_empty() {
        return String::new();
    }
    let from = if w.since_send {
        " counted from sending"
    } else {
        ""
    };
    format!(" {}{from}", parts.join(" and "))
}

/// " exactly 2 time(s)", or nothing for the default (at least once).
pub fn count(c: &Count) -> String {
    let mut parts = Vec::new();
    if let Some(n) = c.exactly {
        parts.push(format!("exactly {n}"));
    }
    if let Some(n) = c.at_least {
        parts.push(format!("at least {n}"));
    }
    if let Some(n) = c.at_most {
        parts.push(format!("at most {n}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {} time(s)", parts.join(" and "))
    }
}

/// "mx.example.net replied 450 4.7.1 to RCPT <dave@example.net> in session 3".
pub fn reply(code: u16, status: &Option<String>, scope: &Scope, negative: bool) -> String {
    let who = match (&scope.host, negative) {
        (Some(h), false) => format!("{h} replied"),
        (Some(h), true) => format!("{h} never replied"),
        (None, false) => "some server replied".to_owned(),
        (None, true) => "no server replied".to_owned(),
    };
    let mut out = match status {
        Some(s) => format!("{who} {code} {s}"),
        None => format!("{who} {code}"),
    };
    match (&scope.command, &scope.rcpt) {
        (_, Some(r)) => out.push_str(&format!(" to RCPT <{r}>")),
        (Some(c), None) => out.push_str(&format!(" to {c}")),
        (None, None) => {}
    }
    if let Some(s) = scope.session {
        out.push_str(&format!(" in session [{s}]"));
    }
    out
}

pub fn duration(d: Duration) -> String {
    format_duration(d)
}
