//! "Did you mean ...?" for topics the catalog does not know.

use super::{Catalog, Protocol, key};

/// At most this many suggestions are offered.
const MOST: usize = 5;

impl Catalog {
    /// Topics that look like `topic`, best first: a typo or two away
    /// ("RCTP" → RCPT) or starting with it ("PIPE" → PIPELINING). After a
    /// protocol name the rest is compared with that protocol's topics too:
    /// "dns nxdomian" → NXDOMAIN, "pop3 rter" → POP3 RETR.
    pub fn suggest(&self, topic: &str) -> Vec<&str> {
        let wanted = key(topic);
        if wanted.is_empty() {
            return Vec::new();
        }
        let qualified = wanted
            .split_once(' ')
            .and_then(|(first, rest)| Some((Protocol::parse(first)?, rest)));
        let mut scored: Vec<(usize, &str)> = self
            .index
            .iter()
            .filter_map(|(name, &at)| {
                let entry = &self.entries[at];
                let within = qualified
                    .filter(|(protocol, _)| entry.kind.protocol() == Some(*protocol))
                    .and_then(|(_, rest)| closeness(rest, name));
                let score = closeness(&wanted, name).into_iter().chain(within).min()?;
                Some((score, entry.topic.as_str()))
            })
            .collect();
        scored.sort_unstable();
        let mut topics: Vec<&str> = Vec::with_capacity(MOST);
        for (_, topic) in scored {
            if !topics.contains(&topic) && topics.len() < MOST {
                topics.push(topic);
            }
        }
        topics
    }
}

/// Lower is closer; `None` is too far to suggest. Typos rank before
/// completions of a prefix, and short completions before long ones.
fn closeness(wanted: &str, name: &str) -> Option<usize> {
    let allowed = (wanted.chars().count() / 3).max(1);
    let distance = edit_distance(wanted, name);
    if distance <= allowed {
        return Some(distance);
    }
    let completes = wanted.chars().count() >= 2 && name.starts_with(wanted);
    completes.then(|| allowed + 1 + name.len() - wanted.len())
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours each cost one, so "rctp" is one from "rcpt".
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i chars of a and first j of b.
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_letters_cost_one() {
        assert_eq!(edit_distance("rctp", "rcpt"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("550", "550"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn typos_rank_before_completions() {
        assert_eq!(closeness("rctp", "rcpt"), Some(1));
        assert!(closeness("pipe", "pipelining") > Some(1));
        assert_eq!(closeness("quit", "pipelining"), None);
    }
}
