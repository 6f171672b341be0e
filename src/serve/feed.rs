//! The headless printer's feed: the world's events on their way to the
//! thread that prints them, bounded in octets (an event's payload counts:
//! a 1 KiB DATA chunk weighs a thousand times a `Dequeued`), so that what
//! waits for a slow stdout stays within the bound whatever the events carry.
//!
//! When the feed is full the world waits for the printer, as it would for
//! a dashboard: a printer that waits for a core, or a reader that takes a
//! moment, costs nothing but time. Only while the printer has been blocked
//! in one write to stdout for `stall` or more does the world drop events
//! instead (their numbers are skipped, so the printer sees the gap and
//! says so, with how long stdout was blocked). A stdout that keeps up (a
//! file, a pipe that is read) therefore never loses a line.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::net::{Gone, Tap};
use crate::trace::{Event, EventKind};

/// A new feed of at most `bound` octets (one event larger than that still
/// passes, alone), and how long the printer must be stuck in a write
/// before events are dropped for it.
pub fn feed(bound: usize, stall: Duration) -> (FeedTap, Feed) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            octets: 0,
            bound,
            writing: None,
            printer_waits: false,
            world_waits: false,
            dropping: false,
            tap_gone: false,
            feed_gone: false,
        }),
        arrived: Condvar::new(),
        room: Condvar::new(),
        stall,
    });
    (
        FeedTap {
            shared: Arc::clone(&shared),
        },
        Feed { shared },
    )
}

struct Shared {
    state: Mutex<State>,
    /// The printer waits here for events.
    arrived: Condvar,
    /// The world waits here for room.
    room: Condvar,
    stall: Duration,
}

struct State {
    /// Events and their weight in octets.
    queue: VecDeque<(Event, usize)>,
    octets: usize,
    bound: usize,
    /// Since when the printer has been in a write to stdout, if it is.
    writing: Option<Instant>,
    /// Who sleeps on a condition variable: the other side wakes it only
    /// then (a wake-up is a system call).
    printer_waits: bool,
    world_waits: bool,
    /// Events are being dropped: every one is, until the printer takes
    /// again, so that what it misses is one stretch (a small event that
    /// would still fit must not punch holes in the transcript).
    dropping: bool,
    tap_gone: bool,
    feed_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on the other thread leaves nothing half-done here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The octets an event holds: the event itself and what it carries on
/// the heap (payloads, names, addresses).
pub fn octets(event: &Event) -> usize {
    let strings = |list: &[String]| list.iter().map(|s| s.len() + 24).sum::<usize>();
    std::mem::size_of::<Event>()
        + match &event.kind {
            EventKind::Bytes { data, sealed, .. } => {
                data.0.len() + sealed.as_ref().map_or(0, |s| s.0.len())
            }
            EventKind::Tls { data, secrets, .. } => data.0.len() + strings(secrets),
            EventKind::Datagram { data, .. } => data.0.len(),
            // The boxed rests count too (issue 14: the rare large kinds).
            EventKind::Delivered { queue_id, rest, .. } => {
                std::mem::size_of::<crate::trace::DeliveredRest>()
                    + queue_id.len()
                    + rest.content.len()
                    + rest.mailbox.len()
                    + rest.uid.len()
                    + rest.message_id.len()
            }
            EventKind::Composed {
                message_id, rest, ..
            } => {
                std::mem::size_of::<crate::trace::ComposedRest>()
                    + message_id.len()
                    + rest.from.len()
                    + strings(&rest.rcpts)
            }
            EventKind::Queued { queue_id, rest, .. } => {
                std::mem::size_of::<crate::trace::QueuedRest>()
                    + queue_id.len()
                    + rest.message_id.len()
                    + rest.from.len()
                    + strings(&rest.rcpts)
            }
            EventKind::Removed { mailbox, uids, .. } => mailbox.len() + strings(uids),
            EventKind::Resolved { name, rest, .. } => {
                std::mem::size_of::<crate::trace::ResolvedRest>()
                    + name.len()
                    + rest.qtype.len()
                    + rest.outcome.len()
            }
            // Queue ids, reasons and short lists: small and bounded.
            _ => 64,
        }
}

/// The world's end (see `net::Tap`).
pub struct FeedTap {
    shared: Arc<Shared>,
}

impl Tap for FeedTap {
    fn send(&mut self, event: Event, lossy: bool) -> Result<(), Gone> {
        let weight = octets(&event);
        let shared = &*self.shared;
        let mut state = shared.lock();
        loop {
            if state.feed_gone {
                return Err(Gone);
            }
            if lossy && state.dropping {
                return Ok(());
            }
            if state.octets == 0 || state.octets + weight <= state.bound {
                break;
            }
            let stuck = state.writing.map(|since| since.elapsed());
            if lossy && stuck.is_some_and(|d| d >= shared.stall) {
                // stdout is blocked: this event is not shown, nor any
                // until the printer takes again.
                state.dropping = true;
                return Ok(());
            }
            // Wait for room, or until the write in progress has been
            // stuck long enough to give up on.
            let wait = match stuck {
                Some(d) if lossy => shared.stall.saturating_sub(d),
                _ => shared.stall,
            };
            state.world_waits = true;
            state = shared
                .room
                .wait_timeout(state, wait.max(Duration::from_millis(1)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            state.world_waits = false;
        }
        state.octets += weight;
        state.queue.push_back((event, weight));
        if state.printer_waits {
            shared.arrived.notify_one();
        }
        Ok(())
    }
}

impl Drop for FeedTap {
    fn drop(&mut self) {
        self.shared.lock().tap_gone = true;
        self.shared.arrived.notify_all();
    }
}

/// The printer's end.
pub struct Feed {
    shared: Arc<Shared>,
}

impl Feed {
    /// Waits for at least one event, then moves events into `out` up to
    /// `octets` (at least one); the octets moved, or `None` once the world
    /// has gone and nothing is left.
    pub fn recv(&self, out: &mut Vec<Event>, octets: usize) -> Option<usize> {
        let shared = &*self.shared;
        let mut state = shared.lock();
        while state.queue.is_empty() {
            if state.tap_gone {
                return None;
            }
            state.printer_waits = true;
            state = shared
                .arrived
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
            state.printer_waits = false;
        }
        Some(self.take_locked(&mut state, out, octets))
    }

    /// Moves what is waiting into `out`, up to `octets`, without waiting;
    /// the octets moved.
    pub fn try_recv(&self, out: &mut Vec<Event>, octets: usize) -> usize {
        let mut state = self.shared.lock();
        self.take_locked(&mut state, out, octets)
    }

    fn take_locked(&self, state: &mut State, out: &mut Vec<Event>, octets: usize) -> usize {
        let mut taken = 0;
        while taken < octets
            && let Some((event, weight)) = state.queue.pop_front()
        {
            taken += weight;
            out.push(event);
        }
        state.octets -= taken;
        if taken > 0 {
            state.dropping = false;
        }
        if taken > 0 && state.world_waits {
            self.shared.room.notify_one();
        }
        taken
    }

    /// Runs `write` (a write to stdout) with the feed told that the
    /// printer is in it, so that the world knows when it is stuck; returns
    /// what `write` returned and how long it took.
    pub fn writing<T>(&self, write: impl FnOnce() -> T) -> (T, Duration) {
        let start = Instant::now();
        self.shared.lock().writing = Some(start);
        let result = write();
        self.shared.lock().writing = None;
        (result, start.elapsed())
    }

    /// Octets waiting now.
    pub fn octets(&self) -> usize {
        self.shared.lock().octets
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.shared.lock().feed_gone = true;
        self.shared.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ConnId, Dir, Payload, SimTime};

    fn bytes(seq: u64, size: usize) -> Event {
        Event {
            seq,
            at: SimTime::ZERO,
            kind: EventKind::Bytes {
                conn: ConnId(1),
                dir: Dir::Up,
                arrives: SimTime::ZERO,
                data: Payload::new(&vec![b'x'; size]),
                sealed: None,
            },
        }
    }

    #[test]
    fn a_payload_counts_in_an_events_weight() {
        assert_eq!(octets(&bytes(0, 1024)) - octets(&bytes(0, 0)), 1024);
    }

    /// A printer stuck in a write: the world drops what does not fit
    /// once the write has lasted `stall`, and what waits stays within
    /// the bound.
    #[test]
    fn a_stuck_printer_holds_at_most_the_bound() {
        let bound = 64 * 1024;
        let (mut tap, feed) = feed(bound, Duration::from_millis(20));
        let stuck = std::thread::scope(|s| {
            let (started, start) = std::sync::mpsc::channel();
            let printer_end = &feed;
            let printer = s.spawn(move || {
                printer_end.writing(|| {
                    started.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(300));
                })
            });
            start.recv().unwrap();
            for seq in 0..1000 {
                tap.send(bytes(seq, 1024), true).unwrap();
                assert!(feed.octets() <= bound, "{} octets wait", feed.octets());
            }
            printer.join().unwrap().1
        });
        let mut got = Vec::new();
        feed.try_recv(&mut got, usize::MAX);
        assert!(got.len() < 1000 && !got.is_empty(), "{} kept", got.len());
        // The world did not wait for the whole write.
        assert!(stuck >= Duration::from_millis(300));
    }

    /// Without a stuck write, a full feed makes the world wait: a slow
    /// printer loses nothing.
    #[test]
    fn a_slow_printer_that_is_not_stuck_loses_nothing() {
        let (mut tap, feed) = feed(8 * 1024, Duration::from_millis(10));
        std::thread::scope(|s| {
            s.spawn(move || {
                for seq in 0..500 {
                    tap.send(bytes(seq, 1024), true).unwrap();
                }
            });
            let mut next = 0;
            let mut got = Vec::new();
            while feed.recv(&mut got, 2048).is_some() {
                for e in got.drain(..) {
                    assert_eq!(e.seq, next, "an event was dropped");
                    next += 1;
                }
                // Slower than the world, but never in a write.
                std::thread::sleep(Duration::from_micros(200));
            }
            assert_eq!(next, 500);
        });
    }

    #[test]
    fn an_event_larger_than_the_bound_passes_alone() {
        let (mut tap, feed) = feed(1024, Duration::from_millis(10));
        tap.send(bytes(0, 4096), false).unwrap();
        let mut got = Vec::new();
        feed.try_recv(&mut got, 1);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn the_world_learns_when_the_printer_has_gone() {
        let (mut tap, feed) = feed(1024, Duration::from_millis(10));
        drop(feed);
        assert_eq!(tap.send(bytes(0, 1), true), Err(Gone));
    }
}
