#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;

/// Accuracy over seeded histories drawn from known curves: (share of cells within 5%
/// for models with >= 100,000 unit-years, worst relative error there, share of
/// (model, age) cells at ages 1-10 whose 95% interval covers the truth).
pub(crate) fn accuracy(seeds: std::ops::Range<u64>, models: usize) -> (f64, f64, f64) {
    let (mut within, mut rich, mut worst, mut covered, mut cells) = (0, 0, 0.0f64, 0, 0);
    for seed in seeds {
        let h = synthetic_history(models, 15, 10, (300.0, 30_000.0), seed).unwrap();
        let fit = fit_repair_curves(&h.data, &h.network, &FitOptions::default()).unwrap();
        for m in &fit.models {
            let (family, theta) = &h.truth[&m.model];
            for c in fit.cells.iter().filter(|c| c.model == m.model && (1..=10).contains(&c.age)) {
                let truth = family.rate(theta, c.age);
                cells += 1;
                if c.rate_lo <= truth && truth <= c.rate_hi {
                    covered += 1;
                }
                if m.exposure >= 100_000.0 {
                    rich += 1;
                    let err = (c.rate / truth - 1.0).abs();
                    worst = worst.max(err);
                    if err <= 0.05 {
                        within += 1;
                    }
                }
            }
        }
    }
    (
        within as f64 / rich.max(1) as f64,
        worst,
        covered as f64 / cells.max(1) as f64,
    )
}

/// The accuracy targets, over 20 seeded histories of 10 models each (Weibull
/// and bathtub truths, 3,000 to 300,000 unit-years per model): fitted rates at ages
/// 1-10 within 5% of the truth for models with >= 100,000 unit-years, and 95%
/// intervals covering the truth in >= 90% of (model, age) cells.
#[test]
fn the_fit_recovers_known_curves() {
    let (within, worst, coverage) = accuracy(0..20, 10);
    assert!(within == 1.0, "{:.1}% within 5% (worst {:.1}%)", 100.0 * within, 100.0 * worst);
    assert!(coverage >= 0.90, "coverage {:.1}%", 100.0 * coverage);
}

/// A model with little history is pulled toward its category; one with much is not.
#[test]
fn sparse_models_are_pooled_toward_their_category() {
    let mut h = synthetic_history(10, 15, 10, (20_000.0, 20_000.0), 7).unwrap();
    // M005 (a refrigerator, like M000): keep 3 history rows only.
    let mut kept = 0;
    h.data.repair_history.retain(|r| {
        if r.model != "M005" {
            return true;
        }
        kept += 1;
        kept <= 3
    });
    let fit = fit_repair_curves(&h.data, &h.network, &FitOptions::default()).unwrap();
    let get = |m: &str| fit.models.iter().find(|x| x.model == m).unwrap();
    assert!(get("M000").prior_weight < 0.01, "{:?}", get("M000"));
    assert!(get("M005").prior_weight > 0.3, "{:?}", get("M005"));
    // Wider intervals where the data are thin.
    let width = |m: &str| {
        let c = fit.cells.iter().find(|c| c.model == m && c.age == 5).unwrap();
        (c.rate_hi - c.rate_lo) / c.rate
    };
    assert!(width("M005") > 3.0 * width("M000"));
}

/// A model without any history gets its category's curve, flagged as such; a history
/// row whose vintage is not in the base is reported, not silently used.
#[test]
fn models_without_history_take_the_category_curve() {
    let mut h = synthetic_history(10, 12, 6, (5_000.0, 5_000.0), 3).unwrap();
    h.data.repair_history.retain(|r| r.model != "M007");
    h.data.repair_history.push(RepairHistoryRow {
        model: "M001".into(),
        vintage: 1990,
        year: 2000,
        repairs: 5.0,
        region: None,
    });
    let fit = fit_repair_curves(&h.data, &h.network, &FitOptions::default()).unwrap();
    let m7 = fit.models.iter().find(|x| x.model == "M007").unwrap();
    assert_eq!((m7.source.as_str(), m7.prior_weight), ("category", 1.0));
    assert!(fit.warnings.iter().any(|w| w.starts_with("1 history rows (5 repairs)")), "{:?}", fit.warnings);
    // The fitted tables feed the forecast.
    let fitted = fit.apply(&h.data);
    let p = fitted.products.iter().find(|p| p.model == "M001").unwrap();
    assert!(matches!(&p.curve, RepairCurve::Table(t) if t.len() == 21));
}

use crate::model::RepairHistoryRow;

/// Bad options and an empty history are argument errors naming the field.
#[test]
fn bad_fit_inputs_are_errors() {
    let h = synthetic_history(2, 5, 3, (1000.0, 1000.0), 1).unwrap();
    let bad = FitOptions { prior_sd: 0.0, ..Default::default() };
    assert!(fit_repair_curves(&h.data, &h.network, &bad).unwrap_err().to_string().contains("prior_sd"));
    let mut empty = h.data.clone();
    empty.repair_history.clear();
    let e = fit_repair_curves(&empty, &h.network, &FitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("repair_history"), "{e}");
}
