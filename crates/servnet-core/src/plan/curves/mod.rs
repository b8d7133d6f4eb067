//! Repair curves estimated from repair history: the rates by age that the forecast
//! takes, fitted from past repairs with the installed base as exposure.
//!
//! For every model with history:
//!
//! 1. **Cells**: repairs and unit-years of exposure by age ([`exposure`](self) module:
//!    units of vintage `v` are age `y - v` in year `y`, retirements run backwards).
//! 2. **Category curves**: each category's models pooled, both families fitted by
//!    maximum likelihood (Poisson counts), the one with the lower AIC kept.
//! 3. **Model curves**: both families fitted again per model, now *maximum a
//!    posteriori* with a Gaussian prior centred on the category's parameters (sd
//!    [`FitOptions::prior_sd`] on the log/logit scale). A model with much data is
//!    barely moved (its `prior_weight` is near 0); a sparse one is pulled toward its
//!    category (near 1); a model without any history takes the category's curve. The
//!    family is chosen by AIC when the model has at least
//!    [`FitOptions::min_repairs`] repairs, else it is the category's.
//! 4. **Intervals**: the fitted rate at each age with a 95% interval (delta method on
//!    the log rate, covariance = inverse Hessian of the objective), next to the observed
//!    rate (repairs / exposure) with its exact-Poisson 95% interval.
//!
//! The families are in [`family`]; the optimiser is `argmin`'s Nelder-Mead.

mod exposure;
pub mod family;
mod mle;
mod synthetic;

pub use family::Family;
pub use synthetic::{synthetic_history, SyntheticHistory};

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Network, PlanningData, RepairCurve};
use crate::{Error, Result};
use mle::{Cells, Fitted, Prior};

/// Options of [`fit_repair_curves`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitOptions {
    /// Ages in the output: `0..=max_age` (default `None`: 20, or the oldest observed age
    /// if older; at most 200).
    pub max_age: Option<u32>,
    /// Pooling strength: sd of the prior around the category's parameters, on the
    /// log/logit scale (default 0.5; smaller pools harder).
    pub prior_sd: f64,
    /// A model needs this many repairs to choose its own family by AIC (default 200).
    pub min_repairs: f64,
    /// Run retirements backwards to get past exposure (default true).
    pub retirement: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_age: None,
            prior_sd: 0.5,
            min_repairs: 200.0,
            retirement: true,
        }
    }
}

/// The fitted rate of one model at one age, with the observed one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellFit {
    /// Model id.
    pub model: String,
    /// Product category.
    pub category: String,
    /// Age in years (0 = year of sale).
    pub age: u32,
    /// Fitted repairs per unit-year.
    pub rate: f64,
    /// Lower end of the fitted rate's 95% interval.
    pub rate_lo: f64,
    /// Upper end of the fitted rate's 95% interval.
    pub rate_hi: f64,
    /// Observed rate, repairs / exposure (`None` without exposure at this age).
    pub observed: Option<f64>,
    /// Lower end of the observed rate's exact-Poisson 95% interval.
    pub observed_lo: Option<f64>,
    /// Upper end of the observed rate's exact-Poisson 95% interval.
    pub observed_hi: Option<f64>,
    /// Unit-years of exposure at this age.
    pub exposure: f64,
    /// Repairs counted at this age.
    pub repairs: f64,
}

/// The fitted curve of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFit {
    /// Model id.
    pub model: String,
    /// Product category.
    pub category: String,
    /// The family kept.
    pub curve: Family,
    /// `model` (its own history, pooled toward the category) or `category` (no history:
    /// the category's curve).
    pub source: String,
    /// Parameters in natural units (see [`Family::natural`]).
    pub params: BTreeMap<String, f64>,
    /// AIC of the Weibull fit (`None`: not fitted).
    pub aic_weibull: Option<f64>,
    /// AIC of the bathtub fit (`None`: not fitted).
    pub aic_bathtub: Option<f64>,
    /// Share of the estimate's precision from the category prior (0: data alone).
    pub prior_weight: f64,
    /// Unit-years of exposure.
    pub exposure: f64,
    /// Repairs counted.
    pub repairs: f64,
}

/// Fitted repair curves: one [`ModelFit`] per model and one [`CellFit`] per model and
/// age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveFit {
    /// Per model, sorted by model id.
    pub models: Vec<ModelFit>,
    /// Per model and age, sorted by model then age.
    pub cells: Vec<CellFit>,
    /// What could not be used or fitted, in words.
    pub warnings: Vec<String>,
}

impl CurveFit {
    /// The fitted rates as table curves, by model (the forecast's input).
    pub fn repair_curves(&self) -> BTreeMap<String, RepairCurve> {
        let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for c in &self.cells {
            out.entry(c.model.clone()).or_default().push(c.rate);
        }
        out.into_iter()
            .map(|(m, r)| (m, RepairCurve::Table(r)))
            .collect()
    }

    /// `data` with every fitted model's curve replaced by its fitted table.
    pub fn apply(&self, data: &PlanningData) -> PlanningData {
        let curves = self.repair_curves();
        let mut out = data.clone();
        for p in &mut out.products {
            if let Some(c) = curves.get(&p.model) {
                p.curve = c.clone();
            }
        }
        out
    }
}

fn check(opts: &FitOptions) -> Result<()> {
    if !(opts.prior_sd.is_finite() && opts.prior_sd > 0.0) {
        return Err(Error::argument(
            "prior_sd",
            format!("expected a number > 0, got {}", opts.prior_sd),
        ));
    }
    if !(opts.min_repairs.is_finite() && opts.min_repairs >= 0.0) {
        return Err(Error::argument(
            "min_repairs",
            format!("expected a number >= 0, got {}", opts.min_repairs),
        ));
    }
    if opts.max_age.is_some_and(|a| a > 200) {
        return Err(Error::argument("max_age", "expected at most 200"));
    }
    Ok(())
}

/// Fits every model's repair curve from `data.repair_history` (see the module docs).
/// `network` validates the history's regions. Errors: no history, bad options, or
/// invalid data.
pub fn fit_repair_curves(
    data: &PlanningData,
    network: &Network,
    opts: &FitOptions,
) -> Result<CurveFit> {
    check(opts)?;
    data.validate(network)?;
    if data.repair_history.is_empty() {
        return Err(Error::argument(
            "repair_history",
            "no repair history to fit (repair_history.csv: model, vintage, year, repairs)",
        ));
    }
    let ex = exposure::exposure(data, opts.retirement);
    let mut warnings = Vec::new();
    if ex.dropped_rows > 0 {
        warnings.push(format!(
            "{} history rows ({} repairs) have no units in the installed base for their \
             model and vintage: not used",
            ex.dropped_rows, ex.dropped_repairs
        ));
    }
    let mut products: Vec<_> = data.products.iter().collect();
    products.sort_by(|a, b| a.model.cmp(&b.model));
    let oldest = ex.models.values().map(|c| c.exposure.len()).max().unwrap_or(1) - 1;
    let max_age = opts.max_age.unwrap_or(20.max(oldest as u32));

    // Category fits.
    let mut by_cat: BTreeMap<&str, Cells> = BTreeMap::new();
    for p in &products {
        if let Some(c) = ex.models.get(&p.model) {
            by_cat.entry(p.category.as_str()).or_default().add(c);
        }
    }
    let cat_fits: BTreeMap<&str, (Family, BTreeMap<Family, Fitted>)> = by_cat
        .par_iter()
        .filter_map(|(cat, cells)| {
            let fits: BTreeMap<Family, Fitted> = Family::ALL
                .iter()
                .filter_map(|&f| mle::fit(f, cells, None, None).map(|x| (f, x)))
                .collect();
            let best = best_family(&fits)?;
            Some((*cat, (best, fits)))
        })
        .collect();

    // Model fits, pooled toward the category.
    let fits: Vec<Option<(ModelFit, Fitted, Option<&Cells>)>> = products
        .par_iter()
        .map(|p| {
            let (cat_best, cat) = cat_fits.get(p.category.as_str())?;
            let cells = ex.models.get(&p.model);
            let Some(cells) = cells.filter(|c| c.total_exposure() > 0.0) else {
                let f = &cat[cat_best];
                let k = f.theta.len();
                let mut cov = f.cov.clone();
                for i in 0..k {
                    cov[i * k + i] += opts.prior_sd * opts.prior_sd;
                }
                let fitted = Fitted {
                    cov,
                    prior_weight: 1.0,
                    ..f.clone()
                };
                return Some((model_fit(p, &fitted, "category", &BTreeMap::new(), None), fitted, None));
            };
            let own: BTreeMap<Family, Fitted> = cat
                .iter()
                .filter_map(|(&fam, cf)| {
                    let prior = Prior {
                        mean: cf.theta.clone(),
                        sd: opts.prior_sd,
                    };
                    mle::fit(fam, cells, Some(&prior), None).map(|x| (fam, x))
                })
                .collect();
            let family = if cells.total_repairs() >= opts.min_repairs {
                best_family(&own)?
            } else {
                *cat_best
            };
            let fitted = own.get(&family)?.clone();
            Some((model_fit(p, &fitted, "model", &own, Some(cells)), fitted, Some(cells)))
        })
        .collect();

    let mut models = Vec::new();
    let mut cells_out = Vec::new();
    let mut unfitted = Vec::new();
    for (p, f) in products.iter().zip(fits) {
        let Some((mf, fitted, cells)) = f else {
            unfitted.push(p.model.as_str());
            continue;
        };
        for age in 0..=max_age {
            let (rate, lo, hi) = fitted.rate_interval(age);
            let (e, r) = cells
                .and_then(|c| Some((*c.exposure.get(age as usize)?, c.repairs[age as usize])))
                .unwrap_or((0.0, 0.0));
            let (olo, ohi) = mle::poisson_interval(r, e);
            let has = e > 0.0;
            cells_out.push(CellFit {
                model: p.model.clone(),
                category: p.category.clone(),
                age,
                rate,
                rate_lo: lo,
                rate_hi: hi,
                observed: has.then(|| r / e),
                observed_lo: has.then_some(olo),
                observed_hi: has.then_some(ohi),
                exposure: e,
                repairs: r,
            });
        }
        models.push(mf);
    }
    if !unfitted.is_empty() {
        warnings.push(format!(
            "no history in their category: {} keep their input curves",
            unfitted.join(", ")
        ));
    }
    Ok(CurveFit {
        models,
        cells: cells_out,
        warnings,
    })
}

/// The family with the lower AIC (ties: Weibull, the simpler).
fn best_family(fits: &BTreeMap<Family, Fitted>) -> Option<Family> {
    fits.iter()
        .min_by(|a, b| a.1.aic().total_cmp(&b.1.aic()).then(a.0.cmp(b.0)))
        .map(|(f, _)| *f)
}

fn model_fit(
    p: &crate::model::Product,
    f: &Fitted,
    source: &str,
    all: &BTreeMap<Family, Fitted>,
    cells: Option<&Cells>,
) -> ModelFit {
    ModelFit {
        model: p.model.clone(),
        category: p.category.clone(),
        curve: f.family,
        source: source.to_string(),
        params: f
            .family
            .natural(&f.theta)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        aic_weibull: all.get(&Family::Weibull).map(Fitted::aic),
        aic_bathtub: all.get(&Family::Bathtub).map(Fitted::aic),
        prior_weight: f.prior_weight,
        exposure: cells.map_or(0.0, Cells::total_exposure),
        repairs: cells.map_or(0.0, Cells::total_repairs),
    }
}

#[cfg(test)]
mod tests;
