//! Queue ids a student can read and follow: `MX0007` is the seventh
//! message mx.example.net took on. Each MTA counts on its own, as real
//! ones do, so the world hands each a prefix no other MTA of the world
//! has; then no two hosts can ever write the same id.

use std::collections::{HashMap, HashSet};

/// The queue-id prefix of each MTA, in the order given: the host's first
/// label in capitals (`smtp.example.org` → `SMTP`). When that is taken,
/// a letter tells the later host apart (`smtp.example.com` → `SMTPB`).
///
/// An id is a prefix and at least four digits, so two prefixes clash
/// when they are equal or one is the other followed by digits only (`MX`
/// and `MX1`: `MX` + `10001` = `MX1` + `0001`). No chosen prefix clashes
/// with another, so every id of the world is unique.
pub fn queue_prefixes<'a>(hostnames: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = Taken::default();
    // A candidate that clashed once clashes for ever (the chosen only
    // grow), so each base goes on from where it stopped: a thousand
    // `mx.` hosts cost a thousand tries, not half a million.
    let mut next_try: HashMap<String, u32> = HashMap::new();
    let mut chosen = Vec::new();
    for name in hostnames {
        let label = name.split('.').next().unwrap_or_default();
        let base = if label.is_empty() {
            "Q".to_owned()
        } else {
            label.to_ascii_uppercase()
        };
        let candidate = |n: u32| match n {
            1 => base.clone(),
            n => format!("{base}{}", letters(n)),
        };
        let start = next_try.entry(base.clone()).or_insert(1);
        let n = (*start..)
            .find(|&n| !taken.clashes(&candidate(n)))
            .unwrap_or(*start);
        *start = n + 1;
        let prefix = candidate(n);
        taken.insert(&prefix);
        chosen.push(prefix);
    }
    chosen
}

/// The prefixes chosen so far, indexed: a candidate clashes
/// with a chosen prefix when one is the other followed by digits only.
#[derive(Default)]
struct Taken {
    chosen: HashSet<String>,
    /// Every chosen prefix with any number of its trailing digits cut
    /// off (none included): a candidate found here is a chosen prefix
    /// minus digits.
    stems: HashSet<String>,
}

impl Taken {
    fn clashes(&self, candidate: &str) -> bool {
        self.stems.contains(candidate)
            || digit_cuts(candidate)
                .filter(|&k| k < candidate.len())
                .any(|k| self.chosen.contains(&candidate[..k]))
    }

    fn insert(&mut self, prefix: &str) {
        for k in digit_cuts(prefix) {
            self.stems.insert(prefix[..k].to_owned());
        }
        self.chosen.insert(prefix.to_owned());
    }
}

/// The places `text` may be cut so that only digits follow: from the start
/// of its trailing digits to its end.
fn digit_cuts(text: &str) -> std::ops::RangeInclusive<usize> {
    let digits = text.bytes().rev().take_while(u8::is_ascii_digit).count();
    text.len() - digits..=text.len()
}

/// `n` in bijective base 26: 1 → A, 2 → B, ..., 26 → Z, 27 → AA.
fn letters(mut n: u32) -> String {
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// One MTA's ids: its prefix and a counter.
#[derive(Debug, Clone)]
pub(crate) struct QueueIds {
    prefix: String,
    issued: u64,
}

impl QueueIds {
    pub fn new(prefix: &str) -> QueueIds {
        QueueIds {
            prefix: prefix.to_owned(),
            issued: 0,
        }
    }

    pub fn next(&mut self) -> String {
        self.issued += 1;
        // `format!("{}{:04}")` in a String of its length: two a message.
        use std::fmt::Write as _;
        let mut id = String::with_capacity(self.prefix.len() + 6);
        id.push_str(&self.prefix);
        let _ = write!(id, "{:04}", self.issued);
        id
    }

    /// Counts on after `id`, issued in an earlier sitting of a live world,
    /// so no id is issued twice; an id of another prefix changes nothing.
    pub fn go_on_after(&mut self, id: &str) {
        let count = id
            .strip_prefix(&self.prefix)
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u64>().ok());
        if let Some(count) = count {
            self.issued = self.issued.max(count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The rule itself: one prefix is the other followed by digits only.
    fn clash(a: &str, b: &str) -> bool {
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        long.strip_prefix(short)
            .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))
    }

    /// The plain search: each host tries its candidates against every
    /// prefix chosen before it.
    fn by_search(labels: &[String]) -> Vec<String> {
        let mut chosen: Vec<String> = Vec::new();
        for label in labels {
            let base = if label.is_empty() {
                "Q".to_owned()
            } else {
                label.to_ascii_uppercase()
            };
            let prefix = (1..)
                .map(|n| match n {
                    1 => base.clone(),
                    n => format!("{base}{}", letters(n)),
                })
                .find(|c| !chosen.iter().any(|x| clash(x, c)))
                .unwrap();
            chosen.push(prefix);
        }
        chosen
    }

    proptest! {
        /// The indexed choice picks what the plain search picks, for first
        /// labels rich in shared stems and digits (`mx`, `mx1`, `mx10`).
        #[test]
        fn indexed_prefixes_are_the_plain_search(
            labels in proptest::collection::vec("(mx|smtp|a)[0-9]{0,2}[b]?", 0..40)
        ) {
            let names: Vec<String> = labels.iter().map(|l| format!("{l}.example")).collect();
            prop_assert_eq!(
                queue_prefixes(names.iter().map(String::as_str)),
                by_search(&labels)
            );
        }
    }

    #[test]
    fn a_thousand_mx_hosts_get_a_thousand_prefixes_that_never_clash() {
        let names: Vec<String> = (0..1000).map(|i| format!("mx.r{i}.example.net")).collect();
        let prefixes = queue_prefixes(names.iter().map(String::as_str));
        assert_eq!(prefixes.len(), 1000);
        for (i, a) in prefixes.iter().enumerate() {
            for b in &prefixes[i + 1..] {
                assert!(!clash(a, b), "{a} and {b} clash");
            }
        }
    }

    #[test]
    fn first_labels_become_prefixes() {
        assert_eq!(
            queue_prefixes(["smtp.example.org", "mx.example.net", "mx1.example.net"]),
            ["SMTP", "MX", "MX1B"]
        );
    }

    #[test]
    fn hosts_sharing_a_first_label_get_distinct_prefixes() {
        assert_eq!(
            queue_prefixes([
                "mx.example.net",
                "mx.example.com",
                "mx.lab.example.net",
                "mxb.example.org"
            ]),
            ["MX", "MXB", "MXC", "MXBB"]
        );
        assert_eq!(letters(27), "AA");
    }

    #[test]
    fn ids_of_different_hosts_never_meet() {
        let prefixes = queue_prefixes(["mx.a", "mx1.b", "mx.c", "mx10.d"]);
        let mut seen = BTreeSet::new();
        for prefix in &prefixes {
            let mut ids = QueueIds::new(prefix);
            for _ in 0..10_050 {
                assert!(seen.insert(ids.next()), "{prefix} repeats an id");
            }
        }
    }

    #[test]
    fn a_continued_world_counts_on_after_its_last_id() {
        let mut ids = QueueIds::new("MX");
        for old in ["MX0007", "MX0012", "MXB0099", "MX", "MX12a", "SMTP0500"] {
            ids.go_on_after(old);
        }
        assert_eq!(ids.next(), "MX0013");
        let mut long = QueueIds::new("MX");
        long.go_on_after("MX123456");
        assert_eq!(long.next(), "MX123457");
    }

    /// Issue 9 item 16: in every bundled lesson, no two Queued events
    /// (across all hosts) share a queue id.
    #[test]
    fn queue_ids_are_unique_in_every_bundled_scenario() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .expect("bundled scenarios load")
                .plan;
            let run = crate::sim::run(&plan);
            let mut seen = BTreeSet::new();
            for event in run.trace.events() {
                if let crate::trace::EventKind::Queued { queue_id, .. } = &event.kind {
                    assert!(seen.insert(queue_id.clone()), "{name}: {queue_id} twice");
                }
            }
            assert!(
                !seen.is_empty() || name == "relay-refused",
                "{name} queued nothing"
            );
        }
    }
}
