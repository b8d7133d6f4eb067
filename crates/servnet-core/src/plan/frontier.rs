//! "How many outlets" as the tool's answer: a cost-service frontier over outlet counts,
//! and the count it recommends.
//!
//! For each count `n` (by default 16 counts from a quarter of today's open outlets, at
//! least the must-keep ones, to today's count) the plan is located (warm-started from
//! the next larger count), capped, sized and costed ([`FrontierRow`]): annual cost, the
//! share of peak-day demand served within its tier's commitment (overall and per tier),
//! mean and p95 response hours, the location gap, and the replay of the real tickets.
//!
//! [`recommend`] takes the counts that meet every tier's `service_target` and, with a
//! replay guard, whose replay meets SLA at least as often as today's network with mean
//! distance at most `replay_guard` above today's; of those costing at most
//! `cost_tolerance` (1%) above the cheapest, the one closing fewest of today's outlets
//! (frontiers are flat near their minimum: closing more outlets for a saving below the
//! model's error is advice nobody should sign). If no count is acceptable, it names the
//! tier or the replay figure that prevents it and falls back to the best count it has.

use serde::{Deserialize, Serialize};

use super::network_plan::{NetworkPlan, PlanOptions};
use super::replay::NetworkFigures;
use crate::io::{Column, Tabular};
use crate::model::Tier;
use crate::{Error, Result};

/// Which counts the frontier evaluates, and how close to the cheapest a count must be
/// for the recommendation to prefer it as the least disruptive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrontierOptions {
    /// Explicit counts (overrides the range); empty: `steps` counts from `min` to `max`.
    pub counts: Vec<usize>,
    /// Number of counts in the range; 0: 16.
    pub steps: usize,
    /// Smallest count; `None`: a quarter of today's open outlets (at least the
    /// must-keep ones, at least 1).
    pub min: Option<usize>,
    /// Largest count; `None`: today's open outlets.
    pub max: Option<usize>,
    /// Among the acceptable counts costing at most this share above the cheapest, the
    /// recommendation takes the one that closes fewest of today's outlets; default 0.01.
    /// A saving smaller than the model's own error is no reason to close outlets (0:
    /// always the cheapest).
    pub cost_tolerance: f64,
}

impl Default for FrontierOptions {
    fn default() -> Self {
        FrontierOptions {
            counts: Vec::new(),
            steps: 0,
            min: None,
            max: None,
            cost_tolerance: 0.01,
        }
    }
}

impl FrontierOptions {
    /// The counts to evaluate, descending, given today's open outlets, the must-keep
    /// count and the number of candidates.
    pub fn counts(&self, today: usize, forced: usize, candidates: usize) -> Vec<usize> {
        let lo_ok = forced.max(1);
        let mut v: Vec<usize> = if self.counts.is_empty() {
            let hi = self
                .max
                .unwrap_or(today)
                .clamp(lo_ok, candidates.max(lo_ok));
            let lo = self.min.unwrap_or(today / 4).clamp(lo_ok, hi);
            let steps = if self.steps == 0 { 16 } else { self.steps };
            (0..steps)
                .map(|k| {
                    let t = if steps > 1 {
                        k as f64 / (steps - 1) as f64
                    } else {
                        0.0
                    };
                    (hi as f64 - t * (hi - lo) as f64).round() as usize
                })
                .collect()
        } else {
            self.counts.clone()
        };
        v.retain(|&n| n >= lo_ok && n <= candidates);
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.dedup();
        v
    }
}

/// One count of the frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierRow {
    /// Outlets open (requested count; idle non-must-keep sites are closed, so `open`
    /// may be lower).
    pub n_outlets: usize,
    /// Outlets actually open.
    pub open: usize,
    /// Existing outlets kept.
    pub kept: usize,
    /// New outlets.
    pub new: usize,
    /// Outlets open today that the plan closes.
    pub closed: usize,
    /// Technicians.
    pub technicians: u32,
    /// Annual cost: running + technicians + travel + opening and closing.
    pub annual_cost: f64,
    /// Running costs.
    pub fixed_cost: f64,
    /// Technician costs.
    pub technician_cost: f64,
    /// Travel costs.
    pub travel_cost: f64,
    /// Opening and closing costs per year.
    pub open_close_cost: f64,
    /// Share of peak-day demand served within its commitment.
    pub served_share: f64,
    /// Served share of tier A, B, C (1 where a tier has no demand).
    pub served_by_tier: [f64; 3],
    /// Mean response hours.
    pub mean_response_hours: f64,
    /// 95th percentile response hours.
    pub p95_response_hours: f64,
    /// Relative gap of the location solve to its bound.
    pub gap: f64,
    /// Replay: share of tickets within SLA (None without tickets).
    pub replay_sla_met_share: Option<f64>,
    /// Replay: mean road km.
    pub replay_mean_km: Option<f64>,
    /// Replay: unassigned tickets.
    pub replay_unassigned: Option<usize>,
    /// Meets every tier's service target.
    pub meets_targets: bool,
    /// On the Pareto frontier: no other row is cheaper and serves at least as much.
    pub efficient: bool,
}

/// The count the frontier recommends, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The recommended count.
    pub n_outlets: usize,
    /// Every tier's service target is met.
    pub meets_targets: bool,
    /// The replay guard holds (None when there is no replay or no guard).
    pub replay_ok: Option<bool>,
    /// Cheaper than today's network under the same forecast and costs.
    pub cheaper_than_today: bool,
    /// Why this count, or what prevents a better one.
    pub reason: String,
}

/// Marks the rows on the Pareto frontier (cost vs served share).
pub fn mark_efficient(rows: &mut [FrontierRow]) {
    let snapshot: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.annual_cost, r.served_share))
        .collect();
    for (k, r) in rows.iter_mut().enumerate() {
        r.efficient = !snapshot.iter().enumerate().any(|(q, &(c, s))| {
            q != k
                && c <= r.annual_cost
                && s >= r.served_share
                && (c < r.annual_cost || s > r.served_share)
        });
    }
}

/// Picks the recommended row (see the module docs). `coverable[t]` is the share of tier
/// `t`'s demand any candidate reaches within commitment; `current` today's figures.
pub fn recommend(
    rows: &[FrontierRow],
    targets: [f64; 3],
    coverable: [f64; 3],
    guard: Option<f64>,
    tolerance: f64,
    current: &NetworkFigures,
) -> Option<Recommendation> {
    let cheapest = |it: &mut dyn Iterator<Item = &FrontierRow>| {
        it.min_by(|a, b| {
            a.annual_cost
                .total_cmp(&b.annual_cost)
                .then(a.n_outlets.cmp(&b.n_outlets))
        })
        .cloned()
    };
    let replay_ok = |r: &FrontierRow| -> Option<bool> {
        let g = guard?;
        if current.tickets == 0 {
            return None;
        }
        Some(
            r.replay_sla_met_share? >= current.sla_met_share - 1e-12
                && r.replay_mean_km? <= current.mean_km * (1.0 + g) + 1e-9,
        )
    };
    let meeting: Vec<&FrontierRow> = rows.iter().filter(|r| r.meets_targets).collect();
    let today = current.annual_cost;
    let tiers = [Tier::A, Tier::B, Tier::C];
    let (row, mut reason) = if meeting.is_empty() {
        let best = rows.iter().max_by(|a, b| {
            a.served_share
                .total_cmp(&b.served_share)
                .then(b.annual_cost.total_cmp(&a.annual_cost))
        })?;
        let mut why = Vec::new();
        for (t, tier) in tiers.iter().enumerate() {
            let best_t = rows.iter().map(|r| r.served_by_tier[t]).fold(0.0, f64::max);
            if best_t < targets[t] {
                if coverable[t] < targets[t] {
                    why.push(format!(
                        "tier {} cannot reach {:.0}%: only {:.1}% of its peak-day demand has a candidate site within its commitment radius",
                        tier.as_str(),
                        100.0 * targets[t],
                        100.0 * coverable[t]
                    ));
                } else {
                    why.push(format!(
                        "tier {} reaches at most {:.1}% (target {:.0}%) at the counts tried: add counts above {} or raise the target radius",
                        tier.as_str(),
                        100.0 * best_t,
                        100.0 * targets[t],
                        rows.iter().map(|r| r.n_outlets).max().unwrap_or(0)
                    ));
                }
            }
        }
        (
            best.clone(),
            format!(
                "no count meets every tier's commitment ({}); recommending the count that serves most",
                why.join("; ")
            ),
        )
    } else {
        let guarded: Vec<&FrontierRow> = meeting
            .iter()
            .copied()
            .filter(|r| replay_ok(r) != Some(false))
            .collect();
        if let Some(low) = cheapest(&mut guarded.iter().copied()) {
            // The least disruptive of the counts within the tolerance of the cheapest.
            let r = guarded
                .iter()
                .filter(|x| x.annual_cost <= low.annual_cost * (1.0 + tolerance.max(0.0)))
                .min_by(|a, b| {
                    a.closed
                        .cmp(&b.closed)
                        .then(a.annual_cost.total_cmp(&b.annual_cost))
                        .then(a.n_outlets.cmp(&b.n_outlets))
                })
                .map_or_else(|| low.clone(), |x| (*x).clone());
            let what = match replay_ok(&r) {
                Some(true) => format!(
                    " and whose replay meets SLA at least as often as today's network with mean distance within {:.0}% of today's",
                    100.0 * guard.unwrap_or(0.0)
                ),
                _ => String::new(),
            };
            let which = if r.n_outlets == low.n_outlets {
                format!("the cheapest of {} counts", rows.len())
            } else {
                format!(
                    "of {} counts, the one closing fewest of today's outlets ({} instead of {}) at a cost within {:.1}% of the cheapest ({}: {:.1} M vs {:.1} M a year; a smaller saving is no reason to close outlets)",
                    rows.len(),
                    r.closed,
                    low.closed,
                    100.0 * tolerance,
                    low.n_outlets,
                    r.annual_cost / 1e6,
                    low.annual_cost / 1e6
                )
            };
            let msg = format!(
                "{which} that meets every tier's commitment ({}){what}",
                tiers
                    .iter()
                    .enumerate()
                    .map(|(t, tier)| format!(
                        "{} {:.1}% >= {:.0}%",
                        tier.as_str(),
                        100.0 * r.served_by_tier[t],
                        100.0 * targets[t]
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            (r, msg)
        } else {
            let r = cheapest(&mut meeting.iter().copied())?;
            let msg = format!(
                "every count meeting the commitments replays worse than today's network (at {}: SLA met {:.1}% vs {:.1}% today, mean {:.2} km vs {:.2} km, allowed +{:.0}%): the replay guard prevents it; recommending the cheapest count meeting the commitments",
                r.n_outlets,
                100.0 * r.replay_sla_met_share.unwrap_or(0.0),
                100.0 * current.sla_met_share,
                r.replay_mean_km.unwrap_or(0.0),
                current.mean_km,
                100.0 * guard.unwrap_or(0.0)
            );
            (r, msg)
        }
    };
    let cheaper = row.annual_cost < today;
    if !cheaper {
        reason.push_str(&format!(
            "; it costs {:.1} M a year, not less than today's network ({:.1} M under the same forecast and costs)",
            row.annual_cost / 1e6,
            today / 1e6
        ));
    }
    Some(Recommendation {
        n_outlets: row.n_outlets,
        meets_targets: row.meets_targets,
        replay_ok: replay_ok(&row),
        cheaper_than_today: cheaper,
        reason,
    })
}

/// The frontier as a table for [`crate::io`]'s writers: the columns of [`FrontierRow`]
/// (`served_a/b/c` per tier), one row per count.
#[derive(Debug, Clone, Copy)]
pub struct FrontierTable<'a>(pub &'a [FrontierRow]);

const COLUMNS: &[Column] = &[
    Column::number("n_outlets"),
    Column::number("open"),
    Column::number("kept"),
    Column::number("new"),
    Column::number("closed"),
    Column::number("technicians"),
    Column::number("annual_cost"),
    Column::number("fixed_cost"),
    Column::number("technician_cost"),
    Column::number("travel_cost"),
    Column::number("open_close_cost"),
    Column::number("served_share"),
    Column::number("served_a"),
    Column::number("served_b"),
    Column::number("served_c"),
    Column::number("mean_response_hours"),
    Column::number("p95_response_hours"),
    Column::number("gap"),
    Column::number("replay_sla_met_share"),
    Column::number("replay_mean_km"),
    Column::number("replay_unassigned"),
    Column::bool("meets_targets"),
    Column::bool("efficient"),
];

impl Tabular for FrontierTable<'_> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(r) = self.0.get(i) else { return };
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
        out.extend([
            r.n_outlets.to_string(),
            r.open.to_string(),
            r.kept.to_string(),
            r.new.to_string(),
            r.closed.to_string(),
            r.technicians.to_string(),
            format!("{:.0}", r.annual_cost),
            format!("{:.0}", r.fixed_cost),
            format!("{:.0}", r.technician_cost),
            format!("{:.0}", r.travel_cost),
            format!("{:.0}", r.open_close_cost),
            format!("{:.6}", r.served_share),
            format!("{:.6}", r.served_by_tier[0]),
            format!("{:.6}", r.served_by_tier[1]),
            format!("{:.6}", r.served_by_tier[2]),
            format!("{:.4}", r.mean_response_hours),
            format!("{:.4}", r.p95_response_hours),
            format!("{:.6}", r.gap),
            opt(r.replay_sla_met_share),
            opt(r.replay_mean_km),
            r.replay_unassigned
                .map(|x| x.to_string())
                .unwrap_or_default(),
            r.meets_targets.to_string(),
            r.efficient.to_string(),
        ]);
    }
}

/// The frontier as CSV text (the table of `servnet plan --frontier`).
pub fn frontier_csv(rows: &[FrontierRow]) -> Result<String> {
    crate::io::table_csv_string(&FrontierTable(rows))
}

/// Joins frontier points planned one count at a time (`plan_network` with the auto
/// model and `frontier.counts = [n]`, e.g. on several workers; the counts from
/// [`frontier_counts`](super::network_plan::frontier_counts)) into the plan the auto
/// model returns: the rows by count (descending), the efficient ones marked, the count
/// chosen by [`recommend`] with `opts`, and that count's plan carrying the frontier
/// (`solve_seconds`: the points' sum). Each point is solved cold (no warm start from
/// its neighbour), so its figures can differ from one call's frontier within the
/// solver's gap; they do not depend on where or in which order the points ran.
///
/// Errors: no points, a point that is not a one-count frontier, two points of the
/// same count, or points planned from different inputs (year, demand, candidates).
pub fn combine_points(mut points: Vec<NetworkPlan>, opts: &PlanOptions) -> Result<NetworkPlan> {
    let bad = |m: String| Error::argument("points", m);
    let first = points
        .first()
        .ok_or_else(|| bad("no frontier points to join".into()))?;
    let key = |p: &NetworkPlan| {
        (
            p.totals.year,
            p.demand_points,
            p.demand_cells,
            p.candidates,
            p.totals.demand.to_bits(),
        )
    };
    let k0 = key(first);
    for (i, p) in points.iter().enumerate() {
        if p.frontier.len() != 1 {
            return Err(bad(format!(
                "point {i} has {} frontier rows, expected 1 (plan it with frontier.counts = [n])",
                p.frontier.len()
            )));
        }
        if key(p) != k0 {
            return Err(bad(format!(
                "point {i} was planned from other inputs than point 0 (year, demand or candidates differ)"
            )));
        }
    }
    points.sort_by(|a, b| b.frontier[0].n_outlets.cmp(&a.frontier[0].n_outlets));
    if let Some(w) = points
        .windows(2)
        .find(|w| w[0].frontier[0].n_outlets == w[1].frontier[0].n_outlets)
    {
        return Err(bad(format!(
            "two points plan {} outlets",
            w[0].frontier[0].n_outlets
        )));
    }
    let mut coverable = [1.0; 3];
    for (t, tier) in [Tier::A, Tier::B, Tier::C].iter().enumerate() {
        if let Some(v) = points[0].totals.by_tier.get(tier) {
            if v.demand > 0.0 {
                coverable[t] = v.coverable / v.demand;
            }
        }
    }
    let mut rows: Vec<FrontierRow> = points.iter().map(|p| p.frontier[0].clone()).collect();
    mark_efficient(&mut rows);
    let current = points[0].current.clone();
    let rec = recommend(
        &rows,
        opts.service_target,
        coverable,
        opts.replay_guard,
        opts.frontier.cost_tolerance,
        &current,
    );
    let seconds: f64 = points.iter().map(|p| p.totals.solve_seconds).sum();
    let pick = rec
        .as_ref()
        .and_then(|r| rows.iter().position(|x| x.n_outlets == r.n_outlets))
        .unwrap_or(0);
    let mut plan = points.swap_remove(pick);
    plan.totals.solve_seconds = seconds;
    plan.recommended_outlets = rec.as_ref().map(|r| r.n_outlets);
    plan.recommendation = rec;
    plan.frontier = rows;
    Ok(plan)
}
