//! A seeded synthetic planning case for benchmarks and tests.

use std::collections::BTreeMap;

use crate::model::{Network, PlanningData, RepairCurve};
use crate::Result;

/// A seeded synthetic planning case of `regions x models x vintages` (for benchmarks
/// and tests): regions `R0000..`, models `M000..` in 5 categories with alternating
/// table and Weibull curves, vintages ending the year before `start_year`, one sales
/// row per region and model for `start_year`, and a summer-peaking profile.
pub fn synthetic_case(
    regions: usize,
    models: usize,
    vintages: usize,
    start_year: i32,
    seed: u64,
) -> Result<(Network, PlanningData)> {
    use crate::model::{InstalledBaseRow, Product, Region, SalesPlanRow, Tier};
    let mut rng = crate::plan::location::SplitMix64::new(seed);
    let regs: Vec<Region> = (0..regions)
        .map(|i| Region {
            code: format!("R{i:04}"),
            name: format!("Region {i}"),
            tier: [Tier::A, Tier::B, Tier::C][i % 3],
            lon: 100.0 + 20.0 * rng.next_f64(),
            lat: 22.0 + 18.0 * rng.next_f64(),
            population: None,
            max_response_hours: 48.0,
            max_travel_km: 60.0,
            polygon: None,
        })
        .collect();
    let network = Network::new(Vec::new(), regs)?;
    let cats = [
        "air_conditioner",
        "refrigerator",
        "tv",
        "washer",
        "water_heater",
    ];
    let products: Vec<Product> = (0..models)
        .map(|m| Product {
            model: format!("M{m:03}"),
            category: cats[m % cats.len()].to_string(),
            curve: if m % 2 == 0 {
                RepairCurve::Table((0..15).map(|a| 0.05 + 0.01 * a as f64).collect())
            } else {
                RepairCurve::Weibull {
                    shape: 1.5 + rng.next_f64(),
                    scale: 8.0 + 6.0 * rng.next_f64(),
                }
            },
        })
        .collect();
    let mut installed_base = Vec::with_capacity(regions * models * vintages);
    let mut sales_plan = Vec::with_capacity(regions * models);
    for r in network.regions() {
        for p in &products {
            for v in 0..vintages {
                installed_base.push(InstalledBaseRow {
                    region: r.code.clone(),
                    model: p.model.clone(),
                    category: p.category.clone(),
                    vintage: start_year - vintages as i32 + v as i32,
                    units: (1000.0 * rng.next_f64()).round(),
                });
            }
            sales_plan.push(SalesPlanRow {
                region: r.code.clone(),
                model: p.model.clone(),
                year: start_year,
                units: (500.0 * rng.next_f64()).round(),
            });
        }
    }
    let mut seasonality = BTreeMap::new();
    let summer = [
        6.0, 6.0, 7.0, 8.0, 9.0, 12.0, 14.0, 12.0, 8.0, 6.0, 6.0, 6.0,
    ];
    let total: f64 = summer.iter().sum();
    seasonality.insert("air_conditioner".to_string(), summer.map(|x| x / total));
    Ok((
        network,
        PlanningData {
            products,
            installed_base,
            sales_plan,
            seasonality,
            ..Default::default()
        },
    ))
}
