//! Seeded random transport instances for the transport solver's benchmarks
//! (`benches/assign.rs`, `servnet bench-transport`, `scripts/compare_assign.py`).

use crate::assign::transport::TransportProblem;
use crate::rng::SplitMix64;
use crate::{Error, Result};

/// Side of the square (in metres) that [`random_transport`] scatters points on.
pub const RANDOM_SIDE: f64 = 100_000.0;

/// A seeded, spatially structured instance like real dispatch: `n` tickets and `m`
/// buckets at uniform random points on a 100 km square; each ticket has arcs to its
/// `arcs_per_ticket` nearest buckets with cost = distance in metres (rounded); total
/// capacity is `ceil(n / tightness)` split over buckets with weights uniform in
/// [0.5, 1.5); leaving a ticket unassigned costs 200 km (more than any arc).
///
/// `tightness` is demand over capacity: 0.9 means 10% spare capacity overall (but
/// local shortages still force long reassignment chains).
pub fn random_transport(
    n: usize,
    m: usize,
    arcs_per_ticket: usize,
    tightness: f64,
    seed: u64,
) -> Result<TransportProblem> {
    if m == 0 {
        return Err(Error::argument("m", "at least one bucket"));
    }
    if !(tightness > 0.0 && tightness.is_finite()) {
        return Err(Error::argument("tightness", "must be a positive number"));
    }
    let mut rng = SplitMix64::new(seed);
    let point = |rng: &mut SplitMix64| [rng.next_f64() * RANDOM_SIDE, rng.next_f64() * RANDOM_SIDE];
    let bucket_at: Vec<[f64; 2]> = (0..m).map(|_| point(&mut rng)).collect();
    let weight: Vec<f64> = (0..m).map(|_| 0.5 + rng.next_f64()).collect();
    let wsum: f64 = weight.iter().sum();
    let total = (n as f64 / tightness).ceil();
    let capacity: Vec<u32> = weight
        .iter()
        .map(|w| (total * w / wsum).round().min(f64::from(u32::MAX - 1)) as u32)
        .collect();
    let tree = rstar::RTree::bulk_load(
        bucket_at
            .iter()
            .enumerate()
            .map(|(b, &p)| rstar::primitives::GeomWithData::new(p, b as u32))
            .collect(),
    );
    let k = arcs_per_ticket.min(m);
    let mut arc_start = Vec::with_capacity(n + 1);
    let mut arc_bucket = Vec::with_capacity(n * k);
    let mut arc_cost = Vec::with_capacity(n * k);
    arc_start.push(0);
    for _ in 0..n {
        let q = point(&mut rng);
        for near in tree.nearest_neighbor_iter(&q).take(k) {
            let p = near.geom();
            let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            arc_bucket.push(near.data);
            arc_cost.push(d.round() as i64);
        }
        arc_start.push(arc_bucket.len());
    }
    Ok(TransportProblem {
        tickets: n,
        buckets: m,
        capacity,
        arc_start,
        arc_bucket,
        arc_cost,
        unassigned_penalty: vec![2 * RANDOM_SIDE as i64; n],
    })
}
