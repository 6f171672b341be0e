//! The events list's filters by position. Every event is filed, by its
//! tag, under one of four classes (DNS or not, failure or not), once in
//! the list of all events and once per host it involves. A filter is then
//! a union of classes of one such list: how many events pass, the `k`th
//! that passes and the rows around it are binary searches, never a scan
//! of the trace.

use super::index::Tag;

/// The class of an event for the filters: bit 0 DNS, bit 1 failure.
pub fn class(tag: &Tag) -> usize {
    usize::from(tag.dns) | usize::from(tag.failure) << 1
}

/// The seqs of the events of one scope (every event, or one host's), a
/// sorted list per class.
#[derive(Debug, Clone, Default)]
pub struct Postings {
    classes: [Vec<u32>; 4],
}

impl Postings {
    pub fn push(&mut self, seq: u64, tag: &Tag) {
        let seq = u32::try_from(seq).expect("a trace of fewer than 2^32 events");
        self.classes[class(tag)].push(seq);
    }

    /// The events of the classes in `mask` (bit `c` for class `c`) among
    /// the first `limit` events.
    pub fn select(&self, mask: u8, limit: usize) -> Union<'_> {
        let lists = (0..4)
            .filter(|c| mask & (1 << c) != 0)
            .map(|c| {
                let list = &self.classes[c][..];
                &list[..list.partition_point(|&seq| (seq as usize) < limit)]
            })
            .filter(|list| !list.is_empty())
            .collect();
        Union { lists }
    }
}

/// Sorted lists with no seq in common, read as one sorted list.
#[derive(Debug, Clone, Default)]
pub struct Union<'a> {
    lists: Vec<&'a [u32]>,
}

impl Union<'_> {
    pub fn len(&self) -> usize {
        self.lists.iter().map(|l| l.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// How many seqs are at most `seq`.
    fn count_to(&self, seq: u32) -> usize {
        self.lists
            .iter()
            .map(|l| l.partition_point(|&s| s <= seq))
            .sum()
    }

    /// The `k`th seq (from 0): the smallest seq with `k + 1` at most it.
    pub fn nth(&self, k: usize) -> Option<usize> {
        if k >= self.len() {
            return None;
        }
        let mut lo = 0u32;
        let mut hi = self.lists.iter().filter_map(|l| l.last()).copied().max()?;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.count_to(mid) > k {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo as usize)
    }

    /// At most `n` seqs in order, from the `k`th on.
    pub fn range(&self, k: usize, n: usize) -> Vec<usize> {
        let Some(first) = self.nth(k) else {
            return Vec::new();
        };
        let mut heads: Vec<usize> = self
            .lists
            .iter()
            .map(|l| l.partition_point(|&s| (s as usize) < first))
            .collect();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let next = (0..self.lists.len())
                .filter_map(|i| self.lists[i].get(heads[i]).map(|&s| (s, i)))
                .min();
            let Some((seq, i)) = next else { break };
            out.push(seq as usize);
            heads[i] += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_union_reads_as_the_merged_list(
            classes in proptest::collection::vec(0usize..4, 0..200),
            mask in 0u8..16,
            limit in 0usize..220,
            k in 0usize..210,
            n in 0usize..20,
        ) {
            let mut p = Postings::default();
            for (seq, &c) in classes.iter().enumerate() {
                let tag = Tag { dns: c & 1 != 0, failure: c & 2 != 0, hosts: [None, None] };
                p.push(seq as u64, &tag);
            }
            let merged: Vec<usize> = classes
                .iter()
                .enumerate()
                .filter(|&(seq, &c)| seq < limit && mask & (1 << c) != 0)
                .map(|(seq, _)| seq)
                .collect();
            let u = p.select(mask, limit);
            prop_assert_eq!(u.len(), merged.len());
            prop_assert_eq!(u.nth(k), merged.get(k).copied());
            let end = (k + n).min(merged.len());
            prop_assert_eq!(u.range(k, n), merged.get(k..end).unwrap_or_default().to_vec());
        }
    }
}
