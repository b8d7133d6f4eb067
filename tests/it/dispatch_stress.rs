//! Eight threads dispatch 1,000,000 tickets against tight capacities: afterwards no
//! counter exceeds its capacity and assigned + unassignable = submitted.

use servnet::chrono::Duration;
use servnet::dispatch::{Dispatcher, Fallback, Outcome, Policy};
use servnet::model::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[test]
fn eight_threads_one_million_tickets_never_overbook() {
    let t0 = servnet::io::parse_time("2026-11-23T08:00").unwrap();
    let skills = ["repair:tv", "install:tv", "repair:washer"];
    let outlets: Vec<Outlet> = (0..300)
        .map(|i| {
            let f = i as f64;
            Outlet {
                id: format!("O{i:03}"),
                name: String::new(),
                lon: 121.0 + (f * 0.618).fract() * 0.6,
                lat: 31.0 + (f * 0.414).fract() * 0.6,
                status: OutletStatus::Active,
                priority: 50,
                daily_cap: 40 + (i % 7) as u32 * 10,
                area: ServiceArea::Radius(25.0),
                skills: skills
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| (i + k) % 3 != 0)
                    .map(|(k, s)| OutletSkill {
                        skill: s.parse().unwrap(),
                        daily_capacity: 20 + ((i * 7 + k * 3) % 30) as u32,
                        load: 0,
                        rating_sum: 40.0,
                        rating_count: 10,
                        cost_per_ticket: 50.0,
                    })
                    .collect(),
            }
        })
        .collect();
    let region = Region {
        code: "R".into(),
        name: "R".into(),
        tier: Tier::B,
        lon: 121.3,
        lat: 31.3,
        population: None,
        max_response_hours: 48.0,
        max_travel_km: 60.0,
        polygon: None,
    };
    let net = Network::new(outlets, vec![region]).unwrap();
    let policy = Policy {
        start_date: Some(t0.date()),
        horizon_days: 3,
        emergency_reserve: 0.1,
        fallback: vec![Fallback::NextDay(1)],
        ..Policy::default()
    };
    let d = Arc::new(Dispatcher::new(net.clone(), policy).unwrap());
    let (threads, per_thread) = (8u64, 125_000u64);
    let assigned = Arc::new(AtomicU64::new(0));
    let unassignable = Arc::new(AtomicU64::new(0));
    let units_booked = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for th in 0..threads {
            let (d, assigned, unassignable, units_booked) = (
                d.clone(),
                assigned.clone(),
                unassignable.clone(),
                units_booked.clone(),
            );
            s.spawn(move || {
                for j in 0..per_thread {
                    let n = th * per_thread + j;
                    let x = ((n as f64) * 0.7548776662).fract();
                    let y = ((n as f64) * 0.5698402910).fract();
                    let mut t = Ticket::new(
                        &format!("T{n}"),
                        121.0 + 0.6 * x,
                        31.0 + 0.6 * y,
                        "R",
                        skills[(n % 3) as usize],
                        t0,
                    );
                    t.units = 1 + (n % 5 == 0) as u32;
                    t.priority = if n % 11 == 0 {
                        Priority::Emergency
                    } else {
                        Priority::Normal
                    };
                    t.due_by = t0 + Duration::hours(30);
                    match d.dispatch(&t).unwrap() {
                        Outcome::Assigned(a) => {
                            assigned.fetch_add(1, Ordering::Relaxed);
                            units_booked.fetch_add(u64::from(a.units), Ordering::Relaxed);
                        }
                        Outcome::Unassignable(_) => {
                            unassignable.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let (a, u) = (
        assigned.load(Ordering::Relaxed),
        unassignable.load(Ordering::Relaxed),
    );
    assert_eq!(
        a + u,
        threads * per_thread,
        "every ticket has exactly one answer"
    );
    assert!(
        a > 10_000 && u > 100_000,
        "capacities must be tight for this test to mean anything: {a} assigned, {u} not"
    );
    let mut total = 0u64;
    for l in d.loads() {
        assert!(l.used <= l.capacity, "{l:?}");
        assert!(l.outlet_used <= l.outlet_cap, "{l:?}");
        total += u64::from(l.used);
    }
    assert_eq!(
        total,
        units_booked.load(Ordering::Relaxed),
        "ledger total equals units booked"
    );
}
