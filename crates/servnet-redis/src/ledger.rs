//! The dispatcher's [`Ledger`] on Redis: every change one atomic script on the server,
//! the search on a local view of the loads.

use crate::error::Error as RedisError;
use crate::reply::{Change, Changes, State, StoredBooking};
use crate::store::{self, BookRequest, RedisStore, Since};
use crate::view::{Names, View};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use servnet_core::dispatch::{
    Booked, Booking, Bound, ClaimBasis, Completed, Confirmed, Layout, Ledger, NetworkChange,
    Request, Route, Status,
};
use servnet_core::{Error, Result};
use smol_str::SmolStr;
use std::sync::{Mutex, MutexGuard};

/// The most changes a reply brings a view (a view further behind catches up over the
/// next replies, or reloads once it is behind the log's start).
const CATCH_UP: u32 = 1024;

/// Days a layout may count (the policy bounds its horizon far below this).
const MAX_DAYS: u32 = 10_000;

/// A dispatcher's [`Ledger`] on Redis: several processes (on one machine or many) share
/// one capacity and never overbook it.
///
/// Redis is the authority on the counters per (outlet skill, day) and (outlet, day), on
/// each ticket id's booking and on holds; each [`Ledger`] call is one Lua script, atomic
/// on the server, in one round trip. Records name outlets by id, skills by name and days
/// by date, so processes whose networks number them differently (or a network changed
/// live) share them. The search reads this process's view of the loads, which every
/// reply updates from Redis's log of changes.
///
/// Every process on a namespace must count days from the same day 0: the first
/// dispatcher's start date is kept in Redis and wins; a dispatcher without a start date
/// on a namespace without one is refused at bind.
///
/// Ratings recorded by other processes reach this one's scores when it binds (at start
/// or after a network change), not live.
pub struct RedisLedger {
    store: RedisStore,
    /// URL (password masked) and namespace, for errors.
    name: String,
    layout: Layout,
    names: Names,
    start: NaiveDate,
    first: u32,
    /// YYYY-MM-DD of each day counted, from `first`.
    dates: Vec<String>,
    view: View,
    /// The last change of Redis's log applied to the view.
    seen: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is a few stores into the view: a panic cannot leave it
    // half-changed in a way that matters (the view is a cache).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn millis(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

fn from_millis(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// The dispatcher's part of a booking, as Redis keeps it for retries on any process:
/// `road load_ratio satisfaction preferred sla_met route claim` (floats in Rust's
/// shortest round-trip form, so a retry gets the same numbers bit for bit; `claim`: the
/// package claim's basis as [`ClaimBasis::to_bits`], absent in records written before
/// it was kept).
fn encode(b: &Booking) -> String {
    let route = match b.route {
        Route::Direct => "d".to_string(),
        Route::WiderRadius(f) => format!("w{f}"),
        Route::NextDay => "n".to_string(),
        Route::Escalated => "e".to_string(),
    };
    format!(
        "{} {} {} {} {} {route} {}",
        b.road,
        b.load_ratio,
        b.satisfaction,
        u8::from(b.preferred),
        u8::from(b.sla_met),
        ClaimBasis::to_bits(b.claim)
    )
}

/// The parts [`encode`] writes, read back.
struct Record {
    road: f64,
    load_ratio: f64,
    satisfaction: f64,
    preferred: bool,
    sla_met: bool,
    route: Route,
    claim: Option<ClaimBasis>,
}

/// The parts of [`encode`]'s text.
fn decode_record(s: &str) -> Option<Record> {
    let mut p = s.split(' ');
    let mut f = || p.next();
    let road = f()?.parse().ok()?;
    let load_ratio = f()?.parse().ok()?;
    let satisfaction = f()?.parse().ok()?;
    let preferred = f()? == "1";
    let sla_met = f()? == "1";
    let route = match f()? {
        "d" => Route::Direct,
        "n" => Route::NextDay,
        "e" => Route::Escalated,
        w => Route::WiderRadius(w.strip_prefix('w')?.parse().ok()?),
    };
    let claim = match f() {
        Some(bits) => ClaimBasis::from_bits(bits.parse().ok()?),
        None => None,
    };
    Some(Record {
        road,
        load_ratio,
        satisfaction,
        preferred,
        sla_met,
        route,
        claim,
    })
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl RedisLedger {
    /// Connects to the Redis a ledger URL names (see [`crate::RedisConfig`]); a
    /// dispatcher binds its layout to it ([`servnet_core::dispatch::Dispatcher::with_ledger`]).
    pub fn connect(url: &str) -> Result<Self> {
        let store = RedisStore::connect(url).map_err(|e| match e {
            RedisError::Url { url, message } => {
                Error::argument("ledger", format!("URL '{url}': {message}"))
            }
            e => Error::Ledger {
                store: crate::redact(url),
                message: e.to_string(),
            },
        })?;
        let c = store.config();
        let name = format!("{} (namespace '{}')", c.shown, c.namespace);
        Ok(RedisLedger {
            store,
            name,
            layout: Layout::default(),
            names: Names::default(),
            start: NaiveDate::default(),
            first: 0,
            dates: Vec::new(),
            view: View::default(),
            seen: Mutex::new(0),
        })
    }

    /// The store underneath (for tools and tests: reading records, clearing a namespace).
    pub fn store(&self) -> &RedisStore {
        &self.store
    }

    fn err(&self, e: RedisError) -> Error {
        Error::Ledger {
            store: self.name.clone(),
            message: e.to_string(),
        }
    }

    fn corrupt(&self, id: &str, what: String) -> Error {
        Error::Ledger {
            store: self.name.clone(),
            message: format!("ticket '{id}': {what}"),
        }
    }

    fn day_of(&self, date: &str) -> Option<u32> {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        u32::try_from((d - self.start).num_days()).ok()
    }

    fn date_of(&self, day: u32) -> Option<String> {
        match self.dates.get(day.wrapping_sub(self.first) as usize) {
            Some(d) => Some(d.clone()),
            None => self
                .start
                .checked_add_days(chrono::Days::new(u64::from(day)))
                .map(date_text),
        }
    }

    /// (skill, outlet id) of an offer number.
    fn offer_names(&self, offer: u32) -> Option<(&str, &str)> {
        let &(o, s) = self.layout.offers.get(offer as usize)?;
        Some((
            self.layout.skills.get(s as usize)?.as_str(),
            self.layout.outlets.get(o as usize)?.as_str(),
        ))
    }

    /// A record read back from Redis, in this dispatcher's numbers.
    fn decode(&self, id: &str, sb: &StoredBooking) -> Result<Booking> {
        let (offer, outlet) = self.names.offer(&sb.skill, &sb.outlet).ok_or_else(|| {
            self.corrupt(
                id,
                format!(
                    "booked on outlet '{}' skill '{}', which this dispatcher's network lacks",
                    sb.outlet, sb.skill
                ),
            )
        })?;
        let day = self.day_of(&sb.date).ok_or_else(|| {
            self.corrupt(
                id,
                format!("booked on {}, before day 0 {}", sb.date, self.start),
            )
        })?;
        let rec = decode_record(&sb.record).ok_or_else(|| {
            self.corrupt(id, format!("unreadable booking record '{}'", sb.record))
        })?;
        let status = match sb.state {
            State::Booked => Status::Booked,
            State::Done => Status::Completed,
            State::Held => Status::Held {
                hold: sb.hold,
                expires: sb
                    .hold_expiry_ms
                    .and_then(from_millis)
                    .ok_or_else(|| self.corrupt(id, "a hold without its expiry".into()))?,
            },
        };
        let content = sb.fingerprint.parse().map_err(|_| {
            self.corrupt(
                id,
                format!("unreadable content fingerprint '{}'", sb.fingerprint),
            )
        })?;
        Ok(Booking {
            offer,
            outlet,
            day,
            units: sb.units,
            road: rec.road,
            load_ratio: rec.load_ratio,
            satisfaction: rec.satisfaction,
            preferred: rec.preferred,
            sla_met: rec.sla_met,
            route: rec.route,
            status,
            hold: (sb.hold != 0).then_some(sb.hold),
            content,
            claim: rec.claim,
        })
    }

    /// The change number to ask from, and how many to take.
    fn since(&self) -> Since {
        Since {
            after: *lock(&self.seen),
            max: CATCH_UP,
        }
    }

    /// Applies a reply's changes to the view, in log order, each once.
    fn apply(&self, ch: &Changes) -> Result<()> {
        self.apply_with(ch, None)
    }

    /// [`Self::apply`], then a booking reply's own counters (`b`'s offer and outlet, as of
    /// change `ch.last`), unless the view already holds a later state: another thread's
    /// newer reply may have been applied first, and the view must not go back.
    fn apply_with(&self, ch: &Changes, counters: Option<(&Booking, u32, u32)>) -> Result<()> {
        let mut seen = lock(&self.seen);
        let Some(after) = ch.after else {
            // Behind the log's start (or Redis lost changes): read the loads afresh.
            return self.reload(&mut seen);
        };
        // after > seen: changes between are missing here (another thread's reply
        // brings them).
        if after <= *seen {
            let skip = (*seen - after) as usize;
            for c in ch.entries.iter().skip(skip) {
                if let Change::Load {
                    date,
                    skill,
                    outlet,
                    offer_used,
                    outlet_used,
                } = c
                {
                    let Some(day) = self.day_of(date) else {
                        continue;
                    };
                    if skill.is_empty() {
                        if let Some(o) = self.names.outlet(outlet) {
                            self.view.set_outlet(o, day, *outlet_used);
                        }
                    } else if let Some((k, o)) = self.names.offer(skill, outlet) {
                        self.view.set(Some(k), o, day, *offer_used, *outlet_used);
                    } else if let Some(o) = self.names.outlet(outlet) {
                        self.view.set(None, o, day, 0, *outlet_used);
                    }
                }
            }
            *seen = (*seen).max(after + ch.entries.len() as u64);
        }
        if let (Some((b, offer_used, outlet_used)), true) = (counters, *seen <= ch.last) {
            self.view
                .set(Some(b.offer), b.outlet, b.day, offer_used, outlet_used);
        }
        Ok(())
    }

    /// Reads every counted day's loads at one instant into the view.
    fn reload(&self, seen: &mut u64) -> Result<()> {
        let snap = self.store.snapshot(&self.dates).map_err(|e| self.err(e))?;
        for (i, day_loads) in snap.loads.iter().enumerate() {
            let day = self.first + i as u32;
            for (skill, outlet, units) in day_loads {
                if skill.is_empty() {
                    if let Some(o) = self.names.outlet(outlet) {
                        self.view.set_outlet(o, day, *units);
                    }
                } else if let Some((k, o)) = self.names.offer(skill, outlet) {
                    let b = self.view.outlet_used(o as usize, day);
                    self.view.set(Some(k), o, day, *units, b);
                }
            }
        }
        *seen = snap.last;
        Ok(())
    }
}

impl Ledger for RedisLedger {
    #[inline]
    fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.view.offer_used(offer, day)
    }

    #[inline]
    fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.view.outlet_used(outlet, day)
    }

    fn get(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        let (found, changes) = self
            .store
            .lookup(ticket_id, self.since())
            .map_err(|e| self.err(e))?;
        self.apply(&changes)?;
        match found {
            Some(sb) => Ok(Some((
                SmolStr::new(ticket_id),
                self.decode(ticket_id, &sb)?,
            ))),
            None => Ok(None),
        }
    }

    fn record_changes(&self, seen: u64, changes: &[NetworkChange]) -> Result<()> {
        let json = serde_json::to_string(changes).map_err(|e| Error::Ledger {
            store: self.name.clone(),
            message: format!("cannot write the network changes as JSON: {e}"),
        })?;
        match self.store.record_network(seen, &json) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(n)) => Err(Error::NetworkConflict {
                message: format!(
                    "another process recorded network change list {} first (this dispatcher \
                     has applied {seen}): nothing changed; send the changes again",
                    n.max(seen + 1)
                ),
            }),
            Err(e) => Err(self.err(e)),
        }
    }

    fn network_changes_from(&self, from: u64) -> Result<Vec<Vec<NetworkChange>>> {
        let lists = self.store.network_from(from).map_err(|e| self.err(e))?;
        lists
            .iter()
            .enumerate()
            .map(|(i, json)| {
                serde_json::from_str::<Vec<NetworkChange>>(json).map_err(|e| Error::Ledger {
                    store: self.name.clone(),
                    message: format!(
                        "network change list {} is not a list of changes this servnet reads: {e}",
                        from + i as u64 + 1
                    ),
                })
            })
            .collect()
    }

    fn network_changes_behind(&self, seen: u64) -> Result<bool> {
        Ok(self.store.network_len().map_err(|e| self.err(e))? > seen)
    }

    fn refresh(&self) -> Result<()> {
        // Up to CATCH_UP changes a round trip; a view further behind reloads (apply).
        for _ in 0..64 {
            let ch = self.store.changes(self.since()).map_err(|e| self.err(e))?;
            self.apply(&ch)?;
            if ch.after.is_none() || *lock(&self.seen) >= ch.last {
                break;
            }
        }
        Ok(())
    }

    fn book(&self, r: &Request<'_>) -> Result<Booked> {
        let b = r.booking;
        let (Some((skill, outlet)), true) = (
            self.offer_names(b.offer),
            b.day.wrapping_sub(self.first) < self.layout.days,
        ) else {
            // Not an offer of the layout, or a day not counted: nothing can be booked.
            return Ok(Booked::Full);
        };
        let Some(date) = self.dates.get((b.day - self.first) as usize) else {
            return Ok(Booked::Full);
        };
        let record = encode(&b);
        let content = b.content.to_string();
        let req = BookRequest {
            ticket: r.ticket_id,
            skill,
            outlet,
            date,
            units: b.units,
            offer_limit: r.offer_limit,
            outlet_limit: r.outlet_limit,
            record: &record,
            fingerprint: &content,
            hold_expiry_ms: match b.status {
                Status::Held { expires, .. } => Some(millis(expires)),
                _ => None,
            },
        };
        let (booked, changes) = self
            .store
            .book(&req, self.since())
            .map_err(|e| self.err(e))?;
        match booked {
            store::Booked::New {
                hold,
                offer_used,
                outlet_used,
            } => {
                self.apply_with(&changes, Some((&b, offer_used, outlet_used)))?;
                Ok(Booked::New(
                    matches!(b.status, Status::Held { .. }).then_some(hold),
                ))
            }
            store::Booked::Full {
                offer_used,
                outlet_used,
            } => {
                self.apply_with(&changes, Some((&b, offer_used, outlet_used)))?;
                Ok(Booked::Full)
            }
            store::Booked::Existing(sb) => {
                self.apply(&changes)?;
                Ok(Booked::Existing(Box::new((
                    r.ticket_id.clone(),
                    self.decode(r.ticket_id, &sb)?,
                ))))
            }
        }
    }

    fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Confirmed> {
        let (c, changes) = self
            .store
            .confirm(hold, millis(now), self.since())
            .map_err(|e| self.err(e))?;
        self.apply(&changes)?;
        Ok(match c {
            store::Confirmed::Unknown => Confirmed::Unknown,
            store::Confirmed::Firm(t, sb) => {
                let b = self.decode(&t, &sb)?;
                Confirmed::Confirmed(SmolStr::new(t), b)
            }
            store::Confirmed::Expired(t, sb) => {
                let b = self.decode(&t, &sb)?;
                Confirmed::Expired(SmolStr::new(t), b)
            }
        })
    }

    fn release(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        let (r, changes) = self
            .store
            .release(ticket_id, self.since())
            .map_err(|e| self.err(e))?;
        self.apply(&changes)?;
        match r {
            store::Released::Unknown => Ok(None),
            store::Released::Completed(_) => Err(Error::Conflict {
                id: ticket_id.to_string(),
                message: "it is completed; a completed booking cannot be released".into(),
            }),
            store::Released::Now(sb) => Ok(Some((
                SmolStr::new(ticket_id),
                self.decode(ticket_id, &sb)?,
            ))),
        }
    }

    fn complete(&self, ticket_id: &str, rating_milli: Option<u32>) -> Result<Completed> {
        let (c, changes) = self
            .store
            .complete(ticket_id, rating_milli.unwrap_or(0), self.since())
            .map_err(|e| self.err(e))?;
        self.apply(&changes)?;
        let id = || SmolStr::new(ticket_id);
        Ok(match c {
            store::Completed::Unknown => Completed::Unknown,
            store::Completed::Before(sb) => Completed::Already(id(), self.decode(ticket_id, &sb)?),
            store::Completed::Held(sb) => {
                return Err(Error::Conflict {
                    id: ticket_id.to_string(),
                    message: format!(
                        "it is held (hold {}): confirm the hold before completing",
                        sb.hold
                    ),
                })
            }
            store::Completed::Now(sb, _) => {
                Completed::Completed(id(), self.decode(ticket_id, &sb)?)
            }
        })
    }

    fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<(SmolStr, Booking)>> {
        let (gone, changes) = self
            .store
            .expire(millis(now), self.since())
            .map_err(|e| self.err(e))?;
        self.apply(&changes)?;
        let mut out = gone
            .iter()
            .map(|(t, sb)| Ok((SmolStr::new(t), self.decode(t, sb)?)))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|(_, b)| b.status.hold());
        Ok(out)
    }

    fn set_load(&self, offer: usize, day: u32, units: u32) -> Result<()> {
        let Some((skill, outlet)) = u32::try_from(offer).ok().and_then(|k| self.offer_names(k))
        else {
            return Err(Error::argument(
                "load",
                format!("offer {offer} is not in the ledger's layout"),
            ));
        };
        if day.wrapping_sub(self.first) >= self.layout.days {
            return Err(Error::argument(
                "load",
                format!("day {day} is outside the days the ledger counts"),
            ));
        }
        let Some(date) = self.dates.get((day - self.first) as usize) else {
            return Err(Error::argument(
                "load",
                format!("day {day} is outside the days the ledger counts"),
            ));
        };
        let (a, b) = self
            .store
            .set_load(skill, outlet, date, units)
            .map_err(|e| self.err(e))?;
        if let Some(&(o, _)) = self.layout.offers.get(offer) {
            self.view.set(Some(offer as u32), o, day, a, b);
        }
        Ok(())
    }

    fn bind(&mut self, layout: &Layout) -> Result<Bound> {
        if layout.days == 0 || layout.days > MAX_DAYS {
            return Err(Error::argument(
                "horizon_days",
                format!(
                    "a Redis ledger counts 1..={MAX_DAYS} days, got {}",
                    layout.days
                ),
            ));
        }
        let asked = layout.start.map(date_text);
        let (start, first, fresh) = self.store.open(asked.as_deref()).map_err(|e| self.err(e))?;
        let start = match start {
            Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| Error::Ledger {
                store: self.name.clone(),
                message: format!("day 0 is stored as '{s}': {e}"),
            })?,
            None => {
                return Err(Error::argument(
                    "start_date",
                    format!(
                        "a Redis ledger needs day 0 so that every process counts the same \
                         days: set the policy's start_date (namespace '{}' has none yet)",
                        self.store.config().namespace
                    ),
                ))
            }
        };
        self.start = start;
        self.layout = layout.clone();
        self.layout.start = Some(start);
        self.names = Names::new(layout);
        self.rebuild(first)?;
        // Ratings added by completions, in this layout's numbers.
        let snap = self.store.snapshot(&[]).map_err(|e| self.err(e))?;
        let mut ratings: Vec<(u32, u64, u32)> = snap
            .ratings
            .iter()
            .filter_map(|(s, o, milli, n)| {
                let (k, _) = self.names.offer(s, o)?;
                Some((k, *milli, u32::try_from(*n).unwrap_or(u32::MAX)))
            })
            .collect();
        ratings.sort_unstable();
        Ok(Bound {
            fresh,
            start: Some(start),
            first_day: first,
            ratings,
        })
    }

    fn local_reads(&self) -> bool {
        false
    }

    fn roll(&mut self, first_day: u32) -> Result<()> {
        if first_day <= self.first {
            return Ok(());
        }
        // Only days this ledger counted can hold its bookings.
        let last = first_day.min(self.first.saturating_add(self.layout.days));
        for day in self.first..last {
            if let Some(date) = self.date_of(day) {
                self.store
                    .drop_day(&date, first_day)
                    .map_err(|e| self.err(e))?;
            }
        }
        self.rebuild(first_day)
    }
}

impl RedisLedger {
    /// Lays the view out for the days from `first` and reads their loads.
    fn rebuild(&mut self, first: u32) -> Result<()> {
        self.first = first;
        self.dates = (0..self.layout.days)
            .map(|i| {
                self.start
                    .checked_add_days(chrono::Days::new(u64::from(first) + u64::from(i)))
                    .map(date_text)
                    .ok_or_else(|| {
                        Error::argument("start_date", format!("day {} is out of range", first + i))
                    })
            })
            .collect::<Result<_>>()?;
        self.view = View::new(
            self.layout.offers.len(),
            self.layout.outlets.len(),
            self.layout.days,
            first,
        );
        let mut seen = 0;
        self.reload(&mut seen)?;
        *lock(&self.seen) = seen;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use servnet_core::model::{CustomerTier, Tier};

    /// The record Redis keeps reads back with every part, the package claim's basis
    /// included; a record written before the basis was kept reads with none.
    #[test]
    fn records_read_back_with_their_claim_basis() {
        let b = Booking {
            offer: 1,
            outlet: 0,
            day: 0,
            units: 1,
            road: 0.1 + 0.2,
            load_ratio: 2.0 / 3.0,
            satisfaction: 4.25,
            preferred: true,
            sla_met: false,
            route: Route::WiderRadius(1.5),
            status: Status::Booked,
            hold: None,
            content: 7,
            claim: Some(ClaimBasis {
                region_tier: Tier::B,
                customer_tier: CustomerTier::Vip,
                emergency: false,
            }),
        };
        let r = decode_record(&encode(&b)).unwrap_or_else(|| panic!("{}", encode(&b)));
        assert_eq!(
            (r.road, r.load_ratio, r.satisfaction, r.preferred, r.sla_met),
            (b.road, b.load_ratio, b.satisfaction, b.preferred, b.sla_met)
        );
        assert_eq!((r.route, r.claim), (b.route, b.claim));
        let old = decode_record("1.5 0.25 4 0 1 d").unwrap_or_else(|| panic!("old record"));
        assert_eq!((old.route, old.claim), (Route::Direct, None));
        assert!(decode_record("1.5 0.25 4 0 1 d x").is_none());
    }
}
