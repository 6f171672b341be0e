//! Where a world stands against the real world: the Unix time of its
//! simulated zero, and whether this run must name things apart from every
//! other run.
//!
//! A simulated world starts at its scenario's `start` and has no run id, so
//! the same seed gives the same bytes, Date headers and Message-IDs
//! included. A world that meets real machines (`externals`, `mailflow
//! serve`) starts at the wall clock, to the microsecond, and carries a run
//! id drawn from that clock and the operating system's randomness: real
//! servers keep what it sends and real clients remember what it names
//! (Message-IDs, POP3 unique-ids), across runs.

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::trace::SimTime;

const MICROS: i64 = 1_000_000;

/// The real time at a world's simulated zero, and its run id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    /// Unix time of `SimTime` zero, in microseconds: a live world's stamps
    /// are not cut to the second it started in.
    start_micros: i64,
    run: Option<String>,
}

impl Epoch {
    /// A simulated world: zero is the scenario's start; no run id.
    pub fn simulated(start_unix: i64) -> Epoch {
        Epoch {
            start_micros: start_unix.saturating_mul(MICROS),
            run: None,
        }
    }

    /// A world on the wall clock: zero is now, and the run gets its id.
    pub fn wall_clock() -> Epoch {
        let start_micros = now_micros();
        Epoch {
            start_micros,
            run: Some(run_id(start_micros, os_noise())),
        }
    }

    /// A live world's sitting on the wall clock whose zero is the Unix
    /// second `start_unix` (its first sitting's start): a new run id for
    /// every sitting, drawn from now.
    pub fn wall_clock_from(start_unix: i64) -> Epoch {
        Epoch {
            start_micros: start_unix.saturating_mul(MICROS),
            run: Some(run_id(now_micros(), os_noise())),
        }
    }

    /// Whole Unix seconds at simulated time `at`, for Date and Received
    /// stamps (RFC 5322 §3.3 counts in seconds).
    pub fn unix_seconds(&self, at: SimTime) -> i64 {
        let since = i64::try_from(at.duration().as_micros()).unwrap_or(i64::MAX);
        self.start_micros.saturating_add(since).div_euclid(MICROS)
    }

    /// The real time at simulated time `at`, for certificate validity.
    pub fn system_time(&self, at: SimTime) -> SystemTime {
        let micros = self.start_micros.max(0).unsigned_abs();
        UNIX_EPOCH + std::time::Duration::from_micros(micros) + at.duration()
    }

    /// This run's id, only in a world that meets real machines: letters
    /// and digits, safe in a Message-ID's left part and a POP3 unique-id.
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_deref()
    }
}

/// The wall clock in Unix microseconds.
fn now_micros() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

/// The start in base 36 (so a later run sorts later at equal length), then
/// three base-36 digits of noise, in case two runs start in one microsecond
/// or the clock was set back.
fn run_id(start_micros: i64, noise: u64) -> String {
    let mut id = base36(u64::try_from(start_micros).unwrap_or(0));
    let noise = base36(noise % 36u64.pow(3));
    id.push_str(&"0".repeat(3 - noise.len()));
    id.push_str(&noise);
    id
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Randomness without a crate: std keys every `RandomState` from the
/// operating system's random source.
fn os_noise() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_simulated_epoch_counts_from_the_scenario_start_and_has_no_run_id() {
        let epoch = Epoch::simulated(1_796_115_600);
        assert_eq!(
            epoch.unix_seconds(SimTime::from(Duration::ZERO)),
            1_796_115_600
        );
        assert_eq!(
            epoch.unix_seconds(SimTime::from(Duration::from_millis(61_999))),
            1_796_115_661
        );
        assert_eq!(epoch.run_id(), None);
        assert_eq!(epoch, Epoch::simulated(1_796_115_600));
    }

    #[test]
    fn a_wall_clock_epoch_keeps_its_fraction_of_a_second() {
        // Started at .700 s: 0.5 s later is already the next second.
        let epoch = Epoch {
            start_micros: 1_796_115_600_700_000,
            run: None,
        };
        assert_eq!(
            epoch.unix_seconds(SimTime::from(Duration::from_millis(500))),
            1_796_115_601
        );
        assert_eq!(
            epoch.unix_seconds(SimTime::from(Duration::from_millis(200))),
            1_796_115_600
        );
    }

    #[test]
    fn a_wall_clock_epoch_is_now() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let epoch = Epoch::wall_clock();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let start = epoch.unix_seconds(SimTime::from(Duration::ZERO));
        assert!(
            (before.as_secs() as i64..=after.as_secs() as i64).contains(&start),
            "{start} outside {before:?}..{after:?}"
        );
    }

    #[test]
    fn a_later_sitting_counts_from_the_first_and_has_a_run_id_of_its_own() {
        let first = Epoch::wall_clock_from(1_796_115_600);
        let second = Epoch::wall_clock_from(1_796_115_600);
        let an_hour = SimTime::from(Duration::from_secs(3600));
        assert_eq!(first.unix_seconds(an_hour), 1_796_119_200);
        assert_eq!(second.unix_seconds(an_hour), 1_796_119_200);
        assert_ne!(first.run_id(), second.run_id());
    }

    #[test]
    fn run_ids_differ_between_runs_and_are_letters_and_digits() {
        let a = Epoch::wall_clock();
        let b = Epoch::wall_clock();
        let (a, b) = (a.run_id().unwrap(), b.run_id().unwrap());
        assert_ne!(a, b);
        for id in [a, b] {
            assert!(
                id.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
        }
        // The same microsecond still differs by its noise.
        assert_ne!(run_id(5, 1), run_id(5, 2));
        assert_eq!(run_id(36, 0), "10000");
        assert_eq!(base36(0), "0");
    }
}
