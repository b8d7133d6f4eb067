//! National-scale sparse p-median: 5,000 candidate sites x 50,000 demand cells, only
//! the pairs within reach kept (the 40 nearest sites within 60 km, at least the 3
//! nearest), solved by `plan::location::sparse::solve_count` with its Lagrangian bound.
//!
//! `cargo run --release --example plan_national [sites points p]` (defaults 5000 50000
//! 500). Points and sites are seeded clusters (Zipf-sized "cities" in a 2,000 km
//! square), so the instance is the same on every run.

use servnet::plan::location::sparse::{solve_count, SparseInstance, SparseOptions};
use std::time::Instant;

/// A tiny seeded generator (xorshift64*), so the example needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `n` points (km) around 300 cities of Zipf sizes; spread grows with the city.
fn clustered(rng: &mut Rng, cities: &[(f64, f64, f64)], n: usize) -> Vec<(f64, f64)> {
    let total: f64 = cities.iter().map(|c| c.2).sum();
    (0..n)
        .map(|_| {
            let mut u = rng.next() * total;
            let mut c = cities[0];
            for &city in cities {
                if u < city.2 {
                    c = city;
                    break;
                }
                u -= city.2;
            }
            let s = 3.0 + 40.0 * (c.2 / cities[0].2).sqrt();
            (c.0 + s * rng.normal(), c.1 + s * rng.normal())
        })
        .collect()
}

fn main() -> Result<(), servnet::Error> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (n_sites, n_points, p) = (
        *args.first().unwrap_or(&5000),
        *args.get(1).unwrap_or(&50_000),
        *args.get(2).unwrap_or(&500),
    );
    let mut rng = Rng(0x5EED_1234_ABCD);
    let cities: Vec<(f64, f64, f64)> = (0..300)
        .map(|k| {
            (
                2000.0 * rng.next(),
                2000.0 * rng.next(),
                1.0 / (k as f64 + 1.0),
            )
        })
        .collect();
    let sites = clustered(&mut rng, &cities, n_sites);
    let points = clustered(&mut rng, &cities, n_points);
    let weight: Vec<f64> = (0..n_points).map(|_| 1.0 + 9.0 * rng.next()).collect();
    let started = Instant::now();
    // Grid buckets of 20 km for the neighbour search.
    let cell = 20.0;
    let key = |x: f64, y: f64| ((x / cell).floor() as i64, (y / cell).floor() as i64);
    let mut grid: std::collections::BTreeMap<(i64, i64), Vec<u32>> = Default::default();
    for (i, &(x, y)) in sites.iter().enumerate() {
        grid.entry(key(x, y)).or_default().push(i as u32);
    }
    let (reach, max_pairs, min_pairs) = (60.0, 40, 3);
    let mut pairs = Vec::with_capacity(n_points);
    for (j, &(x, y)) in points.iter().enumerate() {
        let (cx, cy) = key(x, y);
        let mut near: Vec<(f64, u32)> = Vec::new();
        let mut ring = 3i64;
        loop {
            near.clear();
            for gx in cx - ring..=cx + ring {
                for gy in cy - ring..=cy + ring {
                    for &i in grid.get(&(gx, gy)).map(Vec::as_slice).unwrap_or(&[]) {
                        let (sx, sy) = sites[i as usize];
                        near.push((((sx - x).powi(2) + (sy - y).powi(2)).sqrt(), i));
                    }
                }
            }
            if near.len() >= min_pairs || ring > 100 {
                break;
            }
            ring *= 2;
        }
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let list: Vec<(u32, f64)> = near
            .iter()
            .enumerate()
            .filter(|(k, &(d, _))| *k < min_pairs || (d <= reach && *k < max_pairs))
            .map(|(_, &(d, i))| (i, d * weight[j]))
            .collect();
        pairs.push(list);
    }
    let unserved: Vec<f64> = weight.iter().map(|w| w * 4.0 * reach).collect();
    let inst = SparseInstance::new(
        vec![0.0; n_sites],
        vec![false; n_sites],
        unserved,
        pairs,
        0.0,
    )?;
    let built = started.elapsed().as_secs_f64();
    let opts = SparseOptions {
        time_limit: 100.0,
        bound_iterations: 1000,
        target_gap: 0.002,
        ..SparseOptions::default()
    };
    let r = solve_count(&inst, p, None, None, &opts)?;
    let total = started.elapsed().as_secs_f64();
    println!(
        "{n_sites} sites x {n_points} points, p = {p}: {} pairs ({:.1} per point), built in {built:.2} s",
        inst.n_pairs(),
        inst.n_pairs() as f64 / n_points as f64
    );
    println!(
        "objective {:.1}, bound {:.1}, gap {:.3}%, {} swaps, solve {:.2} s, total {total:.2} s",
        r.objective,
        r.lower_bound,
        100.0 * r.gap,
        r.swaps,
        r.seconds
    );
    Ok(())
}
