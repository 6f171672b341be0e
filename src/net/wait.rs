//! Ends that wait for a notice, woken in the order they began to wait, as
//! `tokio::sync::Notify::notify_waiters` wakes them, on one thread. A
//! connection's `flight::Moved` (its two ends wait) and the world's
//! `stop::Stop` (every session waits) keep their waits here.

use std::cell::{Cell, RefCell};
use std::task::Waker;

/// The waits not yet woken, each with its place in line.
#[derive(Default)]
pub(crate) struct WaitLine {
    /// Waits begun so far: the next one's place.
    begun: Cell<u64>,
    waiting: RefCell<Waiting>,
}

/// Two waits inline (the ends of a connection), so that a connection
/// allocates nothing for them; any more in `rest`, in the order they
/// began (a world's stop has every session in it).
#[derive(Default)]
struct Waiting {
    inline: [Option<(u64, Waker)>; 2],
    rest: Vec<(u64, Waker)>,
}

impl Waiting {
    fn find(&mut self, place: u64) -> Option<&mut Waker> {
        if let Some((_, waker)) = self.inline.iter_mut().flatten().find(|(p, _)| *p == place) {
            return Some(waker);
        }
        // Pushed in order of place, so `rest` stays sorted.
        let at = self.rest.binary_search_by_key(&place, |(p, _)| *p).ok()?;
        Some(&mut self.rest[at].1)
    }
}

impl WaitLine {
    /// Keeps `waker` for the wait at `place`, which joins the line at its
    /// end on its first poll.
    pub(crate) fn wait(&self, place: &mut Option<u64>, waker: &Waker) {
        let mut waiting = self.waiting.borrow_mut();
        match *place {
            Some(at) => {
                if let Some(kept) = waiting.find(at)
                    && !kept.will_wake(waker)
                {
                    *kept = waker.clone();
                }
            }
            None => {
                let at = self.begun.get();
                self.begun.set(at + 1);
                let entry = Some((at, waker.clone()));
                match waiting.inline.iter_mut().find(|slot| slot.is_none()) {
                    Some(slot) => *slot = entry,
                    None => waiting.rest.extend(entry),
                }
                *place = Some(at);
            }
        }
    }

    /// The wait at `place` is given up (its future dropped).
    pub(crate) fn leave(&self, place: u64) {
        let mut waiting = self.waiting.borrow_mut();
        for slot in &mut waiting.inline {
            if slot.as_ref().is_some_and(|(p, _)| *p == place) {
                *slot = None;
            }
        }
        if let Ok(at) = waiting.rest.binary_search_by_key(&place, |(p, _)| *p) {
            waiting.rest.remove(at);
        }
    }

    /// How many wait now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let waiting = self.waiting.borrow();
        waiting.inline.iter().flatten().count() + waiting.rest.len()
    }

    /// Wakes every wait, first begun first, and empties the line.
    pub(crate) fn wake_all(&self) {
        let mut all = {
            let mut waiting = self.waiting.borrow_mut();
            let mut all = std::mem::take(&mut waiting.rest);
            all.extend(waiting.inline.iter_mut().filter_map(Option::take));
            all
        };
        all.sort_unstable_by_key(|(place, _)| *place);
        for (_, waker) in all {
            waker.wake();
        }
    }
}

/// A waker that counts its wakes, for the tests of the waits kept here.
#[cfg(test)]
pub(crate) mod counting {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    pub(crate) struct Count(AtomicUsize);

    impl Count {
        pub(crate) fn wakes(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The count and a waker that adds to it.
    pub(crate) fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (Arc::clone(&count), Waker::from(count))
    }
}
