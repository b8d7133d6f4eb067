//! Capacity planning end to end: forecast -> plan -> simulation -> scenarios, on the
//! valid fixture (small, every model) and the sample network (one fast model).

use servnet_core::io::read_dir;
use servnet_core::plan::forecast::{forecast, ForecastOptions};
use servnet_core::plan::network_plan::{
    plan_network, Decision, PlanModel, PlanOptions, ResponseTarget, SiteRule,
};
use servnet_core::plan::scenario::{compare, Scenario};
use servnet_core::plan::simulate::{peak_month_tickets, simulate, SimOptions};
use servnet_core::testing::{fixture_dir, sample_dir};

fn fixture() -> servnet_core::io::DataSet {
    read_dir(&fixture_dir("valid")).unwrap()
}

/// Every model serves every region with demand, keeps the must-keep centre, sizes
/// every open site with at least one technician, and reports shares in [0, 1].
#[test]
fn every_model_gives_a_consistent_plan_on_the_fixture() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 2)).unwrap();
    for model in [
        PlanModel::Cover,
        PlanModel::MaxCover { p: 2 },
        PlanModel::PMedian { p: 3 },
        PlanModel::Cflp,
    ] {
        for response in [None, Some(ResponseTarget::default())] {
            let opts = PlanOptions {
                model,
                response,
                ..Default::default()
            };
            let plan = plan_network(&d.network, &fc, &opts).unwrap();
            let t = &plan.totals;
            assert_eq!(t.year, 2026);
            assert!((0.0..=1.0 + 1e-9).contains(&t.covered_share), "{model:?}");
            for r in &plan.regions {
                if r.peak_day > 0.0 {
                    let share: f64 = r.served_by.iter().map(|s| s.1).sum();
                    assert!((share - 1.0).abs() < 1e-6, "{model:?} {}", r.region);
                }
            }
            for s in &plan.sites {
                if s.rule == SiteRule::MustKeep {
                    assert_eq!(s.decision, Decision::Keep, "{model:?} {}", s.site_id);
                }
                let open = s.decision != Decision::Close;
                assert_eq!(open, s.technicians >= 1, "{model:?} {}", s.site_id);
            }
            if let PlanModel::PMedian { p } | PlanModel::MaxCover { p } = model {
                assert_eq!(t.open, p, "{model:?}");
            }
            let demand: f64 = plan.sites.iter().map(|s| s.assigned_demand).sum();
            assert!(
                (demand - t.demand).abs() < 1e-6 * t.demand.max(1.0),
                "{model:?}"
            );
        }
    }
}

/// A p below the must-keep count, or a year outside the forecast, is an argument error.
#[test]
fn bad_plan_arguments_are_errors() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let bad_p = PlanOptions {
        model: PlanModel::PMedian { p: 0 },
        ..Default::default()
    };
    assert!(plan_network(&d.network, &fc, &bad_p).is_err());
    let bad_year = PlanOptions {
        year: Some(2030),
        ..Default::default()
    };
    assert!(plan_network(&d.network, &fc, &bad_year).is_err());
    assert!(PlanModel::parse("pmedian", None).is_err());
}

/// The same seed draws the same tickets and gives the same simulation figures.
#[test]
fn simulation_is_deterministic_for_a_seed() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let popts = PlanOptions::default();
    let plan = plan_network(&d.network, &fc, &popts).unwrap();
    let sim = SimOptions {
        days: 3,
        ..Default::default()
    };
    let (s1, t1) = peak_month_tickets(&fc, &d.network, 2026, &sim).unwrap();
    let (s2, t2) = peak_month_tickets(&fc, &d.network, 2026, &sim).unwrap();
    assert_eq!((s1, &t1), (s2, &t2));
    assert!(!t1.is_empty());
    let mut a = simulate(&plan, &d.network, &popts, &t1, &sim, Some(s1)).unwrap();
    let mut b = simulate(&plan, &d.network, &popts, &t2, &sim, Some(s2)).unwrap();
    a.seconds = 0.0;
    b.seconds = 0.0;
    assert_eq!(a, b);
    assert_eq!(a.tickets, t1.len());
    assert_eq!(a.assigned + a.unassigned, a.tickets);
    // Replaying the fixture's own tickets works too (avoid lists naming closed outlets
    // are dropped).
    let r = simulate(&plan, &d.network, &popts, &d.tickets, &sim, None).unwrap();
    assert_eq!(r.tickets, d.tickets.len());
}

/// More repairs mean more tickets and no fewer technicians; rows keep the given order.
#[test]
fn scenarios_compare_side_by_side() {
    let d = fixture();
    let scen = vec![
        Scenario::named("base"),
        Scenario {
            name: "repairs +10%".into(),
            repair_rate_factor: 1.1,
            ..Default::default()
        },
        Scenario {
            name: "sales -20%, C radius x0.5".into(),
            sales_factor: 0.8,
            tier_radius_factor: [1.0, 1.0, 0.5],
            ..Default::default()
        },
    ];
    let rows = compare(
        &d.planning,
        &d.network,
        &scen,
        &ForecastOptions::new(2026, 1),
        &PlanOptions::default(),
        &SimOptions::default(),
    )
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].name, "repairs +10%");
    assert!(rows[1].tickets > rows[0].tickets);
    assert!(rows[1].technicians >= rows[0].technicians);
    assert!(rows[2].tickets < rows[0].tickets);
}

/// The sample network plans and simulates quickly with p-median (heuristic path).
#[test]
fn sample_network_pmedian_plan_and_simulation() {
    let d = read_dir(&sample_dir()).unwrap();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let popts = PlanOptions {
        model: PlanModel::PMedian { p: 350 },
        ..Default::default()
    };
    let plan = plan_network(&d.network, &fc, &popts).unwrap();
    assert_eq!(plan.totals.open, 350);
    assert!(plan.totals.covered_share > 0.95);
    let sim = SimOptions {
        days: 1,
        sample: 0.01,
        ..Default::default()
    };
    let (start, tickets) = peak_month_tickets(&fc, &d.network, 2026, &sim).unwrap();
    let r = simulate(&plan, &d.network, &popts, &tickets, &sim, Some(start)).unwrap();
    assert!(r.sla_met_share > 0.9, "{r}");
}
