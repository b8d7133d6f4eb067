//! Capacity planning benchmarks: the vectorised demand forecast on a national-size
//! synthetic case (`servnet_core::plan::forecast::synthetic_case`).
//!
//! `cargo bench --bench plan`

use criterion::{criterion_group, criterion_main, Criterion};
use servnet_core::plan::forecast::{forecast, synthetic_case, ForecastOptions};
use std::hint::black_box;

fn forecast_national(c: &mut Criterion) {
    let mut group = c.benchmark_group("forecast");
    group.sample_size(10);
    // 3,000 regions x 50 models x 15 vintages = 2.25 M installed-base rows.
    let (network, data) = match synthetic_case(3000, 50, 15, 2026, 7) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot generate the case: {e}");
            return;
        }
    };
    for years in [1u32, 5] {
        let opts = ForecastOptions::new(2026, years);
        group.bench_function(format!("3000x50x15_{years}y"), |b| {
            b.iter(|| forecast(black_box(&data), &network, &opts).map(|f| f.tickets.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, forecast_national);
criterion_main!(benches);
