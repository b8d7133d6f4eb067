//! Batch assignment benchmarks: the exact transport solver on seeded spatial
//! instances (`servnet_core::assign::flow::random_transport`).
//!
//! `cargo bench --bench assign`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use servnet_core::assign::flow::{random_transport, solve_transport};
use std::hint::black_box;

fn transport(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve_transport");
    group.sample_size(10);
    for &(n, m, k, tightness) in &[(10_000, 1_000, 30, 0.9), (100_000, 5_000, 35, 0.9)] {
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

criterion_group!(benches, transport);
criterion_main!(benches);
