//! Per-ticket dispatch latency (p50/p90/p99) and 2-thread throughput on synthetic
//! networks of 10,000 and 100,000 outlets with 100 skills and mixed service areas.
//!
//! `cargo run --release --example dispatch_latency [outlets...]`

use servnet::bench::synthetic::{synthetic, SyntheticSpec};
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
    println!("| outlets | tickets | p50 us | p90 us | p99 us | max us | assigned | 1 thread tickets/s | 1M tickets, 1 thread /s | 1M tickets, 2 threads /s | overbooked or errors | p50 / p99 us, ticket built just before the call |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        // SERVNET_SKILL_CAPACITY=0 makes every ticket unassignable (the reasons path).
        let capacity = std::env::var("SERVNET_SKILL_CAPACITY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40);
        let spec = SyntheticSpec {
            skill_capacity: capacity,
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
        // Noise on a shared machine only adds time: the least p50 over blocks of 10,000
        // consecutive tickets is a steadier figure for comparing two builds.
        let least_block_p50 = lat
            .chunks(10_000)
            .filter(|b| b.len() == 10_000)
            .map(|b| {
                let mut b = b.to_vec();
                b.sort_unstable();
                pct(&b, 0.5)
            })
            .fold(f64::INFINITY, f64::min);
        eprintln!("{n} outlets: least p50 over blocks of 10,000 tickets {least_block_p50:.2} us");
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

        // The same tickets on a fresh dispatcher, each cloned just before its call, as a
        // caller that has just parsed the request holds it (in cache); above, each ticket
        // is read cold from an array of 1.2M built at start-up.
        let d = Dispatcher::new(net.clone(), policy.clone())?;
        let mut fresh = Vec::with_capacity(singles);
        for t in &tickets[..singles] {
            let t = t.clone();
            let t0 = Instant::now();
            d.dispatch(&t)?;
            fresh.push(t0.elapsed().as_nanos() as u64);
        }
        drop(d);
        fresh.sort_unstable();

        // The same 1,000,000 tickets on a fresh dispatcher, by 1 and by 2 threads: the
        // ratio is the scaling; every counter is checked afterwards.
        let rest = &tickets[singles..];
        let run = |threads: usize| -> servnet::Result<(f64, usize, f64)> {
            let d2 = Dispatcher::new(net.clone(), policy.clone())?;
            let chunk = rest.len().div_ceil(threads.max(1)).max(1);
            let errors = AtomicU64::new(0);
            let direct = AtomicU64::new(0);
            let t2 = Instant::now();
            std::thread::scope(|s| {
                for part in rest.chunks(chunk) {
                    let (d2, errors, direct) = (&d2, &errors, &direct);
                    s.spawn(move || {
                        for t in part {
                            match d2.dispatch(t) {
                                Ok(o) => {
                                    if o.assignment().is_some_and(|a| a.route.as_str() == "direct")
                                    {
                                        direct.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                                Err(_) => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    });
                }
            });
            let rate = rest.len() as f64 / t2.elapsed().as_secs_f64().max(1e-9);
            let over = d2
                .loads()
                .iter()
                .filter(|l| l.used > l.capacity || l.outlet_used > l.outlet_cap)
                .count();
            let direct_share = direct.load(Ordering::Relaxed) as f64 / rest.len().max(1) as f64;
            Ok((
                rate,
                over + errors.load(Ordering::Relaxed) as usize,
                direct_share,
            ))
        };
        let (rate1, over1, direct_share) = run(1)?;
        let (rate2, over2, _) = run(2)?;
        let over = over1 + over2;
        if !rest.is_empty() {
            eprintln!(
                "{n} outlets, {} tickets: 1 thread {rate1:.0}/s, 2 threads {rate2:.0}/s ({:.2}x); {:.1}% booked directly",
                rest.len(),
                rate2 / rate1.max(1e-9),
                100.0 * direct_share
            );
        }
        println!(
            "| {n} | {singles} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1}% | {:.0} | {:.0} | {:.0} | {} | {:.2} / {:.2} |",
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            100.0 * assigned as f64 / singles as f64,
            single_rate,
            rate1,
            rate2,
            over,
            pct(&fresh, 0.5),
            pct(&fresh, 0.99)
        );
    }
    Ok(())
}
