//! The one place where `servnet_core::Error` becomes a Python exception.
//!
//! ```text
//! ServnetError(Exception)              every servnet error
//! ├── DataError(ServnetError, ValueError)   bad input; .issues lists each problem
//! └── LedgerError(ServnetError)             the ledger's store failed (e.g. Redis
//!                                           unreachable): nothing half-written
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use servnet_core::{Error, Location};

create_exception!(
    servnet,
    ServnetError,
    PyException,
    "Base class of every error servnet raises."
);

create_exception!(
    servnet,
    LedgerError,
    ServnetError,
    "The dispatch ledger's store failed (e.g. Redis unreachable or timed out): the message \
     says whether the change was made, may have been, or was not; never half-made."
);

/// `DataError` has two bases, which `create_exception!` cannot express, so it is made
/// once with `type(name, bases, dict)`.
static DATA_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn data_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATA_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [
                    py.get_type::<ServnetError>().into_any(),
                    py.get_type::<PyValueError>().into_any(),
                ],
            )?;
            let body = PyDict::new(py);
            body.set_item("__module__", "servnet")?;
            body.set_item(
                "__doc__",
                "Bad input data. The message lists every problem; `issues` holds them as \
                 dicts with file, line, record, field and message.",
            )?;
            let class = py
                .get_type::<PyType>()
                .call1(("DataError", bases, body))?
                .cast_into::<PyType>()?;
            Ok(class.unbind())
        })
        .map(|t| t.bind(py))
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ServnetError", py.get_type::<ServnetError>())?;
    m.add("DataError", data_error(py)?)?;
    m.add("LedgerError", py.get_type::<LedgerError>())?;
    Ok(())
}

/// Where a problem found in a table written from a DataFrame lies in that frame.
pub(crate) struct FrameSpot {
    /// The argument the frame was passed as, e.g. `outlets`.
    pub(crate) frame: String,
    /// 0-based row position, when the problem is in a row (not the header).
    pub(crate) row: Option<usize>,
    /// The frame's index label of that row.
    pub(crate) label: Option<Py<PyAny>>,
    /// The cell was NaN / None (shown as "missing value (NaN)").
    pub(crate) nan: bool,
}

/// Converts a core error: bad input becomes `DataError` (with `.issues`), the rest
/// `ServnetError`. The message is the core error's, which names file, line and field.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    to_py_located(py, e, &|_| None)
}

/// Like [`to_py`], with `locate` turning file locations into DataFrame locations (frame,
/// row, index label, column) for input that came from DataFrames.
pub(crate) fn to_py_located(
    py: Python<'_>,
    e: Error,
    locate: &dyn Fn(&Location) -> Option<FrameSpot>,
) -> PyErr {
    match convert(py, &e, locate) {
        Ok(err) => err,
        // Building the exception itself failed (out of memory...): report that.
        Err(inner) => inner,
    }
}

/// A `DataError` for one bad argument value (e.g. a ticket dict's field).
pub(crate) fn argument(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    to_py(py, Error::argument(name, message))
}

fn convert(
    py: Python<'_>,
    e: &Error,
    locate: &dyn Fn(&Location) -> Option<FrameSpot>,
) -> PyResult<PyErr> {
    match e {
        Error::Invalid(list) => {
            let issues = PyList::empty(py);
            let mut lines = Vec::with_capacity(list.len());
            for i in list {
                let d = PyDict::new(py);
                d.set_item("record", &i.at.record)?;
                d.set_item("field", &i.at.field)?;
                match locate(&i.at) {
                    Some(spot) => {
                        let message = if spot.nan && i.message == "missing value" {
                            "missing value (NaN)".to_string()
                        } else {
                            i.message.clone()
                        };
                        let mut at = format!("frame '{}'", spot.frame);
                        if let Some(r) = spot.row {
                            at.push_str(&format!(" row {r}"));
                        }
                        if let Some(l) = &spot.label {
                            at.push_str(&format!(" (index {})", l.bind(py).repr()?));
                        }
                        if let Some(r) = &i.at.record {
                            at.push_str(&format!(" record '{r}'"));
                        }
                        if let Some(f) = &i.at.field {
                            at.push_str(&format!(" column '{f}'"));
                        }
                        lines.push(format!("  - {at}: {message}"));
                        d.set_item("file", &spot.frame)?;
                        d.set_item("line", py.None())?;
                        d.set_item("frame", &spot.frame)?;
                        d.set_item("row", spot.row)?;
                        d.set_item("index", spot.label)?;
                        d.set_item("column", &i.at.field)?;
                        d.set_item("message", message)?;
                    }
                    None => {
                        lines.push(format!("  - {i}"));
                        d.set_item("file", &i.at.source)?;
                        d.set_item("line", i.at.line)?;
                        d.set_item("message", &i.message)?;
                    }
                }
                issues.append(d)?;
            }
            let message = format!(
                "{} problem(s) in input data:\n{}",
                list.len(),
                lines.join("\n")
            );
            let value = data_error(py)?.call1((message,))?;
            value.setattr("issues", issues)?;
            Ok(PyErr::from_value(value))
        }
        Error::Argument { name, message } => {
            let value = data_error(py)?.call1((e.to_string(),))?;
            let d = PyDict::new(py);
            d.set_item("file", "")?;
            d.set_item("line", py.None())?;
            d.set_item("record", py.None())?;
            d.set_item("field", name)?;
            d.set_item("message", message)?;
            value.setattr("issues", PyList::new(py, [d])?)?;
            Ok(PyErr::from_value(value))
        }
        Error::Unknown { .. } => {
            let value = data_error(py)?.call1((e.to_string(),))?;
            value.setattr("issues", PyList::empty(py))?;
            Ok(PyErr::from_value(value))
        }
        Error::Interrupted => Ok(PyKeyboardInterrupt::new_err(e.to_string())),
        Error::Ledger { .. } => Ok(LedgerError::new_err(e.to_string())),
        _ => Ok(ServnetError::new_err(e.to_string())),
    }
}
