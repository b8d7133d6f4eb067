//! Seeded generators of spatially realistic location instances, for measurements and
//! tests: demand clustered around cities of Zipf-distributed size in a 1,000 x 1,000 km
//! square (plus a rural share), candidate sites drawn the same way, Euclidean km.

use crate::plan::location::{CostBasis, CostMatrix, LocationInstance, Site};
use crate::rng::SplitMix64;
use crate::Result;

/// `n` points (x, y) in km: 85% around 40 cities (Gaussian, spread growing with city
/// size), 15% uniform. The same seed gives the same points.
pub fn clustered_points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = SplitMix64::new(seed);
    let cities: Vec<(f64, f64, f64)> = (0..40)
        .map(|k| {
            let size = 1.0 / (k as f64 + 1.0); // Zipf
            (rng.next_f64() * 1000.0, rng.next_f64() * 1000.0, size)
        })
        .collect();
    let total: f64 = cities.iter().map(|c| c.2).sum();
    (0..n)
        .map(|_| {
            if rng.next_f64() < 0.15 {
                return (rng.next_f64() * 1000.0, rng.next_f64() * 1000.0);
            }
            let mut r = rng.next_f64() * total;
            let mut city = cities[cities.len() - 1];
            for c in &cities {
                if r < c.2 {
                    city = *c;
                    break;
                }
                r -= c.2;
            }
            // Box-Muller
            let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
            let rad = (-2.0 * u1.ln()).sqrt();
            let sigma = 10.0 + 60.0 * city.2.sqrt();
            let x = city.0 + sigma * rad * (std::f64::consts::TAU * u2).cos();
            let y = city.1 + sigma * rad * (std::f64::consts::TAU * u2).sin();
            (x.clamp(0.0, 1000.0), y.clamp(0.0, 1000.0))
        })
        .collect()
}

fn distances(sites: &[(f64, f64)], points: &[(f64, f64)]) -> Vec<f64> {
    let mut d = Vec::with_capacity(sites.len() * points.len());
    for s in sites {
        for p in points {
            d.push(((s.0 - p.0).powi(2) + (s.1 - p.1).powi(2)).sqrt());
        }
    }
    d
}

/// An uncapacitated p-median instance: `n_sites` candidates, `n_points` demand points
/// with integer weights 1..=100, distances in km ([`CostBasis::PerUnit`]).
pub fn pmedian_instance(n_sites: usize, n_points: usize, seed: u64) -> Result<LocationInstance> {
    let sites = clustered_points(n_sites, seed ^ 0xA11CE);
    let points = clustered_points(n_points, seed);
    let mut rng = SplitMix64::new(seed ^ 0xBEEF);
    let demand = (0..n_points).map(|_| 1.0 + rng.below(100) as f64).collect();
    let matrix = CostMatrix::new(n_sites, n_points, distances(&sites, &points))?;
    LocationInstance::new(
        (0..n_sites).map(|_| Site::uncapacitated(0.0)).collect(),
        demand,
        matrix,
        CostBasis::PerUnit,
    )
}

/// A capacitated instance: demand 1..=100 per point, site capacities averaging
/// 4 x total demand / `n_sites` (so about a quarter of the sites must open), fixed
/// costs 20,000-60,000 and a cost of 1 per unit per km.
pub fn cflp_instance(n_sites: usize, n_points: usize, seed: u64) -> Result<LocationInstance> {
    let sites_xy = clustered_points(n_sites, seed ^ 0xA11CE);
    let points = clustered_points(n_points, seed);
    let mut rng = SplitMix64::new(seed ^ 0xBEEF);
    let demand: Vec<f64> = (0..n_points).map(|_| 1.0 + rng.below(100) as f64).collect();
    let total: f64 = demand.iter().sum();
    let mean_cap = 4.0 * total / n_sites.max(1) as f64;
    let sites = (0..n_sites)
        .map(|_| Site {
            fixed_cost: (20_000.0 + 40_000.0 * rng.next_f64()).round(),
            capacity: (mean_cap * (0.5 + rng.next_f64())).round(),
            modules: Vec::new(),
        })
        .collect();
    let matrix = CostMatrix::new(n_sites, n_points, distances(&sites_xy, &points))?;
    LocationInstance::new(sites, demand, matrix, CostBasis::PerUnit)
}

/// A Cornuéjols-type CFLP instance (Cornuéjols, Sridharan and Thizy 1991, the generator
/// behind most CFLP benchmark sets since): sites and customers uniform in the unit
/// square, demands uniform in [5, 35], raw capacities uniform in [10, 160], fixed cost
/// `U[0, 90] + U[100, 110] * sqrt(raw capacity)` (economies of scale), capacities then
/// scaled so that they total `ratio` times the demand, and the cost of serving a whole
/// customer `10 * demand * distance` ([`CostBasis::Total`], as the OR-Library `cap`
/// files). Demands and capacities are rounded to integers. The same seed gives the
/// same instance.
pub fn cornuejols_instance(
    n_sites: usize,
    n_points: usize,
    ratio: f64,
    seed: u64,
) -> Result<LocationInstance> {
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(crate::Error::argument(
            "ratio",
            format!("expected a finite number > 0, got {ratio}"),
        ));
    }
    if n_sites == 0 || n_points == 0 || n_sites.saturating_mul(n_points) > 200_000_000 {
        return Err(crate::Error::argument(
            "size",
            format!("expected 1 to 200M site x point pairs, got {n_sites} x {n_points}"),
        ));
    }
    let mut rng = SplitMix64::new(seed ^ 0xC0_52_27);
    let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * rng.next_f64();
    let sites_xy: Vec<(f64, f64)> = (0..n_sites)
        .map(|_| (uniform(0.0, 1.0), uniform(0.0, 1.0)))
        .collect();
    let points: Vec<(f64, f64)> = (0..n_points)
        .map(|_| (uniform(0.0, 1.0), uniform(0.0, 1.0)))
        .collect();
    let demand: Vec<f64> = (0..n_points).map(|_| uniform(5.0, 35.0).round()).collect();
    let raw: Vec<f64> = (0..n_sites).map(|_| uniform(10.0, 160.0)).collect();
    let fixed: Vec<f64> = raw
        .iter()
        .map(|s| (uniform(0.0, 90.0) + uniform(100.0, 110.0) * s.sqrt()).round())
        .collect();
    let scale = ratio * demand.iter().sum::<f64>() / raw.iter().sum::<f64>().max(1e-9);
    let sites = raw
        .iter()
        .zip(&fixed)
        .map(|(s, f)| Site {
            fixed_cost: *f,
            capacity: (s * scale).round().max(1.0),
            modules: Vec::new(),
        })
        .collect();
    let d = distances(&sites_xy, &points);
    let cost = d
        .iter()
        .enumerate()
        .map(|(k, dist)| 10.0 * demand[k % n_points.max(1)] * dist)
        .collect();
    let matrix = CostMatrix::new(n_sites, n_points, cost)?;
    LocationInstance::new(sites, demand, matrix, CostBasis::Total)
}
