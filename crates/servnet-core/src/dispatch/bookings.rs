//! The in-memory ticket map: ticket id -> booking record, in shards behind mutexes.
//!
//! Every dispatch looks its ticket id up and then inserts it, so this map is read at a
//! random place once per ticket and grows by one entry per ticket. A `HashMap<SmolStr,
//! Booking>` held 104-byte buckets (20 MB after 200,000 tickets), far beyond the ~3 MB
//! of last-level cache this machine gives a process, so its insert was a miss to memory
//! and its lines evicted the search's: dropping the map (as an experiment) took 0.5-0.8 us
//! off a 2.1-2.5 us dispatch. Here the hashed part holds 8 bytes per ticket (a 32-bit tag
//! of the id's hash and the record's number), and the records are appended in order,
//! where writes stream instead of landing at random places (except records reused after
//! removals). A record is the id and a [`Packed`] booking: 80 bytes, not the 104 of the
//! id and a [`Booking`] (1M live bookings in `servnet dispatch`: 24 MB less).
//!
//! The hash is FxHash, unseeded (ids are only looked up, never iterated for results):
//! SipHash cost ~800 instructions per dispatch (callgrind), and a randomly seeded foldhash
//! +0.06 us (slower in 8 of 10 alternating pairs). So ticket ids are taken to come from
//! the caller's own systems: ids crafted to collide on a shard and tag (38 bits) would
//! make that shard's lookups compare strings one by one.

use super::ledger::Booking;
use super::packed::{Packed, Spill};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use smol_str::SmolStr;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

/// A 64-bit fingerprint of everything a ticket asks for except its id (place, region,
/// skill, units, priority, times, tier, avoid and preferred outlets): equal tickets give
/// equal keys, and another request under the same id almost surely another key.
pub(super) fn content_key(t: &crate::model::Ticket) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    t.lon.to_bits().hash(&mut h);
    t.lat.to_bits().hash(&mut h);
    t.region.hash(&mut h);
    t.skill.hash(&mut h);
    t.units.hash(&mut h);
    t.priority.hash(&mut h);
    t.created_at.hash(&mut h);
    t.due_by.hash(&mut h);
    t.customer_tier.hash(&mut h);
    t.avoid.hash(&mut h);
    t.preferred.hash(&mut h);
    h.finish()
}

/// Locks `m`, also when a panic elsewhere poisoned it.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock cannot leave a booking half-written
    // (each critical section is a single map operation), so a poisoned lock is usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const SHARDS: usize = 64;

/// Spreads a 32-bit tag over the 64 bits the table reads (its low bits pick the bucket,
/// its top 7 the control byte).
fn spread(tag: u32) -> u64 {
    let h = u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 32)
}

/// The record number an entry names.
fn record_of(entry: u64) -> usize {
    entry as u32 as usize
}

/// The tag an entry was hashed by.
fn tag_of(entry: u64) -> u32 {
    (entry >> 32) as u32
}

/// Whether a table entry names `id` (its tag first, so most other ids never read their
/// record).
fn names<'a>(records: &'a Records, tag: u32, id: &'a str) -> impl Fn(&u64) -> bool + 'a {
    move |&e| tag_of(e) == tag && records.get(record_of(e)).is_some_and(|r| r.0 == id)
}

/// Records in fixed-size chunks: growing never copies the ones already stored (a
/// doubling `Vec` copied each record about twice, 1.5 read and 1.7 write misses per
/// dispatch in callgrind's cache simulation).
#[derive(Default)]
struct Records {
    chunks: Vec<Vec<(SmolStr, Packed)>>,
}

impl Records {
    const CHUNK: usize = 512;

    fn get(&self, at: usize) -> Option<&(SmolStr, Packed)> {
        self.chunks.get(at / Self::CHUNK)?.get(at % Self::CHUNK)
    }

    fn get_mut(&mut self, at: usize) -> Option<&mut (SmolStr, Packed)> {
        self.chunks
            .get_mut(at / Self::CHUNK)?
            .get_mut(at % Self::CHUNK)
    }

    /// Appends a record; returns its number.
    fn push(&mut self, record: (SmolStr, Packed)) -> usize {
        match self.chunks.last_mut() {
            Some(last) if last.len() < Self::CHUNK => last.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len() - 1
    }

    fn len(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |last| (self.chunks.len() - 1) * Self::CHUNK + last.len())
    }
}

#[derive(Default)]
struct Shard {
    /// (tag << 32 | record number) per live ticket, hashed by `spread(tag)`.
    table: HashTable<u64>,
    records: Records,
    /// Record numbers freed by removals, reused first.
    free: Vec<u32>,
    /// What the packed records keep beside them.
    spill: Spill,
}

impl Shard {
    fn find(&self, tag: u32, id: &str) -> Option<u64> {
        self.table
            .find(spread(tag), names(&self.records, tag, id))
            .copied()
    }

    /// The booking of the record an entry names, with its id.
    fn booking(&self, e: u64) -> Option<(&SmolStr, Booking)> {
        let at = record_of(e);
        let r = self.records.get(at)?;
        Some((&r.0, self.spill.unpack(at as u32, &r.1)?))
    }

    /// Inserts a record for an id not in the shard.
    fn insert_new(&mut self, tag: u32, id: &SmolStr, b: Booking) {
        let at = match self.free.pop() {
            Some(at) => {
                let p = self.spill.pack(at, &b);
                if let Some(r) = self.records.get_mut(at as usize) {
                    *r = (id.clone(), p);
                }
                at
            }
            // Record numbers are 32-bit: 2^32 live tickets in one shard (of 64) would
            // need terabytes first.
            None => {
                let at = self.records.len() as u32;
                let p = self.spill.pack(at, &b);
                self.records.push((id.clone(), p)) as u32
            }
        };
        self.table
            .insert_unique(spread(tag), u64::from(tag) << 32 | u64::from(at), |&e| {
                spread(tag_of(e))
            });
    }

    #[cfg(test)]
    fn insert_first(&mut self, tag: u32, id: &SmolStr, b: Booking) -> Result<(), Booking> {
        if let Some(e) = self.find(tag, id) {
            return self.booking(e).map_or(Ok(()), |r| Err(r.1));
        }
        self.insert_new(tag, id, b);
        Ok(())
    }

    fn remove(&mut self, tag: u32, id: &str) -> Option<(SmolStr, Booking)> {
        let entry = self
            .table
            .find_entry(spread(tag), names(&self.records, tag, id));
        let (e, _) = entry.ok()?.remove();
        let at = record_of(e);
        let record = self.records.get_mut(at)?;
        let b = self.spill.unpack(at as u32, &record.1);
        self.spill.forget(at as u32, &record.1);
        let id = std::mem::take(&mut record.0);
        self.free.push(at as u32);
        Some((id, b?))
    }
}

/// One shard on its own cache lines, so threads do not share them.
#[repr(align(128))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

/// Ticket id -> booking, safe to share between threads.
pub(crate) struct Bookings {
    shards: Vec<Padded>,
}

impl Default for Bookings {
    fn default() -> Self {
        Bookings {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
        }
    }
}

impl Bookings {
    /// The id's shard and tag, from one hash: the shard from the top 6 bits, the tag from
    /// the 32 below them (so the tags within a shard still differ in all their bits).
    fn locate(&self, id: &str) -> (MutexGuard<'_, Shard>, u32) {
        let h = FxBuildHasher
            .hash_one(id)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Each critical section below completes its change before it can panic, so a
        // poisoned shard is usable (`lock`).
        (
            lock(&self.shards[(h >> 58) as usize % SHARDS].0),
            (h >> 26) as u32,
        )
    }

    /// The shard (`0..64`) that holds `id`: calls on ids of different shards never wait
    /// for each other.
    pub(crate) fn shard_of(id: &str) -> usize {
        let h = FxBuildHasher
            .hash_one(id)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 58) as usize % SHARDS
    }

    /// Makes room for about `n` more tickets (a replay that knows how many are coming
    /// skips the table's growth steps).
    pub(crate) fn reserve(&self, n: usize) {
        for p in &self.shards {
            lock(&p.0)
                .table
                .reserve(n / SHARDS + 1, |&e| spread(tag_of(e)));
        }
    }

    /// The booking of `id`, with the id as stored.
    pub(crate) fn get(&self, id: &str) -> Option<(SmolStr, Booking)> {
        let (shard, tag) = self.locate(id);
        let e = shard.find(tag, id)?;
        shard.booking(e).map(|(id, b)| (id.clone(), b))
    }

    /// Inserts `b` for `id` unless `id` is known, if `admit` (run under the shard's lock,
    /// so a ledger reserves and journals there) says so.
    pub(crate) fn insert_with<T: Admits>(
        &self,
        id: &SmolStr,
        b: &Booking,
        admit: impl FnOnce() -> T,
    ) -> Insert<T> {
        let (mut shard, tag) = self.locate(id);
        if let Some(e) = shard.find(tag, id) {
            if let Some((id, b)) = shard.booking(e) {
                return Insert::Exists(id.clone(), b);
            }
        }
        let out = admit();
        if out.admits() {
            shard.insert_new(tag, id, *b);
        }
        Insert::Done(out)
    }

    /// Applies `f` to the record of `id` under the shard's lock; `f` says whether to
    /// keep the record. `None` if `id` is unknown.
    pub(crate) fn update_with<T>(
        &self,
        id: &str,
        f: impl FnOnce(&SmolStr, &mut Booking) -> (Keep, T),
    ) -> Option<T> {
        let (mut shard, tag) = self.locate(id);
        let e = shard.find(tag, id)?;
        let at = record_of(e);
        let Shard { records, spill, .. } = &mut *shard;
        let record = records.get_mut(at)?;
        let mut b = spill.unpack(at as u32, &record.1)?;
        let (keep, out) = f(&record.0, &mut b);
        if keep == Keep::No {
            shard.remove(tag, id);
        } else {
            record.1 = spill.pack(at as u32, &b);
        }
        Some(out)
    }

    /// Keeps the records for which `f` (which may change them) returns true, shard by
    /// shard.
    pub(crate) fn retain(&self, mut f: impl FnMut(&SmolStr, &mut Booking) -> bool) {
        for p in &self.shards {
            let mut shard = lock(&p.0);
            let Shard {
                table,
                records,
                free,
                spill,
            } = &mut *shard;
            table.retain(|e| {
                let at = record_of(*e);
                let Some(r) = records.get_mut(at) else {
                    return false;
                };
                let Some(mut b) = spill.unpack(at as u32, &r.1) else {
                    return false;
                };
                if f(&r.0, &mut b) {
                    r.1 = spill.pack(at as u32, &b);
                    return true;
                }
                spill.forget(at as u32, &r.1);
                r.0 = SmolStr::default();
                free.push(at as u32);
                false
            });
        }
    }

    /// Every record, in no particular order (callers sort what they report).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&SmolStr, &Booking)) {
        for p in &self.shards {
            let shard = lock(&p.0);
            for &e in shard.table.iter() {
                if let Some((id, b)) = shard.booking(e) {
                    f(id, &b);
                }
            }
        }
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|p| lock(&p.0).table.len()).sum()
    }
}

/// What an admission check says: insert or not.
pub(crate) trait Admits {
    /// Whether to insert the record.
    fn admits(&self) -> bool;
}

impl Admits for bool {
    fn admits(&self) -> bool {
        *self
    }
}

/// What [`Bookings::insert_with`] found.
pub(crate) enum Insert<T> {
    /// The id was known: its record, with the id as stored.
    Exists(SmolStr, Booking),
    /// The id was new: what the closure returned.
    Done(T),
}

/// Whether [`Bookings::update_with`] keeps the record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Keep it (changed or not).
    Yes,
    /// Remove it.
    No,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::Route;
    use crate::rng::SplitMix64;
    use std::collections::HashMap;

    fn booking(n: u32) -> Booking {
        Booking {
            offer: n,
            outlet: n / 3,
            day: n % 7,
            units: 1 + n % 2,
            road: f64::from(n) * 0.5,
            load_ratio: 0.25,
            satisfaction: 4.5,
            preferred: false,
            sla_met: true,
            route: Route::Direct,
            status: crate::dispatch::Status::Booked,
            hold: None,
            content: u64::from(n),
            claim: crate::dispatch::ClaimBasis::from_bits((n % 32) as u8),
        }
    }

    /// Ids whose hashes share a tag are told apart by the id itself: each keeps its own
    /// booking through inserts, a repeated insert and removals, across record chunks.
    #[test]
    fn ids_sharing_a_tag_keep_their_own_bookings() {
        let mut shard = Shard::default();
        // More than two chunks of records.
        let ids: Vec<SmolStr> = (0..1200).map(|i| SmolStr::new(format!("T{i}"))).collect();
        for (i, id) in ids.iter().enumerate() {
            assert!(shard.insert_first(7, id, booking(i as u32)).is_ok());
        }
        // A second booking of a booked id is refused with the first one.
        let again = shard.insert_first(7, &ids[3], booking(999));
        assert_eq!(again.map_err(|b| b.offer), Err(3));
        for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            let (got, b) = shard
                .remove(7, id)
                .map(|(s, b)| (s, b.offer))
                .unwrap_or_default();
            assert_eq!((got.as_str(), b), (id.as_str(), i as u32));
        }
        for (i, id) in ids.iter().enumerate() {
            let found = shard.find(7, id).and_then(|e| shard.booking(e));
            assert_eq!(
                found.map(|r| r.1.offer),
                (i % 2 == 1).then_some(i as u32),
                "{id}"
            );
        }
        // Freed records are reused: re-booking the removed ids adds none.
        let before = shard.records.len();
        for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            assert!(shard.insert_first(7, id, booking(100 + i as u32)).is_ok());
        }
        assert_eq!(shard.records.len(), before);
        assert_eq!(shard.table.len(), ids.len());
    }

    /// Random gets, inserts and removals over a small id space agree with a `HashMap`.
    #[test]
    fn agrees_with_a_hash_map() {
        let book = Bookings::default();
        let mut model: HashMap<String, u32> = HashMap::new();
        let mut rng = SplitMix64::new(5);
        for step in 0..20_000u32 {
            let id = format!("ticket-{}", rng.below(2_000));
            match rng.below(3) {
                0 => {
                    let got = match book.insert_with(&SmolStr::new(&id), &booking(step), || true) {
                        Insert::Exists(_, b) => Err(b),
                        Insert::Done(_) => Ok(()),
                    };
                    let want = match model.get(&id) {
                        Some(&b) => Err(b),
                        None => {
                            model.insert(id.clone(), step);
                            Ok(())
                        }
                    };
                    assert_eq!(got.map_err(|b| b.offer), want, "step {step}");
                }
                1 => {
                    let got = book.update_with(&id, |s, b| (Keep::No, (s.to_string(), b.offer)));
                    assert_eq!(
                        got,
                        model.remove(&id).map(|b| (id.clone(), b)),
                        "step {step}"
                    );
                }
                _ => {
                    let got = book.get(&id).map(|(s, b)| (s.to_string(), b.offer));
                    assert_eq!(got, model.get(&id).map(|&b| (id.clone(), b)), "step {step}");
                }
            }
        }
    }
}
