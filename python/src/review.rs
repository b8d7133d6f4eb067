//! `servnet.review`: outlet scorecards and review actions (thin: reads, calls, converts).

use crate::{error, run};
use pyo3::prelude::*;
use servnet_core::io::{read_dir, read_outlet_history};
use servnet_core::review::{review, ReviewOptions};
use servnet_core::Error;
use std::path::PathBuf;

/// The review of a data folder's outlets as of a date, as JSON
/// (`servnet_core::review::Review`; see `servnet.review`).
#[pyfunction]
#[pyo3(signature = (path, as_of, options="{}"))]
fn _review(py: Python<'_>, path: PathBuf, as_of: &str, options: &str) -> PyResult<String> {
    let date =
        servnet_core::chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").map_err(|_| {
            error::to_py(
                py,
                Error::argument("as_of", format!("expected YYYY-MM-DD, got '{as_of}'")),
            )
        })?;
    let opts = ReviewOptions::from_json(options).map_err(|e| error::to_py(py, e))?;
    let r = run::blocking(py, None, move || {
        let data = read_dir(&path)?;
        let history = read_outlet_history(&path, &data.network)?;
        review(&data.network, &history, date, &opts)
    })?;
    run::to_json(&r).map_err(|e| error::to_py(py, e))
}

/// Adds the review function.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_review, m)?)?;
    Ok(())
}
