//! The ledger's atomic steps against a real Redis: capacity never passes a limit under
//! concurrent callers, a ticket id books once, holds expire, the change log rebuilds the
//! counters exactly, and an unreachable Redis is a clear error with nothing written.

use crate::common::{redis, RedisServer};
use servnet_redis::{
    BookRequest, Booked, Change, Completed, Confirmed, Error, RedisStore, Released, Since, State,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const DAY: &str = "2026-11-23";

fn req<'a>(
    ticket: &'a str,
    outlet: &'a str,
    offer_limit: u32,
    outlet_limit: u32,
) -> BookRequest<'a> {
    BookRequest {
        ticket,
        skill: "repair:tv",
        outlet,
        date: DAY,
        units: 1,
        offer_limit,
        outlet_limit,
        record: "r",
        fingerprint: "fp",
        hold_expiry_ms: None,
    }
}

fn all() -> Since {
    Since {
        after: 0,
        max: 100_000,
    }
}

/// The counters Redis holds for DAY: field -> units.
fn counters(store: &RedisStore) -> BTreeMap<(String, String), u32> {
    let snap = store.snapshot(&[DAY.to_string()]).unwrap();
    snap.loads[0]
        .iter()
        .map(|(s, o, u)| ((s.clone(), o.clone()), *u))
        .collect()
}

/// A retry of a booked ticket id, even naming another outlet, returns the first booking
/// and books nothing.
#[test]
fn a_ticket_id_books_once_and_retries_get_the_original() {
    let r = redis("once");
    let store = RedisStore::connect(&r.url()).unwrap();
    let first = BookRequest {
        record: "first",
        ..req("T1", "O1", 5, 5)
    };
    let (b, _) = store.book(&first, Since::default()).unwrap();
    assert!(
        matches!(
            b,
            Booked::New {
                hold: 0,
                offer_used: 1,
                outlet_used: 1
            }
        ),
        "{b:?}"
    );
    let again = BookRequest {
        record: "second",
        ..req("T1", "O2", 5, 5)
    };
    let (b, _) = store.book(&again, Since::default()).unwrap();
    let Booked::Existing(e) = b else {
        panic!("{b:?}")
    };
    assert_eq!(
        (e.outlet.as_str(), e.record.as_str(), e.units, e.state),
        ("O1", "first", 1, State::Booked)
    );
    let c = counters(&store);
    assert_eq!(c.get(&("".into(), "O2".into())), None);
    assert_eq!(c.get(&("repair:tv".into(), "O1".into())), Some(&1));
    store.clear().unwrap();
}

/// 8 threads book 400 distinct tickets (and retry 100 of them) on 3 outlets with small
/// limits: no counter passes its limit, each counter equals the bookings made, and the
/// number booked is exactly what the limits allow.
#[test]
fn concurrent_bookings_never_pass_a_limit() {
    let r = redis("limits");
    let store = Arc::new(RedisStore::connect(&r.url()).unwrap());
    // Offer limit 7 each, outlet limit 5 for O3 (tighter than its offer).
    let limits = [("O1", 7u32, 20u32), ("O2", 7, 20), ("O3", 7, 5)];
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..50 {
                    let id = format!("T{}", (t * 50 + i) % 400);
                    let (o, lo, lu) = limits[(t + i) % 3];
                    let (b, _) = store.book(&req(&id, o, lo, lu), Since::default()).unwrap();
                    if let Booked::New { .. } = b {
                        mine.push((id, o));
                    }
                }
                // Retries of the first 100 ids, from another thread.
                for i in 0..13 {
                    let id = format!("T{}", (t * 13 + i) % 100);
                    let (b, _) = store
                        .book(&req(&id, "O1", 7, 20), Since::default())
                        .unwrap();
                    if let Booked::New { .. } = b {
                        mine.push((id, "O1"));
                    }
                }
                mine
            })
        })
        .collect();
    let booked: Vec<(String, &str)> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut ids: Vec<&String> = booked.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), booked.len(), "a ticket id was booked twice");
    // O1 and O2 are limited by their offers (7), O3 by its outlet (5).
    assert_eq!(booked.len(), 7 + 7 + 5);
    let c = counters(&store);
    for (o, lo, lu) in limits {
        let n = booked.iter().filter(|(_, b)| *b == o).count() as u32;
        assert_eq!(c.get(&("repair:tv".into(), o.into())), Some(&n), "{o}");
        assert_eq!(c.get(&("".into(), o.into())), Some(&n), "{o}");
        assert!(n <= lo.min(lu), "{o}: {n} booked over its limit");
    }
    for (id, o) in &booked {
        let b = store.booking(id).unwrap().unwrap();
        assert_eq!(&b.outlet, o);
    }
    store.clear().unwrap();
}

/// Applying the log's changes in order from zero gives exactly the counters a snapshot
/// reads, and a view older than the log's start is told to reload.
#[test]
fn the_change_log_rebuilds_the_counters() {
    let r = redis("log");
    let url = format!("{}&log_keep=1000", r.url());
    let store = RedisStore::connect(&url).unwrap();
    for i in 0..300 {
        let o = format!("O{}", i % 7);
        store
            .book(&req(&format!("T{i}"), &o, 1000, 1000), Since::default())
            .unwrap();
    }
    for i in (0..300).step_by(3) {
        store.release(&format!("T{i}"), Since::default()).unwrap();
    }
    let (_, changes) = store.release("none", all()).unwrap();
    assert_eq!((changes.after, changes.last), (Some(0), 400));
    let mut view: BTreeMap<(String, String), u32> = BTreeMap::new();
    for ch in &changes.entries {
        let Change::Load {
            skill,
            outlet,
            offer_used,
            outlet_used,
            ..
        } = ch
        else {
            panic!("{ch:?}")
        };
        view.insert((skill.clone(), outlet.clone()), *offer_used);
        view.insert((String::new(), outlet.clone()), *outlet_used);
    }
    assert_eq!(view, counters(&store));
    // 1,000 more changes: the log keeps about 1,000, so change 1 is gone.
    for i in 300..1300 {
        store
            .book(&req(&format!("T{i}"), "O1", 5000, 5000), Since::default())
            .unwrap();
    }
    let (_, changes) = store.release("none", all()).unwrap();
    assert_eq!(changes.after, None);
    let (_, changes) = store
        .release(
            "none",
            Since {
                after: 1390,
                max: 5,
            },
        )
        .unwrap();
    assert_eq!((changes.after, changes.entries.len()), (Some(1390), 5));
    // A view ahead of the log (Redis lost data) reloads too.
    let (_, changes) = store
        .release(
            "none",
            Since {
                after: 9999,
                max: 5,
            },
        )
        .unwrap();
    assert_eq!(changes.after, None);
    store.clear().unwrap();
}

/// A hold books capacity until its expiry: confirmed in time it is firm (and a second
/// confirm gives the same answer while the booking stands); confirmed late, or swept by
/// `expire`, its units come back. A held booking cannot be completed.
#[test]
fn holds_expire_and_return_their_units() {
    let r = redis("holds");
    let store = RedisStore::connect(&r.url()).unwrap();
    let hold = |t: &'static str, ms: i64| BookRequest {
        hold_expiry_ms: Some(ms),
        ..req(t, "O1", 10, 10)
    };
    let (b1, _) = store.book(&hold("H1", 1_000), Since::default()).unwrap();
    let (b2, _) = store.book(&hold("H2", 2_000), Since::default()).unwrap();
    let (b3, _) = store.book(&hold("H3", 3_000), Since::default()).unwrap();
    let ids: Vec<u64> = [b1, b2, b3]
        .iter()
        .map(|b| match b {
            Booked::New { hold, .. } => *hold,
            b => panic!("{b:?}"),
        })
        .collect();
    assert!(ids[0] > 0 && ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    assert_eq!(store.booking("H1").unwrap().unwrap().state, State::Held);
    // Held: completing is refused, nothing changes.
    let (c, _) = store.complete("H1", 4000, Since::default()).unwrap();
    assert!(
        matches!(&c, Completed::Held(b) if b.hold == ids[0]),
        "{c:?}"
    );
    assert_eq!(store.booking("H1").unwrap().unwrap().state, State::Held);
    // In time: firm, keeping the hold id it was made as; confirming again (a retry, on
    // any process, even after the expiry) gives the same answer and changes nothing.
    let (c, ch) = store.confirm(ids[0], 999, Since::default()).unwrap();
    assert!(
        matches!(&c, Confirmed::Firm(t, b) if t == "H1" && b.state == State::Booked && b.hold == ids[0]),
        "{c:?}"
    );
    let (again, ch2) = store.confirm(ids[0], 5_000, Since::default()).unwrap();
    assert_eq!(again, c);
    assert_eq!(ch2.last, ch.last, "a repeated confirm logs nothing");
    // Once completed, the hold id is unknown; the record keeps it.
    let (done, _) = store.complete("H1", 0, Since::default()).unwrap();
    assert!(
        matches!(&done, Completed::Now(b, None) if b.hold == ids[0]),
        "{done:?}"
    );
    let (c, _) = store.confirm(ids[0], 999, Since::default()).unwrap();
    assert_eq!(c, Confirmed::Unknown);
    // Late: released.
    let (c, _) = store.confirm(ids[1], 2_000, Since::default()).unwrap();
    assert!(matches!(&c, Confirmed::Expired(t, _) if t == "H2"), "{c:?}");
    assert_eq!(store.booking("H2").unwrap(), None);
    // Swept: only what is due.
    let (gone, _) = store.expire(2_999, Since::default()).unwrap();
    assert!(gone.is_empty());
    let (gone, _) = store.expire(3_000, Since::default()).unwrap();
    let gone: Vec<(&str, u64)> = gone.iter().map(|(t, b)| (t.as_str(), b.hold)).collect();
    assert_eq!(gone, [("H3", ids[2])]);
    let (c, _) = store.confirm(ids[2], 0, Since::default()).unwrap();
    assert_eq!(c, Confirmed::Unknown, "an expired hold's id is forgotten");
    assert_eq!(
        counters(&store).get(&("repair:tv".into(), "O1".into())),
        Some(&1)
    );
    store.clear().unwrap();
}

/// More holds than one atomic expire step takes are all released.
#[test]
fn expire_releases_holds_in_batches() {
    let r = redis("batches");
    let store = RedisStore::connect(&r.url()).unwrap();
    for i in 0..2500 {
        let t = format!("H{i}");
        let b = BookRequest {
            hold_expiry_ms: Some(10),
            ..req(&t, "O1", 5000, 5000)
        };
        store.book(&b, Since::default()).unwrap();
    }
    let (gone, changes) = store
        .expire(
            10,
            Since {
                after: 2500,
                max: 10_000,
            },
        )
        .unwrap();
    assert_eq!(gone.len(), 2500);
    assert_eq!((changes.after, changes.entries.len()), (Some(2500), 2500));
    assert_eq!(
        counters(&store).get(&("repair:tv".into(), "O1".into())),
        Some(&0)
    );
    store.clear().unwrap();
}

/// Completion keeps the units, adds the rating once, and the id never books again.
#[test]
fn completion_keeps_units_and_adds_the_rating_once() {
    let r = redis("complete");
    let store = RedisStore::connect(&r.url()).unwrap();
    store
        .book(&req("T1", "O1", 5, 5), Since::default())
        .unwrap();
    store
        .book(&req("T2", "O1", 5, 5), Since::default())
        .unwrap();
    let (c, ch) = store.complete("T1", 4500, Since::default()).unwrap();
    assert!(matches!(c, Completed::Now(_, Some((4500, 1)))), "{c:?}");
    assert_eq!(ch.last, 3);
    let (c, _) = store.complete("T2", 3000, Since::default()).unwrap();
    assert!(matches!(c, Completed::Now(_, Some((7500, 2)))), "{c:?}");
    let (c, _) = store.complete("T1", 5000, Since::default()).unwrap();
    assert!(matches!(c, Completed::Before(_)), "{c:?}");
    let (c, _) = store.complete("T9", 5000, Since::default()).unwrap();
    assert_eq!(c, Completed::Unknown);
    let (r, _) = store.release("T1", Since::default()).unwrap();
    assert!(matches!(r, Released::Completed(_)), "{r:?}");
    let (r, _) = store.release("T9", Since::default()).unwrap();
    assert_eq!(r, Released::Unknown);
    let (b, _) = store
        .book(&req("T1", "O2", 5, 5), Since::default())
        .unwrap();
    assert!(
        matches!(&b, Booked::Existing(e) if e.state == State::Done),
        "{b:?}"
    );
    let snap = store.snapshot(&[DAY.to_string()]).unwrap();
    assert_eq!(snap.ratings, [("repair:tv".into(), "O1".into(), 7500, 2)]);
    assert_eq!(
        counters(&store).get(&("repair:tv".into(), "O1".into())),
        Some(&2)
    );
    store.clear().unwrap();
}

/// External load is SET, not added: processes starting at once may all set the
/// network's load and it counts once; lowering it frees units, bookings stay counted.
#[test]
fn external_load_counts_once_however_often_it_is_set() {
    let r = redis("load");
    let store = Arc::new(RedisStore::connect(&r.url()).unwrap());
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || store.set_load("repair:tv", "O1", DAY, 3).unwrap())
        })
        .collect();
    for h in threads {
        assert_eq!(h.join().unwrap(), (3, 3));
    }
    store
        .book(&req("T1", "O1", 5, 5), Since::default())
        .unwrap();
    assert_eq!(store.set_load("repair:tv", "O1", DAY, 1).unwrap(), (2, 2));
    assert_eq!(store.set_load("repair:tv", "O1", DAY, 0).unwrap(), (1, 1));
    assert_eq!(counters(&store).get(&("".into(), "O1".into())), Some(&1));
    store.clear().unwrap();
}

/// Day 0 is the first dispatcher's; a roll-over drops a day's bookings, holds and
/// counters (those ids may book again) and keeps the other days'.
#[test]
fn the_namespace_keeps_day_0_and_rolls_days_out() {
    let r = redis("roll");
    let store = RedisStore::connect(&r.url()).unwrap();
    assert_eq!(
        store.open(Some("2026-11-23")).unwrap(),
        (Some("2026-11-23".into()), 0, true)
    );
    assert_eq!(
        store.open(Some("2026-12-01")).unwrap(),
        (Some("2026-11-23".into()), 0, true)
    );
    for i in 0..2100 {
        let id = format!("T{i}");
        let day = BookRequest {
            hold_expiry_ms: (i % 2 == 0).then_some(99),
            ..req(&id, "O1", 5000, 5000)
        };
        store.book(&day, Since::default()).unwrap();
    }
    let next = BookRequest {
        date: "2026-11-24",
        ..req("U1", "O1", 5, 5)
    };
    store.book(&next, Since::default()).unwrap();
    store.drop_day(DAY, 1).unwrap();
    assert_eq!(
        store.open(None).unwrap(),
        (Some("2026-11-23".into()), 1, false)
    );
    assert_eq!(store.booking("T7").unwrap(), None);
    assert!(store.booking("U1").unwrap().is_some());
    let (held, _) = store.expire(1_000, Since::default()).unwrap();
    assert!(held.is_empty(), "holds of a dropped day are gone: {held:?}");
    let snap = store
        .snapshot(&[DAY.to_string(), "2026-11-24".to_string()])
        .unwrap();
    assert!(snap.loads[0].is_empty());
    assert_eq!(snap.loads[1].len(), 2);
    let (b, _) = store
        .book(&req("T7", "O1", 5, 5), Since::default())
        .unwrap();
    assert!(matches!(b, Booked::New { .. }), "{b:?}");
    store.clear().unwrap();
}

/// A corrupt counter aborts the step before anything is written.
#[test]
fn a_corrupt_counter_aborts_with_nothing_written() {
    let r = redis("corrupt");
    let store = RedisStore::connect(&r.url()).unwrap();
    store
        .book(&req("T1", "O1", 5, 5), Since::default())
        .unwrap();
    let mut con = redis::Client::open(r.url().split('?').next().unwrap())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("{{{}}}:load:{DAY}", r.namespace);
    redis::cmd("HSET")
        .arg(&key)
        .arg("|O1")
        .arg("garbage")
        .query::<()>(&mut con)
        .unwrap();
    let e = store
        .book(&req("T2", "O1", 5, 5), Since::default())
        .unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e}");
    assert!(e.to_string().contains("booking ticket 'T2'"), "{e}");
    assert_eq!(store.booking("T2").unwrap(), None);
    let offer: Option<String> = redis::cmd("HGET")
        .arg(&key)
        .arg("repair:tv|O1")
        .query(&mut con)
        .unwrap();
    assert_eq!(offer.as_deref(), Some("1"));
    store.clear().unwrap();
}

/// Nothing listening: a clear error naming the server, and nothing booked.
#[test]
fn an_unreachable_redis_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = RedisStore::connect(&format!("redis://127.0.0.1:{port}/0"))
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(matches!(e, Error::Unreachable { .. }), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("nothing was booked"),
        "{msg}"
    );
}

/// Redis killed (kill -9) while a store is in use: calls fail with a clear error, not a
/// hang or a panic; once Redis is back (from its AOF), retries of the same ticket ids
/// return their bookings and new ones book, with no counter over its limit.
#[test]
fn redis_down_then_back() {
    let mut server = RedisServer::start("always");
    let store = RedisStore::connect(&server.url("downup")).unwrap();
    for i in 0..5 {
        store
            .book(&req(&format!("T{i}"), "O1", 8, 8), Since::default())
            .unwrap();
    }
    server.kill();
    let e = store
        .book(&req("T5", "O1", 8, 8), Since::default())
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, Error::Unreachable { .. } | Error::Interrupted { .. }),
        "{msg}"
    );
    assert!(msg.contains("booking ticket 'T5'"), "{msg}");
    server.restart();
    for i in 0..12 {
        let (b, _) = store
            .book(&req(&format!("T{i}"), "O1", 8, 8), Since::default())
            .unwrap();
        match (i, b) {
            (0..5, Booked::Existing(_))
            | (5..8, Booked::New { .. })
            | (8.., Booked::Full { .. }) => {}
            (i, b) => panic!("T{i}: {b:?}"),
        }
    }
    assert_eq!(counters(&store).get(&("".into(), "O1".into())), Some(&8));
}
