//! A dispatcher over a state folder: reopening restores exactly what was acknowledged
//! (bookings, holds with their expiry, completions and ratings, external load, network
//! changes), a torn last record is dropped and damage elsewhere refused, snapshots
//! replace closed segments, a folder opens once, and bookings acknowledged by many
//! threads all survive.

use servnet::chrono::{Duration, NaiveDateTime};
use servnet::dispatch::{
    Dispatcher, Fallback, JournalOptions, NetworkChange, Outcome, Policy, Status,
};
use servnet::model::*;
use servnet::Error;
use std::path::Path;

fn t0() -> NaiveDateTime {
    servnet::io::parse_time("2026-11-23T08:00").unwrap()
}

fn outlet(i: usize, cap: u32) -> Outlet {
    let f = i as f64;
    Outlet {
        id: format!("O{i:03}"),
        name: String::new(),
        lon: 121.0 + (f * 0.618).fract() * 0.4,
        lat: 31.0 + (f * 0.414).fract() * 0.4,
        status: OutletStatus::Active,
        priority: 50,
        daily_cap: cap * 2,
        area: ServiceArea::Radius(40.0),
        skills: ["repair:tv", "install:tv"]
            .iter()
            .map(|s| OutletSkill {
                skill: s.parse().unwrap(),
                daily_capacity: cap,
                load: u32::from(i == 3),
                rating_sum: 40.0,
                rating_count: 10,
                cost_per_ticket: 50.0,
            })
            .collect(),
    }
}

fn network(outlets: usize, cap: u32) -> Network {
    let region = Region {
        code: "R".into(),
        name: "R".into(),
        tier: Tier::B,
        lon: 121.2,
        lat: 31.2,
        population: None,
        max_response_hours: 48.0,
        max_travel_km: 80.0,
        polygon: None,
    };
    Network::new((0..outlets).map(|i| outlet(i, cap)).collect(), vec![region]).unwrap()
}

fn policy() -> Policy {
    Policy {
        start_date: Some(t0().date()),
        horizon_days: 4,
        fallback: vec![Fallback::NextDay(2)],
        ..Policy::default()
    }
}

fn ticket(i: usize) -> Ticket {
    let f = i as f64;
    let skill = if i.is_multiple_of(3) {
        "install:tv"
    } else {
        "repair:tv"
    };
    let mut t = Ticket::new(
        &format!("T{i:04}"),
        121.05 + (f * 0.37).fract() * 0.3,
        31.05 + (f * 0.53).fract() * 0.3,
        "R",
        skill,
        t0() + Duration::minutes(i as i64),
    );
    t.due_by = t.created_at + Duration::hours(30);
    t
}

/// Everything a caller can read of the state, for comparison across a restart.
fn state(d: &Dispatcher, ids: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..ids)
        .map(|i| format!("{:?}", d.booking(&ticket(i).id).unwrap()))
        .collect();
    out.extend(d.loads().iter().map(|l| format!("{l:?}")));
    let probe = ticket(99_999);
    out.extend(
        d.candidates(&probe, 100)
            .unwrap()
            .iter()
            .map(|c| format!("{c:?}")),
    );
    out.push(format!("{:?}", d.network().outlets()));
    out
}

fn open(dir: &Path, net: &Network) -> Dispatcher {
    Dispatcher::open(net.clone(), policy(), dir).unwrap()
}

/// Dispatch, holds (confirmed, released, expired, left open), completions with ratings,
/// external load and network changes all read back the same after reopening; hold ids
/// go on from where they were.
#[test]
fn reopening_restores_exactly_what_was_acknowledged() {
    restores_exactly(JournalOptions::default());
}

/// The same through snapshots: with 2 kB segments the journal rotates every few dozen
/// records, so the state is restored from a snapshot and the segments after it.
#[test]
fn reopening_through_snapshots_restores_exactly_what_was_acknowledged() {
    restores_exactly(JournalOptions {
        segment_bytes: 2048,
        ..JournalOptions::default()
    });
}

fn restores_exactly(options: JournalOptions) {
    let dir = tempfile::tempdir().unwrap();
    let net = network(12, 6);
    let open = |dir: &Path, net: &Network| {
        Dispatcher::open_with(net.clone(), policy(), dir, options)
            .unwrap()
            .0
    };
    let (before, last_hold, confirmed) = {
        let mut d = open(dir.path(), &net);
        let mut holds = Vec::new();
        for i in 0..60usize {
            let out = if i.is_multiple_of(5) {
                d.hold(&ticket(i), Duration::minutes(30 + i as i64), t0())
            } else {
                d.dispatch(&ticket(i))
            }
            .unwrap();
            if let Some(h) = out.assignment().and_then(|a| a.hold) {
                holds.push(h);
            }
        }
        assert!(holds.len() >= 6, "{holds:?}");
        let confirmed = d.confirm(holds[0], t0() + Duration::minutes(1)).unwrap();
        // A repeated confirm answers the same booking.
        assert_eq!(
            d.confirm(holds[0], t0() + Duration::minutes(2)).unwrap(),
            confirmed
        );
        assert!(d.release(&ticket(5).id).is_ok());
        assert!(d.complete(&ticket(1).id, Some(5.0)).is_ok());
        assert!(d.complete(&ticket(2).id, Some(1.0)).is_ok());
        assert!(d.release(&ticket(4).id).is_ok());
        // Holds 10 and 15 lapse (30 + i minutes), later ones stay.
        let expired = d.expire_holds(t0() + Duration::minutes(46)).unwrap();
        assert_eq!(expired.len(), 2, "{expired:?}");
        d.set_load("O007", "repair:tv", 1, 3).unwrap();
        d.apply(&NetworkChange::AddOutlets {
            outlets: vec![Outlet {
                id: "A-new".into(),
                ..outlet(50, 4)
            }],
        })
        .unwrap();
        d.apply(&NetworkChange::OutletStatus {
            outlet_id: "O002".into(),
            status: OutletStatus::Suspended,
        })
        .unwrap();
        d.apply(&NetworkChange::SkillCapacity {
            outlet_id: "O004".into(),
            skill: "repair:tv".into(),
            daily_capacity: 1,
        })
        .unwrap();
        for i in 60..80 {
            d.dispatch(&ticket(i)).unwrap();
        }
        (
            state(&d, 80),
            *holds.iter().max().unwrap(),
            (holds[0], confirmed),
        )
    };
    let snapshots = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "snap")
        })
        .count();
    assert_eq!(
        snapshots > 0,
        options.segment_bytes < 1 << 20,
        "snapshots are made when segments rotate"
    );
    let d = open(dir.path(), &net);
    assert_eq!(state(&d, 80), before);
    let h = d
        .hold(&ticket(80), Duration::minutes(5), t0())
        .unwrap()
        .assignment()
        .and_then(|a| a.hold)
        .unwrap();
    assert!(h > last_hold, "hold ids go on: {h} > {last_hold}");
    // A hold confirmed before the restart confirms again with the same answer.
    assert_eq!(d.confirm(confirmed.0, t0()).unwrap(), confirmed.1);
    // The holds left open keep their expiry: they lapse when they should.
    let open_holds: Vec<_> = (0..60)
        .filter(|i| {
            matches!(
                d.booking(&ticket(*i).id).unwrap(),
                Some((_, Status::Held { .. }))
            )
        })
        .collect();
    assert!(!open_holds.is_empty());
    for i in &open_holds {
        let Some((_, Status::Held { expires, .. })) = d.booking(&ticket(*i).id).unwrap() else {
            unreachable!()
        };
        assert_eq!(expires, t0() + Duration::minutes(30 + *i as i64));
    }
    // A retry of any acknowledged ticket (a hold retried as a hold) returns its booking
    // and books nothing.
    let loads = d.loads();
    for i in 0..80 {
        if let Some((a, status)) = d.booking(&ticket(i).id).unwrap() {
            let again = match status {
                Status::Held { .. } => d.hold(&ticket(i), Duration::minutes(5), t0()),
                _ => d.dispatch(&ticket(i)),
            };
            assert_eq!(again.unwrap().assignment(), Some(&a));
        }
    }
    assert_eq!(d.loads(), loads);
}

fn segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    v.sort();
    v
}

/// A crash mid-write leaves the last record cut short: reopening drops it (it was never
/// acknowledged) and keeps everything before it; damage before the last write batch is
/// refused with the file and offset named.
#[test]
fn a_torn_last_record_is_dropped_and_damage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(12, 6);
    // Small write batches, so that a small journal has records past the last batch.
    let options = JournalOptions {
        batch_bytes: 256,
        ..JournalOptions::default()
    };
    let open = |dir: &Path, net: &Network| {
        Dispatcher::open_with(net.clone(), policy(), dir, options)
            .map(|(d, _)| d)
            .unwrap()
    };
    {
        let d = open(dir.path(), &net);
        for i in 0..30 {
            d.dispatch(&ticket(i)).unwrap();
        }
    }
    let seg = segments(dir.path()).pop().unwrap();
    let bytes = std::fs::read(&seg).unwrap();
    // Cut the last record (the booking of T0029) in the middle.
    std::fs::write(&seg, &bytes[..bytes.len() - 20]).unwrap();
    let (d, restored) = Dispatcher::open_with(net.clone(), policy(), dir.path(), options).unwrap();
    assert!(restored.torn_bytes > 0);
    assert!(d.booking(&ticket(29).id).unwrap().is_none());
    assert!((0..29).all(|i| d.booking(&ticket(i).id).unwrap().is_some()));
    // It books again, after the cut.
    assert!(d.dispatch(&ticket(29)).unwrap().assignment().is_some());
    drop(d);
    let d = open(dir.path(), &net);
    assert!((0..30).all(|i| d.booking(&ticket(i).id).unwrap().is_some()));
    drop(d);
    // One flipped byte in an early record: refused, naming the file and offset.
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[200] ^= 0x40;
    std::fs::write(&seg, &bytes).unwrap();
    match Dispatcher::open_with(net.clone(), policy(), dir.path(), options) {
        Err(Error::Ledger { store, message }) => {
            assert!(store.ends_with(".log"), "{store}");
            assert!(message.contains("damaged record at byte"), "{message}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened a damaged journal"),
    }
}

/// With small segments the journal rotates many times; snapshots replace the closed
/// segments, and reopening restores everything.
#[test]
fn snapshots_replace_closed_segments() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(30, 40);
    let options = JournalOptions {
        segment_bytes: 4096,
        ..JournalOptions::default()
    };
    let before = {
        let (d, _) = Dispatcher::open_with(net.clone(), policy(), dir.path(), options).unwrap();
        for i in 0..600usize {
            d.dispatch(&ticket(i)).unwrap();
            if i.is_multiple_of(7) {
                d.release(&ticket(i).id).unwrap();
            }
        }
        state(&d, 600)
    };
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(
        segments(dir.path()).len() <= 3,
        "closed segments are removed once a snapshot holds them ({files} files)"
    );
    let (d, restored) = Dispatcher::open_with(net.clone(), policy(), dir.path(), options).unwrap();
    assert!(restored.tickets > 400);
    assert_eq!(state(&d, 600), before);
    drop(d);
    // A damaged snapshot is refused, naming it.
    let snap = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "snap"))
        .unwrap();
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes[300] ^= 0x01;
    std::fs::write(&snap, &bytes).unwrap();
    match Dispatcher::open_with(net, policy(), dir.path(), options) {
        Err(Error::Ledger { store, .. }) => assert!(store.ends_with(".snap"), "{store}"),
        _ => panic!("opened a damaged snapshot"),
    }
}

/// A state folder is opened by one process (or dispatcher) at a time.
#[test]
fn a_state_folder_opens_once() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(4, 4);
    let d = open(dir.path(), &net);
    match Dispatcher::open(net.clone(), policy(), dir.path()) {
        Err(Error::Ledger { message, .. }) => assert!(message.contains("in use"), "{message}"),
        _ => panic!("opened twice"),
    }
    drop(d);
    assert!(Dispatcher::open(net, policy(), dir.path()).is_ok());
}

/// Four threads dispatch overlapping tickets against tight capacities; every booking
/// they were answered is there after reopening, on the same outlet and day, and no
/// counter exceeds its capacity.
#[test]
fn bookings_acknowledged_by_many_threads_all_survive() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(10, 5);
    let acked: Vec<(String, String, u32)> = {
        let d = open(dir.path(), &net);
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|k| {
                    let d = &d;
                    s.spawn(move || {
                        let mut got = Vec::new();
                        for i in (k * 50)..(k * 50 + 120) {
                            if let Outcome::Assigned(a) = d.dispatch(&ticket(i)).unwrap() {
                                got.push((a.ticket_id.to_string(), a.outlet_id.to_string(), a.day));
                            }
                        }
                        got
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        })
    };
    assert!(acked.len() > 100);
    let d = open(dir.path(), &net);
    for (id, outlet, day) in &acked {
        let a = d.assignment(id).unwrap();
        assert_eq!(
            (a.outlet_id.as_str(), a.day),
            (outlet.as_str(), *day),
            "{id}"
        );
    }
    for l in d.loads() {
        let preload = u32::from(l.outlet_id == "O003" && l.day == 0);
        assert!(l.used <= l.capacity + preload, "{l:?}");
        assert!(l.outlet_used <= l.outlet_cap, "{l:?}");
    }
}

/// Concurrent callers share disk flushes (group commit): eight threads booking at once
/// need fewer flushes than records, and every record is durable when answered.
#[test]
fn concurrent_bookings_share_disk_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(40, 50);
    let d = open(dir.path(), &net);
    std::thread::scope(|s| {
        for k in 0..8usize {
            let d = &d;
            s.spawn(move || {
                for i in 0..60 {
                    d.dispatch(&ticket(k * 60 + i)).unwrap();
                }
            });
        }
    });
    let stats = d.ledger_stats();
    assert!(stats.records >= 480, "{stats:?}");
    assert!(
        stats.flushes < stats.records,
        "concurrent callers shared no flush: {stats:?}"
    );
    assert!(stats.bytes > 0, "{stats:?}");
}

/// Day roll-over is durable: after rolling a day on, reopening counts from the same
/// first day; bookings of the days rolled out are gone (their ids forgotten),
/// later ones stay.
#[test]
fn a_day_roll_over_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(6, 3);
    let booked: Vec<(String, u32)> = {
        let mut d = open(dir.path(), &net);
        let mut booked = Vec::new();
        for i in 0..60 {
            if let Outcome::Assigned(a) = d.dispatch(&ticket(i)).unwrap() {
                booked.push((a.ticket_id.to_string(), a.day));
            }
        }
        assert!(booked.iter().any(|b| b.1 < 1) && booked.iter().any(|b| b.1 >= 1));
        assert_eq!(d.roll_to(t0().date() + Duration::days(1)).unwrap(), 1);
        booked
    };
    let d = open(dir.path(), &net);
    assert_eq!(d.first_day(), 1);
    for (id, day) in &booked {
        let found = d.booking(id).unwrap().map(|(a, _)| a.day);
        assert_eq!(found, (*day >= 1).then_some(*day), "{id}");
    }
    assert!(d.loads().iter().all(|l| l.day >= 1));
}

/// A call with its durability deferred returns once its records are appended; the
/// future it hands back completes once they are on disk, and then they survive a
/// restart. With the in-memory ledger there is nothing to wait for.
#[test]
fn deferred_durability_completes_once_the_records_are_on_disk() {
    use servnet::dispatch::defer_durability;
    use std::future::Future;
    let dir = tempfile::tempdir().unwrap();
    let net = network(6, 5);
    let booked = {
        let d = open(dir.path(), &net);
        let mut booked = Vec::new();
        for i in 0..20 {
            let (out, durable) = defer_durability(|| d.dispatch(&ticket(i)));
            assert!(!durable.is_ready(), "a booking appended a record");
            let mut durable = std::pin::pin!(durable);
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let start = std::time::Instant::now();
            loop {
                match durable.as_mut().poll(&mut cx) {
                    std::task::Poll::Ready(r) => break r.unwrap(),
                    std::task::Poll::Pending => {
                        assert!(start.elapsed().as_secs() < 30, "never flushed");
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                }
            }
            if let Outcome::Assigned(a) = out.unwrap() {
                booked.push((a.ticket_id.to_string(), a.outlet_id.to_string(), a.day));
            }
        }
        // A read of a durable record has nothing to wait for beyond what was flushed.
        let (_, durable) = defer_durability(|| d.booking(&ticket(0).id));
        durable.wait().unwrap();
        booked
    };
    assert!(booked.len() >= 10);
    let d = open(dir.path(), &net);
    for (id, outlet, day) in &booked {
        let a = d.assignment(id).unwrap();
        assert_eq!((a.outlet_id.as_str(), a.day), (outlet.as_str(), *day));
    }
    let memory = Dispatcher::new(net, policy()).unwrap();
    let (out, durable) = defer_durability(|| memory.dispatch(&ticket(1)));
    assert!(out.is_ok() && durable.is_ready());
}

/// A journal of tens of thousands of records (replayed a chunk at a time on all cores,
/// split by ticket) restores the same state as the dispatcher that wrote it:
/// bookings, holds confirmed and released, completions, in every order they happened.
#[test]
fn a_large_journal_replays_to_the_same_state() {
    use servnet::dispatch::defer_durability;
    let dir = tempfile::tempdir().unwrap();
    let net = network(60, 40);
    let n = 12_000;
    // All on the first day (dispatch spreads them over the next ones).
    let early = |i: usize| {
        let mut t = ticket(i);
        t.created_at = t0() + Duration::seconds(i as i64 % 600);
        t.due_by = t.created_at + Duration::hours(30);
        t
    };
    let before = {
        let d = open(dir.path(), &net);
        let ((), durable) = defer_durability(|| {
            for i in 0..n {
                let t = early(i);
                if i % 7 == 0 {
                    let held = d.hold(&t, Duration::hours(3), t0()).unwrap();
                    if let Some(h) = held.assignment().and_then(|a| a.hold) {
                        if i % 2 == 0 {
                            d.confirm(h, t0()).unwrap();
                        }
                    }
                } else {
                    d.dispatch(&t).unwrap();
                }
                if i % 5 == 0 && i >= 10 {
                    let _ = d.release(&ticket(i - 10).id);
                }
                if i % 11 == 0 && i >= 3 {
                    let _ = d.complete(&ticket(i - 3).id, Some(4.0));
                }
            }
        });
        durable.wait().unwrap();
        state(&d, n)
    };
    let (d, restored) =
        Dispatcher::open_with(net, policy(), dir.path(), JournalOptions::default()).unwrap();
    assert!(
        restored.entries > 10_000 && restored.tickets > 5_000,
        "{restored:?}"
    );
    assert_eq!(state(&d, n), before);
}
