//! One MTA's what-ifs: how often it reached each step of its SMTP
//! sessions so far (over all sessions and ports, in the order it answers
//! them), and what it says instead at the counts a what-if names.

use std::collections::BTreeMap;

use crate::smtp::{Instead, Step};

#[derive(Debug, Default)]
pub struct WhatIfs {
    /// (step, attempt) → what to do there.
    set: BTreeMap<(Step, u32), Instead>,
    reached: BTreeMap<Step, u32>,
}

impl WhatIfs {
    pub fn new(list: impl IntoIterator<Item = (Step, u32, Instead)>) -> WhatIfs {
        WhatIfs {
            set: list.into_iter().map(|(s, n, i)| ((s, n), i)).collect(),
            reached: BTreeMap::new(),
        }
    }

    /// Counts one more `step`; returns its count and what to do instead
    /// when a what-if names this occurrence.
    pub fn reach(&mut self, step: Step) -> Option<(u32, Instead)> {
        if self.set.is_empty() {
            return None;
        }
        let n = self.reached.entry(step).or_default();
        *n += 1;
        self.set.get(&(step, *n)).map(|i| (*n, i.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_step_apart_and_fires_once() {
        let mut w = WhatIfs::new([(Step::Rcpt, 2, Instead::Lost)]);
        assert_eq!(w.reach(Step::Rcpt), None);
        assert_eq!(w.reach(Step::Mail), None);
        assert_eq!(w.reach(Step::Rcpt), Some((2, Instead::Lost)));
        assert_eq!(w.reach(Step::Rcpt), None);
    }
}
