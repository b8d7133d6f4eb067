//! The campaign rules, one test each, and the invariants of the schedule (proptest).

use super::*;
use crate::assign::assign;
use crate::dispatch::{Dispatcher, Policy};
use crate::model::{
    InstalledBaseRow, Network, Outlet, OutletSkill, OutletStatus, PlanningData, Product, Region,
    RepairCurve, ServiceArea, ServiceKind, Skill, Ticket, Tier,
};
use crate::plan::forecast::{forecast, ForecastOptions};
use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(d: NaiveDate, h: u32) -> NaiveDateTime {
    d.and_hms_opt(h, 0, 0).unwrap()
}

fn skill(kind: ServiceKind, category: &str) -> Skill {
    Skill {
        kind,
        category: category.into(),
    }
}

fn offer(kind: ServiceKind, cap: u32) -> OutletSkill {
    OutletSkill {
        skill: skill(kind, "air_conditioner"),
        daily_capacity: cap,
        load: 0,
        rating_sum: 0.0,
        rating_count: 0,
        cost_per_ticket: 10.0,
    }
}

/// Outlets around (121, 31): per outlet (repair capacity, maintenance capacity, daily cap).
fn network(outlets: &[(u32, u32, u32)]) -> Network {
    let outlets = outlets
        .iter()
        .enumerate()
        .map(|(i, &(rep, maint, cap))| Outlet {
            id: format!("O{i}"),
            name: format!("Outlet {i}"),
            lon: 121.0 + 0.02 * i as f64,
            lat: 31.0,
            status: OutletStatus::Active,
            priority: 50,
            daily_cap: cap,
            area: ServiceArea::Radius(50.0),
            skills: vec![
                offer(ServiceKind::Repair, rep),
                offer(ServiceKind::Maintenance, maint),
            ],
        })
        .collect();
    let region = |code: &str, lon: f64, lat: f64| Region {
        code: code.into(),
        name: code.into(),
        tier: Tier::A,
        lon,
        lat,
        population: None,
        max_response_hours: 48.0,
        max_travel_km: 60.0,
        polygon: None,
    };
    // R2 is 1,000 km away: no outlet's area reaches it.
    Network::new(
        outlets,
        vec![region("R1", 121.0, 31.0), region("R2", 111.0, 31.0)],
    )
    .unwrap()
}

fn planning(units: &[(&str, &str, i32, f64)]) -> PlanningData {
    PlanningData {
        products: vec![
            Product {
                model: "AC1".into(),
                category: "air_conditioner".into(),
                curve: RepairCurve::Table(vec![0.1, 0.2, 0.3]),
            },
            Product {
                model: "TV1".into(),
                category: "tv".into(),
                curve: RepairCurve::Table(vec![0.05]),
            },
        ],
        installed_base: units
            .iter()
            .map(|&(region, model, vintage, units)| InstalledBaseRow {
                region: region.into(),
                model: model.into(),
                category: if model.starts_with("TV") {
                    "tv"
                } else {
                    "air_conditioner"
                }
                .into(),
                vintage,
                units,
            })
            .collect(),
        ..PlanningData::default()
    }
}

fn campaign(id: &str, start: NaiveDate, deadline: NaiveDate) -> Campaign {
    Campaign {
        id: id.into(),
        models: vec!["AC1".into()],
        vintage_from: 2024,
        vintage_to: 2024,
        regions: vec![],
        action: CampaignAction::Maintain,
        start,
        deadline,
        minutes_per_unit: 60.0,
        cost_per_unit: 100.0,
        effect_share: 0.5,
        effect_months: 3,
        reach: 1.0,
    }
}

/// A customer ticket near R1's centre on `day` (day 0 = 2026-03-02), due two days on.
fn customer(i: usize, kind: ServiceKind, day: u32, emergency: bool) -> Ticket {
    let d = date(2026, 3, 2) + chrono::Days::new(u64::from(day));
    let mut t = Ticket::new(
        &format!("C{i:03}"),
        121.01 + 0.001 * (i % 7) as f64,
        31.0,
        "R1",
        &skill(kind, "air_conditioner").to_string(),
        at(d, 9),
    );
    if emergency {
        t.priority = crate::model::Priority::Emergency;
    }
    t
}

fn options() -> CampaignOptions {
    CampaignOptions {
        jitter_km: 2.0,
        ..CampaignOptions::default()
    }
}

fn run(
    net: &Network,
    policy: &Policy,
    customers: &[Ticket],
    data: &PlanningData,
    campaigns: &[Campaign],
    opts: &CampaignOptions,
) -> CampaignSchedule {
    schedule_campaigns(
        &CampaignInputs {
            network: net,
            policy,
            customers,
            planning: data,
            campaigns,
            as_of: date(2026, 3, 2),
        },
        opts,
    )
    .unwrap()
}

#[test]
fn repairs_avoided_follow_the_curve_month_by_month() {
    // November and December 2025 at age 1 (0.2 a year), January 2026 at age 2 (0.3):
    // 0.5 x (0.2 + 0.2 + 0.3) / 12.
    let curve = RepairCurve::Table(vec![0.1, 0.2, 0.3]);
    let got = repairs_avoided(&curve, 2024, date(2025, 11, 15), 3, 0.5);
    assert!((got - 0.5 * 0.7 / 12.0).abs() < 1e-12, "{got}");
    // Before the sale nothing fails; ages past the table use its last rate.
    assert_eq!(
        repairs_avoided(&curve, 2027, date(2026, 1, 1), 12, 1.0),
        0.0
    );
    let late = repairs_avoided(&curve, 2000, date(2026, 1, 1), 12, 1.0);
    assert!((late - 0.3).abs() < 1e-12, "{late}");
}

#[test]
fn the_schedule_reports_repairs_avoided_from_the_curve() {
    // 4 units of AC1 sold 2024, visited in March 2026 (age 2: 0.3 a year), 3 months at
    // 50%: 0.5 x 3 x 0.3 / 12 = 0.0375 each, 0.15 in all.
    let net = network(&[(5, 5, 10)]);
    let data = planning(&[("R1", "AC1", 2024, 4.0)]);
    let c = campaign("K", date(2026, 3, 2), date(2026, 3, 6));
    let s = run(&net, &Policy::default(), &[], &data, &[c], &options());
    assert_eq!(s.visits.len(), 4);
    for v in &s.visits {
        assert!((v.repairs_avoided - 0.0375).abs() < 1e-12, "{v:?}");
    }
    let sum = &s.summary[0];
    assert!((sum.repairs_avoided - 0.15).abs() < 1e-9);
    assert!((sum.cost - 400.0).abs() < 1e-9);
    assert_eq!(sum.units_visited, 4);
}

#[test]
fn visits_stay_within_the_window() {
    let net = network(&[(5, 3, 10), (5, 3, 10)]);
    let data = planning(&[("R1", "AC1", 2024, 40.0)]);
    let c = campaign("K", date(2026, 3, 4), date(2026, 3, 8));
    let s = run(&net, &Policy::default(), &[], &data, &[c], &options());
    assert!(!s.visits.is_empty());
    for v in &s.visits {
        assert!(
            v.date >= date(2026, 3, 4) && v.date <= date(2026, 3, 8),
            "{v:?}"
        );
    }
    // 2 outlets x 3 a day x 5 days = 30 of 40 units; the rest lacks capacity.
    assert_eq!(s.visits.len(), 30);
    assert_eq!(s.summary[0].undone["no_capacity_before_deadline"], 10);
}

#[test]
fn undone_units_carry_their_reason() {
    let net = network(&[(5, 1, 10)]);
    let data = planning(&[
        ("R1", "AC1", 2024, 5.0),
        ("R2", "AC1", 2024, 3.0),
        ("R1", "TV1", 2024, 2.0),
    ]);
    let mut ac = campaign("AC", date(2026, 3, 2), date(2026, 3, 3));
    ac.regions = vec!["R1".into(), "R2".into()];
    let mut tv = campaign("TV", date(2026, 3, 2), date(2026, 3, 3));
    tv.models = vec!["TV1".into()];
    let old = campaign("OLD", date(2026, 1, 1), date(2026, 2, 1));
    let s = run(
        &net,
        &Policy::default(),
        &[],
        &data,
        &[ac, tv, old],
        &options(),
    );
    let reasons: BTreeMap<(&str, &str, UndoneReason), u32> = s
        .undone
        .iter()
        .map(|u| {
            (
                (u.campaign_id.as_str(), u.region.as_str(), u.reason),
                u.units,
            )
        })
        .collect();
    // R1: 1 a day x 2 days of 5; R2: out of every area; no outlet maintains TVs; OLD is
    // past its deadline.
    assert_eq!(reasons[&("AC", "R1", UndoneReason::NoCapacity)], 3);
    assert_eq!(reasons[&("AC", "R2", UndoneReason::OutOfRegion)], 3);
    assert_eq!(reasons[&("TV", "R1", UndoneReason::NoEligibleOutlet)], 2);
    assert_eq!(reasons[&("OLD", "R1", UndoneReason::PastDeadline)], 5);
    assert_eq!(reasons[&("OLD", "R2", UndoneReason::PastDeadline)], 3);
    assert!(s.undone.iter().all(|u| u.repairs_missed > 0.0));
}

#[test]
fn the_spread_caps_each_day_and_no_cap_fills_the_earliest_days() {
    let net = network(&[(5, 20, 40)]);
    let data = planning(&[("R1", "AC1", 2024, 30.0)]);
    let c = campaign("K", date(2026, 3, 2), date(2026, 3, 6));
    let per_day = |s: &CampaignSchedule| -> Vec<u32> { s.by_day.iter().map(|d| d.units).collect() };
    let balanced = CampaignOptions {
        spread_factor: 1.0,
        ..options()
    };
    let s = run(
        &net,
        &Policy::default(),
        &[],
        &data,
        std::slice::from_ref(&c),
        &balanced,
    );
    assert_eq!(per_day(&s), vec![6; 5], "30 units over 5 days, cap 6");
    let greedy = CampaignOptions {
        spread_factor: 0.0,
        ..options()
    };
    let s = run(&net, &Policy::default(), &[], &data, &[c], &greedy);
    assert_eq!(s.visits.len(), 30);
    assert!(per_day(&s).iter().all(|&n| n <= 20));
    assert!(per_day(&s).len() < 5, "{:?}", per_day(&s));
}

/// A carry-in package (no on-site service, customers travel at most 1 km) for tier A
/// maintenance, with a 24-hour response commitment.
fn carry_in_maintenance(net: Network) -> Network {
    use crate::model::{CustomerTier, PackageKey, ServicePackage};
    net.with_packages(vec![ServicePackage {
        key: PackageKey {
            region_tier: Tier::A,
            customer_tier: CustomerTier::Standard,
            kind: Some(ServiceKind::Maintenance),
        },
        on_site: false,
        carry_in: true,
        carry_in_km: 1.0,
        response_hours: 24.0,
        follow_up_share: 0.0,
        priority_weight: 1.0,
    }])
    .unwrap()
}

#[test]
fn a_campaign_visit_in_a_carry_in_tier_follows_its_package() {
    // O0 sits on R1's centre, O1 about 2.5 road km away. Visits are placed at the
    // centre (no jitter). On-site, 20 units over 5 days fit (2 + 5 a day); carry-in
    // within 1 km leaves only O0 (2 a day): 10 visited, at distance 0 (no travel),
    // spread over the whole window (the package's 24 h commitment is a customer
    // promise, not the campaign's deadline).
    let on_site = network(&[(5, 2, 10), (5, 5, 10)]);
    let carry_in = carry_in_maintenance(on_site.clone());
    let data = planning(&[("R1", "AC1", 2024, 20.0)]);
    let c = campaign("K", date(2026, 3, 2), date(2026, 3, 6));
    let opts = CampaignOptions {
        jitter_km: 0.0,
        ..options()
    };
    let free = run(
        &on_site,
        &Policy::default(),
        &[],
        &data,
        std::slice::from_ref(&c),
        &opts,
    );
    assert_eq!(free.visits.len(), 20);
    assert!(free.visits.iter().any(|v| v.outlet_id == "O1"));
    let s = run(&carry_in, &Policy::default(), &[], &data, &[c], &opts);
    assert_eq!(s.visits.len(), 10, "{:?}", s.visits);
    assert!(
        s.visits.iter().all(|v| v.outlet_id == "O0"),
        "{:?}",
        s.visits
    );
    assert!(
        s.visits.iter().all(|v| v.distance_km == 0.0),
        "{:?}",
        s.visits
    );
    let days: std::collections::BTreeSet<_> = s.visits.iter().map(|v| v.date).collect();
    assert_eq!(days.len(), 5, "{days:?}");
    assert_eq!(s.summary[0].undone["no_capacity_before_deadline"], 10);
}

#[test]
fn forecast_counts_campaign_work_in_its_months() {
    let net = network(&[(5, 5, 10)]);
    let data = planning(&[("R1", "AC1", 2024, 1000.0)]);
    let base = forecast(&data, &net, &ForecastOptions::new(2026, 1)).unwrap();
    // 1,000 units x 120 min / 80 = 1,500 capacity units, all in March 2026.
    let mut c = campaign("K", date(2026, 3, 1), date(2026, 3, 31));
    c.minutes_per_unit = 120.0;
    let f = add_campaigns(&base, &[c], &data, &net, &CampaignOptions::default()).unwrap();
    let s = f
        .skills
        .iter()
        .position(|s| *s == skill(ServiceKind::Maintenance, "air_conditioner"))
        .unwrap();
    let before = base
        .skills
        .iter()
        .position(|x| *x == f.skills[s])
        .map_or(0.0, |b| base.tickets[[0, b, 0]]);
    assert!((f.tickets[[0, s, 0]] - before - 1500.0).abs() < 1e-6);
    assert_eq!(f.region_peak_month[[0, 0]], 3);
    // March's peak day carries the campaign: 1,500 / 31 a day.
    assert!(f.peak_day[[0, s, 0]] >= 1500.0 / 31.0 - 1e-9);
    assert!(f.sources.iter().any(|d| d.inputs.contains("campaign 'K'")));
}

#[test]
fn bad_campaign_cells_are_reported_with_row_and_column() {
    let net = network(&[(5, 5, 10)]);
    let csv = "id,models,vintage_from,vintage_to,regions,action,start,deadline,minutes_per_unit,cost_per_unit,effect_share,effect_months\n\
               K1,AC1,2016,2017,R1,maintain,2026-03-01,2026-03-31,60,100,0.5,12\n\
               K2,AC1,2018,2017,R9,fix,2026-03-01,2026-02-01,-5,100,1.5,0\n";
    let e = crate::io::campaigns_from_csv("campaigns.csv", csv.as_bytes(), &net).unwrap_err();
    let text = e.to_string();
    for needle in [
        "regions",
        "unknown region 'R9'",
        "action",
        "minutes_per_unit",
        "effect_share",
        "effect_months",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    assert!(text.contains("line 3") || text.contains(":3"), "{text}");
    let ok = "id,models,vintage_from,vintage_to,regions,action,start,deadline,minutes_per_unit,cost_per_unit,effect_share,effect_months\n\
              K1,AC1;AC2,2016,2017,,inspect,2026-03-01,2026-03-31,60,100,0.5,12\n";
    let c = crate::io::campaigns_from_csv("campaigns.csv", ok.as_bytes(), &net).unwrap();
    assert_eq!(c[0].models, vec!["AC1".to_string(), "AC2".to_string()]);
    assert!(c[0].regions.is_empty());
    assert_eq!(c[0].reach, 1.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Customer tickets are assigned exactly as without the campaign, and visits only
    /// use what customer tickets leave on each outlet skill and outlet per day.
    #[test]
    fn campaign_visits_never_take_customer_capacity(
        outlets in prop::collection::vec((1u32..4, 1u32..4, 2u32..6), 1..4),
        customers in prop::collection::vec((any::<bool>(), 0u32..3, prop::bool::weighted(0.2)), 0..25),
        units in 0u32..30,
        window in 1u32..5,
        reserve in prop::sample::select(vec![0.0, 0.25]),
    ) {
        let net = network(&outlets);
        let policy = Policy { emergency_reserve: reserve, ..Policy::default() };
        let tickets: Vec<Ticket> = customers
            .iter()
            .enumerate()
            .map(|(i, &(rep, day, em))| {
                let kind = if rep { ServiceKind::Repair } else { ServiceKind::Maintenance };
                customer(i, kind, day, em)
            })
            .collect();
        let data = planning(&[("R1", "AC1", 2024, f64::from(units))]);
        let c = campaign("K", date(2026, 3, 2), date(2026, 3, 2) + chrono::Days::new(u64::from(window)));
        let opts = options();
        let s = run(&net, &policy, &tickets, &data, std::slice::from_ref(&c), &opts);

        // The customer plan is what assign gives with no campaign at all, counting days
        // from the same first day (the schedule counts from `as_of`, here 2026-03-02).
        let same_start = Policy { start_date: Some(date(2026, 3, 2)), ..policy.clone() };
        let d = Dispatcher::new(net.clone(), same_start).unwrap();
        let alone = assign(&tickets, &d, &opts.assign).unwrap();
        prop_assert_eq!(&s.customer.assignments, &alone.assignments);
        prop_assert_eq!(&s.customer.unassigned, &alone.unassigned);

        // Visits fit in the room customer tickets leave.
        let limit = |cap: u32| (f64::from(cap) * (1.0 - reserve)).floor() as u32;
        let mut offer_used: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
        let mut outlet_used: BTreeMap<(String, u32), u32> = BTreeMap::new();
        let by_id: BTreeMap<&str, &Ticket> = tickets.iter().map(|t| (t.id.as_str(), t)).collect();
        for a in &alone.assignments {
            let t = by_id[a.ticket_id.as_str()];
            *offer_used.entry((a.outlet_id.clone(), t.skill.clone(), a.day)).or_default() += a.units;
            *outlet_used.entry((a.outlet_id.clone(), a.day)).or_default() += a.units;
        }
        let mut visit_offer: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
        let mut visit_outlet: BTreeMap<(String, u32), u32> = BTreeMap::new();
        for v in &s.visits {
            *visit_offer.entry((v.outlet_id.clone(), v.skill.clone(), v.day)).or_default() += v.capacity_units;
            *visit_outlet.entry((v.outlet_id.clone(), v.day)).or_default() += v.capacity_units;
            prop_assert!(v.date >= c.start && v.date <= c.deadline);
        }
        for ((o, sk, day), n) in &visit_offer {
            let i: usize = o[1..].parse().unwrap();
            let cap = if sk.starts_with("repair") { outlets[i].0 } else { outlets[i].1 };
            let used = offer_used.get(&(o.clone(), sk.clone(), *day)).copied().unwrap_or(0);
            prop_assert!(*n <= limit(cap).saturating_sub(used), "{o} {sk} day {day}: {n} visits, cap {cap}, customers {used}");
        }
        for ((o, day), n) in &visit_outlet {
            let i: usize = o[1..].parse().unwrap();
            let used = outlet_used.get(&(o.clone(), *day)).copied().unwrap_or(0);
            prop_assert!(*n <= limit(outlets[i].2).saturating_sub(used), "{o} day {day}: {n} visits, customers {used}");
        }
        // Every unit is visited or reported undone with a reason.
        let undone: u32 = s.undone.iter().map(|u| u.units).sum();
        prop_assert_eq!(s.visits.len() as u32 + undone, units);
    }
}
