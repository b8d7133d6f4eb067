//! Batch assignment (`assign::assign`): on small random networks the exact flow and the
//! MIP agree, every plan respects skill and outlet-wide capacities and the hard rules;
//! edge cases get answers; on the sample day the joint plan beats sequential dispatch.

use proptest::prelude::*;
use servnet::assign::transport::solve_transport;
use servnet::assign::{
    assign, compare_with_sequential, compare_with_sequential_on, transport_instance, AssignOptions,
    BaselineDispatcher, Method, SolveStatus,
};
use servnet::chrono::{Duration, NaiveDateTime};
use servnet::dispatch::{Dispatcher, Policy};
use servnet::model::*;
use std::collections::BTreeMap;

fn t0() -> NaiveDateTime {
    servnet::io::parse_time("2026-11-23T08:00").unwrap()
}

const SKILLS: [&str; 2] = ["repair:tv", "install:washer"];

/// (dlon, dlat, radius km, outlet-wide cap, [(skill, capacity, load)]).
type OutletSpec = (f64, f64, f64, u32, Vec<(usize, u32, u32)>);

fn network(specs: &[OutletSpec]) -> Network {
    let region = Region {
        code: "R1".into(),
        name: "R1".into(),
        tier: Tier::A,
        lon: 121.0,
        lat: 31.0,
        population: None,
        max_response_hours: 48.0,
        max_travel_km: 45.0,
        polygon: None,
    };
    let outlets = specs
        .iter()
        .enumerate()
        .map(|(i, (dlon, dlat, radius, cap, skills))| {
            let mut seen = std::collections::BTreeSet::new();
            Outlet {
                id: format!("O{i:02}"),
                name: String::new(),
                lon: 121.0 + dlon,
                lat: 31.0 + dlat,
                status: if i % 5 == 4 {
                    OutletStatus::Probation
                } else {
                    OutletStatus::Active
                },
                priority: (i * 23 % 101) as u8,
                daily_cap: *cap,
                area: ServiceArea::Radius(*radius),
                skills: skills
                    .iter()
                    .filter(|(k, _, _)| seen.insert(*k))
                    .map(|&(k, c, load)| OutletSkill {
                        skill: SKILLS[k].parse().unwrap(),
                        daily_capacity: c,
                        load: load.min(c),
                        rating_sum: 4.0 * (i as f64 + 1.0),
                        rating_count: i as u32 + 1,
                        cost_per_ticket: 10.0 * i as f64,
                    })
                    .collect(),
            }
        })
        .collect();
    Network::new(outlets, vec![region]).unwrap()
}

/// (dlon, dlat, skill, hours to due, priority).
type TicketSpec = (f64, f64, usize, u32, u8);

fn instance() -> impl Strategy<Value = (Vec<OutletSpec>, Vec<TicketSpec>)> {
    let outlet = (
        -0.3..0.3f64,
        -0.3..0.3f64,
        10.0..50.0f64,
        0u32..5,
        proptest::collection::vec((0usize..2, 0u32..4, 0u32..2), 1..3),
    );
    let ticket = (-0.3..0.3f64, -0.3..0.3f64, 0usize..2, 0u32..30, 0u8..4);
    (
        proptest::collection::vec(outlet, 1..7),
        proptest::collection::vec(ticket, 0..14),
    )
}

fn tickets(specs: &[TicketSpec], units: bool) -> Vec<Ticket> {
    specs
        .iter()
        .enumerate()
        .map(|(i, &(dlon, dlat, k, due_h, prio))| {
            let mut t = Ticket::new(
                &format!("T{i:03}"),
                121.0 + dlon,
                31.0 + dlat,
                "R1",
                SKILLS[k],
                t0(),
            );
            t.due_by = t0() + Duration::hours(i64::from(due_h) + 2);
            t.priority = Priority::ALL[prio as usize];
            if units {
                t.units = 1 + (i as u32 * 7 % 3);
            }
            t
        })
        .collect()
}

fn dispatcher(net: &Network) -> Dispatcher {
    let policy = Policy {
        horizon_days: 3,
        fallback: vec![],
        ..Policy::default()
    };
    Dispatcher::new(net.clone(), policy).unwrap()
}

/// Every planned ticket is on an outlet the hard rules allow, and no skill or
/// outlet-wide daily capacity (after the preloaded load) is exceeded.
fn check_plan(net: &Network, ts: &[Ticket], plan: &servnet::assign::AssignmentPlan) {
    let d = dispatcher(net);
    let by_id: BTreeMap<&str, &Ticket> = ts.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut skill_used: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    let mut outlet_used: BTreeMap<(String, u32), u32> = BTreeMap::new();
    for a in &plan.assignments {
        let t = by_id[a.ticket_id.as_str()];
        let e = d.explain(t, &a.outlet_id).unwrap();
        assert_eq!(e.failed, None, "{} on {}: {}", t.id, a.outlet_id, e.text);
        *skill_used
            .entry((a.outlet_id.clone(), t.skill.clone(), a.day))
            .or_default() += a.units;
        *outlet_used.entry((a.outlet_id.clone(), a.day)).or_default() += a.units;
    }
    for ((o, skill, day), used) in skill_used {
        let outlet = &net.outlets()[net.outlet_index(&o).unwrap()];
        let s = outlet
            .skills
            .iter()
            .find(|s| s.skill.to_string() == skill)
            .unwrap();
        let pre = if day == 0 { s.load } else { 0 };
        assert!(used + pre <= s.daily_capacity, "{o} {skill} day {day}");
    }
    for ((o, day), used) in outlet_used {
        let outlet = &net.outlets()[net.outlet_index(&o).unwrap()];
        let pre: u32 = if day == 0 {
            outlet.skills.iter().map(|s| s.load).sum()
        } else {
            0
        };
        assert!(used + pre <= outlet.daily_cap, "{o} day {day}");
    }
    assert_eq!(plan.assignments.len() + plan.unassigned.len(), ts.len());
    assert!(plan.lower_bound <= plan.objective + 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Unit tickets: the exact flow (transport or three-layer) and the HiGHS MIP find the
    /// same objective; both plans respect capacities and eligibility; the flow is proven.
    #[test]
    fn flow_equals_mip_and_plans_are_feasible((outlets, ts) in instance()) {
        let net = network(&outlets);
        let ts = tickets(&ts, false);
        let flow = assign(&ts, &dispatcher(&net), &AssignOptions { method: Method::Flow, ..AssignOptions::default() }).unwrap();
        let mip = assign(&ts, &dispatcher(&net), &AssignOptions { method: Method::Mip, gap_tolerance: 0.0, ..AssignOptions::default() }).unwrap();
        check_plan(&net, &ts, &flow);
        check_plan(&net, &ts, &mip);
        prop_assert_eq!(flow.status, SolveStatus::Optimal);
        prop_assert!((flow.objective - flow.lower_bound).abs() < 1e-9);
        prop_assert!((flow.objective - mip.objective).abs() < 1e-6, "flow {} mip {}", flow.objective, mip.objective);
    }

    /// Multi-unit tickets (a GAP): the heuristic's plan is feasible and its bound is
    /// below the MIP optimum; the MIP is never worse than the heuristic.
    #[test]
    fn multi_unit_heuristic_is_feasible_and_bounded((outlets, ts) in instance()) {
        let net = network(&outlets);
        let ts = tickets(&ts, true);
        let h = assign(&ts, &dispatcher(&net), &AssignOptions { method: Method::Heuristic, ..AssignOptions::default() }).unwrap();
        // The MIP under a progress observer, as the CLI and Python bars run it: the live
        // figures bracket the answer and the last incumbent is the answer's objective.
        let live = servnet::Progress::new();
        let m = servnet::observed(&live, || assign(&ts, &dispatcher(&net), &AssignOptions { method: Method::Mip, gap_tolerance: 0.0, ..AssignOptions::default() })).unwrap();
        let (inc, bound) = (live.incumbent(), live.bound());
        prop_assert!(inc.is_some_and(|x| (x - m.objective).abs() < 1e-6), "live {:?} vs {}", inc, m.objective);
        prop_assert!(bound.is_some_and(|b| b <= m.objective + 1e-6), "live bound {:?} vs {}", bound, m.objective);
        check_plan(&net, &ts, &h);
        check_plan(&net, &ts, &m);
        prop_assert!(m.objective <= h.objective + 1e-9);
        if m.status == SolveStatus::Optimal {
            prop_assert!(h.lower_bound <= m.objective + 1e-9);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// `transport_instance` exports the problem the plan solved: where it is a
    /// transport problem (no outlet cap can bind), its optimum over all tickets at once
    /// is the plan's objective found component by component; otherwise it says why not.
    #[test]
    fn exported_transport_has_the_plans_optimum((outlets, ts) in instance()) {
        let net = network(&outlets);
        let ts = tickets(&ts, false);
        let policy = Policy { horizon_days: 3, fallback: vec![], ..Policy::default() };
        let o = AssignOptions { method: Method::Flow, ..AssignOptions::default() };
        let (plan, _) = compare_with_sequential(&ts, &net, &policy, &o).unwrap();
        match transport_instance(&ts, &net, &policy, &o) {
            Ok(tp) => {
                prop_assert_eq!(tp.tickets, ts.len());
                let s = solve_transport(&tp).unwrap();
                prop_assert_eq!(s.objective, (plan.objective * 1000.0).round() as i64);
            }
            Err(e) => prop_assert!(e.to_string().contains("outlet-wide cap"), "{}", e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// The sequential baseline scores each ticket's own outcome whatever the backlog's
    /// input order: tickets opened at one time arrive by id, so the reversed backlog is
    /// dispatched in the same order and must give the same figures (costs and
    /// penalties per priority differ between tickets, so a mix-up would show).
    #[test]
    fn sequential_baseline_ignores_input_order((outlets, ts) in instance()) {
        let net = network(&outlets);
        let ts = tickets(&ts, false);
        let mut rev = ts.clone();
        rev.reverse();
        let policy = Policy { horizon_days: 3, fallback: vec![], ..Policy::default() };
        let o = AssignOptions { method: Method::Flow, ..AssignOptions::default() };
        // under an observer, as `servnet assign` runs it: the plan runs on rayon's thread
        // beside the baseline and its live figures still reach the caller's observer
        let live = servnet::Progress::new();
        let (plan, a) = servnet::observed(&live, || compare_with_sequential(&ts, &net, &policy, &o)).unwrap();
        prop_assert!(live.incumbent().is_some_and(|x| (x - plan.objective).abs() < 1e-6), "live {:?} vs {}", live.incumbent(), plan.objective);
        let (_, b) = compare_with_sequential(&rev, &net, &policy, &o).unwrap();
        prop_assert_eq!((a.objective, a.assigned), (b.objective, b.assigned));
        prop_assert!((a.mean_distance_km - b.mean_distance_km).abs() < 1e-9);
        prop_assert!(plan.objective <= a.objective + 1e-9);
    }
}

/// Empty backlog, no eligible outlet, demand far above capacity and a zero time limit
/// are answers, not errors or panics; duplicate ids are an error.
#[test]
fn edge_cases_are_answers() {
    let net = network(&[(0.0, 0.0, 30.0, 2, vec![(0, 1, 0)])]);
    let empty = assign(&[], &dispatcher(&net), &AssignOptions::default()).unwrap();
    assert_eq!((empty.objective, empty.status), (0.0, SolveStatus::Optimal));
    // Far away: outside the radius.
    let far = tickets(&[(5.0, 5.0, 0, 20, 2)], false);
    let p = assign(&far, &dispatcher(&net), &AssignOptions::default()).unwrap();
    assert_eq!(p.unassigned.len(), 1);
    // 50 tickets on 1 unit of capacity, multi-unit, zero time limit, every method.
    let many: Vec<_> = (0..50)
        .map(|i| (0.001 * f64::from(i), 0.0, 0, 20, (i % 4) as u8))
        .collect();
    for units in [false, true] {
        let ts = tickets(&many, units);
        for method in [Method::Auto, Method::Flow, Method::Mip, Method::Heuristic] {
            let o = AssignOptions {
                method,
                time_limit: 0.0,
                ..AssignOptions::default()
            };
            let p = assign(&ts, &dispatcher(&net), &o).unwrap();
            check_plan(&net, &ts, &p);
            assert!(p.assignments.len() <= 2);
        }
    }
    let mut dup = tickets(&many[..2], false);
    dup[1].id = dup[0].id.clone();
    assert!(assign(&dup, &dispatcher(&net), &AssignOptions::default()).is_err());
}

/// A promised ticket moves only when the score gain pays the move cost, and the plan
/// says where it came from.
#[test]
fn stable_replanning_moves_only_what_pays() {
    let net = network(&[
        (0.0, 0.0, 50.0, 5, vec![(0, 3, 0)]),
        (0.2, 0.0, 50.0, 5, vec![(0, 3, 0)]),
    ]);
    // The ticket sits next to O00 but was promised to O01 (about 25 road km further).
    let ts = tickets(&[(0.0, 0.0, 0, 20, 2)], false);
    let mut current = BTreeMap::new();
    current.insert(ts[0].id.clone(), "O01".to_string());
    let cheap = AssignOptions {
        current: current.clone(),
        move_cost: 1.0,
        ..AssignOptions::default()
    };
    let p = assign(&ts, &dispatcher(&net), &cheap).unwrap();
    assert_eq!(p.assignments[0].outlet_id, "O00");
    assert_eq!(p.assignments[0].moved_from.as_deref(), Some("O01"));
    assert!(p.assignments[0].move_gain.unwrap() > 1.0);
    let dear = AssignOptions {
        current,
        move_cost: 500.0,
        ..AssignOptions::default()
    };
    let p = assign(&ts, &dispatcher(&net), &dear).unwrap();
    assert_eq!(p.assignments[0].outlet_id, "O01");
    assert_eq!(p.assignments[0].moved_from, None);
}

/// On the sample day (20k tickets) the joint plan, scored the same way, is no worse than
/// dispatching the same tickets one by one on the same capacities.
#[test]
fn sample_day_joint_beats_sequential() {
    let data = servnet::io::read_dir(&servnet::testing::sample_dir()).unwrap();
    let o = AssignOptions {
        method: Method::Auto,
        time_limit: 30.0,
        ..AssignOptions::default()
    };
    let (plan, seq) =
        compare_with_sequential(&data.tickets, &data.network, &Policy::default(), &o).unwrap();
    assert!(
        plan.objective <= seq.objective,
        "joint {} > sequential {}",
        plan.objective,
        seq.objective
    );
    assert!(plan.lower_bound <= plan.objective);
    assert_eq!(
        plan.assignments.len() + plan.unassigned.len(),
        data.tickets.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// `compare_with_sequential` builds one dispatcher for both sides (the plan's arcs
    /// first, then the baseline books on it while the plan solves): its plan must be
    /// `assign`'s on a dispatcher of its own, and its baseline the bookings of a fresh
    /// dispatcher, as if the two sides shared nothing (bookings leaking into the plan,
    /// or the plan's start into the baseline, would show).
    #[test]
    fn shared_dispatcher_changes_neither_side((outlets, ts) in instance(), units in any::<bool>()) {
        let net = network(&outlets);
        let ts = tickets(&ts, units);
        let policy = Policy { horizon_days: 3, fallback: vec![], ..Policy::default() };
        let o = AssignOptions::default();
        let (plan, seq) = compare_with_sequential(&ts, &net, &policy, &o).unwrap();
        // Both sides' policy: day 0 the backlog's first day (as batch assignment sets it).
        let own = Policy { start_date: Some(t0().date()), ..policy.clone() };
        let alone = assign(&ts, &Dispatcher::new(net.clone(), own.clone()).unwrap(), &o).unwrap();
        let key = |p: &servnet::assign::AssignmentPlan| {
            p.assignments.iter().map(|a| (a.ticket_id.clone(), a.outlet_id.clone(), a.day)).collect::<Vec<_>>()
        };
        prop_assert_eq!(key(&plan), key(&alone));
        prop_assert_eq!(plan.objective, alone.objective);
        let fresh = Dispatcher::new(net.clone(), own).unwrap();
        let outcomes = servnet::dispatch::dispatch_in_arrival_order(&fresh, &ts).unwrap();
        let booked: Vec<f64> = outcomes
            .iter()
            .filter_map(|x| match x {
                servnet::dispatch::Outcome::Assigned(a) => Some(a.breakdown.distance_km),
                _ => None,
            })
            .collect();
        prop_assert_eq!(seq.assigned, booked.len());
        let mean = if booked.is_empty() { 0.0 } else { booked.iter().sum::<f64>() / booked.len() as f64 };
        prop_assert!((seq.mean_distance_km - mean).abs() < 1e-9, "{} vs {}", seq.mean_distance_km, mean);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// A comparison's dispatcher laid out before the backlog is known (`servnet assign`
    /// lays it out while the tickets are checked; the policy keeps its fallbacks and
    /// sets no day 0) gives `compare_with_sequential`'s plan and baseline.
    #[test]
    fn dispatcher_laid_out_first_gives_the_same_comparison((outlets, ts) in instance(), units in any::<bool>()) {
        let net = network(&outlets);
        let ts = tickets(&ts, units);
        let policy = Policy { horizon_days: 3, ..Policy::default() };
        let o = AssignOptions::default();
        let (plan, seq) = compare_with_sequential(&ts, &net, &policy, &o).unwrap();
        let d = BaselineDispatcher::new(net.clone(), &policy).unwrap();
        let (first, first_seq) = compare_with_sequential_on(&ts, d, &o).unwrap();
        prop_assert_eq!(&plan.assignments, &first.assignments);
        prop_assert_eq!(&plan.unassigned, &first.unassigned);
        prop_assert_eq!((plan.objective, plan.lower_bound), (first.objective, first.lower_bound));
        prop_assert_eq!(
            (seq.objective, seq.assigned, seq.mean_distance_km),
            (first_seq.objective, first_seq.assigned, first_seq.mean_distance_km)
        );
    }
}
