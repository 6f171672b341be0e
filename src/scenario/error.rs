//! Errors in a scenario file, shown the way a compiler shows them: the file,
//! the line and column, the line itself with the place marked, and what to
//! do about it.

use std::fmt;

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// 1-based line and column of the offending text, when known.
    pub at: Option<(usize, usize)>,
    /// Length of the offending text, for the marker.
    pub width: usize,
    /// What to do about it, e.g. `did you mean "mx.example.net"?`.
    pub help: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            at: None,
            width: 1,
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// Points at the first `"needle"` (quoted) in the source, else at the
    /// first bare `needle`.
    pub fn near(mut self, source: &str, needle: &str) -> Problem {
        let quoted = format!("\"{needle}\"");
        let found = source.find(&quoted).map(|i| (i, quoted.len())).or_else(|| {
            (!needle.is_empty())
                .then(|| source.find(needle))
                .flatten()
                .map(|i| (i, needle.len()))
        });
        if let Some((offset, width)) = found {
            self.at = Some(line_col(source, offset));
            self.width = width;
        }
        self
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Everything wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name as given, or the bundled scenario's name.
    pub file: String,
    pub source: String,
    pub problems: Vec<Problem>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", problem.message)?;
            match problem.at {
                Some((line, column)) => {
                    writeln!(f, "  --> {}:{line}:{column}", self.file)?;
                    if let Some(text) = self.source.lines().nth(line - 1) {
                        let gutter = line.to_string().len();
                        writeln!(f, "{:gutter$} |", "")?;
                        writeln!(f, "{line} | {text}")?;
                        let pad = " ".repeat(column.saturating_sub(1));
                        let marks = "^".repeat(problem.width.max(1));
                        writeln!(f, "{:gutter$} | {pad}{marks}", "")?;
                    }
                }
                None => writeln!(f, "  --> {}", self.file)?,
            }
            if let Some(help) = &problem.help {
                writeln!(f, "  = help: {help}")?;
            }
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// likely typo (edit distance at most a third of the word, at least 1).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (prev + cost).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
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
    fn suggestions_are_close_words_only() {
        let names = ["mx.example.net", "smtp.example.org"];
        assert_eq!(closest("mx.exmaple.net", names), Some("mx.example.net"));
        assert_eq!(closest("totally.different", names), None);
    }
}
