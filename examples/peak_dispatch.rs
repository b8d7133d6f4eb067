//! Per-ticket dispatch latency on a peak-season network ([`servnet::bench::peak`]):
//! outlets and tickets on 40 Chinese cities by population, 12 skills, radii 30-100 km,
//! capacity tight enough that some tickets find every eligible outlet full.
//!
//! `cargo run --release --example peak_dispatch -- [OUTLETS...] [--tickets N]
//!  [--scale X] [--write DIR] [--counts]`
//!
//! Prints p50/p90/p99/p99.9/mean per ticket (all, assigned, unassignable) through
//! `Dispatcher::dispatch` with the default in-memory ledger, one thread, tickets in
//! arrival order. `--write DIR` also writes the network (DIR/outlets.csv, ...) and
//! DIR/tickets.csv for the Python loop and the peer (scripts/peak_dispatch.py).
//! `--counts` (in a debug build: `cargo run --example peak_dispatch -- ... --counts`) also
//! prints, per class of ticket, the distribution of what each dispatch touched per phase
//! of the search and in the diagnosis (`servnet::dispatch::probe`; release builds count
//! nothing). `--classes` (for `valgrind --tool=callgrind --toggle-collect=`): a first
//! pass over a fresh dispatcher learns each ticket's class, then the timed pass calls
//! `dispatch` through `profile_unassignable`, `profile_booked_direct` or
//! `profile_booked_fallback`, so instructions can be counted per class.

use servnet::bench::peak::{peak, PeakSpec};
use servnet::dispatch::{Dispatcher, Outcome, Policy};
use std::io::Write;
use std::time::Instant;

fn pct(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

fn row(name: &str, v: &mut [u64], total: usize) -> String {
    v.sort_unstable();
    let mean = v.iter().sum::<u64>() as f64 / v.len().max(1) as f64 / 1000.0;
    format!(
        "| {name} | {} ({:.1}%) | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} |",
        v.len(),
        100.0 * v.len() as f64 / total.max(1) as f64,
        pct(v, 0.5),
        pct(v, 0.9),
        pct(v, 0.99),
        pct(v, 0.999),
        mean,
        pct(v, 1.0)
    )
}

fn write_tickets(
    path: &std::path::Path,
    tickets: &[servnet::model::Ticket],
) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "id,lon,lat,region,skill,units,priority,created_at,due_by,customer_tier,avoid,preferred"
    )?;
    for t in tickets {
        writeln!(
            w,
            "{},{:.5},{:.5},{},{},{},{},{},{},standard,,",
            t.id,
            t.lon,
            t.lat,
            t.region,
            t.skill,
            t.units,
            t.priority.as_str(),
            t.created_at.format("%Y-%m-%dT%H:%M:%S"),
            t.due_by.format("%Y-%m-%dT%H:%M:%S"),
        )?;
    }
    w.flush()
}

/// Per class of ticket and counter with any count: p50 / p90 / p99 / mean / max per
/// ticket (debug builds count; see `servnet::dispatch::probe`), and the same for the
/// class's slowest 1% of tickets.
fn print_counts(n: usize, names: &[String], probed: &mut [Vec<Vec<u32>>], ns: &[Vec<u64>]) {
    let stats = |v: &mut Vec<u32>| {
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
        v.sort_unstable();
        let q = |p: f64| {
            if v.is_empty() {
                0
            } else {
                v[((v.len() - 1) as f64 * p).round() as usize]
            }
        };
        format!(
            "{} | {} | {} | {mean:.1} | {}",
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0)
        )
    };
    for (class, cols) in ["unassignable", "booked direct", "booked by fallback"]
        .iter()
        .zip(probed.iter_mut())
    {
        let tickets = cols.first().map_or(0, Vec::len);
        let times = &ns[["unassignable", "booked direct", "booked by fallback"]
            .iter()
            .position(|c| c == class)
            .unwrap_or(0)];
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by_key(|&i| times[i]);
        let slow: Vec<usize> = order[order.len() - order.len().div_ceil(100)..].to_vec();
        println!("\n{n} outlets, {class}: {tickets} tickets (slow = slowest 1% by time)");
        println!("| counter | p50 | p90 | p99 | mean | max | slow p50 | slow mean |");
        println!("|---|---|---|---|---|---|---|---|");
        for (name, col) in names.iter().zip(cols.iter_mut()) {
            if col.iter().all(|&x| x == 0) {
                continue;
            }
            let mut s: Vec<u32> = slow.iter().map(|&i| col[i]).collect();
            let st = stats(col);
            let slow_st = stats(&mut s);
            let mut parts = slow_st.split(" | ");
            let (sp50, smean) = (parts.next().unwrap_or(""), parts.nth(2).unwrap_or(""));
            println!("| {name} | {st} | {sp50} | {smean} |");
        }
    }
}

/// Per-class entry points for `--classes` (kept out of line so callgrind sees them, and
/// told apart so the linker does not fold them into one).
#[inline(never)]
fn profile_unassignable(d: &Dispatcher, t: &servnet::model::Ticket) -> servnet::Result<Outcome> {
    std::hint::black_box(0);
    d.dispatch(t)
}

#[inline(never)]
fn profile_booked_direct(d: &Dispatcher, t: &servnet::model::Ticket) -> servnet::Result<Outcome> {
    std::hint::black_box(1);
    d.dispatch(t)
}

#[inline(never)]
fn profile_booked_fallback(d: &Dispatcher, t: &servnet::model::Ticket) -> servnet::Result<Outcome> {
    std::hint::black_box(2);
    d.dispatch(t)
}

/// Each ticket's class (0 unassignable, 1 booked direct, 2 booked by a fallback).
fn class_of(o: &Outcome) -> usize {
    match o {
        Outcome::Unassignable(_) => 0,
        Outcome::Assigned(a) if a.route.as_str() == "direct" => 1,
        Outcome::Assigned(_) => 2,
    }
}

fn main() -> servnet::Result<()> {
    let mut sizes = Vec::new();
    let mut tickets_n = 100_000usize;
    let mut scale = None;
    let mut write = None;
    let mut counts = false;
    let mut classes = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tickets" => {
                tickets_n = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(tickets_n)
            }
            "--scale" => scale = args.next().and_then(|v| v.parse().ok()),
            "--write" => write = args.next(),
            "--counts" => counts = true,
            "--classes" => classes = true,
            _ => sizes.extend(a.parse::<usize>().ok()),
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    println!("| outlets | tickets | outcome | tickets (share) | p50 us | p90 us | p99 us | p99.9 us | mean us | max us |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let mut spec = PeakSpec::new(n, tickets_n, 7);
        if let Some(s) = scale {
            spec.capacity_scale = s;
        }
        let (net, tickets) = peak(&spec)?;
        if let Some(dir) = &write {
            let dir = std::path::Path::new(dir);
            servnet::io::write_network(dir, &net)?;
            write_tickets(&dir.join("tickets.csv"), &tickets)
                .map_err(|e| servnet::Error::argument("--write", e.to_string()))?;
        }
        let policy = Policy {
            start_date: tickets.first().map(|t| t.created_at.date()),
            ..Policy::default()
        };
        let learned: Vec<usize> = if classes {
            let first = Dispatcher::new(net.clone(), policy.clone())?;
            tickets
                .iter()
                .map(|t| first.dispatch(t).map(|o| class_of(&o)))
                .collect::<servnet::Result<_>>()?
        } else {
            Vec::new()
        };
        let d = Dispatcher::new(net, policy)?;
        let (mut all, mut ok, mut none) = (Vec::new(), Vec::new(), Vec::new());
        let mut full = 0usize;
        let mut reasons = std::collections::BTreeMap::new();
        let mut routes = std::collections::BTreeMap::new();
        let names = servnet::dispatch::probe::names();
        // Per class (unassignable, booked direct, booked by a fallback), per counter.
        let mut probed: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); names.len()]; 3];
        let mut probed_ns: Vec<Vec<u64>> = vec![Vec::new(); 3];
        servnet::dispatch::probe::take();
        for (i, t) in tickets.iter().enumerate() {
            let t0 = Instant::now();
            let o = match learned.get(i) {
                None => d.dispatch(t)?,
                Some(0) => profile_unassignable(&d, t)?,
                Some(1) => profile_booked_direct(&d, t)?,
                Some(_) => profile_booked_fallback(&d, t)?,
            };
            let ns = t0.elapsed().as_nanos() as u64;
            if counts {
                let class = class_of(&o);
                for (col, v) in probed[class]
                    .iter_mut()
                    .zip(servnet::dispatch::probe::take())
                {
                    col.push(v.min(u64::from(u32::MAX)) as u32);
                }
                probed_ns[class].push(ns);
            }
            all.push(ns);
            match &o {
                Outcome::Assigned(a) => {
                    ok.push(ns);
                    *routes.entry(a.route.as_str()).or_insert(0usize) += 1;
                }
                Outcome::Unassignable(u) => {
                    none.push(ns);
                    *reasons.entry(u.reason.as_str()).or_insert(0usize) += 1;
                    full += usize::from(matches!(
                        u.reason,
                        servnet::dispatch::Rule::SkillFull | servnet::dispatch::Rule::OutletFull
                    ));
                }
            }
        }
        let total = tickets.len();
        if counts {
            print_counts(n, &names, &mut probed, &probed_ns);
        }
        for (name, v) in [
            ("all", &mut all),
            ("assigned", &mut ok),
            ("unassignable", &mut none),
        ] {
            println!("| {n} | {total} {}", row(name, v, total));
        }
        eprintln!(
            "{n} outlets: {:.1}% of tickets find every eligible outlet full; reasons {reasons:?}; routes {routes:?}",
            100.0 * full as f64 / total.max(1) as f64
        );
    }
    Ok(())
}
