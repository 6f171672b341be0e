//! Where a value is written: [`SourceMap`] maps a path such as
//! `mtas[1].mailboxes["bob@…"]` to the bytes of that value, so that a
//! semantic error marks the exact text, even when the same name appears
//! in several places. It is a second, lenient parser over the lexer's
//! tokens: whatever does not parse is left out of the map.

use super::lex::{Token, TokenKind, lex, unquote};

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
