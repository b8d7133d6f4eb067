//! Dispatch invariants over random networks and random streams of dispatches, holds,
//! confirmations, expiries, releases and completions: no counter ever passes its
//! capacity, every booking obeys the hard rules, capacity returns exactly, a repeated
//! dispatch books nothing twice, and the same input gives the same answers.

use proptest::prelude::*;
use servnet::chrono::{Duration, NaiveDateTime};
use servnet::dispatch::{Dispatcher, Fallback, Outcome, Policy, Route};
use servnet::model::*;
use std::collections::BTreeMap;

fn t0() -> NaiveDateTime {
    servnet::io::parse_time("2026-11-23T08:00").unwrap()
}

const SKILLS: [&str; 2] = ["repair:tv", "install:washer"];

#[derive(Debug, Clone)]
struct OutletSpec {
    dlon: f64,
    dlat: f64,
    status: u8,
    area: u8,
    radius: f64,
    daily_cap: u32,
    skills: Vec<(usize, u32, u32)>,
}

fn outlet_spec() -> impl Strategy<Value = OutletSpec> {
    (
        -0.3..0.3f64,
        -0.3..0.3f64,
        0u8..6,
        0u8..3,
        5.0..60.0f64,
        0u32..6,
        proptest::collection::vec((0usize..2, 0u32..4, 0u32..2), 1..3),
    )
        .prop_map(
            |(dlon, dlat, status, area, radius, daily_cap, skills)| OutletSpec {
                dlon,
                dlat,
                status,
                area,
                radius,
                daily_cap,
                skills,
            },
        )
}

fn network(specs: &[OutletSpec]) -> Network {
    let regions = vec![
        Region {
            code: "R1".into(),
            name: "R1".into(),
            tier: Tier::A,
            lon: 121.0,
            lat: 31.0,
            population: None,
            max_response_hours: 24.0,
            max_travel_km: 40.0,
            polygon: None,
        },
        Region {
            code: "R2".into(),
            name: "R2".into(),
            tier: Tier::C,
            lon: 121.2,
            lat: 31.2,
            population: None,
            max_response_hours: 72.0,
            max_travel_km: 80.0,
            polygon: None,
        },
    ];
    let outlets = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut seen = std::collections::BTreeSet::new();
            let skills = s
                .skills
                .iter()
                .filter(|(k, _, _)| seen.insert(*k))
                .map(|&(k, cap, load)| OutletSkill {
                    skill: SKILLS[k].parse().unwrap(),
                    daily_capacity: cap,
                    load: load.min(cap),
                    rating_sum: 4.0 * (i as f64 + 1.0),
                    rating_count: i as u32 + 1,
                    cost_per_ticket: 10.0 * i as f64,
                })
                .collect();
            let lon = 121.0 + s.dlon;
            let lat = 31.0 + s.dlat;
            let area = match s.area {
                0 => ServiceArea::Radius(s.radius),
                1 => ServiceArea::Regions(vec!["R1".into()]),
                _ => ServiceArea::Polygons(servnet::geo::MultiPolygon(vec![
                    servnet::geo::Polygon::new(
                        servnet::geo::LineString::from(vec![
                            (lon - 0.2, lat - 0.2),
                            (lon + 0.2, lat - 0.2),
                            (lon + 0.2, lat + 0.2),
                            (lon - 0.2, lat + 0.2),
                            (lon - 0.2, lat - 0.2),
                        ]),
                        vec![],
                    ),
                ])),
            };
            let status = [
                OutletStatus::Active,
                OutletStatus::Active,
                OutletStatus::Active,
                OutletStatus::Probation,
                OutletStatus::Suspended,
                OutletStatus::Closed,
            ][s.status as usize];
            Outlet {
                id: format!("O{i:02}"),
                name: String::new(),
                lon,
                lat,
                status,
                priority: (i * 23 % 101) as u8,
                daily_cap: s.daily_cap,
                area,
                skills,
            }
        })
        .collect();
    Network::new(outlets, regions).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Dispatch(usize),
    Hold(usize, i64),
    Confirm(usize, i64),
    Expire(i64),
    Release(usize),
    Complete(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..30).prop_map(Op::Dispatch),
        2 => (0usize..30, 1i64..60).prop_map(|(t, m)| Op::Hold(t, m)),
        1 => (0usize..30, 0i64..90).prop_map(|(t, m)| Op::Confirm(t, m)),
        1 => (0i64..90).prop_map(Op::Expire),
        1 => (0usize..30).prop_map(Op::Release),
        1 => (0usize..30, 1u8..6).prop_map(|(t, r)| Op::Complete(t, r)),
    ]
}

fn ticket(i: usize, seed: &[(f64, f64, u8, u8)]) -> Ticket {
    let (dlon, dlat, skill, misc) = seed[i % seed.len()];
    let region = if misc % 3 == 0 { "R2" } else { "R1" };
    let mut t = Ticket::new(
        &format!("T{i:02}"),
        121.0 + dlon,
        31.0 + dlat,
        region,
        SKILLS[skill as usize % 2],
        t0() + Duration::minutes(i as i64),
    );
    t.units = 1 + u32::from(misc % 4 == 0);
    t.due_by = t.created_at + Duration::hours([2, 20, 40, 70][misc as usize % 4]);
    t.priority = if misc % 7 == 0 {
        Priority::Emergency
    } else {
        Priority::Normal
    };
    if misc % 5 == 1 {
        t.customer_tier = CustomerTier::Vip;
    }
    t
}

/// Service packages of four weights (R1 is tier A, R2 tier C): A standard 1 and VIP 3
/// on-site; C standard 0.5 carry-in within 30 km, C VIP 2 on-site. They bring the
/// package term, the reserve and carry-in into the search.
fn packages() -> Vec<ServicePackage> {
    let p = |region_tier, customer_tier, carry_in: bool, weight| ServicePackage {
        key: PackageKey {
            region_tier,
            customer_tier,
            kind: None,
        },
        on_site: !carry_in,
        carry_in,
        carry_in_km: 30.0,
        response_hours: 48.0,
        follow_up_share: 0.0,
        priority_weight: weight,
    };
    vec![
        p(Tier::A, CustomerTier::Standard, false, 1.0),
        p(Tier::A, CustomerTier::Vip, false, 3.0),
        p(Tier::C, CustomerTier::Standard, true, 0.5),
        p(Tier::C, CustomerTier::Vip, false, 2.0),
    ]
}

fn policy() -> Policy {
    Policy {
        start_date: Some(t0().date()),
        horizon_days: 4,
        emergency_reserve: 0.25,
        fallback: vec![
            Fallback::WiderRadius(1.5),
            Fallback::NextDay(1),
            Fallback::Escalate,
        ],
        centre_priority: 60,
        ..Policy::default()
    }
}

/// Runs the ops, checking invariants after each; returns every answer for comparison.
fn run(
    net: &Network,
    seed: &[(f64, f64, u8, u8)],
    ops: &[Op],
) -> Result<Vec<String>, TestCaseError> {
    let d = Dispatcher::new(net.clone(), policy()).unwrap();
    let preload: u32 = net
        .outlets()
        .iter()
        .flat_map(|o| o.skills.iter().map(|s| s.load))
        .sum();
    let mut holds: BTreeMap<usize, u64> = BTreeMap::new();
    let mut log = Vec::new();
    for op in ops {
        match op {
            Op::Dispatch(i) | Op::Hold(i, _) => {
                let t = ticket(*i, seed);
                let before = d.assignment(&t.id);
                let out = match op {
                    Op::Hold(_, ttl) => d.hold(&t, Duration::minutes(*ttl), t0()),
                    _ => d.dispatch(&t),
                };
                let out = match out {
                    Ok(o) => o,
                    Err(servnet::Error::Conflict { .. }) => {
                        // Only a dispatch of a held ticket or a hold of a firm one
                        // (the same content each time: never another conflict).
                        let b = before.as_ref();
                        let is_hold = matches!(op, Op::Hold(..));
                        prop_assert!(
                            b.is_some_and(|b| b.hold.is_some() != is_hold),
                            "unexpected conflict for {:?} with {b:?}",
                            op
                        );
                        log.push(format!("{} conflict", t.id));
                        continue_check(&d, net, preload)?;
                        continue;
                    }
                    Err(e) => panic!("{e}"),
                };
                if let Some(b) = before {
                    prop_assert_eq!(
                        out.assignment(),
                        Some(&b),
                        "a repeated dispatch returns the existing booking"
                    );
                }
                match &out {
                    Outcome::Assigned(a) => {
                        let o = &net.outlets()[net.outlet_index(&a.outlet_id).unwrap()];
                        prop_assert!(
                            o.status.takes_tickets(),
                            "booked on a {:?} outlet",
                            o.status
                        );
                        prop_assert!(
                            o.skills.iter().any(|s| s.skill.to_string() == t.skill),
                            "outlet lacks the skill"
                        );
                        prop_assert!(!t.avoid.iter().any(|x| **x == *a.outlet_id));
                        if a.route == Route::Direct {
                            let km = servnet::geo::haversine_km(t.lon, t.lat, o.lon, o.lat);
                            let inside = match &o.area {
                                ServiceArea::Radius(r) => km <= *r + 1e-9,
                                ServiceArea::Regions(c) => c.contains(&t.region),
                                ServiceArea::Polygons(p) => {
                                    servnet::geo::polygons_contain(p, t.lon, t.lat)
                                }
                            };
                            prop_assert!(inside, "direct booking outside the service area");
                            prop_assert!(a.sla_met, "a direct booking meets the SLA");
                        }
                        if let (Op::Hold(..), Some(h)) = (op, a.hold) {
                            holds.insert(*i, h);
                        }
                        log.push(format!(
                            "{} {} {} {:?}",
                            a.ticket_id, a.outlet_id, a.day, a.route
                        ));
                    }
                    Outcome::Unassignable(u) => {
                        prop_assert!(
                            !u.counts.is_empty()
                                || matches!(
                                    u.reason,
                                    servnet::dispatch::Rule::NoSkill
                                        | servnet::dispatch::Rule::OutsideHorizon
                                )
                        );
                        log.push(format!("{} none {:?}", u.ticket_id, u.reason));
                    }
                }
            }
            Op::Confirm(i, m) => {
                if let Some(h) = holds.remove(i) {
                    log.push(format!(
                        "confirm {i} {}",
                        d.confirm(h, t0() + Duration::minutes(*m)).is_ok()
                    ));
                }
            }
            Op::Expire(m) => log.push(format!(
                "expired {:?}",
                d.expire_holds(t0() + Duration::minutes(*m))
            )),
            Op::Release(i) => log.push(format!(
                "release {i} {}",
                d.release(&format!("T{i:02}")).is_ok()
            )),
            Op::Complete(i, r) => {
                if d.complete(&format!("T{i:02}"), Some(f64::from(*r))).is_ok() {
                    holds.remove(i);
                }
            }
        }
        continue_check(&d, net, preload)?;
    }
    Ok(log)
}

/// The ledger after a step: never over capacity (per skill and outlet-wide, per day)
/// and exact: its total is the preload plus the units of every booking the dispatcher
/// reports (live, held or completed: completed tickets keep their capacity).
fn continue_check(d: &Dispatcher, net: &Network, preload: u32) -> Result<(), TestCaseError> {
    // Never over capacity, per skill/day and outlet-wide/day.
    let mut outlet_day: BTreeMap<(String, u32), u32> = BTreeMap::new();
    let mut total = 0;
    for l in d.loads() {
        prop_assert!(
            l.used
                <= l.capacity
                    .max(l.used.min(net_load(net, &l.outlet_id, &l.skill, l.day))),
            "{l:?} over skill capacity"
        );
        prop_assert!(
            l.outlet_used <= l.outlet_cap.max(preload_outlet(net, &l.outlet_id, l.day)),
            "{l:?} over outlet cap"
        );
        *outlet_day
            .entry((l.outlet_id.to_string(), l.day))
            .or_insert(0) += l.used;
        total += l.used;
    }
    for ((o, day), used) in outlet_day {
        let cap = net.outlets()[net.outlet_index(&o).unwrap()].daily_cap;
        prop_assert!(
            used <= cap.max(preload_outlet(net, &o, day)),
            "outlet {o} day {day}: {used} > {cap}"
        );
    }
    // Capacity accounting is exact: bookings (completed included) + preload.
    let live: u32 = (0..30)
        .filter_map(|i| d.assignment(&format!("T{i:02}")))
        .map(|a| a.units)
        .sum();
    prop_assert_eq!(
        total,
        preload + live,
        "ledger total != preload + bookings (completed included)"
    );
    Ok(())
}

/// Day-0 preloaded load of one offer (data may start above capacity only through load).
fn net_load(net: &Network, outlet: &str, skill: &str, day: u32) -> u32 {
    if day > 0 {
        return 0;
    }
    net.outlets()[net.outlet_index(outlet).unwrap()]
        .skills
        .iter()
        .filter(|s| s.skill.to_string() == skill)
        .map(|s| s.load)
        .sum()
}

fn preload_outlet(net: &Network, outlet: &str, day: u32) -> u32 {
    if day > 0 {
        return 0;
    }
    net.outlets()[net.outlet_index(outlet).unwrap()]
        .skills
        .iter()
        .map(|s| s.load)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn dispatch_never_overbooks_and_accounts_exactly(
        specs in proptest::collection::vec(outlet_spec(), 1..7),
        seed in proptest::collection::vec((-0.3..0.3f64, -0.3..0.3f64, 0u8..2, 0u8..28), 1..30),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let net = network(&specs);
        let first = run(&net, &seed, &ops)?;
        let second = run(&net, &seed, &ops)?;
        prop_assert_eq!(first, second, "same input, same answers");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    /// The pruned best-first search picks exactly what scoring every eligible outlet
    /// would: the best score on the booked day, ties to the lowest outlet id; and it
    /// books by the route its candidates have (directly whenever some outlet meets every
    /// rule). Follow-up ratings (which move
    /// satisfaction, and so the search's bounds) are mixed in, and half the networks
    /// have service packages (the package term, reserve and carry-in in the score).
    #[test]
    fn dispatch_picks_the_best_eligible_outlet(
        specs in proptest::collection::vec(outlet_spec(), 1..12),
        seed in proptest::collection::vec((-0.3..0.3f64, -0.3..0.3f64, 0u8..2, 0u8..28), 1..30),
        n in 1usize..40,
        ratings in proptest::collection::vec(proptest::option::of(1u8..=5), 40),
        with_packages in any::<bool>(),
    ) {
        let mut net = network(&specs);
        if with_packages {
            net = net.with_packages(packages()).unwrap();
        }
        let d = Dispatcher::new(net, policy()).unwrap();
        for (i, rating) in ratings.iter().enumerate().take(n) {
            if i > 0 {
                if let Some(x) = rating {
                    // Complete the previous ticket with a rating (a no-op if unassigned).
                    let _ = d.complete(&ticket(i - 1, &seed).id, Some(f64::from(*x)));
                }
            }
            let t = ticket(i, &seed);
            // The reference evaluates every outlet; the indexed top-k must agree with it.
            let cands = d.candidates_exhaustive(&t, usize::MAX).unwrap();
            for k in [1, 3, usize::MAX] {
                let fast = d.candidates(&t, k).unwrap();
                let want: Vec<_> = cands.iter().take(k).cloned().collect();
                prop_assert_eq!(fast, want, "candidates(k={}) vs every outlet evaluated", k);
            }
            let out = d.dispatch(&t).unwrap();
            match (cands.is_empty(), out.assignment()) {
                (false, Some(a)) => {
                    // Candidates follow the policy's fallbacks as dispatch does: the
                    // route is direct whenever some outlet meets every rule.
                    prop_assert_eq!(a.route, cands[0].route, "booked by another route than the candidates'");
                    let best = cands
                        .iter()
                        .filter(|c| c.day == a.day)
                        .min_by(|x, y| x.breakdown.score.total_cmp(&y.breakdown.score).then(x.outlet_id.cmp(&y.outlet_id)))
                        .unwrap();
                    prop_assert_eq!(best.outlet_id.as_str(), &*a.outlet_id, "best {:?} vs booked {:?}", best, a);
                    prop_assert!(cands.iter().all(|c| c.day >= a.day), "booked the earliest day with an eligible outlet");
                }
                (false, None) => prop_assert!(false, "eligible outlets existed but nothing was booked"),
                (true, Some(a)) => prop_assert!(false, "booked {:?} with no candidate, not even by a fallback", a),
                (true, None) => {}
            }
        }
    }
}
