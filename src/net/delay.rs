//! Things in flight: each carries the simulated time it arrives, and the
//! receiving end holds it back until then. Listeners receive through an
//! `Inbox`, and pipes through `flight::Arrivals`, in the order things
//! were sent, each waiting with `arrival`; datagram sockets
//! through a `SortedInbox`, in the order they arrive (a datagram held back
//! on the way is overtaken).

use std::collections::BTreeMap;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::medium::Medium;
use crate::trace::SimTime;

/// Something on its way, to be taken at `arrives`.
pub(crate) struct Pending<T> {
    arrives: SimTime,
    item: T,
}

impl<T> Pending<T> {
    pub(crate) fn new(arrives: SimTime, item: T) -> Pending<T> {
        Pending { arrives, item }
    }

    pub(crate) fn arrives(&self) -> SimTime {
        self.arrives
    }

    pub(crate) fn into_item(self) -> T {
        self.item
    }
}

/// A queue of arriving things whose `next` is cancel-safe: a caller that
/// gives up while waiting for the arrival time loses nothing.
pub(crate) struct Inbox<T> {
    rx: mpsc::UnboundedReceiver<Pending<T>>,
    held: Option<Pending<T>>,
}

impl<T> Inbox<T> {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Pending<T>>) -> Inbox<T> {
        Inbox { rx, held: None }
    }

    pub(crate) async fn next(&mut self, medium: &Medium) -> Option<T> {
        if self.held.is_none() {
            self.held = Some(self.rx.recv().await?);
        }
        let arrives = self.held.as_ref().map(|p| p.arrives)?;
        arrival(medium, medium.instant(arrives)).await;
        self.held.take().map(|p| p.item)
    }
}

/// Waits until `at`. Something already due is taken at once: tokio's
/// timer rounds a deadline up to its next millisecond, so on the wall
/// clock sleeping until now (a real client's connection, handed over as
/// it is accepted) would hold it back for up to 1 ms. On the paused clock
/// that sleep returns at once anyway (time only moves by whole ticks); the
/// task's budget is spent the same either way, so a simulated world runs
/// as before.
pub(crate) async fn arrival(medium: &Medium, at: Instant) {
    if at > medium.clock_now() {
        sleep_until(at).await;
    } else {
        tokio::task::coop::consume_budget().await;
    }
}

/// A queue of arriving things taken in order of arrival, not of sending
/// (ties in sending order). Cancel-safe, as `Inbox` is.
pub(crate) struct SortedInbox<T> {
    rx: mpsc::UnboundedReceiver<Pending<T>>,
    held: BTreeMap<(SimTime, u64), T>,
    sent: u64,
    closed: bool,
}

impl<T> SortedInbox<T> {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Pending<T>>) -> SortedInbox<T> {
        SortedInbox {
            rx,
            held: BTreeMap::new(),
            sent: 0,
            closed: false,
        }
    }

    fn hold(&mut self, pending: Option<Pending<T>>) {
        match pending {
            Some(p) => {
                self.held.insert((p.arrives, self.sent), p.item);
                self.sent += 1;
            }
            None => self.closed = true,
        }
    }

    pub(crate) async fn next(&mut self, medium: &Medium) -> Option<T> {
        loop {
            while let Ok(p) = self.rx.try_recv() {
                self.hold(Some(p));
            }
            let first = self.held.keys().next().copied();
            match (first, self.closed) {
                (None, true) => return None,
                (None, false) => {
                    let p = self.rx.recv().await;
                    self.hold(p);
                }
                (Some(key), closed) => {
                    let due = arrival(medium, medium.instant(key.0));
                    if closed {
                        due.await;
                    } else {
                        tokio::select! {
                            biased;
                            () = due => {}
                            p = self.rx.recv() => {
                                self.hold(p);
                                continue;
                            }
                        }
                    }
                    return self.held.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::net::link::Link;

    /// On the wall clock, a connection handed over as it is accepted is
    /// taken by the first look at the inbox: tokio's timer would round a
    /// sleep until now up to its next millisecond, a wait before every
    /// real client's greeting.
    #[test]
    fn what_is_due_is_taken_without_a_timer_tick() {
        let runtime = crate::sim::runtime(false);
        let _entered = runtime.enter();
        let medium = Medium::new(Vec::new(), Vec::new(), Link::default(), 1);
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inbox = Inbox::new(rx);
        let (sorted_tx, sorted_rx) = mpsc::unbounded_channel();
        let mut sorted = SortedInbox::new(sorted_rx);
        let mut cx = Context::from_waker(Waker::noop());
        for n in 0..100 {
            tx.send(Pending::new(medium.now(), n)).unwrap();
            let next = std::pin::pin!(inbox.next(&medium));
            assert_eq!(next.poll(&mut cx), Poll::Ready(Some(n)));
            sorted_tx.send(Pending::new(medium.now(), n)).unwrap();
            let next = std::pin::pin!(sorted.next(&medium));
            assert_eq!(next.poll(&mut cx), Poll::Ready(Some(n)));
        }
    }
}
