//! Service packages in dispatch and batch assignment: the package reserve and the batch
//! objective give the last unit to the heavier package, carry-in tickets get no
//! technician travel and stay within the package's km, explain names the package, and
//! neutral packages change nothing.

use super::*;
use crate::assign::{assign, AssignOptions};
use proptest::prelude::*;

fn package(customer: CustomerTier, carry_in: bool, weight: f64) -> ServicePackage {
    ServicePackage {
        key: PackageKey {
            region_tier: Tier::A,
            customer_tier: customer,
            kind: Some(ServiceKind::Repair),
        },
        on_site: !carry_in,
        carry_in,
        carry_in_km: 20.0,
        response_hours: 48.0,
        follow_up_share: 0.1,
        priority_weight: weight,
    }
}

/// Standard weight 1 and VIP weight 3, both on-site.
fn tiers() -> Vec<ServicePackage> {
    vec![
        package(CustomerTier::Standard, false, 1.0),
        package(CustomerTier::Vip, false, 3.0),
    ]
}

fn with_packages(
    outlets: Vec<Outlet>,
    packages: Vec<ServicePackage>,
    policy: Policy,
) -> Dispatcher {
    Network::new(outlets, vec![region(100.0)])
        .and_then(|n| n.with_packages(packages))
        .and_then(|n| Dispatcher::new(n, policy))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn vip(id: &str, lon: f64) -> Ticket {
    let mut t = ticket(id, lon);
    t.customer_tier = CustomerTier::Vip;
    t
}

/// Only day 0 exists: a unit refused is not found on a later day.
fn one_day() -> Policy {
    Policy {
        horizon_days: 1,
        ..strict()
    }
}

/// Half of each capacity reserved for weight >= 2.
fn reserving() -> Policy {
    Policy {
        package_reserve: 0.5,
        ..strict()
    }
}

#[test]
fn a_vip_ticket_takes_the_last_unit_a_standard_ticket_is_refused() {
    let d = with_packages(vec![outlet("a", 121.05, 2, 50.0)], tiers(), reserving());
    assert!(outcome(&d, &ticket("s1", 121.0)).assignment().is_some());
    // One unit left, held by the package reserve: the standard ticket may not take it.
    let s2 = outcome(&d, &ticket("s2", 121.0));
    assert_eq!(reason(&s2), Some(Rule::SkillFull));
    let v = outcome(&d, &vip("v1", 121.0));
    let a = v
        .assignment()
        .unwrap_or_else(|| panic!("VIP refused: {v:?}"));
    assert_eq!(a.outlet_id, "a");
    assert_eq!(a.breakdown.reserve_held, 0);
    assert_eq!(a.breakdown.package_weight, 3.0);
    // Without packages the same standard ticket gets the unit (behaviour as before).
    let plain = dispatcher(vec![outlet("a", 121.05, 2, 50.0)], 100.0, reserving());
    assert!(outcome(&plain, &ticket("s1", 121.0)).assignment().is_some());
    assert!(outcome(&plain, &ticket("s2", 121.0)).assignment().is_some());
}

#[test]
fn candidates_and_explain_show_the_package_its_weight_and_the_reserve_held() {
    let d = with_packages(vec![outlet("a", 121.05, 4, 50.0)], tiers(), reserving());
    let c = d
        .candidates(&ticket("s", 121.0), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let b = c[0].breakdown;
    assert_eq!(
        b.package.map(|k| k.customer_tier),
        Some(CustomerTier::Standard)
    );
    assert_eq!(b.reserve_held, 2);
    assert_eq!(c[0].remaining_skill, 1, "4 - 2 held - this ticket");
    let e = d
        .explain(&vip("v", 121.0), "a")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.breakdown.map(|b| b.package_weight), Some(3.0));
    assert!(
        e.text.contains("package A/vip/repair (weight 3, on_site)"),
        "{}",
        e.text
    );
    let e = d
        .explain(&ticket("s", 121.0), "a")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(e.text.contains("keeps the last 2 of 4 units"), "{}", e.text);
}

#[test]
fn a_carry_in_ticket_gets_no_travel_and_is_refused_beyond_the_package_km() {
    let packages = vec![package(CustomerTier::Standard, true, 1.0)];
    // ~9.5 km great-circle (12.4 road km at detour 1.3): within the 20 km of the package.
    let d = with_packages(
        vec![outlet("near", 121.1, 5, 50.0)],
        packages.clone(),
        strict(),
    );
    let o = outcome(&d, &ticket("t", 121.0));
    let a = o.assignment().unwrap_or_else(|| panic!("refused: {o:?}"));
    assert_eq!(a.breakdown.mode, ServiceMode::CarryIn);
    assert_eq!(a.breakdown.distance_km, 0.0);
    assert_eq!(a.breakdown.terms[0], 0.0);
    assert_eq!(d.service_mode(&ticket("t", 121.0)), ServiceMode::CarryIn);
    // ~28.6 km away: inside the outlet's 50 km radius and the region's 100 km, but
    // beyond what the customer is asked to travel.
    let d = with_packages(vec![outlet("far", 121.3, 5, 50.0)], packages, strict());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::TooFar)
    );
    // The same ticket on-site (no packages) takes that outlet, with its travel.
    let d = dispatcher(vec![outlet("far", 121.3, 5, 50.0)], 100.0, strict());
    let o = outcome(&d, &ticket("t", 121.0));
    assert!(o
        .assignment()
        .is_some_and(|a| a.breakdown.distance_km > 30.0));
}

#[test]
fn carry_in_ranks_outlets_without_the_distance_term() {
    // The nearer outlet is dearer: on-site it wins on distance, carry-in on cost.
    let mut near = outlet("near", 121.02, 5, 50.0);
    near.skills[0].cost_per_ticket = 200.0;
    let far = outlet("far", 121.15, 5, 50.0);
    let policy = Policy {
        weights: Weights {
            cost: 0.05,
            ..Weights::default()
        },
        ..strict()
    };
    let on_site = with_packages(vec![near.clone(), far.clone()], tiers(), policy.clone());
    let carry = with_packages(
        vec![near, far],
        vec![package(CustomerTier::Standard, true, 1.0)],
        policy,
    );
    let pick = |d: &Dispatcher| {
        outcome(d, &ticket("t", 121.0))
            .assignment()
            .map(|a| a.outlet_id.to_string())
    };
    assert_eq!(pick(&on_site).as_deref(), Some("near"));
    assert_eq!(pick(&carry).as_deref(), Some("far"));
}

#[test]
fn the_package_response_commitment_tightens_the_deadline() {
    let mut p = package(CustomerTier::Standard, false, 1.0);
    p.response_hours = 0.25; // 15 minutes: 10 km of travel at 40 km/h is too slow.
    let d = with_packages(vec![outlet("a", 121.1, 5, 50.0)], vec![p], strict());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::SlaUnreachable)
    );
}

/// The package term alone (no package reserve): "best" is 2.5 road km away with 2
/// units, "alt" 9.9 km with 2. One standard ticket took a unit at "best" already.
fn contested(packages: Vec<ServicePackage>) -> Dispatcher {
    let policy = Policy {
        package_reserve: 0.0,
        ..one_day()
    };
    let d = with_packages(
        vec![
            outlet("best", 121.02, 2, 50.0),
            outlet("alt", 121.08, 2, 50.0),
        ],
        packages,
        policy,
    );
    let first = outcome(&d, &ticket("s0", 121.0));
    assert_eq!(first.assignment().map(|a| &*a.outlet_id), Some("best"));
    d
}

fn booked_at(d: &Dispatcher, t: &Ticket) -> Option<String> {
    outcome(d, t).assignment().map(|a| a.outlet_id.to_string())
}

#[test]
fn a_vip_ticket_gets_the_last_unit_at_the_best_outlet_in_either_arrival_order() {
    // Standard first: the package term steers it off the nearly full "best" (its last
    // unit costs the standard ticket 10 x 1^2 x (1 - 1/3) = 6.67), so the VIP ticket
    // arriving next still finds it.
    let d = contested(tiers());
    assert_eq!(booked_at(&d, &ticket("s", 121.0)).as_deref(), Some("alt"));
    assert_eq!(booked_at(&d, &vip("v", 121.0)).as_deref(), Some("best"));
    // VIP first: it takes "best" (no term at the top weight), the standard one "alt".
    let d = contested(tiers());
    assert_eq!(booked_at(&d, &vip("v", 121.0)).as_deref(), Some("best"));
    assert_eq!(booked_at(&d, &ticket("s", 121.0)).as_deref(), Some("alt"));
    // Without packages the first comer takes the last unit at "best" (the rule is what
    // moves it): the nearer distance outweighs the load there.
    let d = contested(vec![]);
    assert_eq!(booked_at(&d, &ticket("s", 121.0)).as_deref(), Some("best"));
    assert_eq!(booked_at(&d, &vip("v", 121.0)).as_deref(), Some("alt"));
    // Packages of equal weight: no term, the same as without packages.
    let d = contested(vec![
        package(CustomerTier::Standard, false, 3.0),
        package(CustomerTier::Vip, false, 3.0),
    ]);
    assert_eq!(booked_at(&d, &ticket("s", 121.0)).as_deref(), Some("best"));
}

#[test]
fn candidates_and_explain_show_the_package_term() {
    let d = contested(tiers());
    let c = d
        .candidates(&ticket("s", 121.0), 2)
        .unwrap_or_else(|e| panic!("{e}"));
    let best = c
        .iter()
        .find(|c| &*c.outlet_id == "best")
        .map(|c| c.breakdown);
    let b = best.unwrap_or_else(|| panic!("{c:?}"));
    // Load 1.0 after this ticket, 2/3 of the top weight lacked, weight 10.
    assert!((b.terms[7] - 10.0 * 2.0 / 3.0).abs() < 1e-9, "{b:?}");
    assert!((b.terms.iter().sum::<f64>() - b.score).abs() < 1e-12);
    let v = d
        .candidates(&vip("v", 121.0), 2)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(v.iter().all(|c| c.breakdown.terms[7] == 0.0), "{v:?}");
    assert_eq!(&*v[0].outlet_id, "best");
    let e = d
        .explain(&ticket("s", 121.0), "best")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(e.text.contains("package term +6.67"), "{}", e.text);
    let e = d
        .explain(&vip("v", 121.0), "best")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        e.text.contains("top package weight: no package term"),
        "{}",
        e.text
    );
    // Emergencies are served by the emergency reserve, not steered by the term.
    let mut urgent = ticket("u", 121.0);
    urgent.priority = crate::model::Priority::Emergency;
    let u = d.candidates(&urgent, 2).unwrap_or_else(|e| panic!("{e}"));
    assert!(u.iter().all(|c| c.breakdown.terms[7] == 0.0), "{u:?}");
}

/// Packages that change nothing (on-site, weight at the reserve threshold, no tighter
/// commitment) give the same outcomes as no packages, ticket by ticket.
#[test]
fn neutral_packages_dispatch_exactly_as_no_packages() {
    let spec = synthetic::SyntheticSpec {
        skill_capacity: 3,
        ..synthetic::SyntheticSpec::new(200, 11)
    };
    let (net, tickets) = synthetic::synthetic(&spec, 1500).unwrap_or_else(|e| panic!("{e}"));
    let neutral: Vec<ServicePackage> = [Tier::A, Tier::B, Tier::C]
        .into_iter()
        .flat_map(|t| {
            [CustomerTier::Standard, CustomerTier::Vip].map(|c| ServicePackage {
                key: PackageKey {
                    region_tier: t,
                    customer_tier: c,
                    kind: None,
                },
                on_site: true,
                carry_in: false,
                carry_in_km: 0.0,
                response_hours: MAX_HOURS,
                follow_up_share: 0.0,
                priority_weight: 2.0,
            })
        })
        .collect();
    let policy = Policy {
        start_date: Some(tickets[0].created_at.date()),
        ..Policy::default()
    };
    let plain = Dispatcher::new(net.clone(), policy.clone()).unwrap_or_else(|e| panic!("{e}"));
    let packed = net
        .with_packages(neutral)
        .and_then(|n| Dispatcher::new(n, policy))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut assigned = 0;
    for t in &tickets {
        let (a, b) = (outcome(&plain, t), outcome(&packed, t));
        let key = |o: &Outcome| match o {
            Outcome::Assigned(a) => Ok((a.outlet_id.clone(), a.day, a.breakdown.score, a.sla_met)),
            Outcome::Unassignable(u) => Err(u.reason),
        };
        assert_eq!(key(&a), key(&b), "ticket {}", t.id);
        assigned += usize::from(a.assignment().is_some());
    }
    assert!(assigned > 500, "{assigned}");
}

/// Batch: one outlet with one unit, a standard ticket nearer than a VIP one. Without
/// packages the nearer ticket wins; with them the VIP ticket does.
#[test]
fn batch_gives_the_last_unit_to_the_vip_ticket() {
    let outlets = vec![outlet("a", 121.0, 1, 50.0)];
    let backlog = vec![ticket("s", 121.01), vip("v", 121.2)];
    let run = |packages: Vec<ServicePackage>| {
        let d = with_packages(outlets.clone(), packages, one_day());
        let plan =
            assign(&backlog, &d, &AssignOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        plan.assignments
            .iter()
            .map(|a| a.ticket_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(vec![]), vec!["s".to_string()]);
    assert_eq!(run(tiers()), vec!["v".to_string()]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// In batch, wherever a VIP ticket is left unassigned, no standard ticket took a
    /// unit it could have had: no outlet the VIP ticket could use holds a standard one.
    #[test]
    fn in_batch_a_vip_never_loses_a_unit_to_a_standard_ticket(
        caps in proptest::collection::vec(1u32..3, 1..4),
        people in proptest::collection::vec((0.0f64..0.3, any::<bool>()), 1..10),
    ) {
        let outlets: Vec<Outlet> = caps
            .iter()
            .enumerate()
            .map(|(i, &c)| outlet(&format!("o{i}"), 121.0 + 0.05 * i as f64, c, 60.0))
            .collect();
        let backlog: Vec<Ticket> = people
            .iter()
            .enumerate()
            .map(|(i, &(dx, is_vip))| {
                if is_vip { vip(&format!("t{i}"), 121.0 + dx) } else { ticket(&format!("t{i}"), 121.0 + dx) }
            })
            .collect();
        let d = with_packages(outlets, tiers(), one_day());
        let plan = assign(&backlog, &d, &AssignOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let taken: BTreeMap<String, String> = plan
            .assignments
            .iter()
            .map(|a| (a.ticket_id.clone(), a.outlet_id.clone()))
            .collect();
        let standard_at: Vec<&String> = backlog
            .iter()
            .filter(|t| t.customer_tier == CustomerTier::Standard)
            .filter_map(|t| taken.get(&t.id))
            .collect();
        for t in backlog.iter().filter(|t| t.customer_tier == CustomerTier::Vip) {
            if taken.contains_key(&t.id) {
                continue;
            }
            // Every outlet the VIP ticket could use (nothing is booked: assign plans).
            for c in d.candidates(t, 10).map_err(|e| TestCaseError::fail(e.to_string()))? {
                prop_assert!(
                    !standard_at.contains(&&c.outlet_id.to_string()),
                    "VIP {} left out while a standard ticket holds {}", t.id, c.outlet_id
                );
            }
        }
    }
}

/// A booking read back (a lookup by id, a retry, a confirmed hold, the journal reopened)
/// shows the package, mode, weight and package term it was booked with: the same
/// assignment the first answer gave.
#[test]
fn a_booking_read_back_shows_the_package_it_was_booked_with() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let network = Network::new(
        vec![
            outlet("best", 121.02, 2, 50.0),
            outlet("alt", 121.08, 2, 50.0),
        ],
        vec![region(100.0)],
    )
    .and_then(|n| n.with_packages(tiers()))
    .unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy {
        package_reserve: 0.0,
        start_date: Some(ticket("x", 121.0).created_at.date()),
        ..one_day()
    };
    let mut urgent = ticket("u", 121.0);
    urgent.priority = crate::model::Priority::Emergency;
    let tickets = [
        ticket("s0", 121.0),
        ticket("s", 121.0),
        vip("v", 121.0),
        urgent,
    ];
    let first: Vec<Assignment> = {
        let d = Dispatcher::open(network.clone(), policy.clone(), dir.path())
            .unwrap_or_else(|e| panic!("{e}"));
        let first: Vec<Assignment> = tickets
            .iter()
            .map(|t| {
                outcome(&d, t)
                    .assignment()
                    .cloned()
                    .unwrap_or_else(|| panic!("{} unassigned", t.id))
            })
            .collect();
        // The standard tickets carry the package and a package term; the VIP and the
        // emergency none.
        assert!(first[1].breakdown.terms[7] > 0.0, "{:?}", first[1]);
        assert!(first.iter().all(|a| a.breakdown.package.is_some()));
        assert_eq!(first[2].breakdown.terms[7], 0.0);
        assert_eq!(first[3].breakdown.terms[7], 0.0);
        for (t, a) in tickets.iter().zip(&first) {
            assert_eq!(d.assignment(&t.id).as_ref(), Some(a), "lookup of {}", t.id);
            assert_eq!(outcome(&d, t).assignment(), Some(a), "retry of {}", t.id);
        }
        first
    };
    let d = Dispatcher::open(network, policy, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    for (t, a) in tickets.iter().zip(&first) {
        assert_eq!(
            d.assignment(&t.id).as_ref(),
            Some(a),
            "{} after reopening",
            t.id
        );
    }
}
