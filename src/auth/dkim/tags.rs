//! Tag lists (RFC 6376 §3.2): `tag=value` pairs separated by `;`, with
//! folding whitespace allowed around both. Signatures and key records are
//! written this way.

/// The pairs in order, names as written and values trimmed.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for part in text.split(';') {
        let part = part.trim_matches(|c: char| c.is_ascii_whitespace());
        if part.is_empty() {
            // A final ";" leaves an empty part (§3.2 allows it).
            continue;
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not tag=value (RFC 6376 section 3.2)"))?;
        let name = name
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .to_owned();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{name:?} is not a tag name (RFC 6376 section 3.2)"));
        }
        if tags.iter().any(|(n, _)| *n == name) {
            // §3.2: a tag appearing twice makes the whole list invalid.
            return Err(format!(
                "the tag {name}= appears twice (RFC 6376 section 3.2)"
            ));
        }
        let value = value
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .to_owned();
        tags.push((name, value));
    }
    Ok(tags)
}

/// The value of `name`, if present.
pub fn get<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A base64 value with its folding whitespace removed (§3.5 `b=`, `bh=`).
pub fn unfold_base64(value: &str) -> String {
    value.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}
