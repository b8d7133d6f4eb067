//! Repair curves estimated from repair history: the rates by age that the forecast
//! takes, fitted from past repairs with the installed base as exposure.
//!
//! For every model with history:
//!
//! 1. **Cells**: repairs and unit-years of exposure by age ([`exposure`](self) module:
//!    units of vintage `v` are age `y - v` in year `y`, retirements run backwards).
//! 2. **Category curves**: each category's models pooled, both families fitted by
//!    maximum likelihood (Poisson counts), the one with the lower AIC kept.
//! 3. **Model curves**: both families fitted per model by maximum likelihood; the
//!    lower AIC wins when the model has at least [`FitOptions::min_repairs`] repairs,
//!    else the Weibull (2 parameters: little data cannot support 5).
//! 4. **Pooling**, age by age on the log scale (normal-normal empirical Bayes): the
//!    model's log rate has the prior `N(log category rate, prior_sd^2 + var_category)`
//!    ([`FitOptions::prior_sd`]: how far a model's rate may stray from its category's)
//!    and its own fit's log rate is a measurement with variance `var_model` (delta
//!    method, covariance = inverse Hessian). The estimate is the precision-weighted
//!    mean, its variance the inverse of the summed precisions. A model with much data
//!    keeps its own curve (`prior_weight` near 0); a sparse one is pulled toward its
//!    category (near 1); a model without history takes the category's curve
//!    (`prior_weight` 1). Pooling on the rates, not on the parameters: the bathtub's
//!    parameters are strongly correlated, and a prior on them biased rich models by up
//!    to 15%.
//! 5. **Intervals**: `exp(log rate +- 1.96 sd)` of the pooled estimate, next to the
//!    observed rate (repairs / exposure) with its exact-Poisson 95% interval.
//! 6. **No extrapolated wear-out**: past the oldest age any model of the category was
//!    observed at, the rate holds its value at that age (as `repair_rates.csv` tables
//!    do), and a warning says so: a fitted wear-out term run beyond the data can
//!    multiply rates several times over.
//!
//! The families are in [`family`]; the optimiser is `argmin`'s Nelder-Mead.

mod exposure;
pub mod family;
mod mle;
mod synthetic;
mod table;

pub use family::Family;
pub use synthetic::{synthetic_history, SyntheticHistory};
pub use table::{CellsTable, ModelsTable};

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Network, PlanningData, RepairCurve};
use crate::{Error, Result};
use mle::{Cells, Fitted};

/// Options of [`fit_repair_curves`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitOptions {
    /// Ages in the output: `0..=max_age` (default `None`: 20, or the oldest observed age
    /// if older; at most 200).
    pub max_age: Option<u32>,
    /// Pooling strength: sd of a model's log rate around its category's (default 0.5:
    /// within x/÷ 2.7 at 95%; smaller pools harder).
    pub prior_sd: f64,
    /// A model needs this many repairs to choose its family by AIC; fewer: Weibull
    /// (default 200).
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
    /// Parameters of the model's own fit (the category's for `source = category`), in
    /// natural units (see [`Family::natural`]); the rates are these pooled age by age.
    pub params: BTreeMap<String, f64>,
    /// AIC of the Weibull fit (`None`: not fitted).
    pub aic_weibull: Option<f64>,
    /// AIC of the bathtub fit (`None`: not fitted).
    pub aic_bathtub: Option<f64>,
    /// Share of the estimate's precision from the category, averaged over the ages with
    /// exposure (0: the model's data alone; 1: the category alone).
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
    let oldest = ex
        .models
        .values()
        .map(|c| c.exposure.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    let max_age = opts.max_age.unwrap_or(20.max(oldest as u32).min(200));

    // Category fits.
    let mut by_cat: BTreeMap<&str, Cells> = BTreeMap::new();
    for p in &products {
        if let Some(c) = ex.models.get(&p.model) {
            by_cat.entry(p.category.as_str()).or_default().add(c);
        }
    }
    let cat_fits: BTreeMap<&str, (Fitted, u32)> = by_cat
        .par_iter()
        .filter_map(|(cat, cells)| {
            let (best, _) = fit_both(cells, 0.0)?;
            let oldest = cells.exposure.iter().rposition(|e| *e > 0.0)? as u32;
            Some((*cat, (best, oldest)))
        })
        .collect();
    for (cat, (_, oldest)) in &cat_fits {
        if *oldest < max_age {
            warnings.push(format!(
                "{cat}: no history older than {oldest} years: rates at ages {}..={max_age} \
                 hold the rate at age {oldest}",
                oldest + 1
            ));
        }
    }

    // Model fits: their own curve, pooled toward the category age by age.
    let v_b = opts.prior_sd * opts.prior_sd;
    let fits: Vec<Option<(ModelFit, Vec<CellFit>)>> = products
        .par_iter()
        .map(|p| {
            let (cat, oldest) = cat_fits.get(p.category.as_str())?;
            let cells = ex.models.get(&p.model).filter(|c| c.total_exposure() > 0.0);
            let own = cells.and_then(|c| fit_both(c, opts.min_repairs));
            let mut out = Vec::with_capacity(max_age as usize + 1);
            let (mut weight_sum, mut weight_n) = (0.0, 0);
            for age in 0..=max_age {
                let at = age.min(*oldest);
                let (rc, vc) = cat.log_rate(at);
                let prior_prec = 1.0 / (v_b + vc);
                let (log_rate, prec) = match &own {
                    Some((f, _)) => {
                        let (rm, vm) = f.log_rate(at);
                        let own_prec = 1.0 / vm.max(1e-12);
                        let prec = own_prec + prior_prec;
                        ((rm.ln() * own_prec + rc.ln() * prior_prec) / prec, prec)
                    }
                    None => (rc.ln(), prior_prec),
                };
                let (e, r) = cells
                    .and_then(|c| Some((*c.exposure.get(age as usize)?, c.repairs[age as usize])))
                    .unwrap_or((0.0, 0.0));
                if e > 0.0 {
                    weight_sum += prior_prec / prec;
                    weight_n += 1;
                }
                let sd = (1.0 / prec).sqrt();
                let (olo, ohi) = mle::poisson_interval(r, e);
                let has = e > 0.0;
                out.push(CellFit {
                    model: p.model.clone(),
                    category: p.category.clone(),
                    age,
                    rate: log_rate.exp(),
                    rate_lo: (log_rate - mle::Z95 * sd).exp(),
                    rate_hi: (log_rate + mle::Z95 * sd).exp(),
                    observed: has.then(|| r / e),
                    observed_lo: has.then_some(olo),
                    observed_hi: has.then_some(ohi),
                    exposure: e,
                    repairs: r,
                });
            }
            let (f, aic, source, weight) = match &own {
                Some((f, aic)) => (f, aic.clone(), "model", weight_sum / weight_n.max(1) as f64),
                None => (cat, BTreeMap::new(), "category", 1.0),
            };
            let mf = ModelFit {
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
                aic_weibull: aic.get(&Family::Weibull).copied(),
                aic_bathtub: aic.get(&Family::Bathtub).copied(),
                prior_weight: weight,
                exposure: cells.map_or(0.0, Cells::total_exposure),
                repairs: cells.map_or(0.0, Cells::total_repairs),
            };
            Some((mf, out))
        })
        .collect();

    let mut models = Vec::new();
    let mut cells_out = Vec::new();
    let mut unfitted = Vec::new();
    for (p, f) in products.iter().zip(fits) {
        match f {
            Some((mf, cells)) => {
                models.push(mf);
                cells_out.extend(cells);
            }
            None => unfitted.push(p.model.as_str()),
        }
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

/// Both families fitted to `cells`; the lower AIC wins when there are at least
/// `min_repairs` repairs (ties: Weibull, the simpler), else the Weibull. The winner and
/// each family's AIC.
fn fit_both(cells: &Cells, min_repairs: f64) -> Option<(Fitted, BTreeMap<Family, f64>)> {
    let fits: BTreeMap<Family, Fitted> = Family::ALL
        .iter()
        .filter_map(|&f| mle::fit(f, cells, None).map(|x| (f, x)))
        .collect();
    let aic: BTreeMap<Family, f64> = fits.iter().map(|(f, x)| (*f, x.aic())).collect();
    let best = if cells.total_repairs() >= min_repairs {
        fits.iter()
            .min_by(|a, b| a.1.aic().total_cmp(&b.1.aic()).then(a.0.cmp(b.0)))
            .map(|(f, _)| *f)?
    } else {
        Family::Weibull
    };
    let f = fits.get(&best)?.clone();
    Some((f, aic))
}

#[cfg(test)]
mod tests;
