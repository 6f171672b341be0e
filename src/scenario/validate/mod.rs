//! From a parsed file to a `Plan`: every name must point somewhere, every
//! duration and address must parse, and each mistake is reported with its
//! place in the file and, where a likely fix exists, a suggestion.
//!
//! Every check knows where in the file the value it checks was written (a
//! path such as `mtas[1].mailboxes["bob@example.net"]`, resolved by
//! [`SourceMap`]), so the marker lands on that text even when the same name
//! appears elsewhere too. All problems are collected, not just the first.
//! One file per section of the scenario, each an `impl Validator` block.

use std::cell::OnceCell;
use std::time::Duration;

use super::diagnostic::{Problem, line_of};
use super::duration::parse_duration;
use super::ron::{SourceMap, Step};
use super::schema::Scenario;
use crate::plan::Plan;

/// The name of a field of the schema, for a path into the file, checked
/// by the compiler: renaming the field in `schema.rs` breaks the build
/// here, rather than leaving a path that silently finds nothing.
/// `name!(Mta.retry)`, `name!(Mta | Client.resolver)` (a field every one
/// of them has), `name!(Expect::Delivered.to)`.
macro_rules! name {
    ($($record:ident)|+ . $field:ident) => {{
        $(let _ = |r: &$crate::scenario::schema::$record| {
            let _ = &r.$field;
        };)+
        stringify!($field)
    }};
    ($enum:ident :: $variant:ident . $field:ident) => {{
        let _ = |e: &$crate::scenario::schema::$enum| {
            matches!(e, $crate::scenario::schema::$enum::$variant { $field: _, .. })
        };
        stringify!($field)
    }};
}

mod auth;
mod clients;
mod dns;
mod dsn;
mod expect;
mod hosts;
mod lesson;
mod links;
mod mtas;
mod values;
mod variants;
mod whatif;

use Step::Field;
use hosts::host_refs;

/// A scenario checked: its plan, the plans of its variants, and the
/// slips that let it run but probably not as meant.
#[derive(Debug, Clone)]
pub struct Validated {
    pub plan: Plan,
    /// (name, plan) of each variant, in the order of the file.
    pub variants: Vec<(String, Plan)>,
    pub warnings: Vec<Problem>,
}

/// Checks `scenario` (parsed from `source`) and builds its plan, or lists
/// every problem found.
pub fn validate(scenario: &Scenario, source: &str) -> Result<Validated, Vec<Problem>> {
    let mut v = Validator::new(scenario, source);
    let plan = v.plan(scenario);
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    let mut warnings = std::mem::take(&mut v.warnings);
    let variants = v.variants(scenario, &mut warnings);
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    Ok(Validated {
        plan,
        variants,
        warnings,
    })
}

/// The expectations of a grading task, checked on their own: the world
/// they will be checked against is a student's, not known yet, so the
/// hosts and mailboxes they name are taken as written.
pub fn task_expectations(
    expect: &[super::schema::Expect],
    source: &str,
) -> Result<Vec<crate::plan::Expectation>, Vec<Problem>> {
    let mut v = Validator {
        source,
        map: OnceCell::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        mailboxes: Vec::new(),
        recipients: Vec::new(),
        host_names: Vec::new(),
        subjects: Vec::new(),
        run_for: None,
        expect_path: vec![Field(name!(Scenario.expect))],
        open_world: true,
        dkim: Vec::new(),
    };
    let out = expect
        .iter()
        .enumerate()
        .map(|(k, e)| v.expectation(e, k))
        .collect();
    if v.problems.is_empty() {
        Ok(out)
    } else {
        Err(v.problems)
    }
}

struct Validator<'a> {
    source: &'a str,
    /// Built on the first problem: a good file never needs it.
    map: OnceCell<SourceMap>,
    problems: Vec<Problem>,
    /// Slips that do not stop the file from running.
    warnings: Vec<Problem>,
    /// Every mailbox of the scenario, for suggestions.
    mailboxes: Vec<String>,
    /// Every address some message is sent to.
    recipients: Vec<String>,
    /// Every host name, in lower case.
    host_names: Vec<String>,
    /// The subjects of the messages clients send.
    subjects: Vec<String>,
    /// How long the run lasts, once it parsed.
    run_for: Option<Duration>,
    /// Where the expectations being checked are written: the scenario's
    /// own, or a variant's.
    expect_path: Vec<Step<'static>>,
    /// The world is not known (a grading task): names are not checked.
    open_world: bool,
    /// The DKIM keys of the zones, made once (see `auth`).
    dkim: Vec<crate::plan::DkimSigner>,
}

impl<'a> Validator<'a> {
    fn new(scenario: &Scenario, source: &'a str) -> Validator<'a> {
        let messages = || scenario.clients.iter().flat_map(|c| &c.send);
        Validator {
            source,
            map: OnceCell::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            mailboxes: scenario
                .mtas
                .iter()
                .flat_map(|m| m.mailboxes.keys().map(|a| a.to_lowercase()))
                .collect(),
            recipients: messages()
                .flat_map(|m| m.to.iter().chain(&m.cc).chain(&m.bcc))
                .map(|a| a.trim().to_lowercase())
                .collect(),
            host_names: host_refs(scenario)
                .iter()
                .map(|r| r.name.to_lowercase())
                .collect(),
            // A raw message's subject is the one in its own header.
            subjects: messages()
                .map(|m| match &m.raw {
                    Some(raw) => crate::mail::Headers::parse(raw.as_bytes())
                        .get_decoded("Subject")
                        .unwrap_or_default(),
                    None => m.subject.clone(),
                })
                .filter(|s| !s.is_empty())
                .collect(),
            run_for: parse_duration(&scenario.run_for).ok(),
            expect_path: vec![Field(name!(Scenario.expect))],
            open_world: false,
            dkim: Vec::new(),
        }
    }
}

impl Validator<'_> {
    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::new(self.source))
    }

    /// A problem marking the value at `path` (or the nearest thing around
    /// it that is written in the file).
    fn at(&self, message: impl Into<String>, path: &[Step]) -> Problem {
        let problem = Problem::new(message);
        match self.map().nearest(path) {
            Some((start, end)) => problem.span(self.source, start, end),
            None => problem,
        }
    }

    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The line the value at `path` is written on.
    fn line(&self, path: &[Step]) -> Option<usize> {
        self.map()
            .find(path)
            .map(|(start, _)| line_of(self.source, start))
    }

    fn offset(&self, path: &[Step]) -> usize {
        self.map().find(path).map_or(usize::MAX, |(start, _)| start)
    }

    fn plan(&mut self, s: &Scenario) -> Plan {
        let refs = host_refs(s);
        let mut hosts = self.hosts(&refs);
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.resolvers(s, &refs, &mut hosts);
        self.dkim = self.dkim_keys(s);
        let dns = self.dns(s, &hosts);
        let mtas = self.mtas(s, &refs);
        let clients = self.clients(s, &refs, &mtas);
        self.deliberate_list(s);
        let links = self.links(s, &names);
        let externals = self.externals(s, &refs);
        self.mx_targets(s, &dns, &refs);
        let expect = s
            .expect
            .iter()
            .enumerate()
            .map(|(k, e)| self.expectation(e, k))
            .collect();
        self.quiz_and_lesson(s);
        let start_unix = parse_start(&s.start).unwrap_or_else(|| {
            let problem = self
                .at(format!("the start {:?} is not a date and time", s.start), &[Field(name!(Scenario.start))])
                .help("write it like \"2026-12-01 09:00:00\": year-month-day hours:minutes:seconds, in UTC");
            self.push(problem);
            0
        });
        let mut plan = Plan {
            title: s.title.clone(),
            about: s.about.clone(),
            seed: s.seed,
            start_unix,
            run_for: self.duration(&s.run_for, "`run_for`", &[Field(name!(Scenario.run_for))]),
            latency: self.duration(&s.latency, "the latency", &[Field(name!(Scenario.latency))]),
            hosts,
            dns,
            mtas,
            clients,
            links,
            externals,
            expect,
            overrides: Vec::new(),
        };
        plan.overrides = self.overrides(s, &plan);
        plan
    }

    /// Reports a value written twice, at the second place in the file, with
    /// a note saying where the first is. `first` and `second` are (path,
    /// what is there).
    fn duplicate(
        &mut self,
        message: String,
        first: (&[Step], &str),
        second: (&[Step], &str),
        help: String,
    ) {
        let (earlier, later) = if self.offset(first.0) <= self.offset(second.0) {
            (first, second)
        } else {
            (second, first)
        };
        let mut problem = self.at(message, later.0).help(help);
        if let Some(line) = self.line(earlier.0) {
            problem = problem.note(format!("the first is {} on line {line}", earlier.1));
        }
        self.push(problem);
    }
}

/// `"2026-12-01 09:00:00"` (UTC) to Unix seconds.
fn parse_start(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_dates() {
        assert_eq!(parse_start("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_start("2000-03-01 00:00:00"), Some(951_868_800));
        assert_eq!(parse_start("2026-12-01T09:00:00Z"), Some(1_796_115_600));
        assert_eq!(parse_start("2026-13-01 00:00:00"), None);
        assert_eq!(parse_start("yesterday"), None);
    }
}
