//! Brackets and quotes that do not pair up. A missing `)` or `"` makes
//! RON stop somewhere far away that makes no sense; these find the real
//! place.

use ::ron::error::Error as RonError;

use super::context::Context;
use super::lex::{Token, TokenKind};
use crate::scenario::diagnostic::{Problem, line_of};

/// A text with no closing `"`: RON then reads on into the next lines and
/// stops somewhere that makes no sense. Recognised by a text that runs over
/// a line break and ends right where RON stopped, or that never ends.
pub(super) fn unclosed_text(context: &Context, code: &RonError) -> Option<Problem> {
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
pub(super) fn unbalanced(source: &str, tokens: &[Token]) -> Option<(Problem, usize)> {
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

pub(super) fn opening(close: char) -> char {
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
