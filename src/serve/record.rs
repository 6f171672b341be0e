//! `mailflow serve --record FILE`: the live world's trace goes into FILE
//! as it happens, and a world started again on the same FILE goes on
//! where it stopped (see `record` for the format, the fsync policy and
//! how time runs across the gap; `sim::Continuation` for what is carried
//! on).
//!
//! Threads of their own write and sync the file, so that a slow disk
//! delays the bytes to real peers, never the protocol machines: the world
//! hands every event over, one thread writes them by batches, another
//! syncs after a batch with a commit, and both tell the world (through
//! `Durable`) how far the file has come; each real connection's writer
//! holds a chunk until what it depends on is there.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};

use tokio::sync::{Notify, watch};

use super::{OUTSIDE, ServeError};
use crate::net::{OnDisk, Tap};
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
    /// The same file, synced by a thread of its own.
    pub syncer: File,
    pub path: PathBuf,
    /// From the world: every event, none dropped.
    pub events: Receiver<Event>,
    /// To the watcher (dashboard or printer).
    pub feed: Box<dyn Tap + Send>,
    /// Drop what the watcher has no room for, rather than wait.
    pub lossy: bool,
    /// How far the file has come.
    pub durable: watch::Sender<OnDisk>,
    /// Told when the file cannot be written: the world stops.
    pub failed: Arc<Notify>,
}

impl Writer {
    /// Writes until the world is gone, then the end line. Batches are
    /// written here and synced by a second thread, so that writing (and
    /// the replies that need no sync) goes on during a sync; a sync takes
    /// every commit written before it began.
    pub fn run(self) {
        let Writer {
            mut appender,
            syncer,
            path,
            events,
            mut feed,
            lossy,
            durable,
            failed,
        } = self;
        let durable = Arc::new(durable);
        let (sync, to_sync) = mpsc::channel::<u64>();
        let syncing = {
            let (durable, failed, path) = (Arc::clone(&durable), Arc::clone(&failed), path.clone());
            std::thread::Builder::new()
                .name("mailflow-fsync".into())
                .spawn(move || {
                    while let Ok(mut through) = to_sync.recv() {
                        through = to_sync.try_iter().fold(through, u64::max);
                        if let Err(e) = syncer.sync_data() {
                            cannot(&path, &e);
                            failed.notify_one();
                            return;
                        }
                        durable.send_modify(|d| d.synced = d.synced.max(through));
                    }
                })
        };
        let mut failing = syncing.is_err();
        if let Err(e) = &syncing {
            cannot(&path, e);
            failed.notify_one();
        }
        let mut batch = Vec::with_capacity(BATCH);
        while let Ok(first) = events.recv() {
            batch.push(first);
            while batch.len() < BATCH
                && let Ok(event) = events.try_recv()
            {
                batch.push(event);
            }
            if !failing {
                let wrote = batch
                    .iter()
                    .try_for_each(|e| appender.event(e))
                    .and_then(|()| appender.write());
                match (wrote, batch.last()) {
                    (Ok(()), Some(last)) => {
                        let through = last.seq + 1;
                        durable.send_modify(|d| d.written = through);
                        if batch.iter().any(|e| e.kind.commits()) {
                            let _ = sync.send(through);
                        }
                    }
                    (Ok(()), None) => {}
                    (Err(e), _) => {
                        cannot(&path, &e);
                        failing = true;
                        failed.notify_one();
                    }
                }
            }
            for event in batch.drain(..) {
                // A watcher that has gone (the dashboard quit) changes
                // nothing here: the world is being stopped, and its last
                // events still go into the file.
                let _ = feed.send(event, lossy);
            }
        }
        drop(sync);
        if let Ok(syncing) = syncing {
            let _ = syncing.join();
        }
        if !failing && let Err(e) = appender.end(Ending::Stopped) {
            cannot(&path, &e);
        }
    }
}

fn cannot(path: &Path, e: &std::io::Error) {
    eprintln!(
        "mailflow serve: cannot write the recording {}: {e}; the world stops, since no reply the file does not hold may leave",
        path.display()
    );
}
