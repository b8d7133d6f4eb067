//! Group commit: callers append records to a shared buffer and wait; one flusher thread
//! writes what has gathered, `fdatasync`s it once and wakes every caller whose record it
//! covered. A caller pays for one disk flush shared with everyone who appended meanwhile,
//! not one flush per record.
//!
//! When the segment passes its size limit the flusher starts the next one and hands the
//! number of the closed one to `on_rotate` (the snapshot maker).

use super::codec::{frame, Entry, JOURNAL_MAGIC};
use crate::{Error, Result};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// A segment's file name.
pub(super) fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("journal-{n:010}.log"))
}

/// Makes a new file's directory entry durable.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// Sequence number of the last record appended.
    seq: u64,
    stop: bool,
    failed: Option<String>,
}

#[derive(Default)]
pub(super) struct Durable {
    /// Every record up to this one is on disk.
    pub(super) seq: u64,
    pub(super) failed: Option<String>,
    /// Disk flushes done.
    flushes: u64,
    /// Bytes written.
    bytes: u64,
    /// Tasks waiting for a record (its sequence number) to be on disk.
    pub(super) wakers: Vec<(u64, std::task::Waker)>,
}

/// What the writer and its waiters share.
pub(super) struct Shared {
    dir: PathBuf,
    pending: Mutex<Pending>,
    work: Condvar,
    pub(super) durable: Mutex<Durable>,
    flushed: Condvar,
}

impl Shared {
    /// The error of a failed journal.
    pub(super) fn failure(&self, message: &str) -> Error {
        Error::Ledger {
            store: self.dir.display().to_string(),
            message: format!(
                "the journal failed ({message}); nothing is acknowledged until the state \
                 folder is reopened"
            ),
        }
    }
}

/// How large segments and write batches grow, and who hears of a closed segment.
pub(super) struct Limits {
    /// A segment past this size is closed.
    pub(super) segment_bytes: u64,
    /// Most bytes written between two flushes (at least one record).
    pub(super) batch_bytes: usize,
    /// Called with the number of each closed segment.
    pub(super) on_rotate: Box<dyn Fn(u64) + Send>,
}

/// The journal's writing end (see the module docs).
pub(super) struct Writer {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct JournalStats {
    /// Records appended since the ledger was opened.
    pub records: u64,
    /// Disk flushes (`fdatasync`) since opened: records / flushes is the group size.
    pub flushes: u64,
    /// Bytes written to journal segments since opened.
    pub bytes: u64,
}

impl Writer {
    /// Appends to segment `segment` of `dir` (created if missing; cut to `valid_len`
    /// bytes if longer: a torn tail); rotates past `segment_bytes`.
    pub(super) fn open(
        dir: &Path,
        segment: u64,
        valid_len: Option<u64>,
        limits: Limits,
    ) -> Result<Self> {
        let (file, len) = open_segment(dir, segment, valid_len)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            pending: Mutex::new(Pending::default()),
            work: Condvar::new(),
            durable: Mutex::new(Durable::default()),
            flushed: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let flusher = std::thread::Builder::new()
            .name("servnet-journal".into())
            .spawn(move || flush_loop(&s, file, len, segment, limits))
            .map_err(|e| Error::Ledger {
                store: dir.display().to_string(),
                message: format!("cannot start the journal thread: {e}"),
            })?;
        Ok(Writer {
            shared,
            flusher: Some(flusher),
        })
    }

    /// Appends one entry; returns its sequence number.
    pub(super) fn append<S: Serialize>(&self, entry: &Entry<S>) -> Result<u64> {
        let mut p = lock(&self.shared.pending);
        if let Some(f) = &p.failed {
            return Err(self.failure(f));
        }
        let was_empty = p.buf.is_empty();
        frame(entry, &mut p.buf)?;
        p.seq += 1;
        let seq = p.seq;
        drop(p);
        if was_empty {
            self.shared.work.notify_one();
        }
        Ok(seq)
    }

    /// Waits until record `seq` is on disk (or, in a call that defers its waits, notes
    /// that the caller will).
    pub(super) fn wait(&self, seq: u64) -> Result<()> {
        if super::defer::capture(&self.shared, seq) {
            return match &lock(&self.shared.pending).failed {
                Some(f) => Err(self.failure(f)),
                None => Ok(()),
            };
        }
        wait(&self.shared, seq)
    }

    /// The sequence number of the last record appended.
    pub(super) fn last(&self) -> u64 {
        lock(&self.shared.pending).seq
    }

    pub(super) fn stats(&self) -> JournalStats {
        let records = lock(&self.shared.pending).seq;
        let d = lock(&self.shared.durable);
        JournalStats {
            records,
            flushes: d.flushes,
            bytes: d.bytes,
        }
    }

    fn failure(&self, message: &str) -> Error {
        self.shared.failure(message)
    }
}

impl Writer {
    /// Writes what is pending, then stops the flusher (appends fail from then on).
    pub(super) fn close(&mut self) {
        lock(&self.shared.pending).stop = true;
        self.shared.work.notify_one();
        if let Some(h) = self.flusher.take() {
            let _ = h.join();
        }
        let mut p = lock(&self.shared.pending);
        if p.failed.is_none() {
            p.failed = Some("the journal is closed".into());
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

/// Blocks until record `seq` is on disk.
pub(super) fn wait(s: &Shared, seq: u64) -> Result<()> {
    let mut d = lock(&s.durable);
    loop {
        if d.seq >= seq {
            return Ok(());
        }
        if let Some(f) = &d.failed {
            return Err(s.failure(f));
        }
        d = s.flushed.wait(d).unwrap_or_else(|e| e.into_inner());
    }
}

fn open_segment(dir: &Path, n: u64, valid_len: Option<u64>) -> Result<(File, u64)> {
    let path = segment_path(dir, n);
    let err = |what: &str, e: std::io::Error| Error::Ledger {
        store: path.display().to_string(),
        message: format!("cannot {what}: {e}"),
    };
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|e| err("open", e))?;
    let mut len = file.metadata().map_err(|e| err("read metadata", e))?.len();
    if let Some(v) = valid_len {
        if v < len {
            file.set_len(v).map_err(|e| err("cut the torn tail", e))?;
            file.sync_all().map_err(|e| err("sync", e))?;
            len = v;
        }
    }
    if len == 0 {
        file.write_all(JOURNAL_MAGIC).map_err(|e| err("write", e))?;
        file.sync_all().map_err(|e| err("sync", e))?;
        len = JOURNAL_MAGIC.len() as u64;
    }
    if !existed {
        sync_dir(dir).map_err(|e| err("sync its folder", e))?;
    }
    Ok((file, len))
}

/// The end of the frames of `buf` from `at` that fit in `batch` bytes (at least one).
fn chunk_end(buf: &[u8], at: usize, batch: usize) -> usize {
    let mut end = at;
    while let Some(h) = buf.get(end..end + 4) {
        let len = 8 + u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if end > at && end + len - at > batch {
            break;
        }
        end += len;
    }
    end.max(at + 1).min(buf.len())
}

/// Frames in `bytes` (whole frames written by `frame`).
fn frames(bytes: &[u8]) -> u64 {
    let (mut at, mut n) = (0, 0);
    while let Some(h) = bytes.get(at..at + 4) {
        at += 8 + u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        n += 1;
    }
    n
}

fn flush_loop(s: &Shared, mut file: File, mut len: u64, mut segment: u64, o: Limits) {
    let mut spare = Vec::new();
    let mut done = 0u64;
    loop {
        let buf = {
            let mut p = lock(&s.pending);
            while p.buf.is_empty() && !p.stop {
                p = s.work.wait(p).unwrap_or_else(|e| e.into_inner());
            }
            if p.buf.is_empty() {
                return;
            }
            spare.clear();
            std::mem::replace(&mut p.buf, std::mem::take(&mut spare))
        };
        // In chunks of at most `batch_bytes`, each flushed before the next is written:
        // a crash leaves at most one chunk unacknowledged (see `replay`).
        let mut at = 0;
        while at < buf.len() {
            let end = chunk_end(&buf, at, o.batch_bytes);
            let part = &buf[at..end];
            let written = file.write_all(part).and_then(|()| file.sync_data());
            let ready = {
                let mut d = lock(&s.durable);
                match written {
                    Ok(()) => {
                        done += frames(part);
                        d.seq = done;
                        d.flushes += 1;
                        d.bytes += part.len() as u64;
                    }
                    Err(e) => {
                        // What reached the disk is unknown: refuse everything from now on.
                        let m = format!("write to journal segment {segment}: {e}");
                        d.failed = Some(m.clone());
                        lock(&s.pending).failed = Some(m);
                    }
                }
                // Tasks whose record is on disk (all of them if the journal failed).
                let (seq, failed) = (d.seq, d.failed.is_some());
                let mut ready = Vec::new();
                d.wakers.retain(|(w, waker)| {
                    let done = failed || *w <= seq;
                    if done {
                        ready.push(waker.clone());
                    }
                    !done
                });
                ready
            };
            s.flushed.notify_all();
            for w in ready {
                w.wake();
            }
            if lock(&s.durable).failed.is_some() {
                return;
            }
            len += part.len() as u64;
            at = end;
            // If the next segment cannot be made, this one grows; the next flush retries.
            if len >= o.segment_bytes {
                if let Ok((f, l)) = open_segment(&s.dir, segment + 1, None) {
                    file = f;
                    len = l;
                    (o.on_rotate)(segment);
                    segment += 1;
                }
            }
        }
        spare = buf;
    }
}
