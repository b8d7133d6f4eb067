//! Restoring a state folder (the newest snapshot, then the journal segments after it,
//! in order) and writing snapshots (to a temporary file, flushed, then renamed, so a
//! snapshot is whole or absent).
//!
//! A bad frame in the last segment is a torn tail (a crash mid-write): everything before
//! it was acknowledged and is kept, it and what follows are dropped. A bad frame
//! anywhere else is damage: opening fails and names the file and offset.

use super::codec::{frame, next, Entry, Next, Rec, JOURNAL_MAGIC, SNAPSHOT_MAGIC};
use super::writer::{segment_path, sync_dir};
use crate::dispatch::ledger::{NoLog, Store};
use crate::{Error, Result};
use smol_str::SmolStr;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A snapshot's file name: the state before segment `n`.
pub(super) fn snapshot_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("snapshot-{n:010}.snap"))
}

/// The numbers of the snapshots and segments in `dir`, sorted.
pub(super) fn list(dir: &Path) -> Result<(Vec<u64>, Vec<u64>)> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Ledger {
        store: dir.display().to_string(),
        message: format!("cannot list the state folder: {e}"),
    })?;
    let (mut snaps, mut segs) = (Vec::new(), Vec::new());
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let num = |prefix: &str, suffix: &str| {
            name.strip_prefix(prefix)?
                .strip_suffix(suffix)?
                .parse::<u64>()
                .ok()
        };
        if let Some(n) = num("snapshot-", ".snap") {
            snaps.push(n);
        } else if let Some(n) = num("journal-", ".log") {
            segs.push(n);
        }
    }
    snaps.sort_unstable();
    segs.sort_unstable();
    Ok((snaps, segs))
}

/// What a state folder holds.
pub(super) struct Loaded {
    pub(super) store: Store<NoLog>,
    /// Network changes recorded (JSON), in order.
    pub(super) changes: Vec<String>,
    /// The segment to append to, and its valid length if it exists.
    pub(super) segment: u64,
    pub(super) valid_len: Option<u64>,
    /// Bytes of a torn tail dropped.
    pub(super) torn_bytes: u64,
    /// Entries read.
    pub(super) entries: u64,
    /// Segments replayed (a snapshot is due when there is more than one).
    pub(super) segments: Vec<u64>,
}

fn damaged(path: &Path, at: usize, why: &str) -> Error {
    Error::Ledger {
        store: path.display().to_string(),
        message: format!(
            "damaged record at byte {at}: {why} (not a torn last write: acknowledged \
             records may follow it); restore the folder from a backup"
        ),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Ledger {
        store: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })
}

/// Applies one entry about a ticket (a booking, confirmation, release or completion);
/// `&self` calls on the store, safe to make from several threads for different tickets.
fn apply_ticket(store: &Store<NoLog>, e: Entry<SmolStr>) -> std::result::Result<(), String> {
    let bad = |e: Error| e.to_string();
    match e {
        Entry::Book(id, rec) => {
            let b = rec.booking().ok_or("a hold expiry out of range")?;
            store.restore_book(&id, b);
        }
        Entry::Confirm(id) => store.restore_confirm(&id),
        Entry::Release(id) => {
            store.release(&id).map_err(bad)?;
        }
        Entry::Complete(id, rating) => {
            store.complete(&id, rating).map_err(bad)?;
        }
        _ => return Err("not a ticket entry".into()),
    }
    Ok(())
}

/// The ticket an entry is about, if it is about one.
fn ticket_of(e: &Entry<SmolStr>) -> Option<&str> {
    match e {
        Entry::Book(id, _) | Entry::Confirm(id) | Entry::Release(id) | Entry::Complete(id, _) => {
            Some(id)
        }
        _ => None,
    }
}

/// Ticket entries gathered before they are applied together.
const CHUNK: usize = 1 << 16;

/// Applies entries in the order read. The entries about tickets are gathered and applied
/// a chunk at a time on all cores, split by the ticket map's shard: each ticket's
/// entries keep their order, and entries about different tickets commute (counters
/// add up, ratings sum). External load, ratings, hold ids and network changes commute
/// with them and apply at once; a roll-over or a layout waits for what came before.
struct Replay {
    store: Store<NoLog>,
    changes: Vec<String>,
    /// Ticket entries not applied yet, with their offsets.
    pending: Vec<(usize, Entry<SmolStr>)>,
    /// Bookings read in the current file.
    books: u64,
}

impl Replay {
    fn push(&mut self, at: usize, e: Entry<SmolStr>) -> std::result::Result<(), (usize, String)> {
        if ticket_of(&e).is_some() {
            if matches!(e, Entry::Book(..)) {
                self.books += 1;
            }
            self.pending.push((at, e));
            if self.pending.len() >= CHUNK {
                self.flush()?;
            }
            return Ok(());
        }
        let bad = |e: Error| (at, e.to_string());
        let store = &mut self.store;
        match e {
            Entry::Roll(first) => {
                self.flush()?;
                self.store.roll(first).map_err(bad)?;
            }
            Entry::Layout(l) => {
                self.flush()?;
                self.store.bind(&l).map_err(bad)?;
            }
            Entry::Load(k, day, units) => store.set_load(k as usize, day, units).map_err(bad)?,
            Entry::Change(json) => self.changes.push(json.to_string()),
            Entry::NextHold(n) => store.raise_next_hold(n),
            Entry::Rating(k, milli, count) => store.restore_rating(k, milli, count),
            // The snapshot's end is checked by the reader; ticket entries went above.
            _ => {}
        }
        Ok(())
    }

    /// Applies the gathered ticket entries; the first failure (by offset) if any.
    fn flush(&mut self) -> std::result::Result<(), (usize, String)> {
        let pending = std::mem::take(&mut self.pending);
        let parts = rayon::current_num_threads().clamp(1, 16);
        let store = &self.store;
        let run = |part: Vec<(usize, Entry<SmolStr>)>| {
            for (at, e) in part {
                apply_ticket(store, e).map_err(|m| (at, m))?;
            }
            Ok(())
        };
        if parts == 1 || pending.len() < 4096 {
            return run(pending);
        }
        let mut split: Vec<Vec<(usize, Entry<SmolStr>)>> = (0..parts)
            .map(|_| Vec::with_capacity(pending.len() / parts + 64))
            .collect();
        for (at, e) in pending {
            let shard = ticket_of(&e).map_or(0, Store::<NoLog>::shard_of);
            if let Some(p) = split.get_mut(shard % parts) {
                p.push((at, e));
            }
        }
        use rayon::prelude::*;
        let failed = split
            .into_par_iter()
            .filter_map(|part| run(part).err())
            .min_by_key(|(at, _)| *at);
        match failed {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

/// Reads the state of `dir`: the newest snapshot and the segments after it (only those
/// before `upto`, if given: closed segments, for a new snapshot). In the last segment, a
/// bad record with at most `batch` bytes from it to the end is a torn tail.
pub(super) fn load(dir: &Path, upto: Option<u64>, batch: usize) -> Result<Loaded> {
    let (snaps, segs) = list(dir)?;
    let base = match upto {
        Some(u) => snaps.iter().copied().filter(|&n| n < u).max(),
        None => snaps.last().copied(),
    };
    let mut r = Replay {
        store: Store::new(NoLog),
        changes: Vec::new(),
        pending: Vec::new(),
        books: 0,
    };
    let mut entries = 0u64;
    // About one ticket record per 50 bytes of snapshot and journal: room for them up
    // front, so the ticket map does not grow step by step during the replay.
    let bytes: u64 = base
        .iter()
        .map(|&n| snapshot_path(dir, n))
        .chain(segs.iter().map(|&n| segment_path(dir, n)))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    r.store
        .reserve(usize::try_from(bytes / 50).unwrap_or(0).min(1 << 24));
    if let Some(n) = base {
        let path = snapshot_path(dir, n);
        let bytes = read(&path)?;
        if bytes.get(..8) != Some(SNAPSHOT_MAGIC.as_slice()) {
            return Err(damaged(&path, 0, "not a servnet snapshot"));
        }
        let (mut at, mut end) = (8, None);
        r.books = 0;
        loop {
            match next(&bytes, at) {
                Next::Entry(Entry::End(count), to) => {
                    end = Some(count);
                    at = to;
                    break;
                }
                Next::Entry(e, to) => {
                    r.push(at, e)
                        .map_err(|(at, why)| damaged(&path, at, &why))?;
                    entries += 1;
                    at = to;
                }
                Next::End => break,
                Next::Bad(why) => return Err(damaged(&path, at, &why)),
            }
        }
        r.flush().map_err(|(at, why)| damaged(&path, at, &why))?;
        if end != Some(r.books) || at != bytes.len() {
            return Err(damaged(&path, at, "the snapshot is incomplete"));
        }
    }
    let first = base.unwrap_or_else(|| segs.first().copied().unwrap_or(0));
    let todo: Vec<u64> = segs
        .iter()
        .copied()
        .filter(|&n| n >= first && upto.is_none_or(|u| n < u))
        .collect();
    for (i, &n) in todo.iter().enumerate() {
        if n != first + i as u64 {
            return Err(Error::Ledger {
                store: dir.display().to_string(),
                message: format!(
                    "journal segment {} is missing (segments {first}..={} expected after \
                     the snapshot)",
                    first + i as u64,
                    todo.last().copied().unwrap_or(first)
                ),
            });
        }
    }
    let mut valid_len = None;
    let mut torn_bytes = 0;
    for (i, &n) in todo.iter().enumerate() {
        let path = segment_path(dir, n);
        let bytes = read(&path)?;
        let last = i + 1 == todo.len() && upto.is_none();
        if bytes.len() < 8 && last {
            // Created but never written (a crash right after rotation).
            valid_len = Some(0);
            torn_bytes = bytes.len() as u64;
            break;
        }
        if bytes.get(..8) != Some(JOURNAL_MAGIC.as_slice()) {
            return Err(damaged(&path, 0, "not a servnet journal segment"));
        }
        let mut at = 8;
        loop {
            match next(&bytes, at) {
                Next::Entry(e, to) => {
                    r.push(at, e)
                        .map_err(|(at, why)| damaged(&path, at, &why))?;
                    entries += 1;
                    at = to;
                }
                Next::End => break,
                Next::Bad(why) if !last || bytes.len() - at > batch => {
                    return Err(damaged(&path, at, &why))
                }
                Next::Bad(_) => {
                    torn_bytes = (bytes.len() - at) as u64;
                    break;
                }
            }
        }
        r.flush().map_err(|(at, why)| damaged(&path, at, &why))?;
        if last {
            valid_len = Some(at as u64);
        }
    }
    let segment = match upto {
        Some(u) => u,
        None => todo.last().copied().unwrap_or(first),
    };
    Ok(Loaded {
        store: r.store,
        changes: r.changes,
        segment,
        valid_len,
        torn_bytes,
        entries,
        segments: todo,
    })
}

/// Writes `store` and `changes` as snapshot `n` of `dir` (temporary file, flushed,
/// renamed, folder flushed).
pub(super) fn write_snapshot(
    dir: &Path,
    n: u64,
    store: &Store<NoLog>,
    changes: &[String],
) -> Result<()> {
    let path = snapshot_path(dir, n);
    let tmp = path.with_extension("snap.tmp");
    let fail = |what: &str, e: std::io::Error| Error::Ledger {
        store: tmp.display().to_string(),
        message: format!("cannot {what} a snapshot: {e}"),
    };
    let mut out = Vec::with_capacity(64 + store.len() * 64);
    out.extend_from_slice(SNAPSHOT_MAGIC);
    frame(&Entry::<&str>::Layout(store.layout().clone()), &mut out)?;
    if store.first_day() > 0 {
        frame(&Entry::<&str>::Roll(store.first_day()), &mut out)?;
    }
    frame(&Entry::<&str>::NextHold(store.next_hold()), &mut out)?;
    for c in changes {
        frame(&Entry::Change(c.as_str()), &mut out)?;
    }
    for ((k, day), units) in store.loads() {
        frame(&Entry::<&str>::Load(k, day, units), &mut out)?;
    }
    for (k, milli, count) in store.ratings() {
        frame(&Entry::<&str>::Rating(k, milli, count), &mut out)?;
    }
    let mut books = 0u64;
    let mut failed = None;
    store.for_each(|id, b| {
        if failed.is_none() {
            match frame(&Entry::Book(id.as_str(), Rec::of(b)), &mut out) {
                Ok(()) => books += 1,
                Err(e) => failed = Some(e),
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    frame(&Entry::<&str>::End(books), &mut out)?;
    let mut f = std::fs::File::create(&tmp).map_err(|e| fail("create", e))?;
    f.write_all(&out).map_err(|e| fail("write", e))?;
    f.sync_all().map_err(|e| fail("flush", e))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| fail("rename", e))?;
    sync_dir(dir).map_err(|e| fail("flush the folder of", e))
}

/// Makes snapshot `upto` from the newest snapshot and the closed segments before it,
/// then removes those segments and older snapshots.
pub(super) fn compact(dir: &Path, upto: u64) -> Result<()> {
    let loaded = load(dir, Some(upto), 0)?;
    write_snapshot(dir, upto, &loaded.store, &loaded.changes)?;
    let (snaps, segs) = list(dir)?;
    for n in snaps.into_iter().filter(|&n| n < upto) {
        let _ = std::fs::remove_file(snapshot_path(dir, n));
    }
    for n in segs.into_iter().filter(|&n| n < upto) {
        let _ = std::fs::remove_file(segment_path(dir, n));
    }
    sync_dir(dir).map_err(|e| Error::Ledger {
        store: dir.display().to_string(),
        message: format!("cannot flush the state folder: {e}"),
    })
}
