//! The values every section writes: durations, down windows, mail
//! addresses; each parsed, or reported with the likely fix.

use std::time::Duration;

use super::Validator;
use crate::scenario::duration::parse_duration;
use crate::scenario::ron::Step::{self, Item};
use crate::scenario::suggest::closest;
use crate::smtp::Mailbox;

impl Validator<'_> {
    pub(super) fn duration(&mut self, text: &str, what: &str, path: &[Step]) -> Duration {
        parse_duration(text).unwrap_or_else(|e| {
            let problem = if e.is_too_long() {
                self.at(format!("{what} {text:?} is too long"), path)
                    .help("a scenario runs for days at most: write e.g. \"7d\"")
            } else {
                let general = "a duration is a number and a unit, with no space: \
                               \"150ms\", \"30s\", \"5m\", \"2h\", \"1d\", or a sum like \"1h30m\"";
                let help = match fix_duration(text) {
                    Some(fixed) => format!("did you mean {fixed:?}? A{}", &general[1..]),
                    None => general.to_owned(),
                };
                self.at(format!("{what} {text:?} is not a duration"), path)
                    .help(help)
            };
            self.push(problem);
            Duration::ZERO
        })
    }

    /// `down: [(from, until), ...]` of `owner`, at `path` (the list).
    pub(super) fn windows(
        &mut self,
        down: &[(String, String)],
        owner: &str,
        path: &[Step],
    ) -> Vec<(Duration, Duration)> {
        self.spans(down, "down", owner, path)
    }

    /// Windows `(from, until)` of a `kind` ("down", "stall") of `owner`,
    /// at `path` (the list).
    pub(super) fn spans(
        &mut self,
        down: &[(String, String)],
        kind: &str,
        owner: &str,
        path: &[Step],
    ) -> Vec<(Duration, Duration)> {
        down.iter()
            .enumerate()
            .map(|(k, (from, until))| {
                let at = |end: usize| [path, &[Item(k), Item(end)]].concat();
                let a = self.duration(from, &format!("the start of a {kind} window"), &at(0));
                let b = self.duration(until, &format!("the end of a {kind} window"), &at(1));
                let window = [path, &[Item(k)]].concat();
                let both_parse = parse_duration(from).is_ok() && parse_duration(until).is_ok();
                if both_parse && b == a {
                    let problem = self
                        .at(
                            format!(
                                "the {kind} window ({from:?}, {until:?}) of {owner} ends when it starts, so it lasts no time"
                            ),
                            &window,
                        )
                        .help("write (from, until) with `until` later than `from`, e.g. (\"5m\", \"10m\")");
                    self.push(problem);
                } else if both_parse && b < a {
                    let problem = self
                        .at(
                            format!(
                                "the {kind} window ({from:?}, {until:?}) of {owner} ends before it starts"
                            ),
                            &window,
                        )
                        .help(format!(
                            "write (from, until), the earlier time first: did you mean ({until:?}, {from:?})?"
                        ));
                    self.push(problem);
                }
                (a, b)
            })
            .collect()
    }

    /// A full address, parsed in lower case, or `None` once its problem
    /// is reported.
    pub(super) fn mailbox(&mut self, text: &str, what: &str, path: &[Step]) -> Option<Mailbox> {
        match Mailbox::parse(&text.to_lowercase()) {
            Ok(m) if m.domain().is_some() => Some(m),
            _ => {
                let suggestion = self.mailbox_suggestion(text);
                let help = match suggestion {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => "write a full address like \"bob@example.net\"".to_owned(),
                };
                let problem = self
                    .at(format!("{what} {text:?} is not a mail address"), path)
                    .help(help);
                self.push(problem);
                None
            }
        }
    }

    /// A full address as a mailbox's name, in lower case: how an MTA
    /// files its mailboxes and the trace names them. A malformed one is
    /// reported and kept as written, for the checks that follow.
    pub(super) fn mailbox_name(&mut self, text: &str, what: &str, path: &[Step]) -> String {
        self.mailbox(text, what, path)
            .map_or_else(|| text.to_lowercase(), |m| m.to_string())
    }

    /// A mailbox of the scenario that `text` probably meant.
    pub(super) fn mailbox_suggestion(&self, text: &str) -> Option<String> {
        let text = text.trim().to_lowercase();
        let by_local = (!text.contains('@'))
            .then(|| {
                self.mailboxes
                    .iter()
                    .find(|m| m.split('@').next() == Some(text.as_str()))
            })
            .flatten();
        by_local
            .map(String::as_str)
            .or_else(|| closest(&text, self.mailboxes.iter().map(String::as_str)))
            .map(str::to_owned)
    }
}

/// `"5 minutes"` → `"5m"`, `"1 hour 30 min"` → `"1h30m"`: the duration a
/// teacher probably meant, if there is one.
fn fix_duration(text: &str) -> Option<String> {
    let mut fixed = String::new();
    let mut word = String::new();
    let unit = |word: &str| -> Option<&'static str> {
        Some(match word {
            "ms" | "msec" | "millisecond" | "milliseconds" => "ms",
            "s" | "sec" | "secs" | "second" | "seconds" => "s",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "h" | "hr" | "hrs" | "hour" | "hours" => "h",
            "d" | "day" | "days" => "d",
            "and" | "" => "",
            _ => return None,
        })
    };
    for c in text.trim().to_lowercase().chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        fixed.push_str(unit(&word)?);
        word.clear();
        if c.is_ascii_digit() {
            fixed.push(c);
        } else if !(c.is_whitespace() || c == ',') {
            return None;
        }
    }
    (fixed != text && parse_duration(&fixed).is_ok()).then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_written_in_words_are_fixed() {
        assert_eq!(fix_duration("5 minutes").as_deref(), Some("5m"));
        assert_eq!(fix_duration("1 hour 30 mins").as_deref(), Some("1h30m"));
        assert_eq!(fix_duration("30 Seconds").as_deref(), Some("30s"));
        assert_eq!(fix_duration("5m"), None);
        assert_eq!(fix_duration("soon"), None);
        assert_eq!(fix_duration("1.5h"), None);
    }
}
