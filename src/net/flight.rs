//! One direction of a pipe on one thread: what is in flight from the
//! sender to the one reader, and the reader's waker. It does what the
//! tokio channel it replaces did for a pipe, the same way: the reader is
//! woken only when it waits on an empty line, each take counts against
//! the task's budget as a channel receive does, and a reader gone drops
//! what was queued at once. It does it without the channel's atomics,
//! block list and shared allocation, which a world running on one thread
//! paid for every chunk (see benches/README.md, engine4).
//!
//! `Moved` is `tokio::sync::Notify::notify_waiters` for one thread, with
//! the same order: the ends that wait are woken in the order they began
//! to wait, and a wait begun before a notice ends at once.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker, ready};

use super::delay::{Pending, arrival};
use super::medium::Medium;
use super::wait::WaitLine;

/// First in, first out, with the first thing inline: a pipe mostly has
/// one chunk in flight, and a buffer allocated for it per connection,
/// freed between the trace's long-lived payloads, left holes in glibc's
/// heap (RSS 13.5 -> 18.9 KiB per message; see benches/README.md).
struct Queue<T> {
    /// Empty only when `rest` is.
    head: Option<T>,
    rest: VecDeque<T>,
}

impl<T> Queue<T> {
    fn new() -> Queue<T> {
        Queue {
            head: None,
            rest: VecDeque::new(),
        }
    }

    fn push_back(&mut self, item: T) {
        match self.head {
            None => self.head = Some(item),
            Some(_) => self.rest.push_back(item),
        }
    }

    fn pop_front(&mut self) -> Option<T> {
        let item = self.head.take()?;
        self.head = self.rest.pop_front();
        Some(item)
    }

    /// Everything queued, in order.
    fn take_all(&mut self) -> impl Iterator<Item = T> {
        let head = self.head.take();
        head.into_iter().chain(std::mem::take(&mut self.rest))
    }
}

struct Line<T> {
    queue: Queue<Pending<T>>,
    /// The reader, when it last found the line empty.
    reader: Option<Waker>,
    sender_gone: bool,
    reader_gone: bool,
}

/// One of the two lines of a pair, shared by its sender and its reader.
struct Shared<T> {
    pair: Rc<[RefCell<Line<T>>; 2]>,
    side: usize,
}

impl<T> Shared<T> {
    fn borrow_mut(&self) -> std::cell::RefMut<'_, Line<T>> {
        self.pair[self.side].borrow_mut()
    }
}

/// The sending half.
pub(crate) struct Sender<T> {
    line: Shared<T>,
}

/// The reading half: things taken in the order they were sent.
pub(crate) struct Reader<T> {
    line: Shared<T>,
}

/// Two lines, one each way (both directions of a connection, in one
/// allocation): each with its sender and its reader.
pub(crate) fn pair<T>() -> [(Sender<T>, Reader<T>); 2] {
    let line = || {
        RefCell::new(Line {
            queue: Queue::new(),
            reader: None,
            sender_gone: false,
            reader_gone: false,
        })
    };
    let pair = Rc::new([line(), line()]);
    [0, 1].map(|side| {
        let shared = || Shared {
            pair: Rc::clone(&pair),
            side,
        };
        (Sender { line: shared() }, Reader { line: shared() })
    })
}

/// A line from one sender to one reader (for tests: a pipe takes a pair).
#[cfg(test)]
fn line<T>() -> (Sender<T>, Reader<T>) {
    let [one, _] = pair();
    one
}

impl<T> Sender<T> {
    /// Queues `item`, waking the reader if it waits; dropped at once when
    /// the reader is gone, as a real peer that never reads.
    pub(crate) fn send(&self, item: Pending<T>) {
        let waker = {
            let mut line = self.line.borrow_mut();
            if line.reader_gone {
                drop(line);
                drop(item);
                return;
            }
            line.queue.push_back(item);
            line.reader.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut line = self.line.borrow_mut();
            line.sender_gone = true;
            line.reader.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Reader<T> {
    /// The next thing sent; `None` once the sender is gone and nothing is
    /// left. Cancel-safe.
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Option<Pending<T>>> {
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        let mut line = self.line.borrow_mut();
        if let Some(item) = line.queue.pop_front() {
            coop.made_progress();
            return Poll::Ready(Some(item));
        }
        if line.sender_gone {
            coop.made_progress();
            return Poll::Ready(None);
        }
        match &mut line.reader {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        let queued = {
            let mut line = self.line.borrow_mut();
            line.reader_gone = true;
            line.reader = None;
            line.queue.take_all().collect::<Vec<_>>()
        };
        // Dropped here, in the order sent, outside the borrow: a queued
        // connection closes its end when dropped.
        drop(queued);
    }
}

/// A reader that hands each thing over at its arrival time, not before.
pub(crate) struct Arrivals<T> {
    reader: Reader<T>,
    held: Option<Pending<T>>,
}

impl<T> Arrivals<T> {
    pub(crate) fn new(reader: Reader<T>) -> Arrivals<T> {
        Arrivals { reader, held: None }
    }

    /// The next thing, once it has arrived; `None` once the sender is
    /// gone and nothing is left. Cancel-safe: a caller that gives up
    /// while waiting for the arrival time loses nothing.
    pub(crate) async fn next(&mut self, medium: &Medium) -> Option<T> {
        if self.held.is_none() {
            let reader = &mut self.reader;
            self.held = Some(std::future::poll_fn(|cx| reader.poll_take(cx)).await?);
        }
        let arrives = self.held.as_ref().map(Pending::arrives)?;
        arrival(medium, medium.instant(arrives)).await;
        self.held.take().map(Pending::into_item)
    }
}

/// Wakes every end that waits for a change, in the order they began to
/// wait (see the module's comment).
#[derive(Default)]
pub(crate) struct Moved {
    /// Notices given so far.
    notices: Cell<u64>,
    /// The ends waiting: a connection has two.
    line: WaitLine,
}

impl Moved {
    /// A wait for the next notice from now on.
    pub(crate) fn changed(&self) -> Changed<'_> {
        Changed {
            moved: self,
            notices: self.notices.get(),
            place: None,
        }
    }

    /// Ends every wait begun before now.
    pub(crate) fn notify_waiters(&self) {
        self.notices.set(self.notices.get() + 1);
        self.line.wake_all();
    }
}

/// A wait for a notice; ready once one is given after it was made.
pub(crate) struct Changed<'a> {
    moved: &'a Moved,
    notices: u64,
    place: Option<u64>,
}

impl Future for Changed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.moved.notices.get() != this.notices {
            this.place = None;
            return Poll::Ready(());
        }
        this.moved.line.wait(&mut this.place, cx.waker());
        Poll::Pending
    }
}

impl Drop for Changed<'_> {
    fn drop(&mut self) {
        if let Some(place) = self.place {
            self.moved.line.leave(place);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::wait::counting::counter;
    use crate::trace::SimTime;
    use std::sync::Arc;
    use std::task::Wake;

    fn item(n: u8) -> Pending<u8> {
        Pending::new(SimTime::ZERO, n)
    }

    #[test]
    fn the_reader_is_woken_only_when_it_waits() {
        let (tx, mut rx) = line();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        tx.send(item(1));
        assert_eq!(count.wakes(), 0, "nobody waited");
        let first = rx.poll_take(&mut cx).map(|p| p.map(Pending::into_item));
        assert_eq!(first, Poll::Ready(Some(1)));
        assert!(rx.poll_take(&mut cx).is_pending());
        tx.send(item(2));
        tx.send(item(3));
        assert_eq!(count.wakes(), 1, "one wake for the wait");
        let taken: Vec<_> = (0..2)
            .map(|_| rx.poll_take(&mut cx).map(|p| p.map(Pending::into_item)))
            .collect();
        assert_eq!(taken, [Poll::Ready(Some(2)), Poll::Ready(Some(3))]);
        assert!(rx.poll_take(&mut cx).is_pending());
        drop(tx);
        assert_eq!(count.wakes(), 2, "the sender's end wakes");
        assert!(matches!(rx.poll_take(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn a_reader_gone_drops_what_is_queued_at_once() {
        let dropped = Rc::new(Cell::new(0));
        struct Noted(Rc<Cell<u32>>);
        impl Drop for Noted {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let (tx, rx) = line();
        tx.send(Pending::new(SimTime::ZERO, Noted(Rc::clone(&dropped))));
        drop(rx);
        assert_eq!(dropped.get(), 1);
        tx.send(Pending::new(SimTime::ZERO, Noted(Rc::clone(&dropped))));
        assert_eq!(dropped.get(), 2, "sent to nobody, dropped");
    }

    #[test]
    fn waits_end_in_the_order_they_began_and_a_notice_before_the_first_poll_counts() {
        let moved = Moved::default();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Noting(Arc<std::sync::Mutex<Vec<u8>>>, u8);
        impl Wake for Noting {
            fn wake(self: Arc<Self>) {
                self.0.lock().expect("not poisoned").push(self.1);
            }
        }
        let first = Waker::from(Arc::new(Noting(Arc::clone(&order), 1)));
        let second = Waker::from(Arc::new(Noting(Arc::clone(&order), 2)));
        let mut b = std::pin::pin!(moved.changed());
        let mut a = std::pin::pin!(moved.changed());
        let mut dropped = Box::pin(moved.changed());
        assert!(
            a.as_mut()
                .poll(&mut Context::from_waker(&first))
                .is_pending()
        );
        assert!(
            b.as_mut()
                .poll(&mut Context::from_waker(&second))
                .is_pending()
        );
        assert!(
            dropped
                .as_mut()
                .poll(&mut Context::from_waker(&second))
                .is_pending()
        );
        drop(dropped);
        let mut late = std::pin::pin!(moved.changed());
        moved.notify_waiters();
        assert_eq!(*order.lock().expect("not poisoned"), [1, 2]);
        let mut cx = Context::from_waker(&first);
        assert!(a.as_mut().poll(&mut cx).is_ready());
        assert!(b.as_mut().poll(&mut cx).is_ready());
        assert!(
            late.as_mut().poll(&mut cx).is_ready(),
            "made before the notice"
        );
        assert!(Pin::new(&mut moved.changed()).poll(&mut cx).is_pending());
    }
}
