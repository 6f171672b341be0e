//! Links between hosts: latency, jitter, loss and windows when a link or a
//! host is down.

use std::time::Duration;

use crate::trace::SimTime;

/// A stretch of simulated time, `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: SimTime,
    pub until: SimTime,
}

impl Window {
    pub fn contains(&self, t: SimTime) -> bool {
        self.from <= t && t < self.until
    }
}

/// How bytes travel between two hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// One-way delay.
    pub latency: Duration,
    /// Up to this much extra delay, drawn per packet from the seeded RNG.
    pub jitter: Duration,
    /// Chance (0..=1) that a datagram is lost. Streams are reliable, as TCP
    /// is: loss there would only add delay, which this model leaves out.
    pub loss: f64,
    /// When the link carries nothing.
    pub down: Vec<Window>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            latency: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            down: Vec::new(),
        }
    }
}

impl Link {
    pub fn is_down(&self, t: SimTime) -> bool {
        self.down.iter().any(|w| w.contains(t))
    }
}
