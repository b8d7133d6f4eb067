//! Demand forecast: expected tickets per region x skill x year from the installed base,
//! the repair curves, the retirement curves, the sales plan, the per-unit service rates
//! and the seasonality, with every assumption stated.
//!
//! The cohort arithmetic is vectorised with `ndarray`:
//!
//! - `units[region, model, vintage]`: the installed base, plus the sales of every year
//!   after its last vintage as new vintages (they enter the base and repair from age 0
//!   in their sales year);
//! - survival: units of vintage `v` in the base (counted in the base's last vintage
//!   year `B`) are in service in year `y` in the proportion `S(y - v) / S(B - v)`; units
//!   sold in year `s > B` in the proportion `S(y - s)`, with `S` the category's
//!   [`RetirementCurve`](crate::model::RetirementCurve) (none: `S = 1`, and a warning);
//! - `rate[model, age]`: the repair curves (x `repair_rate_factor`);
//! - for forecast year `y`, repairs per region and model are the dot product of each
//!   `units[r, m, ..]` lane with `rate[m, y - v] x survival`, then a one-hot
//!   `model x category` matrix sums models into categories.
//!
//! Skills are `kind:category`:
//!
//! | kind | tickets in year `y` | rate from |
//! | --- | --- | --- |
//! | repair | `sum_v units in service x rate(age)` | the repair curves |
//! | delivery | units sold in `y` x rate | option, else `service_rates`, else 1 |
//! | install | units sold in `y` x rate | option, else `service_rates`, else 1 |
//! | maintenance | units in service in `y` x rate | option, else `service_rates`, else none |
//! | inspection | units in service in `y` x rate | option, else `service_rates`, else none |
//!
//! [`Forecast::sources`] says, per skill, which inputs and rates were used.
//!
//! **Years.** The forecast years must lie in the data's [`window`] (first vintage ..
//! last sales-plan year + [`window::YEARS_PAST_DATA`]); outside, the error names `year`
//! or `years` and the window. Sales-plan rows of years already in the base are ignored.
//! Years after the plan's last year take a stated rule ([`SalesAfterPlan`]: hold the
//! last year flat by default, or a growth rate the user chooses) and every such year
//! gets a [`ForecastWarning`]; so do years with no sales, categories without a
//! retirement curve and kinds without a service rate. No year drops silently.
//!
//! **Peaks.** Seasonality (monthly shares per category, flat when absent) turns a
//! year's volume into months. A region's **peak month** is the busiest month of the
//! region's *total* (ties: the earlier month), and its peak day per skill is the
//! skill's tickets in that month / its days x `day_peak_factor`; summed over skills it
//! is the region's busiest day on average, never a sum of peaks of different months.
//! [`YearTotals::peak_day`] is the network's busiest month the same way.

mod options;
mod peak;
mod result;
mod sales;
mod synthetic;
pub mod window;

pub use options::{ForecastOptions, SalesAfterPlan};
pub use peak::busiest_month;
pub use result::{
    days_in_month, DemandSource, Forecast, ForecastRow, ForecastWarning, WarningKind, YearTotals,
};
pub use synthetic::synthetic_case;

use std::collections::BTreeMap;

use ndarray::{Array2, Array3, Axis};

use crate::model::{Issues, Network, PlanningData, RepairCurve, ServiceKind, Skill};
use crate::Result;

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
/// non-finite unit count, a year outside 1900..=2200. Years outside the data's window
/// are an argument error naming `year` (or `years`) and the window.
pub fn forecast(
    data: &PlanningData,
    network: &Network,
    opts: &ForecastOptions,
) -> Result<Forecast> {
    opts.validate()?;
    let win = window::check(data, opts.start_year, opts.years)?;
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

    // Vintage axis: v0 (>= the window's first year) ..= last_year; bounded by the window.
    let v0 = win.first.min(start);
    let n_r = network.regions().len();
    let n_m = products.len();
    let n_v = (last_year - v0 + 1).max(1) as usize;
    let mut units = Array3::<f64>::zeros((n_r, n_m, n_v));
    let mut base_last: Option<i32> = None;

    let region_of = |k: &str| network.region_index(k);
    let model_of = |k: &str| model_index.get(k).copied();
    let (mut rc, mut mc) = (Cached { last: None }, Cached { last: None });
    let mut missing_model: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &data.installed_base {
        let r = rc.get(&row.region, region_of);
        let m = mc.get(&row.model, model_of);
        let bad_units = !(row.units.is_finite() && row.units >= 0.0);
        let future = row.vintage > start;
        let bad_year = row.vintage < v0;
        match (r, m) {
            (Some(r), Some(m)) if !bad_units && !future && !bad_year => {
                units[[r, m, (row.vintage - v0) as usize]] += row.units;
                base_last = Some(base_last.map_or(row.vintage, |b| b.max(row.vintage)));
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
                } else if bad_year {
                    issues.push(
                        "installed_base",
                        &rec,
                        "vintage",
                        format!("expected a year in 1900..=2200, got {}", row.vintage),
                    );
                }
            }
        }
    }
    let plan = read_plan(
        data,
        network,
        &model_index,
        opts,
        &mut issues,
        &mut missing_model,
    );
    for (model, source) in missing_model {
        issues.push(
            source,
            model,
            "model",
            format!("missing repair curve for model '{model}' (not in products)"),
        );
    }
    issues.into_result()?;

    // Sales: every year after the base's last vintage enters the base; years from the
    // start also make delivery and install tickets.
    let mut warnings = Vec::new();
    let mut sales = Array3::<f64>::zeros((n_r, n_m, n_years));
    let first_cohort = base_last.map_or(start, |b| (b + 1).min(start));
    for y in first_cohort..=last_year {
        let (s, w) = sales::sales_of(plan.as_ref(), y, (n_r, n_m), opts);
        warnings.extend(w);
        let mut lane = units.index_axis_mut(Axis(2), (y - v0) as usize);
        lane += &s;
        if y >= start {
            sales
                .index_axis_mut(Axis(2), (y - start) as usize)
                .assign(&s);
        }
    }

    // Survival of each vintage in each forecast year, per category.
    let curves: Vec<Option<crate::model::RetirementCurve>> = categories
        .iter()
        .map(|c| data.retirement.get(*c).copied().filter(|_| opts.retirement))
        .collect();
    let no_curve: Vec<&str> = categories
        .iter()
        .zip(&curves)
        .filter(|(_, c)| c.is_none())
        .map(|(c, _)| *c)
        .collect();
    if opts.retirement && !no_curve.is_empty() {
        warnings.push(ForecastWarning {
            kind: WarningKind::NoRetirementCurve,
            year: None,
            message: format!(
                "no retirement curve for {}: their units never leave the installed base \
                 (add rows to retirement.csv)",
                no_curve.join(", ")
            ),
        });
    }
    let survival = |c: usize, v: i32, y: i32| -> f64 {
        match (&curves[c], base_last) {
            (None, _) => 1.0,
            (Some(s), Some(b)) if v <= b => {
                let at_base = s.survival(b - v);
                if at_base > 0.0 {
                    s.survival(y - v) / at_base
                } else {
                    0.0
                }
            }
            (Some(s), _) => s.survival(y - v),
        }
    };

    // rate[m, age] for every age the horizon can reach.
    let mut rate = Array2::<f64>::zeros((n_m, n_v));
    for (m, p) in products.iter().enumerate() {
        for a in 0..n_v {
            rate[[m, a]] = p.curve.rate(a as u32) * opts.repair_rate_factor;
        }
    }
    let n_c = categories.len();
    let mut onehot = Array2::<f64>::zeros((n_m, n_c));
    for (m, &c) in cat_of.iter().enumerate() {
        onehot[[m, c]] = 1.0;
    }

    // Per year: repairs and units in service per region x category; sales per category.
    let mut repairs = Array3::<f64>::zeros((n_r, n_c, n_years));
    let mut in_service = Array3::<f64>::zeros((n_r, n_c, n_years));
    let mut sold = Array3::<f64>::zeros((n_r, n_c, n_years));
    for k in 0..n_years {
        let y = start + k as i32;
        let upto = (y - v0 + 1) as usize; // vintages v0..=y
        let mut w = Array2::<f64>::zeros((n_m, n_v));
        let mut alive = Array2::<f64>::zeros((n_m, n_v));
        for m in 0..n_m {
            for v in 0..upto {
                let s = survival(cat_of[m], v0 + v as i32, y);
                alive[[m, v]] = s;
                w[[m, v]] = rate[[m, upto - 1 - v]] * s;
            }
        }
        let mut rep_rm = Array2::<f64>::zeros((n_r, n_m));
        let mut svc_rm = Array2::<f64>::zeros((n_r, n_m));
        for (r, ur) in units.outer_iter().enumerate() {
            for (m, lane) in ur.outer_iter().enumerate() {
                rep_rm[[r, m]] = lane.dot(&w.row(m));
                svc_rm[[r, m]] = lane.dot(&alive.row(m));
            }
        }
        repairs
            .index_axis_mut(Axis(2), k)
            .assign(&rep_rm.dot(&onehot));
        in_service
            .index_axis_mut(Axis(2), k)
            .assign(&svc_rm.dot(&onehot));
        sold.index_axis_mut(Axis(2), k)
            .assign(&sales.index_axis(Axis(2), k).dot(&onehot));
    }

    // Skills, their rates and where they came from.
    let has_sales: Vec<bool> = (0..n_c)
        .map(|c| sold.index_axis(Axis(1), c).sum() > 0.0)
        .collect();
    let rates = service_rates(data, opts, &categories, &has_sales, &mut warnings);
    let mut skill_list: Vec<(Skill, usize, ServiceKind, f64)> = Vec::new();
    let mut sources = Vec::new();
    for (c, cat) in categories.iter().enumerate() {
        let repair_inputs = repair_inputs(&products, cat, &curves[c], base_last, opts);
        for kind in ServiceKind::ALL {
            let skill = Skill {
                kind,
                category: (*cat).to_string(),
            };
            let (rate, inputs) = match kind {
                ServiceKind::Repair => (Some(1.0), repair_inputs.clone()),
                _ => rates[&(c, kind)].clone(),
            };
            let volume = match kind {
                ServiceKind::Delivery | ServiceKind::Install => has_sales[c],
                _ => true,
            };
            let on = volume && rate.is_some_and(|r| r > 0.0);
            sources.push(DemandSource {
                skill: skill.to_string(),
                forecast: on,
                rate: rate.filter(|_| kind != ServiceKind::Repair),
                inputs,
            });
            if on {
                skill_list.push((skill, c, kind, rate.unwrap_or(0.0)));
            }
        }
    }
    skill_list.sort_by_key(|(s, ..)| s.to_string());
    let n_s = skill_list.len();
    let mut tickets = Array3::<f64>::zeros((n_r, n_s, n_years));
    for (s, (_, c, kind, rate)) in skill_list.iter().enumerate() {
        let src = match kind {
            ServiceKind::Repair => &repairs,
            ServiceKind::Delivery | ServiceKind::Install => &sold,
            ServiceKind::Maintenance | ServiceKind::Inspection => &in_service,
        };
        tickets
            .index_axis_mut(Axis(1), s)
            .assign(&(&src.index_axis(Axis(1), *c) * *rate));
    }

    // Seasonality: each skill's own profile peak, each region's peak month of its total.
    let flat = [1.0 / 12.0; 12];
    let mut peak_month = Array2::<u32>::zeros((n_s, n_years));
    let mut peak_share = Array2::<f64>::zeros((n_s, n_years));
    let mut monthly_share = Array2::<f64>::zeros((n_s, 12));
    for (s, (skill, ..)) in skill_list.iter().enumerate() {
        let shares = data.seasonality.get(&skill.category).unwrap_or(&flat);
        for (mo, v) in shares.iter().enumerate() {
            monthly_share[[s, mo]] = *v;
        }
        let best = busiest_month(|m| shares[m]);
        for k in 0..n_years {
            peak_month[[s, k]] = best;
            peak_share[[s, k]] = shares[best as usize - 1];
        }
    }
    let years: Vec<i32> = (start..=last_year).collect();
    let (region_peak_month, peak_day) =
        peak::region_peaks(&tickets, &monthly_share, &years, opts.day_peak_factor);

    Ok(Forecast {
        regions: network.regions().iter().map(|r| r.code.clone()).collect(),
        skills: skill_list.into_iter().map(|(s, ..)| s).collect(),
        years,
        tickets,
        peak_day,
        peak_month,
        peak_share,
        monthly_share,
        region_peak_month,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        units_in_service: in_service,
        warnings,
        sources,
        day_peak_factor: opts.day_peak_factor,
    })
}

/// The sales plan's valid rows as a [`sales::Plan`] (x `sales_factor`); bad rows become
/// issues. `None` when it has no rows.
fn read_plan<'a>(
    data: &'a PlanningData,
    network: &Network,
    model_index: &BTreeMap<&str, usize>,
    opts: &ForecastOptions,
    issues: &mut Issues,
    missing_model: &mut BTreeMap<&'a str, &'static str>,
) -> Option<sales::Plan> {
    let years = || {
        data.sales_plan
            .iter()
            .map(|r| r.year)
            .filter(|y| crate::model::YEARS.contains(y))
    };
    let (first, last) = (years().min()?, years().max()?);
    let n_p = (last - first + 1) as usize;
    let mut units = Array3::<f64>::zeros((network.regions().len(), model_index.len(), n_p));
    let mut has_rows = vec![false; n_p];
    let region_of = |k: &str| network.region_index(k);
    let model_of = |k: &str| model_index.get(k).copied();
    let (mut rc, mut mc) = (Cached { last: None }, Cached { last: None });
    for row in &data.sales_plan {
        let r = rc.get(&row.region, region_of);
        let m = mc.get(&row.model, model_of);
        let bad_units = !(row.units.is_finite() && row.units >= 0.0);
        let bad_year = !crate::model::YEARS.contains(&row.year);
        match (r, m) {
            (Some(r), Some(m)) if !bad_units && !bad_year => {
                let k = (row.year - first) as usize;
                units[[r, m, k]] += row.units * opts.sales_factor;
                has_rows[k] = true;
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
                if bad_year {
                    issues.push(
                        "sales_plan",
                        &rec,
                        "year",
                        format!("expected a year in 1900..=2200, got {}", row.year),
                    );
                }
            }
        }
    }
    Some(sales::Plan {
        first,
        units,
        has_rows,
    })
}

/// Rate and source text of every non-repair kind per category, `(category, kind)`;
/// warns about kinds without a rate.
fn service_rates(
    data: &PlanningData,
    opts: &ForecastOptions,
    categories: &[&str],
    has_sales: &[bool],
    warnings: &mut Vec<ForecastWarning>,
) -> BTreeMap<(usize, ServiceKind), (Option<f64>, String)> {
    let mut out = BTreeMap::new();
    for kind in [
        ServiceKind::Delivery,
        ServiceKind::Install,
        ServiceKind::Maintenance,
        ServiceKind::Inspection,
    ] {
        let (option, name, per, default) = match kind {
            ServiceKind::Delivery => (
                opts.delivery_per_sale,
                "delivery_per_sale",
                "unit sold",
                Some(1.0),
            ),
            ServiceKind::Install => (
                opts.install_per_sale,
                "install_per_sale",
                "unit sold",
                Some(1.0),
            ),
            ServiceKind::Maintenance => (
                opts.maintenance_per_unit,
                "maintenance_per_unit",
                "unit in service per year",
                None,
            ),
            _ => (
                opts.inspection_per_unit,
                "inspection_per_unit",
                "unit in service per year",
                None,
            ),
        };
        let base = match kind {
            ServiceKind::Delivery | ServiceKind::Install => "units sold (sales plan)",
            _ => "units in service (installed base + sales - retirements)",
        };
        let mut missing = Vec::new();
        for (c, cat) in categories.iter().enumerate() {
            let data_rate = data.service_rate(cat, kind);
            let (rate, from) = match (option, data_rate, default) {
                (Some(x), ..) => (Some(x), format!("option {name}")),
                (None, Some(x), _) => (Some(x), "service_rates".to_string()),
                (None, None, Some(x)) => (Some(x), "default: no service_rates row".to_string()),
                (None, None, None) => (None, String::new()),
            };
            let text = match rate {
                Some(x)
                    if matches!(kind, ServiceKind::Delivery | ServiceKind::Install)
                        && !has_sales[c] =>
                {
                    format!("none: no units sold in the forecast years ({x} per {per}, {from})")
                }
                Some(x) => format!("{base} x {x} per {per} ({from})"),
                None => {
                    missing.push(*cat);
                    format!("not forecast: no rate in service_rates and no option {name}")
                }
            };
            out.insert((c, kind), (rate, text));
        }
        if !missing.is_empty() {
            warnings.push(ForecastWarning {
                kind: WarningKind::NoServiceRate,
                year: None,
                message: format!(
                    "{}: no per-unit rate for {} (service_rates.csv or option {name}): \
                     not forecast there",
                    kind.as_str(),
                    missing.join(", ")
                ),
            });
        }
    }
    out
}

/// The source text of a category's repairs.
fn repair_inputs(
    products: &[&crate::model::Product],
    category: &str,
    curve: &Option<crate::model::RetirementCurve>,
    base_last: Option<i32>,
    opts: &ForecastOptions,
) -> String {
    let (mut tables, mut weibull) = (0, 0);
    for p in products.iter().filter(|p| p.category == category) {
        match p.curve {
            RepairCurve::Table(_) => tables += 1,
            RepairCurve::Weibull { .. } => weibull += 1,
        }
    }
    let base = base_last.map_or("sales".to_string(), |b| {
        format!("installed base (counted in {b}) + later sales")
    });
    let retire = match curve {
        Some(c) => format!("retired by life {} years, shape {}", c.life, c.shape),
        None if opts.retirement => "never retired (no retirement curve)".to_string(),
        None => "never retired (option retirement = false)".to_string(),
    };
    let factor = if opts.repair_rate_factor == 1.0 {
        String::new()
    } else {
        format!(" x {}", opts.repair_rate_factor)
    };
    format!("{base}, {retire}, x repair curves ({tables} table, {weibull} weibull){factor}")
}

#[cfg(test)]
mod tests;
