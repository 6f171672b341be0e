//! Text helpers shared by the views: display widths, fitting text into a
//! number of cells with an ellipsis, word wrapping with a hanging indent,
//! and host names short enough for a column yet still unique.

use std::borrow::Cow;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub use crate::trace::describe::dns_label;
use crate::trace::{HostId, Trace};

/// Cells a string takes on screen.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
}

/// The longest start of `s` that takes at most `max` cells.
fn take_cells(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += char_width(c);
        if used > max {
            return &s[..i];
        }
    }
    s
}

/// `s` cut to `max` cells, ending in `…` when something was cut, so a
/// reader knows there is more.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        Cow::Borrowed(s)
    } else if max == 0 {
        Cow::Borrowed("")
    } else {
        Cow::Owned(format!("{}…", take_cells(s, max - 1)))
    }
}

/// Styled text cut to `max` cells, ending in `…` when something was cut.
pub fn fit_spans(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.width();
        if used + w < max {
            used += w;
            out.push(span);
            continue;
        }
        // The cut falls in this span: keep one cell for the ellipsis.
        let kept = take_cells(&span.content, max.saturating_sub(used + 1));
        out.push(Span::styled(format!("{kept}…"), span.style));
        break;
    }
    out
}

/// Builds wrapped lines a word at a time.
struct Wrapper {
    lines: Vec<Line<'static>>,
    line: Vec<Span<'static>>,
    used: usize,
    width: usize,
    indent: usize,
}

impl Wrapper {
    fn newline(&mut self) {
        self.lines.push(Line::from(std::mem::take(&mut self.line)));
        self.line.push(Span::raw(" ".repeat(self.indent)));
        self.used = self.indent;
    }

    fn push(&mut self, text: &str, style: Style) {
        self.used += width(text);
        self.line.push(Span::styled(text.to_owned(), style));
    }
}

/// Words of styled text wrapped to `width` cells; lines after the first
/// start with `indent` spaces, like a folded mail header. A word longer
/// than a line is broken where the line ends.
pub fn wrap(spans: &[Span<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    let mut w = Wrapper {
        lines: Vec::new(),
        line: Vec::new(),
        used: 0,
        width: width.max(indent + 2),
        indent,
    };
    // Spaces wait until a word follows them on the same line; a folded
    // line starts with its indent, not with the spaces where it broke.
    let mut pending: Option<(&str, Style)> = None;
    // A cell has no tab: ratatui shows a tab as nothing, so "a;\tb" (a
    // header unfolded as RFC 5322 §2.2.3 says, keeping the WSP) would read
    // "a;b". Each tab is shown as the one space it stands for.
    let contents: Vec<String> = spans.iter().map(|s| s.content.replace('\t', " ")).collect();
    for (span, content) in spans.iter().zip(&contents) {
        for token in tokens(content) {
            if token.starts_with(' ') {
                pending = Some((token, span.style));
                continue;
            }
            let space = pending.take();
            let space_w = space.map_or(0, |(s, _)| self::width(s));
            let fresh = w.used == if w.lines.is_empty() { 0 } else { w.indent };
            if !fresh && w.used + space_w + self::width(token) > w.width {
                w.newline();
            } else if let Some((s, style)) = space
                && (!fresh || w.lines.is_empty())
            {
                w.push(s, style);
            }
            let mut rest = token;
            while w.used + self::width(rest) > w.width {
                let head = take_cells(rest, w.width - w.used);
                if head.is_empty() {
                    break;
                }
                w.push(head, span.style);
                rest = &rest[head.len()..];
                w.newline();
            }
            if !rest.is_empty() {
                w.push(rest, span.style);
            }
        }
    }
    w.lines.push(Line::from(w.line));
    w.lines
}

/// Runs of spaces and runs of everything else.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first == ' ';
        let end = rest
            .find(|c: char| (c == ' ') != space)
            .unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    })
}

/// A host's name in at most `room` cells: the full name when it fits,
/// else its first labels, as few as keep it apart from every other host
/// (`mx.lab` beside `mx.example`), or its first and last labels
/// (`smtp…org` beside `smtp…com`), else cut with an ellipsis.
pub fn host_name(trace: &Trace, id: HostId, room: usize) -> String {
    let name = trace.name(id);
    if width(name) <= room {
        return name.to_owned();
    }
    // The scenario's own short name, when it gave one.
    if let Some(label) = &trace.host(id).label {
        return fit(label, room).into_owned();
    }
    let labels: Vec<&str> = name.split('.').collect();
    for k in 1..labels.len() {
        let prefix = labels[..k].join(".");
        let shared = trace.hosts.iter().enumerate().any(|(i, h)| {
            i != usize::from(id.0)
                && (h.name == prefix || h.name.starts_with(&format!("{prefix}.")))
        });
        if !shared {
            return fit(&prefix, room).into_owned();
        }
    }
    // Apart only by their ends (smtp.example.org, smtp.example.com):
    // keep the first label and the last.
    if let [first, .., last] = labels[..] {
        let ends = format!("{first}…{last}");
        if width(&ends) <= room {
            return ends;
        }
    }
    fit(name, room).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn fit_marks_what_it_cuts() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("hello", 0), "");
    }

    #[test]
    fn wrap_folds_like_a_header() {
        let spans = [Span::raw(
            "Received: from a.example by b.example with ESMTP",
        )];
        assert_eq!(
            plain(&wrap(&spans, 20, 4)),
            [
                "Received: from",
                "    a.example by",
                "    b.example with",
                "    ESMTP"
            ]
        );
    }

    #[test]
    fn wrap_breaks_words_longer_than_a_line() {
        let spans = [Span::raw("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3Jn")];
        assert_eq!(
            plain(&wrap(&spans, 12, 2)),
            ["AUTH PLAIN", "  AGFsaWNlQG", "  V4YW1wbGUu", "  b3Jn"]
        );
    }
}
