//! When to try again, and when to give up (RFC 5321 §4.5.4.1).

use std::time::Duration;

/// Without a schedule, the 30 minutes §4.5.4.1 suggests as a minimum.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// The retry schedule and the maximum age of a queue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// The wait after attempt 1, 2, ...; the last one repeats.
    pub schedule: Vec<Duration>,
    /// An entry this old gives up on what is left (§4.5.4.1: "at least
    /// 4-5 days").
    pub max_age: Duration,
    /// Warn the sender once of mail still queued after this long
    /// (Postfix's delay_warning_time; off when `None`).
    pub delay_warning: Option<Duration>,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (counted from 1).
    pub fn interval(&self, attempt: u32) -> Duration {
        let step = (attempt as usize).saturating_sub(1);
        self.schedule
            .get(step)
            .or(self.schedule.last())
            .copied()
            .unwrap_or(DEFAULT_INTERVAL)
    }

    /// Has an entry that arrived at `arrived` grown too old by `now`?
    pub fn expired(&self, arrived: Duration, now: Duration) -> bool {
        now.saturating_sub(arrived) >= self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn retry_step_n_follows_the_schedule_rfc5321_4_5_4_1() {
        let policy = RetryPolicy {
            schedule: vec![10 * MIN, 30 * MIN, 60 * MIN],
            max_age: 5 * 24 * 60 * MIN,
            delay_warning: None,
        };
        assert_eq!(policy.interval(1), 10 * MIN);
        assert_eq!(policy.interval(2), 30 * MIN);
        assert_eq!(policy.interval(3), 60 * MIN);
    }

    #[test]
    fn the_last_interval_repeats_rfc5321_4_5_4_1() {
        let policy = RetryPolicy {
            schedule: vec![10 * MIN, 30 * MIN],
            max_age: 5 * 24 * 60 * MIN,
            delay_warning: None,
        };
        assert_eq!(policy.interval(3), 30 * MIN);
        assert_eq!(policy.interval(40), 30 * MIN);
        let empty = RetryPolicy {
            schedule: vec![],
            max_age: 5 * 24 * 60 * MIN,
            delay_warning: None,
        };
        assert_eq!(empty.interval(1), 30 * MIN);
    }

    #[test]
    fn an_entry_expires_at_max_age_rfc5321_4_5_4_1() {
        let policy = RetryPolicy {
            schedule: vec![10 * MIN],
            max_age: 120 * MIN,
            delay_warning: None,
        };
        let arrived = 5 * MIN;
        assert!(!policy.expired(arrived, arrived + 119 * MIN));
        assert!(policy.expired(arrived, arrived + 120 * MIN));
    }
}
