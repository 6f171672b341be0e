//! Where RON stopped, and what surrounds that place: the brackets open
//! there, the field and the tagged value they belong to. Every
//! explanation of a syntax error starts from a [`Context`].

use ::ron::error::Position;

use super::lex::{Token, TokenKind, lex};
use crate::scenario::diagnostic::Problem;
use crate::scenario::vocabulary::{form_in, form_of_field};

/// Byte offset of a RON position (1-based line and column in characters).
pub(super) fn offset_of(source: &str, position: Position) -> usize {
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
pub(super) struct Frame {
    pub(super) open: char,
    pub(super) at: usize,
    /// The word right before the bracket: `Mx` in `Mx(`.
    pub(super) tag: Option<String>,
    /// The field whose value this bracket opens: `domains` in `domains: [`.
    pub(super) under: Option<String>,
    /// Inside `( ... )`: the last field name seen.
    pub(super) field: Option<String>,
}

/// Where RON stopped, and what surrounds that place.
pub(super) struct Context<'a> {
    pub(super) source: &'a str,
    pub(super) tokens: Vec<Token>,
    /// Index of the first token at or after RON's position (None at the end).
    pub(super) found: Option<usize>,
    /// RON's position as a byte offset.
    pub(super) offset: usize,
    /// The brackets open at that place, outermost first.
    pub(super) frames: Vec<Frame>,
}

impl<'a> Context<'a> {
    pub(super) fn new(source: &'a str, offset: usize) -> Context<'a> {
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

    pub(super) fn found(&self) -> Option<Token> {
        self.found.map(|i| self.tokens[i])
    }

    /// The token before the found one.
    pub(super) fn previous(&self) -> Option<Token> {
        let i = self.found.unwrap_or(self.tokens.len());
        i.checked_sub(1).map(|p| self.tokens[p])
    }

    /// The found token, described: `the number 1234`, or the end of the file.
    pub(super) fn found_text(&self) -> String {
        self.found().map_or_else(
            || "the end of the file".to_owned(),
            |t| t.describe(self.source),
        )
    }

    /// A problem marking the found token (or the end of the file).
    pub(super) fn at_found(&self, message: impl Into<String>) -> Problem {
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
    pub(super) fn direct_field(&self) -> Option<&str> {
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
    pub(super) fn field(&self) -> Option<&str> {
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

    /// The scenario's field the place stands under, as `overrides` for
    /// anything inside `overrides: [...]`.
    pub(super) fn section(&self) -> Option<&str> {
        self.frames.iter().find_map(|f| f.under.as_deref())
    }

    /// How the innermost tag is written where it stands (`Reply` is an
    /// expectation under `expect`, a what-if under `overrides`).
    pub(super) fn form(&self) -> Option<&'static str> {
        self.tag().and_then(|tag| form_in(self.section(), tag))
    }

    /// The innermost tagged bracket, as in `Mx(`.
    pub(super) fn tag(&self) -> Option<&str> {
        self.frames.last().and_then(|f| f.tag.as_deref())
    }

    /// How to write the thing RON stopped in.
    pub(super) fn shape(&self) -> Option<String> {
        self.form()
            .map(|form| format!("write it like {form}"))
            .or_else(|| {
                let field = self.field()?;
                form_of_field(field).map(|form| format!("write it like {form}"))
            })
    }

    /// The closing bracket expected where RON stopped.
    pub(super) fn closer(&self) -> char {
        match self.frames.last().map(|f| f.open) {
            Some('[') => ']',
            Some('{') => '}',
            _ => ')',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn offsets_of_ron_positions() {
        let source = "ab\ncd";
        assert_eq!(offset_of(source, Position { line: 2, col: 2 }), 4);
        assert_eq!(offset_of(source, Position { line: 9, col: 1 }), 5);
    }
}
