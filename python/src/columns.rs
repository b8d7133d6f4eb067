//! Rust columns handed to pandas (`servnet._frames.make_frame`) without a Python object
//! per row: numpy arrays filled in place, nullable integers as `(values, mask)`, dates
//! as `datetime64[us]` and text as codes into its distinct values.

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyList};
use servnet_core::dispatch::SmolStr;
use std::collections::BTreeMap;

/// A code for a missing value.
const NONE: u32 = u32::MAX;

/// A text column as codes into its distinct values (outlets, routes, reasons: few distinct
/// values for many rows).
pub(crate) struct Coded {
    codes: Vec<u32>,
    values: Vec<SmolStr>,
    index: BTreeMap<SmolStr, u32>,
}

impl Coded {
    /// `n` rows, each missing until set.
    pub(crate) fn new(n: usize) -> Self {
        Coded {
            codes: vec![NONE; n],
            values: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// The column of `texts`, in order (`None`: missing).
    pub(crate) fn of<'a>(n: usize, texts: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut c = Coded::new(n);
        for (i, t) in texts.enumerate() {
            if let Some(t) = t {
                c.set(i, t);
            }
        }
        c
    }

    /// Row `i` holds `text` (rows past the end are ignored).
    pub(crate) fn set(&mut self, i: usize, text: &str) {
        let code = match self.index.get(text) {
            Some(&k) => k,
            None => {
                let k = self.values.len() as u32;
                self.values.push(SmolStr::new(text));
                self.index.insert(SmolStr::new(text), k);
                k
            }
        };
        if let Some(c) = self.codes.get_mut(i) {
            *c = code;
        }
    }

    /// The column as `(codes, categories)` for `servnet._frames.make_frame`'s `"text"`
    /// columns: `int32` codes (-1 missing) into the values in sorted order, so the
    /// result does not depend on which row came first.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let sorted: Vec<(SmolStr, u32)> = self.index.into_iter().collect();
        let mut rank = vec![0u32; self.values.len()];
        for (r, (_, k)) in sorted.iter().enumerate() {
            rank[*k as usize] = r as u32;
        }
        drop(self.values);
        let codes = numpy(py, "int32", &self.codes, |&c| {
            let c = if c == NONE {
                -1
            } else {
                rank[c as usize] as i32
            };
            c.to_ne_bytes()
        })?;
        let categories = PyList::new(py, sorted.iter().map(|(s, _)| s.as_str()))?;
        Ok((codes, categories).into_pyobject(py)?.into_any())
    }
}

/// A nullable integer column as `(int64 values, bool mask)` for `make_frame`'s `"Int64"`
/// columns (`mask` true where `value` gives `None`).
pub(crate) fn masked_int64<'py, T>(
    py: Python<'py>,
    v: &[T],
    value: impl Fn(&T) -> Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let values = numpy(py, "int64", v, |x| value(x).unwrap_or(0).to_ne_bytes())?;
    let mask = numpy(py, "bool", v, |x| [u8::from(value(x).is_none())])?;
    Ok((values, mask).into_pyobject(py)?.into_any())
}

/// A date column as `datetime64[us]` (midnight of each date; NaT where `date` gives
/// `None`).
pub(crate) fn dates<'py, T>(
    py: Python<'py>,
    v: &[T],
    date: impl Fn(&T) -> Option<NaiveDate>,
) -> PyResult<Bound<'py, PyAny>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1);
    numpy(py, "int64", v, |x| {
        date(x)
            .zip(epoch)
            .map_or(i64::MIN, |(d, e)| (d - e).num_days() * 86_400_000_000)
            .to_ne_bytes()
    })?
    .call_method1("view", ("datetime64[us]",))
}

/// A writable numpy array of `dtype` with one item per element of `v`, each written as
/// the native bytes `item` gives: the array's memory (a `bytearray`) is filled in place,
/// with no copy between.
pub(crate) fn numpy<'py, T, const N: usize>(
    py: Python<'py>,
    dtype: &str,
    v: &[T],
    item: impl Fn(&T) -> [u8; N],
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = PyByteArray::new_with(py, v.len() * N, |b| {
        for (out, x) in b.chunks_exact_mut(N).zip(v) {
            out.copy_from_slice(&item(x));
        }
        Ok(())
    })?;
    py.import("numpy")?
        .call_method1("frombuffer", (bytes, dtype))
}
