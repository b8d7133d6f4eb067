//! The backlog as a capacitated assignment problem: each ticket's eligible (offer, day)
//! arcs from the dispatcher's rules with integer costs, buckets (offer x day), groups
//! (outlet x day) and the side rows (region quotas, emergency reserve) that can bind.

use super::keys::DayKeys;
use super::options::AssignOptions;
use crate::dispatch::{Dispatcher, EligibleArc, Rule};
use crate::model::{Priority, Ticket};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Integer cost units per score point.
pub const COST_SCALE: f64 = 1000.0;

/// Per key: demand (units) and the (ticket, arc position) pairs of a side row.
type SideRows<K> = BTreeMap<K, (u64, Vec<(u32, u32)>)>;

/// One arc of the global problem: the eligible arc it comes from with the bucket in
/// place of the offer, so that it is built in place over that arc's memory (the same
/// 32 bytes; its costs come from [`Problem::cost`] and [`Arc::score_cost`]).
#[derive(Clone, Copy)]
pub(super) struct Arc {
    /// Bucket (offer x day) index.
    pub(super) bucket: u32,
    /// Outlet index.
    pub(super) outlet: u32,
    /// Day from the ledger's start.
    pub(super) day: u32,
    /// Days past the last SLA day.
    pub(super) late_days: u32,
    /// Dispatch score at the starting loads.
    pub(super) score: f64,
    /// Road km.
    pub(super) distance_km: f64,
}

// The build collects each ticket's arcs over its eligible list's own buffer: that
// needs the two types to have the same size and alignment.
const _: () = assert!(
    std::mem::size_of::<Arc>() == std::mem::size_of::<EligibleArc>()
        && std::mem::align_of::<Arc>() == std::mem::align_of::<EligibleArc>()
);

impl Arc {
    /// The arc of eligible arc `e`, in bucket `bucket`.
    fn new(e: EligibleArc, bucket: u32) -> Self {
        Arc {
            bucket,
            outlet: e.outlet,
            day: e.day,
            late_days: e.late_days,
            score: e.score,
            distance_km: e.distance_km,
        }
    }

    /// Score-only cost (no lateness, no move cost), for move gains.
    pub(super) fn score_cost(&self) -> i64 {
        to_cost(self.score)
    }
}

/// The backlog turned into a capacitated assignment problem.
pub(crate) struct Problem {
    /// Per ticket: its arcs (by outlet, then day) or why it has none.
    pub(super) arcs: Vec<std::result::Result<Vec<Arc>, Rule>>,
    pub(super) units: Vec<u32>,
    pub(super) penalty: Vec<i64>,
    pub(super) bucket_cap: Vec<u32>,
    pub(super) bucket_group: Vec<u32>,
    pub(super) group_cap: Vec<u32>,
    pub(super) group_binds: Vec<bool>,
    /// Capacities on sets of arcs that are neither a bucket nor a group (only those
    /// that can bind): emergency reserves and region quotas.
    pub(super) sides: Vec<Side>,
    /// Per ticket: the first quota that removed one of its arcs (quota below its units).
    pub(super) quota_removed: Vec<Option<usize>>,
    /// Per ticket: the outlet it is promised to now (move costs), if any.
    current: Vec<Option<u32>>,
    /// Cost of a day of lateness and of a move, in score points.
    lateness_per_day: f64,
    move_cost: f64,
}

impl Problem {
    /// The cost of arc `a` of ticket `t`: its score, plus lateness, plus the move cost
    /// when `t` is promised to another outlet.
    pub(super) fn cost(&self, t: usize, a: &Arc) -> i64 {
        let mut extra = f64::from(a.late_days) * self.lateness_per_day;
        if self.current[t].is_some_and(|c| c != a.outlet) {
            extra += self.move_cost;
        }
        a.score_cost() + to_cost(extra)
    }
}

/// A side constraint: at most `cap` units over a set of arcs.
pub(super) struct Side {
    pub(super) cap: u32,
    /// (ticket, position in the ticket's arc list), in ticket order.
    pub(super) arcs: Vec<(u32, u32)>,
    /// The quota it comes from; `None`: the share of a bucket or group that
    /// non-emergency tickets may use (the policy's emergency reserve).
    pub(super) quota: Option<usize>,
}

/// Integer cost of a score ([`COST_SCALE`] units per point).
pub(super) fn to_cost(score: f64) -> i64 {
    (score * COST_SCALE).round() as i64
}

/// The backlog as a [`Problem`]: eligible arcs at the dispatcher's current loads, costs,
/// penalties, bucket and group capacities, and the side rows that can bind.
pub(super) fn build(d: &Dispatcher, backlog: &[Ticket], o: &AssignOptions) -> Result<Problem> {
    // Membership only (nothing iterates it): a hash set, not a string-ordered tree
    // (100k string comparisons x log n showed in the profile).
    let mut seen: hashbrown::HashSet<&str, rustc_hash::FxBuildHasher> =
        hashbrown::HashSet::with_capacity_and_hasher(backlog.len(), rustc_hash::FxBuildHasher);
    for t in backlog {
        if !seen.insert(t.id.as_str()) {
            return Err(Error::argument(
                "backlog",
                format!("ticket id '{}' appears twice", t.id),
            ));
        }
    }
    if let Some(first) = backlog.iter().map(|t| t.created_at.date()).min() {
        d.init_start(first);
    }
    let current: Vec<Option<u32>> = backlog
        .iter()
        .map(|t| {
            o.current.get(&t.id).map(|id| {
                d.network()
                    .outlet_index(id)
                    .map(|i| i as u32)
                    .ok_or_else(|| Error::Unknown {
                        kind: "outlet",
                        id: id.clone(),
                    })
            })
        })
        .map(Option::transpose)
        .collect::<Result<_>>()?;
    let net = d.network();
    let quotas = o.resolve_quotas(net)?;
    let mut eligible = backlog
        .par_iter()
        .map(|t| d.eligible(t, o.late_days))
        .collect::<Result<Vec<_>>>()?;
    // Only the quotas read the tickets' regions.
    let region: Vec<Option<usize>> = if quotas.is_empty() {
        Vec::new()
    } else {
        backlog
            .iter()
            .map(|t| net.region_index(&t.region))
            .collect()
    };
    let covers = |q: usize, t: usize, outlet: u32| -> bool {
        let (rs, os) = &quotas[q];
        region.get(t).copied().flatten().is_some_and(|r| rs[r])
            && os.as_ref().is_none_or(|v| v[outlet as usize])
    };
    // A quota smaller than the ticket closes the arcs it covers.
    let mut quota_removed: Vec<Option<usize>> = vec![None; backlog.len()];
    // (no quotas: no arc to check)
    if !quotas.is_empty() {
        for (t, e) in eligible.iter_mut().enumerate() {
            let (Ok(list), Some(removed)) = (e, quota_removed.get_mut(t)) else {
                continue;
            };
            let u = backlog[t].units;
            list.retain(|a| {
                let q = (0..quotas.len())
                    .find(|&q| covers(q, t, a.outlet) && o.quotas[q].max_units < u);
                if let Some(q) = q {
                    removed.get_or_insert(q);
                }
                q.is_none()
            });
        }
    }
    // Number buckets in (offer, day) order, groups in (outlet, day) order.
    let (mut max_offer, mut max_outlet, mut first_day, mut last_day) = (0u32, 0u32, u32::MAX, 0);
    for a in eligible.iter().flatten().flatten() {
        max_offer = max_offer.max(a.offer);
        max_outlet = max_outlet.max(a.outlet);
        first_day = first_day.min(a.day);
        last_day = last_day.max(a.day);
    }
    let first_day = first_day.min(last_day);
    let mut buckets = DayKeys::new(max_offer as usize + 1, first_day, last_day);
    let mut groups = DayKeys::new(max_outlet as usize + 1, first_day, last_day);
    let mut offer_outlet = vec![0u32; max_offer as usize + 1];
    for a in eligible.iter().flatten().flatten() {
        buckets.insert(a.offer, a.day);
        groups.insert(a.outlet, a.day);
        offer_outlet[a.offer as usize] = a.outlet;
    }
    buckets.number();
    groups.number();
    let keys = buckets.keys();
    let gkeys = groups.keys();
    // Emergencies may use the policy's reserve: a bucket (group) any emergency can
    // reach gets its full room, and a side row keeps the others within their share.
    let reserve = d.policy().emergency_reserve > 0.0;
    let mut em_bucket = vec![false; keys.len()];
    if reserve {
        for (t, e) in eligible.iter().enumerate() {
            if backlog[t].priority != Priority::Emergency {
                continue;
            }
            for a in e.iter().flatten() {
                em_bucket[buckets.index(a.offer, a.day) as usize] = true;
            }
        }
    }
    let full_offer_room = |k: u32, day: u32| d.offer_room_for(k, day, true);
    let full_outlet_room = |oi: u32, day: u32| d.outlet_room_for(oi, day, true);
    let normal_bucket: Vec<u32> = keys.iter().map(|&(k, day)| d.offer_room(k, day)).collect();
    let bucket_cap: Vec<u32> = keys
        .iter()
        .enumerate()
        .map(|(b, &(k, day))| {
            if em_bucket[b] {
                full_offer_room(k, day)
            } else {
                normal_bucket[b]
            }
        })
        .collect();
    let bucket_group: Vec<u32> = keys
        .iter()
        .map(|&(k, day)| groups.index(offer_outlet[k as usize], day))
        .collect();
    let mut em_group = vec![false; gkeys.len()];
    for (b, &g) in bucket_group.iter().enumerate() {
        em_group[g as usize] |= em_bucket[b];
    }
    let normal_group: Vec<u32> = gkeys
        .iter()
        .map(|&(o, day)| d.outlet_room(o, day))
        .collect();
    let group_cap: Vec<u32> = gkeys
        .iter()
        .enumerate()
        .map(|(g, &(o, day))| {
            if em_group[g] {
                full_outlet_room(o, day)
            } else {
                normal_group[g]
            }
        })
        .collect();
    let units: Vec<u32> = backlog.iter().map(|t| t.units).collect();
    // A service package's priority weight scales the cost of leaving it unassigned:
    // a VIP ticket takes the last unit over an ordinary one.
    let penalty: Vec<i64> = backlog
        .iter()
        .map(|t| to_cost(o.penalty(t.priority) * d.package_weight(t)))
        .collect();
    let mut demand = vec![0u64; group_cap.len()];
    // Per ticket in parallel, in ticket order; same size and alignment: each collect
    // reuses the eligible list's buffer.
    let arcs: Vec<std::result::Result<Vec<Arc>, Rule>> = eligible
        .into_par_iter()
        .map(|e| {
            e.map(|list| {
                list.into_iter()
                    .map(|e| Arc::new(e, buckets.index(e.offer, e.day)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    // A group can bind if its room is below both its buckets' room and its demand.
    let mut group_bucket_room = vec![0u64; group_cap.len()];
    for (b, &g) in bucket_group.iter().enumerate() {
        group_bucket_room[g as usize] += u64::from(bucket_cap[b]);
    }
    for (t, list) in arcs.iter().enumerate() {
        if let Ok(list) = list {
            // Once per run of equal groups (arcs come by outlet, then day).
            let mut last = u32::MAX;
            for a in list {
                let g = bucket_group[a.bucket as usize];
                if g != last {
                    demand[g as usize] += u64::from(units[t]);
                    last = g;
                }
            }
        }
    }
    let group_binds = (0..group_cap.len())
        .map(|g| u64::from(group_cap[g]) < group_bucket_room[g].min(demand[g]))
        .collect();
    // Side rows, kept only where they can bind (their demand exceeds their cap).
    let mut sides = Vec::new();
    if reserve {
        let mut by_bucket: SideRows<u32> = BTreeMap::new();
        let mut by_group: SideRows<u32> = BTreeMap::new();
        for (t, list) in arcs.iter().enumerate() {
            let (Ok(list), false) = (list, backlog[t].priority == Priority::Emergency) else {
                continue;
            };
            for (j, a) in list.iter().enumerate() {
                let b = a.bucket as usize;
                let g = bucket_group[b] as usize;
                for (map, key, mixed) in [
                    (&mut by_bucket, b, em_bucket[b]),
                    (&mut by_group, g, em_group[g]),
                ] {
                    if mixed {
                        let e = map.entry(key as u32).or_default();
                        e.0 += u64::from(units[t]);
                        e.1.push((t as u32, j as u32));
                    }
                }
            }
        }
        for (normal, map) in [(&normal_bucket, by_bucket), (&normal_group, by_group)] {
            for (key, (dem, list)) in map {
                let cap = normal[key as usize];
                if dem > u64::from(cap) {
                    sides.push(Side {
                        cap,
                        arcs: list,
                        quota: None,
                    });
                }
            }
        }
    }
    if !quotas.is_empty() {
        let mut rows: SideRows<(usize, u32)> = BTreeMap::new();
        for (t, list) in arcs.iter().enumerate() {
            let Ok(list) = list else { continue };
            for (j, a) in list.iter().enumerate() {
                for q in (0..quotas.len()).filter(|&q| covers(q, t, a.outlet)) {
                    let e = rows.entry((q, a.day)).or_default();
                    e.0 += u64::from(units[t]);
                    e.1.push((t as u32, j as u32));
                }
            }
        }
        for ((q, _day), (dem, list)) in rows {
            let cap = o.quotas[q].max_units;
            if dem > u64::from(cap) {
                sides.push(Side {
                    cap,
                    arcs: list,
                    quota: Some(q),
                });
            }
        }
    }
    Ok(Problem {
        arcs,
        units,
        penalty,
        bucket_cap,
        bucket_group,
        group_cap,
        group_binds,
        sides,
        quota_removed,
        current,
        lateness_per_day: o.lateness_per_day,
        move_cost: o.move_cost,
    })
}
