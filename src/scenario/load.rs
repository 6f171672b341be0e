//! Reading a scenario: a file path or the name of a bundled scenario, RON
//! parsed with precise positions, then validated. RON's own messages are
//! written for programmers ("Expected identifier"); `ron::explain` says
//! instead what went wrong in the words of the file.

use std::io::ErrorKind;
use std::path::Path;

use ron::extensions::Extensions;

use super::bundled;
use super::diagnostic::{Problem, ScenarioError};
use super::ron::explain;
use super::schema::Scenario;
use super::settings::apply_assignment;
use super::suggest::closest;
use super::validate::validate;
use crate::plan::Plan;

/// A scenario ready to run, with its text (for `check` and the views).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Where it came from: a path, or the bundled name.
    pub origin: String,
    pub source: String,
    pub scenario: Scenario,
    pub plan: Plan,
    /// (name, plan) of each variant the file defines.
    pub variants: Vec<(String, Plan)>,
    /// Slips that let the file run but probably not as meant, rendered
    /// like errors (with `warning:`) when there are any.
    pub warnings: Option<ScenarioError>,
}

impl Loaded {
    /// The plan of the variant called `name` (`None`: the scenario's own).
    pub fn variant(&self, name: Option<&str>) -> Result<&Plan, String> {
        let Some(name) = name else {
            return Ok(&self.plan);
        };
        if let Some((_, plan)) = self
            .variants
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Ok(plan);
        }
        let names: Vec<&str> = self.variants.iter().map(|(n, _)| n.as_str()).collect();
        Err(match closest(name, names.iter().copied()) {
            Some(c) => format!(
                "{} has no variant called {name:?}: did you mean {c:?}?",
                self.origin
            ),
            None if names.is_empty() => format!("{} has no variants", self.origin),
            None => format!(
                "{} has no variant called {name:?}; its variants are: {}",
                self.origin,
                names.join(", ")
            ),
        })
    }
}

/// Parses and validates scenario text; `origin` names it in errors.
pub fn parse(source: &str, origin: &str) -> Result<Loaded, ScenarioError> {
    parse_with(source, origin, &[])
}

/// Parses scenario text, applies `settings` (`key=value`, as `run --set`
/// gives them) and validates the result.
pub fn parse_with(
    source: &str,
    origin: &str,
    settings: &[String],
) -> Result<Loaded, ScenarioError> {
    // Some editors start a UTF-8 file with an invisible byte-order mark.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let fail = |problems| {
        let mut error = ScenarioError {
            file: origin.to_owned(),
            source: source.to_owned(),
            problems,
        };
        error.sort();
        error
    };
    if source.contains('\0') {
        return Err(fail(vec![not_text(source, source.find('\0'))]));
    }
    let mut scenario: Scenario = ron_options()
        .from_str(source)
        .map_err(|e| fail(explain(source, &e)))?;
    let refused: Vec<Problem> = settings
        .iter()
        .filter_map(|a| apply_assignment(&mut scenario, a).err().map(|e| (a, e)))
        .map(|(a, e)| Problem::new(format!("the setting {a}: {}", e.message)).help(e.help))
        .collect();
    if !refused.is_empty() {
        return Err(fail(refused));
    }
    let validated = validate(&scenario, source).map_err(fail)?;
    let warnings = (!validated.warnings.is_empty()).then(|| fail(validated.warnings));
    Ok(Loaded {
        origin: origin.to_owned(),
        source: source.to_owned(),
        scenario,
        plan: validated.plan,
        variants: validated.variants,
        warnings,
    })
}

/// How scenario text is read. IMPLICIT_SOME lets teachers write
/// `within: "5m"` instead of `Some("5m")`.
pub(crate) fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Loads a file, or a bundled scenario by name (`hello`, `null-mx`).
pub fn load(name_or_path: &str) -> Result<Loaded, ScenarioError> {
    load_with(name_or_path, &[])
}

/// Loads a scenario with `settings` (`key=value`) applied.
pub fn load_with(name_or_path: &str, settings: &[String]) -> Result<Loaded, ScenarioError> {
    let path = Path::new(name_or_path);
    match std::fs::read(path) {
        Ok(bytes) => return from_bytes(bytes, name_or_path, settings),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(unreadable(name_or_path, path, &e)),
    }
    let name = name_or_path.trim_end_matches(".ron");
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if let Some(source) = bundled::source(name) {
        return parse_with(source, &format!("{name} (bundled)"), settings);
    }
    let names = bundled::names();
    let looks_like_a_path = name_or_path.contains(['/', '\\']) || name_or_path.ends_with(".ron");
    let message = if looks_like_a_path {
        format!("there is no file {name_or_path:?}")
    } else {
        format!("there is no file and no bundled scenario called {name_or_path:?}")
    };
    let help = match closest(name, names.iter().copied()) {
        Some(c) => format!("did you mean {c:?}? `mailflow list` shows the bundled scenarios"),
        None if looks_like_a_path => {
            "check the spelling; a path is taken from the folder mailflow runs in".to_owned()
        }
        None => "give a path to a .ron file, or a name from `mailflow list`".to_owned(),
    };
    Err(ScenarioError {
        file: name_or_path.to_owned(),
        source: String::new(),
        problems: vec![Problem::new(message).help(help)],
    })
}

/// The file's bytes, which must be UTF-8 text, parsed.
fn from_bytes(bytes: Vec<u8>, origin: &str, settings: &[String]) -> Result<Loaded, ScenarioError> {
    match String::from_utf8(bytes) {
        Ok(source) => parse_with(&source, origin, settings),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // Count what is not text: many such bytes mean a binary file.
            let strange = text
                .chars()
                .filter(|&c| c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()))
                .count();
            let binary = strange * 20 > text.chars().count().max(1) || bytes.contains(&0);
            let lossy_offset = String::from_utf8_lossy(&bytes[..valid]).len();
            let problem = if binary {
                not_text(&text, Some(lossy_offset))
            } else {
                Problem::new("this file has a character that is not UTF-8 text")
                    .span(&text, lossy_offset, lossy_offset + '\u{FFFD}'.len_utf8())
                    .help(
                        "save the file with the encoding UTF-8 (editors offer it under \
                         \"Save as\" or \"Encoding\"), or retype the marked character",
                    )
            };
            // Binary bytes are never shown: they could garble the terminal.
            let source = if binary { String::new() } else { text };
            Err(ScenarioError {
                file: origin.to_owned(),
                source,
                problems: vec![problem],
            })
        }
    }
}

fn not_text(source: &str, offset: Option<usize>) -> Problem {
    let problem = Problem::new("this file is not text, so it cannot be a scenario")
        .help("a scenario is a text file written in RON: copy scenarios/hello.ron and change it");
    match offset {
        Some(offset) => problem.span(source, offset, offset + 1),
        None => problem,
    }
}

/// A file that exists but cannot be read.
fn unreadable(name: &str, path: &Path, e: &std::io::Error) -> ScenarioError {
    let problem = match e.kind() {
        ErrorKind::IsADirectory => {
            let inside = std::fs::read_dir(path).ok().and_then(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                    .min()
            });
            let help = match inside {
                Some(example) => {
                    format!("give one scenario file from it, e.g. {}", example.display())
                }
                None => "give the path of a .ron scenario file".to_owned(),
            };
            Problem::new(format!("{name:?} is a folder, not a scenario file")).help(help)
        }
        ErrorKind::PermissionDenied => {
            Problem::new(format!("mailflow is not allowed to read {name:?}"))
                .help("check the file's permissions (it must be readable by you)")
        }
        _ => Problem::new(format!("cannot read {name:?}: {e}"))
            .help("check that the file exists and is a readable text file"),
    };
    ScenarioError {
        file: name.to_owned(),
        source: String::new(),
        problems: vec![problem],
    }
}
