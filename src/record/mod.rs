//! Recordings: a run kept in a file, so `mailflow run FILE` and
//! `mailflow tui FILE` show it again exactly as the live run showed it.
//! `mailflow run NAME --record FILE` writes a finished run (`write`);
//! `mailflow serve --record FILE` writes a live world as it happens, and
//! goes on with the same file when it is started again (`append`).
//!
//! # Format (version 2)
//!
//! UTF-8 text, one item per line, each line ended by `\n` (JSON Lines
//! after the first line, so `jq` reads it: `tail -n +2 hello.mfr | jq`):
//!
//! ```text
//! mailflow-recording 2                                      magic and version
//! {"title":…,"about":…,"seed":…,"start_unix":…,              header
//!  "hosts":[{"name":…,"ip":…,"role":…,"down":[[from,until]]}],
//!  "links":[{"a":0,"b":1,"latency":…,"down":[…]}],
//!  "zones":[{"server":…,"origin":…,"records":[…]}],
//!  "expect":[{"claim":"delivered","to":…,"within":…}]}
//! {"t":1500000,"kind":"connect","conn":0,"from":0,"to":1,…}  one event per line
//! {"t":1500000,"kind":"bytes","conn":0,"dir":"down","arrives":…,"data":"220 …\r\n"}
//! …
//! {"end":"quiet","t":…}                                     how the run ended
//! {"resumed":N,"t":…}                         a live world started again
//! …                                           its events, its end line
//! ```
//!
//! * Times (`t`, `arrives`, `retry_at`, down windows, latency) are
//!   nanoseconds of simulated time since the start: the JSON export's
//!   microseconds would lose the jitter's nanoseconds.
//! * Bytes (`data`, `content`) are a JSON string when they are UTF-8 (SMTP
//!   and POP3 nearly always are), else `{"b64":"…"}` (standard base64;
//!   DNS datagrams).
//! * Events carry no sequence number: the n-th event line is event n.
//! * Host ids index `hosts`; a line that names a host or a connection the
//!   file has not introduced, or goes back in time, is refused.
//! * The format is its own, not the JSON export's: the export may change
//!   its wording without breaking old recordings. A change to this format
//!   raises the version; a newer version is refused with both numbers.
//!   This build writes version 2 and reads 1 and 2: version 2 added the
//!   end `"stopped"` (a live world told to stop) and the resume line, the
//!   events `what_if`, `host_down`, `host_up` and `tls` (TLS records an
//!   end sent on its own, with the key log lines derived before them),
//!   `sealed` on `bytes` (the records that carried the plaintext `data`
//!   inside TLS) and `label` on hosts, so version 1 is version 2 without
//!   them. An older mailflow refuses a version-2 file as newer rather
//!   than misread it.
//! * A line counts once its `\n` is written. A file cut mid-line (a crash
//!   while writing) is read up to its last whole event, with a warning; a
//!   file without the end line is read likewise. A cut in the magic line
//!   or the header is an error. No line may exceed [`MAX_LINE`] bytes, so
//!   hostile input cannot make the reader grow without bound.
//!
//! # A live world (`serve --record`)
//!
//! * Times count from the header's `start_unix`, a whole second of the
//!   wall clock when the file was begun: `start_unix + t` is when it
//!   happened, in every sitting.
//! * Started again on its file, `serve` reads it, cuts off a line a crash
//!   left half-written, and appends `{"resumed":N,"t":…}`: N is the events
//!   before it (the reader checks it), `t` the time the world goes on
//!   from. The time the server was down stays in the file as the gap
//!   between the last event before the resume line and `t` (real time,
//!   never negative: a clock set back gives no gap). An end line (a clean
//!   stop) may come just before a resume line; a sitting killed without
//!   one has none.
//! * Durability: what a reply acknowledges is on disk before the reply
//!   leaves for a real peer. One thread writes the events by batches,
//!   each with one `write(2)` (enough for `kill -9`: the kernel holds it);
//!   every reply waits until the events before it are written. Another
//!   thread `fdatasync`s after each batch that holds a commit
//!   ([`EventKind::commits`](crate::trace::EventKind::commits): `queued`,
//!   `delivered`, `removed`, a change a restart restores), one sync for
//!   every commit written before it began; a reply that answers a commit
//!   of its own session waits for that sync: the 250 to DATA (the message
//!   taken on and filed) and the +OK to QUIT that commits POP3 deletions.
//!   Other replies do not wait for the disk, and the protocol machines
//!   never do (see `net::socket` and `serve::record`).
//! * A live recording's header carries no expectations: real clients,
//!   not the scenario's script, make its story.

pub mod append;
mod format;
pub mod read;
pub mod write;

use std::io::Read as _;
use std::path::Path;

use crate::plan::{Expectation, Plan};
use crate::scenario::expect::Verdict;
use crate::sim::{Ending, Run};
use crate::trace::{SimTime, Trace};

pub use read::{Error, Loaded, read};
pub use write::write;

/// The first word of every recording.
pub const MAGIC: &str = "mailflow-recording";
/// The format version this build writes and the newest it reads.
pub const VERSION: u32 = 2;
/// The oldest version this build reads.
pub const OLDEST: u32 = 1;
/// The longest line read (64 MiB): far above any message a scenario can
/// send, small enough that a hostile file cannot exhaust memory.
pub const MAX_LINE: usize = 64 << 20;

/// A finished run with what the faces read beside its trace: the
/// scenario's words, seed, clock and expectations, and how it ended.
#[derive(Debug)]
pub struct Recording {
    pub title: String,
    pub about: String,
    pub seed: u64,
    /// Unix time at the start, for the capture's timestamps.
    pub start_unix: i64,
    /// The claims, checked again on replay.
    pub expect: Vec<Expectation>,
    pub trace: Trace,
    /// How the run (its last sitting) ended; `None` when the recording
    /// was cut off.
    pub end: Option<End>,
    /// Where a live world was started again on its file, in order.
    pub resumes: Vec<Resume>,
}

/// A live world started again on its recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Events before it.
    pub after: usize,
    /// The time the world went on from.
    pub at: SimTime,
    /// How the sitting before it ended; `None` when it was cut off.
    pub before: Option<End>,
}

/// How and when a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub ending: Ending,
    pub at: SimTime,
}

impl Recording {
    /// The run of `plan` with the plan's facts the faces need.
    pub fn of(plan: &Plan, run: Run) -> Recording {
        Recording {
            title: plan.title.clone(),
            about: plan.about.clone(),
            seed: plan.seed,
            start_unix: plan.start_unix,
            expect: plan.expect.clone(),
            trace: run.trace,
            end: Some(End {
                ending: run.ending,
                at: run.ended_at,
            }),
            resumes: Vec::new(),
        }
    }

    /// The expectations checked against the trace.
    pub fn verdicts(&self) -> Vec<Verdict> {
        crate::scenario::expect::check(&self.expect, &self.trace)
    }
}

/// Whether the file at `path` starts like a recording (by its magic, not
/// its name); any failure to read it says no, and the scenario loader
/// then reports it.
pub fn is_recording(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let mut head = [0u8; MAGIC.len() + 1];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head.starts_with(MAGIC.as_bytes()) && head[MAGIC.len()] == b' ')
}
