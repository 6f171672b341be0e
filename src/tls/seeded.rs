//! The randomness and clock rustls reads, taken from the world.
//!
//! rustls asks a process-wide provider for random bytes (client and server
//! randoms, session ids, key shares) and for the time (certificate
//! validity). A simulated world needs both to come from its own seed and
//! its own clock, per connection, or two runs of a scenario would differ
//! in every TLS record. The driver of a TLS session therefore lends its
//! generator and the simulated time to this thread for the span of one
//! call into rustls ([`scope`]); the provider reads them here. Outside a
//! scope (`serve` with real clients) the OS's randomness and clock serve.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng as _, SeedableRng as _};
use rustls::pki_types::UnixTime;

/// A session's own source: a generator seeded from the world's seed and
/// the connection, and the simulated wall-clock time of the call.
#[derive(Debug, Clone)]
pub struct Source {
    rng: Xoshiro256PlusPlus,
    now: SystemTime,
    /// Key log lines (SSLKEYLOGFILE) rustls gave during lent calls.
    secrets: Vec<String>,
}

impl Source {
    /// The source of one end of one connection: the same seed, connection
    /// and side give the same bytes.
    pub fn new(seed: u64, conn: u64, side: &str) -> Self {
        Source {
            rng: Xoshiro256PlusPlus::seed_from_u64(mix(seed, conn, side)),
            now: UNIX_EPOCH,
            secrets: Vec::new(),
        }
    }

    /// The key log lines logged since the last take.
    pub fn take_secrets(&mut self) -> Vec<String> {
        std::mem::take(&mut self.secrets)
    }

    /// The simulated time rustls sees until the next call.
    pub fn set_now(&mut self, now: SystemTime) {
        self.now = now;
    }
}

thread_local! {
    static LENT: RefCell<Option<Source>> = const { RefCell::new(None) };
}

/// Runs `f` (a call into rustls) with `source` as this thread's randomness
/// and clock, and gives the source back advanced, also if `f` panics.
pub fn scope<T>(source: &mut Source, f: impl FnOnce() -> T) -> T {
    struct Return<'a>(&'a mut Source);
    impl Drop for Return<'_> {
        fn drop(&mut self) {
            if let Some(back) = LENT.with(|lent| lent.borrow_mut().take()) {
                *self.0 = back;
            }
        }
    }
    let previous = LENT.with(|lent| lent.borrow_mut().replace(source.clone()));
    debug_assert!(previous.is_none(), "TLS scopes do not nest");
    let _return = Return(source);
    f()
}

/// Fills `buf` from the lent source; `false` when none is lent.
pub(crate) fn fill(buf: &mut [u8]) -> bool {
    LENT.with(|lent| match lent.borrow_mut().as_mut() {
        Some(source) => {
            source.rng.fill_bytes(buf);
            true
        }
        None => false,
    })
}

/// Keeps a key log line in the lent source; outside a scope (real
/// clients) nothing is kept.
pub(crate) fn log_secret(line: String) {
    LENT.with(|lent| {
        if let Some(source) = lent.borrow_mut().as_mut() {
            source.secrets.push(line);
        }
    });
}

/// The lent source's time, else the OS clock.
pub(crate) fn now() -> UnixTime {
    let now = LENT
        .with(|lent| lent.borrow().as_ref().map(|source| source.now))
        .unwrap_or_else(SystemTime::now);
    UnixTime::since_unix_epoch(now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO))
}

/// One 64-bit seed from the world's seed, a connection and a side
/// (FNV-1a over the three: stable across builds, unlike `DefaultHasher`).
pub(crate) fn mix(seed: u64, conn: u64, side: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = seed
        .to_le_bytes()
        .into_iter()
        .chain(conn.to_le_bytes())
        .chain(side.bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
