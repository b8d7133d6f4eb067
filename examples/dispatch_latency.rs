//! Per-ticket dispatch latency (p50/p90/p99) and 2-thread throughput on synthetic
//! networks of 10,000 and 100,000 outlets with 100 skills and mixed service areas.
//!
//! `cargo run --release --example dispatch_latency [outlets...]`

use servnet::dispatch::synthetic::{synthetic, SyntheticSpec};
use servnet::dispatch::{Dispatcher, Outcome, Policy};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn pct(sorted: &[u64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

fn main() -> servnet::Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!("| outlets | tickets | p50 us | p90 us | p99 us | max us | assigned | 1-thread tickets/s | 2-thread tickets/s | overbooked |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let spec = SyntheticSpec {
            skill_capacity: 40,
            daily_cap: 400,
            ..SyntheticSpec::new(n, 7)
        };
        let env = |k: &str, d: usize| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let singles = env("SERVNET_SINGLE_TICKETS", 200_000);
        let threaded = env("SERVNET_THREADED_TICKETS", 1_000_000);
        let (net, tickets) = synthetic(&spec, singles + threaded)?;
        let policy = Policy {
            start_date: Some(tickets[0].created_at.date()),
            ..Policy::default()
        };

        // Single thread: time each call.
        let d = Dispatcher::new(net.clone(), policy.clone())?;
        let mut lat = Vec::with_capacity(singles);
        let mut by_route: std::collections::BTreeMap<&'static str, Vec<u64>> =
            std::collections::BTreeMap::new();
        let mut assigned = 0usize;
        let t_all = Instant::now();
        for t in &tickets[..singles] {
            let t0 = Instant::now();
            let o = d.dispatch(t)?;
            let ns = t0.elapsed().as_nanos() as u64;
            lat.push(ns);
            let route = o.assignment().map_or("unassignable", |a| a.route.as_str());
            by_route.entry(route).or_default().push(ns);
            assigned += usize::from(matches!(o, Outcome::Assigned(_)));
        }
        let single_rate = singles as f64 / t_all.elapsed().as_secs_f64();
        lat.sort_unstable();
        for (route, ns) in &mut by_route {
            ns.sort_unstable();
            eprintln!(
                "{n} outlets, {route}: {} of {singles} tickets, p50 {:.2} us, p99 {:.2} us",
                ns.len(),
                pct(ns, 0.5),
                pct(ns, 0.99)
            );
        }

        // Two threads on a fresh dispatcher: 1,000,000 tickets.
        let d2 = Dispatcher::new(net.clone(), policy.clone())?;
        let rest = &tickets[singles..];
        let half = rest.len() / 2;
        let errors = AtomicU64::new(0);
        let t2 = Instant::now();
        std::thread::scope(|s| {
            for part in [&rest[..half], &rest[half..]] {
                let (d2, errors) = (&d2, &errors);
                s.spawn(move || {
                    for t in part {
                        if d2.dispatch(t).is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let rate2 = rest.len() as f64 / t2.elapsed().as_secs_f64().max(1e-9);
        let over = d2
            .loads()
            .iter()
            .filter(|l| l.used > l.capacity || l.outlet_used > l.outlet_cap)
            .count();
        println!(
            "| {n} | {singles} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1}% | {:.0} | {:.0} | {} |",
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            100.0 * assigned as f64 / singles as f64,
            single_rate,
            rate2,
            over + errors.load(Ordering::Relaxed) as usize
        );
    }
    Ok(())
}
