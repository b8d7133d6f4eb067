//! Batch assignment benchmarks: the exact transport solver on seeded spatial
//! instances (`servnet_core::bench::transport::random_transport`).
//!
//! `cargo bench --bench assign`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use servnet_core::assign::transport::solve_transport;
use servnet_core::bench::transport::random_transport;
use std::hint::black_box;

fn transport(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve_transport");
    group.sample_size(10);
    for &(n, m, k, tightness) in &[
        (10_000, 1_000, 30, 0.9),
        (10_000, 1_000, 30, 0.98),
        (100_000, 5_000, 35, 0.9),
        (100_000, 5_000, 35, 0.98),
    ] {
        let problem = match random_transport(n, m, k, tightness, 42) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("cannot generate {n}x{m}: {e}");
                continue;
            }
        };
        let id = BenchmarkId::from_parameter(format!("{n}x{m}x{k}@{tightness}"));
        group.bench_with_input(id, &problem, |b, p| {
            b.iter(|| solve_transport(black_box(p)).map(|s| s.objective))
        });
    }
    group.finish();
}

/// Joint re-assignment of the sample day (20k tickets, 1.5k outlets), heuristic method
/// (flow relaxation + repair), eligibility included.
fn sample_day(c: &mut Criterion) {
    use servnet_core::assign::{assign, AssignOptions, Method};
    use servnet_core::dispatch::{Dispatcher, Policy};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let Ok(data) = servnet_core::io::read_dir(&dir) else {
        eprintln!("no sample data in {}", dir.display());
        return;
    };
    let policy = Policy {
        fallback: vec![],
        start_date: data.tickets.iter().map(|t| t.created_at.date()).min(),
        ..Policy::default()
    };
    let mut group = c.benchmark_group("assign_sample");
    group.sample_size(10);
    for method in [Method::Heuristic, Method::Auto] {
        let o = AssignOptions {
            method,
            ..AssignOptions::default()
        };
        group.bench_function(method.as_str(), |b| {
            b.iter(|| {
                Dispatcher::new(data.network.clone(), policy.clone())
                    .and_then(|d| assign(black_box(&data.tickets), &d, &o))
                    .map(|p| p.objective)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, transport, sample_day);
criterion_main!(benches);
