//! Planning bindings: `PlanningData`, and the low-level calls behind `servnet.forecast`,
//! `servnet.plan`, `servnet.simulate` and `servnet.compare_scenarios`.
//!
//! `_Forecast`, `_NetworkPlan` and `_Simulation` hold the Rust results (later calls
//! take the first two); `servnet/_planning.py` wraps each in its `servnet.Result`
//! subclass. All pickle through `crate::plain`.

use crate::dispatch::{read_tickets_file, tickets_from_frame, PyTickets};
use crate::error;
use crate::frame::{self, FrameCols};
use crate::network::PyNetwork;
use crate::plain::{self, PlainData};
use crate::run::{self, blocking};
use ndarray::{Array2, Array3};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde::{Deserialize, Serialize};
use servnet_core::campaign::{add_campaigns, Campaign, CampaignOptions};
use servnet_core::io::{campaigns_from_frame, read_campaigns, read_campaigns_in, Frame};
use servnet_core::model::{PlanningData, Skill, Ticket};
use servnet_core::plan::curves::{fit_repair_curves, FitOptions};
use servnet_core::plan::demand::PopulationPoint;
use servnet_core::plan::forecast::{forecast, Forecast, ForecastOptions};
use servnet_core::plan::forecast::{DemandSource, ForecastWarning};
use servnet_core::plan::frontier::{combine_points, frontier_csv};
use servnet_core::plan::network_plan::{
    frontier_counts, plan_network, NetworkPlan, PlanInputs, PlanModel, PlanOptions,
};
use servnet_core::plan::replay::planned_network;
use servnet_core::plan::scenario::{run_scenario, Scenario, ScenarioInputs};
use servnet_core::plan::simulate::{peak_month_tickets, simulate, SimOptions, SimResult};
use servnet_core::Error;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Validated planning inputs: products with repair curves, installed base, sales plan
/// and seasonality (docs/formats.md), checked against a network.
///
/// >>> planning = servnet.PlanningData.from_dir("data/sample", net)
/// >>> planning
/// PlanningData(40 products, 36000 installed-base rows, 12000 sales-plan rows)
#[pyclass(frozen, module = "servnet", name = "PlanningData")]
pub(crate) struct PyPlanningData {
    pub(crate) inner: Arc<PlanningData>,
    /// The folder's (or frame's) campaigns: `servnet.forecast` counts them by default,
    /// as `servnet plan` does.
    pub(crate) campaigns: Arc<Vec<Campaign>>,
}

#[pymethods]
impl PyPlanningData {
    /// Reads the planning files of a data folder (products, repair_rates,
    /// installed_base, sales_plan, seasonality, and campaigns, which the forecast counts
    /// as demand by default; missing files give empty parts).
    /// Raises ``DataError`` naming file, line and field of every problem.
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: PathBuf, network: &PyNetwork) -> PyResult<Self> {
        let net = network.inner.clone();
        let (data, campaigns) = py
            .detach(|| {
                let data = servnet_core::io::read_planning(&path, &net)?;
                let campaigns = read_campaigns_in(&path, &net)?.unwrap_or_default();
                Ok::<_, Error>((data, campaigns))
            })
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyPlanningData {
            inner: Arc::new(data),
            campaigns: Arc::new(campaigns),
        })
    }

    /// Planning inputs from DataFrames with the columns of the files of the same name
    /// (docs/formats.md), validated exactly like the files. Raises ``DataError`` naming
    /// frame, row, index label and column of every problem.
    ///
    /// >>> d = "data/sample/"
    /// >>> planning = servnet.PlanningData.from_frames(net,
    /// ...     products=pd.read_csv(d + "products.csv"),
    /// ...     repair_rates=pd.read_csv(d + "repair_rates.csv"),
    /// ...     installed_base=pd.read_csv(d + "installed_base.csv"),
    /// ...     sales_plan=pd.read_csv(d + "sales_plan.csv"),
    /// ...     seasonality=pd.read_csv(d + "seasonality.csv"))
    #[staticmethod]
    #[pyo3(signature = (network, *, products, repair_rates=None, installed_base=None,
                        sales_plan=None, seasonality=None, retirement=None,
                        service_rates=None, repair_history=None, campaigns=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_frames(
        py: Python<'_>,
        network: &PyNetwork,
        products: &Bound<'_, PyAny>,
        repair_rates: Option<&Bound<'_, PyAny>>,
        installed_base: Option<&Bound<'_, PyAny>>,
        sales_plan: Option<&Bound<'_, PyAny>>,
        seasonality: Option<&Bound<'_, PyAny>>,
        retirement: Option<&Bound<'_, PyAny>>,
        service_rates: Option<&Bound<'_, PyAny>>,
        repair_history: Option<&Bound<'_, PyAny>>,
        campaigns: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut frames: Vec<FrameCols> =
            vec![frame::frame_cols("products", "products.csv", products)?];
        let mut campaign_frame = None;
        for (name, df) in [
            ("repair_rates", repair_rates),
            ("installed_base", installed_base),
            ("sales_plan", sales_plan),
            ("seasonality", seasonality),
            ("retirement", retirement),
            ("service_rates", service_rates),
            ("repair_history", repair_history),
            ("campaigns", campaigns),
        ] {
            if let Some(df) = df.filter(|v| !v.is_none()) {
                let cols = frame::frame_cols(name, &format!("{name}.csv"), df)?;
                if name == "campaigns" {
                    campaign_frame = Some(cols);
                } else {
                    frames.push(cols);
                }
            }
        }
        let net = network.inner.clone();
        let (data, campaigns) = py
            .detach(|| {
                let parts: Vec<Arc<Frame>> = frames.iter().map(|f| f.frame.clone()).collect();
                let data = servnet_core::io::planning_from_frames(&parts, &net)?;
                let campaigns = match &campaign_frame {
                    Some(f) => campaigns_from_frame(&f.frame, &net)?,
                    None => Vec::new(),
                };
                Ok::<_, Error>((data, campaigns))
            })
            .map_err(|e| {
                let refs: Vec<&FrameCols> = frames.iter().chain(&campaign_frame).collect();
                frame::frame_error(py, e, &refs)
            })?;
        Ok(PyPlanningData {
            inner: Arc::new(data),
            campaigns: Arc::new(campaigns),
        })
    }

    /// Product models.
    #[getter]
    fn products(&self) -> usize {
        self.inner.products.len()
    }

    /// Rows of repair history.
    #[getter]
    fn repair_history(&self) -> usize {
        self.inner.repair_history.len()
    }

    /// Each model's input repair rates at ages `0..=max_age`, `{model: [rate, ...]}`.
    #[pyo3(signature = (max_age=20))]
    fn repair_rates(&self, max_age: u32) -> BTreeMap<String, Vec<f64>> {
        self.inner
            .products
            .iter()
            .map(|p| {
                let rates = (0..=max_age.min(200)).map(|a| p.curve.rate(a)).collect();
                (p.model.clone(), rates)
            })
            .collect()
    }

    /// A copy whose models take the given rates by age as table curves: ``rates`` is a
    /// DataFrame with columns model, age, rate (e.g. ``servnet.fit_repair_curves``'s
    /// result); models not in it keep their curves. Raises ``DataError`` for a model
    /// not in the products, or ages that are not ``0..n`` per model.
    fn with_repair_curves(&self, py: Python<'_>, rates: &Bound<'_, PyAny>) -> PyResult<Self> {
        let cols = rates.call_method1("to_dict", ("list",))?;
        let get = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            cols.get_item(name).map_err(|_| {
                error::to_py(
                    py,
                    Error::argument("rates", format!("missing column '{name}'")),
                )
            })
        };
        let models: Vec<String> = get("model")?.extract()?;
        let ages: Vec<u32> = get("age")?.extract()?;
        let values: Vec<f64> = get("rate")?.extract()?;
        let rows = models.into_iter().zip(ages).zip(values);
        let data = self
            .inner
            .with_rate_tables(rows.map(|((m, a), r)| (m, a, r)))
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyPlanningData {
            inner: Arc::new(data),
            campaigns: Arc::clone(&self.campaigns),
        })
    }

    /// Ids of the campaigns the forecast counts by default (the folder's campaigns.csv).
    #[getter]
    fn campaigns(&self) -> Vec<String> {
        self.campaigns.iter().map(|c| c.id.clone()).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "PlanningData({} products, {} installed-base rows, {} sales-plan rows)",
            self.inner.products.len(),
            self.inner.installed_base.len(),
            self.inner.sales_plan.len()
        )
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

/// `PlanningData` with its campaigns, as pickled.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PlanningParts {
    planning: PlanningData,
    #[serde(default)]
    campaigns: Vec<Campaign>,
}

impl PlainData for PyPlanningData {
    type Data = PlanningParts;
    const WHAT: &'static str = "planning";
    fn data(&self) -> Cow<'_, PlanningParts> {
        Cow::Owned(PlanningParts {
            planning: (*self.inner).clone(),
            campaigns: (*self.campaigns).clone(),
        })
    }
    fn from_data(_py: Python<'_>, data: PlanningParts) -> PyResult<Self> {
        Ok(PyPlanningData {
            inner: Arc::new(data.planning),
            campaigns: Arc::new(data.campaigns),
        })
    }
}

/// `Forecast` as plain serde data (ndarray arrays flattened in logical order).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct ForecastData {
    options: ForecastOptions,
    regions: Vec<String>,
    skills: Vec<Skill>,
    years: Vec<i32>,
    tickets: Vec<f64>,
    peak_day: Vec<f64>,
    peak_month: Vec<u32>,
    peak_share: Vec<f64>,
    monthly_share: Vec<f64>,
    #[serde(default)]
    region_peak_month: Vec<u32>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    units_in_service: Vec<f64>,
    #[serde(default)]
    warnings: Vec<ForecastWarning>,
    #[serde(default)]
    sources: Vec<DemandSource>,
    #[serde(default = "one")]
    day_peak_factor: f64,
}

fn one() -> f64 {
    1.0
}

fn shape_err(e: ndarray::ShapeError) -> Error {
    Error::argument("forecast", format!("bad array shape: {e}"))
}

impl ForecastData {
    fn from(f: &Forecast, options: &ForecastOptions) -> Self {
        ForecastData {
            options: options.clone(),
            regions: f.regions.clone(),
            skills: f.skills.clone(),
            years: f.years.clone(),
            tickets: f.tickets.iter().copied().collect(),
            peak_day: f.peak_day.iter().copied().collect(),
            peak_month: f.peak_month.iter().copied().collect(),
            peak_share: f.peak_share.iter().copied().collect(),
            monthly_share: f.monthly_share.iter().copied().collect(),
            region_peak_month: f.region_peak_month.iter().copied().collect(),
            categories: f.categories.clone(),
            units_in_service: f.units_in_service.iter().copied().collect(),
            warnings: f.warnings.clone(),
            sources: f.sources.clone(),
            day_peak_factor: f.day_peak_factor,
        }
    }

    fn into_forecast(self) -> servnet_core::Result<Forecast> {
        let (r, s, y) = (self.regions.len(), self.skills.len(), self.years.len());
        let c = self.categories.len();
        Ok(Forecast {
            region_peak_month: Array2::from_shape_vec((r, y), self.region_peak_month)
                .map_err(shape_err)?,
            units_in_service: Array3::from_shape_vec((r, c, y), self.units_in_service)
                .map_err(shape_err)?,
            categories: self.categories,
            warnings: self.warnings,
            sources: self.sources,
            day_peak_factor: self.day_peak_factor,
            tickets: Array3::from_shape_vec((r, s, y), self.tickets).map_err(shape_err)?,
            peak_day: Array3::from_shape_vec((r, s, y), self.peak_day).map_err(shape_err)?,
            peak_month: Array2::from_shape_vec((s, y), self.peak_month).map_err(shape_err)?,
            peak_share: Array2::from_shape_vec((s, y), self.peak_share).map_err(shape_err)?,
            monthly_share: Array2::from_shape_vec((s, 12), self.monthly_share)
                .map_err(shape_err)?,
            regions: self.regions,
            skills: self.skills,
            years: self.years,
        })
    }
}

/// The Rust forecast behind `servnet.Forecast` (input of `servnet.plan`).
#[pyclass(frozen, module = "servnet._servnet", name = "_Forecast")]
pub(crate) struct PyForecast {
    inner: Arc<Forecast>,
    options: ForecastOptions,
}

#[pymethods]
impl PyForecast {
    /// `{"rows": [...], "totals": [...], "options": {...}}` as JSON.
    fn view(&self, py: Python<'_>) -> PyResult<String> {
        #[derive(Serialize)]
        struct View<'a> {
            rows: Vec<servnet_core::plan::forecast::ForecastRow>,
            totals: Vec<servnet_core::plan::forecast::YearTotals>,
            options: &'a ForecastOptions,
            warnings: &'a [ForecastWarning],
            sources: &'a [DemandSource],
        }
        let v = View {
            rows: self.inner.rows(),
            totals: self.inner.totals(),
            options: &self.options,
            warnings: &self.inner.warnings,
            sources: &self.inner.sources,
        };
        run::to_json(&v).map_err(|e| error::to_py(py, e))
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

impl PlainData for PyForecast {
    type Data = ForecastData;
    const WHAT: &'static str = "forecast";
    fn data(&self) -> Cow<'_, ForecastData> {
        Cow::Owned(ForecastData::from(&self.inner, &self.options))
    }
    fn from_data(py: Python<'_>, d: ForecastData) -> PyResult<Self> {
        let options = d.options.clone();
        let f = d.into_forecast().map_err(|e| error::to_py(py, e))?;
        Ok(PyForecast {
            inner: Arc::new(f),
            options,
        })
    }
}

/// Forecast options: `ForecastOptions::new(start_year, years)` with `options` (JSON
/// object text of field overrides) laid over it.
fn forecast_options(
    start_year: i32,
    years: u32,
    options: &str,
) -> servnet_core::Result<ForecastOptions> {
    run::overlay(
        &ForecastOptions::new(start_year, years),
        options,
        "forecast options",
    )
}

/// Tickets per region, skill and year (see `servnet.forecast`).
#[pyfunction]
#[pyo3(signature = (planning, network, start_year, years, options="{}", campaigns=None))]
fn _forecast(
    py: Python<'_>,
    planning: &PyPlanningData,
    network: &PyNetwork,
    start_year: i32,
    years: u32,
    options: &str,
    campaigns: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyForecast> {
    let opts = forecast_options(start_year, years, options).map_err(|e| error::to_py(py, e))?;
    let list = campaigns_arg(py, planning, network, campaigns)?;
    let (data, net, o) = (planning.inner.clone(), network.inner.clone(), opts.clone());
    let f = blocking(py, None, move || {
        let f = forecast(&data, &net, &o)?;
        if list.is_empty() {
            return Ok(f);
        }
        add_campaigns(&f, &list, &data, &net, &CampaignOptions::default())
    })?;
    Ok(PyForecast {
        inner: Arc::new(f),
        options: opts,
    })
}

/// The campaigns a forecast counts: `None` or `True` the planning data's (its folder's
/// campaigns.csv, as `servnet plan`), `False` none, a path or DataFrame those.
fn campaigns_arg(
    py: Python<'_>,
    planning: &PyPlanningData,
    network: &PyNetwork,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<Arc<Vec<Campaign>>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Arc::clone(&planning.campaigns));
    };
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(if b.is_true() {
            Arc::clone(&planning.campaigns)
        } else {
            Arc::new(Vec::new())
        });
    }
    let net = network.inner.clone();
    if v.hasattr("columns")? {
        let f = frame::frame_cols("campaigns", "campaigns.csv", v)?;
        let list = py
            .detach(|| campaigns_from_frame(&f.frame, &net))
            .map_err(|e| frame::frame_error(py, e, &[&f]))?;
        return Ok(Arc::new(list));
    }
    let path: PathBuf = v.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "campaigns: expected True, False, a campaigns file path or a DataFrame",
        )
    })?;
    let list = py
        .detach(|| read_campaigns(&path, &net))
        .map_err(|e| error::to_py(py, e))?;
    Ok(Arc::new(list))
}

/// Plan options: the defaults with `model`, `p`, `year`, `time_limit`, `response` set
/// and `options` (JSON object text) laid over them.
fn plan_options(
    model: Option<&str>,
    p: Option<usize>,
    year: Option<i32>,
    time_limit: f64,
    response: bool,
    options: &str,
) -> servnet_core::Result<PlanOptions> {
    if !(time_limit.is_finite() && time_limit >= 0.0) {
        return Err(Error::argument("time_limit", "expected >= 0 seconds"));
    }
    let mut base = PlanOptions {
        year,
        model: PlanModel::parse(model, p)?,
        ..Default::default()
    };
    base.solve.time_limit = time_limit;
    if response {
        base.response = Some(Default::default());
    }
    run::overlay(&base, options, "plan options")
}

/// Population points: a DataFrame (region, lon, lat, population), a population.csv
/// path, or a data folder holding one.
fn population_points(
    py: Python<'_>,
    network: &PyNetwork,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PopulationPoint>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    let net = network.inner.clone();
    if let Ok(p) = v.extract::<PathBuf>() {
        let r = if p.is_dir() {
            py.detach(|| servnet_core::io::read_population(&p, &net))
        } else {
            let bytes = std::fs::read(&p).map_err(|source| {
                error::to_py(
                    py,
                    Error::Io {
                        path: p.display().to_string(),
                        source,
                    },
                )
            })?;
            let name = p.display().to_string();
            py.detach(|| servnet_core::io::population_from_csv(&name, &bytes, &net))
        };
        return r.map_err(|e| error::to_py(py, e));
    }
    let cols = frame::frame_cols("population", "population.csv", v)?;
    py.detach(|| servnet_core::io::population_from_frame(&cols.frame, &net))
        .map_err(|e| frame::frame_error(py, e, &[&cols]))
}

fn history(
    py: Python<'_>,
    network: &PyNetwork,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Ticket>> {
    match v.filter(|v| !v.is_none()) {
        Some(t) => replay_tickets(py, network, t),
        None => Ok(Vec::new()),
    }
}

/// The Rust plan behind `servnet.NetworkPlan` (with the options it was made with, which
/// `servnet.simulate` needs).
#[pyclass(frozen, module = "servnet._servnet", name = "_NetworkPlan")]
pub(crate) struct PyNetworkPlan {
    plan: Arc<NetworkPlan>,
    options: PlanOptions,
}

/// A plan with the options it was made with, as pickled.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PlanData {
    plan: NetworkPlan,
    options: PlanOptions,
}

#[pymethods]
impl PyNetworkPlan {
    /// The plan (sites, regions, totals, region_skills) as serde JSON.
    fn view(&self, py: Python<'_>) -> PyResult<String> {
        run::to_json(&*self.plan).map_err(|e| error::to_py(py, e))
    }

    /// The options the plan was made with, as JSON.
    fn options(&self, py: Python<'_>) -> PyResult<String> {
        run::to_json(&self.options).map_err(|e| error::to_py(py, e))
    }

    /// The per-site table as the CLI writes it (plan.csv).
    fn sites_csv(&self, py: Python<'_>) -> PyResult<String> {
        self.plan.sites_csv().map_err(|e| error::to_py(py, e))
    }

    /// The frontier table as the CLI writes it (--frontier).
    fn frontier_csv(&self, py: Python<'_>) -> PyResult<String> {
        frontier_csv(&self.plan.frontier).map_err(|e| error::to_py(py, e))
    }

    /// The planned network (closed outlets kept with status closed, new sites added)
    /// as a `Network` over `network`'s regions.
    fn planned_network(&self, py: Python<'_>, network: &PyNetwork) -> PyResult<PyNetwork> {
        let net = planned_network(&self.plan, &network.inner, &self.options)
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyNetwork::new(net))
    }

    /// Writes the planned network as a data folder (`servnet dispatch` reads it).
    fn write_network(&self, py: Python<'_>, path: PathBuf, network: &PyNetwork) -> PyResult<()> {
        let net = planned_network(&self.plan, &network.inner, &self.options)
            .map_err(|e| error::to_py(py, e))?;
        servnet_core::io::write_network(&path, &net).map_err(|e| error::to_py(py, e))
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

impl PlainData for PyNetworkPlan {
    type Data = PlanData;
    const WHAT: &'static str = "plan";
    fn data(&self) -> Cow<'_, PlanData> {
        Cow::Owned(PlanData {
            plan: (*self.plan).clone(),
            options: self.options.clone(),
        })
    }
    fn from_data(_py: Python<'_>, d: PlanData) -> PyResult<Self> {
        Ok(PyNetworkPlan {
            plan: Arc::new(d.plan),
            options: d.options,
        })
    }
}

/// Locates and sizes outlets for one forecast year (see `servnet.plan`).
#[pyfunction]
#[pyo3(signature = (network, forecast, model, p, year, time_limit, response, tickets=None,
                    population=None, options="{}", progress=None, fee_schedule=None))]
#[allow(clippy::too_many_arguments)]
fn _plan(
    py: Python<'_>,
    network: &PyNetwork,
    forecast: &PyForecast,
    model: Option<&str>,
    p: Option<usize>,
    year: Option<i32>,
    time_limit: f64,
    response: bool,
    tickets: Option<&Bound<'_, PyAny>>,
    population: Option<&Bound<'_, PyAny>>,
    options: &str,
    progress: Option<&Bound<'_, PyAny>>,
    fee_schedule: Option<std::path::PathBuf>,
) -> PyResult<PyNetworkPlan> {
    let opts = plan_options(model, p, year, time_limit, response, options)
        .map_err(|e| error::to_py(py, e))?;
    let hist = history(py, network, tickets)?;
    // The fee schedule: a data folder's fee_schedule.csv, a file, or the default
    // (listed fees + travel).
    let schedule = match &fee_schedule {
        None => Ok(servnet_core::cost::FeeSchedule::default()),
        Some(p) if p.is_dir() => servnet_core::io::read_fee_schedule(p, &network.inner),
        Some(p) => std::fs::read(p)
            .map_err(|source| servnet_core::Error::Io {
                path: p.display().to_string(),
                source,
            })
            .and_then(|text| {
                servnet_core::io::fee_schedule_from_csv(
                    &p.display().to_string(),
                    &text,
                    &network.inner,
                )
            }),
    }
    .map_err(|e| error::to_py(py, e))?;
    let pop = population_points(py, network, population)?;
    let (net, fc, o) = (network.inner.clone(), forecast.inner.clone(), opts.clone());
    let plan = blocking(py, progress, move || {
        let mut plan = plan_network(
            &PlanInputs {
                network: &net,
                forecast: &fc,
                tickets: &hist,
                population: &pop,
            },
            &o,
        )?;
        // The replay's service cost per site (listed fees + travel) and by package.
        if !hist.is_empty() {
            servnet_core::plan::service_cost::add_service_cost(
                &mut plan, &net, &hist, &schedule, &o,
            )?;
        }
        Ok(plan)
    })?;
    Ok(PyNetworkPlan {
        plan: Arc::new(plan),
        options: opts,
    })
}

/// The outlet counts `servnet.frontier` evaluates for these inputs (descending): one
/// `_plan` each with `frontier={"counts": [n]}`, joined by `_combine_frontier`.
#[pyfunction]
#[pyo3(signature = (network, forecast, year, time_limit, response, tickets=None,
                    population=None, options="{}"))]
#[allow(clippy::too_many_arguments)]
fn _frontier_counts(
    py: Python<'_>,
    network: &PyNetwork,
    forecast: &PyForecast,
    year: Option<i32>,
    time_limit: f64,
    response: bool,
    tickets: Option<&Bound<'_, PyAny>>,
    population: Option<&Bound<'_, PyAny>>,
    options: &str,
) -> PyResult<Vec<usize>> {
    let opts = plan_options(Some("auto"), None, year, time_limit, response, options)
        .map_err(|e| error::to_py(py, e))?;
    let hist = history(py, network, tickets)?;
    let pop = population_points(py, network, population)?;
    let (net, fc) = (network.inner.clone(), forecast.inner.clone());
    blocking(py, None, move || {
        frontier_counts(
            &PlanInputs {
                network: &net,
                forecast: &fc,
                tickets: &hist,
                population: &pop,
            },
            &opts,
        )
    })
}

/// Joins one-count plans into the frontier plan (`combine_points`), recommending
/// with the first point's options.
#[pyfunction]
fn _combine_frontier(
    py: Python<'_>,
    points: Vec<PyRef<'_, PyNetworkPlan>>,
) -> PyResult<PyNetworkPlan> {
    let mut options = match points.first() {
        Some(p) => p.options.clone(),
        None => return Err(error::argument(py, "points", "no frontier points to join")),
    };
    let plans: Vec<NetworkPlan> = points.iter().map(|p| (*p.plan).clone()).collect();
    let plan = combine_points(plans, &options).map_err(|e| error::to_py(py, e))?;
    options.frontier.counts = plan.frontier.iter().map(|r| r.n_outlets).collect();
    Ok(PyNetworkPlan {
        plan: Arc::new(plan),
        options,
    })
}

fn sim_options(
    days: u32,
    sample: f64,
    seed: u64,
    options: &str,
) -> servnet_core::Result<SimOptions> {
    let base = SimOptions {
        days,
        sample,
        seed,
        ..Default::default()
    };
    run::overlay(&base, options, "simulation options")
}

/// Tickets given to `simulate` instead of drawn ones: a `Tickets`, a DataFrame or a path.
fn replay_tickets(
    py: Python<'_>,
    network: &PyNetwork,
    tickets: &Bound<'_, PyAny>,
) -> PyResult<Vec<Ticket>> {
    if let Ok(t) = tickets.cast::<PyTickets>() {
        return Ok(t.get().inner.to_vec());
    }
    if let Ok(p) = tickets.extract::<PathBuf>() {
        return Ok(std::sync::Arc::unwrap_or_clone(
            read_tickets_file(py, p, network)?.inner,
        ));
    }
    tickets_from_frame(tickets, network)
}

/// Dispatches a drawn peak month (or `tickets`) against the plan (see
/// `servnet.simulate`); returns the `SimResult` as JSON.
#[pyfunction]
#[pyo3(signature = (network, plan, forecast, days, sample, seed, tickets=None, options="{}", progress=None))]
#[allow(clippy::too_many_arguments)]
fn _simulate(
    py: Python<'_>,
    network: &PyNetwork,
    plan: &PyNetworkPlan,
    forecast: Option<&PyForecast>,
    days: u32,
    sample: f64,
    seed: u64,
    tickets: Option<&Bound<'_, PyAny>>,
    options: &str,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySimulation> {
    let sopts = sim_options(days, sample, seed, options).map_err(|e| error::to_py(py, e))?;
    let replay = match tickets.filter(|t| !t.is_none()) {
        Some(t) => Some(replay_tickets(py, network, t)?),
        None => None,
    };
    if replay.is_none() && forecast.is_none() {
        return Err(error::argument(
            py,
            "forecast",
            "needed to draw tickets (or pass tickets=)",
        ));
    }
    let net = network.inner.clone();
    let np = plan.plan.clone();
    let popts = plan.options.clone();
    let fc = forecast.map(|f| f.inner.clone());
    let sim = blocking(py, progress, move || {
        let (start, tickets) = match (replay, fc) {
            (Some(t), _) => (None, t),
            (None, Some(fc)) => {
                let (s, t) = peak_month_tickets(&fc, &net, np.totals.year, &np.cells, &sopts)?;
                (Some(s), t)
            }
            (None, None) => return Err(Error::argument("forecast", "missing")),
        };
        simulate(&np, &net, &popts, &tickets, &sopts, start)
    })?;
    Ok(PySimulation { inner: sim })
}

/// The Rust simulation behind `servnet.SimulationResult`.
#[pyclass(frozen, module = "servnet._servnet", name = "_Simulation")]
pub(crate) struct PySimulation {
    inner: SimResult,
}

#[pymethods]
impl PySimulation {
    /// The simulation's figures as serde JSON.
    fn view(&self, py: Python<'_>) -> PyResult<String> {
        run::to_json(&self.inner).map_err(|e| error::to_py(py, e))
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

impl PlainData for PySimulation {
    type Data = SimResult;
    const WHAT: &'static str = "simulation";
    fn data(&self) -> Cow<'_, SimResult> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: SimResult) -> PyResult<Self> {
        Ok(PySimulation { inner })
    }
}

/// One scenario through forecast, plan and simulation; returns
/// `{"row": ..., "sim": ...}` JSON and the plan.
#[pyfunction]
#[pyo3(signature = (planning, network, scenario, start_year, years, model, p, year,
                    time_limit, response, days, sample, seed, tickets=None, population=None,
                    forecast_options="{}", plan_options="{}", sim_options="{}", progress=None))]
#[allow(clippy::too_many_arguments)]
fn _run_scenario(
    py: Python<'_>,
    planning: &PyPlanningData,
    network: &PyNetwork,
    scenario: &str,
    start_year: i32,
    years: u32,
    model: Option<&str>,
    p: Option<usize>,
    year: Option<i32>,
    time_limit: f64,
    response: bool,
    days: u32,
    sample: f64,
    seed: u64,
    tickets: Option<&Bound<'_, PyAny>>,
    population: Option<&Bound<'_, PyAny>>,
    forecast_options: &str,
    plan_options: &str,
    sim_options: &str,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(String, PyNetworkPlan)> {
    let err = |e| error::to_py(py, e);
    let sc: Scenario = run::overlay(&Scenario::default(), scenario, "scenario").map_err(err)?;
    let fo = self::forecast_options(start_year, years, forecast_options).map_err(err)?;
    let po = self::plan_options(model, p, year, time_limit, response, plan_options).map_err(err)?;
    let so = self::sim_options(days, sample, seed, sim_options).map_err(err)?;
    let (_, po_applied) = sc.apply(&fo, &po).map_err(err)?;
    let hist = history(py, network, tickets)?;
    let pop = population_points(py, network, population)?;
    let (data, net) = (planning.inner.clone(), network.inner.clone());
    let (fo2, po2) = (fo.clone(), po.clone());
    let run = blocking(py, progress, move || {
        let inputs = ScenarioInputs {
            planning: &data,
            network: &net,
            tickets: &hist,
            population: &pop,
        };
        run_scenario(&inputs, &sc, &fo2, &po2, &so)
    })?;
    #[derive(Serialize)]
    struct Out<'a> {
        row: &'a servnet_core::plan::scenario::ScenarioRow,
        sim: &'a servnet_core::plan::simulate::SimResult,
    }
    let json = run::to_json(&Out {
        row: &run.row,
        sim: &run.sim,
    })
    .map_err(err)?;
    Ok((
        json,
        PyNetworkPlan {
            plan: Arc::new(run.plan),
            options: po_applied,
        },
    ))
}

/// Repair curves fitted from the planning data's repair history, as JSON
/// (`servnet_core::plan::curves::CurveFit`; see `servnet.fit_repair_curves`).
#[pyfunction]
#[pyo3(signature = (planning, network, options="{}"))]
fn _fit_repair_curves(
    py: Python<'_>,
    planning: &PyPlanningData,
    network: &PyNetwork,
    options: &str,
) -> PyResult<String> {
    let opts: FitOptions = run::overlay(&FitOptions::default(), options, "fit options")
        .map_err(|e| error::to_py(py, e))?;
    let (data, net) = (planning.inner.clone(), network.inner.clone());
    let fit = blocking(py, None, move || fit_repair_curves(&data, &net, &opts))?;
    run::to_json(&fit).map_err(|e| error::to_py(py, e))
}

/// Adds the planning classes and functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlanningData>()?;
    m.add_class::<PyForecast>()?;
    m.add_class::<PyNetworkPlan>()?;
    m.add_class::<PySimulation>()?;
    m.add_function(wrap_pyfunction!(_forecast, m)?)?;
    m.add_function(wrap_pyfunction!(_fit_repair_curves, m)?)?;
    m.add_function(wrap_pyfunction!(_plan, m)?)?;
    m.add_function(wrap_pyfunction!(_frontier_counts, m)?)?;
    m.add_function(wrap_pyfunction!(_combine_frontier, m)?)?;
    m.add_function(wrap_pyfunction!(_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(_run_scenario, m)?)?;
    Ok(())
}
