//! The paused clock, read once per turn of the runtime. A simulated
//! world's clock only moves while its runtime parks (tokio's paused clock
//! jumps to the next timer there), so between two parks every reading is
//! the same. tokio's `Instant::now` takes the clock's lock each time, and
//! the medium read it for every event, chunk and arrival: ~120 times a
//! message, 2.5% of a simulated world's instructions (see
//! benches/README.md, engine5).
//!
//! The runtime of a simulated world (`sim::runtime(true)`) counts its
//! turns with [`turned`], called after every park; a reading is kept with
//! the turn it was taken in. A world on the wall clock never keeps one.

use std::cell::Cell;

use tokio::time::Instant;

thread_local! {
    /// Parks of this thread's paused runtime so far.
    static TURNS: Cell<u64> = const { Cell::new(0) };
}

/// The runtime has parked and woken: the clock may have moved. Installed
/// as the paused runtime's `on_thread_unpark`, so it runs on its thread.
pub fn turned() {
    TURNS.with(|turns| turns.set(turns.get().wrapping_add(1)));
}

/// The clock as a world reads it: each time, or once per turn.
#[derive(Default)]
pub(crate) struct Reading {
    /// Set for a world whose runtime counts its turns.
    per_turn: Cell<bool>,
    /// The last reading and the turn it was taken in.
    last: Cell<Option<(u64, Instant)>>,
}

impl Reading {
    /// From now on read the clock once per turn: only for a world run by
    /// `sim::runtime(true)`, whose parks call [`turned`].
    pub(crate) fn per_turn(&self) {
        self.per_turn.set(true);
        self.last.set(None);
    }

    pub(crate) fn now(&self) -> Instant {
        if !self.per_turn.get() {
            return Instant::now();
        }
        let turn = TURNS.with(Cell::get);
        match self.last.get() {
            Some((taken, at)) if taken == turn => at,
            _ => {
                let at = Instant::now();
                self.last.set(Some((turn, at)));
                at
            }
        }
    }
}
