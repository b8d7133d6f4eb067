//! Criterion: steady-state `dispatch` (+ `release`, so capacity never runs out) on a
//! synthetic network of 10,000 outlets, 100 skills, mixed radius / polygon / region areas.
//! Latency percentiles and 2-thread throughput: `cargo run --release --example dispatch_latency`.

use criterion::{criterion_group, criterion_main, Criterion};
use servnet::bench::synthetic::{synthetic, SyntheticSpec};
use servnet::dispatch::{Dispatcher, Policy};
use std::hint::black_box;

fn bench_dispatch(c: &mut Criterion) {
    let Ok((net, tickets)) = synthetic(&SyntheticSpec::new(10_000, 7), 50_000) else {
        return;
    };
    let policy = Policy {
        start_date: tickets.first().map(|t| t.created_at.date()),
        ..Policy::default()
    };
    let Ok(d) = Dispatcher::new(net, policy) else {
        return;
    };
    let mut i = 0usize;
    c.bench_function("dispatch+release 10k outlets", |b| {
        b.iter(|| {
            let t = &tickets[i % tickets.len()];
            i += 1;
            let out = d.dispatch(black_box(t));
            let _ = d.release(&t.id);
            black_box(out)
        })
    });
    let t = &tickets[0];
    c.bench_function("candidates(k=5) 10k outlets", |b| {
        b.iter(|| black_box(d.candidates(black_box(t), 5)))
    });
}

criterion_group!(benches, bench_dispatch);
criterion_main!(benches);
