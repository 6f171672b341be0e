//! Work in progress across the world: a count of open jobs (a scheduled
//! message, a queue entry, an open session). When it reaches zero the
//! simulation is over, however long the run limit.

use std::cell::Cell;
use std::rc::Rc;

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Activity {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    open: Cell<usize>,
    idle: Notify,
}

/// One open job; dropping it closes the job.
pub struct Job {
    activity: Activity,
}

impl Activity {
    pub fn new() -> Activity {
        Activity::default()
    }

    /// Opens a job.
    pub fn begin(&self) -> Job {
        self.inner.open.set(self.inner.open.get() + 1);
        Job {
            activity: self.clone(),
        }
    }

    pub fn open(&self) -> usize {
        self.inner.open.get()
    }

    /// Waits until no job is open.
    pub async fn idle(&self) {
        while self.inner.open.get() > 0 {
            self.inner.idle.notified().await;
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let inner = &self.activity.inner;
        inner.open.set(inner.open.get().saturating_sub(1));
        if inner.open.get() == 0 {
            inner.idle.notify_one();
        }
    }
}
