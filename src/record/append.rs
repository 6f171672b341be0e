//! A recording written as it happens, for a live world (`mailflow serve
//! --record`): begun with its header, or continued after the last whole
//! line of an earlier sitting; events go in by batches, each written with
//! one `write(2)`; the caller syncs (see `EventKind::commits`), from
//! another thread if it likes, so that writing goes on during a sync.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

use super::format::{EventOut, ResumeLine};
use super::read::Loaded;
use super::write::{ended, head, line};
use super::{End, Recording};
use crate::sim::Ending;
use crate::trace::{Event, SimTime};

/// An open recording that grows at its end.
pub struct Appender {
    file: File,
    /// The batch not yet written.
    batch: Vec<u8>,
    /// The time of the last line, for the end line.
    last: SimTime,
}

impl Appender {
    /// Begins `path` (replacing an empty file) with `head`'s header and
    /// syncs it and its directory, so the file exists before anything is
    /// served.
    pub fn begin(path: &Path, head_of: &Recording) -> io::Result<Appender> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let mut appender = Appender::on(file, SimTime::ZERO);
        head(head_of, &mut appender.batch)?;
        appender.write()?;
        appender.sync()?;
        sync_directory(path);
        Ok(appender)
    }

    /// Goes on with `path`, read as `loaded`: cuts a line a crash left
    /// half-written, then appends the resume line at `at` (never before
    /// the last event) and syncs it.
    pub fn resume(path: &Path, loaded: &Loaded, at: SimTime) -> io::Result<Appender> {
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.set_len(loaded.whole)?;
        file.seek(SeekFrom::End(0))?;
        let mut appender = Appender::on(file, at);
        line(
            &mut appender.batch,
            &ResumeLine {
                resumed: loaded.recording.trace.len(),
                t: at,
            },
        )?;
        appender.write()?;
        appender.sync()?;
        Ok(appender)
    }

    fn on(file: File, last: SimTime) -> Appender {
        Appender {
            file,
            batch: Vec::new(),
            last,
        }
    }

    /// Adds `event` to the batch.
    pub fn event(&mut self, event: &Event) -> io::Result<()> {
        line(
            &mut self.batch,
            &EventOut {
                t: event.at,
                kind: &event.kind,
            },
        )?;
        self.last = self.last.max(event.at);
        Ok(())
    }

    /// Writes the batch with one `write(2)`: a `kill -9` cannot lose it
    /// from now on, a power cut can until it is synced.
    pub fn write(&mut self) -> io::Result<()> {
        if !self.batch.is_empty() {
            self.file.write_all(&self.batch)?;
            self.batch.clear();
        }
        Ok(())
    }

    /// Syncs what was written (`fdatasync`).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// A handle that syncs the same file, for a thread of its own.
    pub fn syncer(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Ends the sitting: the end line, written and synced.
    pub fn end(mut self, ending: Ending) -> io::Result<()> {
        self.write()?;
        ended(
            &mut self.batch,
            End {
                ending,
                at: self.last,
            },
        )?;
        self.write()?;
        self.sync()
    }
}

/// A new file's name is durable once its directory is synced; where the
/// system cannot open a directory, the file's own sync is all there is.
fn sync_directory(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}
