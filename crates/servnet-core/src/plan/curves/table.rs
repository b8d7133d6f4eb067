//! A curve fit as two tables for [`crate::io`]'s writers (`servnet fit-curves`): one
//! row per model and age, one row per model.

use super::CurveFit;
use crate::io::{Column, Tabular};

/// One row per model and age: `model, category, age, rate, rate_lo, rate_hi, observed,
/// observed_lo, observed_hi, exposure, repairs` (a `repair_rates.csv` the forecast can
/// read, with the intervals beside).
pub struct CellsTable<'a>(pub &'a CurveFit);

/// One row per model: `model, category, curve, source, weibull_shape, weibull_scale,
/// infant, infant_shape, constant, wear, wear_shape, aic_weibull, aic_bathtub,
/// prior_weight, exposure, repairs` (parameters of the other family empty).
pub struct ModelsTable<'a>(pub &'a CurveFit);

const CELL_COLUMNS: &[Column] = &[
    Column::text("model"),
    Column::text("category"),
    Column::number("age"),
    Column::number("rate"),
    Column::number("rate_lo"),
    Column::number("rate_hi"),
    Column::number("observed"),
    Column::number("observed_lo"),
    Column::number("observed_hi"),
    Column::number("exposure"),
    Column::number("repairs"),
];

/// The parameters of both families, in column order.
const PARAMS: [&str; 7] = [
    "weibull_shape",
    "weibull_scale",
    "infant",
    "infant_shape",
    "constant",
    "wear",
    "wear_shape",
];

const MODEL_COLUMNS: &[Column] = &[
    Column::text("model"),
    Column::text("category"),
    Column::text("curve"),
    Column::text("source"),
    Column::number(PARAMS[0]),
    Column::number(PARAMS[1]),
    Column::number(PARAMS[2]),
    Column::number(PARAMS[3]),
    Column::number(PARAMS[4]),
    Column::number(PARAMS[5]),
    Column::number(PARAMS[6]),
    Column::number("aic_weibull"),
    Column::number("aic_bathtub"),
    Column::number("prior_weight"),
    Column::number("exposure"),
    Column::number("repairs"),
];

/// Six decimals; empty when not finite.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        String::new()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, num)
}

impl Tabular for CellsTable<'_> {
    fn columns(&self) -> &'static [Column] {
        CELL_COLUMNS
    }

    fn len(&self) -> usize {
        self.0.cells.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        if let Some(c) = self.0.cells.get(i) {
            out.extend([
                c.model.clone(),
                c.category.clone(),
                c.age.to_string(),
                num(c.rate),
                num(c.rate_lo),
                num(c.rate_hi),
                opt(c.observed),
                opt(c.observed_lo),
                opt(c.observed_hi),
                format!("{:.1}", c.exposure),
                format!("{:.0}", c.repairs),
            ]);
        }
    }
}

impl Tabular for ModelsTable<'_> {
    fn columns(&self) -> &'static [Column] {
        MODEL_COLUMNS
    }

    fn len(&self) -> usize {
        self.0.models.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        if let Some(m) = self.0.models.get(i) {
            out.extend([
                m.model.clone(),
                m.category.clone(),
                m.curve.as_str().to_string(),
                m.source.clone(),
            ]);
            out.extend(PARAMS.iter().map(|p| opt(m.params.get(*p).copied())));
            out.extend([
                opt(m.aic_weibull),
                opt(m.aic_bathtub),
                num(m.prior_weight),
                format!("{:.1}", m.exposure),
                format!("{:.0}", m.repairs),
            ]);
        }
    }
}
