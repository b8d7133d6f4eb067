//! The `servnet._servnet` extension module: thin conversions over `servnet-core`.
//! The Python package `servnet` re-exports it; no algorithm lives here.

mod assign;
mod campaign;
mod columns;
mod convert;
mod dispatch;
mod error;
mod frame;
mod geo;
mod heap;
mod location;
mod network;
mod plain;
mod planning;
mod review;
mod run;
mod settle;
mod staffing;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// mimalloc for the extension's own (Rust) allocations, as in the CLI: `assign` and the
/// folder readers allocate per ticket and per arc, and glibc's malloc made the Python
/// path ~1.5x the CLI's CPU at 10k tickets (issue 21). Python's objects keep
/// CPython's allocator; nothing allocated by one is freed by the other.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reads and validates a data folder (docs/formats.md); returns counts of what it holds.
///
/// Raises `DataError` listing every problem (file, line, field) on bad data.
#[pyfunction]
fn read_dir(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let data = py
        .detach(|| servnet_core::io::read_dir(&path))
        .map_err(|e| error::to_py(py, e))?;
    let net = &data.network;
    let summary = PyDict::new(py);
    summary.set_item("outlets", net.outlets().len())?;
    summary.set_item("regions", net.regions().len())?;
    summary.set_item("skills", net.skills().len())?;
    summary.set_item("tickets", data.tickets.len())?;
    summary.set_item("products", data.planning.products.len())?;
    Ok(summary)
}

#[pymodule]
fn _servnet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(read_dir, m)?)?;
    m.add_class::<network::PyNetwork>()?;
    dispatch::register(m)?;
    staffing::register(m)?;
    planning::register(m)?;
    assign::register(m)?;
    review::register(m)?;
    campaign::register(m)?;
    location::register(m)?;
    settle::register(m)?;
    error::register(m)
}
