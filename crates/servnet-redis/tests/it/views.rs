//! Each dispatcher's view of the loads (what its search reads) follows the shared
//! counters: after concurrent bookings from two dispatchers, each view brought up to
//! date (`refresh`) is exactly Redis's counters, never behind a booking it saw.

use crate::common::redis;
use servnet_core::bench::synthetic::{synthetic, SyntheticSpec};
use servnet_core::dispatch::{Dispatcher, Policy};
use servnet_redis::{RedisLedger, RedisStore};
use std::collections::BTreeMap;

#[test]
fn every_view_matches_redis_after_concurrent_bookings() {
    let r = redis("views");
    let url = r.url();
    let spec = SyntheticSpec {
        outlets: 40,
        cities: 4,
        categories: 1,
        skills_per_outlet: 3,
        skill_capacity: 3,
        daily_cap: 6,
        seed: 9,
    };
    let (network, tickets) = synthetic(&spec, 2000).unwrap();
    let policy = Policy {
        start_date: Some(tickets[0].created_at.date()),
        horizon_days: 2,
        ..Policy::default()
    };
    let open = || {
        Dispatcher::with_ledger(
            network.clone(),
            policy.clone(),
            Box::new(RedisLedger::connect(&url).unwrap()),
        )
        .unwrap()
    };
    let ds = [open(), open()];
    // 2 dispatchers x 3 threads, each thread its own slice of the tickets: replies come
    // back out of order, each carrying other threads' changes.
    std::thread::scope(|s| {
        for (i, d) in ds.iter().enumerate() {
            for k in 0..3 {
                let part: Vec<_> = tickets.iter().skip(i * 3 + k).step_by(6).cloned().collect();
                s.spawn(move || {
                    for t in &part {
                        d.dispatch(t).unwrap();
                    }
                });
            }
        }
    });
    let store = RedisStore::connect(&url).unwrap();
    let mut want: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    let start = tickets[0].created_at.date();
    for (_, b) in store.all_bookings().unwrap() {
        let date = chrono::NaiveDate::parse_from_str(&b.date, "%Y-%m-%d").unwrap();
        let day = (date - start).num_days() as u32;
        *want.entry((b.outlet, b.skill, day)).or_default() += b.units;
    }
    assert!(want.values().sum::<u32>() > 100, "too few bookings to tell");
    for d in &ds {
        d.refresh().unwrap();
        let got: BTreeMap<(String, String, u32), u32> = d
            .loads()
            .into_iter()
            .filter(|l| l.used > 0)
            .map(|l| {
                (
                    (l.outlet_id.to_string(), l.skill.to_string(), l.day),
                    l.used,
                )
            })
            .collect();
        let keys: std::collections::BTreeSet<_> = got.keys().chain(want.keys()).collect();
        let differ: Vec<_> = keys
            .into_iter()
            .filter(|k| got.get(*k) != want.get(*k))
            .map(|k| (k, got.get(k), want.get(k)))
            .collect();
        assert!(
            differ.is_empty(),
            "view vs Redis differ at (outlet, skill, day): view, Redis: {differ:?}"
        );
    }
    store.clear().unwrap();
}
