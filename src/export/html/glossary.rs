//! The catalog entries a page uses, each written once at its end: a line
//! of a transcript carries only the entry's title, RFC section and a link
//! here, so a long run's page does not repeat the same paragraphs.

use std::fmt::Write;

use super::escape::escape;
use crate::explain::Entry;

#[derive(Default)]
pub struct Glossary<'c> {
    /// In the order the page first cites them.
    entries: Vec<&'c Entry>,
}

impl<'c> Glossary<'c> {
    /// The anchor of `entry`, citing it if it is new.
    fn anchor(&mut self, entry: &'c Entry) -> usize {
        match self.entries.iter().position(|e| std::ptr::eq(*e, entry)) {
            Some(i) => i,
            None => {
                self.entries.push(entry);
                self.entries.len() - 1
            }
        }
    }

    /// What a line's expansion says: the most specific entry's title and
    /// RFC section, then the others by name, each linked to its whole text
    /// below.
    pub fn cite(&mut self, out: &mut String, entries: &[&'c Entry]) {
        let Some((first, more)) = entries.split_first() else {
            out.push_str("<span class=\"x\">The catalog has nothing on this line.</span>");
            return;
        };
        let n = self.anchor(first);
        let _ = write!(
            out,
            "<span class=\"x\"><a href=\"#g-{n}\">{}</a> — {} <i>({})</i>",
            escape(&first.topic),
            escape(&first.title),
            escape(&first.rfc)
        );
        // The others by name only: their titles are a click away.
        for (k, entry) in more.iter().enumerate() {
            let n = self.anchor(entry);
            let _ = write!(
                out,
                "{}<a href=\"#g-{n}\">{}</a>",
                if k == 0 { "; see also " } else { ", " },
                escape(&entry.topic)
            );
        }
        out.push_str("</span>");
    }

    /// The entries cited, each with what it means, when it happens and
    /// what comes next, as `mailflow explain` prints them.
    pub fn render(&self, out: &mut String) {
        if self.entries.is_empty() {
            return;
        }
        out.push_str(
            "<section id=\"glossary\"><h2>What the lines mean</h2>\
             <p class=\"dim\">From the same catalog as the dashboard and <code>mailflow explain</code>.</p><dl>",
        );
        for (n, e) in self.entries.iter().enumerate() {
            let _ = write!(
                out,
                "<dt id=\"g-{n}\">{} — {} <i>({}, {})</i></dt><dd><p>{}</p>\
                 <p><b>{}</b> {}</p><p><b>{}</b> {}</p></dd>",
                escape(&e.topic),
                escape(&e.title),
                escape(e.kind.label()),
                escape(&e.rfc),
                escape(&e.meaning),
                escape(e.kind.when_heading()),
                escape(&e.when),
                escape(e.kind.next_heading()),
                escape(&e.next),
            );
        }
        out.push_str("</dl></section>\n");
    }
}
