//! `mailflow explain`: print what a reply code, enhanced status code,
//! command, extension or whole reply line means, and where the RFC says so.

use std::process::ExitCode;

use crate::explain::{Catalog, Entry, Kind, render_text, reply_line, wrap};

/// Exit code for a topic the catalog does not know.
const UNKNOWN_TOPIC: u8 = 2;

/// Explain SMTP: `mailflow explain 550`, `mailflow explain 5.7.1`,
/// `mailflow explain rcpt`, `mailflow explain "550 5.1.1 no such user"`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to explain: a reply code (550), an enhanced status code (5.7.1),
    /// a command (RCPT), an extension (PIPELINING), a concept (postmaster),
    /// or a whole line from a session ("550 5.1.1 no such user").
    #[arg(value_name = "TOPIC", required_unless_present = "list", num_args = 1..)]
    pub topic: Vec<String>,

    /// List every topic with its title.
    #[arg(short, long)]
    pub list: bool,
}

/// Runs `mailflow explain`: 0 when everything asked for was explained,
/// 2 (with suggestions on stderr) when a topic is unknown.
pub fn run(args: &Args) -> ExitCode {
    let catalog = Catalog::builtin();
    if args.list {
        print!("{}", list(catalog));
        return ExitCode::SUCCESS;
    }
    match resolve(catalog, &args.topic) {
        Ok(groups) => {
            print!("{}", render_groups(&groups));
            ExitCode::SUCCESS
        }
        Err(unknown) => {
            eprint!("{}", unknown_message(catalog, &unknown));
            ExitCode::from(UNKNOWN_TOPIC)
        }
    }
}

/// What one request turned into: a note when the catalog had to fall back
/// to a class, and the entries, most specific first.
#[derive(Debug)]
struct Group<'a> {
    notes: Vec<String>,
    entries: Vec<&'a Entry>,
}

impl<'a> Group<'a> {
    fn of(entries: Vec<&'a Entry>) -> Group<'a> {
        Group {
            notes: Vec::new(),
            entries,
        }
    }
}

/// Reads the words as one topic ("AUTH PLAIN"), as several topics
/// ("550 RCPT"), or as a session line ("550 5.1.1 no such user"), in that
/// order. On failure, returns the words that are unknown.
fn resolve<'a>(catalog: &'a Catalog, words: &[String]) -> Result<Vec<Group<'a>>, Vec<String>> {
    let text = words.join(" ");
    if let Some(entry) = catalog.lookup(&text) {
        return Ok(vec![Group::of(vec![entry])]);
    }
    let each: Option<Vec<&Entry>> = words.iter().map(|word| catalog.lookup(word)).collect();
    if let Some(entries) = each.filter(|_| words.len() > 1) {
        return Ok(entries
            .into_iter()
            .map(|entry| Group::of(vec![entry]))
            .collect());
    }
    let typos = likely_typos(catalog, words);
    if !typos.is_empty() && reply_line(&text).is_none() {
        return Err(typos);
    }
    let entries = catalog.explain_line(&text);
    if !entries.is_empty() {
        let notes = fallback_notes(catalog, &text);
        return Ok(vec![Group { notes, entries }]);
    }
    let unknown: Vec<String> = words
        .iter()
        .filter(|word| catalog.lookup(word).is_none())
        .cloned()
        .collect();
    Err(if words.len() == 1 || unknown.is_empty() {
        vec![text]
    } else {
        unknown
    })
}

/// Unknown words that are close to a topic: "RCPT PIPELNING" is a typo, not
/// the command line "RCPT" with an argument.
fn likely_typos(catalog: &Catalog, words: &[String]) -> Vec<String> {
    if words.len() < 2 {
        return Vec::new();
    }
    words
        .iter()
        .filter(|word| catalog.lookup(word).is_none() && !catalog.suggest(word).is_empty())
        .cloned()
        .collect()
}

/// Says so when a code is not in the catalog and a class stands in for it.
fn fallback_notes(catalog: &Catalog, text: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let (code, enhanced) = match reply_line(text) {
        Some(reply) => (
            Some(reply.code.get()),
            reply.enhanced().map(|e| e.to_string()),
        ),
        None => (None, text.split_whitespace().next().map(str::to_owned)),
    };
    if let Some(enhanced) = enhanced.filter(|code| catalog.lookup(code).is_none()) {
        notes.push(format!(
            "mailflow has no entry for the enhanced status code {enhanced}; \
             here is what its subject and class mean."
        ));
    }
    if let Some(code) = code.filter(|code| catalog.lookup(&code.to_string()).is_none()) {
        notes.push(format!(
            "mailflow has no entry for reply code {code}; a client that does not know a code \
             acts on its first digit (RFC 5321 §4.2.1), and this is what that digit means."
        ));
    }
    notes
}

/// All groups, entries separated by blank lines.
fn render_groups(groups: &[Group<'_>]) -> String {
    let mut blocks: Vec<String> = Vec::new();
    for group in groups {
        blocks.extend(
            group
                .notes
                .iter()
                .map(|note| wrap(&format!("({note})"), "")),
        );
        blocks.extend(group.entries.iter().map(|entry| render_text(entry)));
    }
    blocks.join("\n")
}

/// The message for unknown topics, with close matches where there are any.
fn unknown_message(catalog: &Catalog, unknown: &[String]) -> String {
    let mut out = String::new();
    for topic in unknown {
        out.push_str(&wrap(
            &format!("mailflow explain: no entry for {topic:?}."),
            "",
        ));
        let close = catalog.suggest(topic);
        if !close.is_empty() {
            out.push_str(&wrap(&format!("Did you mean {}?", close.join(", ")), "  "));
        }
    }
    out.push_str(&wrap(
        "Try a reply code (550), an enhanced status code (5.7.1), a command (RCPT), \
         an extension (PIPELINING) or a whole reply line (\"550 5.1.1 no such user\"); \
         `mailflow explain --list` shows every topic.",
        "",
    ));
    out
}

/// Every topic with its title, grouped by kind.
fn list(catalog: &Catalog) -> String {
    let mut out = format!("mailflow explain knows {} topics.\n", catalog.len());
    for kind in Kind::ALL {
        let entries: Vec<&Entry> = catalog
            .entries()
            .filter(|entry| entry.kind == kind)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let width = entries
            .iter()
            .map(|entry| entry.topic.chars().count())
            .max()
            .unwrap_or(0);
        out.push_str(&format!("\n{}\n", kind.plural()));
        for entry in entries {
            out.push_str(&format!("  {:<width$}  {}\n", entry.topic, entry.title));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn topics(groups: &[Group<'_>]) -> Vec<String> {
        groups
            .iter()
            .flat_map(|group| group.entries.iter().map(|entry| entry.topic.clone()))
            .collect()
    }

    #[test]
    fn a_reply_line_explains_both_codes() {
        let groups = resolve(Catalog::builtin(), &words("550 5.1.1 no such user"));
        assert_eq!(
            groups.map(|g| topics(&g)),
            Ok(vec!["5.1.1".into(), "550".into()])
        );
    }

    #[test]
    fn several_known_words_are_explained_in_turn() {
        let groups = resolve(Catalog::builtin(), &words("550 rcpt"));
        assert_eq!(
            groups.map(|g| topics(&g)),
            Ok(vec!["550".into(), "RCPT".into()])
        );
    }

    #[test]
    fn a_multi_word_topic_wins_over_its_words() {
        let groups = resolve(Catalog::builtin(), &words("auth plain"));
        assert_eq!(groups.map(|g| topics(&g)), Ok(vec!["AUTH PLAIN".into()]));
    }

    #[test]
    fn an_unknown_code_falls_back_to_its_class_with_a_note() {
        let groups = resolve(Catalog::builtin(), &words("559")).unwrap_or_default();
        assert_eq!(topics(&groups), ["5yz"]);
        assert!(groups[0].notes[0].contains("no entry for reply code 559"));
    }

    #[test]
    fn a_typo_among_known_words_is_reported_alone() {
        let unknown = resolve(Catalog::builtin(), &words("rcpt pipelning")).err();
        assert_eq!(unknown, Some(vec!["pipelning".to_string()]));
    }

    #[test]
    fn a_command_line_explains_its_verb() {
        let groups = resolve(Catalog::builtin(), &words("RCPT TO:<bob@example.net>"));
        assert_eq!(groups.map(|g| topics(&g)), Ok(vec!["RCPT".into()]));
    }

    #[test]
    fn an_unknown_word_alone_is_reported_whole() {
        let unknown = resolve(Catalog::builtin(), &words("frobnicate")).err();
        assert_eq!(unknown, Some(vec!["frobnicate".to_string()]));
    }
}
