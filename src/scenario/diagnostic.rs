//! Errors in a scenario file, shown the way a compiler shows them: the file,
//! the line and column, the line itself with the place marked, and what to
//! do about it.
//!
//! The readers are teachers, not Rust programmers: messages use the words of
//! the scenario file ("an MTA", "a zone", "the down window"), never serde's.

use std::fmt;

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// 1-based line and column (in characters) of the offending text, when
    /// known.
    pub at: Option<(usize, usize)>,
    /// Length of the offending text in characters, for the marker.
    pub width: usize,
    /// A fact that explains the problem, e.g. where the first of two
    /// duplicates is.
    pub note: Option<String>,
    /// What to do about it, e.g. `did you mean "mx.example.net"?`.
    pub help: Option<String>,
    /// A slip that lets the file run but probably not as meant (`check`
    /// shows it; the file still loads).
    pub warning: bool,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            at: None,
            width: 1,
            note: None,
            help: None,
            warning: false,
        }
    }

    /// The same problem, as a warning: the file still loads.
    pub fn warning(mut self) -> Problem {
        self.warning = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Problem {
        self.note = Some(note.into());
        self
    }

    /// Marks the bytes `start..end` of `source` (clamped to the source and
    /// to character boundaries).
    pub fn span(mut self, source: &str, start: usize, end: usize) -> Problem {
        let start = floor_char_boundary(source, start.min(source.len()));
        let end = floor_char_boundary(source, end.clamp(start, source.len()));
        self.at = Some(line_col(source, start));
        self.width = source[start..end].chars().count().max(1);
        self
    }

    /// Points at the first `"needle"` (quoted) in the source, else at the
    /// first bare `needle`. A fallback for when the place is not known more
    /// precisely: prefer [`super::ron::SourceMap::find`].
    pub fn near(self, source: &str, needle: &str) -> Problem {
        let quoted = format!("\"{needle}\"");
        let found = source.find(&quoted).map(|i| (i, quoted.len())).or_else(|| {
            (!needle.is_empty())
                .then(|| source.find(needle))
                .flatten()
                .map(|i| (i, needle.len()))
        });
        match found {
            Some((offset, width)) => self.span(source, offset, offset + width),
            None => self,
        }
    }

    /// The byte offset in `source` this problem points at, for sorting.
    fn offset_in(&self, source: &str) -> Option<usize> {
        let (line, column) = self.at?;
        let line_start = line_starts(source).nth(line.checked_sub(1)?)?;
        let within = source[line_start..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(source.len() - line_start, |(i, _)| i);
        Some(line_start + within)
    }
}

fn floor_char_boundary(source: &str, mut index: usize) -> usize {
    while !source.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn line_starts(source: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1))
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The 1-based line of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    line_col(source, offset).0
}

/// Everything wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name as given, or the bundled scenario's name.
    pub file: String,
    pub source: String,
    /// Never empty.
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    /// Puts the problems in the order of the file (problems without a place
    /// last), so a teacher can work down the file.
    pub fn sort(&mut self) {
        let source = &self.source;
        self.problems
            .sort_by_key(|p| p.offset_in(source).unwrap_or(usize::MAX));
    }
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let label = if problem.warning { "warning" } else { "error" };
            writeln!(f, "{label}: {}", one_line(&problem.message))?;
            let snippet = problem.at.and_then(|(line, column)| {
                Some((line, column, self.source.lines().nth(line.checked_sub(1)?)?))
            });
            // The gutter is as wide as the line number, as in rustc.
            let gutter = problem.at.map_or(1, |(line, _)| line.to_string().len());
            match problem.at {
                Some((line, column)) => {
                    writeln!(f, "{:gutter$}--> {}:{line}:{column}", "", self.file)?
                }
                None => writeln!(f, "{:gutter$}--> {}", "", self.file)?,
            }
            if let Some((line, column, text)) = snippet {
                let shown = printable(text);
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{line} | {shown}")?;
                // Copy tabs so the marker lines up under the text.
                let pad: String = shown
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let room = shown
                    .chars()
                    .count()
                    .saturating_sub(column.saturating_sub(1))
                    .max(1);
                let marks = "^".repeat(problem.width.clamp(1, room));
                writeln!(f, "{:gutter$} | {pad}{marks}", "")?;
            }
            if let Some(note) = &problem.note {
                writeln!(f, "{:gutter$} = note: {}", "", one_line(note))?;
            }
            if let Some(help) = &problem.help {
                writeln!(f, "{:gutter$} = help: {}", "", one_line(help))?;
            }
        }
        if self.problems.len() > 1 && self.problems.iter().any(|p| !p.warning) {
            writeln!(f)?;
            writeln!(
                f,
                "{} problems in {}; fix them all before running it",
                self.problems.len(),
                self.file
            )?;
        }
        Ok(())
    }
}

/// A message on one line: text from the file may hold line breaks or
/// control characters, shown escaped as in the file (`\n`).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\t' => "\\t".to_owned(),
            c if c.is_control() => '\u{FFFD}'.to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The line with control characters (from a file that is not text, or a
/// stray escape sequence) made visible, so nothing reaches the terminal
/// that could garble it. One character in, one out: columns stay right.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_line_and_column() {
        let source = "A(\n  name: \"mx.exmaple.net\",\n)";
        let error = ScenarioError {
            file: "x.ron".into(),
            source: source.into(),
            problems: vec![
                Problem::new("no host is called \"mx.exmaple.net\"")
                    .near(source, "mx.exmaple.net")
                    .help("did you mean \"mx.example.net\"?"),
            ],
        };
        let text = error.to_string();
        assert!(text.contains("--> x.ron:2:9"), "{text}");
        assert!(text.contains("2 |   name: \"mx.exmaple.net\","), "{text}");
        assert!(text.contains("^^^^^^^^^^^^^^^^"), "{text}");
        assert!(text.contains("did you mean"), "{text}");
    }

    #[test]
    fn the_marker_follows_tabs_and_stops_at_the_line_end() {
        let source = "(\n\tname: \"x\",\n)";
        let error = ScenarioError {
            file: "t.ron".into(),
            source: source.into(),
            problems: vec![Problem::new("bad").span(source, 9, 40)],
        };
        let text = error.to_string();
        assert!(
            text.contains("2 | \tname: \"x\",\n  | \t      ^^^^\n"),
            "{text}"
        );
    }

    #[test]
    fn a_hand_made_position_out_of_range_renders_without_a_line() {
        let mut problem = Problem::new("bad");
        for at in [(0, 0), (1, 0), (99, 99)] {
            problem.at = Some(at);
            let error = ScenarioError {
                file: "t.ron".into(),
                source: "(\n)".into(),
                problems: vec![problem.clone()],
            };
            assert!(error.to_string().starts_with("error: bad"));
        }
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let source = "(\u{1b}[2J)";
        let error = ScenarioError {
            file: "t.ron".into(),
            source: source.into(),
            problems: vec![Problem::new("bad").span(source, 1, 2)],
        };
        assert!(!error.to_string().contains('\u{1b}'));
    }
}
