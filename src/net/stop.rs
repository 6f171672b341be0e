//! The world's stop, told once (Ctrl-C under `mailflow serve`) to every
//! session that waits for it. A flag and the waiting ends' wakers, on one
//! thread: every session driver polls its wait each time its task wakes,
//! and tokio's `watch` it replaces took a lock, an atomic version and a
//! fresh `Notified` on every such poll (1.2% of a simulated world's
//! instructions; see benches/README.md, engine5).
//!
//! A poll spends the task's budget as `watch::Receiver::wait_for` did
//! (given back unless the stop is seen), so the order in which a driver's
//! `select!` sees its branches stays tokio's.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use super::wait::WaitLine;

/// Whether the world is stopping, and who waits for it.
#[derive(Default)]
pub(crate) struct Stop {
    stopped: Cell<bool>,
    line: WaitLine,
}

impl Stop {
    /// Stops the world: every wait ends, woken first begun first.
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        self.line.wake_all();
    }

    /// A wait that ends once the world stops (at once if it has).
    pub(crate) fn wait(self: &Rc<Stop>) -> Stopping {
        Stopping {
            stop: Rc::clone(self),
            place: None,
        }
    }
}

/// A wait for the stop; cancel-safe.
pub(crate) struct Stopping {
    stop: Rc<Stop>,
    place: Option<u64>,
}

impl Future for Stopping {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        if this.stop.stopped.get() {
            this.place = None;
            coop.made_progress();
            return Poll::Ready(());
        }
        this.stop.line.wait(&mut this.place, cx.waker());
        Poll::Pending
    }
}

impl Drop for Stopping {
    fn drop(&mut self) {
        if let Some(place) = self.place {
            self.stop.line.leave(place);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::net::wait::counting::counter;

    fn poll(wait: &mut Stopping, waker: &Waker) -> Poll<()> {
        Pin::new(wait).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn every_wait_ends_when_the_world_stops_and_a_later_one_at_once() {
        let stop = Rc::new(Stop::default());
        let (count, waker) = counter();
        let (mut a, mut b, mut gone) = (stop.wait(), stop.wait(), stop.wait());
        assert!(poll(&mut a, &waker).is_pending());
        assert!(poll(&mut gone, &waker).is_pending());
        assert!(poll(&mut b, &waker).is_pending());
        // Polled again with the same waker: still one wait each.
        assert!(poll(&mut a, &waker).is_pending());
        drop(gone);
        assert_eq!(stop.line.len(), 2);
        stop.stop();
        assert_eq!(count.wakes(), 2);
        assert!(poll(&mut a, &waker).is_ready());
        assert!(poll(&mut b, &waker).is_ready());
        let mut late = stop.wait();
        assert!(poll(&mut late, &waker).is_ready());
        assert_eq!(stop.line.len(), 0);
    }
}
