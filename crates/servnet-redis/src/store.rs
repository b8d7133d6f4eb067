//! The ledger's operations on Redis, each one atomic script call (one round trip, plus
//! one to load the script after Redis restarted).

use crate::config::RedisConfig;
use crate::error::{Error, Result};
use crate::keys::{offer_field, Keys};
use crate::pool::Pool;
use crate::reply::{self, array, int, text, Changes, StoredBooking};
use redis::{Script, Value};

const PRELUDE: &str = include_str!("lua/prelude.lua");

/// Holds released per `expire` script call (each call is one short atomic step).
const EXPIRE_BATCH: u32 = 1000;

struct Scripts {
    book: Script,
    release: Script,
    confirm: Script,
    expire: Script,
    complete: Script,
    snapshot: Script,
    get: Script,
    changes: Script,
    load: Script,
    open: Script,
    roll: Script,
    network: Script,
}

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

impl Scripts {
    fn new() -> Self {
        Scripts {
            book: script(include_str!("lua/book.lua")),
            release: script(include_str!("lua/release.lua")),
            confirm: script(include_str!("lua/confirm.lua")),
            expire: script(include_str!("lua/expire.lua")),
            complete: script(include_str!("lua/complete.lua")),
            snapshot: script(include_str!("lua/snapshot.lua")),
            get: script(include_str!("lua/get.lua")),
            changes: script(include_str!("lua/changes.lua")),
            load: script(include_str!("lua/load.lua")),
            open: script(include_str!("lua/open.lua")),
            roll: script(include_str!("lua/roll.lua")),
            network: script(include_str!("lua/network.lua")),
        }
    }
}

/// The change a caller's view has seen last, and how many newer ones it takes in a
/// reply (0: none, e.g. when it caught up a moment ago).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Since {
    /// The last change number applied.
    pub after: u64,
    /// The most changes to return.
    pub max: u32,
}

/// One booking step: book `units` of `skill` at `outlet` on `date` for `ticket`, if the
/// ticket id is new and both counters stay within their limits.
#[derive(Debug, Clone, Copy)]
pub struct BookRequest<'a> {
    /// The ticket id.
    pub ticket: &'a str,
    /// The outlet skill's skill (`kind:category`).
    pub skill: &'a str,
    /// The outlet's id.
    pub outlet: &'a str,
    /// The day, YYYY-MM-DD.
    pub date: &'a str,
    /// Units to book.
    pub units: u32,
    /// The outlet skill's capacity that day.
    pub offer_limit: u32,
    /// The outlet's capacity that day (all skills).
    pub outlet_limit: u32,
    /// The dispatcher's record of the booking, returned as is to any retry.
    pub record: &'a str,
    /// A fingerprint of the ticket's content.
    pub fingerprint: &'a str,
    /// A hold's expiry in ms on the caller's clock; None: a firm booking.
    pub hold_expiry_ms: Option<i64>,
}

/// What a booking step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Booked {
    /// Booked; the counters after it, and the hold's id (0: firm).
    New {
        /// The hold's id, 0 for a firm booking.
        hold: u64,
        /// Units booked on the outlet skill that day, this booking included.
        offer_used: u32,
        /// Units booked on the outlet that day, this booking included.
        outlet_used: u32,
    },
    /// Nothing booked: the units would pass a limit; the counters as they are.
    Full {
        /// Units booked on the outlet skill that day.
        offer_used: u32,
        /// Units booked on the outlet that day.
        outlet_used: u32,
    },
    /// Nothing booked: the ticket id has a booking already (a retry, from any process).
    Existing(StoredBooking),
}

/// What confirming a hold did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// No such hold (unknown, released, expired and released, or confirmed before).
    Unknown,
    /// The hold had expired: its units are returned. (ticket id, the booking it was)
    Expired(String, StoredBooking),
    /// The hold is now a firm booking. (ticket id, the booking)
    Firm(String, StoredBooking),
}

/// What releasing a booking did.
#[derive(Debug, Clone, PartialEq)]
pub enum Released {
    /// No booking of that ticket id.
    Unknown,
    /// Completed: a completed booking is kept (nothing changed).
    Completed(StoredBooking),
    /// Released now (the booking as it was).
    Now(StoredBooking),
}

/// What completing a booking did.
#[derive(Debug, Clone, PartialEq)]
pub enum Completed {
    /// No booking of that ticket id.
    Unknown,
    /// Completed before: nothing changed.
    Before(StoredBooking),
    /// Held: refused (confirm the hold first); nothing changed.
    Held(StoredBooking),
    /// Completed now; with a rating, the outlet skill's ratings added by completions
    /// (sum in milli-points, count).
    Now(StoredBooking, Option<(u64, u64)>),
}

/// The shared loads and ratings at one instant, to build a view from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// The newest change number included.
    pub last: u64,
    /// (skill, outlet, milli-points added, count added) per rated outlet skill.
    pub ratings: Vec<(String, String, u64, u64)>,
    /// Per date asked for: (skill, outlet, units); skill "" is the outlet-wide counter.
    pub loads: Vec<Vec<(String, String, u32)>>,
}

/// The ledger's operations on one Redis namespace. `Send + Sync`: share it between
/// threads; each call takes a pooled connection.
pub struct RedisStore {
    config: RedisConfig,
    pool: Pool,
    keys: Keys,
    scripts: Scripts,
}

const ADVICE_BOOK: &str =
    "dispatch the same ticket id again: it returns the booking if one was made";
const ADVICE_READ: &str = "read the ticket's booking to see where it stands";
const ADVICE_AGAIN: &str = "call it again: it only does what is still to do";
const ADVICE_READ_NETWORK: &str =
    "the list may have been recorded: every dispatcher on the namespace applies recorded lists \
     within a second, so check the network before sending it again";

impl RedisStore {
    /// Connects to the Redis a ledger URL names (see [`RedisConfig`]) and checks that it
    /// answers.
    pub fn connect(url: &str) -> Result<Self> {
        let config = RedisConfig::parse(url)?;
        let pool = Pool::new(&config)?;
        let store = RedisStore {
            keys: Keys::new(&config.namespace),
            config,
            pool,
            scripts: Scripts::new(),
        };
        store.ping()?;
        Ok(store)
    }

    /// The ledger's configuration.
    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Counts the requests this store sent to Redis (one round trip each, except the
    /// few that load a script into a Redis that restarted).
    pub fn request_counter(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        std::sync::Arc::clone(&self.pool.requests)
    }

    /// Asks Redis to answer (PING).
    pub fn ping(&self) -> Result<()> {
        let op = || "checking the connection (PING)".to_string();
        self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
            redis::cmd("PING").query::<()>(c)
        })
    }

    fn unexpected(&self, op: &dyn Fn() -> String, v: &Value) -> Error {
        let mut shown = format!("{v:?}");
        shown.truncate(200);
        Error::Reply {
            addr: self.pool.addr.clone(),
            op: op(),
            message: format!(
                "expected a servnet ledger reply, got {shown} (is another program using \
                 namespace '{}'?)",
                self.config.namespace
            ),
        }
    }

    /// Splits a script's {status, payload, changes} reply.
    fn parts<'v>(
        &self,
        op: &dyn Fn() -> String,
        v: &'v Value,
    ) -> Result<(&'v str, &'v [Value], Changes)> {
        let parsed = array(v).and_then(|a| match a {
            [s, p, c] => Some((text(s)?, array(p)?, reply::changes(c)?)),
            _ => None,
        });
        parsed.ok_or_else(|| self.unexpected(op, v))
    }

    /// One atomic booking step (see [`BookRequest`]); with it, the changes since `since`.
    pub fn book(&self, r: &BookRequest<'_>, since: Since) -> Result<(Booked, Changes)> {
        let op = || format!("booking ticket '{}'", r.ticket);
        let field = offer_field(r.skill, r.outlet);
        let expiry = r
            .hold_expiry_ms
            .map(|ms| ms.to_string())
            .unwrap_or_default();
        let mut call = self.scripts.book.prepare_invoke();
        call.key(self.keys.ticket(r.ticket))
            .key(self.keys.loads(r.date))
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .key(&self.keys.holds)
            .key(&self.keys.hold_ids)
            .key(&self.keys.hold_seq)
            .key(self.keys.day(r.date))
            .arg(r.ticket)
            .arg(&field)
            .arg(r.units)
            .arg(r.offer_limit)
            .arg(r.outlet_limit)
            .arg(r.date)
            .arg(r.record)
            .arg(r.fingerprint)
            .arg(expiry)
            .arg(since.after)
            .arg(since.max)
            .arg(self.config.log_keep);
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_BOOK, &mut |c| call.invoke(c))?;
        let (status, payload, changes) = self.parts(&op, &v)?;
        let counts = || -> Option<Vec<u32>> {
            payload
                .iter()
                .map(|x| u32::try_from(int(x)?).ok())
                .collect()
        };
        let booked = match (status, counts().as_deref()) {
            ("ok", Some(&[hold, a, b])) => Booked::New {
                hold: u64::from(hold),
                offer_used: a,
                outlet_used: b,
            },
            ("full", Some(&[a, b])) => Booked::Full {
                offer_used: a,
                outlet_used: b,
            },
            ("dup", _) => {
                Booked::Existing(reply::booking(payload).ok_or_else(|| self.unexpected(&op, &v))?)
            }
            _ => return Err(self.unexpected(&op, &v)),
        };
        Ok((booked, changes))
    }

    /// Cancels a ticket's booking (not a completed one) and returns its units.
    pub fn release(&self, ticket: &str, since: Since) -> Result<(Released, Changes)> {
        let op = || format!("releasing ticket '{ticket}'");
        let mut call = self.scripts.release.prepare_invoke();
        call.key(self.keys.ticket(ticket))
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .key(&self.keys.holds)
            .key(&self.keys.hold_ids)
            .arg(ticket)
            .arg(&self.keys.prefix)
            .arg(since.after)
            .arg(since.max)
            .arg(self.config.log_keep);
        let v: Value = self
            .pool
            .run(&op, false, ADVICE_READ, &mut |c| call.invoke(c))?;
        let (status, payload, changes) = self.parts(&op, &v)?;
        let b = || reply::booking(payload).ok_or_else(|| self.unexpected(&op, &v));
        let out = match status {
            "none" => Released::Unknown,
            "done" => Released::Completed(b()?),
            "ok" => Released::Now(b()?),
            _ => return Err(self.unexpected(&op, &v)),
        };
        Ok((out, changes))
    }

    /// Confirms hold `hold` at `now_ms` (ms on the caller's clock).
    pub fn confirm(&self, hold: u64, now_ms: i64, since: Since) -> Result<(Confirmed, Changes)> {
        let op = || format!("confirming hold {hold}");
        let mut call = self.scripts.confirm.prepare_invoke();
        call.key(&self.keys.hold_ids)
            .key(&self.keys.holds)
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .arg(hold)
            .arg(now_ms)
            .arg(&self.keys.prefix)
            .arg(since.after)
            .arg(since.max)
            .arg(self.config.log_keep);
        let v: Value = self
            .pool
            .run(&op, false, ADVICE_READ, &mut |c| call.invoke(c))?;
        let (status, payload, changes) = self.parts(&op, &v)?;
        let with_ticket = || -> Option<(String, StoredBooking)> {
            let (t, rest) = payload.split_first()?;
            Some((text(t)?.to_string(), reply::booking(rest)?))
        };
        let out = match status {
            "none" => Confirmed::Unknown,
            "expired" | "ok" => {
                let (t, b) = with_ticket().ok_or_else(|| self.unexpected(&op, &v))?;
                if status == "ok" {
                    Confirmed::Firm(t, b)
                } else {
                    Confirmed::Expired(t, b)
                }
            }
            _ => return Err(self.unexpected(&op, &v)),
        };
        Ok((out, changes))
    }

    /// Releases every hold that expired at or before `now_ms` (in batches of atomic
    /// steps); returns them as they were, and the changes since `since`.
    pub fn expire(
        &self,
        now_ms: i64,
        since: Since,
    ) -> Result<(Vec<(String, StoredBooking)>, Changes)> {
        let op = || format!("releasing holds expired by {now_ms} ms");
        let mut done = Vec::new();
        let mut all: Option<Changes> = None;
        let mut since = since;
        loop {
            let mut call = self.scripts.expire.prepare_invoke();
            call.key(&self.keys.holds)
                .key(&self.keys.hold_ids)
                .key(&self.keys.log)
                .key(&self.keys.seq)
                .arg(now_ms)
                .arg(EXPIRE_BATCH)
                .arg(&self.keys.prefix)
                .arg(since.after)
                .arg(since.max)
                .arg(self.config.log_keep);
            let v: Value = self
                .pool
                .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
            let (status, payload, changes) = self.parts(&op, &v)?;
            let ids: Option<Vec<(String, StoredBooking)>> = payload
                .iter()
                .map(|x| {
                    let (t, rest) = array(x)?.split_first()?;
                    Some((text(t)?.to_string(), reply::booking(rest)?))
                })
                .collect();
            let (true, Some(ids)) = (status == "ok", ids) else {
                return Err(self.unexpected(&op, &v));
            };
            let n = ids.len();
            done.extend(ids);
            // Batches' changes follow one another: the next asks from where this ends.
            since.after = changes
                .after
                .map_or(since.after, |a| a + changes.entries.len() as u64);
            all = Some(match all {
                None => changes,
                Some(mut all) => {
                    all.last = changes.last;
                    all.after = all.after.filter(|_| changes.after.is_some());
                    all.entries.extend(changes.entries);
                    all
                }
            });
            if n < EXPIRE_BATCH as usize {
                return Ok((done, all.unwrap_or_default()));
            }
        }
    }

    /// Marks a ticket's booking done, adding `rating_milli` (0: no rating) to its outlet
    /// skill's ratings.
    pub fn complete(
        &self,
        ticket: &str,
        rating_milli: u32,
        since: Since,
    ) -> Result<(Completed, Changes)> {
        let op = || format!("completing ticket '{ticket}'");
        let mut call = self.scripts.complete.prepare_invoke();
        call.key(self.keys.ticket(ticket))
            .key(&self.keys.ratings)
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .key(&self.keys.holds)
            .key(&self.keys.hold_ids)
            .arg(ticket)
            .arg(rating_milli)
            .arg(since.after)
            .arg(since.max)
            .arg(self.config.log_keep);
        let v: Value = self
            .pool
            .run(&op, false, ADVICE_READ, &mut |c| call.invoke(c))?;
        let (status, payload, changes) = self.parts(&op, &v)?;
        let b = || reply::booking(payload).ok_or_else(|| self.unexpected(&op, &v));
        let out = match status {
            "none" => Completed::Unknown,
            "done" => Completed::Before(b()?),
            "held" => Completed::Held(b()?),
            "ok" => {
                let total = payload.get(8).and_then(text).and_then(|t| {
                    let (m, n) = t.split_once(' ')?;
                    Some((m.parse().ok()?, n.parse().ok()?))
                });
                Completed::Now(b()?, total)
            }
            _ => return Err(self.unexpected(&op, &v)),
        };
        Ok((out, changes))
    }

    /// The booking Redis holds for a ticket id, if any, and the changes since `since`.
    pub fn lookup(&self, ticket: &str, since: Since) -> Result<(Option<StoredBooking>, Changes)> {
        let op = || format!("reading ticket '{ticket}'");
        let mut call = self.scripts.get.prepare_invoke();
        call.key(self.keys.ticket(ticket))
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .arg(since.after)
            .arg(since.max);
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
        let (status, payload, changes) = self.parts(&op, &v)?;
        let out = match status {
            "none" => None,
            "ok" => Some(reply::booking(payload).ok_or_else(|| self.unexpected(&op, &v))?),
            _ => return Err(self.unexpected(&op, &v)),
        };
        Ok((out, changes))
    }

    /// The changes since `since` (up to `since.max`), to bring a view up to date.
    pub fn changes(&self, since: Since) -> Result<Changes> {
        let op = || "reading the latest changes".to_string();
        let mut call = self.scripts.changes.prepare_invoke();
        call.key(&self.keys.log)
            .key(&self.keys.seq)
            .arg(since.after)
            .arg(since.max);
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
        let (status, _, changes) = self.parts(&op, &v)?;
        if status != "ok" {
            return Err(self.unexpected(&op, &v));
        }
        Ok(changes)
    }

    /// The booking Redis holds for a ticket id, if any.
    pub fn booking(&self, ticket: &str) -> Result<Option<StoredBooking>> {
        let op = || format!("reading ticket '{ticket}'");
        let key = self.keys.ticket(ticket);
        let v: Value = self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
            redis::cmd("HMGET")
                .arg(&key)
                .arg(&["f", "d", "u", "b", "c", "h", "x", "s"])
                .query(c)
        })?;
        let fields = array(&v).ok_or_else(|| self.unexpected(&op, &v))?;
        if fields.first().is_none_or(|f| matches!(f, Value::Nil)) {
            return Ok(None);
        }
        reply::booking(fields)
            .map(Some)
            .ok_or_else(|| self.unexpected(&op, &v))
    }

    /// The loads of `dates` (YYYY-MM-DD) and the ratings added, at one instant.
    pub fn snapshot(&self, dates: &[String]) -> Result<Snapshot> {
        let op = || format!("reading the loads of {} day(s)", dates.len());
        let mut call = self.scripts.snapshot.prepare_invoke();
        call.key(&self.keys.seq).key(&self.keys.ratings);
        for d in dates {
            call.key(self.keys.loads(d));
        }
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
        let parsed = || -> Option<Snapshot> {
            let a = array(&v)?;
            let (last, rest) = a.split_first()?;
            let (ratings, days) = rest.split_first()?;
            let pairs = |v: &Value| -> Option<Vec<(String, String, String)>> {
                array(v)?
                    .chunks(2)
                    .map(|p| {
                        let [f, x] = p else { return None };
                        let (s, o) = crate::keys::split_field(text(f)?)?;
                        Some((s.to_string(), o.to_string(), text(x)?.to_string()))
                    })
                    .collect()
            };
            Some(Snapshot {
                last: u64::try_from(int(last)?).ok()?,
                ratings: pairs(ratings)?
                    .into_iter()
                    .map(|(s, o, x)| {
                        let (m, n) = x.split_once(' ')?;
                        Some((s, o, m.parse().ok()?, n.parse().ok()?))
                    })
                    .collect::<Option<_>>()?,
                loads: days
                    .iter()
                    .map(|d| {
                        pairs(d)?
                            .into_iter()
                            .map(|(s, o, x)| Some((s, o, x.parse().ok()?)))
                            .collect()
                    })
                    .collect::<Option<_>>()?,
            })
        };
        parsed().ok_or_else(|| self.unexpected(&op, &v))
    }

    /// Sets the units committed outside servnet on an outlet skill for `date` (SET: the
    /// counters move by the difference); returns the counters after it.
    pub fn set_load(
        &self,
        skill: &str,
        outlet: &str,
        date: &str,
        units: u32,
    ) -> Result<(u32, u32)> {
        let op = || format!("setting the load of outlet '{outlet}' skill '{skill}' on {date}");
        let mut call = self.scripts.load.prepare_invoke();
        call.key(self.keys.ext(date))
            .key(self.keys.loads(date))
            .key(&self.keys.log)
            .key(&self.keys.seq)
            .arg(offer_field(skill, outlet))
            .arg(units)
            .arg(date)
            .arg(self.config.log_keep);
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
        match array(&v)
            .map(|a| a.iter().map(int).collect::<Vec<_>>())
            .as_deref()
        {
            Some(&[Some(a), Some(b)]) => Ok((a.max(0) as u32, b.max(0) as u32)),
            _ => Err(self.unexpected(&op, &v)),
        }
    }

    /// Opens the namespace for a dispatcher whose day 0 is `start` (YYYY-MM-DD; the
    /// namespace keeps the first one it was given): (day 0, first day counted, whether
    /// nothing was ever booked).
    pub fn open(&self, start: Option<&str>) -> Result<(Option<String>, u32, bool)> {
        let op = || format!("opening namespace '{}'", self.config.namespace);
        let mut call = self.scripts.open.prepare_invoke();
        call.key(&self.keys.start)
            .key(&self.keys.first)
            .key(&self.keys.seq)
            .arg(start.unwrap_or(""));
        let v: Value = self
            .pool
            .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
        let parsed = || -> Option<(Option<String>, u32, bool)> {
            let [s, f, fresh] = array(&v)? else {
                return None;
            };
            let s = text(s)?;
            Some((
                (!s.is_empty()).then(|| s.to_string()),
                u32::try_from(int(f)?).ok()?,
                int(fresh)? == 1,
            ))
        };
        parsed().ok_or_else(|| self.unexpected(&op, &v))
    }

    /// Records a network change list (`json`) as number `seen` (0-based): `Ok(n)` with the
    /// lists recorded now, or `Err(n)` with the lists already recorded when another
    /// process took number `seen` first (nothing recorded).
    pub fn record_network(&self, seen: u64, json: &str) -> Result<std::result::Result<u64, u64>> {
        let op = || format!("recording network change list {}", seen + 1);
        let mut call = self.scripts.network.prepare_invoke();
        call.key(&self.keys.network).arg(seen).arg(json);
        let v: Value = self
            .pool
            .run(&op, false, ADVICE_READ_NETWORK, &mut |c| call.invoke(c))?;
        let parsed = || -> Option<std::result::Result<u64, u64>> {
            let [done, n] = array(&v)? else {
                return None;
            };
            let n = u64::try_from(int(n)?).ok()?;
            Some(if int(done)? == 1 { Ok(n) } else { Err(n) })
        };
        parsed().ok_or_else(|| self.unexpected(&op, &v))
    }

    /// The network change lists recorded from number `from` (0-based) on, in order
    /// (JSON arrays).
    pub fn network_from(&self, from: u64) -> Result<Vec<String>> {
        let op = || format!("reading the network changes from list {}", from + 1);
        self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
            redis::cmd("LRANGE")
                .arg(&self.keys.network)
                .arg(from)
                .arg(-1)
                .query(c)
        })
    }

    /// How many network change lists are recorded.
    pub fn network_len(&self) -> Result<u64> {
        let op = || "counting the network change lists".to_string();
        self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
            redis::cmd("LLEN").arg(&self.keys.network).query(c)
        })
    }

    /// Drops `date`'s bookings (with their holds) and counters, in batches of atomic
    /// steps, and records `first_day` as the first day counted.
    pub fn drop_day(&self, date: &str, first_day: u32) -> Result<()> {
        let op = || format!("dropping the bookings of {date} (day roll-over)");
        loop {
            let mut call = self.scripts.roll.prepare_invoke();
            call.key(self.keys.day(date))
                .key(self.keys.loads(date))
                .key(self.keys.ext(date))
                .key(&self.keys.first)
                .key(&self.keys.holds)
                .key(&self.keys.hold_ids)
                .arg(&self.keys.prefix)
                .arg(EXPIRE_BATCH)
                .arg(first_day);
            let v: Value = self
                .pool
                .run(&op, true, ADVICE_AGAIN, &mut |c| call.invoke(c))?;
            match int(&v) {
                Some(0) => return Ok(()),
                Some(_) => continue,
                None => return Err(self.unexpected(&op, &v)),
            }
        }
    }

    /// Every ticket record of the namespace, by ticket id (a full scan: for checks and
    /// exports, not for dispatch).
    pub fn all_bookings(&self) -> Result<Vec<(String, StoredBooking)>> {
        let pattern = format!(
            "{}t:*",
            self.keys.prefix.replace('{', "\\{").replace('}', "\\}")
        );
        let mut out = Vec::new();
        for key in self.scan(&pattern)? {
            let id = key
                .strip_prefix(&self.keys.prefix)
                .and_then(|k| k.strip_prefix("t:"));
            if let Some(id) = id {
                if let Some(b) = self.booking(id)? {
                    out.push((id.to_string(), b));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Every key matching a SCAN pattern.
    fn scan(&self, pattern: &str) -> Result<Vec<String>> {
        let op = || format!("listing keys {pattern}");
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) =
                self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query(c)
                })?;
            keys.extend(batch);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// Deletes every key of the namespace (for tests, or to start a namespace afresh:
    /// every process using it must be stopped first). Returns how many were deleted.
    pub fn clear(&self) -> Result<u64> {
        let op = || format!("clearing namespace '{}'", self.config.namespace);
        let pattern = format!(
            "{}*",
            self.keys.prefix.replace('{', "\\{").replace('}', "\\}")
        );
        let mut deleted = 0u64;
        for chunk in self.scan(&pattern)?.chunks(1000) {
            let n: u64 = self.pool.run(&op, true, ADVICE_AGAIN, &mut |c| {
                redis::cmd("UNLINK").arg(chunk).query(c)
            })?;
            deleted += n;
        }
        Ok(deleted)
    }
}
