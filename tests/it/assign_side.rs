//! Batch assignment's side constraints: region quotas are never exceeded and say when
//! they keep a ticket out; the emergency reserve is kept from non-emergency tickets
//! and open to emergencies, as in dispatch.

use proptest::prelude::*;
use servnet::assign::{
    assign, compare_with_sequential, AssignOptions, AssignmentPlan, Method, RegionQuota,
    SolveStatus, UnassignedReason,
};
use servnet::chrono::{Duration, NaiveDateTime};
use servnet::dispatch::{Dispatcher, Policy};
use servnet::model::*;
use std::collections::BTreeMap;

fn t0() -> NaiveDateTime {
    servnet::io::parse_time("2026-11-23T08:00").unwrap()
}

const REGIONS: [&str; 2] = ["R1", "R2"];

/// (dlon, dlat, skill capacity, preloaded load, outlet-wide cap); one skill, repair:tv.
type OutletSpec = (f64, f64, u32, u32, u32);

fn network(specs: &[OutletSpec]) -> Network {
    let regions = REGIONS
        .iter()
        .map(|code| Region {
            code: (*code).into(),
            name: (*code).into(),
            tier: Tier::B,
            lon: 121.0,
            lat: 31.0,
            population: None,
            max_response_hours: 72.0,
            max_travel_km: 80.0,
            polygon: None,
        })
        .collect();
    let outlets = specs
        .iter()
        .enumerate()
        .map(|(i, &(dlon, dlat, cap, load, daily_cap))| Outlet {
            id: format!("O{i:02}"),
            name: String::new(),
            lon: 121.0 + dlon,
            lat: 31.0 + dlat,
            status: OutletStatus::Active,
            priority: 50,
            daily_cap,
            area: ServiceArea::Radius(60.0),
            skills: vec![OutletSkill {
                skill: "repair:tv".parse().unwrap(),
                daily_capacity: cap,
                load: load.min(cap),
                rating_sum: 4.0 * (i as f64 + 1.0),
                rating_count: i as u32 + 1,
                cost_per_ticket: 5.0 * i as f64,
            }],
        })
        .collect();
    Network::new(outlets, regions).unwrap()
}

/// (dlon, dlat, region, units, priority).
type TicketSpec = (f64, f64, usize, u32, usize);

fn tickets(specs: &[TicketSpec]) -> Vec<Ticket> {
    specs
        .iter()
        .enumerate()
        .map(|(i, &(dlon, dlat, region, units, prio))| {
            let mut t = Ticket::new(
                &format!("T{i:03}"),
                121.0 + dlon,
                31.0 + dlat,
                REGIONS[region],
                "repair:tv",
                t0(),
            );
            t.due_by = t0() + Duration::hours(40);
            t.units = units;
            t.priority = Priority::ALL[prio];
            t
        })
        .collect()
}

fn policy(reserve: f64) -> Policy {
    Policy {
        horizon_days: 2,
        fallback: vec![],
        emergency_reserve: reserve,
        ..Policy::default()
    }
}

fn dispatcher(net: &Network, reserve: f64) -> Dispatcher {
    Dispatcher::new(net.clone(), policy(reserve)).unwrap()
}

/// Units planned per (outlet, day), split into (non-emergency, all).
fn loads(ts: &[Ticket], plan: &AssignmentPlan) -> BTreeMap<(String, u32), (u32, u32)> {
    let by_id: BTreeMap<&str, &Ticket> = ts.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut out: BTreeMap<(String, u32), (u32, u32)> = BTreeMap::new();
    for a in &plan.assignments {
        let e = out.entry((a.outlet_id.clone(), a.day)).or_default();
        if by_id[a.ticket_id.as_str()].priority != Priority::Emergency {
            e.0 += a.units;
        }
        e.1 += a.units;
    }
    out
}

/// Capacities as dispatch enforces them: every ticket within the full capacity (skill
/// and outlet-wide, after the day-0 load); non-emergency tickets within the share the
/// reserve leaves, `floor(cap * (1 - reserve))`, counting everything booked before.
fn check_capacities(net: &Network, ts: &[Ticket], plan: &AssignmentPlan, reserve: f64) {
    let share = |c: u32| (f64::from(c) * (1.0 - reserve)).floor() as u32;
    for ((o, day), (normal, all)) in loads(ts, plan) {
        let outlet = &net.outlets()[net.outlet_index(&o).unwrap()];
        let s = &outlet.skills[0];
        let pre = if day == 0 { s.load } else { 0 };
        for cap in [s.daily_capacity, outlet.daily_cap] {
            assert!(pre + all <= cap, "{o} day {day}: {pre} + {all} > {cap}");
            if normal > 0 {
                assert!(
                    pre + normal <= share(cap),
                    "{o} day {day}: non-emergency {pre} + {normal} > {} (reserve {reserve})",
                    share(cap)
                );
            }
        }
    }
    assert_eq!(plan.assignments.len() + plan.unassigned.len(), ts.len());
    assert!(plan.lower_bound <= plan.objective + 1e-9);
}

/// Units each quota took per day.
fn quota_use(
    net: &Network,
    ts: &[Ticket],
    plan: &AssignmentPlan,
    q: &RegionQuota,
) -> BTreeMap<u32, u32> {
    let by_id: BTreeMap<&str, &Ticket> = ts.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut used = BTreeMap::new();
    for a in &plan.assignments {
        let t = by_id[a.ticket_id.as_str()];
        let outlet_in = q.outlets.is_empty() || q.outlets.contains(&a.outlet_id);
        if outlet_in && q.regions.contains(&t.region) {
            assert!(net.outlet_index(&a.outlet_id).is_some());
            *used.entry(a.day).or_insert(0) += a.units;
        }
    }
    used
}

fn instance() -> impl Strategy<Value = (Vec<OutletSpec>, Vec<TicketSpec>)> {
    let outlet = (-0.2..0.2f64, -0.2..0.2f64, 0u32..6, 0u32..3, 1u32..8);
    let ticket = (-0.2..0.2f64, -0.2..0.2f64, 0usize..2, 1u32..4, 0usize..4);
    (
        proptest::collection::vec(outlet, 1..5),
        proptest::collection::vec(ticket, 0..16),
    )
}

fn quotas() -> impl Strategy<Value = Vec<(usize, Vec<bool>, u32)>> {
    proptest::collection::vec(
        (
            0usize..3,
            proptest::collection::vec(any::<bool>(), 4),
            0u32..5,
        ),
        0..3,
    )
}

fn make_quotas(spec: &[(usize, Vec<bool>, u32)], n_outlets: usize) -> Vec<RegionQuota> {
    spec.iter()
        .enumerate()
        .map(|(i, (regions, outlets, max))| RegionQuota {
            id: format!("q{i}"),
            regions: match regions {
                0 => vec!["R1".into()],
                1 => vec!["R2".into()],
                _ => vec!["R1".into(), "R2".into()],
            },
            outlets: (0..n_outlets)
                .filter(|&o| outlets[o])
                .map(|o| format!("O{o:02}"))
                .collect(),
            max_units: *max,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever the method, a plan never takes more from a quota's regions at its
    /// outlets than the quota allows on any day, and keeps every capacity; the MIP
    /// (proving optimality) is never worse than the heuristic, whose bound is valid.
    #[test]
    fn plans_never_exceed_a_quota(
        (outlets, specs) in instance(),
        qs in quotas(),
        reserve in prop_oneof![Just(0.0), 0.2..0.6f64],
    ) {
        let net = network(&outlets);
        let ts = tickets(&specs);
        let quotas = make_quotas(&qs, outlets.len());
        let mut plans = BTreeMap::new();
        for method in [Method::Auto, Method::Flow, Method::Heuristic, Method::Mip] {
            let o = AssignOptions {
                method,
                quotas: quotas.clone(),
                gap_tolerance: 0.0,
                ..AssignOptions::default()
            };
            let p = assign(&ts, &dispatcher(&net, reserve), &o).unwrap();
            check_capacities(&net, &ts, &p, reserve);
            for q in &quotas {
                for (day, used) in quota_use(&net, &ts, &p, q) {
                    prop_assert!(used <= q.max_units, "{:?}: quota {} day {day}: {used}", method, q.id);
                }
            }
            for (_, r) in &p.unassigned {
                if let UnassignedReason::Quota(id) = r {
                    prop_assert!(quotas.iter().any(|q| &q.id == id));
                }
            }
            plans.insert(method, p);
        }
        let (h, m) = (&plans[&Method::Heuristic], &plans[&Method::Mip]);
        prop_assert!(m.objective <= h.objective + 1e-9);
        if m.status == SolveStatus::Optimal {
            prop_assert!(h.lower_bound <= m.objective + 1e-6, "bound {} > optimum {}", h.lower_bound, m.objective);
        }
    }

    /// With an emergency reserve, the proven-optimal joint plan is never worse than
    /// dispatching the same tickets one by one under the same policy (which lets
    /// emergencies into the reserve): batch honours the same capacity rule.
    #[test]
    fn reserve_batch_no_worse_than_dispatch(
        (outlets, specs) in instance(),
        reserve in 0.1..0.7f64,
    ) {
        let net = network(&outlets);
        let ts = tickets(&specs);
        let o = AssignOptions {
            method: Method::Mip,
            gap_tolerance: 0.0,
            ..AssignOptions::default()
        };
        let (plan, seq) = compare_with_sequential(&ts, &net, &policy(reserve), &o).unwrap();
        check_capacities(&net, &ts, &plan, reserve);
        if plan.status == SolveStatus::Optimal {
            prop_assert!(plan.objective <= seq.objective + 1e-6, "joint {} > sequential {}", plan.objective, seq.objective);
        }
    }
}

/// A quota of 0 units closes its outlets to the region: the tickets are left out with a
/// reason naming the quota; a quota of 2 lets exactly its share through, and the rest
/// are left out naming it, although the outlet has room.
#[test]
fn an_unreachable_quota_is_named_in_the_reasons() {
    let net = network(&[(0.0, 0.0, 10, 0, 10)]);
    let ts = tickets(&[
        (0.01, 0.0, 0, 1, 2),
        (0.02, 0.0, 0, 1, 2),
        (0.0, 0.01, 1, 1, 2),
    ]);
    let closed = RegionQuota {
        id: "no-R1".into(),
        regions: vec!["R1".into()],
        outlets: vec!["O00".into()],
        max_units: 0,
    };
    for method in [Method::Auto, Method::Flow, Method::Heuristic, Method::Mip] {
        let o = AssignOptions {
            method,
            quotas: vec![closed.clone()],
            ..AssignOptions::default()
        };
        let p = assign(&ts, &dispatcher(&net, 0.0), &o).unwrap();
        let reasons: BTreeMap<&str, String> = p
            .unassigned
            .iter()
            .map(|(id, r)| (id.as_str(), r.to_string()))
            .collect();
        assert_eq!(reasons.len(), 2, "{method:?}: {reasons:?}");
        assert!(reasons.values().all(|r| r == "quota:no-R1"), "{reasons:?}");
        assert!(p.assignments.iter().all(|a| a.ticket_id == "T002"));
    }
    // Five R1 tickets of 1 unit, room for 10, quota 2 a day over a one-day SLA.
    let five: Vec<TicketSpec> = (0..5)
        .map(|i| (0.001 * f64::from(i), 0.0, 0, 1, 2))
        .collect();
    let mut ts = tickets(&five);
    for t in &mut ts {
        t.due_by = t0() + Duration::hours(4);
    }
    let two = RegionQuota {
        max_units: 2,
        ..closed
    };
    for method in [Method::Auto, Method::Heuristic, Method::Mip] {
        let o = AssignOptions {
            method,
            quotas: vec![two.clone()],
            ..AssignOptions::default()
        };
        let p = assign(&ts, &dispatcher(&net, 0.0), &o).unwrap();
        assert_eq!(p.assignments.len(), 2, "{method:?}");
        assert!(p
            .unassigned
            .iter()
            .all(|(_, r)| *r == UnassignedReason::Quota("no-R1".into())));
    }
}

/// Quotas naming an unknown region or outlet, or sharing an id, are errors that name
/// the quota's field.
#[test]
fn bad_quotas_are_errors_naming_the_field() {
    let net = network(&[(0.0, 0.0, 10, 0, 10)]);
    let ts = tickets(&[(0.01, 0.0, 0, 1, 2)]);
    let q = RegionQuota {
        id: "q".into(),
        regions: vec!["R1".into()],
        outlets: vec![],
        max_units: 1,
    };
    let cases = [
        (
            RegionQuota {
                id: "q2".into(),
                regions: vec!["R9".into()],
                ..q.clone()
            },
            "quotas[1].regions",
            "R9",
        ),
        (
            RegionQuota {
                id: "q2".into(),
                outlets: vec!["O77".into()],
                ..q.clone()
            },
            "quotas[1].outlets",
            "O77",
        ),
        (q.clone(), "quotas[1].id", "q"),
        (
            RegionQuota {
                id: "r".into(),
                regions: vec![],
                ..q.clone()
            },
            "quotas[1].regions",
            "r",
        ),
    ];
    for (bad, field, word) in cases {
        let o = AssignOptions {
            quotas: vec![q.clone(), bad],
            ..AssignOptions::default()
        };
        let e = assign(&ts, &dispatcher(&net, 0.0), &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains(field) && e.contains(word), "{e}");
    }
}

/// One outlet of capacity 10 with half kept for emergencies: 8 normal and 3 emergency
/// tickets. Normal tickets get at most 5 units, every emergency is planned (using the
/// reserve), and nothing passes 10 — the rule dispatch applies.
#[test]
fn emergencies_may_use_the_reserve_others_may_not() {
    let net = network(&[(0.0, 0.0, 10, 0, 10)]);
    let mut specs: Vec<TicketSpec> = (0..8)
        .map(|i| (0.001 * f64::from(i), 0.0, 0, 1, 2))
        .collect();
    specs.extend((0..3).map(|i| (0.0, 0.001 * f64::from(i), 0, 1, 0)));
    let mut ts = tickets(&specs);
    for t in &mut ts {
        t.due_by = t0() + Duration::hours(4); // day 0 only
    }
    for method in [Method::Auto, Method::Flow, Method::Heuristic, Method::Mip] {
        let o = AssignOptions {
            method,
            ..AssignOptions::default()
        };
        let p = assign(&ts, &dispatcher(&net, 0.5), &o).unwrap();
        check_capacities(&net, &ts, &p, 0.5);
        let planned: Vec<&str> = p.assignments.iter().map(|a| a.ticket_id.as_str()).collect();
        for t in ts.iter().filter(|t| t.priority == Priority::Emergency) {
            assert!(
                planned.contains(&t.id.as_str()),
                "{method:?}: emergency {} left out",
                t.id
            );
        }
        let normal = ts.iter().filter(|t| t.priority != Priority::Emergency);
        assert_eq!(
            normal.filter(|t| planned.contains(&t.id.as_str())).count(),
            5,
            "{method:?}"
        );
    }
    // Dispatching one by one books the same: 5 normal + 3 emergencies.
    let d = dispatcher(&net, 0.5);
    let booked = ts
        .iter()
        .filter(|t| matches!(d.dispatch(t), Ok(servnet::dispatch::Outcome::Assigned(_))))
        .count();
    assert_eq!(booked, 8);
}
