//! RON's errors in a teacher's words: what went wrong, the marker on the
//! offending text (not on the space before it), and what to write instead.
//! Two mistakes that make RON report something far away are recognised
//! first: a text with no closing `"`, and a bracket that is never closed.

use ::ron::error::{Error as RonError, SpannedError};

use super::brackets::{unbalanced, unclosed_text};
use super::context::{Context, offset_of};
use super::expected::{
    expected_name, expected_record, invalid_escape, missing_comma, missing_field,
};
use super::lex::{TokenKind, unquote};
use crate::scenario::diagnostic::{Problem, line_of};
use crate::scenario::suggest::closest;
use crate::scenario::vocabulary::{kind_called, thing_in};

/// Everything to say about a RON error.
pub fn explain(source: &str, error: &SpannedError) -> Vec<Problem> {
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
            let thing = outer
                .as_deref()
                .map_or("this record", |o| thing_in(context.section(), o));
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
            let thing = outer
                .as_deref()
                .map_or("this record", |o| thing_in(context.section(), o));
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
                    Some("loss" | "duplicate" | "reorder") => "a chance is a number from 0.0 to 1.0".to_owned(),
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
pub(super) fn wrong_type(context: &Context, what: &str, help: &str) -> Problem {
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
    match (unquoted, context.form()) {
        (Some(text), _) => problem.help(format!("remove the quotes: {}", text.trim())),
        (None, Some(form)) => problem.help(format!("write it like {form}")),
        (None, None) => problem.help(help),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{Problem, parse};

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
}
