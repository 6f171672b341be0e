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
    let distance = crate::text::distance(wanted, name);
    if distance <= allowed {
        return Some(distance);
    }
    let completes = wanted.chars().count() >= 2 && name.starts_with(wanted);
    completes.then(|| allowed + 1 + name.len() - wanted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_rank_before_completions() {
        assert_eq!(closeness("rctp", "rcpt"), Some(1));
        assert!(closeness("pipe", "pipelining") > Some(1));
        assert_eq!(closeness("quit", "pipelining"), None);
    }
}
