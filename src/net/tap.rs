//! Where a live world's events go (see `Network::stream_to`): a channel to
//! the thread that watches it. The dashboard's is a channel bounded in
//! events (it keeps every event anyway); `serve --headless`'s printer has
//! one bounded in octets (`serve::feed`), so that what waits for a slow
//! stdout is bounded in memory whatever the events carry.

use std::sync::mpsc::{SyncSender, TrySendError};

use crate::trace::Event;

/// The watcher has gone: nothing more can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

/// The sending end of a live world's events.
pub trait Tap {
    /// Hands `event` on. Without `lossy` it waits for room; with it, it may
    /// drop the event (its number is skipped, so the watcher can tell)
    /// rather than hold the world back.
    fn send(&mut self, event: Event, lossy: bool) -> Result<(), Gone>;
}

impl Tap for SyncSender<Event> {
    fn send(&mut self, event: Event, lossy: bool) -> Result<(), Gone> {
        if lossy {
            match self.try_send(event) {
                Err(TrySendError::Disconnected(_)) => Err(Gone),
                Ok(()) | Err(TrySendError::Full(_)) => Ok(()),
            }
        } else {
            SyncSender::send(self, event).map_err(|_| Gone)
        }
    }
}

impl<T: Tap + ?Sized> Tap for Box<T> {
    fn send(&mut self, event: Event, lossy: bool) -> Result<(), Gone> {
        (**self).send(event, lossy)
    }
}
