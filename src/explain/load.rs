//! Reading `assets/explain.ron`: parsing, then the checks that keep a
//! teacher's edit from shipping an empty field, a clashing topic or a
//! dangling "see also".

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer};

use super::{Catalog, Entry, key};

/// Where an entry sits in the RON text, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The line of the entry's `topic:` field (counting from 1).
    Line(usize),
    /// The entry's position in the list (counting from 1), used when its
    /// `topic:` line cannot be found, e.g. because it is a raw string.
    Entry(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Entry(number) => write!(f, "entry number {number}"),
        }
    }
}

/// Why a catalog could not be loaded. Every message names where to look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The text is not valid RON, or does not have the fields an entry needs.
    #[error("explain catalog, line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A field that must say something is empty or blank.
    #[error(
        "explain catalog, {place}: the entry {topic:?} has an empty `{field}`; write something there"
    )]
    EmptyField {
        place: Place,
        topic: String,
        field: &'static str,
    },
    /// A topic with blanks around it could never be typed back exactly.
    #[error(
        "explain catalog, {place}: the topic {topic:?} starts or ends with blanks; remove them"
    )]
    BlankAroundTopic { place: Place, topic: String },
    /// The `rfc` field does not name an RFC.
    #[error(
        "explain catalog, {place}: the `rfc` of {topic:?} is {rfc:?}; it must start with \"RFC \" and name the section, like \"RFC 5321 §4.2.3\""
    )]
    NotAnRfc {
        place: Place,
        topic: String,
        rfc: String,
    },
    /// Two entries answer to the same name.
    #[error(
        "explain catalog, {place}: {name:?} is already the topic or an alias of {first:?} ({first_place}); topics and aliases must be unique, ignoring case"
    )]
    Duplicate {
        place: Place,
        name: String,
        first: String,
        first_place: Place,
    },
    /// A "see also" points at nothing.
    #[error(
        "explain catalog, {place}: the entry {topic:?} lists {see:?} under `see`, but no entry has that topic or alias"
    )]
    UnknownSee {
        place: Place,
        topic: String,
        see: String,
    },
}

/// Lets the RON file write `mailflow: "..."` rather than `mailflow: Some("...")`
/// (and the same for `seen` and `short`).
pub(super) fn some_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

/// Parses and checks a whole catalog.
pub(super) fn parse(text: &str) -> Result<Catalog, CatalogError> {
    let entries: Vec<Entry> = ron::from_str(text).map_err(|error| CatalogError::Syntax {
        line: error.span.start.line,
        column: error.span.start.col,
        message: error.code.to_string(),
    })?;
    let places = entry_places(text, &entries);
    for (entry, &place) in entries.iter().zip(&places) {
        check_entry(entry, place)?;
    }
    let index = build_index(&entries, &places)?;
    let catalog = Catalog { entries, index };
    check_see(&catalog, &places)?;
    Ok(catalog)
}

/// Rejects empty fields, blanks around the topic, and an `rfc` that names no RFC.
fn check_entry(entry: &Entry, place: Place) -> Result<(), CatalogError> {
    let empty = |field: &'static str| CatalogError::EmptyField {
        place,
        topic: entry.topic.clone(),
        field,
    };
    let required = [
        ("topic", &entry.topic),
        ("title", &entry.title),
        ("meaning", &entry.meaning),
        ("when", &entry.when),
        ("next", &entry.next),
        ("rfc", &entry.rfc),
    ];
    for (field, value) in required {
        if value.trim().is_empty() {
            return Err(empty(field));
        }
    }
    let blank = |values: &[String]| values.iter().any(|value| value.trim().is_empty());
    let optional = [
        ("mailflow", &entry.mailflow),
        ("seen", &entry.seen),
        ("short", &entry.short),
    ];
    for (field, value) in optional {
        if value.as_deref().is_some_and(|text| text.trim().is_empty()) {
            return Err(empty(field));
        }
    }
    if blank(&entry.aliases) {
        return Err(empty("aliases"));
    }
    if blank(&entry.see) {
        return Err(empty("see"));
    }
    if entry.topic.trim() != entry.topic {
        return Err(CatalogError::BlankAroundTopic {
            place,
            topic: entry.topic.clone(),
        });
    }
    if !entry.rfc.starts_with("RFC ") {
        return Err(CatalogError::NotAnRfc {
            place,
            topic: entry.topic.clone(),
            rfc: entry.rfc.clone(),
        });
    }
    Ok(())
}

/// Maps every topic and alias to its entry; two entries may not share a name.
fn build_index(
    entries: &[Entry],
    places: &[Place],
) -> Result<HashMap<String, usize>, CatalogError> {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (at, entry) in entries.iter().enumerate() {
        for name in std::iter::once(&entry.topic).chain(&entry.aliases) {
            if let Some(&first) = index.get(&key(name)) {
                return Err(CatalogError::Duplicate {
                    place: places[at],
                    name: name.clone(),
                    first: entries[first].topic.clone(),
                    first_place: places[first],
                });
            }
            index.insert(key(name), at);
        }
    }
    Ok(index)
}

/// Every "see also" must lead somewhere.
fn check_see(catalog: &Catalog, places: &[Place]) -> Result<(), CatalogError> {
    for (entry, &place) in catalog.entries.iter().zip(places) {
        if let Some(see) = entry.see.iter().find(|see| catalog.lookup(see).is_none()) {
            return Err(CatalogError::UnknownSee {
                place,
                topic: entry.topic.clone(),
                see: see.clone(),
            });
        }
    }
    Ok(())
}

/// Finds each entry's `topic: "..."` line, scanning forwards so that two
/// entries with the same topic get their own lines.
fn entry_places(text: &str, entries: &[Entry]) -> Vec<Place> {
    let mut cursor = 0;
    let mut places = Vec::with_capacity(entries.len());
    for (number, entry) in (1..).zip(entries) {
        match find_topic(text, cursor, &entry.topic) {
            Some(at) => {
                cursor = at + 1;
                places.push(Place::Line(1 + text[..at].matches('\n').count()));
            }
            None => places.push(Place::Entry(number)),
        }
    }
    places
}

/// The byte offset of the next `topic: "<topic>"` at or after `from`.
fn find_topic(text: &str, from: usize, topic: &str) -> Option<usize> {
    let needle = format!("\"{}\"", topic.replace('\\', "\\\\").replace('"', "\\\""));
    let mut start = from;
    while let Some(found) = text.get(start..)?.find(&needle) {
        let at = start + found;
        let before = text[..at].trim_end();
        let is_topic_field = before
            .strip_suffix(':')
            .is_some_and(|field| field.trim_end().ends_with("topic"));
        if is_topic_field {
            return Some(at);
        }
        start = at + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_follow_the_text_even_for_repeated_topics() {
        let text = "[\n (topic: \"a\"),\n // topic: \"b\" in a comment is skipped by order\n (topic: \"a\"),\n]";
        assert_eq!(find_topic(text, 0, "a"), Some(11));
        assert_eq!(
            find_topic(text, 12, "a").map(|at| text[..at].matches('\n').count() + 1),
            Some(4)
        );
        assert_eq!(find_topic(text, 0, "zzz"), None);
    }
}
