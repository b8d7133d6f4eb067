//! Writers of fitted repair curves (`servnet fit-curves`).

use std::path::Path;

use crate::plan::curves::CurveFit;
use crate::{Error, Result};

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

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

/// Writes one row per model and age: `model, category, age, rate, rate_lo, rate_hi,
/// observed, observed_lo, observed_hi, exposure, repairs` (a `repair_rates.csv` the
/// forecast can read, with the intervals beside).
pub fn write_curve_cells(path: &Path, fit: &CurveFit) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record([
        "model",
        "category",
        "age",
        "rate",
        "rate_lo",
        "rate_hi",
        "observed",
        "observed_lo",
        "observed_hi",
        "exposure",
        "repairs",
    ])
    .map_err(csv_err(path))?;
    for c in &fit.cells {
        w.write_record([
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
        ])
        .map_err(csv_err(path))?;
    }
    w.flush().map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes one row per model: `model, category, curve, source, weibull_shape,
/// weibull_scale, infant, infant_shape, constant, wear, wear_shape, aic_weibull,
/// aic_bathtub, prior_weight, exposure, repairs` (parameters of the other family
/// empty).
pub fn write_curve_models(path: &Path, fit: &CurveFit) -> Result<()> {
    let params = [
        "weibull_shape",
        "weibull_scale",
        "infant",
        "infant_shape",
        "constant",
        "wear",
        "wear_shape",
    ];
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    let mut header = vec!["model", "category", "curve", "source"];
    header.extend(params);
    header.extend([
        "aic_weibull",
        "aic_bathtub",
        "prior_weight",
        "exposure",
        "repairs",
    ]);
    w.write_record(&header).map_err(csv_err(path))?;
    for m in &fit.models {
        let mut row = vec![
            m.model.clone(),
            m.category.clone(),
            m.curve.as_str().to_string(),
            m.source.clone(),
        ];
        row.extend(params.iter().map(|p| opt(m.params.get(*p).copied())));
        row.extend([
            opt(m.aic_weibull),
            opt(m.aic_bathtub),
            num(m.prior_weight),
            format!("{:.1}", m.exposure),
            format!("{:.0}", m.repairs),
        ]);
        w.write_record(&row).map_err(csv_err(path))?;
    }
    w.flush().map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
