//! `servnet.Policy`: how the dispatcher filters and ranks outlets.

use crate::convert;
use crate::error;
use crate::plain::{self, PlainData};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use servnet_core::dispatch::{Fallback, Policy, Weights};
use std::borrow::Cow;

/// How the dispatcher filters and ranks outlets (immutable; pickles).
///
/// Every argument is optional; the defaults are servnet's balanced policy.
/// ``weights`` is a dict with any of ``distance``, ``satisfaction``, ``load``, ``cost``,
/// ``priority``, ``probation``, ``preferred``, ``package`` (km-equivalents; missing keys
/// keep their default; ``package`` steers lower-weight service packages off outlet-days
/// close to full). ``fallback`` is a list of steps tried in order when no outlet passes the
/// hard rules: ``"wider_radius:1.5"``, ``"next_day:2"``, ``"escalate"`` (or tuples
/// ``("wider_radius", 1.5)``). ``start_date`` is day 0 of the load ledger (date or ISO
/// text; default: the date of the first ticket dispatched).
///
/// >>> p = servnet.Policy(weights={"distance": 1.0, "load": 0.0}, horizon_days=3)
/// >>> p.weights["load"], p.horizon_days
/// (0.0, 3)
/// >>> servnet.Policy(fallback=["escalate"]).fallback
/// ['escalate']
#[pyclass(frozen, module = "servnet", name = "Policy")]
#[derive(Clone)]
pub(crate) struct PyPolicy {
    pub(crate) inner: Policy,
}

/// A fallback step: text (``"next_day:2"``) or a ``(name, argument)`` tuple, read by
/// the core's [`Fallback`] parser.
fn fallback_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Fallback> {
    let step = if let Ok(s) = v.cast::<PyString>() {
        s.to_cow()?.parse::<Fallback>()
    } else if let Ok((k, a)) = v.extract::<(String, f64)>() {
        Fallback::from_parts(&k, Some(a))
    } else {
        Err(Fallback::SYNTAX.to_string())
    };
    step.map_err(|e| error::argument(py, "fallback", e))
}

fn set_weights(py: Python<'_>, w: &mut Weights, d: &Bound<'_, PyDict>) -> PyResult<()> {
    for (k, v) in d.iter() {
        let k: String = k.extract()?;
        let v: f64 = v
            .extract()
            .map_err(|_| error::argument(py, &format!("weights.{k}"), "expected a number"))?;
        let slot = match k.as_str() {
            "distance" => &mut w.distance,
            "satisfaction" => &mut w.satisfaction,
            "load" => &mut w.load,
            "cost" => &mut w.cost,
            "priority" => &mut w.priority,
            "probation" => &mut w.probation,
            "preferred" => &mut w.preferred,
            "package" => &mut w.package,
            _ => {
                return Err(error::argument(
                    py,
                    "weights",
                    format!("unknown weight '{k}' (expected distance, satisfaction, load, cost, priority, probation, preferred, package)"),
                ))
            }
        };
        *slot = v;
    }
    Ok(())
}

#[pymethods]
impl PyPolicy {
    #[new]
    #[pyo3(signature = (*, weights=None, detour_factor=None, speed_kmh=None, prior_weight=None,
        emergency_reserve=None, horizon_days=None, start_date=None, fallback=None,
        centre_priority=None, package_reserve=None, reserve_min_weight=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        weights: Option<&Bound<'_, PyDict>>,
        detour_factor: Option<f64>,
        speed_kmh: Option<f64>,
        prior_weight: Option<f64>,
        emergency_reserve: Option<f64>,
        horizon_days: Option<&Bound<'_, PyAny>>,
        start_date: Option<&Bound<'_, PyAny>>,
        fallback: Option<&Bound<'_, PyAny>>,
        centre_priority: Option<&Bound<'_, PyAny>>,
        package_reserve: Option<f64>,
        reserve_min_weight: Option<f64>,
    ) -> PyResult<Self> {
        let mut p = Policy::default();
        p.package_reserve = package_reserve.unwrap_or(p.package_reserve);
        p.reserve_min_weight = reserve_min_weight.unwrap_or(p.reserve_min_weight);
        if let Some(w) = weights {
            set_weights(py, &mut p.weights, w)?;
        }
        p.detour_factor = detour_factor.unwrap_or(p.detour_factor);
        p.speed_kmh = speed_kmh.unwrap_or(p.speed_kmh);
        p.prior_weight = prior_weight.unwrap_or(p.prior_weight);
        p.emergency_reserve = emergency_reserve.unwrap_or(p.emergency_reserve);
        if let Some(h) = horizon_days.filter(|v| !v.is_none()) {
            p.horizon_days = convert::whole("horizon_days", h, 1, 366)? as u32;
        }
        if let Some(c) = centre_priority.filter(|v| !v.is_none()) {
            p.centre_priority = convert::whole("centre_priority", c, 0, 100)? as u8;
        }
        if let Some(d) = start_date.filter(|d| !d.is_none()) {
            p.start_date = Some(convert::date_arg("start_date", d)?);
        }
        if let Some(f) = fallback.filter(|f| !f.is_none()) {
            p.fallback = f
                .try_iter()?
                .map(|x| fallback_arg(py, &x?))
                .collect::<PyResult<_>>()?;
        }
        p.validate().map_err(|e| error::to_py(py, e))?;
        Ok(PyPolicy { inner: p })
    }

    /// The CLI's ``nearest`` policy: distance only (nearest outlet with capacity).
    ///
    /// >>> servnet.Policy.nearest().weights["satisfaction"]
    /// 0.0
    #[staticmethod]
    fn nearest() -> Self {
        PyPolicy {
            inner: Policy::nearest(),
        }
    }

    /// Score weights as a dict.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let w = &self.inner.weights;
        let d = PyDict::new(py);
        for (k, v) in [
            ("distance", w.distance),
            ("satisfaction", w.satisfaction),
            ("load", w.load),
            ("cost", w.cost),
            ("priority", w.priority),
            ("probation", w.probation),
            ("preferred", w.preferred),
            ("package", w.package),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
    /// Road km per great-circle km.
    #[getter]
    fn detour_factor(&self) -> f64 {
        self.inner.detour_factor
    }
    /// Travel speed in km/h for the SLA rule.
    #[getter]
    fn speed_kmh(&self) -> f64 {
        self.inner.speed_kmh
    }
    /// Pseudo-ratings of the network mean in satisfaction scores.
    #[getter]
    fn prior_weight(&self) -> f64 {
        self.inner.prior_weight
    }
    /// Share of capacity kept for tickets whose service package weighs at least
    /// ``reserve_min_weight`` (networks with service packages only).
    #[getter]
    fn package_reserve(&self) -> f64 {
        self.inner.package_reserve
    }
    /// The package priority weight from which a ticket may use the package reserve.
    #[getter]
    fn reserve_min_weight(&self) -> f64 {
        self.inner.reserve_min_weight
    }
    /// Share of capacity kept for emergency tickets.
    #[getter]
    fn emergency_reserve(&self) -> f64 {
        self.inner.emergency_reserve
    }
    /// Days the load ledger covers.
    #[getter]
    fn horizon_days(&self) -> u32 {
        self.inner.horizon_days
    }
    /// Day 0 of the ledger, or None (the first ticket's date).
    #[getter]
    fn start_date(&self) -> Option<chrono::NaiveDate> {
        self.inner.start_date
    }
    /// Fallback steps, as text.
    #[getter]
    fn fallback(&self) -> Vec<String> {
        self.inner
            .fallback
            .iter()
            .map(Fallback::to_string)
            .collect()
    }
    /// Dispatch priority from which an outlet is a regional centre.
    #[getter]
    fn centre_priority(&self) -> u8 {
        self.inner.centre_priority
    }

    /// The policy as a JSON string (the CLI's ``--policy-file`` format).
    ///
    /// >>> '"horizon_days":7' in servnet.Policy().to_json()
    /// True
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| error::argument(py, "policy", e.to_string()))
    }

    /// Reads a policy from JSON (fields as in :meth:`to_json`; missing ones default).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Self::_from_json(py, text.as_bytes())
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        plain::same(self, other)
    }

    fn __repr__(&self) -> String {
        let w = &self.inner.weights;
        format!(
            "Policy(weights={{distance: {}, satisfaction: {}, load: {}, cost: {}, priority: {}, probation: {}, preferred: {}, package: {}}}, detour_factor={}, speed_kmh={}, horizon_days={}, fallback={:?})",
            w.distance, w.satisfaction, w.load, w.cost, w.priority, w.probation, w.preferred, w.package,
            self.inner.detour_factor, self.inner.speed_kmh, self.inner.horizon_days,
            self.fallback()
        )
    }
}

impl PlainData for PyPolicy {
    type Data = Policy;
    const WHAT: &'static str = "policy";
    fn data(&self) -> Cow<'_, Policy> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(py: Python<'_>, p: Policy) -> PyResult<Self> {
        p.validate().map_err(|e| error::to_py(py, e))?;
        Ok(PyPolicy { inner: p })
    }
}
