//! Things in flight: each carries the simulated time it arrives, and the
//! receiving end holds it back until then. Streams, listeners and datagram
//! sockets all receive through an `Inbox`.

use tokio::sync::mpsc;
use tokio::time::sleep_until;

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
        sleep_until(medium.instant(arrives)).await;
        self.held.take().map(|p| p.item)
    }
}
