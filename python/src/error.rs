//! The one place where `servnet_core::Error` becomes a Python exception.
//!
//! ```text
//! ServnetError(Exception)              every servnet error
//! └── DataError(ServnetError, ValueError)   bad input; .issues lists each problem
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use servnet_core::Error;

create_exception!(
    servnet,
    ServnetError,
    PyException,
    "Base class of every error servnet raises."
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
    Ok(())
}

/// Converts a core error: bad input becomes `DataError` (with `.issues`), the rest
/// `ServnetError`. The message is the core error's, which names file, line and field.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    match convert(py, &e) {
        Ok(err) => err,
        // Building the exception itself failed (out of memory...): report that.
        Err(inner) => inner,
    }
}

fn convert(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let message = e.to_string();
    match e {
        Error::Invalid(_) | Error::Argument { .. } | Error::Unknown { .. } => {
            let class = data_error(py)?;
            let value = class.call1((message,))?;
            let issues = PyList::empty(py);
            for i in e.issues() {
                let d = PyDict::new(py);
                d.set_item("file", &i.at.source)?;
                d.set_item("line", i.at.line)?;
                d.set_item("record", &i.at.record)?;
                d.set_item("field", &i.at.field)?;
                d.set_item("message", &i.message)?;
                issues.append(d)?;
            }
            value.setattr("issues", issues)?;
            Ok(PyErr::from_value(value))
        }
        _ => Ok(ServnetError::new_err(message)),
    }
}
