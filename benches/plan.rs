//! Capacity planning benchmarks: the vectorised demand forecast on a national-size
//! synthetic case (`servnet_core::plan::forecast::synthetic_case`), and repair-curve
//! fitting on 50 models x 15 vintages x 10 years of history
//! (`servnet_core::plan::curves::synthetic_history`).
//!
//! `cargo bench --bench plan`

use criterion::{criterion_group, criterion_main, Criterion};
use servnet_core::plan::curves::{fit_repair_curves, synthetic_history, FitOptions};
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

fn fit_curves(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit_curves");
    group.sample_size(10);
    let h = match synthetic_history(50, 15, 10, (300.0, 30_000.0), 7) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot generate the history: {e}");
            return;
        }
    };
    let opts = FitOptions::default();
    group.bench_function("50x15x10", |b| {
        b.iter(|| fit_repair_curves(black_box(&h.data), &h.network, &opts).map(|f| f.cells.len()))
    });
    group.finish();
}

criterion_group!(benches, forecast_national, fit_curves);
criterion_main!(benches);
