//! The one way a servnet object crosses into Python as plain data.
//!
//! Every bound class that holds data (a policy, a ticket, a dispatch result, a forecast,
//! a plan) implements [`PlainData`]: its serde form, and how to rebuild it. Its
//! `#[pymethods]` then write `_from_json`, `__reduce__` and, where the class compares by
//! value, `__eq__` as one call each to [`restore`], [`reduce`] and [`same`]: it pickles
//! as `cls._from_json(json_bytes)`, and two objects are equal when their serde forms are.
//! A class with tables or a plot is wrapped on the Python side by a `servnet.Result`
//! subclass (`servnet/_results.py`), which holds the bound object.

use crate::error;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use pyo3::PyClass;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;

/// A bound class that is plain data: it pickles as the JSON of [`PlainData::Data`].
pub(crate) trait PlainData: PyClass + Sized {
    /// The serde form that is pickled and compared.
    type Data: Serialize + DeserializeOwned + Clone + Send;
    /// What the data is called in error messages (`policy`, `ticket`, ...).
    const WHAT: &'static str;
    /// The serde form of `self` (borrowed where the class holds it as is).
    fn data(&self) -> Cow<'_, Self::Data>;
    /// Rebuilds the object from its serde form (re-validating where the class does).
    fn from_data(py: Python<'_>, data: Self::Data) -> PyResult<Self>;
}

/// The JSON text of `v`; a failure is a `DataError` naming `what`.
pub(crate) fn to_json<T: Serialize>(py: Python<'_>, what: &str, v: &T) -> PyResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| error::argument(py, what, e.to_string()))
}

/// `_from_json(bytes)`: the object from its pickled JSON (parsed without the GIL).
pub(crate) fn restore<T: PlainData>(py: Python<'_>, b: &[u8]) -> PyResult<T> {
    let data: T::Data = py
        .detach(|| serde_json::from_slice(b))
        .map_err(|e| error::argument(py, T::WHAT, e.to_string()))?;
    T::from_data(py, data)
}

/// `__reduce__`: `(cls._from_json, (json_bytes,))`.
pub(crate) fn reduce<'py, T>(slf: &Bound<'py, T>) -> PyResult<Bound<'py, PyTuple>>
where
    T: PlainData + PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
{
    let py = slf.py();
    let json = to_json(py, T::WHAT, &slf.get().data())?;
    let ctor = slf.as_any().get_type().getattr("_from_json")?;
    PyTuple::new(
        py,
        [
            ctor,
            PyTuple::new(py, [PyBytes::new(py, &json)])?.into_any(),
        ],
    )
}

/// `__eq__`: `other` is of the same class and has the same serde form (fields the form
/// leaves out, such as internal indices, are not compared).
pub(crate) fn same<T>(me: &T, other: &Bound<'_, PyAny>) -> bool
where
    T: PlainData + PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
{
    other.cast::<T>().is_ok_and(|o| {
        let (a, b) = (
            serde_json::to_value(&*o.get().data()),
            serde_json::to_value(&*me.data()),
        );
        matches!((a, b), (Ok(a), Ok(b)) if a == b)
    })
}
