//! The one place where Python values become servnet input and servnet results become
//! Python values.
//!
//! DataFrames are not parsed here: each frame is written as the CSV table of the same
//! name (docs/formats.md), cell by cell as text, and read by `servnet_core::io`, so frames
//! and files go through exactly the same validation. Problems come back with the file's
//! line number, which [`FrameText::spot`] turns into the frame's row and index label.

use crate::error::{self, FrameSpot};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use servnet_core::dispatch::Route;
use servnet_core::model::{CustomerTier, Priority, Ticket};
use servnet_core::{Error, Location};
use std::collections::BTreeSet;

/// A DataFrame written as CSV text, with what is needed to point back into it.
pub(crate) struct FrameText {
    /// The argument name, e.g. `outlets`.
    pub(crate) frame: String,
    /// The file name the core reader sees, e.g. `outlets.csv`.
    pub(crate) file: String,
    /// The CSV bytes (header + one line per row; no cell contains a line break).
    pub(crate) csv: Vec<u8>,
    /// The frame's index (`df.index`).
    index: Py<PyAny>,
    /// (row, column) of cells that were NaN / None / NaT.
    nan: BTreeSet<(usize, String)>,
}

impl FrameText {
    /// Where a problem reported for `file` lies in this frame (header = line 1, first
    /// row = line 2). `None` for problems in other files.
    pub(crate) fn spot(&self, py: Python<'_>, at: &Location) -> Option<FrameSpot> {
        if at.source != self.file {
            return None;
        }
        let row = at.line.filter(|&l| l >= 2).map(|l| (l - 2) as usize);
        let label = row.and_then(|r| self.index.bind(py).get_item(r).ok().map(|v| v.unbind()));
        let nan = match (row, &at.field) {
            (Some(r), Some(f)) => self.nan.contains(&(r, f.clone())),
            _ => false,
        };
        Some(FrameSpot {
            frame: self.frame.clone(),
            row,
            label,
            nan,
        })
    }
}

/// Maps a core error about files written from `frames` to the frames' rows and columns.
pub(crate) fn frame_error(py: Python<'_>, e: Error, frames: &[&FrameText]) -> PyErr {
    error::to_py_located(py, e, &|at| frames.iter().find_map(|f| f.spot(py, at)))
}

/// Formats a time stamp as the files do.
fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn float_cell(x: f64) -> Option<String> {
    // NaN: a missing value; +-inf are written out so the reader reports them.
    (!x.is_nan()).then(|| x.to_string())
}

/// One Python cell as text; `None` when it is missing (None, NaN, NaT, pd.NA).
pub(crate) fn object_cell(v: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(s.to_cow()?.to_string()));
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Some(v.is_truthy()?.to_string()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(Some(v.str()?.to_cow()?.to_string()));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(float_cell(f.value()));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut parts = Vec::new();
        for item in v.try_iter()? {
            if let Some(s) = object_cell(&item?)? {
                parts.push(s);
            }
        }
        return Ok(Some(parts.join(";")));
    }
    if v.is_instance_of::<PyDateTime>() && !pd_isna(v)? {
        // Naive: the network's clock; aware: the instant in UTC, which the reader
        // converts to the network's clock.
        return Ok(Some(match py_time("time", v)? {
            PyTime::Naive(t) => iso(t),
            PyTime::Utc(t) => iso(t) + "Z",
        }));
    }
    // pd.NA, pd.NaT, numpy NaN scalars: missing.
    if pd_isna(v)? {
        return Ok(None);
    }
    Ok(Some(v.str()?.to_cow()?.to_string()))
}

static PD_ISNA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn pd_isna(v: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = v.py();
    let f = PD_ISNA.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("pandas")?.getattr("isna")?.unbind())
    })?;
    // isna of a list-like returns an array: only a plain True counts.
    Ok(f.bind(py)
        .call1((v,))?
        .cast::<PyBool>()
        .is_ok_and(|b| b.is_true()))
}

/// Rows of a DataFrame converted to text at a time by [`frame_text`].
const FRAME_CHUNK: usize = 65_536;

/// Writes a DataFrame as CSV text, converting each column in bulk by its dtype (a chunk
/// of rows at a time).
///
/// `frame` names the argument in messages; `file` is the name the core reader reports.
pub(crate) fn frame_text(frame: &str, file: &str, df: &Bound<'_, PyAny>) -> PyResult<FrameText> {
    let py = df.py();
    if !(df.hasattr("columns")? && df.hasattr("index")? && df.hasattr("iloc")?) {
        return Err(PyTypeError::new_err(format!(
            "{frame}: expected a pandas DataFrame, got {}",
            df.get_type().name()?
        )));
    }
    let n: usize = df.len()?;
    let mut names = Vec::new();
    let mut series = Vec::new();
    for (k, col) in df.getattr("columns")?.try_iter()?.enumerate() {
        let col = col?;
        names.push(col.str()?.to_cow()?.trim().to_string());
        series.push(
            df.getattr("iloc")?
                .get_item((pyo3::types::PySlice::full(py), k))?,
        );
    }
    let mut nan = BTreeSet::new();
    let mut w = csv::WriterBuilder::new().from_writer(Vec::with_capacity(n * 64));
    let csv_err = |e: csv::Error| error::argument(py, frame, e.to_string());
    w.write_record(&names).map_err(csv_err)?;
    // A chunk of rows at a time: the cells of a big frame are never all held as text.
    let mut from = 0;
    while from < n {
        let to = n.min(from + FRAME_CHUNK);
        let rows = pyo3::types::PySlice::new(py, from as isize, to as isize, 1);
        let columns = series
            .iter()
            .map(|s| series_cells(&s.getattr("iloc")?.get_item(&rows)?))
            .collect::<PyResult<Vec<_>>>()?;
        let mut record: Vec<&str> = Vec::with_capacity(names.len());
        for r in from..to {
            record.clear();
            for (c, col) in columns.iter().enumerate() {
                match col.get(r - from).and_then(Option::as_deref) {
                    Some(s) => record.push(s),
                    None => {
                        nan.insert((r, names[c].clone()));
                        record.push("");
                    }
                }
            }
            w.write_record(&record).map_err(csv_err)?;
        }
        from = to;
    }
    let csv = w
        .into_inner()
        .map_err(|e| error::argument(py, frame, e.to_string()))?;
    Ok(FrameText {
        frame: frame.to_string(),
        file: file.to_string(),
        csv,
        index: df.getattr("index")?.call_method0("tolist")?.unbind(),
        nan,
    })
}

fn values<'py>(s: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    s.call_method0("to_numpy")?.call_method0("tolist")
}

/// The cells of one column as text (`None`: missing), converted in bulk by dtype.
fn series_cells(series: &Bound<'_, PyAny>) -> PyResult<Vec<Option<String>>> {
    let kind: String = series.getattr("dtype")?.getattr("kind")?.extract()?;
    let cells = match kind.as_str() {
        "f" => values(series)?
            .extract::<Vec<f64>>()?
            .into_iter()
            .map(float_cell)
            .collect(),
        "i" | "u" => match values(series)?.extract::<Vec<i64>>() {
            Ok(v) => v.into_iter().map(|x| Some(x.to_string())).collect(),
            Err(_) => generic_cells(series)?,
        },
        "b" => values(series)?
            .extract::<Vec<bool>>()?
            .into_iter()
            .map(|x| Some(x.to_string()))
            .collect(),
        "M" => {
            // datetime64 of any unit: seconds since the epoch. A tz-aware column is an
            // instant: written in UTC with a `Z`, the reader puts it on the network's clock.
            let aware = !series.getattr("dt")?.getattr("tz")?.is_none();
            let s = if aware {
                series
                    .getattr("dt")?
                    .call_method1("tz_convert", ("UTC",))?
                    .getattr("dt")?
                    .call_method1("tz_localize", (series.py().None(),))?
            } else {
                series.clone()
            };
            let secs: Vec<i64> = s
                .call_method1("to_numpy", ("datetime64[s]",))?
                .call_method1("astype", ("int64",))?
                .call_method0("tolist")?
                .extract()?;
            let nat = s.call_method0("isna")?.call_method0("tolist")?;
            let nat: Vec<bool> = nat.extract()?;
            let zone = if aware { "Z" } else { "" };
            secs.into_iter()
                .zip(nat)
                .map(|(x, missing)| {
                    if missing {
                        None
                    } else {
                        DateTime::from_timestamp(x, 0).map(|t| iso(t.naive_utc()) + zone)
                    }
                })
                .collect()
        }
        _ => generic_cells(series)?,
    };
    Ok(cells)
}

fn generic_cells(series: &Bound<'_, PyAny>) -> PyResult<Vec<Option<String>>> {
    series
        .call_method0("tolist")?
        .try_iter()?
        .map(|v| object_cell(&v?))
        .collect()
}

/// A whole-number argument in `min..=max`; anything else (a float, a bool, an int too
/// large for any machine word) is a `DataError` naming the argument, never a bare
/// `OverflowError`.
pub(crate) fn whole(name: &str, v: &Bound<'_, PyAny>, min: i128, max: i128) -> PyResult<i128> {
    let py = v.py();
    let range = || format!("expected a whole number in {min}..={max}");
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        // numpy integers are not `int` but convert through __index__.
        if !v.is_instance_of::<PyBool>() && v.hasattr("__index__")? {
            return whole(name, &v.call_method0("__index__")?, min, max);
        }
        return Err(error::argument(
            py,
            name,
            format!("{}, got {}", range(), v.get_type().name()?),
        ));
    }
    match v.extract::<i128>() {
        Ok(x) if (min..=max).contains(&x) => Ok(x),
        _ => Err(error::argument(
            py,
            name,
            format!("{}, got {}", range(), v.repr()?.to_cow()?),
        )),
    }
}

/// A time argument as given: a wall-clock time without zone, or an instant (UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PyTime {
    /// No zone: the network's wall clock.
    Naive(NaiveDateTime),
    /// With a zone or offset: the instant, in UTC.
    Utc(NaiveDateTime),
}

impl PyTime {
    /// The time on the wall clock of `tz` (the network's zone).
    pub(crate) fn local(self, tz: Tz) -> NaiveDateTime {
        match self {
            PyTime::Naive(t) => t,
            PyTime::Utc(t) => chrono::Utc
                .from_utc_datetime(&t)
                .with_timezone(&tz)
                .naive_local(),
        }
    }
}

/// Reads a time: an aware or naive `datetime` / `pandas.Timestamp`, a `date` (midnight),
/// or ISO 8601 text with or without an offset. An aware time of any `tzinfo` (zoneinfo,
/// pytz, fixed offsets) is taken through its own `utcoffset()`.
pub(crate) fn py_time(name: &str, v: &Bound<'_, PyAny>) -> PyResult<PyTime> {
    let py = v.py();
    let bad = |m: String| error::argument(py, name, m);
    if let Ok(s) = v.cast::<PyString>() {
        let s = s.to_cow()?;
        let s = s.trim();
        let expected = || {
            bad(format!(
                "expected a time stamp like 2026-11-23T08:15:00 or 2026-11-23T08:15:00+08:00, got '{s}'"
            ))
        };
        // Naive text is wall-clock time; text with an offset is an instant.
        let naive = servnet_core::io::parse_time_in(s, Tz::UTC);
        let looks_zoned = s
            .get(10..)
            .is_some_and(|rest| rest.contains(['+', '-', 'Z', 'z']));
        return match naive {
            Some(t) if looks_zoned => Ok(PyTime::Utc(t)),
            Some(t) => Ok(PyTime::Naive(t)),
            None => Err(expected()),
        };
    }
    if v.is_instance_of::<PyDateTime>() {
        let tzinfo = v.getattr("tzinfo")?;
        let naive_of = |x: &Bound<'_, PyAny>| -> PyResult<NaiveDateTime> {
            x.extract::<NaiveDateTime>()
                .map_err(|e| bad(format!("not a valid datetime: {e}")))
        };
        if tzinfo.is_none() {
            return naive_of(v).map(PyTime::Naive);
        }
        let offset = v.call_method0("utcoffset")?;
        if offset.is_none() {
            return naive_of(v).map(PyTime::Naive);
        }
        let offset: chrono::TimeDelta = offset
            .extract()
            .map_err(|e| bad(format!("unusable UTC offset: {e}")))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", py.None())?;
        let wall = naive_of(&v.call_method("replace", (), Some(&kwargs))?)?;
        return wall
            .checked_sub_signed(offset)
            .map(PyTime::Utc)
            .ok_or_else(|| bad(format!("{wall} minus its offset is out of range")));
    }
    if let Ok(d) = v.extract::<NaiveDate>() {
        return Ok(PyTime::Naive(d.and_time(chrono::NaiveTime::MIN)));
    }
    Err(bad(format!(
        "expected a datetime or an ISO 8601 string, got {}",
        v.get_type().name()?
    )))
}

/// A time stamp argument on the wall clock of `tz` (the network's zone): naive values
/// are taken as that clock, aware ones converted to it.
pub(crate) fn time_arg(name: &str, v: &Bound<'_, PyAny>, tz: Tz) -> PyResult<NaiveDateTime> {
    py_time(name, v).map(|t| t.local(tz))
}

/// A date argument: `date`, `datetime` (its date) or ISO text.
pub(crate) fn date_arg(name: &str, v: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    if let Ok(d) = v.extract::<NaiveDate>() {
        if !v.hasattr("hour")? {
            return Ok(d);
        }
    }
    py_time(name, v).map(|t| match t {
        PyTime::Naive(t) | PyTime::Utc(t) => t.date(),
    })
}

fn parse_arg<T: std::str::FromStr<Err = String>>(
    py: Python<'_>,
    name: &str,
    v: &str,
) -> PyResult<T> {
    v.parse().map_err(|m: String| error::argument(py, name, m))
}

/// Builds a ticket from keyword values (the `Ticket` constructor and the dict fast path).
///
/// With `tz` (a dispatcher's network zone) times end on its wall clock; without it
/// (a standalone `Ticket`), aware times are kept as UTC and the second value is true:
/// the dispatcher converts them to its network's clock (see `ticket_arg`). Naive and
/// aware times cannot be mixed in one ticket without a network to relate them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn make_ticket(
    py: Python<'_>,
    id: String,
    lon: f64,
    lat: f64,
    region: String,
    skill: String,
    created_at: &Bound<'_, PyAny>,
    due_by: Option<&Bound<'_, PyAny>>,
    units: u32,
    priority: &str,
    customer_tier: &str,
    avoid: Vec<String>,
    preferred: Option<String>,
    tz: Option<Tz>,
) -> PyResult<(Ticket, bool)> {
    let created = py_time("created_at", created_at)?;
    let due = match due_by {
        Some(v) if !v.is_none() => Some(py_time("due_by", v)?),
        _ => None,
    };
    let (created_at, due_by, utc) = match (tz, created, due) {
        (Some(tz), c, d) => (c.local(tz), d.map(|d| d.local(tz)), false),
        (None, PyTime::Naive(c), None | Some(PyTime::Naive(_))) => {
            (c, due.map(|d| d.local(Tz::UTC)), false)
        }
        (None, PyTime::Utc(c), None | Some(PyTime::Utc(_))) => {
            (c, due.map(|d| d.local(Tz::UTC)), true)
        }
        (None, _, _) => {
            return Err(error::argument(
                py,
                "due_by",
                "created_at and due_by must both have a time zone or both have none",
            ))
        }
    };
    let due_by = match due_by {
        Some(d) => d,
        None => Ticket::default_due_by(created_at)
            .ok_or_else(|| error::argument(py, "created_at", "time out of range"))?,
    };
    let priority: Priority = parse_arg(py, "priority", priority)?;
    let customer_tier: CustomerTier = parse_arg(py, "customer_tier", customer_tier)?;
    let t = Ticket {
        id,
        lon,
        lat,
        region,
        skill,
        units,
        priority,
        created_at,
        due_by,
        customer_tier,
        avoid,
        preferred,
    };
    // The checks that need no network, by the one judge of tickets (the network's
    // come when the ticket is dispatched).
    let problems = t.field_problems();
    if !problems.is_empty() {
        return Err(error::to_py(py, t.error(problems)));
    }
    Ok((t, utc))
}

/// A ticket from a dict with the tickets.csv column names (`id`, `lon`, `lat`, `region`,
/// `skill`, `created_at` required; `due_by`, `units`, `priority`, `customer_tier`,
/// `avoid`, `preferred` optional).
pub(crate) fn ticket_from_dict(d: &Bound<'_, PyDict>, tz: Option<Tz>) -> PyResult<(Ticket, bool)> {
    let py = d.py();
    let req = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        d.get_item(key)?
            .ok_or_else(|| error::argument(py, key, format!("ticket dict has no '{key}' key")))
    };
    let typed = |key: &str, what: &str| {
        let key = key.to_string();
        let what = what.to_string();
        move |_e: PyErr| error::argument(py, &key, format!("expected {what}"))
    };
    let opt = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        // None and NaN (pandas' missing value in a row dict) mean "not given".
        Ok(d.get_item(key)?
            .filter(|v| !(v.is_none() || v.cast::<PyFloat>().is_ok_and(|f| f.value().is_nan()))))
    };
    let avoid = match opt("avoid")? {
        None => Vec::new(),
        Some(v) => match v.cast::<PyString>() {
            Ok(s) => s
                .to_cow()?
                .split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect(),
            Err(_) => v
                .extract()
                .map_err(typed("avoid", "a list of outlet ids"))?,
        },
    };
    let text = |key: &str, default: &'static str| -> PyResult<String> {
        match opt(key)? {
            None => Ok(default.to_string()),
            Some(v) => v.extract().map_err(typed(key, "a string")),
        }
    };
    make_ticket(
        py,
        req("id")?.extract().map_err(typed("id", "a string id"))?,
        req("lon")?.extract().map_err(typed("lon", "a number"))?,
        req("lat")?.extract().map_err(typed("lat", "a number"))?,
        req("region")?
            .extract()
            .map_err(typed("region", "a region code"))?,
        req("skill")?
            .extract()
            .map_err(typed("skill", "a skill 'kind:category'"))?,
        &req("created_at")?,
        opt("due_by")?.as_ref(),
        match opt("units")? {
            None => 1,
            Some(v) => whole("units", &v, 1, i128::from(u32::MAX))? as u32,
        },
        &text("priority", "normal")?,
        &text("customer_tier", "standard")?,
        avoid,
        match opt("preferred")? {
            None => None,
            Some(v) => Some(v.extract().map_err(typed("preferred", "an outlet id"))?),
        },
        tz,
    )
}

/// The CLI's route text (`wider_radius_x1.5`).
pub(crate) fn route_text(r: Route) -> String {
    servnet_core::dispatch::route_text(r)
}

static MAKE_FRAME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Builds a pandas DataFrame from named columns via `servnet._frames.make_frame` (the
/// only place pandas is imported on the result side).
/// `dtypes` names pandas dtypes for some columns (e.g. `("day", "Int64")` for a nullable
/// integer column).
pub(crate) fn to_frame<'py>(
    py: Python<'py>,
    columns: Vec<(&str, Bound<'py, PyAny>)>,
    dtypes: &[(&str, &str)],
) -> PyResult<Bound<'py, PyAny>> {
    let f = MAKE_FRAME.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("servnet._frames")?
                .getattr("make_frame")?
                .unbind(),
        )
    })?;
    let names = PyList::new(py, columns.iter().map(|(n, _)| *n))?;
    let values = PyList::new(py, columns.into_iter().map(|(_, v)| v))?;
    let types = PyDict::new(py);
    for (k, v) in dtypes {
        types.set_item(k, v)?;
    }
    f.bind(py).call1((names, values, types))
}
