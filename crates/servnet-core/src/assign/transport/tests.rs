//! The transport solver against HiGHS' LP optimum and on random instances.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::bench::transport::random_transport;
use good_lp::{constraint, variable, Expression, ProblemVariables, Solution, SolverModel};
use proptest::prelude::*;

/// The transport LP (integral: the constraint matrix is totally unimodular),
/// solved by HiGHS: the obviously-correct reference.
fn lp_optimum(p: &TransportProblem) -> i64 {
    if p.arc_bucket.is_empty() {
        return p.unassigned_penalty.iter().sum();
    }
    let mut vars = ProblemVariables::new();
    let x: Vec<Vec<_>> = (0..p.tickets)
        .map(|t| {
            p.arcs(t)
                .map(|_| vars.add(variable().min(0).max(1)))
                .collect()
        })
        .collect();
    let mut obj = Expression::from(0.0);
    let mut per_bucket: Vec<Expression> = vec![Expression::from(0.0); p.buckets];
    let mut constant = 0.0;
    let mut rows = Vec::new();
    for (t, xt) in x.iter().enumerate() {
        let pen = p.unassigned_penalty[t] as f64;
        constant += pen;
        let mut row = Expression::from(0.0);
        for (k, (b, c)) in p.arcs(t).enumerate() {
            obj += (c as f64 - pen) * xt[k];
            row += xt[k];
            per_bucket[b as usize] += xt[k];
        }
        rows.push(constraint!(row <= 1));
    }
    let mut model = vars.minimise(obj.clone()).using(good_lp::highs);
    for r in rows {
        model = model.with(r);
    }
    for (b, e) in per_bucket.into_iter().enumerate() {
        model = model.with(constraint!(e <= p.capacity[b] as f64));
    }
    let sol = model.solve().unwrap();
    (sol.eval(&obj) + constant).round() as i64
}

fn small_problem() -> impl Strategy<Value = TransportProblem> {
    (1usize..9, 1usize..5).prop_flat_map(|(n, m)| {
        let arcs = proptest::collection::vec(
            proptest::collection::vec((0..m as u32, -5i64..25), 0..=m.min(4)),
            n,
        );
        (
            proptest::collection::vec(0u32..3, m),
            arcs,
            proptest::collection::vec(0i64..40, n),
        )
            .prop_map(|(cap, arcs, pen)| TransportProblem::from_lists(cap, &arcs, pen).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// On small random instances (negative costs, duplicate arcs, zero capacities
    /// included) the objective equals the LP optimum, the assignment is feasible
    /// (capacities respected, every ticket on one of its own arcs) and the dual
    /// bound proves it.
    #[test]
    fn matches_highs_lp_on_small_instances(p in small_problem()) {
        let s = solve_transport(&p).unwrap();
        prop_assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
        prop_assert_eq!(s.objective, lp_optimum(&p));
        prop_assert_eq!(s.lower_bound, s.objective);
    }
}

/// Spatial instances of moderate size with local shortages: proven optimal and
/// equal to HiGHS.
#[test]
fn matches_highs_lp_on_spatial_instances() {
    for (seed, tight) in [(1, 0.8), (2, 0.95), (3, 1.1)] {
        let p = random_transport(300, 30, 6, tight, seed).unwrap();
        let s = solve_transport(&p).unwrap();
        assert!(s.is_optimal(), "seed {seed}");
        assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
        assert_eq!(s.objective, lp_optimum(&p), "seed {seed}");
    }
}

/// Tight and over-demanded spatial instances (0.98 to 1.2; on the larger ones the
/// auction leaves priced buckets with room, which the exact phase must fill
/// backwards): the assignment is feasible, its objective equals the independently
/// recomputed dual bound and HiGHS' LP optimum, and a second solve gives the same
/// answer.
#[test]
fn tight_and_overdemanded_instances_are_exact() {
    let mut deficit_paths = 0;
    let cases = [
        (400, 40, 4, 0.99),
        (400, 40, 5, 0.99),
        (400, 40, 6, 1.0),
        (400, 40, 7, 1.2),
        (400, 40, 8, 1.2),
        (1000, 60, 9, 0.98),
        (1000, 60, 9, 0.99),
    ];
    for (n, m, seed, tight) in cases {
        let p = random_transport(n, m, 8, tight, seed).unwrap();
        let s = solve_transport(&p).unwrap();
        assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
        assert_eq!(p.dual_bound(&s.bucket_price).unwrap(), s.objective);
        assert!(s.is_optimal(), "seed {seed}");
        assert_eq!(s.objective, lp_optimum(&p), "seed {seed}");
        assert_eq!(solve_transport(&p).unwrap().assignment, s.assignment);
        deficit_paths += s.stats.deficit_paths;
    }
    // The backward paths were exercised.
    assert!(deficit_paths > 0);
}

/// Costs beyond `i32` (the auction then bids on the `i64` arcs): scaling every
/// cost and penalty by 2^20 scales the optimum exactly.
#[test]
fn wide_costs_are_exact() {
    let p = random_transport(1000, 60, 8, 0.98, 9).unwrap();
    let base = solve_transport(&p).unwrap();
    let mut wide = p.clone();
    wide.arc_cost.iter_mut().for_each(|c| *c <<= 20);
    wide.unassigned_penalty.iter_mut().for_each(|c| *c <<= 20);
    assert!(wide.arc_cost.iter().any(|&c| c > i64::from(i32::MAX)));
    let s = solve_transport(&wide).unwrap();
    assert!(s.is_optimal());
    assert_eq!(s.objective, base.objective << 20);
    assert_eq!(wide.evaluate(&s.assignment).unwrap(), s.objective);
}

/// The generator is deterministic in its seed and gives each ticket its nearest
/// buckets.
#[test]
fn generator_is_seeded() {
    let a = random_transport(50, 10, 4, 0.9, 7).unwrap();
    assert_eq!(a, random_transport(50, 10, 4, 0.9, 7).unwrap());
    assert_ne!(a, random_transport(50, 10, 4, 0.9, 8).unwrap());
    assert_eq!(a.arc_bucket.len(), 200);
    assert!(random_transport(5, 0, 4, 0.9, 1).is_err());
}

/// Malformed input is an error, never a panic.
#[test]
fn bad_input_is_an_error() {
    let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
    p.arc_bucket[0] = 9;
    assert!(solve_transport(&p).is_err());
    let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
    p.arc_start.pop();
    assert!(solve_transport(&p).is_err());
    let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
    p.arc_cost[0] = i64::MAX;
    assert!(solve_transport(&p).is_err());
}

/// Empty problems are fine.
#[test]
fn empty_problem() {
    let p = TransportProblem::from_lists(vec![], &[], vec![]).unwrap();
    let s = solve_transport(&p).unwrap();
    assert_eq!((s.objective, s.lower_bound), (0, 0));
}

/// Speed check on the sizes; run with
/// `cargo test --release -p servnet-core transport_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn transport_timing() {
    let all = [
        (10_000, 1_000, 30, 0.9),
        (10_000, 1_000, 30, 0.98),
        (100_000, 5_000, 20, 0.9),
        (100_000, 5_000, 35, 0.9),
        (100_000, 5_000, 50, 0.9),
        (100_000, 5_000, 35, 0.98),
        (100_000, 5_000, 35, 1.05),
    ];
    // SERVNET_TIMING=0,3 picks cases by index.
    let pick: Vec<usize> = std::env::var("SERVNET_TIMING")
        .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|_| (0..all.len()).collect());
    for &(n, m, k, tight) in pick.iter().filter_map(|&i| all.get(i)) {
        let p = random_transport(n, m, k, tight, 42).unwrap();
        let s = solve_transport(&p).unwrap();
        println!(
            "| {n} x {m} | {k} | {tight} | {:.3} s (start {:.3}) | {} | {} | {} | kept {} bids {} aug {} buckets {} arcs {} |",
            s.stats.seconds,
            s.stats.start_seconds,
            s.objective,
            s.lower_bound,
            s.is_optimal(),
            s.stats.warm_start_kept,
            s.stats.auction_bids,
            s.stats.augmentations,
            s.stats.buckets_scanned,
            s.stats.arcs_scanned
        );
    }
}
