//! Turning an entry into the plain text `mailflow explain` prints: short
//! headed sections, wrapped to fit an 80-column terminal, no colour codes.

use super::Entry;

/// The widest line the text is wrapped to, indentation included.
const WIDTH: usize = 78;

/// How far section bodies are indented under their heading.
const INDENT: &str = "  ";

/// The friendly multi-line explanation of one entry, ending with a newline.
///
/// ```text
/// 550 — Requested action not taken: mailbox unavailable
/// SMTP reply code · RFC 5321 §4.2.2, §3.6.2
///
/// What it means
///   A permanent no: ...
/// ```
pub fn render_text(entry: &Entry) -> String {
    let mut out = wrap(&format!("{} — {}", entry.topic, entry.title), "");
    out.push_str(&wrap(
        &format!("{} · {}", entry.kind.label(), entry.rfc),
        "",
    ));
    section(&mut out, "What it means", &entry.meaning);
    section(&mut out, entry.kind.when_heading(), &entry.when);
    section(&mut out, entry.kind.next_heading(), &entry.next);
    if let Some(seen) = &entry.seen {
        section(&mut out, "Seen in real logs", seen);
    }
    if let Some(mailflow) = &entry.mailflow {
        section(&mut out, "In mailflow", mailflow);
    }
    if !entry.aliases.is_empty() {
        out.push('\n');
        out.push_str(&wrap(
            &format!("Also known as: {}", entry.aliases.join(", ")),
            "",
        ));
    }
    if !entry.see.is_empty() {
        out.push_str(if entry.aliases.is_empty() { "\n" } else { "" });
        out.push_str(&wrap(&format!("See also: {}", entry.see.join(", ")), ""));
    }
    out
}

/// A blank line, the heading, then the text indented and wrapped.
fn section(out: &mut String, heading: &str, text: &str) {
    out.push('\n');
    out.push_str(heading);
    out.push('\n');
    out.push_str(&wrap(text, INDENT));
}

/// Wraps `text` to [`WIDTH`] columns with every line starting with `indent`.
/// Line breaks inside a paragraph are ignored, so the RON file can break its
/// strings anywhere; a blank line starts a new paragraph.
pub(crate) fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for (number, paragraph) in paragraphs(text).into_iter().enumerate() {
        if number > 0 {
            out.push('\n');
        }
        wrap_paragraph(&mut out, &paragraph, indent);
    }
    out
}

/// The paragraphs of `text`, each as its words joined by single spaces.
fn paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = vec![Vec::new()];
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match paragraphs.last_mut() {
            Some(current) if !words.is_empty() => current.extend(words),
            Some(current) if !current.is_empty() => paragraphs.push(Vec::new()),
            _ => {}
        }
    }
    paragraphs
        .into_iter()
        .filter(|words| !words.is_empty())
        .map(|words| words.join(" "))
        .collect()
}

/// Greedy wrapping; a word longer than a line gets a line of its own.
fn wrap_paragraph(out: &mut String, paragraph: &str, indent: &str) {
    for line in crate::text::wrap(paragraph, WIDTH, indent) {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_lines_short_and_words_whole() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text, INDENT);
        assert!(wrapped.lines().all(|line| line.chars().count() <= WIDTH));
        assert!(wrapped.lines().all(|line| line.starts_with(INDENT)));
        assert_eq!(wrapped.split_whitespace().count(), 40);
    }

    #[test]
    fn blank_lines_separate_paragraphs_and_single_breaks_do_not() {
        let wrapped = wrap("one\ntwo\n\nthree", "");
        assert_eq!(wrapped, "one two\n\nthree\n");
    }
}
