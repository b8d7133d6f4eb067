//! `servnet.settle`: each outlet's settlement statement for a period (thin: reads,
//! calls, converts).

use crate::{error, run};
use pyo3::prelude::*;
use servnet_core::cost::{settle, StatementTable};
use servnet_core::io::{read_bookings, read_dir, read_fee_schedule, table_json};
use servnet_core::Error;
use std::path::PathBuf;

fn day(py: Python<'_>, name: &str, v: &str) -> PyResult<servnet_core::chrono::NaiveDate> {
    servnet_core::chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        error::to_py(
            py,
            Error::argument(name, format!("expected YYYY-MM-DD, got '{v}'")),
        )
    })
}

/// The settlement statement of a data folder's outlets for `date_from..=date_to` from
/// the bookings file, as a JSON array of rows (columns as `servnet settle` writes them)
/// plus the count of bookings outside the period: `{"rows": [...], "outside": n}`.
#[pyfunction]
fn _settle(
    py: Python<'_>,
    path: PathBuf,
    bookings: PathBuf,
    date_from: &str,
    date_to: &str,
) -> PyResult<String> {
    let (from, to) = (day(py, "from", date_from)?, day(py, "to", date_to)?);
    let st = run::blocking(py, None, move || {
        let data = read_dir(&path)?;
        let schedule = read_fee_schedule(&path, &data.network)?;
        let b = read_bookings(&bookings, &data.network, &data.tickets)?;
        settle(&data.network, &schedule, &b, from, to)
    })?;
    let mut rows: Vec<u8> = Vec::new();
    table_json(&StatementTable(&st), &mut rows).map_err(|source| {
        error::to_py(
            py,
            Error::Write {
                path: "statement".into(),
                source,
            },
        )
    })?;
    Ok(format!(
        "{{\"rows\": {}, \"outside\": {}}}",
        String::from_utf8_lossy(&rows),
        st.outside
    ))
}

/// Adds the settlement function.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_settle, m)?)?;
    Ok(())
}
