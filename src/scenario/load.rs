//! Reading a scenario: a file path or the name of a bundled scenario, RON
//! parsed with precise positions, then validated.
//!
//! RON's own messages are written for programmers ("Expected identifier",
//! "Unexpected end of RON"). A teacher gets instead what went wrong in the
//! words of the file, the marker on the offending text (not on the space
//! before it), and what to write instead. Two mistakes that make RON report
//! something far away are recognised first: a text with no closing `"`,
//! and a bracket that is never closed.

use std::io::ErrorKind;
use std::path::Path;

use ron::error::{Error as RonError, Position, SpannedError};
use ron::extensions::Extensions;

use super::bundled;
use super::error::{Problem, ScenarioError, Token, TokenKind, closest, lex, line_of, unquote};
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
    // IMPLICIT_SOME lets teachers write `within: "5m"` instead of `Some("5m")`.
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let scenario: Scenario = options
        .from_str(source)
        .map_err(|e| fail(explain(source, &e)))?;
    let plan = validate(&scenario, source).map_err(fail)?;
    Ok(Loaded {
        origin: origin.to_owned(),
        source: source.to_owned(),
        scenario,
        plan,
    })
}

/// Loads a file, or a bundled scenario by name (`hello`, `null-mx`).
pub fn load(name_or_path: &str) -> Result<Loaded, ScenarioError> {
    let path = Path::new(name_or_path);
    match std::fs::read(path) {
        Ok(bytes) => return from_bytes(bytes, name_or_path),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(unreadable(name_or_path, path, &e)),
    }
    let name = name_or_path.trim_end_matches(".ron");
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if let Some(source) = bundled::source(name) {
        return parse(source, &format!("{name} (bundled)"));
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
fn from_bytes(bytes: Vec<u8>, origin: &str) -> Result<Loaded, ScenarioError> {
    match String::from_utf8(bytes) {
        Ok(source) => parse(&source, origin),
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

// ── Syntax errors, explained ───────────────────────────────────────────

/// Byte offset of a RON position (1-based line and column in characters).
fn offset_of(source: &str, position: Position) -> usize {
    let mut line_start = 0;
    for _ in 1..position.line {
        match source[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return source.len(),
        }
    }
    source[line_start..]
        .char_indices()
        .nth(position.col.saturating_sub(1))
        .map_or(source.len(), |(i, _)| line_start + i)
}

/// An open bracket, and what it is the value of.
#[derive(Debug, Clone)]
struct Frame {
    open: char,
    at: usize,
    /// The word right before the bracket: `Mx` in `Mx(`.
    tag: Option<String>,
    /// The field whose value this bracket opens: `domains` in `domains: [`.
    under: Option<String>,
    /// Inside `( ... )`: the last field name seen.
    field: Option<String>,
}

/// Where RON stopped, and what surrounds that place.
struct Context<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    /// Index of the first token at or after RON's position (None at the end).
    found: Option<usize>,
    /// RON's position as a byte offset.
    offset: usize,
    /// The brackets open at that place, outermost first.
    frames: Vec<Frame>,
}

impl<'a> Context<'a> {
    fn new(source: &'a str, offset: usize) -> Context<'a> {
        let tokens = lex(source);
        let found = tokens.iter().position(|t| t.end > offset);
        let before = found.unwrap_or(tokens.len());
        let mut frames: Vec<Frame> = Vec::new();
        for (i, t) in tokens[..before].iter().enumerate() {
            match t.kind {
                TokenKind::Punct(open @ ('(' | '[' | '{')) => {
                    let tag = i
                        .checked_sub(1)
                        .map(|p| tokens[p])
                        .filter(|p| p.kind == TokenKind::Word && p.end == t.start)
                        .map(|p| p.text(source).to_owned());
                    let under = frames.last().and_then(|f| f.field.clone()).filter(|_| {
                        // Only when this bracket is the field's value itself.
                        let value_start = if tag.is_some() { i.wrapping_sub(1) } else { i };
                        value_start
                            .checked_sub(1)
                            .is_some_and(|p| tokens[p].kind == TokenKind::Punct(':'))
                    });
                    frames.push(Frame {
                        open,
                        at: t.start,
                        tag,
                        under,
                        field: None,
                    });
                }
                TokenKind::Punct(')' | ']' | '}') => {
                    frames.pop();
                }
                TokenKind::Punct(':') => {
                    if let (Some(frame), Some(p)) = (frames.last_mut(), i.checked_sub(1))
                        && frame.open == '('
                        && tokens[p].kind == TokenKind::Word
                    {
                        frame.field = Some(tokens[p].text(source).to_owned());
                    }
                }
                _ => {}
            }
        }
        Context {
            source,
            tokens,
            found,
            offset,
            frames,
        }
    }

    fn found(&self) -> Option<Token> {
        self.found.map(|i| self.tokens[i])
    }

    /// The token before the found one.
    fn previous(&self) -> Option<Token> {
        let i = self.found.unwrap_or(self.tokens.len());
        i.checked_sub(1).map(|p| self.tokens[p])
    }

    /// The found token, described: `the number 1234`, or the end of the file.
    fn found_text(&self) -> String {
        self.found().map_or_else(
            || "the end of the file".to_owned(),
            |t| t.describe(self.source),
        )
    }

    /// A problem marking the found token (or the end of the file).
    fn at_found(&self, message: impl Into<String>) -> Problem {
        let problem = Problem::new(message);
        match self.found() {
            Some(t) => problem.span(self.source, t.start, t.end),
            None => {
                let end = self.source.trim_end().len();
                problem.span(self.source, end, end)
            }
        }
    }

    /// The field whose value RON stopped at, as in `password: 1234`.
    fn direct_field(&self) -> Option<&str> {
        let innermost = self.frames.last()?;
        self.previous()
            .is_some_and(|p| p.kind == TokenKind::Punct(':'))
            .then_some(innermost.field.as_deref())
            .flatten()
            .filter(|_| innermost.open == '(')
    }

    /// The field RON stopped in: directly (`password: 1234`) or inside its
    /// value (`between: ("a")`). None inside a tagged value such as `Mx(`,
    /// which says more.
    fn field(&self) -> Option<&str> {
        if let Some(field) = self.direct_field() {
            return Some(field);
        }
        let mut frames = self.frames.iter().rev();
        let innermost = frames.next()?;
        if innermost.tag.is_some() {
            return None;
        }
        innermost
            .under
            .as_deref()
            .or_else(|| frames.find_map(|f| f.under.as_deref()))
    }

    /// The innermost tagged bracket, as in `Mx(`.
    fn tag(&self) -> Option<&str> {
        self.frames.last().and_then(|f| f.tag.as_deref())
    }

    /// How to write the thing RON stopped in.
    fn shape(&self) -> Option<String> {
        self.tag()
            .and_then(form_of)
            .map(|form| format!("write it like {form}"))
            .or_else(|| {
                let field = self.field()?;
                form_of_field(field).map(|form| format!("write it like {form}"))
            })
    }

    /// The closing bracket expected where RON stopped.
    fn closer(&self) -> char {
        match self.frames.last().map(|f| f.open) {
            Some('[') => ']',
            Some('{') => '}',
            _ => ')',
        }
    }
}

/// Everything to say about a RON error.
fn explain(source: &str, error: &SpannedError) -> Vec<Problem> {
    let offset = offset_of(source, error.span.start);
    let context = Context::new(source, offset);
    if context.tokens.is_empty() {
        let problem = if source.trim().is_empty() {
            Problem::new("the file is empty")
        } else {
            Problem::new("the file is empty: it holds only comments")
        };
        return vec![problem.help(
            "a scenario is one record in parentheses: (title: \"...\", dns: [...], mtas: [...], ...); \
             copy scenarios/hello.ron to start",
        )];
    }
    if let Some(problem) = unclosed_text(&context, &error.code) {
        return vec![problem];
    }
    let translated = translate(&context, &error.code);
    if matches!(error.code, RonError::UnclosedBlockComment) {
        return vec![translated];
    }
    let stopped_at = context.found().map_or(offset, |t| t.start);
    // A stray `"` makes every bracket after it look wrong: then say nothing
    // more than RON's error.
    let texts_sound = context.tokens.iter().all(|t| {
        !matches!(
            t.kind,
            TokenKind::UnclosedText | TokenKind::Text { newline: Some(_) }
        )
    });
    match unbalanced(source, &context.tokens) {
        None => vec![translated],
        // The same place: RON's error says more about it.
        Some((_, evidence)) if evidence == stopped_at => vec![translated],
        // A missing bracket before the place RON stopped explains it.
        Some((problem, evidence))
            if structural(&error.code) && evidence < stopped_at && texts_sound =>
        {
            vec![problem]
        }
        // A second, separate problem further down.
        Some((problem, evidence)) if evidence > stopped_at && texts_sound => {
            vec![translated, problem]
        }
        Some(_) => vec![translated],
    }
}

/// Errors that a missing bracket can cause far from where it is missing.
fn structural(code: &RonError) -> bool {
    use RonError as E;
    matches!(
        code,
        E::Eof
            | E::ExpectedComma
            | E::ExpectedStructLikeEnd
            | E::ExpectedArrayEnd
            | E::ExpectedMapEnd
            | E::ExpectedOptionEnd
            | E::ExpectedIdentifier
            | E::ExpectedMapColon
            | E::TrailingCharacters
            | E::UnexpectedChar(_)
            | E::ExpectedString
            | E::ExpectedStructLike
            | E::ExpectedNamedStructLike(_)
            | E::ExpectedArray
            | E::ExpectedMap
            | E::MissingStructField { .. }
    )
}

/// A text with no closing `"`: RON then reads on into the next lines and
/// stops somewhere that makes no sense. Recognised by a text that runs over
/// a line break and ends right where RON stopped, or that never ends.
fn unclosed_text(context: &Context, code: &RonError) -> Option<Problem> {
    let source = context.source;
    let end = context.found.map_or(context.tokens.len(), |f| f + 1);
    let candidates = &context.tokens[..end.min(context.tokens.len())];
    let culprit = candidates.iter().rev().take(3).find_map(|t| match t.kind {
        TokenKind::Text {
            newline: Some(newline),
        } => Some((t.start, newline)),
        TokenKind::UnclosedText => Some((t.start, newline_after(source, t.start))),
        _ => None,
    });
    let (start, newline) = match culprit {
        Some(found) => found,
        None if matches!(code, RonError::ExpectedStringEnd) => {
            (context.offset, newline_after(source, context.offset))
        }
        None => return None,
    };
    let line = line_of(source, start);
    Some(
        Problem::new("this text has no closing `\"`")
            .span(source, start, newline)
            .note("without it, the text runs on into the lines below")
            .help(format!(
                "add the closing `\"` where the text ends, on line {line}"
            )),
    )
}

fn newline_after(source: &str, offset: usize) -> usize {
    source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i)
}

/// The first bracket that is never closed, or a closing bracket with
/// nothing to close, with the offset that shows it (for deciding whether it
/// explains RON's error).
fn unbalanced(source: &str, tokens: &[Token]) -> Option<(Problem, usize)> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    for t in tokens {
        let TokenKind::Punct(c) = t.kind else {
            continue;
        };
        match c {
            '(' | '[' | '{' => stack.push((c, t.start)),
            ')' | ']' | '}' => match stack.pop() {
                Some((open, _)) if matching(open) == c => {}
                Some((open, at)) => {
                    let note = format!(
                        "on line {}, `{c}` comes while this `{open}` is still open",
                        line_of(source, t.start)
                    );
                    return Some((never_closed(source, open, at).note(note), at));
                }
                None => {
                    let problem = Problem::new(format!("this `{c}` closes nothing"))
                        .span(source, t.start, t.end)
                        .help(format!(
                            "delete it, or add the `{}` it should close",
                            opening(c)
                        ));
                    return Some((problem, t.start));
                }
            },
            _ => {}
        }
    }
    let (open, at) = stack.pop()?;
    Some((never_closed(source, open, at), at))
}

fn matching(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

fn opening(close: char) -> char {
    match close {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

/// "This `(` is never closed", with a guess at where its `)` belongs: after
/// the last line indented deeper than the line that opened it.
fn never_closed(source: &str, open: char, at: usize) -> Problem {
    let close = matching(open);
    let lines: Vec<&str> = source.lines().collect();
    let first = line_of(source, at);
    let indent = |line: &str| line.chars().take_while(|c| c.is_whitespace()).count();
    let meaningful = |line: &str| {
        let t = line.trim();
        !t.is_empty() && !t.starts_with("//")
    };
    let own = lines.get(first - 1).map_or(0, |l| indent(l));
    let next_outer =
        (first..lines.len()).find(|&i| meaningful(lines[i]) && indent(lines[i]) <= own);
    let help = match next_outer {
        Some(outer) => {
            let last_inner = (first - 1..outer)
                .rev()
                .find(|&i| meaningful(lines[i]))
                .map_or(first, |i| i + 1);
            format!("add the missing `{close}`; it probably belongs after line {last_inner}")
        }
        None => format!("add the missing `{close}` at the end of the file"),
    };
    Problem::new(format!("this `{open}` is never closed"))
        .span(source, at, at + 1)
        .help(help)
}

/// RON's error in a teacher's words.
fn translate(context: &Context, code: &RonError) -> Problem {
    use RonError as E;
    let source = context.source;
    let found = context.found();
    let field = context.field();
    let which = |field: Option<&str>| field.map_or_else(String::new, |f| format!("`{f}` "));
    match code {
        E::NoSuchStructField {
            expected,
            found: name,
            outer,
        } => {
            let thing = outer.as_deref().map_or("this record", thing_called);
            let problem = context.at_found(format!("{thing} has no field called `{name}`"));
            // A typo, or a word cut short (`run_f` for `run_for`).
            let prefix_of: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|f| name.len() >= 2 && f.starts_with(name.as_str()))
                .collect();
            let guess = closest(name, expected.iter().copied())
                .or((prefix_of.len() == 1).then(|| prefix_of[0]));
            match guess {
                Some(s) => problem.help(format!("did you mean `{s}`?")),
                None => problem.help(format!(
                    "the fields of {thing} are: {}",
                    expected.join(", ")
                )),
            }
        }
        E::NoSuchEnumVariant {
            expected,
            found: name,
            outer,
        } => {
            let kind = outer.as_deref().map_or("kind of value", kind_called);
            let problem = context.at_found(format!("there is no {kind} called `{name}`"));
            match closest(name, expected.iter().copied()) {
                Some(s) => problem.help(format!("did you mean `{s}`?")),
                None => problem.help(format!("write one of: {}", expected.join(", "))),
            }
        }
        E::MissingStructField { field, outer } => {
            let thing = outer.as_deref().map_or("this record", thing_called);
            missing_field(context, thing, field)
        }
        E::DuplicateStructField { field, .. } => {
            let problem = context.at_found(format!("the field `{field}` is written twice"));
            let first = context.frames.last().and_then(|frame| {
                context
                    .tokens
                    .windows(2)
                    .find(|w| {
                        w[0].start > frame.at
                            && w[0].text(source) == *field
                            && w[1].kind == TokenKind::Punct(':')
                    })
                    .map(|w| line_of(source, w[0].start))
            });
            match first {
                Some(line) => problem.help(format!("keep one of the two; the other is on line {line}")),
                None => problem.help("keep one of the two"),
            }
        }
        E::ExpectedComma
        | E::ExpectedStructLikeEnd
        | E::ExpectedOptionEnd
        | E::ExpectedArrayEnd
        | E::ExpectedMapEnd => missing_comma(context),
        E::ExpectedString | E::ExpectedStringEnd => match found.map(|t| t.kind) {
            Some(TokenKind::Word | TokenKind::Number)
                if found.is_some_and(|t| t.is_wordlike(source)) =>
            {
                let text = found.map_or("", |t| t.text(source));
                context
                    .at_found(format!("{text} needs double quotes around it"))
                    .help(format!(
                        "{}write \"{text}\"",
                        context
                            .direct_field()
                            .map_or_else(String::new, |f| format!("`{f}` is text: "))
                    ))
            }
            Some(TokenKind::Quoted) if found.is_some_and(|t| t.end - t.start > 1) => {
                let text = found.map_or("", |t| t.text(source));
                context
                    .at_found("text goes in double quotes, not single quotes")
                    .help(format!("write \"{}\"", text.trim_matches('\'')))
            }
            _ => context
                .at_found(format!(
                    "expected text in double quotes here, found {}",
                    context.found_text()
                ))
                .help(context.shape().unwrap_or_else(|| "write it like \"mx.example.net\"".into())),
        },
        E::ExpectedInteger | E::ExpectedFloat => {
            let what = if matches!(code, E::ExpectedInteger) {
                "a whole number"
            } else {
                "a number like 0.5"
            };
            wrong_type(context, what, "write a number without quotes, e.g. 10")
        }
        E::IntegerOutOfBounds | E::InvalidIntegerDigit { .. } | E::UnderscoreAtBeginning | E::FloatUnderscore => {
            let text = found.map_or("", |t| t.text(source));
            let help = match context.tag() {
                Some("Mx") => "an MX preference is a whole number from 0 to 65535".to_owned(),
                _ => match field {
                    Some("loss") => "a chance is a number from 0.0 to 1.0".to_owned(),
                    _ => "write a whole number that is 0 or more and not too large".to_owned(),
                },
            };
            let place = match (context.tag(), field) {
                (Some(tag), _) => format!(" for `{tag}(...)`"),
                (None, Some(field)) => format!(" for `{field}`"),
                (None, None) => " here".to_owned(),
            };
            context
                .at_found(format!("{text} is out of range{place}"))
                .help(help)
        }
        E::ExpectedBoolean => wrong_type(
            context,
            "true or false",
            &format!("write {0}true or {0}false", field.map_or_else(String::new, |f| format!("{f}: "))),
        ),
        E::ExpectedArray => {
            let help = match found {
                Some(t) if !matches!(t.kind, TokenKind::Punct(_)) => {
                    format!("write [{}] for a list of one", t.text(source))
                }
                _ => "a list is written [a, b, c]".to_owned(),
            };
            wrong_type(context, "a list in square brackets", &help)
        }
        E::ExpectedMap => wrong_type(
            context,
            "a map in braces",
            "a map is written {\"key\": \"value\", ...}",
        ),
        E::ExpectedStructLike | E::ExpectedNamedStructLike(_) | E::ExpectedDifferentStructName { .. } => {
            expected_record(context, code)
        }
        E::ExpectedIdentifier | E::SuggestRawIdentifier(_) | E::InvalidIdentifier(_) => {
            expected_name(context)
        }
        E::ExpectedMapColon => {
            let in_map = context.frames.last().is_some_and(|f| f.open == '{');
            let problem = context.at_found(format!("expected `:` here, found {}", context.found_text()));
            let name = context
                .previous()
                .filter(|t| t.kind == TokenKind::Word)
                .map(|t| t.text(source));
            match (in_map, name, found) {
                (true, _, _) => problem.help(
                    "in a map, write `:` between a key and its value: {\"bob@example.net\": \"secret\"}",
                ),
                (false, Some(name), Some(t)) if t.kind == TokenKind::Punct('=') => context
                    .at_found(format!("write `:` after the field name `{name}`, not `=`"))
                    .help(format!("write {name}: ...")),
                (false, Some(name), Some(t)) => context
                    .at_found(format!("a `:` is missing after the field name `{name}`"))
                    .help(format!("write {name}: {}", t.text(source))),
                (false, _, _) => problem.help("write a field as name: value"),
            }
        }
        E::ExpectedDifferentLength { expected, found: count } => {
            let wanted: String = expected.chars().filter(char::is_ascii_digit).collect();
            let count = match count {
                0 => "none".to_owned(),
                n => n.to_string(),
            };
            let what = match context.tag() {
                Some(tag) => format!("`{tag}(...)` takes {wanted} values, found {count}"),
                None => format!("{}takes {wanted} values in parentheses, found {count}", which(field)),
            };
            let problem = context.at_found(what);
            match context.shape() {
                Some(shape) => problem.help(shape),
                None => problem,
            }
        }
        E::InvalidValueForType { expected, found: what } => {
            let problem = context.at_found(format!("{}expected {expected}, found {what}", which(field)));
            match context.shape() {
                Some(shape) => problem.help(shape),
                None => problem,
            }
        }
        E::InvalidEscape(_) => invalid_escape(context),
        E::UnclosedBlockComment => {
            let at = source[..context.offset.min(source.len())]
                .rfind("/*")
                .unwrap_or(context.offset);
            Problem::new("this comment is never closed")
                .span(source, at, at + 2)
                .help("end it with */ (or use // comments, which end at the end of the line)")
        }
        E::TrailingCharacters => context
            .at_found("there is more after the end of the scenario")
            .help("the scenario is one record `( ... )`; delete what follows its last `)`, or check the brackets above"),
        E::Eof => context
            .at_found("the file ends in the middle of the scenario")
            .help("finish the record and close every bracket that is open"),
        E::UnexpectedChar(_) => match found.map(|t| t.kind) {
            Some(TokenKind::Punct('/')) => context
                .at_found("a single `/` cannot appear here")
                .help("comments start with //"),
            _ => context
                .at_found(format!("{} cannot appear here", context.found_text()))
                .help(
                    context
                        .shape()
                        .unwrap_or_else(|| "check this line against scenarios/hello.ron".into()),
                ),
        },
        E::NoSuchExtension(name) => context
            .at_found(format!("RON has no extension called `{name}`"))
            .help("delete this #![enable(...)] line; mailflow needs none"),
        E::ExceededRecursionLimit => context
            .at_found("the brackets here are nested too deeply")
            .help("a scenario never needs this many brackets inside each other; check them"),
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            let message = chars.next().map_or_else(String::new, |c| {
                c.to_lowercase().chain(chars).collect::<String>()
            });
            let problem = context.at_found(format!("this is not valid RON here: {message}"));
            match context.shape() {
                Some(shape) => problem.help(shape),
                None => problem,
            }
        }
    }
}

/// A value of the wrong kind: `` `seed` must be a whole number, not the text "one" ``.
fn wrong_type(context: &Context, what: &str, help: &str) -> Problem {
    let source = context.source;
    let problem = match context.field() {
        Some(field) => context.at_found(format!(
            "`{field}` must be {what}, not {}",
            context.found_text()
        )),
        None => context.at_found(format!(
            "expected {what} here, found {}",
            context.found_text()
        )),
    };
    // "10" for a number: just drop the quotes.
    let unquoted = context
        .found()
        .filter(|t| matches!(t.kind, TokenKind::Text { .. }))
        .map(|t| unquote(t.text(source)))
        .filter(|text| {
            let text = text.trim();
            text.parse::<f64>().is_ok() || text == "true" || text == "false"
        });
    match (unquoted, context.tag().and_then(form_of)) {
        (Some(text), _) => problem.help(format!("remove the quotes: {}", text.trim())),
        (None, Some(form)) => problem.help(format!("write it like {form}")),
        (None, None) => problem.help(help),
    }
}

/// A comma or closing bracket was expected.
fn missing_comma(context: &Context) -> Problem {
    let source = context.source;
    let close = context.closer();
    let (Some(found), Some(previous)) = (context.found(), context.previous()) else {
        return context
            .at_found(format!(
                "the file ends before this is closed with `{close}`"
            ))
            .help(format!("add the missing `{close}`"));
    };
    // `LoopDetected()`: a value with nothing inside takes no parentheses.
    if found.kind == TokenKind::Punct('(') && previous.kind == TokenKind::Word {
        let name = previous.text(source);
        return context
            .at_found(format!("`{name}` takes nothing in parentheses"))
            .help(format!("write just {name}"));
    }
    // `Mx("a", 10, "b", 5)`: RON wanted the `)` after the last value it takes.
    let tuple = context
        .frames
        .last()
        .is_some_and(|f| f.open == '(' && f.field.is_none());
    if tuple && (previous.kind == TokenKind::Punct(',') || found.kind == TokenKind::Punct(',')) {
        let what = match (context.tag(), context.field()) {
            (Some(tag), _) => format!("`{tag}(...)`"),
            (None, Some(field)) => format!("`{field}`"),
            (None, None) => "this".to_owned(),
        };
        let problem = context.at_found(format!("{what} has more values than it takes"));
        return match context.shape() {
            Some(shape) => problem.help(shape),
            None => problem.help(format!("remove this value and close with `{close}`")),
        };
    }
    if line_of(source, found.start) > line_of(source, previous.end.saturating_sub(1)) {
        // The next field or item starts on a new line: the comma at the end
        // of the line before is missing.
        return Problem::new("a comma is missing at the end of this line")
            .span(source, previous.end, previous.end + 1)
            .help(format!(
                "put a comma after each field and each item of a list, like {},",
                previous.text(source)
            ));
    }
    let value_starts = match found.kind {
        TokenKind::Punct(c) => "([{".contains(c),
        TokenKind::Word | TokenKind::Quoted => found.is_wordlike(source),
        _ => true,
    };
    match found.kind {
        TokenKind::Punct(';') => context
            .at_found("expected a comma here, found `;`")
            .help("separate fields and items with commas, not semicolons"),
        TokenKind::Punct(c) if ")]}".contains(c) => context
            .at_found(format!("expected `{close}` here, found `{c}`"))
            .help(format!("close the `{}` with `{close}`", opening(close))),
        _ if !value_starts => context
            .at_found(format!(
                "expected a comma or `{close}` here, found {}",
                context.found_text()
            ))
            .help("delete the stray character, or check this line against scenarios/hello.ron"),
        _ => context
            .at_found(format!(
                "a comma is missing before {}",
                context.found_text()
            ))
            .help(format!(
                "put a comma between the two: {}, {}",
                previous.text(source),
                found.text(source)
            )),
    }
}

/// A required field left out: point at the record that lacks it.
fn missing_field(context: &Context, thing: &str, field: &str) -> Problem {
    let source = context.source;
    let example = example_of(field);
    // RON stops at the record's `)`; mark its opening instead (or its tag).
    let frame = context.frames.last();
    let (start, end) = match frame {
        Some(f) => {
            let tag_len = f.tag.as_ref().map_or(0, String::len);
            (f.at - tag_len, f.at + 1)
        }
        None => (context.offset, context.offset + 1),
    };
    let fields = frame.map_or_else(Vec::new, |f| fields_inside(context, f.at));
    let name = fields
        .iter()
        .find(|(n, _)| n == "name")
        .and_then(|(_, value)| value.clone());
    let the = |thing: &str| {
        let rest = thing
            .strip_prefix("a ")
            .or_else(|| thing.strip_prefix("an "))
            .unwrap_or(thing);
        format!(
            "the {}",
            rest.trim_start_matches("this ").trim_start_matches("the ")
        )
    };
    let message = match (frame.and_then(|f| f.tag.as_deref()), name) {
        (Some(tag), _) => format!("`{tag}(...)` has no `{field}`, which it needs"),
        (None, Some(name)) => format!("{} {name:?} has no `{field}`", the(thing)),
        (None, None) => format!("{thing} has no `{field}`, which it needs"),
    };
    // `Delivered(too: ...)`: a misspelt field may be what is there instead.
    let misspelt = closest(field, fields.iter().map(|(n, _)| n.as_str()))
        .filter(|n| *n != field)
        .map(str::to_owned);
    let problem = Problem::new(message).span(source, start, end);
    match misspelt {
        Some(wrong) => problem.help(format!(
            "`{wrong}` is written here: did you mean `{field}`?"
        )),
        None => problem.help(format!("add `{field}: {example},` inside its parentheses")),
    }
}

/// The fields `name: value` written directly inside the record opened at
/// `at`, with the value when it is a text.
fn fields_inside(context: &Context, at: usize) -> Vec<(String, Option<String>)> {
    let source = context.source;
    let tokens = &context.tokens;
    let mut fields = Vec::new();
    let Some(open) = tokens.iter().position(|t| t.start == at) else {
        return fields;
    };
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            TokenKind::Punct('(' | '[' | '{') => depth += 1,
            TokenKind::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            TokenKind::Word
                if depth == 1
                    && tokens
                        .get(i + 1)
                        .is_some_and(|n| n.kind == TokenKind::Punct(':')) =>
            {
                let value = tokens
                    .get(i + 2)
                    .filter(|v| matches!(v.kind, TokenKind::Text { .. }))
                    .map(|v| unquote(v.text(source)));
                fields.push((t.text(source).to_owned(), value));
            }
            _ => {}
        }
    }
    fields
}

/// Where a field name was expected.
fn expected_name(context: &Context) -> Problem {
    let source = context.source;
    let found = context.found();
    match found.map(|t| (t.kind, t.text(source))) {
        Some((TokenKind::Text { .. }, text))
            if context.frames.last().is_some_and(|f| f.open == '(') =>
        {
            let name = unquote(text);
            context
                .at_found(format!("a field name takes no quotes: {text}"))
                .help(format!("write {name}: ..."))
        }
        Some((TokenKind::Text { .. }, text)) => {
            let name = unquote(text);
            context
                .at_found(format!("{text} should be a name, not text in quotes"))
                .help(format!("write it without quotes: {name}(...)"))
        }
        Some((TokenKind::Punct('#'), _)) => context
            .at_found("`#` does not start a comment in RON")
            .help("comments start with //"),
        Some((TokenKind::Punct(c @ ('(' | '[' | '{')), _)) => {
            let close = context.closer();
            context
                .at_found(format!("expected a field name here, found `{c}`"))
                .help(format!("is a `{close}` missing before it?"))
        }
        _ if context.frames.last().is_some_and(|f| f.open == '(') => context
            .at_found(format!(
                "expected a field name here, found {}",
                context.found_text()
            ))
            .help("write a field as name: value; a name starts with a letter"),
        _ => context
            .at_found(format!(
                "expected a value here, found {}",
                context.found_text()
            ))
            .help(
                context
                    .shape()
                    .unwrap_or_else(|| "check this line against scenarios/hello.ron".into()),
            ),
    }
}

/// Where a record `( ... )` was expected.
fn expected_record(context: &Context, code: &RonError) -> Problem {
    let source = context.source;
    let next_is = |c: char| {
        context
            .found
            .and_then(|i| context.tokens.get(i + 1))
            .is_some_and(|t| t.kind == TokenKind::Punct(c))
    };
    if let RonError::ExpectedDifferentStructName { found, .. } = code
        && next_is('(')
    {
        return context
            .at_found(format!("the scenario starts with `{found}(`"))
            .help("write just `(` before the first field (or `Scenario(`)");
    }
    if context.frames.is_empty() {
        let problem = context
            .at_found(format!(
                "a scenario starts with `(`, but this file starts with {}",
                context.found_text()
            ))
            .help("a scenario is one record in parentheses: (title: \"...\", ...); see scenarios/hello.ron");
        let found = context.found().map(|t| t.kind);
        return match found {
            Some(TokenKind::Word) if next_is(':') => {
                problem.note("this looks like YAML; mailflow reads scenarios written in RON")
            }
            Some(TokenKind::Punct('{')) => {
                problem.note("this looks like JSON; mailflow reads scenarios written in RON")
            }
            _ => problem,
        };
    }
    let previous = context.previous().filter(|p| p.kind == TokenKind::Word);
    match previous {
        Some(tag) => {
            let name = tag.text(source);
            let problem = Problem::new(format!("`{name}` needs its values in parentheses"))
                .span(source, tag.start, tag.end);
            match form_of(name) {
                Some(form) => problem.help(format!("write it like {form}")),
                None => problem.help(format!("write {name}(...)")),
            }
        }
        None => wrong_type(
            context,
            "a record in parentheses",
            "a record is written (name: value, ...)",
        ),
    }
}

/// `"Hello\q"`: mark the escape itself.
fn invalid_escape(context: &Context) -> Problem {
    let source = context.source;
    let escape = context.found().and_then(|t| {
        let text = t.text(source);
        let mut chars = text.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                let (j, next) = chars.next()?;
                if !"nrt0\\\"'ux\n".contains(next) {
                    return Some((t.start + i, t.start + j + next.len_utf8()));
                }
            }
        }
        None
    });
    let problem = match escape {
        Some((start, end)) => Problem::new(format!(
            "`{}` is not an escape RON knows",
            &source[start..end]
        ))
        .span(source, start, end),
        None => context.at_found("this text has an escape RON does not know"),
    };
    problem
        .help("a backslash starts an escape: \\n is a line break, \\\" a quote, \\\\ a backslash")
}

/// What the schema's type names mean to a teacher.
fn thing_called(outer: &str) -> &'static str {
    match outer {
        "Scenario" => "the scenario",
        "DnsServer" => "a DNS server",
        "Zone" => "a zone",
        "Mta" => "an MTA",
        "Client" => "a client",
        "Message" => "a message",
        "Link" => "a link",
        "ServFail" | "NxDomain" | "NoAnswer" => "this DNS fault",
        "Delivered" | "NotDelivered" | "Bounced" | "Deferred" | "Hops" | "ReceivedHeaders"
        | "Retrieved" | "Reply" => "this expectation",
        _ => "this record",
    }
}

fn kind_called(outer: &str) -> &'static str {
    match outer {
        "Record" => "DNS record type",
        "DnsFault" => "DNS fault",
        "Expect" => "expectation",
        _ => "kind of value",
    }
}

/// How to write a tagged value, for help lines.
fn form_of(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Mx" => "Mx(\"example.net\", 10, \"mx.example.net\"): domain, preference, mail host",
        "NullMx" => "NullMx(\"example.com\")",
        "A" => "A(\"mx.example.net\", \"192.0.2.25\")",
        "Aaaa" => "Aaaa(\"mx.example.net\", \"2001:db8::25\")",
        "Txt" => "Txt(\"example.net\", \"v=spf1 -all\")",
        "Cname" => "Cname(\"mail.example.net\", \"mx.example.net\")",
        "ServFail" | "NxDomain" | "NoAnswer" => "ServFail(name: \"example.net\", until: \"10m\")",
        "Delivered" => "Delivered(to: \"bob@example.net\", within: \"5m\")",
        "NotDelivered" => "NotDelivered(to: \"bob@example.net\")",
        "Bounced" => "Bounced(to: \"alice@example.org\", status: \"5.1.1\")",
        "Deferred" => "Deferred(at_least: 1)",
        "Hops" => "Hops(exactly: 2)",
        "ReceivedHeaders" => "ReceivedHeaders(mailbox: \"bob@example.net\", count: 2)",
        "Retrieved" => "Retrieved(by: \"bob@example.net\")",
        "Reply" => "Reply(code: 550, status: \"5.1.1\")",
        _ => return None,
    })
}

fn form_of_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "between" => "between: (\"laptop.example.org\", \"smtp.example.org\")",
        "down" => "down: [(\"1m\", \"2m\")], a list of (from, until) windows",
        "domains" | "relay_domains" => "domains: [\"example.net\"]",
        "mailboxes" => "mailboxes: {\"bob@example.net\": \"secret\"}",
        "retry" => "retry: [\"1m\", \"5m\", \"30m\"]",
        "fetch" => "fetch: [\"5m\"]",
        "to" | "cc" | "bcc" => "to: [\"bob@example.net\"]",
        "relay_networks" => "relay_networks: [\"192.0.2.0/24\"]",
        "records" => "records: [Mx(\"example.net\", 10, \"mx.example.net\")]",
        "zones" => "zones: [(origin: \"example.net\", records: [...])]",
        "send" => "send: [(to: [\"bob@example.net\"], subject: \"Hello\", body: \"Hi\")]",
        "dns" => "dns: [(name: \"ns.example.net\", ip: \"192.0.2.53\", zones: [...])]",
        "mtas" => "mtas: [(name: \"mx.example.net\", ip: \"192.0.2.25\", domains: [...])]",
        "clients" => "clients: [(name: \"laptop.example.org\", ip: \"192.0.2.10\", ...)]",
        "links" => "links: [(between: (\"a.example.org\", \"b.example.net\"), latency: \"40ms\")]",
        "expect" => "expect: [Delivered(to: \"bob@example.net\")]",
        "faults" => "faults: [ServFail(name: \"example.net\", until: \"10m\")]",
        _ => return None,
    })
}

/// An example value for a required field.
fn example_of(field: &str) -> &'static str {
    match field {
        "title" => "\"What this scenario shows\"",
        "name" => "\"mx.example.net\"",
        "ip" => "\"192.0.2.25\"",
        "zones" => "[(origin: \"example.net\", records: [...])]",
        "origin" => "\"example.net\"",
        "account" => "\"alice@example.org\"",
        "password" => "\"secret\"",
        "server" => "\"smtp.example.org\"",
        "between" => "(\"laptop.example.org\", \"smtp.example.org\")",
        "to" | "mailbox" | "by" => "\"bob@example.net\"",
        "exactly" | "count" => "2",
        "code" => "550",
        _ => "...",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_problem(source: &str) -> Problem {
        match parse(source, "t.ron") {
            Ok(_) => panic!("parsed"),
            Err(e) => e.problems[0].clone(),
        }
    }

    #[test]
    fn a_missing_comma_is_marked_at_the_end_of_its_line() {
        let p = first_problem("(\n    title: \"x\"\n    seed: 1,\n)");
        assert_eq!(p.message, "a comma is missing at the end of this line");
        assert_eq!(p.at, Some((2, 15)));
    }

    #[test]
    fn a_bare_word_gets_quotes_suggested() {
        let p = first_problem("(\n    title: x.example.net,\n)");
        assert_eq!(p.at, Some((2, 12)));
        assert_eq!(
            p.help.as_deref(),
            Some("`title` is text: write \"x.example.net\"")
        );
    }

    #[test]
    fn offsets_of_ron_positions() {
        let source = "ab\ncd";
        assert_eq!(offset_of(source, Position { line: 2, col: 2 }), 4);
        assert_eq!(offset_of(source, Position { line: 9, col: 1 }), 5);
    }
}
