//! `ledger-load`: one dispatch process on a shared Redis ledger, for the multi-process
//! tests and `scripts/bench_redis.sh`.
//!
//! Builds a seeded synthetic network (every process with the same arguments builds the
//! same one), dispatches tickets `from..from + count` (wrapping around `tickets`) from
//! `threads` threads, and reports each acknowledged answer on stdout as soon as it has
//! it (one line, flushed), so a harness that kills this process knows what it had
//! acknowledged:
//!
//! ```text
//! A <ticket> <outlet> <skill> <day> <units> <t0> <t1>   assigned (new or the earlier booking)
//! U <ticket> <reason> <t0> <t1>                          no outlet can take it
//! E <ticket> <error>                                     the ledger failed; retried after --retry-ms
//! ```
//!
//! `t0` and `t1` are the wall-clock times (us since the Unix epoch) when the dispatch call
//! began and returned: processes on one machine share that clock, so a harness can tell
//! an answer given after another process's booking was acknowledged.
//!
//! At the end it prints one JSON line to stderr: tickets, seconds, tickets/s, latency
//! percentiles (us) of the dispatch calls, and requests sent to Redis per ticket.
//!
//! `--ledger memory` runs the same on the in-memory ledger (the peer in benchmarks);
//! `--verify` dispatches nothing: it reads every booking of the namespace and checks
//! that no counter passes its capacity and that the counters equal the bookings.

use clap::Parser;
use servnet_core::bench::synthetic::{synthetic, SyntheticSpec};
use servnet_core::dispatch::{Dispatcher, Ledger, MemoryLedger, Outcome, Policy};
use servnet_redis::{RedisLedger, RedisStore};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "One dispatch process on a shared Redis ledger (tests and benchmarks)")]
struct Args {
    /// The ledger URL (redis://HOST:PORT/DB?namespace=NAME).
    #[arg(long)]
    ledger: String,
    /// Outlets of the synthetic network.
    #[arg(long, default_value_t = 1000)]
    outlets: usize,
    /// Cities (regions).
    #[arg(long, default_value_t = 30)]
    cities: usize,
    /// Product categories (5 skills each).
    #[arg(long, default_value_t = 4)]
    categories: usize,
    /// Skills per outlet.
    #[arg(long, default_value_t = 8)]
    skills_per_outlet: usize,
    /// Daily capacity of each outlet skill.
    #[arg(long, default_value_t = 40)]
    capacity: u32,
    /// Outlet-wide daily capacity.
    #[arg(long, default_value_t = 300)]
    daily_cap: u32,
    /// Days each booking may fall on (the policy's horizon).
    #[arg(long, default_value_t = 3)]
    horizon_days: u32,
    /// Seed of the network and tickets.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Tickets generated.
    #[arg(long, default_value_t = 10_000)]
    tickets: usize,
    /// First ticket this process dispatches.
    #[arg(long, default_value_t = 0)]
    from: usize,
    /// Tickets this process dispatches (from `from`, wrapping around); default all.
    #[arg(long)]
    count: Option<usize>,
    /// Dispatching threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Print no per-ticket lines (benchmarks).
    #[arg(long)]
    quiet: bool,
    /// Wait before retrying a ticket whose dispatch failed.
    #[arg(long, default_value_t = 50)]
    retry_ms: u64,
    /// Check the namespace's bookings against capacity instead of dispatching.
    #[arg(long)]
    verify: bool,
    /// Give up on the run after this long.
    #[arg(long, default_value_t = 120)]
    max_secs: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// Microseconds since the Unix epoch (0 if the clock is before it).
fn epoch_us() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ledger-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> Result<(), String> {
    let spec = SyntheticSpec {
        outlets: a.outlets,
        cities: a.cities,
        categories: a.categories,
        skills_per_outlet: a.skills_per_outlet,
        skill_capacity: a.capacity,
        daily_cap: a.daily_cap,
        seed: a.seed,
    };
    let (network, tickets) = synthetic(&spec, a.tickets).map_err(|e| e.to_string())?;
    let policy = Policy {
        start_date: tickets.first().map(|t| t.created_at.date()),
        horizon_days: a.horizon_days,
        ..Policy::default()
    };
    if a.verify {
        return verify(a, &policy);
    }
    let (ledger, requests): (Box<dyn Ledger>, _) = if a.ledger == "memory" {
        (Box::new(MemoryLedger::new()), Arc::default())
    } else {
        let l = RedisLedger::connect(&a.ledger).map_err(|e| e.to_string())?;
        let r = l.store().request_counter();
        (Box::new(l), r)
    };
    let d = Arc::new(Dispatcher::with_ledger(network, policy, ledger).map_err(|e| e.to_string())?);
    let n = tickets.len();
    if n == 0 {
        return Err("no tickets".into());
    }
    let count = a.count.unwrap_or(n).min(n);
    let order: Vec<usize> = (0..count).map(|i| (a.from + i) % n).collect();
    let tickets = Arc::new(tickets);
    let order = Arc::new(order);
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.max_secs);
    let started = Instant::now();
    let workers: Vec<_> = (0..a.threads.max(1))
        .map(|_| {
            let (d, tickets, order, out, next) = (
                Arc::clone(&d),
                Arc::clone(&tickets),
                Arc::clone(&order),
                Arc::clone(&out),
                Arc::clone(&next),
            );
            let (quiet, retry, max_secs) = (a.quiet, Duration::from_millis(a.retry_ms), a.max_secs);
            std::thread::spawn(move || -> Result<Vec<u32>, String> {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&k) = order.get(i) else {
                        return Ok(lat);
                    };
                    let t = &tickets[k];
                    loop {
                        let began = epoch_us();
                        let t0 = Instant::now();
                        let r = d.dispatch(t);
                        let ns = t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32;
                        let line = match &r {
                            Ok(Outcome::Assigned(x)) => format!(
                                "A\t{}\t{}\t{}\t{}\t{}\t{began}\t{}\n",
                                x.ticket_id,
                                x.outlet_id,
                                x.skill,
                                x.day,
                                x.units,
                                epoch_us()
                            ),
                            Ok(Outcome::Unassignable(u)) => format!(
                                "U\t{}\t{:?}\t{began}\t{}\n",
                                u.ticket_id,
                                u.reason,
                                epoch_us()
                            ),
                            Err(e) => {
                                format!("E\t{}\t{}\n", t.id, e.to_string().replace('\n', " "))
                            }
                        };
                        if !quiet || r.is_err() {
                            let mut o = out.lock().map_err(|e| e.to_string())?;
                            o.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
                            o.flush().map_err(|e| e.to_string())?;
                        }
                        if r.is_ok() {
                            lat.push(ns);
                            break;
                        }
                        if Instant::now() > deadline {
                            return Err(format!("gave up on ticket {} after {max_secs} s", t.id));
                        }
                        std::thread::sleep(retry);
                    }
                }
            })
        })
        .collect();
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(
            w.join()
                .map_err(|_| "a worker thread panicked".to_string())??,
        );
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let requests = requests.load(Ordering::Relaxed);
    eprintln!(
        "{{\"tickets\": {}, \"secs\": {secs:.3}, \"tickets_per_s\": {:.0}, \"p50_us\": {:.1}, \
         \"p90_us\": {:.1}, \"p99_us\": {:.1}, \"max_us\": {:.1}, \"requests\": {requests}, \
         \"requests_per_ticket\": {:.3}}}",
        lat.len(),
        lat.len() as f64 / secs.max(1e-9),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
        requests as f64 / lat.len().max(1) as f64,
    );
    Ok(())
}

/// Checks every booking of the namespace: per (outlet skill, day) and (outlet, day) at
/// most the capacity, and Redis's counters equal to the bookings' units.
fn verify(a: &Args, policy: &Policy) -> Result<(), String> {
    let store = RedisStore::connect(&a.ledger).map_err(|e| e.to_string())?;
    let start = policy.start_date.ok_or("no start date")?;
    let mut offer: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    let mut outlet: BTreeMap<(String, String), u32> = BTreeMap::new();
    let bookings = store.all_bookings().map_err(|e| e.to_string())?;
    for (_, b) in &bookings {
        *offer
            .entry((b.skill.clone(), b.outlet.clone(), b.date.clone()))
            .or_default() += b.units;
        *outlet
            .entry((b.outlet.clone(), b.date.clone()))
            .or_default() += b.units;
    }
    let over = offer.values().filter(|&&n| n > a.capacity).count()
        + outlet.values().filter(|&&n| n > a.daily_cap).count();
    let dates: Vec<String> = (0..a.horizon_days)
        .filter_map(|d| start.checked_add_days(chrono::Days::new(u64::from(d))))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let snap = store.snapshot(&dates).map_err(|e| e.to_string())?;
    let mut mismatches = 0;
    for (date, loads) in dates.iter().zip(&snap.loads) {
        for (s, o, units) in loads {
            let want = if s.is_empty() {
                outlet.get(&(o.clone(), date.clone()))
            } else {
                offer.get(&(s.clone(), o.clone(), date.clone()))
            };
            if want.copied().unwrap_or(0) != *units {
                mismatches += 1;
            }
        }
    }
    println!(
        "{{\"bookings\": {}, \"over_capacity\": {over}, \"counter_mismatches\": {mismatches}}}",
        bookings.len()
    );
    if over + mismatches > 0 {
        return Err("the ledger is inconsistent".into());
    }
    Ok(())
}
