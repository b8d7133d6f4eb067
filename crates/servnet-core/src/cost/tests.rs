//! Cost and settlement rules, one test each, and the settlement invariant (proptest).

use super::*;
use crate::io::{bookings_from_csv, fee_schedule_from_csv};
use crate::model::{Outlet, OutletSkill, OutletStatus, Region, ServiceArea};
use chrono::NaiveDate;
use proptest::prelude::*;

fn offer(kind: ServiceKind, cost: f64) -> OutletSkill {
    OutletSkill {
        skill: Skill {
            kind,
            category: "tv".into(),
        },
        daily_capacity: 5,
        load: 0,
        rating_sum: 0.0,
        rating_count: 0,
        cost_per_ticket: cost,
    }
}

fn outlet(id: &str) -> Outlet {
    Outlet {
        id: id.into(),
        name: format!("Outlet {id}"),
        lon: 121.0,
        lat: 31.0,
        status: OutletStatus::Active,
        priority: 50,
        daily_cap: 10,
        area: ServiceArea::Radius(20.0),
        skills: vec![
            offer(ServiceKind::Repair, 25.0),
            offer(ServiceKind::Install, 10.0),
        ],
    }
}

fn region(code: &str, tier: Tier) -> Region {
    Region {
        code: code.into(),
        name: code.into(),
        tier,
        lon: 121.0,
        lat: 31.0,
        population: None,
        max_response_hours: 48.0,
        max_travel_km: 60.0,
        polygon: None,
    }
}

fn network() -> Network {
    Network::new(
        vec![outlet("o1"), outlet("o2"), outlet("o3")],
        vec![
            region("RA", Tier::A),
            region("RB", Tier::B),
            region("RC", Tier::C),
        ],
    )
    .unwrap()
}

const SCHEDULE: &str = "kind,tier,outlet_id,fee,extra_unit_fee,per_km
repair,,,50,,
repair,C,,70,,3
repair,,o2,40,10,
";

fn schedule(net: &Network) -> FeeSchedule {
    fee_schedule_from_csv("fee_schedule.csv", SCHEDULE.as_bytes(), net).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn booking(
    outlet: &str,
    kind: ServiceKind,
    tier: Tier,
    units: u32,
    km: f64,
    travel: bool,
) -> Booking {
    Booking {
        ticket_id: "t".into(),
        outlet_id: outlet.into(),
        date: day(10),
        skill: Skill {
            kind,
            category: "tv".into(),
        },
        tier: Some(tier),
        units,
        road_km: km,
        travel,
        sla_met: Some(true),
    }
}

/// The most specific rule applies (outlet over tier over kind), extra units and the
/// rule's per-km rate are charged, and a kind without a rule costs the outlet's listed
/// cost_per_ticket; figures worked by hand.
#[test]
fn fees_follow_the_most_specific_rule() {
    let net = network();
    let s = schedule(&net);
    let c = |o, k, t, u, km| booking(o, k, t, u, km, true).cost(&s, &net);
    // kind + tier C: 70, 3 per km.
    assert_eq!(
        c("o1", ServiceKind::Repair, Tier::C, 1, 10.0),
        TicketCost::new(70.0, 30.0)
    );
    // kind only (tier A): 50, default 2 per km.
    assert_eq!(
        c("o1", ServiceKind::Repair, Tier::A, 1, 10.0),
        TicketCost::new(50.0, 20.0)
    );
    // outlet o2 overrides the tier rule: 40 + 2 x 10 for three units, 2 per km.
    assert_eq!(
        c("o2", ServiceKind::Repair, Tier::C, 3, 10.0),
        TicketCost::new(60.0, 20.0)
    );
    // no install rule: o1's listed cost_per_ticket (10).
    assert_eq!(
        c("o1", ServiceKind::Install, Tier::B, 1, 5.0),
        TicketCost::new(10.0, 10.0)
    );
}

/// A carry-in booking (no technician trip) has zero travel however far the customer
/// lives; its fee is unchanged.
#[test]
fn carry_in_has_no_travel() {
    let net = network();
    let s = schedule(&net);
    let on_site = booking("o1", ServiceKind::Repair, Tier::C, 1, 80.0, true).cost(&s, &net);
    let carry_in = booking("o1", ServiceKind::Repair, Tier::C, 1, 80.0, false).cost(&s, &net);
    assert_eq!(carry_in.travel, 0.0);
    assert_eq!(carry_in.fee, on_site.fee);
    assert_eq!(carry_in.total, 70.0);
    assert_eq!(on_site.travel, 240.0);
}

/// The period includes its first and last day and nothing else.
#[test]
fn period_boundaries_are_inclusive_and_exact() {
    let net = network();
    let s = schedule(&net);
    let bs: Vec<Booking> = [4, 5, 12, 13]
        .into_iter()
        .map(|d| Booking {
            date: day(d),
            ticket_id: format!("t{d}"),
            ..booking("o1", ServiceKind::Repair, Tier::A, 1, 0.0, true)
        })
        .collect();
    let st = settle(&net, &s, &bs, day(5), day(12)).unwrap();
    assert_eq!(st.rows.len(), 1);
    assert_eq!(st.rows[0].tickets, 2);
    assert_eq!(st.rows[0].fees, 100.0);
    assert_eq!(st.outside, 2);
    let one_day = settle(&net, &s, &bs, day(13), day(13)).unwrap();
    assert_eq!(one_day.totals().tickets, 1);
    assert!(settle(&net, &s, &bs, day(13), day(12)).is_err());
}

/// Every bad cell of a fee schedule is reported with file, line and column.
#[test]
fn bad_fee_cells_are_named() {
    let net = network();
    let text = "kind,tier,outlet_id,fee,per_km
repiar,,,50,
repair,D,,50,
repair,,o9,50,
repair,,,-5,
install,,,abc,
repair,A,,50,1e9
maintenance,,,20,
maintenance,*,,25,
";
    let e = fee_schedule_from_csv("fees.csv", text.as_bytes(), &net).unwrap_err();
    let got: Vec<(Option<u64>, String)> = crate::testing::issues::<()>(&Err(e))
        .into_iter()
        .map(|i| {
            assert_eq!(i.at.source, "fees.csv");
            (i.at.line, i.at.field.unwrap_or_default())
        })
        .collect();
    let want: Vec<(Option<u64>, String)> = [
        (2, "kind"),
        (3, "tier"),
        (4, "outlet_id"),
        (5, "fee"),
        (6, "fee"),
        (7, "per_km"),
        (9, "kind"),
    ]
    .into_iter()
    .map(|(l, f)| (Some(l), f.to_string()))
    .collect();
    assert_eq!(got, want);
}

/// Bookings read from a dispatch output: unassigned rows and rows not completed are
/// skipped, `mode` carry_in means no travel, straight-line km become road km by the
/// detour factor, and a bad cell is named.
#[test]
fn bookings_are_read_from_a_dispatch_output() {
    let net = network();
    let text = "ticket_id,outlet_id,day,date,distance_km,sla_met,status,mode,skill,region
a,o1,0,2026-11-10,10,true,completed,,repair:tv,RA
b,,,,,false,,,repair:tv,RA
c,o2,0,2026-11-10,10,false,cancelled,,repair:tv,RA
d,o2,0,2026-11-10,10,false,completed,carry_in,repair:tv,RC
";
    let bs = bookings_from_csv("b.csv", text.as_bytes(), &net, &[]).unwrap();
    let ids: Vec<&str> = bs.iter().map(|b| b.ticket_id.as_str()).collect();
    assert_eq!(ids, ["a", "d"]);
    assert!((bs[0].road_km - 13.0).abs() < 1e-9);
    assert!(bs[0].travel && !bs[1].travel);
    assert_eq!(bs[1].tier, Some(Tier::C));
    let bad = "ticket_id,outlet_id,date,distance_km,skill,region\na,o1,2026-13-01,5,repair:tv,RA\n";
    let e = bookings_from_csv("b.csv", bad.as_bytes(), &net, &[]).unwrap_err();
    let i = crate::testing::issues::<()>(&Err(e));
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].at.field.as_deref(), Some("date"));
    assert_eq!(i[0].at.line, Some(2));
}

fn arb_booking() -> impl Strategy<Value = Booking> {
    (
        0usize..3,
        0usize..5,
        0usize..3,
        1u32..5,
        0.0f64..200.0,
        any::<bool>(),
        1u32..=30,
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(o, k, t, units, km, travel, d, sla)| Booking {
            ticket_id: format!("t{o}{k}{d}"),
            outlet_id: ["o1", "o2", "o3"][o].into(),
            date: day(d),
            skill: Skill {
                kind: ServiceKind::ALL[k],
                category: "tv".into(),
            },
            tier: Some([Tier::A, Tier::B, Tier::C][t]),
            units,
            road_km: km,
            travel,
            sla_met: sla,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The statement's totals, and each outlet's row, equal the sum of the costs of the
    /// bookings dated in the period; tickets by kind add up to tickets.
    #[test]
    fn settlement_totals_equal_the_bookings(
        bs in prop::collection::vec(arb_booking(), 0..60),
        a in 1u32..=30,
        b in 1u32..=30,
    ) {
        let net = network();
        let s = schedule(&net);
        let (from, to) = (day(a.min(b)), day(a.max(b)));
        let st = settle(&net, &s, &bs, from, to).unwrap();
        let inside: Vec<&Booking> = bs.iter().filter(|x| x.date >= from && x.date <= to).collect();
        prop_assert_eq!(st.outside, bs.len() - inside.len());
        let sum = |f: &dyn Fn(&TicketCost) -> f64, o: Option<&str>| -> f64 {
            inside
                .iter()
                .filter(|x| o.is_none_or(|o| x.outlet_id == o))
                .map(|x| f(&x.cost(&s, &net)))
                .sum()
        };
        let t = st.totals();
        prop_assert_eq!(t.tickets as usize, inside.len());
        prop_assert!((t.fees - sum(&|c| c.fee, None)).abs() < 1e-6);
        prop_assert!((t.travel - sum(&|c| c.travel, None)).abs() < 1e-6);
        prop_assert!((t.total - sum(&|c| c.total, None)).abs() < 1e-6);
        prop_assert!((t.total - t.fees - t.travel).abs() < 1e-6);
        for r in &st.rows {
            prop_assert!((r.total - sum(&|c| c.total, Some(&r.outlet_id))).abs() < 1e-6);
            prop_assert_eq!(r.by_kind.iter().sum::<u64>(), r.tickets);
            prop_assert!(r.tickets > 0);
        }
        let met = inside.iter().filter(|x| x.sla_met == Some(true)).count() as u64;
        prop_assert_eq!(t.sla_met, met);
    }
}
