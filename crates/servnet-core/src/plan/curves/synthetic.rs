//! Seeded repair histories drawn from known curves: what the tests check the fit
//! against, and the benchmark's input.

use std::collections::BTreeMap;

use super::family::Family;
use crate::model::{
    InstalledBaseRow, Network, PlanningData, Product, Region, RepairCurve, RepairHistoryRow,
    RetirementCurve, Tier,
};
use crate::rng::SplitMix64;
use crate::Result;

/// A synthetic planning case with a repair history and the curves it was drawn from.
#[derive(Debug, Clone)]
pub struct SyntheticHistory {
    /// One region, `R0`.
    pub network: Network,
    /// Products (their curves are the true ones, as tables), installed base, retirement
    /// curves and the repair history.
    pub data: PlanningData,
    /// The true curve of each model: family and `theta`.
    pub truth: BTreeMap<String, (Family, Vec<f64>)>,
}

/// Poisson draw: multiplication below 30, rounded normal above (fine for the counts of
/// hundreds to thousands a history has).
fn poisson(rng: &mut SplitMix64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0.0;
        let mut p = rng.next_f64();
        while p > limit {
            k += 1.0;
            p *= rng.next_f64();
        }
        k
    } else {
        (lambda + lambda.sqrt() * rng.normal()).round().max(0.0)
    }
}

/// `models` models (5 categories, alternating Weibull and bathtub truths), `vintages`
/// vintages up to 2025 with a national installed base of `min_units..=max_units` units
/// per vintage (log-uniform per model), retirement curves, and `years` years of history
/// (up to 2025) drawn as Poisson counts of exposure x true rate.
pub fn synthetic_history(
    models: usize,
    vintages: usize,
    years: usize,
    units: (f64, f64),
    seed: u64,
) -> Result<SyntheticHistory> {
    let mut rng = SplitMix64::new(seed);
    let region = Region {
        code: "R0".into(),
        name: "Region 0".into(),
        tier: Tier::A,
        lon: 116.4,
        lat: 39.9,
        population: None,
        max_response_hours: 24.0,
        max_travel_km: 50.0,
        polygon: None,
    };
    let network = Network::new(Vec::new(), vec![region])?;
    let cats = [
        "air_conditioner",
        "refrigerator",
        "tv",
        "washer",
        "water_heater",
    ];
    let last = 2025;
    let mut data = PlanningData::default();
    for (i, c) in cats.iter().enumerate() {
        data.retirement.insert(
            (*c).to_string(),
            RetirementCurve {
                life: 10.0 + i as f64,
                shape: 3.0,
            },
        );
    }
    let mut truth = BTreeMap::new();
    for m in 0..models {
        let model = format!("M{m:03}");
        let category = cats[m % cats.len()].to_string();
        let u = |rng: &mut SplitMix64, lo: f64, hi: f64| lo + (hi - lo) * rng.next_f64();
        let (family, theta) = if m % 2 == 0 {
            (
                Family::Weibull,
                Family::weibull_theta(u(&mut rng, 1.3, 2.5), u(&mut rng, 8.0, 15.0)),
            )
        } else {
            let wear_shape = u(&mut rng, 3.5, 5.0);
            // wear-out rate at age 14 of 0.08-0.2: wear x shape x 14^(shape - 1).
            let wear = u(&mut rng, 0.08, 0.2) / (wear_shape * 14f64.powf(wear_shape - 1.0));
            (
                Family::Bathtub,
                Family::bathtub_theta(
                    u(&mut rng, 0.02, 0.05),
                    u(&mut rng, 0.2, 0.5),
                    u(&mut rng, 0.02, 0.04),
                    wear,
                    wear_shape,
                ),
            )
        };
        data.products.push(Product {
            model: model.clone(),
            category: category.clone(),
            curve: RepairCurve::Table((0..30).map(|a| family.rate(&theta, a)).collect()),
        });
        let size = (units.0.ln() + (units.1 / units.0).ln() * rng.next_f64()).exp();
        let life = data.retirement.get(&category).copied();
        for k in 0..vintages {
            let v = last - vintages as i32 + 1 + k as i32;
            let in_base = (size * (0.8 + 0.4 * rng.next_f64())).round();
            data.installed_base.push(InstalledBaseRow {
                region: "R0".into(),
                model: model.clone(),
                category: category.clone(),
                vintage: v,
                units: in_base,
            });
            for y in (last - years as i32 + 1).max(v)..=last {
                let alive = life.map_or(1.0, |s| s.survival(y - v) / s.survival(last - v));
                let mean = in_base * alive * family.rate(&theta, (y - v) as u32);
                data.repair_history.push(RepairHistoryRow {
                    model: model.clone(),
                    vintage: v,
                    year: y,
                    repairs: poisson(&mut rng, mean),
                    region: None,
                });
            }
        }
        truth.insert(model, (family, theta));
    }
    Ok(SyntheticHistory {
        network,
        data,
        truth,
    })
}
