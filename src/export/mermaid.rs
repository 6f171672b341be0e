//! The run as a Mermaid `sequenceDiagram`: hosts as participants in the
//! order the mail meets them, each SMTP/POP3 command and reply line as an
//! arrow, message data as one arrow, DNS as decoded arrows, queue facts
//! and long quiet stretches as notes. GitHub renders it in Markdown.
//!
//! Mermaid's sequence grammar ends a statement at `;` and starts a comment
//! at `#` and `%%`, and its renderer reads `<...>` as HTML; so every text
//! goes through `escape`, which writes those as entity codes (`#59;`).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::trip::{Step, trip};
use crate::trace::{HostId, Role, Trace};

/// The diagram; `title` (may be empty) becomes its title line.
pub fn render(trace: &Trace, title: &str) -> String {
    let trip = trip(trace);
    let cast = &trip.cast;
    let aliases = aliases(trace, cast);
    let alias = |h: HostId| aliases.get(&h).map_or("unknown", String::as_str);
    let mut out = String::from("sequenceDiagram\n");
    if !title.trim().is_empty() {
        let _ = writeln!(out, "    title {}", escape(title.trim()));
    }
    for &h in cast {
        let host = trace.host(h);
        let role = match host.role {
            Role::Client => "mail client",
            Role::Mta => "MTA",
            Role::Dns => "DNS",
            Role::External => "real host",
        };
        let _ = writeln!(
            out,
            "    participant {} as {}",
            alias(h),
            escape(&format!("{} ({role})", host.name))
        );
    }
    for step in &trip.steps {
        let _ = match step {
            Step::Arrow {
                from,
                to,
                reply,
                text,
                ..
            } => writeln!(
                out,
                "    {}{}{}: {}",
                alias(*from),
                if *reply { "-->>" } else { "->>" },
                alias(*to),
                escape(text)
            ),
            Step::Note { over, to, text, .. } => {
                let over = match to {
                    Some(to) if to != over => format!("{},{}", alias(*over), alias(*to)),
                    _ => alias(*over).to_owned(),
                };
                writeln!(out, "    Note over {over}: {}", escape(text))
            }
            Step::Gap { text, .. } => {
                let span = match (cast.first(), cast.last()) {
                    (Some(&a), Some(&b)) if a != b => format!("{},{}", alias(a), alias(b)),
                    (Some(&a), _) => alias(a).to_owned(),
                    _ => continue,
                };
                writeln!(out, "    Note over {span}: {}", escape(text))
            }
        };
    }
    out
}

/// Mermaid ids for the hosts: the first label of the name when it is
/// unique (`smtp`), else the whole name; letters, digits and `_` only,
/// never one of the grammar's keywords, never starting with a digit.
fn aliases(trace: &Trace, cast: &[HostId]) -> BTreeMap<HostId, String> {
    let id = |name: &str| -> String {
        let mut id: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !id.starts_with(|c: char| c.is_ascii_alphabetic())
            || KEYWORDS.contains(&&*id.to_ascii_lowercase())
        {
            id.insert_str(0, "h_");
        }
        id
    };
    let short = |h: HostId| id(trace.name(h).split('.').next().unwrap_or(""));
    let mut out = BTreeMap::new();
    let mut taken = Vec::new();
    for &h in cast {
        let first = short(h);
        let unique = cast.iter().filter(|&&o| short(o) == first).count() == 1;
        let mut alias = if unique { first } else { id(trace.name(h)) };
        if taken.contains(&alias) {
            alias = format!("{alias}_{}", h.0);
        }
        taken.push(alias.clone());
        out.insert(h, alias);
    }
    out
}

/// Words Mermaid's sequence lexer reads as keywords (case-insensitive).
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "sequencediagram", "participant", "actor", "create", "destroy", "as", "box", "loop", "rect",
    "opt", "alt", "else", "par", "par_over", "and", "critical", "option", "break", "end", "left",
    "right", "of", "over", "note", "links", "link", "properties", "details", "activate",
    "deactivate", "title", "autonumber", "off", "acctitle", "accdescr",
];

/// Text safe inside a message, a note or a participant's label: entity
/// codes for what the grammar or the HTML renderer would take as syntax.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_writes_entity_codes_for_mermaid_syntax() {
        assert_eq!(
            escape("354 End data with <CR><LF>.<CR><LF>"),
            "354 End data with #lt;CR#gt;#lt;LF#gt;.#lt;CR#gt;#lt;LF#gt;"
        );
        assert_eq!(escape("a; b # 100% & c"), "a#59; b #35; 100#37; #amp; c");
    }
}
