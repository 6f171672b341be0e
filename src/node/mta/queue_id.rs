//! Queue ids a student can read and follow: `MX0007` is the seventh
//! message mx.example.net took on. Each MTA counts on its own, as real
//! ones do, so the world hands each a prefix no other MTA of the world
//! has; then no two hosts can ever write the same id.

/// The queue-id prefix of each MTA, in the order given: the host's first
/// label in capitals (`smtp.example.org` → `SMTP`). When that is taken,
/// a letter tells the later host apart (`smtp.example.com` → `SMTPB`).
///
/// An id is a prefix and at least four digits, so two prefixes clash
/// when they are equal or one is the other followed by digits only (`MX`
/// and `MX1`: `MX` + `10001` = `MX1` + `0001`). No chosen prefix clashes
/// with another, so every id of the world is unique.
pub fn queue_prefixes<'a>(hostnames: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for name in hostnames {
        let label = name.split('.').next().unwrap_or_default();
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
            .find(|candidate| !chosen.iter().any(|c| clash(c, candidate)))
            .unwrap_or(base);
        chosen.push(prefix);
    }
    chosen
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

fn clash(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))
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
        format!("{}{:04}", self.prefix, self.issued)
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
    use std::collections::BTreeSet;

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
