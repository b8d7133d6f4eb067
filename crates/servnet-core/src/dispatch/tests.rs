//! Each hard rule, each fallback step, idempotency, holds and feedback.

use super::*;
use crate::bench::synthetic;
use crate::model::*;
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

fn t0() -> NaiveDateTime {
    crate::io::parse_time("2026-11-23T08:00").unwrap_or_default()
}

fn outlet(id: &str, lon: f64, cap: u32, radius: f64) -> Outlet {
    Outlet {
        id: id.into(),
        name: id.into(),
        lon,
        lat: 31.0,
        status: OutletStatus::Active,
        priority: 50,
        daily_cap: 100,
        area: ServiceArea::Radius(radius),
        skills: vec![OutletSkill {
            skill: Skill {
                kind: ServiceKind::Repair,
                category: "tv".into(),
            },
            daily_capacity: cap,
            load: 0,
            rating_sum: 40.0,
            rating_count: 10,
            cost_per_ticket: 50.0,
        }],
    }
}

fn region(travel_km: f64) -> Region {
    Region {
        code: "R".into(),
        name: "R".into(),
        tier: Tier::A,
        lon: 121.0,
        lat: 31.0,
        population: None,
        max_response_hours: 24.0,
        max_travel_km: travel_km,
        polygon: None,
    }
}

/// A one-unit ticket due 4 hours after it is opened: only day 0 meets its SLA.
fn ticket(id: &str, lon: f64) -> Ticket {
    let mut t = Ticket::new(id, lon, 31.0, "R", "repair:tv", t0());
    t.due_by = t.created_at + chrono::Duration::hours(4);
    t
}

fn strict() -> Policy {
    Policy {
        fallback: vec![],
        start_date: Some(t0().date()),
        ..Policy::default()
    }
}

fn dispatcher(outlets: Vec<Outlet>, travel_km: f64, policy: Policy) -> Dispatcher {
    Network::new(outlets, vec![region(travel_km)])
        .and_then(|n| Dispatcher::new(n, policy))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn outcome(d: &Dispatcher, t: &Ticket) -> Outcome {
    d.dispatch(t).unwrap_or_else(|e| panic!("{e}"))
}

fn reason(o: &Outcome) -> Option<Rule> {
    match o {
        Outcome::Unassignable(u) => Some(u.reason),
        Outcome::Assigned(_) => None,
    }
}

#[test]
fn nearest_outlet_wins_when_all_else_is_equal() {
    let d = dispatcher(
        vec![
            outlet("far", 121.2, 5, 50.0),
            outlet("near", 121.05, 5, 50.0),
        ],
        100.0,
        strict(),
    );
    let o = outcome(&d, &ticket("t", 121.0));
    assert_eq!(o.assignment().map(|a| a.outlet_id.as_ref()), Some("near"));
}

#[test]
fn ties_break_by_outlet_id() {
    let d = dispatcher(
        vec![outlet("b", 121.1, 5, 50.0), outlet("a", 121.1, 5, 50.0)],
        100.0,
        strict(),
    );
    let o = outcome(&d, &ticket("t", 121.0));
    assert_eq!(o.assignment().map(|a| a.outlet_id.as_ref()), Some("a"));
}

#[test]
fn unknown_skill_is_unassignable_with_no_skill() {
    let d = dispatcher(vec![outlet("a", 121.0, 5, 50.0)], 100.0, strict());
    let mut t = ticket("t", 121.0);
    t.skill = "install:washer".into();
    assert_eq!(reason(&outcome(&d, &t)), Some(Rule::NoSkill));
}

#[test]
fn each_hard_rule_is_named_when_it_excludes_the_only_outlet() {
    // status
    let mut o = outlet("a", 121.0, 5, 50.0);
    o.status = OutletStatus::Suspended;
    assert_eq!(
        reason(&outcome(
            &dispatcher(vec![o], 100.0, strict()),
            &ticket("t", 121.0)
        )),
        Some(Rule::Status)
    );
    // avoid
    let d = dispatcher(vec![outlet("a", 121.0, 5, 50.0)], 100.0, strict());
    let mut t = ticket("t", 121.0);
    t.avoid = vec!["a".into()];
    assert_eq!(reason(&outcome(&d, &t)), Some(Rule::Avoided));
    // area: 0.5 deg of longitude at 31N is ~48 km > 20 km radius
    let d = dispatcher(vec![outlet("a", 121.5, 5, 20.0)], 100.0, strict());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::OutsideArea)
    );
    // travel limit: inside the 80 km radius but the region allows 30 km
    let d = dispatcher(vec![outlet("a", 121.5, 5, 80.0)], 30.0, strict());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::TooFar)
    );
    // skill capacity
    let d = dispatcher(vec![outlet("a", 121.0, 0, 50.0)], 100.0, strict());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::SkillFull)
    );
    // outlet-wide cap
    let mut o = outlet("a", 121.0, 5, 50.0);
    o.daily_cap = 0;
    assert_eq!(
        reason(&outcome(
            &dispatcher(vec![o], 100.0, strict()),
            &ticket("t", 121.0)
        )),
        Some(Rule::OutletFull)
    );
    // SLA: due in 30 minutes, 40 km of road at 40 km/h takes an hour
    let d = dispatcher(vec![outlet("a", 121.3, 5, 80.0)], 100.0, strict());
    let mut t = ticket("t", 121.0);
    t.due_by = t.created_at + chrono::Duration::minutes(30);
    assert_eq!(reason(&outcome(&d, &t)), Some(Rule::SlaUnreachable));
}

#[test]
fn counts_say_how_many_outlets_failed_each_rule() {
    let mut s = outlet("s", 121.0, 5, 50.0);
    s.status = OutletStatus::Closed;
    let d = dispatcher(
        vec![
            s,
            outlet("f1", 121.0, 0, 50.0),
            outlet("f2", 121.01, 0, 50.0),
        ],
        100.0,
        strict(),
    );
    match outcome(&d, &ticket("t", 121.0)) {
        Outcome::Unassignable(u) => {
            assert_eq!(
                u.reason,
                Rule::SkillFull,
                "all full is the furthest rule reached"
            );
            assert_eq!(u.counts.get(&Rule::Status), Some(&1));
            assert_eq!(u.counts.get(&Rule::SkillFull), Some(&2));
        }
        o => panic!("expected unassignable, got {o:?}"),
    }
}

#[test]
fn wider_radius_fallback_reaches_an_outlet_just_outside() {
    let p = Policy {
        fallback: vec![Fallback::WiderRadius(1.5)],
        ..strict()
    };
    let d = dispatcher(vec![outlet("a", 121.25, 5, 20.0)], 100.0, p); // ~24 km away
    let o = outcome(&d, &ticket("t", 121.0));
    assert_eq!(
        o.assignment().map(|a| a.route),
        Some(Route::WiderRadius(1.5))
    );
}

#[test]
fn next_day_fallback_books_a_later_day_and_reports_the_missed_sla() {
    let p = Policy {
        fallback: vec![Fallback::NextDay(2)],
        ..strict()
    };
    let d = dispatcher(vec![outlet("a", 121.0, 1, 50.0)], 100.0, p);
    let mut first = ticket("t1", 121.0);
    first.due_by = first.created_at + chrono::Duration::hours(4);
    let mut second = first.clone();
    second.id = "t2".into();
    assert_eq!(
        outcome(&d, &first).assignment().map(|a| (a.day, a.sla_met)),
        Some((0, true))
    );
    let a = outcome(&d, &second);
    let a = a
        .assignment()
        .unwrap_or_else(|| panic!("expected next-day booking"));
    assert_eq!((a.day, a.route, a.sla_met), (1, Route::NextDay, false));
}

#[test]
fn escalation_sends_to_the_regional_centre_outside_its_area() {
    let p = Policy {
        fallback: vec![Fallback::Escalate],
        ..strict()
    };
    let mut centre = outlet("centre", 122.0, 5, 10.0); // ~95 km away, tiny radius
    centre.priority = 95;
    let d = dispatcher(vec![centre], 50.0, p);
    let o = outcome(&d, &ticket("t", 121.0));
    assert_eq!(
        o.assignment().map(|a| (a.outlet_id.as_ref(), a.route)),
        Some(("centre", Route::Escalated))
    );
}

/// Escalation remembers that every centre was full only until capacity is released,
/// and a finding under the normal limits does not stop an emergency using the reserve.
#[test]
fn escalation_sees_capacity_again_after_centres_were_full() {
    let p = Policy {
        fallback: vec![Fallback::Escalate],
        emergency_reserve: 0.5,
        horizon_days: 2,
        ..strict()
    };
    let mut centre = outlet("centre", 122.0, 2, 10.0); // out of area: escalation only
    centre.priority = 95;
    let d = dispatcher(vec![centre], 50.0, p);
    // Normal tickets may use 1 unit a day (2 x (1 - 0.5)): fill both days.
    for id in ["a", "b"] {
        let o = outcome(&d, &ticket(id, 121.0));
        assert_eq!(o.assignment().map(|a| a.route), Some(Route::Escalated));
    }
    for _ in 0..2 {
        // Full for normal tickets, asked twice (the second answer is the remembered one).
        assert!(outcome(&d, &ticket("c", 121.0)).assignment().is_none());
    }
    let mut e = ticket("e", 121.0);
    e.priority = Priority::Emergency;
    assert_eq!(
        outcome(&d, &e).assignment().map(|a| a.route),
        Some(Route::Escalated),
        "an emergency may still use the reserve"
    );
    d.release("b").unwrap_or_else(|err| panic!("{err}")); // day 1 (the emergency took day 0)
    assert_eq!(
        outcome(&d, &ticket("c", 121.0))
            .assignment()
            .map(|a| a.route),
        Some(Route::Escalated),
        "released capacity is found again"
    );
}

/// A hold whose expiry is out of the calendar's range is an error naming `ttl`, and
/// books nothing.
#[test]
fn a_hold_past_the_calendar_is_an_error_naming_ttl() {
    let d = dispatcher(vec![outlet("a", 121.0, 5, 50.0)], 100.0, strict());
    let err = d
        .hold(&ticket("t", 121.0), chrono::Duration::MAX, t0())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("ttl") && err.contains("'t'"), "{err}");
    assert_eq!(d.loads().iter().map(|l| l.used).sum::<u32>(), 0);
}

#[test]
fn emergency_reserve_keeps_capacity_for_emergencies() {
    let p = Policy {
        emergency_reserve: 0.5,
        ..strict()
    };
    let d = dispatcher(vec![outlet("a", 121.0, 2, 50.0)], 100.0, p);
    assert!(outcome(&d, &ticket("n1", 121.0)).assignment().is_some());
    assert_eq!(
        reason(&outcome(&d, &ticket("n2", 121.0))),
        Some(Rule::SkillFull)
    );
    let mut e = ticket("e1", 121.0);
    e.priority = Priority::Emergency;
    assert!(
        outcome(&d, &e).assignment().is_some(),
        "an emergency may use the reserve"
    );
}

#[test]
fn dispatching_the_same_ticket_twice_books_once() {
    let d = dispatcher(vec![outlet("a", 121.0, 5, 50.0)], 100.0, strict());
    let a = outcome(&d, &ticket("t", 121.0));
    let b = outcome(&d, &ticket("t", 121.0));
    assert_eq!(a, b);
    assert_eq!(d.loads().iter().map(|l| l.used).sum::<u32>(), 1);
}

#[test]
fn release_and_expiry_return_capacity_exactly() {
    let d = dispatcher(vec![outlet("a", 121.0, 1, 50.0)], 100.0, strict());
    assert!(outcome(&d, &ticket("t1", 121.0)).assignment().is_some());
    assert!(d.release("t1").is_ok());
    let held = d
        .hold(&ticket("t2", 121.0), chrono::Duration::minutes(10), t0())
        .unwrap_or_else(|e| panic!("{e}"));
    let hold = held
        .assignment()
        .and_then(|a| a.hold)
        .unwrap_or_else(|| panic!("expected a hold"));
    assert_eq!(
        reason(&outcome(&d, &ticket("t3", 121.0))),
        Some(Rule::SkillFull),
        "held capacity is taken"
    );
    assert_eq!(
        d.expire_holds(t0() + chrono::Duration::minutes(11)).ok(),
        Some(vec![SmolStr::new("t2")])
    );
    assert!(
        d.confirm(hold, t0()).is_err(),
        "an expired hold cannot be confirmed"
    );
    assert_eq!(d.loads().iter().map(|l| l.used).sum::<u32>(), 0);
    assert!(outcome(&d, &ticket("t3", 121.0)).assignment().is_some());
}

#[test]
fn confirmed_hold_becomes_a_firm_booking() {
    let d = dispatcher(vec![outlet("a", 121.0, 1, 50.0)], 100.0, strict());
    let held = d
        .hold(&ticket("t", 121.0), chrono::Duration::minutes(10), t0())
        .unwrap_or_else(|e| panic!("{e}"));
    let hold = held.assignment().and_then(|a| a.hold).unwrap_or_default();
    let a = d
        .confirm(hold, t0() + chrono::Duration::minutes(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.hold, None);
    assert!(d
        .expire_holds(t0() + chrono::Duration::hours(1))
        .is_ok_and(|v| v.is_empty()));
    assert_eq!(d.loads().iter().map(|l| l.used).sum::<u32>(), 1);
}

#[test]
fn bad_ratings_pull_an_outlet_below_its_rival() {
    let mut p = strict();
    p.weights.load = 0.0;
    let d = dispatcher(
        vec![outlet("a", 121.0, 50, 50.0), outlet("b", 121.0, 50, 50.0)],
        100.0,
        p,
    );
    for i in 0..30 {
        let id = format!("t{i}");
        let o = outcome(&d, &ticket(&id, 121.0));
        if o.assignment().map(|a| a.outlet_id.as_ref()) == Some("a") {
            assert!(d.complete(&id, Some(1.0)).is_ok());
        }
    }
    let last = outcome(&d, &ticket("last", 121.0));
    assert_eq!(last.assignment().map(|a| a.outlet_id.as_ref()), Some("b"));
    assert!(d.complete("last", Some(7.0)).is_err(), "ratings are 1..=5");
}

#[test]
fn polygon_and_region_areas_are_respected() {
    use geo::{polygon, MultiPolygon};
    let mut poly = outlet("p", 121.0, 5, 1.0);
    poly.area = ServiceArea::Polygons(MultiPolygon(vec![polygon![
        (x: 120.9, y: 30.9), (x: 121.1, y: 30.9), (x: 121.1, y: 31.1), (x: 120.9, y: 31.1), (x: 120.9, y: 30.9)
    ]]));
    let d = dispatcher(vec![poly], 100.0, strict());
    assert!(outcome(&d, &ticket("in", 121.05)).assignment().is_some());
    assert_eq!(
        reason(&outcome(&d, &ticket("out", 121.15))),
        Some(Rule::OutsideArea)
    );
    let mut reg = outlet("r", 121.0, 5, 1.0);
    reg.area = ServiceArea::Regions(vec!["R".into()]);
    let d = dispatcher(vec![reg], 100.0, strict());
    assert!(outcome(&d, &ticket("any", 121.3)).assignment().is_some());
}

#[test]
fn explain_says_full_today_but_free_tomorrow() {
    let d = dispatcher(
        vec![outlet("a", 121.0, 1, 50.0), outlet("b", 121.2, 5, 50.0)],
        100.0,
        strict(),
    );
    let mut t = ticket("t1", 121.0);
    t.due_by = t.created_at + chrono::Duration::hours(4);
    assert!(outcome(&d, &t)
        .assignment()
        .is_some_and(|a| &*a.outlet_id == "a"));
    t.id = "t2".into();
    let e = d.explain(&t, "a").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.failed, Some(Rule::SkillFull));
    assert!(e.text.contains("has capacity on day 1"), "{}", e.text);
    assert_eq!(e.best.map(|b| b.outlet_id), Some("b".into()));
    let e = d.explain(&t, "b").unwrap_or_else(|e| panic!("{e}"));
    assert!(e.text.contains("best outlet"), "{}", e.text);
}

/// A backlog ticket already past its due time when the dispatcher starts: no outlet
/// meets the SLA, dispatch books it by the policy's first fallback, and candidates and
/// explain say so (they judged it by the SLA alone and found nothing before).
#[test]
fn candidates_and_explain_follow_dispatch_for_a_ticket_past_due() {
    let outlets = || vec![outlet("a", 121.05, 5, 50.0), outlet("b", 121.2, 5, 50.0)];
    let policy = Policy {
        start_date: Some(t0().date()),
        ..Policy::default()
    };
    let d = dispatcher(outlets(), 100.0, policy);
    let mut t = ticket("old", 121.0);
    t.created_at -= chrono::Duration::days(2);
    t.due_by = t.created_at + chrono::Duration::hours(4);
    let cands = d.candidates(&t, 5).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cands,
        d.candidates_exhaustive(&t, 5)
            .unwrap_or_else(|e| panic!("{e}"))
    );
    let ids: Vec<_> = cands.iter().map(|c| (&*c.outlet_id, c.route)).collect();
    assert_eq!(
        ids,
        [
            ("a", Route::WiderRadius(1.5)),
            ("b", Route::WiderRadius(1.5))
        ]
    );
    let e = d.explain(&t, "a").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.failed, None, "{}", e.text);
    assert!(
        e.text.contains("best outlet") && e.text.contains("falls back to wider_radius_x1.5"),
        "{}",
        e.text
    );
    let e = d.explain(&t, "b").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (e.failed, e.best.map(|b| b.outlet_id)),
        (None, Some("a".into())),
        "{}",
        e.text
    );
    let booked = outcome(&d, &t);
    assert_eq!(
        booked.assignment().map(|a| (&*a.outlet_id, a.route)),
        Some(("a", Route::WiderRadius(1.5)))
    );
    // Without fallbacks nothing books it, and nothing is offered.
    let d = dispatcher(outlets(), 100.0, strict());
    assert!(d
        .candidates(&t, 5)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());
    let e = d.explain(&t, "a").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.failed, Some(Rule::SlaUnreachable), "{}", e.text);
    assert_eq!(reason(&outcome(&d, &t)), Some(Rule::SlaUnreachable));
}

#[test]
fn candidates_are_ranked_with_breakdowns_that_sum_to_the_score() {
    let d = dispatcher(
        vec![
            outlet("a", 121.1, 5, 50.0),
            outlet("b", 121.05, 5, 50.0),
            outlet("c", 121.3, 5, 50.0),
        ],
        100.0,
        strict(),
    );
    let c = d
        .candidates(&ticket("t", 121.0), 2)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.iter().map(|c| c.outlet_id.as_str()).collect::<Vec<_>>(),
        vec!["b", "a"]
    );
    for x in &c {
        let s: f64 = x.breakdown.terms.iter().sum();
        assert!((s - x.breakdown.score).abs() < 1e-9);
        assert_eq!(x.remaining_skill, 4);
    }
}

#[test]
fn unknown_references_are_errors_not_outcomes() {
    let d = dispatcher(vec![outlet("a", 121.0, 5, 50.0)], 100.0, strict());
    let mut t = ticket("t", 121.0);
    t.region = "nowhere".into();
    let field = |e: Result<Outcome>| match e {
        Err(Error::Invalid(v)) => v.first().and_then(|i| i.at.field.clone()),
        _ => None,
    };
    assert_eq!(field(d.dispatch(&t)).as_deref(), Some("region"));
    let mut t = ticket("t", 121.0);
    t.avoid = vec!["ghost".into()];
    assert_eq!(field(d.dispatch(&t)).as_deref(), Some("avoid"));
}

#[test]
fn dispatcher_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Dispatcher>();
}

#[test]
fn a_travel_matrix_overrides_straight_line_distance() {
    // "near" is 5 km away as the crow flies but 60 road km (a river between);
    // "far" is 15 km away and 16 road km: with the matrix, "far" wins.
    let net = Network::new(
        vec![
            outlet("far", 121.15, 5, 50.0),
            outlet("near", 121.05, 5, 50.0),
        ],
        vec![region(100.0)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plain = Dispatcher::new(net.clone(), strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome(&plain, &ticket("t", 121.0))
            .assignment()
            .map(|a| a.outlet_id.clone()),
        Some("near".into())
    );
    // one region x two outlets, outlets sorted by id: far, near
    let routed = Dispatcher::with_travel_matrix(net.clone(), strict(), vec![16.0, 60.0])
        .unwrap_or_else(|e| panic!("{e}"));
    let a = outcome(&routed, &ticket("t", 121.0));
    let a = a
        .assignment()
        .unwrap_or_else(|| panic!("expected a booking"));
    assert_eq!(&*a.outlet_id, "far");
    assert!(
        (a.breakdown.distance_km - 16.0).abs() < 1e-6,
        "{}",
        a.breakdown.distance_km
    );
    assert!(
        Dispatcher::with_travel_matrix(net, strict(), vec![1.0]).is_err(),
        "wrong size is an error"
    );
}

/// The unassignable counts (bulk-counted far outlets) equal evaluating every outlet of
/// the skill, with avoid lists, statuses, full capacities and all three kinds of area.
#[test]
fn bulk_rule_counts_equal_evaluating_every_outlet() {
    use crate::bench::synthetic::{synthetic, SyntheticSpec};
    use crate::rng::SplitMix64;
    for (capacity, seed) in [(0u32, 3u64), (40, 4), (1, 5)] {
        let spec = SyntheticSpec {
            skill_capacity: capacity,
            categories: 4,
            ..SyntheticSpec::new(3_000, seed)
        };
        let (mut net, tickets) = synthetic(&spec, 300).unwrap();
        // Some outlets take no tickets (the status rule).
        let mut outlets = net.outlets().to_vec();
        for o in outlets.iter_mut().step_by(7) {
            o.status = OutletStatus::Suspended;
        }
        // Region lists that name far regions too: such outlets sit in far tree nodes yet
        // pass the area rule (the bulk count must check them one by one).
        let codes: Vec<String> = net.regions().iter().map(|r| r.code.clone()).collect();
        let mut pick = SplitMix64::new(seed + 100);
        for o in outlets.iter_mut() {
            if let ServiceArea::Regions(list) = &mut o.area {
                for _ in 0..20 {
                    list.push(codes[pick.below(codes.len())].clone());
                }
                list.sort();
                list.dedup();
            }
        }
        net = Network::new(outlets, net.regions().to_vec()).unwrap();
        let policy = Policy {
            start_date: Some(tickets[0].created_at.date()),
            ..Policy::default()
        };
        let d = Dispatcher::new(net.clone(), policy).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut bulk_seen = 0;
        let mut covering_in_bulk = 0;
        for (i, t) in tickets.iter().enumerate() {
            let mut t = t.clone();
            for _ in 0..(i % 4) {
                let o = &net.outlets()[rng.below(net.outlets().len())];
                t.avoid.push(o.id.clone());
            }
            if i % 5 == 0 {
                if let Some(o) = t.avoid.first().cloned() {
                    t.avoid.push(o); // duplicates count once
                }
            }
            let r = d.resolve(&t).unwrap();
            let fast = d.reasons(&r);
            assert_eq!(fast, d.reasons_exhaustive(&r), "ticket {}", t.id);
            if let Some(skill) = r.skill {
                // With the region-list outlets naming the ticket's region as special:
                // some lie in far groups (and are handed back, not counted).
                let covering: Vec<usize> = d
                    .covering
                    .get(&(skill.0, r.region as u32))
                    .into_iter()
                    .flatten()
                    .map(|&k| d.offer_keys[k as usize].slot as usize)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut split = super::index::Split::default();
                d.index[skill.index()]
                    .tree
                    .split_far(&r.xyz, None, &covering, |_| {}, &mut split);
                bulk_seen += split.outside_area;
                covering_in_bulk += split.special_in_bulk;
            }
        }
        assert!(bulk_seen > 0, "some outlets were counted in bulk");
        assert!(
            covering_in_bulk > 0,
            "some far region-list outlets had the ticket's region"
        );
    }
}

/// Offers are numbered by skill and place inside the dispatcher; what it reports stays in
/// the network's terms: `loads()` lists outlets in the network's order, then their skills
/// in their order, then days, and each row agrees with `skill_used` and with the
/// assignments made.
#[test]
fn loads_follow_the_network_order_and_agree_with_the_assignments() {
    let spec = synthetic::SyntheticSpec {
        skill_capacity: 3,
        ..synthetic::SyntheticSpec::new(300, 5)
    };
    let (net, tickets) = synthetic::synthetic(&spec, 3000).unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy {
        start_date: Some(tickets[0].created_at.date()),
        ..Policy::default()
    };
    let d = Dispatcher::new(net.clone(), policy).unwrap_or_else(|e| panic!("{e}"));
    let mut booked: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    for t in &tickets {
        if let Outcome::Assigned(a) = outcome(&d, t) {
            let key = (a.outlet_id.to_string(), a.skill.to_string(), a.day);
            *booked.entry(key).or_insert(0) += a.units;
        }
    }
    assert!(booked.len() > 100, "the test needs many bookings");
    let mut last = None;
    let mut reported: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    for l in d.loads() {
        let oi = net
            .outlet_index(&l.outlet_id)
            .unwrap_or_else(|| panic!("unknown outlet {}", l.outlet_id));
        let skill = net
            .skill_id(&l.skill)
            .unwrap_or_else(|| panic!("unknown skill {}", l.skill));
        let pos = net.offer_skills(oi).iter().position(|&s| s == skill);
        let at = (oi, pos, l.day);
        assert!(last < Some(at), "row {at:?} after {last:?}");
        last = Some(at);
        assert_eq!(l.used, d.skill_used(oi, skill, l.day), "{at:?}");
        // What a caller's ledger is told for this outlet skill.
        let k = d
            .offer_number(oi, skill)
            .unwrap_or_else(|| panic!("no offer number for {at:?}"));
        assert_eq!(l.used, d.ledger.offer_used(k, l.day), "{at:?}");
        assert_eq!(l.outlet_used, d.outlet_used(oi, l.day), "{at:?}");
        if l.used > 0 {
            reported.insert(
                (l.outlet_id.to_string(), l.skill.to_string(), l.day),
                l.used,
            );
        }
    }
    assert_eq!(reported, booked);
}

mod packages;
mod state;

/// Unassignable, released, and outlets counted in bulk as skill full (and of those, only
/// by the marks of offers full for tickets held out of the reserves) and as outlet full,
/// those counted in groups straddling their radii, and those counted item by item in
/// groups crossing a limit, dispatching `tickets` on `d` and checking every booking and
/// diagnosis (see below).
fn check_full_network(d: &Dispatcher, tickets: &[Ticket]) -> [usize; 7] {
    let (mut unassignable, mut released) = (0, 0);
    let (mut skill_in_bulk, mut reserved_in_bulk, mut outlet_in_bulk) = (0, 0, 0);
    let (mut straddling, mut by_item) = (0, 0);
    for (i, t) in tickets.iter().enumerate() {
        let cands = d.candidates_exhaustive(t, usize::MAX).unwrap();
        let out = d.dispatch(t).unwrap();
        match (&out, cands.first()) {
            (Outcome::Assigned(a), Some(b)) => {
                // Candidates follow the policy's fallbacks as dispatch does.
                assert_eq!(a.route, b.route, "ticket {}: {b:?}", t.id);
                // The earliest day with an eligible outlet, then the best score on it.
                let best = cands
                    .iter()
                    .filter(|c| c.day == a.day)
                    .min_by(|x, y| {
                        (x.breakdown.score.total_cmp(&y.breakdown.score))
                            .then(x.outlet_id.cmp(&y.outlet_id))
                    })
                    .unwrap();
                assert_eq!(&*best.outlet_id, &*a.outlet_id, "ticket {}", t.id);
                assert!(cands.iter().all(|c| c.day >= a.day), "ticket {}", t.id);
            }
            (Outcome::Unassignable(_), Some(b)) => {
                panic!("ticket {}: {b:?} was eligible, nothing booked", t.id)
            }
            (Outcome::Assigned(a), None) => {
                panic!("ticket {}: booked {a:?} with no candidate", t.id)
            }
            (Outcome::Unassignable(u), None) => {
                unassignable += 1;
                let r = d.resolve(t).unwrap();
                let (reason, counts) = d.reasons_exhaustive(&r);
                assert_eq!((u.reason, &u.counts), (reason, &counts), "ticket {}", t.id);
                let Some(skill) = r.skill else { continue };
                let split = |test: Option<&super::index::FullTest>| {
                    let mut split = super::index::Split::default();
                    let tree = &d.index[skill.index()].tree;
                    tree.split_far(&r.xyz, test, &[], |_| {}, &mut split);
                    (
                        split.skill_full,
                        split.outlet_full,
                        split.straddling,
                        split.by_item,
                    )
                };
                let test = d.full_test(&r, d.sla_days(&r));
                let (skill_full, outlet_full, straddled, items) = split(test.as_ref());
                straddling += straddled;
                by_item += items;
                let without_reserved = test.map(|t| super::index::FullTest {
                    reserve: false,
                    ..t
                });
                skill_in_bulk += skill_full;
                reserved_in_bulk += skill_full - split(without_reserved.as_ref()).0;
                outlet_in_bulk += outlet_full;
            }
        }
        // Now and then capacity comes back: the marks must follow.
        if i % 9 == 8 && d.release(&tickets[i - 4].id).is_ok() {
            released += 1;
        }
    }
    [
        unassignable,
        released,
        skill_in_bulk,
        reserved_in_bulk,
        outlet_in_bulk,
        straddling,
        by_item,
    ]
}

/// On a peak-season network where outlets run out (and some are released again), the
/// search that skips outlets marked full still books exactly what evaluating every
/// outlet would, and every unassignable ticket's diagnosis (reason and counts per rule)
/// equals evaluating every outlet of the skill; many outlets are counted in bulk both as
/// skill full and as outlet full. The same with packages, a package reserve and an
/// emergency reserve, where some offers are full only for tickets held out of the
/// reserves.
#[test]
fn full_networks_keep_exact_bookings_and_diagnoses() {
    use crate::bench::peak::{peak, PeakSpec};
    let spec = PeakSpec {
        capacity_scale: 0.3,
        ..PeakSpec::new(400, 6_000, 11)
    };
    let (net, tickets) = peak(&spec).unwrap();
    let policy = Policy {
        start_date: Some(tickets[0].created_at.date()),
        ..Policy::default()
    };
    let d = Dispatcher::new(net.clone(), policy.clone()).unwrap();
    let [unassignable, released, skill, reserved, _, straddling, by_item] =
        check_full_network(&d, &tickets);
    assert!(
        unassignable > 100,
        "the network ran out ({unassignable} unassignable)"
    );
    assert!(released > 100, "capacity was released ({released} times)");
    assert!(
        skill > 1000,
        "diagnoses counted skill-full outlets in bulk ({skill})"
    );
    assert!(
        straddling > 1000,
        "diagnoses counted groups straddling their radii ({straddling} outlets)"
    );
    assert!(
        by_item > 1000,
        "diagnoses counted groups crossing a limit item by item ({by_item} outlets)"
    );
    assert_eq!(reserved, 0, "no reserve, no reserved marks");

    // Outlet caps at a third of the sum of their skills' capacities: many outlets are
    // full for their cap while their offers have room.
    let outlets = net
        .outlets()
        .iter()
        .map(|o| {
            let sum: u32 = o.skills.iter().map(|s| s.daily_capacity).sum();
            Outlet {
                daily_cap: (sum / 3).max(1),
                ..o.clone()
            }
        })
        .collect();
    let net = Network::new(outlets, net.regions().to_vec())
        .unwrap()
        .with_settings_of(&net);
    let d = Dispatcher::new(net.clone(), policy.clone()).unwrap();
    let [unassignable, released, skill, reserved, outlet, _, _] = check_full_network(&d, &tickets);
    assert!(
        unassignable > 100,
        "the network ran out ({unassignable} unassignable)"
    );
    assert!(released > 100, "capacity was released ({released} times)");
    assert!(
        skill > 100 && outlet > 1000,
        "diagnoses counted skill-full ({skill}) and outlet-full ({outlet}) outlets in bulk"
    );
    assert_eq!(reserved, 0, "no reserve, no reserved marks");

    // VIP customers in central cities (on site) and elsewhere (carry-in) may use the
    // package reserve (half of each capacity); everyone else is held out of it.
    let package = |region_tier, carry_in: bool| ServicePackage {
        key: PackageKey {
            region_tier,
            customer_tier: CustomerTier::Vip,
            kind: None,
        },
        on_site: !carry_in,
        carry_in,
        carry_in_km: 40.0,
        response_hours: 72.0,
        follow_up_share: 0.0,
        priority_weight: 3.0,
    };
    let net = net
        .with_packages(vec![package(Tier::A, false), package(Tier::B, true)])
        .unwrap();
    let policy = Policy {
        package_reserve: 0.5,
        ..policy
    };
    let tickets: Vec<Ticket> = tickets
        .into_iter()
        .enumerate()
        .map(|(i, mut t)| {
            if i % 3 == 0 {
                t.customer_tier = CustomerTier::Vip;
            }
            t
        })
        .collect();
    let d = Dispatcher::new(net, policy).unwrap();
    let [unassignable, released, skill, reserved, outlet, _, _] = check_full_network(&d, &tickets);
    assert!(
        unassignable > 100,
        "the network ran out ({unassignable} unassignable)"
    );
    assert!(released > 100, "capacity was released ({released} times)");
    assert!(
        skill > 100 && reserved > 100 && outlet > 100,
        "diagnoses counted skill-full ({skill}, {reserved} by reserved marks) and \
         outlet-full ({outlet}) outlets in bulk"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8))]
    /// On peak-season networks of any seed, tightness and travel limit, every
    /// unassignable ticket's diagnosis (groups crossing the travel limit counted item by
    /// item included) equals evaluating every outlet of the skill.
    #[test]
    fn diagnoses_equal_evaluating_every_outlet_on_any_peak_network(
        seed in 0u64..10_000,
        scale in 0.1f64..0.6,
        travel_km in 20.0f64..120.0,
    ) {
        use crate::bench::peak::{peak, PeakSpec};
        let spec = PeakSpec {
            capacity_scale: scale,
            ..PeakSpec::new(500, 4_000, seed)
        };
        let (net, tickets) = peak(&spec).unwrap();
        let regions: Vec<Region> = net
            .regions()
            .iter()
            .map(|r| Region {
                max_travel_km: travel_km,
                ..r.clone()
            })
            .collect();
        let net = Network::new(net.outlets().to_vec(), regions)
            .unwrap()
            .with_settings_of(&net);
        let policy = Policy {
            start_date: Some(tickets[0].created_at.date()),
            ..Policy::default()
        };
        let d = Dispatcher::new(net, policy).unwrap();
        for t in &tickets {
            if let Outcome::Unassignable(u) = d.dispatch(t).unwrap() {
                let r = d.resolve(t).unwrap();
                proptest::prop_assert_eq!(
                    (u.reason, u.counts),
                    d.reasons_exhaustive(&r),
                    "ticket {}",
                    t.id
                );
            }
        }
    }
}

/// On a network whose outlets fill up (with marks), the fallbacks book in order and the
/// diagnosis is exact: while the wider radius reaches an outlet with room it is booked,
/// then the outlet in radius on the next days; when nothing has room, every fallback is
/// tried and the diagnosis equals evaluating every outlet. Expected outcomes are worked
/// out by hand. A (radius 20 km) sits on the ticket; B 23.8 km east (radius 20, so only
/// within the radius x 1.5); one unit each a day; only day 0 meets the SLA; fallbacks:
/// radius x 1.5, then days 1-2, then escalation (no regional centre).
#[test]
fn fallbacks_on_a_filling_network_book_and_diagnose_as_the_exhaustive_search() {
    let policy = Policy {
        start_date: Some(t0().date()),
        ..Policy::default()
    };
    let d = dispatcher(
        vec![outlet("A", 121.0, 1, 20.0), outlet("B", 121.25, 1, 20.0)],
        100.0,
        policy,
    );
    let expected = [
        Some(("A", 0, Route::Direct)),
        Some(("B", 0, Route::WiderRadius(1.5))),
        Some(("A", 1, Route::NextDay)),
        Some(("A", 2, Route::NextDay)),
        None,
        None,
    ];
    for (i, want) in expected.into_iter().enumerate() {
        let t = ticket(&format!("T{i}"), 121.0);
        let cands = d.candidates_exhaustive(&t, usize::MAX).unwrap();
        match (outcome(&d, &t), want) {
            (Outcome::Assigned(a), Some((outlet, day, route))) => {
                assert_eq!((&*a.outlet_id, a.day, a.route), (outlet, day, route), "{i}");
                assert_eq!(
                    (&*cands[0].outlet_id, cands[0].route),
                    (outlet, route),
                    "{i}"
                );
            }
            (Outcome::Unassignable(u), None) => {
                assert!(cands.is_empty());
                let r = d.resolve(&t).unwrap();
                let (reason, counts) = d.reasons_exhaustive(&r);
                assert_eq!((u.reason, &u.counts), (reason, &counts));
                assert_eq!(u.reason, Rule::SkillFull);
                let want = BTreeMap::from([(Rule::OutsideArea, 1), (Rule::SkillFull, 1)]);
                assert_eq!(u.counts, want);
                assert_eq!(u.fallbacks_tried, d.policy.fallback);
            }
            (out, want) => panic!("ticket {i}: {out:?}, expected {want:?}"),
        }
    }
    // Capacity comes back on day 2: the next days book it again.
    d.release("T3").unwrap();
    match outcome(&d, &ticket("T6", 121.0)) {
        Outcome::Assigned(a) => {
            assert_eq!((&*a.outlet_id, a.day, a.route), ("A", 2, Route::NextDay))
        }
        out => panic!("{out:?}"),
    }
}
