//! The state every local ledger keeps (counters, ticket map, holds, external load,
//! ratings), generic over a [`Log`] that a durable ledger writes each change to.
//!
//! A change is logged in the critical section that makes it (a ticket's shard lock, or
//! the lock of the table it changes), so records of one ticket are in the order they
//! happened. Changes that use capacity are made first and logged second, changes that
//! free capacity are logged first and made second: every prefix of the log (what a
//! crash leaves) then holds no more bookings on a counter than the counter allowed.
//! The caller is answered only after [`Log::wait`]: what it saw is durable.

use super::super::bookings::{lock, Admits, Bookings, Insert, Keep};
use super::counters::Counters;
use super::{Booked, Booking, Bound, Completed, Confirmed, Layout, Request, Status};
use crate::{Error, Result};
use chrono::NaiveDateTime;
use rustc_hash::FxHashMap;
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

/// One change, as a log receives it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record<'a> {
    /// A new booking (a hold carries its id and expiry).
    Book(&'a str, &'a Booking),
    /// A hold confirmed.
    Confirm(&'a str),
    /// A booking released (by the caller or by hold expiry).
    Release(&'a str),
    /// A booking completed, with its rating x 1000.
    Complete(&'a str, Option<u32>),
    /// External load set on an offer for a day.
    Load {
        /// Offer number.
        offer: u32,
        /// Day.
        day: u32,
        /// Units.
        units: u32,
    },
    /// The first day counted moved.
    Roll(u32),
    /// A layout bound (records after it use its numbers).
    Layout(&'a Layout),
    /// A network change (JSON).
    Change(&'a str),
}

/// Where a store's changes go before the caller is answered.
pub(crate) trait Log: Send + Sync {
    /// Appends a record; returns the sequence number to wait for.
    fn append(&self, record: &Record<'_>) -> Result<u64>;
    /// Returns once every record up to `seq` is durable.
    fn wait(&self, seq: u64) -> Result<()>;
    /// The sequence number of the last record appended (a read waits for it, so it
    /// never reports a change that is not yet durable).
    fn last(&self) -> u64;
}

/// No log: the in-memory ledger (every call is a no-op the compiler removes).
#[derive(Debug, Default)]
pub(crate) struct NoLog;

impl Log for NoLog {
    #[inline(always)]
    fn append(&self, _: &Record<'_>) -> Result<u64> {
        Ok(0)
    }
    #[inline(always)]
    fn wait(&self, _: u64) -> Result<()> {
        Ok(())
    }
    #[inline(always)]
    fn last(&self) -> u64 {
        0
    }
}

/// Whether a booking was admitted under the ticket's shard lock.
enum Admit {
    /// Reserved and logged (the log's sequence number).
    Yes(u64),
    /// A counter would pass its limit.
    Full,
    /// The log failed (the reservation was undone).
    Failed(Error),
}

impl Admits for Admit {
    fn admits(&self) -> bool {
        matches!(self, Admit::Yes(_))
    }
}

/// Ratings recorded for one offer: sum x 1000 and count.
#[derive(Debug, Default)]
struct Rating(AtomicU64, AtomicU32);

/// The state of a local ledger, logging to `L`.
pub(crate) struct Store<L: Log> {
    counters: Counters,
    tickets: Bookings,
    /// Hold id -> (ticket id, expiry; `None` once confirmed: a repeated confirm finds
    /// it until the booking is released, completed or rolled out).
    holds: Mutex<BTreeMap<u64, (SmolStr, Option<NaiveDateTime>)>>,
    next_hold: AtomicU64,
    /// (offer, day) -> units committed outside the ledger.
    loads: Mutex<BTreeMap<(u32, u32), u32>>,
    /// Per offer in the layout.
    ratings: Vec<Rating>,
    layout: Layout,
    start: Option<chrono::NaiveDate>,
    /// Whether anything was ever booked, loaded or bound with a start date.
    used: AtomicBool,
    pub(crate) log: L,
}

impl<L: Log> Store<L> {
    /// An empty store logging to `log` (bind a layout before use).
    pub(crate) fn new(log: L) -> Self {
        Store {
            counters: Counters::default(),
            tickets: Bookings::default(),
            holds: Mutex::new(BTreeMap::new()),
            next_hold: AtomicU64::new(1),
            loads: Mutex::new(BTreeMap::new()),
            ratings: Vec::new(),
            layout: Layout::default(),
            start: None,
            used: AtomicBool::new(false),
            log,
        }
    }

    #[inline]
    pub(crate) fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.counters.offer_used(offer, day)
    }

    #[inline]
    pub(crate) fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.counters.outlet_used(outlet, day)
    }

    /// The layout bound last.
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    pub(crate) fn get(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        let found = self.tickets.get(ticket_id);
        if found.is_some() {
            // Never report a record that is not yet durable.
            self.log.wait(self.log.last())?;
        }
        Ok(found)
    }

    pub(crate) fn book(&self, r: &Request<'_>) -> Result<Booked> {
        let mut held;
        let (b, hold) = match r.booking.status {
            Status::Held { expires, .. } => {
                let h = self.next_hold.fetch_add(1, Ordering::Relaxed);
                held = r.booking;
                held.status = Status::Held { hold: h, expires };
                held.hold = Some(h);
                (&held, Some((h, expires)))
            }
            _ => {
                held = r.booking;
                held.hold = None;
                (&held, None)
            }
        };
        let (offer, outlet) = (b.offer as usize, b.outlet as usize);
        let done = self.tickets.insert_with(r.ticket_id, b, || {
            if !self
                .counters
                .try_add(offer, outlet, b.day, b.units, r.offer_limit, r.outlet_limit)
            {
                return Admit::Full;
            }
            match self.log.append(&Record::Book(r.ticket_id, b)) {
                Ok(seq) => Admit::Yes(seq),
                Err(e) => {
                    self.counters.sub(offer, outlet, b.day, b.units);
                    Admit::Failed(e)
                }
            }
        });
        match done {
            Insert::Exists(id, existing) => {
                self.log.wait(self.log.last())?;
                Ok(Booked::Existing(Box::new((id, existing))))
            }
            Insert::Done(Admit::Full) => Ok(Booked::Full),
            Insert::Done(Admit::Failed(e)) => Err(e),
            Insert::Done(Admit::Yes(seq)) => {
                if !self.used.load(Ordering::Relaxed) {
                    self.used.store(true, Ordering::Relaxed);
                }
                if let Some((h, expires)) = hold {
                    lock(&self.holds).insert(h, (r.ticket_id.clone(), Some(expires)));
                }
                self.log.wait(seq)?;
                Ok(Booked::New(hold.map(|h| h.0)))
            }
        }
    }

    /// Removes a booked or held record (logged first), returning its capacity.
    fn release_locked(&self, id: &SmolStr, b: &Booking) -> (Keep, Result<u64>) {
        match self.log.append(&Record::Release(id)) {
            Ok(seq) => {
                self.counters
                    .sub(b.offer as usize, b.outlet as usize, b.day, b.units);
                (Keep::No, Ok(seq))
            }
            Err(e) => (Keep::Yes, Err(e)),
        }
    }

    pub(crate) fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Confirmed> {
        let Some((ticket, _)) = lock(&self.holds).get(&hold).cloned() else {
            return Ok(Confirmed::Unknown);
        };
        // Under the ticket's lock: a concurrent confirm, release or expiry of the same
        // hold sees the other's outcome.
        let out = self.tickets.update_with(&ticket, |id, b| match b.status {
            Status::Held { hold: h, expires } if h == hold => {
                let before = *b;
                if now >= expires {
                    let (keep, seq) = self.release_locked(id, b);
                    (
                        keep,
                        seq.map(|s| (Some(s), Confirmed::Expired(id.clone(), before))),
                    )
                } else {
                    match self.log.append(&Record::Confirm(id)) {
                        Ok(s) => {
                            b.status = Status::Booked;
                            (
                                Keep::Yes,
                                Ok((Some(s), Confirmed::Confirmed(id.clone(), *b))),
                            )
                        }
                        Err(e) => (Keep::Yes, Err(e)),
                    }
                }
            }
            // Confirmed before: the same answer, nothing to record.
            Status::Booked if b.hold == Some(hold) => {
                (Keep::Yes, Ok((None, Confirmed::Confirmed(id.clone(), *b))))
            }
            _ => (Keep::Yes, Ok((None, Confirmed::Unknown))),
        });
        let (seq, c) = match out {
            Some(r) => r?,
            None => (None, Confirmed::Unknown),
        };
        {
            let mut holds = lock(&self.holds);
            match &c {
                Confirmed::Confirmed(..) => {
                    if let Some(e) = holds.get_mut(&hold) {
                        e.1 = None;
                    }
                }
                // Released, or a stale entry (the ticket booked again since).
                Confirmed::Expired(..) | Confirmed::Unknown => {
                    if holds.get(&hold).is_some_and(|e| e.0 == ticket) {
                        holds.remove(&hold);
                    }
                }
            }
        }
        match seq {
            Some(seq) => self.log.wait(seq)?,
            None => self.log.wait(self.log.last())?,
        }
        Ok(c)
    }

    pub(crate) fn release(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        let out = self.tickets.update_with(ticket_id, |id, b| {
            if b.status == Status::Completed {
                return (
                    Keep::Yes,
                    Err(Error::Conflict {
                        id: id.to_string(),
                        message:
                            "it is completed: its capacity stays used and it cannot be released"
                                .into(),
                    }),
                );
            }
            let before = *b;
            let (keep, seq) = self.release_locked(id, b);
            (keep, seq.map(|s| (s, id.clone(), before)))
        });
        let Some(out) = out else {
            return Ok(None);
        };
        let (seq, id, b) = out?;
        if let Some(h) = b.hold {
            lock(&self.holds).remove(&h);
        }
        self.log.wait(seq)?;
        Ok(Some((id, b)))
    }

    pub(crate) fn complete(&self, ticket_id: &str, rating_milli: Option<u32>) -> Result<Completed> {
        let out = self.tickets.update_with(ticket_id, |id, b| {
            match b.status {
                Status::Completed => {
                    return (Keep::Yes, Ok((None, Completed::Already(id.clone(), *b))))
                }
                Status::Held { hold, .. } => {
                    return (
                        Keep::Yes,
                        Err(Error::Conflict {
                            id: id.to_string(),
                            message: format!(
                                "it is held (hold {hold}): confirm the hold before completing"
                            ),
                        }),
                    )
                }
                Status::Booked => {}
            }
            match self.log.append(&Record::Complete(id, rating_milli)) {
                Ok(seq) => {
                    let hold = b.hold;
                    b.status = Status::Completed;
                    if let (Some(x), Some(r)) = (rating_milli, self.ratings.get(b.offer as usize)) {
                        r.0.fetch_add(u64::from(x), Ordering::Relaxed);
                        r.1.fetch_add(1, Ordering::Relaxed);
                    }
                    (
                        Keep::Yes,
                        Ok((Some((seq, hold)), Completed::Completed(id.clone(), *b))),
                    )
                }
                Err(e) => (Keep::Yes, Err(e)),
            }
        });
        let Some(out) = out else {
            return Ok(Completed::Unknown);
        };
        let (done, c) = out?;
        match done {
            Some((seq, hold)) => {
                if let Some(h) = hold {
                    lock(&self.holds).remove(&h);
                }
                self.log.wait(seq)?;
            }
            None => self.log.wait(self.log.last())?,
        }
        Ok(c)
    }

    pub(crate) fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<(SmolStr, Booking)>> {
        let due: Vec<u64> = lock(&self.holds)
            .iter()
            .filter(|(_, (_, e))| e.is_some_and(|e| e <= now))
            .map(|(h, _)| *h)
            .collect();
        let mut out = Vec::new();
        for h in due {
            // Through confirm's path: only a hold still held, and expired, is released.
            if let Confirmed::Expired(id, b) = self.confirm(h, now)? {
                out.push((id, b));
            }
        }
        Ok(out)
    }

    pub(crate) fn set_load(&self, offer: usize, day: u32, units: u32) -> Result<()> {
        let Some(&(outlet, _)) = self.layout.offers.get(offer) else {
            return Err(Error::argument(
                "load",
                format!("offer {offer} is not in the ledger's layout"),
            ));
        };
        if !self.counters.covers(day) {
            return Err(Error::argument(
                "load",
                format!("day {day} is outside the days the ledger counts"),
            ));
        }
        let outlet = outlet as usize;
        let key = (offer as u32, day);
        let mut loads = lock(&self.loads);
        let before = loads.get(&key).copied().unwrap_or(0);
        let record = Record::Load {
            offer: offer as u32,
            day,
            units,
        };
        let seq = if units >= before {
            self.counters.add(offer, outlet, day, units - before);
            match self.log.append(&record) {
                Ok(s) => s,
                Err(e) => {
                    self.counters.sub(offer, outlet, day, units - before);
                    return Err(e);
                }
            }
        } else {
            let s = self.log.append(&record)?;
            self.counters.sub(offer, outlet, day, before - units);
            s
        };
        if units == 0 {
            loads.remove(&key);
        } else {
            loads.insert(key, units);
        }
        drop(loads);
        self.used.store(true, Ordering::Relaxed);
        self.log.wait(seq)
    }

    /// Binds `layout`: translates records, loads and ratings from the layout bound
    /// before (by outlet id and skill name) and lays the counters out again.
    pub(crate) fn bind(&mut self, layout: &Layout) -> Result<Bound> {
        let fresh = !self.used.load(Ordering::Relaxed);
        let first = self.counters.first();
        let same = Layout {
            start: self.layout.start,
            ..layout.clone()
        } == self.layout;
        if same && !self.layout.offers.is_empty() {
            // Bound to this layout already (a restart on an unchanged network): the
            // records and counters are in its numbers, and the log has it.
            return Ok(Bound {
                fresh,
                start: self.start,
                first_day: first,
                ratings: self.ratings(),
            });
        }
        let map = translation(&self.layout, layout);
        // Check every record first: on error nothing changes. The least id is named.
        let mut missing: Option<(SmolStr, u32)> = None;
        self.tickets.for_each(|id, b| {
            if map.get(b.offer as usize).copied().flatten().is_none()
                && missing.as_ref().is_none_or(|(m, _)| id < m)
            {
                missing = Some((id.clone(), b.offer));
            }
        });
        if let Some((id, k)) = missing {
            let (o, s) = self
                .layout
                .offers
                .get(k as usize)
                .copied()
                .unwrap_or_default();
            let name = |v: &[SmolStr], i: u32| v.get(i as usize).cloned().unwrap_or_default();
            return Err(Error::argument(
                "network",
                format!(
                    "ticket '{id}' is booked on outlet '{}' skill '{}', which the new network \
                     lacks",
                    name(&self.layout.outlets, o),
                    name(&self.layout.skills, s)
                ),
            ));
        }
        if self.start.is_none() {
            self.start = layout.start;
        }
        let counters = Counters::new(
            layout.offers.len(),
            layout.outlets.len(),
            layout.days,
            first,
        );
        self.tickets.retain(|_, b| {
            if let Some(k) = map.get(b.offer as usize).copied().flatten() {
                b.offer = k;
                b.outlet = layout.offers.get(k as usize).map_or(b.outlet, |o| o.0);
                counters.add(k as usize, b.outlet as usize, b.day, b.units);
            }
            true
        });
        let loads = std::mem::take(&mut *lock(&self.loads));
        let mut moved = BTreeMap::new();
        for ((k, day), units) in loads {
            if let Some(Some(n)) = map.get(k as usize) {
                let o = layout.offers.get(*n as usize).map_or(0, |o| o.0);
                counters.add(*n as usize, o as usize, day, units);
                moved.insert((*n, day), units);
            }
        }
        *lock(&self.loads) = moved;
        let mut ratings: Vec<Rating> = (0..layout.offers.len())
            .map(|_| Rating::default())
            .collect();
        for (k, r) in self.ratings.iter().enumerate() {
            if let Some(Some(n)) = map.get(k) {
                if let Some(to) = ratings.get_mut(*n as usize) {
                    *to.0.get_mut() += r.0.load(Ordering::Relaxed);
                    *to.1.get_mut() += r.1.load(Ordering::Relaxed);
                }
            }
        }
        self.ratings = ratings;
        self.counters = counters;
        self.layout = layout.clone();
        self.layout.start = self.start;
        let seq = self.log.append(&Record::Layout(&self.layout))?;
        self.log.wait(seq)?;
        Ok(Bound {
            fresh,
            start: self.start,
            first_day: first,
            ratings: self.ratings(),
        })
    }

    pub(crate) fn roll(&mut self, first_day: u32) -> Result<()> {
        if first_day <= self.counters.first() {
            return Ok(());
        }
        let seq = self.log.append(&Record::Roll(first_day))?;
        self.counters.roll(first_day);
        // Records on dropped days are forgotten (their holds too).
        let mut dropped_holds = Vec::new();
        self.tickets.retain(|_, b| {
            let keep = b.day >= first_day;
            if let (false, Some(h)) = (keep, b.hold) {
                dropped_holds.push(h);
            }
            keep
        });
        let mut holds = lock(&self.holds);
        for h in dropped_holds {
            holds.remove(&h);
        }
        drop(holds);
        lock(&self.loads).retain(|&(_, day), _| day >= first_day);
        self.log.wait(seq)
    }

    /// The shard of a ticket id (see `Bookings::shard_of`).
    pub(crate) fn shard_of(id: &str) -> usize {
        Bookings::shard_of(id)
    }

    /// Makes room for about `n` more ticket records.
    pub(crate) fn reserve(&self, n: usize) {
        self.tickets.reserve(n);
    }

    /// Every record (for snapshots and tests), in no particular order.
    pub(crate) fn for_each(&self, f: impl FnMut(&SmolStr, &Booking)) {
        self.tickets.for_each(f)
    }

    /// Number of ticket records.
    pub(crate) fn len(&self) -> usize {
        self.tickets.len()
    }
}

/// Old offer number -> new offer number (by outlet id and skill name), for every offer
/// of `old`.
fn translation(old: &Layout, new: &Layout) -> Vec<Option<u32>> {
    if old.offers.is_empty() {
        return Vec::new();
    }
    let mut by_name: FxHashMap<(&str, &str), u32> = FxHashMap::default();
    for (k, &(o, s)) in new.offers.iter().enumerate() {
        if let (Some(o), Some(s)) = (new.outlets.get(o as usize), new.skills.get(s as usize)) {
            by_name.insert((o.as_str(), s.as_str()), k as u32);
        }
    }
    old.offers
        .iter()
        .map(|&(o, s)| {
            let o = old.outlets.get(o as usize)?;
            let s = old.skills.get(s as usize)?;
            by_name.get(&(o.as_str(), s.as_str())).copied()
        })
        .collect()
}

/// Replay and snapshots: the state restored as recorded (no limits, no log).
impl<L: Log> Store<L> {
    /// Puts a recorded booking back as it was, with its capacity and hold.
    pub(crate) fn restore_book(&self, id: &SmolStr, b: Booking) {
        let added = self.tickets.insert_with(id, &b, || {
            self.counters
                .add(b.offer as usize, b.outlet as usize, b.day, b.units);
            true
        });
        if matches!(added, Insert::Done(true)) {
            self.used.store(true, Ordering::Relaxed);
            let expires = match b.status {
                Status::Held { expires, .. } => Some(expires),
                _ => None,
            };
            // A completed booking's hold is spent.
            if let (Some(hold), false) = (b.hold, b.status == Status::Completed) {
                lock(&self.holds).insert(hold, (id.clone(), expires));
            }
            if let Some(hold) = b.hold {
                self.next_hold.fetch_max(hold + 1, Ordering::Relaxed);
            }
        }
    }

    /// Makes a recorded confirmation: the ticket's hold becomes a firm booking.
    pub(crate) fn restore_confirm(&self, id: &str) {
        let hold = self.tickets.update_with(id, |_, b| {
            let h = b.status.hold();
            if h.is_some() {
                b.status = Status::Booked;
            }
            (Keep::Yes, h)
        });
        if let Some(Some(h)) = hold {
            if let Some(e) = lock(&self.holds).get_mut(&h) {
                e.1 = None;
            }
        }
    }

    /// Adds recorded ratings to an offer.
    pub(crate) fn restore_rating(&self, offer: u32, milli: u64, count: u32) {
        if let Some(r) = self.ratings.get(offer as usize) {
            r.0.fetch_add(milli, Ordering::Relaxed);
            r.1.fetch_add(count, Ordering::Relaxed);
        }
    }

    /// The next hold id.
    pub(crate) fn next_hold(&self) -> u64 {
        self.next_hold.load(Ordering::Relaxed)
    }

    /// Raises the next hold id to `n`.
    pub(crate) fn raise_next_hold(&self, n: u64) {
        self.next_hold.fetch_max(n, Ordering::Relaxed);
    }

    /// The first day counted.
    pub(crate) fn first_day(&self) -> u32 {
        self.counters.first()
    }

    /// External loads: (offer, day) -> units.
    pub(crate) fn loads(&self) -> Vec<((u32, u32), u32)> {
        lock(&self.loads).iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// Ratings recorded per offer: (offer, sum x 1000, count), offers with any.
    pub(crate) fn ratings(&self) -> Vec<(u32, u64, u32)> {
        self.ratings
            .iter()
            .enumerate()
            .filter_map(|(k, r)| {
                let n = r.1.load(Ordering::Relaxed);
                (n > 0).then(|| (k as u32, r.0.load(Ordering::Relaxed), n))
            })
            .collect()
    }

    /// The same state, logging to `log` from now on.
    pub(crate) fn with_log<M: Log>(self, log: M) -> Store<M> {
        Store {
            counters: self.counters,
            tickets: self.tickets,
            holds: self.holds,
            next_hold: self.next_hold,
            loads: self.loads,
            ratings: self.ratings,
            layout: self.layout,
            start: self.start,
            used: self.used,
            log,
        }
    }
}
