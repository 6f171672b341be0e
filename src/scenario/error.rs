//! Errors in a scenario file, shown the way a compiler shows them: the file,
//! the line and column, the line itself with the place marked, and what to
//! do about it.
//!
//! The readers are teachers, not Rust programmers: messages use the words of
//! the scenario file ("an MTA", "a zone", "the down window"), never serde's.
//!
//! Two helpers find the place to mark:
//! * [`lex`] cuts RON text into tokens (strings, numbers, words,
//!   punctuation) while skipping comments; the loader uses it to explain
//!   syntax errors (an unclosed string, a missing bracket).
//! * [`SourceMap`] maps a path such as `mtas[1].mailboxes["bob@…"]` to the
//!   bytes of that value, so that a semantic error marks the exact text,
//!   even when the same name appears in several places.

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
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            at: None,
            width: 1,
            note: None,
            help: None,
        }
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
    /// precisely: prefer [`SourceMap::find`].
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
            writeln!(f, "error: {}", one_line(&problem.message))?;
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
        if self.problems.len() > 1 {
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

/// The closest of `candidates` to `word`, if it is close enough to be a
/// likely typo, and not `word` itself.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| typo_distance(&lower, &c.to_lowercase()).map(|d| (d, c)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The edit distance between two words if one is a likely typo of the
/// other. Names with dots are compared label by label, each label allowed
/// a third of its length in edits (`mx.exmaple.net` for `mx.example.net`,
/// but not `relay.example.org` for `smtp.example.org`, nor `example.com`
/// for `example.net`); other words a quarter of their length, at least 1
/// (`to` for `too`), except one letter, which is no basis for a guess.
fn typo_distance(word: &str, candidate: &str) -> Option<usize> {
    let labels = |s: &str| s.split(['.', '@']).map(str::to_owned).collect::<Vec<_>>();
    let (a, b) = (labels(word), labels(candidate));
    if a.len() > 1 && a.len() == b.len() {
        let mut total = 0;
        for (x, y) in a.iter().zip(&b) {
            let d = distance(x, y);
            if d > (x.chars().count() / 3).max(1) {
                return None;
            }
            total += d;
        }
        return Some(total);
    }
    let d = distance(word, candidate);
    let length = word.chars().count();
    let limit = if length < 2 { 0 } else { (length / 4).max(1) };
    (d <= limit).then_some(d)
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

// ── Tokens ──────────────────────────────────────────────────────────────

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `"..."`, `r#"..."#` or `b"..."`; `newline` is the offset of the first
    /// line break inside it that is not a `\` continuation.
    Text {
        newline: Option<usize>,
    },
    /// A `"` with no closing `"` before the end of the file.
    UnclosedText,
    /// `'x'`, or a single-quoted string RON does not accept.
    Quoted,
    Number,
    /// An identifier, or bare text such as `mx.example.net`.
    Word,
    /// One of `( ) [ ] { } , : ; = #` or any other lone character.
    Punct(char),
}

/// A token and its bytes in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        &source[self.start..self.end]
    }

    /// The token as a teacher would name it: `the number 1234`, `` `;` ``.
    pub fn describe(&self, source: &str) -> String {
        let text = self.text(source);
        let short = if text.chars().count() > 40 {
            let cut: String = text.chars().take(37).collect();
            format!("{cut}...")
        } else {
            text.to_owned()
        };
        match self.kind {
            TokenKind::Text { .. } | TokenKind::UnclosedText => format!("the text {short}"),
            TokenKind::Quoted if text.chars().count() > 1 => format!("{short} in single quotes"),
            TokenKind::Number => format!("the number {short}"),
            TokenKind::Word if self.is_wordlike(source) => format!("the word {short}"),
            TokenKind::Quoted | TokenKind::Word => format!("`{short}`"),
            TokenKind::Punct(c) => format!("`{c}`"),
        }
    }

    /// A word with a letter or digit in it, not stray punctuation like `@`.
    pub fn is_wordlike(&self, source: &str) -> bool {
        self.text(source).chars().any(char::is_alphanumeric)
    }
}

/// Characters that end a bare word.
const STOPS: &str = "()[]{},:;=#\"'";

/// Cuts `source` into tokens, skipping white space and comments (`//` to
/// the end of the line, `/* ... */` nested). Never fails: whatever it does
/// not recognise becomes a one-character `Punct`.
pub fn lex(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = source[i..].chars().next() {
        let rest = &source[i..];
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("/*") {
            i += block_comment_len(rest);
            continue;
        }
        let (kind, len) = if c == '"' {
            text_token(rest)
        } else if let Some(hashes) = raw_string_start(rest) {
            raw_text_token(rest, hashes)
        } else if rest.starts_with("b\"") {
            let (kind, len) = text_token(&rest[1..]);
            (kind, len + 1)
        } else if c == '\'' {
            (TokenKind::Quoted, quoted_len(rest))
        } else if STOPS.contains(c) || c == '/' {
            (TokenKind::Punct(c), c.len_utf8())
        } else {
            let len = rest
                .find(|c: char| c.is_whitespace() || STOPS.contains(c) || c == '/')
                .unwrap_or(rest.len());
            let kind = if is_number(&rest[..len]) {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
            (kind, len)
        };
        // Every length above ends on a character boundary; make sure of it.
        let mut end = (i + len.max(1)).min(source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
        tokens.push(Token {
            kind,
            start: i,
            end,
        });
        i = end;
    }
    tokens
}

fn block_comment_len(rest: &str) -> usize {
    let mut depth = 0usize;
    let mut i = 0;
    while i < rest.len() {
        let tail = &rest[i..];
        if tail.starts_with("/*") {
            depth += 1;
            i += 2;
        } else if tail.starts_with("*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += tail.chars().next().map_or(1, char::len_utf8);
        }
    }
    rest.len()
}

/// A `"`-string at the start of `rest`: its kind and length.
fn text_token(rest: &str) -> (TokenKind, usize) {
    let mut newline = None;
    let mut after_backslash = false;
    for (i, c) in rest.char_indices().skip(1) {
        if after_backslash {
            after_backslash = false;
            continue;
        }
        match c {
            '\\' => after_backslash = true,
            '"' => return (TokenKind::Text { newline }, i + 1),
            '\n' if newline.is_none() => newline = Some(i),
            _ => {}
        }
    }
    (TokenKind::UnclosedText, rest.len())
}

/// `r"`, `r#"`, `br#"`...: the number of `#`.
fn raw_string_start(rest: &str) -> Option<usize> {
    let tail = rest.strip_prefix('b').unwrap_or(rest).strip_prefix('r')?;
    let hashes = tail.chars().take_while(|&c| c == '#').count();
    tail[hashes..].starts_with('"').then_some(hashes)
}

fn raw_text_token(rest: &str, hashes: usize) -> (TokenKind, usize) {
    let open = rest.find('"').unwrap_or(0) + 1;
    let close = format!("\"{}", "#".repeat(hashes));
    match rest[open..].find(&close) {
        Some(i) => {
            let body = &rest[open..open + i];
            let newline = body.find('\n').map(|n| open + n);
            (TokenKind::Text { newline }, open + i + close.len())
        }
        None => (TokenKind::UnclosedText, rest.len()),
    }
}

fn quoted_len(rest: &str) -> usize {
    let line = rest.find('\n').unwrap_or(rest.len());
    let mut after_backslash = false;
    for (i, c) in rest[..line].char_indices().skip(1) {
        if after_backslash {
            after_backslash = false;
        } else if c == '\\' {
            after_backslash = true;
        } else if c == '\'' {
            return i + 1;
        }
    }
    1
}

fn is_number(word: &str) -> bool {
    let digits = word.trim_start_matches(['+', '-']).replace('_', "");
    let radix = ["0x", "0b", "0o"]
        .iter()
        .any(|p| digits.starts_with(p) && digits.len() > 2);
    digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && (radix || digits.parse::<f64>().is_ok() || digits == "inf" || digits == "NaN")
}

/// The text of a string token without its quotes, with the common escapes
/// undone (`\"`, `\\`, `\n`, `\t`, a `\` line continuation).
pub fn unquote(token: &str) -> String {
    let token = token.strip_prefix('b').unwrap_or(token);
    if let Some(raw) = token.strip_prefix('r') {
        return raw.trim_matches('#').trim_matches('"').to_owned();
    }
    let inner = token.strip_prefix('"').unwrap_or(token);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\n') => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

// ── Where a value is ────────────────────────────────────────────────────

/// One step of a path into a scenario: `[Field("mtas"), Item(1),
/// Key("bob@example.net")]` is the key `"bob@example.net"` in the
/// mailboxes... of the second MTA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// The value of a named field: `name: "..."`.
    Field(&'a str),
    /// The name of a field itself (`name` in `name: "..."`); last step only.
    FieldName(&'a str),
    /// The n-th item of a list, or of a tuple or tagged value such as
    /// `Mx("example.net", 10, "mx.example.net")`.
    Item(usize),
    /// The key of a map entry, matched by its text (ignoring case).
    Key(&'a str),
    /// The value of a map entry, found by its key's text.
    Entry(&'a str),
}

/// A parsed value and its bytes.
#[derive(Debug, Clone)]
struct Node {
    start: usize,
    end: usize,
    kind: NodeKind,
}

#[derive(Debug, Clone)]
enum NodeKind {
    Text(String),
    Atom,
    /// `( ... )`, perhaps tagged: `Mx(...)`, `Delivered(...)`, `Some(...)`.
    Group {
        tag: Option<String>,
        fields: Vec<(String, (usize, usize), Node)>,
        items: Vec<Node>,
    },
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// The structure of a scenario's text, for pointing at values by path. It
/// is built leniently: whatever does not parse is left out, and a path
/// into it is simply not found.
#[derive(Debug, Clone)]
pub struct SourceMap {
    root: Option<Node>,
}

impl SourceMap {
    pub fn new(source: &str) -> SourceMap {
        let tokens = lex(source);
        let mut parser = MapParser {
            source,
            tokens: &tokens,
            at: 0,
            depth: 0,
        };
        parser.skip_attributes();
        SourceMap {
            root: parser.value(),
        }
    }

    /// The bytes of the value at `path`, if it is in the file (a field left
    /// out for its default is not).
    pub fn find(&self, path: &[Step]) -> Option<(usize, usize)> {
        let mut node = self.root.as_ref()?;
        for (i, step) in path.iter().enumerate() {
            node = unwrap_some(node);
            let last = i + 1 == path.len();
            node = match (step, &node.kind) {
                (Step::Field(name), NodeKind::Group { fields, .. }) => {
                    &fields.iter().find(|(n, _, _)| n == name)?.2
                }
                (Step::FieldName(name), NodeKind::Group { fields, .. }) if last => {
                    return fields.iter().find(|(n, _, _)| n == name).map(|f| f.1);
                }
                (Step::Item(n), NodeKind::List(items) | NodeKind::Group { items, .. }) => {
                    items.get(*n)?
                }
                (Step::Key(key), NodeKind::Map(entries)) => {
                    &entries.iter().find(|(k, _)| text_is(k, key))?.0
                }
                (Step::Entry(key), NodeKind::Map(entries)) => {
                    &entries.iter().find(|(k, _)| text_is(k, key))?.1
                }
                _ => return None,
            };
        }
        Some((node.start, node.end))
    }

    /// The bytes of the longest prefix of `path` that is in the file: the
    /// value itself if it is there, else the nearest thing around it.
    pub fn nearest(&self, path: &[Step]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.find(&path[..n]).filter(|_| n > 0 || path.is_empty()))
    }
}

fn unwrap_some(node: &Node) -> &Node {
    match &node.kind {
        NodeKind::Group {
            tag: Some(tag),
            fields,
            items,
        } if tag == "Some" && fields.is_empty() && items.len() == 1 => &items[0],
        _ => node,
    }
}

fn text_is(node: &Node, text: &str) -> bool {
    matches!(&node.kind, NodeKind::Text(t) if t.eq_ignore_ascii_case(text))
}

struct MapParser<'a> {
    source: &'a str,
    tokens: &'a [Token],
    at: usize,
    depth: usize,
}

impl MapParser<'_> {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.at).copied()
    }

    fn peek_is(&self, offset: usize, c: char) -> bool {
        self.tokens
            .get(self.at + offset)
            .is_some_and(|t| t.kind == TokenKind::Punct(c))
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek_is(0, c);
        if found {
            self.at += 1;
        }
        found
    }

    /// `#![enable(...)]` lines before the value.
    fn skip_attributes(&mut self) {
        while self.peek_is(0, '#') {
            while let Some(t) = self.peek() {
                self.at += 1;
                if t.kind == TokenKind::Punct(']') {
                    break;
                }
            }
        }
    }

    fn value(&mut self) -> Option<Node> {
        // Deep nesting is not a scenario; stop rather than overflow.
        if self.depth > 64 {
            return None;
        }
        self.depth += 1;
        let node = self.value_inner();
        self.depth -= 1;
        node
    }

    fn value_inner(&mut self) -> Option<Node> {
        let token = self.peek()?;
        self.at += 1;
        let leaf = |kind| {
            Some(Node {
                start: token.start,
                end: token.end,
                kind,
            })
        };
        match token.kind {
            TokenKind::Text { .. } => leaf(NodeKind::Text(unquote(token.text(self.source)))),
            TokenKind::Number | TokenKind::Quoted => leaf(NodeKind::Atom),
            TokenKind::Word if self.peek_is(0, '(') => {
                self.at += 1;
                self.group(token.start, Some(token.text(self.source).to_owned()))
            }
            TokenKind::Word => leaf(NodeKind::Atom),
            TokenKind::Punct('(') => self.group(token.start, None),
            TokenKind::Punct('[') => {
                let mut items = Vec::new();
                while !self.eat(']') {
                    items.push(self.value()?);
                    if !self.eat(',') && !self.peek_is(0, ']') {
                        return None;
                    }
                }
                Some(self.close(token.start, NodeKind::List(items)))
            }
            TokenKind::Punct('{') => {
                let mut entries = Vec::new();
                while !self.eat('}') {
                    let key = self.value()?;
                    if !self.eat(':') {
                        return None;
                    }
                    entries.push((key, self.value()?));
                    if !self.eat(',') && !self.peek_is(0, '}') {
                        return None;
                    }
                }
                Some(self.close(token.start, NodeKind::Map(entries)))
            }
            _ => None,
        }
    }

    /// After `(` (or `Tag(`): fields `name: value` and bare items.
    fn group(&mut self, start: usize, tag: Option<String>) -> Option<Node> {
        let mut fields = Vec::new();
        let mut items = Vec::new();
        while !self.eat(')') {
            match self.peek() {
                Some(name) if name.kind == TokenKind::Word && self.peek_is(1, ':') => {
                    self.at += 2;
                    let text = name.text(self.source).to_owned();
                    fields.push((text, (name.start, name.end), self.value()?));
                }
                _ => items.push(self.value()?),
            }
            if !self.eat(',') && !self.peek_is(0, ')') {
                return None;
            }
        }
        Some(self.close(start, NodeKind::Group { tag, fields, items }))
    }

    /// The node that ends at the token just eaten.
    fn close(&self, start: usize, kind: NodeKind) -> Node {
        let end = self.tokens.get(self.at - 1).map_or(start, |t| t.end);
        Node { start, end, kind }
    }
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
        assert_eq!(closest("relay.example.org", names), None);
        assert_eq!(closest("smtp.example.org", ["laptop.example.org"]), None);
        assert_eq!(closest("example.com", ["example.net"]), None);
        assert_eq!(closest("mx.example.ne", names), Some("mx.example.net"));
        assert_eq!(closest("mx.example.net", names), None);
        assert_eq!(closest("b", ["A", "Mx"]), None);
        assert_eq!(closest("a", ["A", "Mx"]), Some("A"));
        assert_eq!(closest("to", ["too"]), Some("too"));
        assert_eq!(closest("latancy", ["latency", "seed"]), Some("latency"));
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

    #[test]
    fn lexes_strings_words_numbers_and_skips_comments() {
        let source =
            "( // c\n a: \"x\\\"y\", /* b /* n */ */ b: mx.example.net, c: -1.5, d: r#\"q\"# )";
        let kinds: Vec<TokenKind> = lex(source).iter().map(|t| t.kind).collect();
        use TokenKind::*;
        assert_eq!(
            kinds,
            [
                Punct('('),
                Word,
                Punct(':'),
                Text { newline: None },
                Punct(','),
                Word,
                Punct(':'),
                Word,
                Punct(','),
                Word,
                Punct(':'),
                Number,
                Punct(','),
                Word,
                Punct(':'),
                Text { newline: None },
                Punct(')'),
            ]
        );
        assert_eq!(unquote("\"x\\\"y\""), "x\"y");
    }

    #[test]
    fn an_unclosed_string_runs_to_the_end() {
        let tokens = lex("(a: \"open)");
        assert_eq!(tokens.last().map(|t| t.kind), Some(TokenKind::UnclosedText));
    }

    #[test]
    fn finds_values_by_path() {
        let source = "(\n  mtas: [\n    (name: \"a\", mailboxes: {\"bob@x\": \"pw\"}),\n    (name: \"a\", retry: Some([\"5m\"])),\n  ],\n  r: [Mx(\"x\", 10, \"y\")],\n)";
        let map = SourceMap::new(source);
        let at = |path: &[Step]| map.find(path).map(|(s, e)| &source[s..e]);
        use Step::*;
        assert_eq!(at(&[Field("mtas"), Item(1), Field("name")]), Some("\"a\""));
        let second = map.find(&[Field("mtas"), Item(1), Field("name")]);
        let first = map.find(&[Field("mtas"), Item(0), Field("name")]);
        assert!(second > first);
        assert_eq!(
            at(&[Field("mtas"), Item(0), Field("mailboxes"), Key("BOB@x")]),
            Some("\"bob@x\"")
        );
        assert_eq!(
            at(&[Field("mtas"), Item(0), Field("mailboxes"), Entry("bob@x")]),
            Some("\"pw\"")
        );
        assert_eq!(
            at(&[Field("mtas"), Item(1), Field("retry"), Item(0)]),
            Some("\"5m\"")
        );
        assert_eq!(at(&[Field("r"), Item(0), Item(2)]), Some("\"y\""));
        assert_eq!(
            at(&[Field("mtas"), Item(0), FieldName("mailboxes")]),
            Some("mailboxes")
        );
        assert_eq!(at(&[Field("nothing")]), None);
        let near = map.nearest(&[Field("mtas"), Item(1), Field("down")]);
        assert_eq!(near.map(|(s, _)| &source[s..s + 1]), Some("("));
    }

    #[test]
    fn a_broken_file_gives_an_empty_map_not_a_panic() {
        for source in ["", "(", "(a: [", "{\"x\"", "((((((", "\u{0}\u{1}"] {
            let map = SourceMap::new(source);
            assert_eq!(map.find(&[Step::Field("a")]), None);
        }
    }
}
