//! What RON expected where it stopped, explained: a comma, a field name,
//! a record, a field left out, an escape it knows.

use ::ron::error::Error as RonError;

use super::brackets::opening;
use super::context::Context;
use super::lex::{TokenKind, unquote};
use super::translate::wrong_type;
use crate::scenario::diagnostic::{Problem, line_of};
use crate::scenario::suggest::closest;
use crate::scenario::vocabulary::{example_in, form_of};

/// A comma or closing bracket was expected.
pub(super) fn missing_comma(context: &Context) -> Problem {
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
pub(super) fn missing_field(context: &Context, thing: &str, field: &str) -> Problem {
    let source = context.source;
    let example = example_in(thing, field);
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
pub(super) fn expected_name(context: &Context) -> Problem {
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
pub(super) fn expected_record(context: &Context, code: &RonError) -> Problem {
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
pub(super) fn invalid_escape(context: &Context) -> Problem {
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
