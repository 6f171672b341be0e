//! "Did you mean ...?" for the names a scenario uses: hosts, domains,
//! mailboxes, fields. A host name is compared label by label, so that a
//! typo in one label is caught but a different domain is not offered.

use crate::text;

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
            let d = text::distance(x, y);
            if d > (x.chars().count() / 3).max(1) {
                return None;
            }
            total += d;
        }
        return Some(total);
    }
    let d = text::distance(word, candidate);
    let length = word.chars().count();
    let limit = if length < 2 { 0 } else { (length / 4).max(1) };
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Two letters swapped are one slip of the fingers.
        assert_eq!(closest("latnecy", ["latency", "seed"]), Some("latency"));
    }
}
