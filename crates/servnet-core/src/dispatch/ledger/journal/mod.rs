//! The durable ledger of a state folder: the in-memory state of [`super::MemoryLedger`]
//! plus a journal every change is appended to before it is acknowledged (group commit:
//! concurrent callers share one disk flush), and snapshots that bound the replay.
//!
//! A state folder holds `LOCK` (held while a process has it open), `journal-N.log`
//! (segments of at most [`JournalOptions::segment_bytes`], then the next one) and
//! `snapshot-N.snap` (the state before segment N, made in the background from the
//! previous snapshot and the closed segments, which it then replaces). Opening restores
//! exactly what was acknowledged: bookings per day, holds with their expiry, ratings,
//! external load, the idempotency map and the network changes.

mod codec;
mod defer;
mod replay;
mod writer;

pub use defer::{defer_durability, Durability};

use super::store::{Log, Record, Store};
use super::{Booked, Booking, Bound, Completed, Confirmed, Layout, Ledger, LedgerStats, Request};
use crate::dispatch::NetworkChange;
use crate::{Error, Result};
use chrono::NaiveDateTime;
use codec::{Entry, Rec};
use smol_str::SmolStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use writer::Writer;

/// How a journal ledger writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalOptions {
    /// A segment past this size is closed and a snapshot made in the background
    /// (default 64 MiB: about a million bookings, replayed in well under a second).
    pub segment_bytes: u64,
    /// Most bytes written between two disk flushes (default 1 MiB, far above a group
    /// commit's usual size). A crash can leave only the last such batch torn, so on
    /// opening, a bad record with more than this after it is damage, not a torn tail:
    /// open a folder with at least the batch size it was written with.
    pub batch_bytes: usize,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            segment_bytes: 64 << 20,
            batch_bytes: 1 << 20,
        }
    }
}

/// A network-change record: one change, or a list applied together.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Recorded {
    Many(Vec<NetworkChange>),
    One(NetworkChange),
}

/// What opening a state folder found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restored {
    /// Journal and snapshot entries read.
    pub entries: u64,
    /// Bytes of a torn last record dropped (a crash mid-write; it was never
    /// acknowledged).
    pub torn_bytes: u64,
    /// Ticket records restored (booked, held, completed).
    pub tickets: usize,
    /// Network changes recorded, in order (apply them to the network read from files
    /// before building the dispatcher: [`crate::dispatch::Dispatcher::open`] does).
    pub changes: Vec<NetworkChange>,
}

/// The journal as the store's log.
struct Journal {
    writer: Writer,
}

impl Log for Journal {
    fn append(&self, record: &Record<'_>) -> Result<u64> {
        let entry: Entry<&str> = match *record {
            Record::Book(id, b) => Entry::Book(id, Rec::of(b)),
            Record::Confirm(id) => Entry::Confirm(id),
            Record::Release(id) => Entry::Release(id),
            Record::Complete(id, r) => Entry::Complete(id, r),
            Record::Load { offer, day, units } => Entry::Load(offer, day, units),
            Record::Roll(first) => Entry::Roll(first),
            Record::Layout(l) => Entry::Layout(l.clone()),
            Record::Change(json) => Entry::Change(json),
        };
        self.writer.append(&entry)
    }

    fn wait(&self, seq: u64) -> Result<()> {
        self.writer.wait(seq)
    }

    fn last(&self) -> u64 {
        self.writer.last()
    }
}

/// A ledger whose every acknowledged change survives a crash (see the module docs).
pub struct JournalLedger {
    store: Store<Journal>,
    dir: PathBuf,
    /// Requests for snapshots, and the thread making them.
    snapshots: Option<mpsc::Sender<u64>>,
    snapshotter: Option<std::thread::JoinHandle<()>>,
    /// Held open: the folder's lock.
    _lock: File,
}

impl Drop for JournalLedger {
    /// Flushes the journal, lets a snapshot in progress finish, then releases the folder.
    fn drop(&mut self) {
        self.store.log.writer.close();
        self.snapshots = None;
        if let Some(h) = self.snapshotter.take() {
            let _ = h.join();
        }
    }
}

impl std::fmt::Debug for JournalLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalLedger")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl JournalLedger {
    /// Opens (or creates) the state folder `dir` and restores what it holds. Fails if
    /// another process has it open, or if a record other than the last is damaged.
    pub fn open(dir: &Path, options: JournalOptions) -> Result<(Self, Restored)> {
        let fail = |what: &str, e: std::io::Error| Error::Ledger {
            store: dir.display().to_string(),
            message: format!("cannot {what}: {e}"),
        };
        std::fs::create_dir_all(dir).map_err(|e| fail("create the state folder", e))?;
        let lock = File::create(dir.join("LOCK")).map_err(|e| fail("create its LOCK", e))?;
        if let Err(e) = lock.try_lock() {
            return Err(Error::Ledger {
                store: dir.display().to_string(),
                message: format!("the state folder is in use by another process ({e})"),
            });
        }
        let loaded = replay::load(dir, None, options.batch_bytes)?;
        let mut changes = Vec::with_capacity(loaded.changes.len());
        for json in &loaded.changes {
            let read: Recorded = serde_json::from_str(json).map_err(|e| Error::Ledger {
                store: dir.display().to_string(),
                message: format!("a recorded network change does not read: {e}"),
            })?;
            match read {
                Recorded::One(c) => changes.push(c),
                Recorded::Many(list) => changes.extend(list),
            }
        }
        let restored = Restored {
            entries: loaded.entries,
            torn_bytes: loaded.torn_bytes,
            tickets: loaded.store.len(),
            changes,
        };
        // Snapshots are made by one background thread, the newest request first.
        let (tx, rx) = mpsc::channel::<u64>();
        let snap_dir = dir.to_path_buf();
        let snapshotter = std::thread::Builder::new()
            .name("servnet-snapshot".into())
            .spawn(move || {
                while let Ok(mut closed) = rx.recv() {
                    while let Ok(later) = rx.try_recv() {
                        closed = closed.max(later);
                    }
                    // A failed snapshot leaves the journal as it was: the next one retries.
                    let _ = replay::compact(&snap_dir, closed + 1);
                }
            })
            .map_err(|e| fail("start the snapshot thread", e))?;
        let own = tx.clone();
        let tx = std::sync::Mutex::new(tx);
        let limits = writer::Limits {
            segment_bytes: options.segment_bytes,
            batch_bytes: options.batch_bytes.max(1),
            on_rotate: Box::new(move |closed| {
                if let Ok(tx) = tx.lock() {
                    let _ = tx.send(closed);
                }
            }),
        };
        let writer = Writer::open(dir, loaded.segment, loaded.valid_len, limits)?;
        let store = loaded.store.with_log(Journal { writer });
        let ledger = JournalLedger {
            store,
            dir: dir.to_path_buf(),
            snapshots: Some(own),
            snapshotter: Some(snapshotter),
            _lock: lock,
        };
        // Segments left by a crash before their snapshot: make it now.
        if let (true, Some(tx)) = (loaded.segments.len() > 1, &ledger.snapshots) {
            let _ = tx.send(loaded.segment - 1);
        }
        Ok((ledger, restored))
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Day 0 of the bookings recorded, if any.
    pub fn start_date(&self) -> Option<chrono::NaiveDate> {
        self.store.layout().start
    }

    /// Number of ticket records (booked, held, completed).
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether it holds no ticket record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Ledger for JournalLedger {
    fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.store.offer_used(offer, day)
    }

    fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.store.outlet_used(outlet, day)
    }

    fn get(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        self.store.get(ticket_id)
    }

    fn book(&self, request: &Request<'_>) -> Result<Booked> {
        self.store.book(request)
    }

    fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Confirmed> {
        self.store.confirm(hold, now)
    }

    fn release(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        self.store.release(ticket_id)
    }

    fn complete(&self, ticket_id: &str, rating_milli: Option<u32>) -> Result<Completed> {
        self.store.complete(ticket_id, rating_milli)
    }

    fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<(SmolStr, Booking)>> {
        self.store.expire_holds(now)
    }

    fn set_load(&self, offer: usize, day: u32, units: u32) -> Result<()> {
        self.store.set_load(offer, day, units)
    }

    fn bind(&mut self, layout: &Layout) -> Result<Bound> {
        self.store.bind(layout)
    }

    fn roll(&mut self, first_day: u32) -> Result<()> {
        self.store.roll(first_day)
    }

    fn record_changes(&self, _seen: u64, changes: &[NetworkChange]) -> Result<()> {
        // One record for the list (a JSON array; a lone change is an object, as journals
        // written before lists were): a crash or a failed write leaves all or none.
        let json = match changes {
            [] => return Ok(()),
            [one] => serde_json::to_string(one),
            many => serde_json::to_string(many),
        }
        .map_err(|e| Error::Ledger {
            store: self.dir.display().to_string(),
            message: format!("cannot encode the network changes: {e}"),
        })?;
        let seq = self.store.log.append(&Record::Change(&json))?;
        self.store.log.wait(seq)
    }

    fn stats(&self) -> LedgerStats {
        let w = self.store.log.writer.stats();
        LedgerStats {
            tickets: self.len() as u64,
            records: w.records,
            flushes: w.flushes,
            bytes: w.bytes,
        }
    }

    fn sole_writer(&self) -> bool {
        true
    }
}
