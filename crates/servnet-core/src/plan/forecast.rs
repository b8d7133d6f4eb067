//! Demand forecast: expected tickets per region x skill x year from the installed base,
//! the repair curves, the sales plan and the seasonality.
//!
//! The cohort arithmetic is vectorised with `ndarray`:
//!
//! - `units[region, model, vintage]`: the installed base, plus each forecast year's
//!   planned sales as a new vintage (they enter the base and repair from age 0 in their
//!   sales year);
//! - `rate[model, age]`: the repair curves (x `repair_rate_factor`);
//! - for forecast year `y`, repairs per region and model are the dot product of each
//!   `units[r, m, ..]` lane with `rate[m, y - vintage]` (zero for later vintages), then
//!   a one-hot `model x category` matrix sums models into categories.
//!
//! Skills are `kind:category`:
//!
//! | kind | tickets in year `y` | default |
//! | --- | --- | --- |
//! | repair | `sum_v units x rate(age)` | always |
//! | delivery | planned units sold in `y` x `delivery_per_sale` | 1 per unit sold |
//! | install | planned units sold in `y` x `install_per_sale` | 1 per unit sold |
//! | maintenance | units in service in `y` x `maintenance_per_unit` | 0 (off) |
//! | inspection | units in service in `y` x `inspection_per_unit` | 0 (off) |
//!
//! Units in service never leave the base over the horizon (no scrapping: the installed
//! base is read as "still in service", and a conservative plan carries it forward).
//! Sales-plan rows before the start year are ignored (they are in the base already);
//! rows after the horizon too.
//!
//! Seasonality (monthly shares per category, flat when absent) turns a year's volume
//! into the **peak month** (largest share; ties: the earlier month) and the **peak
//! day** = year x peak share / days in that month x `day_peak_factor` (a factor > 1
//! covers day-to-day swings inside the month). Every kind of a category follows the
//! category's profile.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ndarray::{Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

use crate::model::{Issues, Network, PlanningData, RepairCurve, ServiceKind, Skill};
use crate::{Error, Result};

/// Options of [`forecast`]. Defaults are documented per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ForecastOptions {
    /// First forecast year (default 2026). Installed-base vintages after it are errors.
    pub start_year: i32,
    /// Number of forecast years (default 1).
    pub years: u32,
    /// Delivery tickets per unit sold, in the sales year (default 1).
    pub delivery_per_sale: f64,
    /// Install tickets per unit sold, in the sales year (default 1).
    pub install_per_sale: f64,
    /// Maintenance tickets per unit in service per year (default 0: none).
    pub maintenance_per_unit: f64,
    /// Inspection tickets per unit in service per year (default 0: none).
    pub inspection_per_unit: f64,
    /// Multiplies every repair rate (scenarios: 1.1 = repair rates +10%; default 1).
    pub repair_rate_factor: f64,
    /// Multiplies every sales-plan row (scenarios: 0.8 = sales -20%; default 1).
    pub sales_factor: f64,
    /// Peak day = peak-month daily mean x this factor (default 1).
    pub day_peak_factor: f64,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            start_year: 2026,
            years: 1,
            delivery_per_sale: 1.0,
            install_per_sale: 1.0,
            maintenance_per_unit: 0.0,
            inspection_per_unit: 0.0,
            repair_rate_factor: 1.0,
            sales_factor: 1.0,
            day_peak_factor: 1.0,
        }
    }
}

impl ForecastOptions {
    /// The defaults, for `years` years from `start_year`.
    pub fn new(start_year: i32, years: u32) -> Self {
        ForecastOptions {
            start_year,
            years,
            ..Default::default()
        }
    }

    fn validate(&self) -> Result<()> {
        if self.years == 0 || self.years > 100 {
            return Err(Error::argument(
                "years",
                format!("expected 1..=100, got {}", self.years),
            ));
        }
        for (name, v) in [
            ("delivery_per_sale", self.delivery_per_sale),
            ("install_per_sale", self.install_per_sale),
            ("maintenance_per_unit", self.maintenance_per_unit),
            ("inspection_per_unit", self.inspection_per_unit),
            ("repair_rate_factor", self.repair_rate_factor),
            ("sales_factor", self.sales_factor),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::argument(
                    name,
                    format!("expected a finite number >= 0, got {v}"),
                ));
            }
        }
        if !(self.day_peak_factor.is_finite() && self.day_peak_factor > 0.0) {
            return Err(Error::argument(
                "day_peak_factor",
                format!("expected a number > 0, got {}", self.day_peak_factor),
            ));
        }
        Ok(())
    }
}

/// One row of the tidy forecast table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// Region code.
    pub region: String,
    /// Skill, `kind:category`.
    pub skill: String,
    /// Forecast year.
    pub year: i32,
    /// Expected tickets in the year.
    pub tickets: f64,
    /// Peak month, 1..=12.
    pub peak_month: u32,
    /// Expected tickets on a peak day.
    pub peak_day: f64,
}

/// Headline figures of one forecast year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearTotals {
    /// The year.
    pub year: i32,
    /// Expected tickets in the year, all regions and skills.
    pub tickets: f64,
    /// Expected tickets by service kind (`repair`, `install`, ...).
    pub by_kind: BTreeMap<String, f64>,
    /// Sum over regions and skills of the peak-day tickets (a network-wide peak day
    /// when the peaks coincide; an upper bound otherwise).
    pub peak_day: f64,
}

/// Expected tickets per region x skill x year, with peak month and peak day.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Region codes (the network's order: sorted).
    pub regions: Vec<String>,
    /// Skills forecast (sorted by their `kind:category` text).
    pub skills: Vec<Skill>,
    /// Forecast years, ascending.
    pub years: Vec<i32>,
    /// Expected tickets per year, `[region, skill, year]`.
    pub tickets: Array3<f64>,
    /// Expected tickets on the peak day, `[region, skill, year]`.
    pub peak_day: Array3<f64>,
    /// Peak month (1..=12), `[skill, year]`.
    pub peak_month: Array2<u32>,
    /// The peak month's share of the year, `[skill, year]`.
    pub peak_share: Array2<f64>,
    /// Monthly shares of the year, `[skill, month 0..12]` (the category's profile).
    pub monthly_share: Array2<f64>,
}

impl Forecast {
    /// Index of a year, if forecast.
    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|&y| y == year)
    }

    /// The tidy table: one row per region, skill and year with tickets > 0, in that
    /// order.
    pub fn rows(&self) -> Vec<ForecastRow> {
        let mut out = Vec::new();
        for (r, region) in self.regions.iter().enumerate() {
            for (s, skill) in self.skills.iter().enumerate() {
                let name = skill.to_string();
                for (k, &year) in self.years.iter().enumerate() {
                    let t = self.tickets[[r, s, k]];
                    if t > 0.0 {
                        out.push(ForecastRow {
                            region: region.clone(),
                            skill: name.clone(),
                            year,
                            tickets: t,
                            peak_month: self.peak_month[[s, k]],
                            peak_day: self.peak_day[[r, s, k]],
                        });
                    }
                }
            }
        }
        out
    }

    /// Totals per year.
    pub fn totals(&self) -> Vec<YearTotals> {
        self.years
            .iter()
            .enumerate()
            .map(|(k, &year)| {
                let t = self.tickets.index_axis(Axis(2), k);
                let mut by_kind = BTreeMap::new();
                for (s, skill) in self.skills.iter().enumerate() {
                    *by_kind
                        .entry(skill.kind.as_str().to_string())
                        .or_insert(0.0) += t.index_axis(Axis(1), s).sum();
                }
                YearTotals {
                    year,
                    tickets: t.sum(),
                    by_kind,
                    peak_day: self.peak_day.index_axis(Axis(2), k).sum(),
                }
            })
            .collect()
    }
}

/// Days in `month` (1..=12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month >= 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(30, |d| d.day())
}

/// Resolves string ids to indices, remembering the last lookup: planning rows come
/// grouped by region and model, so most rows cost one string comparison.
struct Cached<'a> {
    last: Option<(&'a str, Option<usize>)>,
}

impl<'a> Cached<'a> {
    fn get(&mut self, key: &'a str, look: impl Fn(&str) -> Option<usize>) -> Option<usize> {
        match self.last {
            Some((k, v)) if k == key => v,
            _ => {
                let v = look(key);
                self.last = Some((key, v));
                v
            }
        }
    }
}

/// Forecasts tickets for `opts.years` years from `opts.start_year`.
///
/// `data` is usually read and validated by [`crate::io::read_planning`]; this function
/// re-checks only what the arithmetic depends on, and reports all problems together:
/// a region unknown to `network`, a model without a repair curve (not in the products,
/// or an empty table), an installed-base vintage after the start year, a negative or
/// non-finite unit count.
pub fn forecast(
    data: &PlanningData,
    network: &Network,
    opts: &ForecastOptions,
) -> Result<Forecast> {
    opts.validate()?;
    let mut issues = Issues::default();
    let start = opts.start_year;
    let n_years = opts.years as usize;
    let last_year = start + opts.years as i32 - 1;

    // Models and categories.
    let mut products: Vec<_> = data.products.iter().collect();
    products.sort_by(|a, b| a.model.cmp(&b.model));
    let model_index: BTreeMap<&str, usize> = products
        .iter()
        .enumerate()
        .map(|(i, p)| (p.model.as_str(), i))
        .collect();
    let categories: Vec<&str> = {
        let set: std::collections::BTreeSet<&str> =
            products.iter().map(|p| p.category.as_str()).collect();
        set.into_iter().collect()
    };
    let cat_of: Vec<usize> = products
        .iter()
        .map(|p| {
            categories
                .iter()
                .position(|c| *c == p.category)
                .unwrap_or(0)
        })
        .collect();
    for p in &products {
        if matches!(&p.curve, RepairCurve::Table(t) if t.is_empty()) {
            issues.push(
                "repair_rates",
                &p.model,
                "model",
                format!("missing repair curve for model '{}' (no rates)", p.model),
            );
        }
    }

    let v0 = data
        .installed_base
        .iter()
        .map(|r| r.vintage)
        .min()
        .unwrap_or(start)
        .min(start);
    let n_r = network.regions().len();
    let n_m = products.len();
    let n_v = (last_year - v0 + 1).max(1) as usize;
    let mut units = Array3::<f64>::zeros((n_r, n_m, n_v));
    let mut sales = Array3::<f64>::zeros((n_r, n_m, n_years));

    let region_of = |k: &str| network.region_index(k);
    let model_of = |k: &str| model_index.get(k).copied();
    let (mut rc, mut mc) = (Cached { last: None }, Cached { last: None });
    let mut missing_model: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &data.installed_base {
        let r = rc.get(&row.region, region_of);
        let m = mc.get(&row.model, model_of);
        let bad_units = !(row.units.is_finite() && row.units >= 0.0);
        let future = row.vintage > start;
        match (r, m) {
            (Some(r), Some(m)) if !bad_units && !future => {
                units[[r, m, (row.vintage - v0) as usize]] += row.units;
            }
            _ => {
                let rec = format!("{}/{}/{}", row.region, row.model, row.vintage);
                if r.is_none() {
                    issues.push(
                        "installed_base",
                        &rec,
                        "region",
                        format!("unknown region '{}'", row.region),
                    );
                }
                if m.is_none() {
                    missing_model.entry(&row.model).or_insert("installed_base");
                }
                if bad_units {
                    issues.push(
                        "installed_base",
                        &rec,
                        "units",
                        format!("expected units >= 0, got {}", row.units),
                    );
                }
                if future {
                    issues.push(
                        "installed_base",
                        &rec,
                        "vintage",
                        format!(
                            "vintage {} is in the future of the forecast start year {start}",
                            row.vintage
                        ),
                    );
                }
            }
        }
    }
    let (mut rc, mut mc) = (Cached { last: None }, Cached { last: None });
    for row in &data.sales_plan {
        let r = rc.get(&row.region, region_of);
        let m = mc.get(&row.model, model_of);
        let bad_units = !(row.units.is_finite() && row.units >= 0.0);
        match (r, m) {
            (Some(r), Some(m)) if !bad_units => {
                if (start..=last_year).contains(&row.year) {
                    let u = row.units * opts.sales_factor;
                    units[[r, m, (row.year - v0) as usize]] += u;
                    sales[[r, m, (row.year - start) as usize]] += u;
                }
            }
            _ => {
                let rec = format!("{}/{}/{}", row.region, row.model, row.year);
                if r.is_none() {
                    issues.push(
                        "sales_plan",
                        &rec,
                        "region",
                        format!("unknown region '{}'", row.region),
                    );
                }
                if m.is_none() {
                    missing_model.entry(&row.model).or_insert("sales_plan");
                }
                if bad_units {
                    issues.push(
                        "sales_plan",
                        &rec,
                        "units",
                        format!("expected units >= 0, got {}", row.units),
                    );
                }
            }
        }
    }
    for (model, source) in missing_model {
        issues.push(
            source,
            model,
            "model",
            format!("missing repair curve for model '{model}' (not in products)"),
        );
    }
    issues.into_result()?;

    // rate[m, age] for every age the horizon can reach.
    let n_age = n_v;
    let mut rate = Array2::<f64>::zeros((n_m, n_age));
    for (m, p) in products.iter().enumerate() {
        for a in 0..n_age {
            rate[[m, a]] = p.curve.rate(a as u32) * opts.repair_rate_factor;
        }
    }
    let mut onehot = Array2::<f64>::zeros((n_m, categories.len()));
    for (m, &c) in cat_of.iter().enumerate() {
        onehot[[m, c]] = 1.0;
    }

    // Per year: repairs and units in service per region x category; sales per category.
    let n_c = categories.len();
    let mut repairs = Array3::<f64>::zeros((n_r, n_c, n_years));
    let mut in_service = Array3::<f64>::zeros((n_r, n_c, n_years));
    let mut sold = Array3::<f64>::zeros((n_r, n_c, n_years));
    let need_service = opts.maintenance_per_unit > 0.0 || opts.inspection_per_unit > 0.0;
    for k in 0..n_years {
        let y = start + k as i32;
        let upto = (y - v0 + 1) as usize; // vintages v0..=y
        let mut w = Array2::<f64>::zeros((n_m, n_v));
        for m in 0..n_m {
            for v in 0..upto {
                w[[m, v]] = rate[[m, upto - 1 - v]];
            }
        }
        let mut rep_rm = Array2::<f64>::zeros((n_r, n_m));
        let mut svc_rm = Array2::<f64>::zeros((n_r, n_m));
        for (r, ur) in units.outer_iter().enumerate() {
            for (m, lane) in ur.outer_iter().enumerate() {
                rep_rm[[r, m]] = lane.dot(&w.row(m));
                if need_service {
                    svc_rm[[r, m]] = lane.iter().take(upto).sum();
                }
            }
        }
        repairs
            .index_axis_mut(Axis(2), k)
            .assign(&rep_rm.dot(&onehot));
        if need_service {
            in_service
                .index_axis_mut(Axis(2), k)
                .assign(&svc_rm.dot(&onehot));
        }
        sold.index_axis_mut(Axis(2), k)
            .assign(&sales.index_axis(Axis(2), k).dot(&onehot));
    }

    // Skills and their tickets.
    let has_sales: Vec<bool> = (0..n_c)
        .map(|c| sold.index_axis(Axis(1), c).sum() > 0.0)
        .collect();
    let mut skill_list: Vec<(Skill, usize, ServiceKind)> = Vec::new();
    for (c, cat) in categories.iter().enumerate() {
        let mut add = |kind: ServiceKind| {
            skill_list.push((
                Skill {
                    kind,
                    category: (*cat).to_string(),
                },
                c,
                kind,
            ))
        };
        add(ServiceKind::Repair);
        if has_sales[c] && opts.delivery_per_sale > 0.0 {
            add(ServiceKind::Delivery);
        }
        if has_sales[c] && opts.install_per_sale > 0.0 {
            add(ServiceKind::Install);
        }
        if opts.maintenance_per_unit > 0.0 {
            add(ServiceKind::Maintenance);
        }
        if opts.inspection_per_unit > 0.0 {
            add(ServiceKind::Inspection);
        }
    }
    skill_list.sort_by_key(|(s, _, _)| s.to_string());
    let n_s = skill_list.len();
    let mut tickets = Array3::<f64>::zeros((n_r, n_s, n_years));
    for (s, (_, c, kind)) in skill_list.iter().enumerate() {
        let (src, factor) = match kind {
            ServiceKind::Repair => (&repairs, 1.0),
            ServiceKind::Delivery => (&sold, opts.delivery_per_sale),
            ServiceKind::Install => (&sold, opts.install_per_sale),
            ServiceKind::Maintenance => (&in_service, opts.maintenance_per_unit),
            ServiceKind::Inspection => (&in_service, opts.inspection_per_unit),
        };
        tickets
            .index_axis_mut(Axis(1), s)
            .assign(&(&src.index_axis(Axis(1), *c) * factor));
    }

    // Seasonality: peak month and day.
    let flat = [1.0 / 12.0; 12];
    let mut peak_month = Array2::<u32>::zeros((n_s, n_years));
    let mut peak_share = Array2::<f64>::zeros((n_s, n_years));
    let mut peak_day = Array3::<f64>::zeros((n_r, n_s, n_years));
    let mut monthly_share = Array2::<f64>::zeros((n_s, 12));
    for (s, (skill, _, _)) in skill_list.iter().enumerate() {
        let shares = data.seasonality.get(&skill.category).unwrap_or(&flat);
        for (mo, v) in shares.iter().enumerate() {
            monthly_share[[s, mo]] = *v;
        }
        let mut best = 0;
        for (i, v) in shares.iter().enumerate() {
            if *v > shares[best] {
                best = i;
            }
        }
        for k in 0..n_years {
            let month = best as u32 + 1;
            let days = f64::from(days_in_month(start + k as i32, month));
            peak_month[[s, k]] = month;
            peak_share[[s, k]] = shares[best];
            let f = shares[best] / days * opts.day_peak_factor;
            let src = tickets.index_axis(Axis(2), k);
            let mut pk = peak_day.index_axis_mut(Axis(2), k);
            pk.index_axis_mut(Axis(1), s)
                .assign(&(&src.index_axis(Axis(1), s) * f));
        }
    }

    Ok(Forecast {
        regions: network.regions().iter().map(|r| r.code.clone()).collect(),
        skills: skill_list.into_iter().map(|(s, _, _)| s).collect(),
        years: (start..=last_year).collect(),
        tickets,
        peak_day,
        peak_month,
        peak_share,
        monthly_share,
    })
}

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
    let mut rng = super::location::SplitMix64::new(seed);
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
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
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
        // 2027: ages 3, 2, 1; no sales planned in 2027.
        let y27 = 1000.0 * 0.08 + 2000.0 * 0.08 + 500.0 * 0.05;
        assert!((get(&f, "R1", "repair:tv", 2027) - y27).abs() < 1e-9);
        assert_eq!(get(&f, "R1", "delivery:tv", 2026), 500.0);
        assert_eq!(get(&f, "R1", "install:tv", 2026), 500.0);
        assert_eq!(get(&f, "R1", "install:tv", 2027), 0.0);
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
        assert_eq!(f.rows().len(), 3 + 1);
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
            maintenance_per_unit: 0.5,
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
            let opts = ForecastOptions { maintenance_per_unit: 0.2, ..ForecastOptions::new(2026, years) };
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
}
