use super::network::Network;
use super::skill::check_category;
use super::Issues;
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Annual repair rate of a product model by age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairCurve {
    /// Expected repairs per unit in service, by age in years (index 0 = year of sale);
    /// ages past the end use the last value.
    Table(Vec<f64>),
    /// Power-law minimal repair: repairs in year `a` = `H(a+1) - H(a)`, `H(t) = (t/scale)^shape`.
    Weibull {
        /// Shape (> 1: wear-out, < 1: early failures).
        shape: f64,
        /// Scale in years.
        scale: f64,
    },
}

impl RepairCurve {
    /// Expected repair tickets per unit in service during its year of age `age`.
    pub fn rate(&self, age: u32) -> f64 {
        match self {
            RepairCurve::Table(rates) => rates
                .get(age as usize)
                .or(rates.last())
                .copied()
                .unwrap_or(0.0),
            RepairCurve::Weibull { shape, scale } => {
                let h = |t: f64| (t / scale).powf(*shape);
                h(f64::from(age) + 1.0) - h(f64::from(age))
            }
        }
    }
}

/// A product model, its category and repair curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Model id.
    pub model: String,
    /// Product category (e.g. `air_conditioner`).
    pub category: String,
    /// Annual repair rate by age.
    pub curve: RepairCurve,
}

/// Units of one model sold in one year still in service in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledBaseRow {
    /// Region code.
    pub region: String,
    /// Model id.
    pub model: String,
    /// Product category (must match the model's).
    pub category: String,
    /// Year of sale.
    pub vintage: i32,
    /// Units in service.
    pub units: f64,
}

/// Planned sales of one model in one region and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesPlanRow {
    /// Region code.
    pub region: String,
    /// Model id.
    pub model: String,
    /// Sales year.
    pub year: i32,
    /// Planned units.
    pub units: f64,
}

/// Monthly share of a year's tickets per product category (12 shares summing to 1).
pub type Seasonality = BTreeMap<String, [f64; 12]>;

/// Validated inputs of demand forecasting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlanningData {
    /// Product models.
    pub products: Vec<Product>,
    /// Installed base rows.
    pub installed_base: Vec<InstalledBaseRow>,
    /// Sales plan rows.
    pub sales_plan: Vec<SalesPlanRow>,
    /// Monthly profile per category; missing categories are flat.
    pub seasonality: Seasonality,
}

impl PlanningData {
    /// Validates references (regions against `network`, models against `products`),
    /// categories, curves, non-negative units and seasonality sums.
    pub fn validate(&self, network: &Network) -> Result<()> {
        let mut issues = Issues::default();
        let mut models = BTreeMap::new();
        for p in &self.products {
            if models.insert(p.model.as_str(), p).is_some() {
                issues.push(
                    "products",
                    &p.model,
                    "model",
                    format!("duplicate model '{}'", p.model),
                );
            }
            if let Err(m) = check_category(&p.category) {
                issues.push("products", &p.model, "category", m);
            }
            match &p.curve {
                RepairCurve::Table(rates) => {
                    if rates.is_empty() {
                        issues.push(
                            "repair_rates",
                            &p.model,
                            "rate",
                            "table curve has no rows".into(),
                        );
                    }
                    if let Some(r) = rates.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
                        issues.push(
                            "repair_rates",
                            &p.model,
                            "rate",
                            format!("expected a rate >= 0, got {r}"),
                        );
                    }
                }
                RepairCurve::Weibull { shape, scale } => {
                    for (f, v) in [("weibull_shape", shape), ("weibull_scale", scale)] {
                        if !(v.is_finite() && *v > 0.0) {
                            issues.push(
                                "products",
                                &p.model,
                                f,
                                format!("expected a number > 0, got {v}"),
                            );
                        }
                    }
                }
            }
        }
        for r in &self.installed_base {
            let rec = format!("{}/{}/{}", r.region, r.model, r.vintage);
            if network.region_index(&r.region).is_none() {
                issues.push(
                    "installed_base",
                    &rec,
                    "region",
                    format!("unknown region '{}'", r.region),
                );
            }
            match models.get(r.model.as_str()) {
                None => issues.push(
                    "installed_base",
                    &rec,
                    "model",
                    format!("unknown model '{}' (not in products)", r.model),
                ),
                Some(p) if p.category != r.category => issues.push(
                    "installed_base",
                    &rec,
                    "category",
                    format!(
                        "model '{}' is a '{}', not a '{}'",
                        r.model, p.category, r.category
                    ),
                ),
                Some(_) => {}
            }
            if !(r.units.is_finite() && r.units >= 0.0) {
                issues.push(
                    "installed_base",
                    &rec,
                    "units",
                    format!("expected units >= 0, got {}", r.units),
                );
            }
        }
        for r in &self.sales_plan {
            let rec = format!("{}/{}/{}", r.region, r.model, r.year);
            if network.region_index(&r.region).is_none() {
                issues.push(
                    "sales_plan",
                    &rec,
                    "region",
                    format!("unknown region '{}'", r.region),
                );
            }
            if !models.contains_key(r.model.as_str()) {
                issues.push(
                    "sales_plan",
                    &rec,
                    "model",
                    format!("unknown model '{}' (not in products)", r.model),
                );
            }
            if !(r.units.is_finite() && r.units >= 0.0) {
                issues.push(
                    "sales_plan",
                    &rec,
                    "units",
                    format!("expected units >= 0, got {}", r.units),
                );
            }
        }
        for (cat, shares) in &self.seasonality {
            let sum: f64 = shares.iter().sum();
            if shares.iter().any(|s| !(s.is_finite() && *s >= 0.0)) || (sum - 1.0).abs() > 1e-6 {
                issues.push(
                    "seasonality",
                    cat,
                    "share",
                    format!("expected 12 shares >= 0 summing to 1, got sum {sum}"),
                );
            }
        }
        issues.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weibull_rates_sum_to_cumulative_hazard() {
        let c = RepairCurve::Weibull {
            shape: 2.0,
            scale: 10.0,
        };
        let total: f64 = (0..5).map(|a| c.rate(a)).sum();
        assert!(
            (total - 0.25).abs() < 1e-12,
            "H(5) = (5/10)^2 = 0.25, got {total}"
        );
    }

    #[test]
    fn table_rates_extend_with_the_last_value() {
        let c = RepairCurve::Table(vec![0.1, 0.05]);
        assert_eq!(c.rate(0), 0.1);
        assert_eq!(c.rate(9), 0.05);
    }
}
