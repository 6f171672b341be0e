//! Reading a scenario: a file path or the name of a bundled scenario, RON
//! parsed with precise positions, then validated.

use std::path::Path;

use ron::extensions::Extensions;

use super::bundled;
use super::error::{Problem, ScenarioError, closest};
use super::plan::Plan;
use super::schema::Scenario;
use super::validate::validate;

/// A scenario ready to run, with its text (for `check` and the views).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Where it came from: a path, or the bundled name.
    pub origin: String,
    pub source: String,
    pub scenario: Scenario,
    pub plan: Plan,
}

/// Parses and validates scenario text; `origin` names it in errors.
pub fn parse(source: &str, origin: &str) -> Result<Loaded, ScenarioError> {
    let fail = |problems| ScenarioError {
        file: origin.to_owned(),
        source: source.to_owned(),
        problems,
    };
    // IMPLICIT_SOME lets teachers write `within: "5m"` instead of `Some("5m")`.
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let scenario: Scenario = options.from_str(source).map_err(|e| {
        let mut problem = Problem::new(e.code.to_string());
        problem.at = Some((e.span.start.line, e.span.start.col));
        fail(vec![with_help(problem, &e.code)])
    })?;
    let plan = validate(&scenario, source).map_err(fail)?;
    Ok(Loaded {
        origin: origin.to_owned(),
        source: source.to_owned(),
        scenario,
        plan,
    })
}

/// Help for the syntax errors teachers meet most.
fn with_help(problem: Problem, code: &ron::Error) -> Problem {
    use ron::Error as E;
    match code {
        E::NoSuchStructField {
            expected, found, ..
        } => {
            let suggestion = closest(found, expected.iter().copied());
            match suggestion {
                Some(s) => problem.help(format!("did you mean `{s}`?")),
                None => problem.help(format!("the fields here are: {}", expected.join(", "))),
            }
        }
        E::NoSuchEnumVariant {
            expected, found, ..
        } => match closest(found, expected.iter().copied()) {
            Some(s) => problem.help(format!("did you mean `{s}`?")),
            None => problem.help(format!("choose one of: {}", expected.join(", "))),
        },
        E::MissingStructField { field, .. } => problem.help(format!("add `{field}: ...`")),
        E::ExpectedString | E::ExpectedStringEnd => {
            problem.help("text goes in double quotes, like \"5m\"")
        }
        _ => problem,
    }
}

/// Loads a file, or a bundled scenario by name (`hello`, `null-mx`).
pub fn load(name_or_path: &str) -> Result<Loaded, ScenarioError> {
    let path = Path::new(name_or_path);
    if path.exists() {
        let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: name_or_path.to_owned(),
            source: String::new(),
            problems: vec![Problem::new(format!("cannot read the file: {e}"))],
        })?;
        return parse(&source, name_or_path);
    }
    let name = name_or_path.trim_end_matches(".ron");
    let name = name.rsplit('/').next().unwrap_or(name);
    if let Some(source) = bundled::source(name) {
        return parse(source, &format!("{name} (bundled)"));
    }
    let names = bundled::names();
    let help = match closest(name, names.iter().copied()) {
        Some(c) => format!("did you mean {c:?}? `mailflow list` shows the bundled scenarios"),
        None => "give a path to a .ron file, or a name from `mailflow list`".to_owned(),
    };
    Err(ScenarioError {
        file: name_or_path.to_owned(),
        source: String::new(),
        problems: vec![
            Problem::new(format!(
                "no file and no bundled scenario called {name_or_path:?}"
            ))
            .help(help),
        ],
    })
}
