//! A lenient RON lexer: cuts scenario text into tokens (strings, numbers,
//! words, punctuation) while skipping comments. It never fails, so it can
//! explain a file RON refuses: an unclosed string, a missing bracket.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
