use super::network::Network;
use super::skill::{check_category, ServiceKind};
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

/// Years servnet accepts in planning data (vintages, sales and history years): every
/// year is bounded before it sizes a cohort array.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Largest accepted count of units (installed base, sales plan) or repairs in one row:
/// more than the world's population, so sums over rows stay finite and exact enough.
pub const MAX_UNITS: f64 = 1e10;

/// Largest accepted rate (repairs per unit-year, service tickets per unit): a hundred
/// tickets per unit a year is far above any real product.
pub const MAX_RATE: f64 = 100.0;

/// Largest accepted life or Weibull scale, in years.
pub const MAX_YEARS_PARAM: f64 = 1000.0;

/// Largest accepted Weibull shape (retirement or repair curve).
pub const MAX_SHAPE: f64 = 100.0;

/// Repairs of one model's vintage in one past year (`repair_history.csv`): the input
/// of [`crate::plan::curves::fit_repair_curves`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairHistoryRow {
    /// Model id.
    pub model: String,
    /// Year of sale of the units repaired.
    pub vintage: i32,
    /// Year the repairs happened (age = year - vintage).
    pub year: i32,
    /// Repair tickets counted.
    pub repairs: f64,
    /// Region code; `None` when the history is national (exposure: every region's base).
    #[serde(default)]
    pub region: Option<String>,
}

/// Retirement (scrapping) of a category's units: a Weibull survival curve. The share of
/// units sold in year `v` still in service during year `v + a` is
/// `S(a) = exp(-((a + 0.5) / life)^shape)` (mid-year of age `a`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetirementCurve {
    /// Characteristic life in years (63% of units are retired by then).
    pub life: f64,
    /// Weibull shape (> 1: units retire mostly around `life`).
    pub shape: f64,
}

impl RetirementCurve {
    /// Share of sold units still in service during their year of age `age` (1 for
    /// negative ages: not yet sold).
    pub fn survival(&self, age: i32) -> f64 {
        if age < 0 {
            return 1.0;
        }
        (-((f64::from(age) + 0.5) / self.life).powf(self.shape)).exp()
    }
}

/// Tickets of one non-repair service kind per unit, for one category
/// (`service_rates.csv`): per unit sold for delivery and install, per unit in service
/// and year for maintenance and inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRate {
    /// Product category.
    pub category: String,
    /// Service kind (not `repair`: repairs come from the repair curves).
    pub kind: ServiceKind,
    /// Tickets per unit (sold, or in service per year).
    pub rate: f64,
}

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
    /// Past repairs by model, vintage and year (optional; for fitting repair curves).
    #[serde(default)]
    pub repair_history: Vec<RepairHistoryRow>,
    /// Retirement curve per category (optional; a category without one keeps its
    /// units in service, and the forecast warns).
    #[serde(default)]
    pub retirement: BTreeMap<String, RetirementCurve>,
    /// Per-unit rates of delivery, install, maintenance and inspection (optional).
    #[serde(default)]
    pub service_rates: Vec<ServiceRate>,
}

impl PlanningData {
    /// A copy whose models take the given `(model, age, rate)` rows as table curves
    /// (e.g. [`crate::plan::curves::CurveFit::cells`] edited by hand); models not in
    /// them keep their curves. Errors name `rates`: a rate that is negative or not
    /// finite, a model not in the products, or a model whose ages are not `0..n`.
    pub fn with_rate_tables(
        &self,
        rates: impl IntoIterator<Item = (String, u32, f64)>,
    ) -> Result<PlanningData> {
        use crate::Error;
        let mut by_model: BTreeMap<String, BTreeMap<u32, f64>> = BTreeMap::new();
        for (m, a, r) in rates {
            if !(r.is_finite() && r >= 0.0) {
                let e = format!("model '{m}' age {a}: rate {r}");
                return Err(Error::argument("rates", e));
            }
            by_model.entry(m).or_default().insert(a, r);
        }
        let mut data = self.clone();
        for (m, table) in by_model {
            let Some(p) = data.products.iter_mut().find(|p| p.model == m) else {
                let e = format!("model '{m}' is not in the products");
                return Err(Error::argument("rates", e));
            };
            if table.keys().copied().ne(0..table.len() as u32) {
                let e = format!("model '{m}': ages must be 0..n");
                return Err(Error::argument("rates", e));
            }
            p.curve = RepairCurve::Table(table.into_values().collect());
        }
        Ok(data)
    }

    /// The rate of `kind` for `category` in [`PlanningData::service_rates`], if listed.
    pub fn service_rate(&self, category: &str, kind: ServiceKind) -> Option<f64> {
        self.service_rates
            .iter()
            .find(|r| r.kind == kind && r.category == category)
            .map(|r| r.rate)
    }

    /// Validates references (regions against `network`, models against `products`),
    /// categories, curves, non-negative units, years in [`YEARS`], seasonality sums,
    /// retirement curves, service rates and the repair history.
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
            if !YEARS.contains(&r.vintage) {
                issues.push(
                    "installed_base",
                    &rec,
                    "vintage",
                    format!("expected a year in 1900..=2200, got {}", r.vintage),
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
            if !YEARS.contains(&r.year) {
                issues.push(
                    "sales_plan",
                    &rec,
                    "year",
                    format!("expected a year in 1900..=2200, got {}", r.year),
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
        self.validate_extras(network, &models, &mut issues);
        issues.into_result()
    }

    /// Retirement curves, service rates and the repair history.
    fn validate_extras(
        &self,
        network: &Network,
        models: &BTreeMap<&str, &Product>,
        issues: &mut Issues,
    ) {
        for (cat, c) in &self.retirement {
            if let Err(m) = check_category(cat) {
                issues.push("retirement", cat, "category", m);
            }
            for (f, v) in [("life", c.life), ("shape", c.shape)] {
                if !(v.is_finite() && v > 0.0) {
                    issues.push(
                        "retirement",
                        cat,
                        f,
                        format!("expected a number > 0, got {v}"),
                    );
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &self.service_rates {
            let rec = format!("{}/{}", r.category, r.kind.as_str());
            if let Err(m) = check_category(&r.category) {
                issues.push("service_rates", &rec, "category", m);
            }
            if r.kind == ServiceKind::Repair {
                issues.push(
                    "service_rates",
                    &rec,
                    "kind",
                    "repair rates come from the repair curves, not service_rates".into(),
                );
            }
            if !(r.rate.is_finite() && r.rate >= 0.0) {
                issues.push(
                    "service_rates",
                    &rec,
                    "rate",
                    format!("expected a rate >= 0, got {}", r.rate),
                );
            }
            if !seen.insert((r.category.as_str(), r.kind)) {
                issues.push(
                    "service_rates",
                    &rec,
                    "kind",
                    format!("duplicate rate for {rec}"),
                );
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for r in &self.repair_history {
            let region = r.region.as_deref().unwrap_or("");
            let rec = format!(
                "{}/{}/{}{}{}",
                r.model,
                r.vintage,
                r.year,
                if region.is_empty() { "" } else { "/" },
                region
            );
            if !models.contains_key(r.model.as_str()) {
                issues.push(
                    "repair_history",
                    &rec,
                    "model",
                    format!("unknown model '{}' (not in products)", r.model),
                );
            }
            if let Some(code) = &r.region {
                if network.region_index(code).is_none() {
                    issues.push(
                        "repair_history",
                        &rec,
                        "region",
                        format!("unknown region '{code}'"),
                    );
                }
            }
            for (f, v) in [("vintage", r.vintage), ("year", r.year)] {
                if !YEARS.contains(&v) {
                    issues.push(
                        "repair_history",
                        &rec,
                        f,
                        format!("expected a year in 1900..=2200, got {v}"),
                    );
                }
            }
            if r.year < r.vintage {
                issues.push(
                    "repair_history",
                    &rec,
                    "year",
                    format!("year {} is before the vintage {}", r.year, r.vintage),
                );
            }
            if !(r.repairs.is_finite() && r.repairs >= 0.0) {
                issues.push(
                    "repair_history",
                    &rec,
                    "repairs",
                    format!("expected repairs >= 0, got {}", r.repairs),
                );
            }
            if !keys.insert((r.model.as_str(), r.vintage, r.year, region)) {
                issues.push(
                    "repair_history",
                    &rec,
                    "year",
                    format!("duplicate row for {rec}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_models() -> PlanningData {
        let product = |model: &str| Product {
            model: model.into(),
            category: "tv".into(),
            curve: RepairCurve::Table(vec![0.1]),
        };
        PlanningData {
            products: vec![product("A"), product("B")],
            ..Default::default()
        }
    }

    #[test]
    fn rate_tables_replace_the_curves_they_name_in_age_order() {
        let rows = [("A".to_string(), 1, 0.2), ("A".to_string(), 0, 0.3)];
        let d = two_models().with_rate_tables(rows).unwrap();
        assert_eq!(d.products[0].curve, RepairCurve::Table(vec![0.3, 0.2]));
        assert_eq!(d.products[1].curve, RepairCurve::Table(vec![0.1]));
    }

    #[test]
    fn rate_tables_refuse_bad_rates_unknown_models_and_gaps_in_age() {
        for (rows, says) in [
            (vec![("A".to_string(), 0, -0.1)], "rate -0.1"),
            (vec![("A".to_string(), 0, f64::NAN)], "rate NaN"),
            (
                vec![("Z".to_string(), 0, 0.1)],
                "'Z' is not in the products",
            ),
            (vec![("A".to_string(), 1, 0.1)], "ages must be 0..n"),
        ] {
            let e = two_models().with_rate_tables(rows).unwrap_err().to_string();
            assert!(e.contains("rates") && e.contains(says), "{e}");
        }
    }

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
