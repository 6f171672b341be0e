//! Links between hosts: latency, jitter, loss, windows when a link or a
//! host is down, and the faults a scenario asks for: resets that cut a
//! connection, stalls that hold every byte back, datagrams duplicated or
//! reordered.

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
    /// Connections cut by a reset (RST), as a middlebox or a crash does.
    pub resets: Vec<Reset>,
    /// When the link holds back every byte: what is sent then arrives
    /// only after the window, as over a congested or flapping path.
    pub stalls: Vec<Window>,
    /// Chance (0..=1) that a datagram arrives twice.
    pub duplicate: f64,
    /// Chance (0..=1) that a datagram is held back long enough for the
    /// next one to overtake it.
    pub reorder: f64,
}

/// When a reset cuts connections on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// Every connection open on the link at this moment.
    At(SimTime),
    /// The `session`th connection over the link (from 1), once its client
    /// has sent `after` octets: the octets up to there arrive, then the
    /// reset, so the cut can fall inside a command or inside DATA.
    After { session: u32, after: usize },
}

impl Default for Link {
    fn default() -> Self {
        Link {
            latency: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            down: Vec::new(),
            resets: Vec::new(),
            stalls: Vec::new(),
            duplicate: 0.0,
            reorder: 0.0,
        }
    }
}

impl Link {
    pub fn is_down(&self, t: SimTime) -> bool {
        self.down.iter().any(|w| w.contains(t))
    }

    /// The stall window `t` falls in, if any.
    pub fn stall(&self, t: SimTime) -> Option<Window> {
        self.stalls.iter().copied().find(|w| w.contains(t))
    }
}
