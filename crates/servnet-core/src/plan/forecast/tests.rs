#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::model::{InstalledBaseRow, Product, Region, SalesPlanRow, Tier};
use proptest::prelude::*;

fn network() -> Network {
    let r = |code: &str| Region {
        code: code.into(),
        name: code.into(),
        tier: Tier::A,
        lon: 121.0,
        lat: 31.0,
        population: None,
        max_response_hours: 24.0,
        max_travel_km: 30.0,
        polygon: None,
    };
    Network::new(vec![], vec![r("R1"), r("R2")]).unwrap()
}

fn base(region: &str, vintage: i32, units: f64) -> InstalledBaseRow {
    InstalledBaseRow {
        region: region.into(),
        model: "TV-1".into(),
        category: "tv".into(),
        vintage,
        units,
    }
}

fn one_model(curve: RepairCurve) -> PlanningData {
    PlanningData {
        products: vec![Product {
            model: "TV-1".into(),
            category: "tv".into(),
            curve,
        }],
        installed_base: vec![base("R1", 2024, 1000.0), base("R1", 2025, 2000.0)],
        sales_plan: vec![SalesPlanRow {
            region: "R1".into(),
            model: "TV-1".into(),
            year: 2026,
            units: 500.0,
        }],
        seasonality: BTreeMap::new(),
        ..Default::default()
    }
}

fn get(f: &Forecast, region: &str, skill: &str, year: i32) -> f64 {
    let r = f.regions.iter().position(|x| x == region).unwrap();
    let s = f
        .skills
        .iter()
        .position(|x| x.to_string() == skill)
        .unwrap();
    f.tickets[[r, s, f.year_index(year).unwrap()]]
}

#[test]
fn one_model_two_vintages_matches_the_hand_computation() {
    // Rates by age: 0.10, 0.05, 0.08, then 0.08 on.
    let data = one_model(RepairCurve::Table(vec![0.10, 0.05, 0.08]));
    let f = forecast(&data, &network(), &ForecastOptions::new(2026, 2)).unwrap();
    // 2026: vintage 2024 is age 2 (0.08), 2025 age 1 (0.05), 2026 sales age 0 (0.10).
    let y26 = 1000.0 * 0.08 + 2000.0 * 0.05 + 500.0 * 0.10;
    assert!((get(&f, "R1", "repair:tv", 2026) - y26).abs() < 1e-9);
    // 2027: ages 3, 2, 1, and 2026's 500 sales held flat in 2027 (age 0), with a warning.
    let y27 = 1000.0 * 0.08 + 2000.0 * 0.08 + 500.0 * 0.05 + 500.0 * 0.10;
    assert!((get(&f, "R1", "repair:tv", 2027) - y27).abs() < 1e-9);
    assert_eq!(get(&f, "R1", "delivery:tv", 2026), 500.0);
    assert_eq!(get(&f, "R1", "install:tv", 2026), 500.0);
    assert_eq!(get(&f, "R1", "install:tv", 2027), 500.0);
    assert!(f
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::SalesExtrapolated && w.year == Some(2027)));
    assert_eq!(get(&f, "R2", "repair:tv", 2026), 0.0);
    // Flat seasonality: peak month January (the first of equal shares), 31 days.
    let s = f
        .skills
        .iter()
        .position(|x| x.to_string() == "repair:tv")
        .unwrap();
    assert_eq!(f.peak_month[[s, 0]], 1);
    assert!((f.peak_day[[0, s, 0]] - y26 / 12.0 / 31.0).abs() < 1e-9);
    let t = f.totals();
    assert!((t[0].tickets - (y26 + 1000.0)).abs() < 1e-9);
    assert_eq!(f.rows().len(), 3 + 3);
}

#[test]
fn seasonality_sets_the_peak_month_and_day() {
    let mut data = one_model(RepairCurve::Table(vec![0.1]));
    let mut shares = [0.05; 12];
    shares[1] = 0.45; // February, 28 days in 2026
    data.seasonality.insert("tv".into(), shares);
    let opts = ForecastOptions {
        day_peak_factor: 1.2,
        ..ForecastOptions::new(2026, 1)
    };
    let f = forecast(&data, &network(), &opts).unwrap();
    let s = f
        .skills
        .iter()
        .position(|x| x.to_string() == "repair:tv")
        .unwrap();
    assert_eq!(f.peak_month[[s, 0]], 2);
    let annual = 3500.0 * 0.1;
    assert!((f.peak_day[[0, s, 0]] - annual * 0.45 / 28.0 * 1.2).abs() < 1e-9);
}

#[test]
fn maintenance_counts_units_in_service() {
    let data = one_model(RepairCurve::Table(vec![0.1]));
    let opts = ForecastOptions {
        maintenance_per_unit: Some(0.5),
        ..ForecastOptions::new(2026, 1)
    };
    let f = forecast(&data, &network(), &opts).unwrap();
    assert!((get(&f, "R1", "maintenance:tv", 2026) - 0.5 * 3500.0).abs() < 1e-9);
}

#[test]
fn bad_inputs_are_all_reported() {
    let mut data = one_model(RepairCurve::Table(vec![0.1]));
    data.installed_base.push(base("R1", 2030, 1.0));
    data.installed_base.push(base("R2", 2020, -5.0));
    let mut other = base("R2", 2020, 1.0);
    other.model = "XX".into();
    data.installed_base.push(other);
    let e = forecast(&data, &network(), &ForecastOptions::new(2026, 1)).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("future"), "{s}");
    assert!(s.contains("units >= 0"), "{s}");
    assert!(s.contains("missing repair curve for model 'XX'"), "{s}");
    assert_eq!(e.issues().len(), 3, "{s}");
}

#[test]
fn empty_table_curve_is_a_missing_curve() {
    let data = one_model(RepairCurve::Table(vec![]));
    let e = forecast(&data, &network(), &ForecastOptions::new(2026, 1)).unwrap_err();
    assert!(e.to_string().contains("missing repair curve"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Doubling every unit (base and sales) doubles every ticket count.
    #[test]
    fn doubling_the_base_doubles_demand(seed in 0u64..1000, years in 1u32..4) {
        let (net, data) = synthetic_case(7, 6, 5, 2026, seed).unwrap();
        let mut twice = data.clone();
        for r in &mut twice.installed_base { r.units *= 2.0; }
        for r in &mut twice.sales_plan { r.units *= 2.0; }
        let opts = ForecastOptions { maintenance_per_unit: Some(0.2), ..ForecastOptions::new(2026, years) };
        let a = forecast(&data, &net, &opts).unwrap();
        let b = forecast(&twice, &net, &opts).unwrap();
        for (x, y) in a.tickets.iter().zip(b.tickets.iter()) {
            prop_assert!((2.0 * x - y).abs() <= 1e-9 * y.abs().max(1.0));
        }
        for (x, y) in a.peak_day.iter().zip(b.peak_day.iter()) {
            prop_assert!((2.0 * x - y).abs() <= 1e-9 * y.abs().max(1.0));
        }
    }

    /// A zero repair curve gives zero repair tickets (other kinds are unaffected).
    #[test]
    fn zero_curve_gives_zero_repairs(seed in 0u64..1000) {
        let (net, mut data) = synthetic_case(5, 5, 4, 2026, seed).unwrap();
        for p in &mut data.products { p.curve = RepairCurve::Table(vec![0.0]); }
        let f = forecast(&data, &net, &ForecastOptions::new(2026, 2)).unwrap();
        for (s, skill) in f.skills.iter().enumerate() {
            let sum = f.tickets.index_axis(Axis(1), s).sum();
            if skill.kind == ServiceKind::Repair {
                prop_assert_eq!(sum, 0.0);
            } else {
                prop_assert!(sum > 0.0);
            }
        }
    }
}

/// Issue 17's repro: a year far outside the data is an argument error naming `year`
/// and the window (it used to size a 274 GB array); too many `years` names `years`.
#[test]
fn a_year_outside_the_window_is_an_error_naming_year_and_window() {
    let data = one_model(RepairCurve::Table(vec![0.1]));
    for year in [i32::MAX, i32::MIN, 2023, 2037] {
        let e = forecast(&data, &network(), &ForecastOptions::new(year, 1)).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("'year'") && s.contains("2024..=2036"), "{s}");
    }
    let e = forecast(&data, &network(), &ForecastOptions::new(2030, 8)).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("'years'") && s.contains("2037") && s.contains("2024..=2036"),
        "{s}"
    );
    assert!(forecast(&data, &network(), &ForecastOptions::new(2036, 1)).is_ok());
    let empty = PlanningData {
        products: data.products.clone(),
        ..Default::default()
    };
    let e = forecast(&empty, &network(), &ForecastOptions::new(2026, 1)).unwrap_err();
    assert!(e.to_string().contains("nothing to forecast from"), "{e}");
}

/// Service rates from the data make maintenance and inspection tickets; the sources say
/// where each kind came from, and a kind without any rate is named in a warning.
#[test]
fn service_rates_come_from_the_data_and_sources_say_so() {
    let mut data = one_model(RepairCurve::Table(vec![0.1]));
    let f = forecast(&data, &network(), &ForecastOptions::new(2026, 1)).unwrap();
    assert!(f.skills.iter().all(|s| s.kind != ServiceKind::Maintenance));
    assert!(f
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::NoServiceRate && w.message.starts_with("maintenance")));
    data.service_rates.push(crate::model::ServiceRate {
        category: "tv".into(),
        kind: ServiceKind::Maintenance,
        rate: 0.2,
    });
    data.service_rates.push(crate::model::ServiceRate {
        category: "tv".into(),
        kind: ServiceKind::Delivery,
        rate: 0.0,
    });
    let f = forecast(&data, &network(), &ForecastOptions::new(2026, 1)).unwrap();
    assert!((get(&f, "R1", "maintenance:tv", 2026) - 0.2 * 3500.0).abs() < 1e-9);
    assert!(f.skills.iter().all(|s| s.kind != ServiceKind::Delivery));
    let src = |skill: &str| f.sources.iter().find(|s| s.skill == skill).unwrap();
    assert!(src("maintenance:tv")
        .inputs
        .contains("0.2 per unit in service per year (service_rates)"));
    assert!(!src("delivery:tv").forecast);
    assert!(src("install:tv").inputs.contains("default"));
    assert!(src("repair:tv")
        .inputs
        .contains("repair curves (1 table, 0 weibull)"));
    assert!(src("inspection:tv").inputs.starts_with("not forecast"));
}

/// Retirement: with 1,000 units sold every year for 60 years, the units in service stay
/// below 1,000 x sum of the survival curve (the steady state) and settle; without
/// retirement they grow without bound.
#[test]
fn retirement_keeps_the_base_bounded() {
    let mut data = one_model(RepairCurve::Table(vec![0.1]));
    data.installed_base.clear();
    data.sales_plan = (2026..2086)
        .map(|y| SalesPlanRow {
            region: "R1".into(),
            model: "TV-1".into(),
            year: y,
            units: 1000.0,
        })
        .collect();
    let curve = crate::model::RetirementCurve {
        life: 10.0,
        shape: 2.5,
    };
    data.retirement.insert("tv".into(), curve);
    let f = forecast(&data, &network(), &ForecastOptions::new(2026, 60)).unwrap();
    let steady: f64 = (0..200).map(|a| 1000.0 * curve.survival(a)).sum();
    let base: Vec<f64> = f.totals().iter().map(|t| t.units_in_service).collect();
    assert!(
        base.iter().all(|&b| b <= steady + 1e-6),
        "{base:?} vs {steady}"
    );
    let (a, b) = (base[49], base[59]);
    assert!((b - a).abs() < 0.01 * b, "still growing: {a} -> {b}");
    assert!(b > 0.95 * steady, "{b} vs {steady}");
    assert!(f
        .warnings
        .iter()
        .all(|w| w.kind != WarningKind::NoRetirementCurve));
    let kept = ForecastOptions {
        retirement: false,
        ..ForecastOptions::new(2026, 60)
    };
    let g = forecast(&data, &network(), &kept).unwrap();
    assert!((g.totals()[59].units_in_service - 60_000.0).abs() < 1e-6);
}

/// Installed-base units age out with the survival ratio S(y - v) / S(B - v), B being
/// the base's last vintage.
#[test]
fn base_units_survive_by_the_ratio_of_the_curve() {
    let mut data = one_model(RepairCurve::Table(vec![0.1]));
    data.sales_plan.clear();
    let curve = crate::model::RetirementCurve {
        life: 8.0,
        shape: 3.0,
    };
    data.retirement.insert("tv".into(), curve);
    let f = forecast(&data, &network(), &ForecastOptions::new(2027, 1)).unwrap();
    // B = 2025; 2027: vintage 2024 is age 3 (age 1 in the base), 2025 age 2 (age 0).
    let want = 1000.0 * curve.survival(3) / curve.survival(1)
        + 2000.0 * curve.survival(2) / curve.survival(0);
    assert!((f.totals()[0].units_in_service - want).abs() < 1e-9);
    assert!((get(&f, "R1", "repair:tv", 2027) - 0.1 * want).abs() < 1e-9);
    assert!(f.warnings.iter().any(|w| w.kind == WarningKind::NoSales));
}

fn with_retirement(mut data: PlanningData) -> PlanningData {
    for (c, life) in [
        ("air_conditioner", 12.0),
        ("refrigerator", 14.0),
        ("tv", 9.0),
        ("washer", 11.0),
        ("water_heater", 10.0),
    ] {
        data.retirement
            .insert(c.into(), crate::model::RetirementCurve { life, shape: 3.0 });
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A year whose total falls more than 2% below the year before has a warning naming
    /// it, whatever the rule after the plan.
    #[test]
    fn no_forecast_year_drops_without_a_warning(seed in 0u64..1000, rule in 0usize..3, growth in -0.5f64..0.2) {
        let (net, data) = synthetic_case(6, 10, 12, 2026, seed).unwrap();
        let data = with_retirement(data);
        let opts = ForecastOptions {
            sales_after_plan: [SalesAfterPlan::Flat, SalesAfterPlan::Growth, SalesAfterPlan::Zero][rule],
            sales_growth: growth,
            maintenance_per_unit: Some(0.1),
            ..ForecastOptions::new(2026, 10)
        };
        let f = forecast(&data, &net, &opts).unwrap();
        let t = f.totals();
        for k in 1..t.len() {
            if t[k].tickets < 0.98 * t[k - 1].tickets {
                prop_assert!(
                    f.warnings.iter().any(|w| w.year == Some(t[k].year)),
                    "{} drops from {} to {} without a warning", t[k].year, t[k - 1].tickets, t[k].tickets
                );
            }
        }
        if rule == 0 {
            // The default rule keeps delivery and install going: no cliff at all.
            let d: Vec<f64> = t.iter().map(|x| x.by_kind.get("install").copied().unwrap_or(0.0)).collect();
            prop_assert!(d.iter().all(|&x| (x - d[0]).abs() < 1e-6 * d[0]), "{d:?}");
        }
    }

    /// Each region's peak day (summed over skills) is the daily mean of the busiest month
    /// of the region's total, and the network's is the busiest month of the network's
    /// total: never the sum of peaks of different months.
    #[test]
    fn the_peak_month_is_the_busiest_month_of_the_total(seed in 0u64..1000, factor in 1.0f64..1.5) {
        let (net, mut data) = synthetic_case(5, 10, 6, 2026, seed).unwrap();
        let mut winter = [0.05; 12];
        winter[0] = 0.2; winter[1] = 0.15; winter[11] = 0.15;
        let sum: f64 = winter.iter().sum();
        data.seasonality.insert("water_heater".into(), winter.map(|x| x / sum));
        let opts = ForecastOptions { day_peak_factor: factor, ..ForecastOptions::new(2026, 2) };
        let f = forecast(&data, &net, &opts).unwrap();
        for (k, t) in f.totals().iter().enumerate() {
            let month_total = |r: Option<usize>, m: usize| -> f64 {
                let mut v = 0.0;
                for rr in 0..f.regions.len() {
                    if r.is_some_and(|x| x != rr) { continue; }
                    for s in 0..f.skills.len() {
                        v += f.tickets[[rr, s, k]] * f.monthly_share[[s, m]];
                    }
                }
                v
            };
            let days = |m: usize| f64::from(days_in_month(t.year, m as u32 + 1));
            let best = (0..12).map(|m| month_total(None, m)).fold(0.0, f64::max);
            let bm = (0..12).position(|m| month_total(None, m) == best).unwrap();
            prop_assert_eq!(t.peak_month as usize, bm + 1);
            prop_assert!((t.peak_day - best / days(bm) * factor).abs() <= 1e-9 * t.peak_day);
            prop_assert!(t.peak_day <= t.regional_peak_day * (1.0 + 1e-12));
            for r in 0..f.regions.len() {
                let m = f.region_peak_month[[r, k]] as usize - 1;
                let peak: f64 = (0..f.skills.len()).map(|s| f.peak_day[[r, s, k]]).sum();
                for other in 0..12 {
                    prop_assert!(month_total(Some(r), other) <= month_total(Some(r), m) * (1.0 + 1e-12));
                }
                prop_assert!((peak - month_total(Some(r), m) / days(m) * factor).abs() <= 1e-9 * peak.max(1.0));
            }
        }
    }
}
