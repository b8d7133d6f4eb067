//! DataFrames to typed columns ([`servnet_core::io::Frame`]) with no text in between:
//! numbers, flags and time stamps cross as numpy buffers, text as `pandas.factorize`
//! codes (a numpy buffer) and its distinct values. pyarrow is not needed.
//!
//! The core reads a frame like the CSV file of the same name and reports row `r` as line
//! `r + 2`, which [`FrameCols::spot`] turns back into the frame's row, index label and
//! column.

use crate::convert;
use crate::error::{self, FrameSpot};
use chrono::{DateTime, NaiveDateTime};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PySlice};
use servnet_core::io::{Frame, FrameColumn, Texts, MISSING_CODE};
use servnet_core::{Error, Location};
use std::sync::Arc;

/// A DataFrame's typed columns, with what is needed to point back into it.
pub(crate) struct FrameCols {
    /// The argument name, e.g. `outlets`.
    pub(crate) name: String,
    /// The columns (their `source` is the file name the core reports, e.g. `outlets.csv`).
    pub(crate) frame: Arc<Frame>,
    /// The frame's index (`df.index`), for labels in messages.
    index: Py<PyAny>,
}

impl FrameCols {
    /// Where a problem reported for this frame's `source` lies in the frame (line `r + 2`
    /// is row `r`). `None` for problems in other sources.
    pub(crate) fn spot(&self, py: Python<'_>, at: &Location) -> Option<FrameSpot> {
        if at.source != self.frame.source {
            return None;
        }
        let row = at.line.filter(|&l| l >= 2).map(|l| (l - 2) as usize);
        let label = row.and_then(|r| self.index.bind(py).get_item(r).ok().map(|v| v.unbind()));
        let nan = match (row, &at.field) {
            (Some(r), Some(f)) => self.frame.column(f).is_some_and(|c| null_cell(c, r)),
            _ => false,
        };
        Some(FrameSpot {
            frame: self.name.clone(),
            row,
            label,
            nan,
        })
    }
}

/// Whether row `r` of `c` is a NaN / None / NaT / pd.NA (not an empty text).
fn null_cell(c: &FrameColumn, r: usize) -> bool {
    match c {
        FrameColumn::Text { codes, values } => codes
            .get(r)
            .is_some_and(|&k| k == MISSING_CODE || values.get(k as usize).is_none()),
        FrameColumn::Float(v) => v.get(r).is_some_and(|x| x.is_nan()),
        FrameColumn::Int(v) => v.get(r).is_some_and(Option::is_none),
        FrameColumn::Bool(v) => v.get(r).is_some_and(Option::is_none),
        FrameColumn::Time { values, .. } => values.get(r).is_some_and(Option::is_none),
    }
}

/// Maps a core error about `frames` to their rows and columns.
pub(crate) fn frame_error(py: Python<'_>, e: Error, frames: &[&FrameCols]) -> PyErr {
    error::to_py_located(py, e, &|at| frames.iter().find_map(|f| f.spot(py, at)))
}

/// The most rows a frame may have (text codes are `u32`).
const MAX_ROWS: usize = (u32::MAX - 1) as usize;

/// The number of rows of DataFrame `df` (argument `name`); a `TypeError` for anything
/// else, a `DataError` past [`MAX_ROWS`].
pub(crate) fn frame_len(name: &str, df: &Bound<'_, PyAny>) -> PyResult<usize> {
    if !(df.hasattr("columns")? && df.hasattr("index")? && df.hasattr("iloc")?) {
        return Err(PyTypeError::new_err(format!(
            "{name}: expected a pandas DataFrame, got {}",
            df.get_type().name()?
        )));
    }
    let rows: usize = df.len()?;
    if rows > MAX_ROWS {
        return Err(error::argument(
            df.py(),
            name,
            format!("{rows} rows: at most {MAX_ROWS} are accepted"),
        ));
    }
    Ok(rows)
}

/// Maps a core error about DataFrame `df` (argument `name`, read a chunk of rows at a
/// time as the file `file`: its typed columns are no longer held) to its rows and
/// columns, as [`frame_error`] does with the whole frame's columns: each problem's row
/// is converted again on its own.
pub(crate) fn rows_error(
    py: Python<'_>,
    e: Error,
    name: &str,
    file: &str,
    df: &Bound<'_, PyAny>,
) -> PyErr {
    let locate = |at: &Location| {
        if at.source != file {
            return None;
        }
        let Some(row) = at.line.filter(|&l| l >= 2).map(|l| (l - 2) as usize) else {
            return Some(FrameSpot {
                frame: name.to_string(),
                row: None,
                label: None,
                nan: false,
            });
        };
        // The row alone: its line is 2 there, its index label the same.
        let one = df
            .getattr("iloc")
            .and_then(|i| i.get_item(PySlice::new(py, row as isize, row as isize + 1, 1)))
            .and_then(|one| frame_cols(name, file, &one));
        let at_one = Location {
            line: Some(2),
            ..at.clone()
        };
        let mut spot = match one {
            Ok(one) => one.spot(py, &at_one)?,
            Err(_) => FrameSpot {
                frame: name.to_string(),
                row: None,
                label: None,
                nan: false,
            },
        };
        spot.row = Some(row);
        Some(spot)
    };
    error::to_py_located(py, e, &locate)
}

/// Converts DataFrame `df` (argument `name`) to typed columns standing for the file
/// `file`, each column in bulk by its dtype.
pub(crate) fn frame_cols(name: &str, file: &str, df: &Bound<'_, PyAny>) -> PyResult<FrameCols> {
    let py = df.py();
    let rows = frame_len(name, df)?;
    let mut columns = Vec::new();
    for (k, col) in df.getattr("columns")?.try_iter()?.enumerate() {
        let col_name = col?.str()?.to_cow()?.trim().to_string();
        let series = df.getattr("iloc")?.get_item((PySlice::full(py), k))?;
        columns.push((col_name, column(&series, rows)?));
    }
    Ok(FrameCols {
        name: name.to_string(),
        frame: Arc::new(Frame {
            source: file.to_string(),
            columns,
            rows,
        }),
        index: df.getattr("index")?.unbind(),
    })
}

/// Whether column `name` of `cols` (the last of repeated names, as the readers take it)
/// holds the ids as the readers take them: every value its own trimmed, non-empty text.
pub(crate) fn ids_as_read(cols: &FrameCols, name: &str) -> bool {
    let col = cols.frame.columns.iter().rev().find(|(n, _)| n == name);
    match col {
        Some((_, FrameColumn::Text { codes, values })) => {
            values
                .iter()
                .all(|v| !v.is_empty() && v.trim().len() == v.len())
                && codes.iter().all(|&c| (c as usize) < values.len())
        }
        _ => false,
    }
}

/// Column `name` of `df` as the ids the readers took from it (`ids`, by row): the
/// frame's own string values when `as_read` (every chunk's [`ids_as_read`]; no copy of
/// the strings), else a list of `ids`.
pub(crate) fn id_column<'py>(
    df: &Bound<'py, PyAny>,
    name: &str,
    as_read: bool,
    ids: &Texts,
) -> PyResult<Bound<'py, PyAny>> {
    let py = df.py();
    // The readers take the last of repeated names.
    let mut at = None;
    for (k, col) in df.getattr("columns")?.try_iter()?.enumerate() {
        if col?.str()?.to_cow()?.trim() == name {
            at = Some(k);
        }
    }
    if let (Some(k), true) = (at, as_read) {
        let series = df.getattr("iloc")?.get_item((PySlice::full(py), k))?;
        let strings = py
            .import("pandas")?
            .getattr("api")?
            .getattr("types")?
            .call_method1("is_string_dtype", (&series,))?
            .is_truthy()?;
        if strings {
            return series.call_method1("astype", ("str",))?.getattr("array");
        }
    }
    let texts = (0..ids.len()).map(|k| ids.get(k).unwrap_or_default());
    Ok(pyo3::types::PyList::new(py, texts)?.into_any())
}

/// A numpy array's bytes (`arr.tobytes()`), read as 8-byte native words.
fn words(arr: &Bound<'_, PyAny>) -> PyResult<Vec<[u8; 8]>> {
    let b = arr.call_method0("tobytes")?;
    let b = b.cast::<PyBytes>()?;
    Ok(b.as_bytes()
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            w
        })
        .collect())
}

/// `series.isna()` as flags.
fn missing(series: &Bound<'_, PyAny>) -> PyResult<Vec<bool>> {
    let b = series
        .call_method0("isna")?
        .call_method1("to_numpy", ("bool",))?
        .call_method0("tobytes")?;
    Ok(b.cast::<PyBytes>()?
        .as_bytes()
        .iter()
        .map(|&x| x != 0)
        .collect())
}

/// One column in bulk by its dtype kind: floats, whole numbers, flags and datetimes
/// typed; anything else as text.
fn column(series: &Bound<'_, PyAny>, rows: usize) -> PyResult<FrameColumn> {
    let py = series.py();
    let kind: String = series.getattr("dtype")?.getattr("kind")?.extract()?;
    let kw = pyo3::types::PyDict::new(py);
    let col = match kind.as_str() {
        "f" => {
            kw.set_item("dtype", "float64")?;
            kw.set_item("na_value", f64::NAN)?;
            let arr = series.call_method("to_numpy", (), Some(&kw))?;
            FrameColumn::Float(words(&arr)?.into_iter().map(f64::from_ne_bytes).collect())
        }
        "i" | "u" => {
            kw.set_item("dtype", "int64")?;
            kw.set_item("na_value", 0)?;
            // uint64 values past i64's range do not fit: read those columns as text.
            match series.call_method("to_numpy", (), Some(&kw)) {
                // Only a conversion failure falls back (never a KeyboardInterrupt).
                Err(e) if !is_conversion_error(py, &e) => return Err(e),
                Ok(arr) => {
                    let na = missing(series)?;
                    FrameColumn::Int(
                        words(&arr)?
                            .into_iter()
                            .zip(na)
                            .map(|(w, na)| (!na).then(|| i64::from_ne_bytes(w)))
                            .collect(),
                    )
                }
                Err(_) => text(series, rows)?,
            }
        }
        "b" => {
            kw.set_item("dtype", "bool")?;
            kw.set_item("na_value", false)?;
            let arr = series.call_method("to_numpy", (), Some(&kw))?;
            let b = arr.call_method0("tobytes")?;
            let na = missing(series)?;
            FrameColumn::Bool(
                b.cast::<PyBytes>()?
                    .as_bytes()
                    .iter()
                    .zip(na)
                    .map(|(&x, na)| (!na).then_some(x != 0))
                    .collect(),
            )
        }
        "M" => {
            // datetime64 of any unit, to the second. A tz-aware column is an instant:
            // read in UTC and put on the network's clock, as a file's `...Z` text.
            let utc = !series.getattr("dt")?.getattr("tz")?.is_none();
            let s = if utc {
                series
                    .getattr("dt")?
                    .call_method1("tz_convert", ("UTC",))?
                    .getattr("dt")?
                    .call_method1("tz_localize", (py.None(),))?
            } else {
                series.clone()
            };
            let arr = s
                .call_method1("to_numpy", ("datetime64[s]",))?
                .call_method1("astype", ("int64",))?;
            let na = missing(&s)?;
            let values = words(&arr)?
                .into_iter()
                .zip(na)
                .map(|(w, na)| {
                    if na {
                        None
                    } else {
                        DateTime::from_timestamp(i64::from_ne_bytes(w), 0).map(|t| t.naive_utc())
                    }
                })
                .collect::<Vec<Option<NaiveDateTime>>>();
            FrameColumn::Time { values, utc }
        }
        _ => text(series, rows)?,
    };
    Ok(col)
}

/// A TypeError, ValueError or OverflowError: the column cannot take the fast route.
fn is_conversion_error(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyTypeError>(py)
        || e.is_instance_of::<pyo3::exceptions::PyValueError>(py)
        || e.is_instance_of::<pyo3::exceptions::PyOverflowError>(py)
}

static FACTORIZE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A column of pandas' pyarrow-backed string dtype (pandas 3's default `str`) read
/// straight from its Arrow buffers, with no Python string per cell (at 1M distinct ids,
/// `pandas.factorize` and the Python strings of its uniques took 0.7 s), and
/// dictionary-coded here ([`code_texts`]). `None` for any other column (or an unexpected
/// layout): the caller then takes the `factorize` route.
fn arrow_text(series: &Bound<'_, PyAny>, rows: usize) -> PyResult<Option<FrameColumn>> {
    let py = series.py();
    let storage = series.getattr("dtype")?.getattr("storage").ok();
    if !storage.is_some_and(|s| s.extract::<String>().is_ok_and(|s| s == "pyarrow")) {
        return Ok(None);
    }
    let Ok(pa) = py.import("pyarrow") else {
        return Ok(None);
    };
    let arr = pa.call_method1("array", (series.getattr("array")?,))?;
    let chunks: Vec<Bound<'_, PyAny>> = if arr.hasattr("chunks")? {
        arr.getattr("chunks")?.extract()?
    } else {
        vec![arr]
    };
    // Only the bytes of the chunk's own rows are copied: a slice of a frame (`iloc`) is
    // a window on its whole column's buffers, and copying those whole per slice made a
    // frame read a slice at a time cost the square of its rows.
    let bytes = |b: &Bound<'_, PyAny>, from: usize, len: usize| -> PyResult<Vec<u8>> {
        let b = b
            .call_method1("slice", (from, len))?
            .call_method0("to_pybytes")?;
        Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
    };
    let mut parts = Vec::with_capacity(chunks.len());
    for chunk in &chunks {
        let wide = match chunk.getattr("type")?.str()?.to_cow()?.as_ref() {
            "string" => false,
            "large_string" => true,
            _ => return Ok(None),
        };
        let buffers: Vec<Bound<'_, PyAny>> = chunk.call_method0("buffers")?.extract()?;
        let [validity, offsets, data] = buffers.as_slice() else {
            return Ok(None);
        };
        let offset: usize = chunk.getattr("offset")?.extract()?;
        let len = chunk.len()?;
        let width = if wide { 8 } else { 4 };
        if offsets.is_none() {
            return Ok(None);
        }
        let offsets = bytes(offsets, offset * width, (len + 1) * width)?;
        let at = |i: usize| offset_at(&offsets, wide, i);
        let (Some(first), Some(last)) = (at(0), at(len)) else {
            return Ok(None);
        };
        let data = match data.is_none() {
            true => Vec::new(),
            false => bytes(data, first, last.saturating_sub(first))?,
        };
        let Ok(data) = String::from_utf8(data) else {
            return Ok(None);
        };
        let validity = match validity.is_none() {
            true => None,
            false => Some(bytes(validity, offset / 8, (offset % 8 + len).div_ceil(8))?),
        };
        parts.push(ArrowChunk {
            validity,
            offsets,
            data,
            wide,
            base: first,
            bit: offset % 8,
            len,
        });
    }
    Ok(py.detach(|| code_texts(&parts, rows)))
}

/// Entry `i` of Arrow offsets `offsets` (`i32`, or `i64` when `wide`), if in range.
fn offset_at(offsets: &[u8], wide: bool, i: usize) -> Option<usize> {
    if wide {
        let w = offsets.get(i * 8..i * 8 + 8)?;
        usize::try_from(i64::from_ne_bytes(w.try_into().ok()?)).ok()
    } else {
        let w = offsets.get(i * 4..i * 4 + 4)?;
        usize::try_from(i32::from_ne_bytes(w.try_into().ok()?)).ok()
    }
}

/// The rows of one chunk of an Arrow string array, copied out of Python: their `len + 1`
/// offsets (`i32`, or `i64` when `wide`; into the column's data, whose bytes from `base`
/// on are `data`), their UTF-8 data and the validity bytes holding their bits (row `i`'s
/// at bit `bit + i`).
struct ArrowChunk {
    validity: Option<Vec<u8>>,
    offsets: Vec<u8>,
    data: String,
    wide: bool,
    base: usize,
    bit: usize,
    len: usize,
}

impl ArrowChunk {
    /// Calls `f` with the text of each of the first `most` rows (`None`: null); `None`
    /// if the layout is not as expected (an offset out of range or inside a character).
    fn each<'a>(&'a self, most: usize, f: &mut impl FnMut(Option<&'a str>)) -> Option<()> {
        let at = |i: usize| offset_at(&self.offsets, self.wide, i)?.checked_sub(self.base);
        let mut start = at(0)?;
        for i in 0..self.len.min(most) {
            let end = at(i + 1)?;
            let j = self.bit + i;
            let valid = self
                .validity
                .as_ref()
                .is_none_or(|v| v.get(j / 8).is_some_and(|b| b >> (j % 8) & 1 == 1));
            if valid {
                f(Some(self.data.get(start..end)?));
            } else {
                f(None);
            }
            start = end;
        }
        Some(())
    }
}

/// Rows sampled to judge whether a text column is mostly distinct (ids).
const SAMPLE_ROWS: usize = 4096;

/// The rows of `parts` as a text column. A column whose first rows are mostly distinct
/// (ids, time stamps) keeps one value per row (codes `0, 1, ...`: hashing 1M ids to find
/// the few repeats cost more than it saved; duplicates are still found by the readers,
/// which compare values); any other is dictionary-coded, one hash per row.
fn code_texts(parts: &[ArrowChunk], rows: usize) -> Option<FrameColumn> {
    let mut sample: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut sampled = 0usize;
    let mut left = SAMPLE_ROWS;
    for p in parts {
        if left == 0 {
            break;
        }
        p.each(left, &mut |c| {
            left -= 1;
            if let Some(t) = c {
                sample.insert(t);
                sampled += 1;
            }
        })?;
    }
    let mut codes: Vec<u32> = Vec::with_capacity(rows);
    let mut values = Texts::default();
    if sampled >= 64 && sample.len() * 2 > sampled {
        let bytes = parts.iter().map(|p| p.data.len()).sum();
        values = Texts::with_capacity(rows, bytes);
        for p in parts {
            p.each(usize::MAX, &mut |c| match c {
                Some(t) => {
                    codes.push(values.len() as u32);
                    values.push(t);
                }
                None => codes.push(MISSING_CODE),
            })?;
        }
    } else {
        let mut seen: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
        seen.reserve(sample.len() * 2);
        for p in parts {
            p.each(usize::MAX, &mut |c| match c {
                Some(t) => {
                    let next = values.len() as u32;
                    let code = *seen.entry(t).or_insert_with(|| {
                        values.push(t);
                        next
                    });
                    codes.push(code);
                }
                None => codes.push(MISSING_CODE),
            })?;
        }
    }
    Some(FrameColumn::Text { codes, values })
}

/// A text column: `pandas.factorize` codes and the text of each distinct value (None,
/// NaN, NaT, pd.NA missing; lists joined with `;`). Columns of unhashable cells (lists)
/// are converted cell by cell.
fn text(series: &Bound<'_, PyAny>, rows: usize) -> PyResult<FrameColumn> {
    let py = series.py();
    if let Some(col) = arrow_text(series, rows)? {
        return Ok(col);
    }
    let factorize = FACTORIZE.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("pandas")?.getattr("factorize")?.unbind())
    })?;
    let factorized = match factorize.bind(py).call1((series,)) {
        Ok(pair) => Some(pair),
        // Unhashable cells (lists): converted cell by cell below.
        Err(e) if is_conversion_error(py, &e) => None,
        Err(e) => return Err(e),
    };
    if let Some(pair) = factorized {
        let codes = pair.get_item(0)?.call_method1("astype", ("int64",))?;
        let uniques = pair.get_item(1)?;
        let mut values = Texts::default();
        let mut remap = Vec::new();
        for v in uniques.call_method0("tolist")?.try_iter()? {
            match convert::object_cell(&v?)? {
                Some(s) => {
                    remap.push(values.len() as u32);
                    values.push(&s);
                }
                None => remap.push(MISSING_CODE),
            }
        }
        let codes = words(&codes)?
            .into_iter()
            .map(|w| {
                usize::try_from(i64::from_ne_bytes(w))
                    .ok()
                    .and_then(|k| remap.get(k).copied())
                    .unwrap_or(MISSING_CODE)
            })
            .collect();
        return Ok(FrameColumn::Text { codes, values });
    }
    let mut values = Texts::with_capacity(rows, 0);
    let mut codes = Vec::with_capacity(rows);
    for v in series.call_method0("tolist")?.try_iter()? {
        match convert::object_cell(&v?)? {
            Some(s) => {
                codes.push(values.len() as u32);
                values.push(&s);
            }
            None => codes.push(MISSING_CODE),
        }
    }
    Ok(FrameColumn::Text { codes, values })
}
