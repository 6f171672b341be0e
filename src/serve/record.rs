//! `mailflow serve --record FILE`: the live world's trace goes into FILE
//! as it happens, and a world started again on the same FILE goes on
//! where it stopped (see `record` for the format, the fsync policy and
//! how time runs across the gap; `sim::Continuation` for what is carried
//! on).
//!
//! A thread of its own writes the file, so that a slow disk delays the
//! bytes to real peers, never the protocol machines: the world hands it
//! every event, it writes them by batches and tells the world (through
//! `Durable`) how many are in the file; each real connection's writer
//! holds a chunk until the events before it are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use tokio::sync::{Notify, watch};

use super::{OUTSIDE, ServeError};
use crate::plan::Plan;
use crate::record::append::Appender;
use crate::record::{self, Recording};
use crate::sim::{Continuation, Ending, Sitting};
use crate::trace::{Event, Trace};

/// Events written with one `write(2)` at most: a flood still gets its
/// replies out in steps.
const BATCH: usize = 4096;

/// A recording opened for this sitting.
pub(crate) struct Opened {
    pub appender: Appender,
    pub sitting: Sitting,
    /// The earlier sittings' events, for the dashboard.
    pub history: Option<Trace>,
    /// What to tell the person who started it.
    pub notes: Vec<String>,
}

/// Begins `path`, or goes on with it if it holds a recording of this
/// world. `plan` has the outside host already.
pub(crate) fn open(path: &Path, plan: &Plan) -> Result<Opened, ServeError> {
    let refuse =
        |why: String| ServeError::Record(format!("cannot continue {}: {why}", path.display()));
    let header = crate::sim::header(plan);
    let existing = std::fs::metadata(path)
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if !existing {
        let sitting = Sitting::first();
        let head = Recording {
            title: plan.title.clone(),
            about: plan.about.clone(),
            seed: plan.seed,
            start_unix: sitting.start_unix,
            // The scenario's claims are about its own script on the
            // simulated clock; real clients make a live world's story.
            expect: Vec::new(),
            trace: header,
            end: None,
            resumes: Vec::new(),
        };
        let appender = Appender::begin(path, &head).map_err(|e| {
            ServeError::Record(format!(
                "cannot write the recording {}: {e}",
                path.display()
            ))
        })?;
        return Ok(Opened {
            appender,
            sitting,
            history: None,
            notes: vec![format!("recording to {}", path.display())],
        });
    }
    let file = std::fs::File::open(path).map_err(|e| refuse(e.to_string()))?;
    let loaded = record::read(std::io::BufReader::new(file)).map_err(|e| refuse(e.to_string()))?;
    if loaded.version != record::VERSION {
        return Err(refuse(format!(
            "it is in recording format version {}, and serve goes on only in version {} (its own): record to a new file",
            loaded.version,
            record::VERSION
        )));
    }
    let recording = &loaded.recording;
    if let Some(why) = differs(recording, plan, &header) {
        return Err(refuse(format!("{why}; record to a new file")));
    }
    let carried = Continuation::of(&recording.trace);
    let mut notes = Vec::new();
    if let Some(warning) = &loaded.warning {
        notes.push(format!("{}: {warning}", path.display()));
    }
    let held: usize = carried
        .mtas
        .values()
        .flat_map(|m| m.mailboxes.values())
        .map(Vec::len)
        .sum();
    notes.push(format!(
        "continuing {}: {} events before, {held} messages in mailboxes",
        path.display(),
        recording.trace.len()
    ));
    if !carried.waiting.is_empty() {
        let ids: Vec<&str> = carried.waiting.iter().map(|(_, id)| id.as_str()).collect();
        notes.push(format!(
            "{} queue entries were waiting for delivery when the world stopped and are not carried on (the recording keeps no queue copy): {}",
            ids.len(),
            ids.join(", ")
        ));
    }
    let sitting = Sitting::after(recording.start_unix, carried);
    let appender = Appender::resume(path, &loaded, sitting.at)
        .map_err(|e| refuse(format!("cannot append: {e}")))?;
    Ok(Opened {
        appender,
        sitting,
        history: Some(loaded.recording.trace),
        notes,
    })
}

/// What makes `recording` another world than `plan`'s, if anything: the
/// first difference, in words.
fn differs(recording: &Recording, plan: &Plan, ours: &Trace) -> Option<String> {
    let theirs = &recording.trace;
    if !theirs.hosts.iter().any(|h| h.name == OUTSIDE) {
        return Some(
            "it was recorded by `mailflow run` (no host stands for real clients): only a recording `mailflow serve` made goes on".into(),
        );
    }
    if recording.title != plan.title {
        return Some(format!(
            "it records the scenario {:?}, and this is {:?}",
            recording.title, plan.title
        ));
    }
    if theirs.hosts.len() != ours.hosts.len() {
        return Some(format!(
            "it has {} hosts and this world {}",
            theirs.hosts.len(),
            ours.hosts.len()
        ));
    }
    for (i, (a, b)) in theirs.hosts.iter().zip(&ours.hosts).enumerate() {
        if a != b {
            return Some(format!(
                "host {i} is {} ({}, {:?}) there and {} ({}, {:?}) here",
                a.name, a.ip, a.role, b.name, b.ip, b.role
            ));
        }
    }
    if theirs.links != ours.links {
        return Some("the links between hosts differ (latency or down windows)".into());
    }
    if theirs.zones.len() != ours.zones.len() {
        return Some(format!(
            "it has {} DNS zones and this world {}",
            theirs.zones.len(),
            ours.zones.len()
        ));
    }
    for (a, b) in theirs.zones.iter().zip(&ours.zones) {
        if a != b {
            return Some(format!("the DNS zone {} differs", b.origin));
        }
    }
    None
}

/// What the writer thread needs.
pub(crate) struct Writer {
    pub appender: Appender,
    pub path: PathBuf,
    /// From the world: every event, none dropped.
    pub events: Receiver<Event>,
    /// To the watcher (dashboard or printer).
    pub feed: SyncSender<Event>,
    /// Drop what the watcher has no room for, rather than wait.
    pub lossy: bool,
    /// How many events are in the file.
    pub durable: watch::Sender<u64>,
    /// Told when the file cannot be written: the world stops.
    pub failed: Arc<Notify>,
}

impl Writer {
    /// Writes until the world is gone, then the end line.
    pub fn run(mut self) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut failed = false;
        while let Ok(first) = self.events.recv() {
            batch.push(first);
            while batch.len() < BATCH
                && let Ok(event) = self.events.try_recv()
            {
                batch.push(event);
            }
            if !failed {
                let wrote = batch
                    .iter()
                    .try_for_each(|e| self.appender.event(e))
                    .and_then(|()| self.appender.flush());
                match (wrote, batch.last()) {
                    (Ok(_), Some(last)) => {
                        self.durable.send_replace(last.seq + 1);
                    }
                    (Ok(_), None) => {}
                    (Err(e), _) => {
                        eprintln!(
                            "mailflow serve: cannot write the recording {}: {e}; stopping, since no reply it does not hold may leave",
                            self.path.display()
                        );
                        failed = true;
                        self.failed.notify_one();
                    }
                }
            }
            for event in batch.drain(..) {
                self.forward(event);
            }
        }
        if !failed && let Err(e) = self.appender.end(Ending::Stopped) {
            eprintln!(
                "mailflow serve: cannot end the recording {}: {e}",
                self.path.display()
            );
        }
    }

    fn forward(&self, event: Event) {
        // A watcher that has gone (the dashboard quit) changes nothing
        // here: the world is being stopped, and its last events still go
        // into the file.
        if self.lossy {
            let _ = self.feed.try_send(event);
        } else {
            let _ = self.feed.send(event);
        }
    }
}
