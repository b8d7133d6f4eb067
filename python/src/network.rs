//! `servnet.Network`: outlets and regions, validated, from DataFrames or a data folder.

use crate::convert;
use crate::error::{self, FrameSpot};
use crate::frame;
use crate::plain::{self, PlainData};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::{json, Value};
use servnet_core::assign::BaselineDispatcher;
use servnet_core::model::{Network, ServiceArea};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Outlets and regions of a service network, validated once and indexed.
///
/// Build it with :meth:`Network.from_frames` (pandas) or :meth:`Network.from_dir`
/// (a data folder, docs/formats.md). Immutable; pickles.
///
/// >>> net = servnet.Network.from_dir("data/sample")
/// >>> net
/// Network(1500 outlets, 300 regions, 20 skills)
#[pyclass(frozen, module = "servnet", name = "Network")]
pub(crate) struct PyNetwork {
    pub(crate) inner: Arc<Network>,
    /// The dispatcher laid out (default policy) while `read_network_and_tickets`
    /// checked the tickets, as `servnet assign` does: the first `compare_with_sequential`
    /// on the network takes it, and uses it if its policy is the default.
    laid_out: Mutex<Option<BaselineDispatcher>>,
}

impl PyNetwork {
    pub(crate) fn new(net: Network) -> Self {
        PyNetwork {
            inner: Arc::new(net),
            laid_out: Mutex::new(None),
        }
    }

    /// [`PyNetwork::new`] with the comparison's dispatcher laid out beforehand.
    pub(crate) fn with_baseline(net: Network, d: BaselineDispatcher) -> Self {
        PyNetwork {
            laid_out: Mutex::new(Some(d)),
            ..PyNetwork::new(net)
        }
    }

    /// The dispatcher laid out with the network, once (`None` after).
    pub(crate) fn take_baseline(&self) -> Option<BaselineDispatcher> {
        self.laid_out.lock().ok().and_then(|mut d| d.take())
    }
}

fn io_err(py: Python<'_>, what: &str, e: std::io::Error) -> PyErr {
    error::to_py(
        py,
        servnet_core::Error::Io {
            path: what.to_string(),
            source: e,
        },
    )
}

/// GeoJSON text for `outlet_areas` / `region_polygons`: a FeatureCollection dict as is,
/// or a dict `{id: geometry}` where a geometry is a GeoJSON geometry dict or a list of
/// rings (each ring a list of `(lon, lat)`, closed; each ring one polygon).
fn geojson_text(arg: &str, key: &str, v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let py = v.py();
    let v = &crate::geo::plain(arg, key, v)?;
    let dumps = py.import("json")?.getattr("dumps")?;
    let as_value = |obj: &Bound<'_, PyAny>| -> PyResult<Value> {
        let text: String = dumps.call1((obj,))?.extract()?;
        serde_json::from_str(&text).map_err(|e| error::argument(py, arg, e.to_string()))
    };
    let d = v.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{arg}: expected a GeoJSON FeatureCollection dict or a dict of id -> polygons"
        ))
    })?;
    if d.get_item("type")?.is_some_and(|t| {
        t.extract::<String>()
            .is_ok_and(|t| t == "FeatureCollection")
    }) {
        return Ok(dumps.call1((d,))?.extract::<String>()?.into_bytes());
    }
    let mut features = Vec::new();
    for (id, geom) in d.iter() {
        let id: String = id.str()?.to_cow()?.to_string();
        let geometry = if geom.cast::<PyDict>().is_ok() {
            as_value(&geom)?
        } else {
            let bad = || {
                error::argument(
                    py,
                    arg,
                    format!(
                        "'{id}': expected a GeoJSON geometry dict or a list of rings of (lon, lat)"
                    ),
                )
            };
            let rings: Vec<Vec<Vec<f64>>> = geom.extract().map_err(|_| bad())?;
            if rings.iter().flatten().any(|p| p.len() != 2) {
                return Err(bad());
            }
            let polys: Vec<Value> = rings.into_iter().map(|r| json!([r])).collect();
            json!({"type": "MultiPolygon", "coordinates": polys})
        };
        features.push(json!({
            "type": "Feature",
            "properties": {key: id},
            "geometry": geometry,
        }));
    }
    Ok(json!({"type": "FeatureCollection", "features": features})
        .to_string()
        .into_bytes())
}

impl PyNetwork {
    fn frame_columns<'py>(&self, py: Python<'py>, which: &str) -> PyResult<Bound<'py, PyAny>> {
        let net = &self.inner;
        let list = |v: Vec<Bound<'py, PyAny>>| -> PyResult<Bound<'py, PyAny>> {
            Ok(PyList::new(py, v)?.into_any())
        };
        macro_rules! col {
            ($iter:expr) => {
                list(
                    $iter
                        .map(|x| x.into_pyobject(py).map(|o| o.into_any()))
                        .collect::<Result<Vec<_>, _>>()?,
                )?
            };
        }
        match which {
            "outlets" => {
                let o = net.outlets();
                let kind = |a: &ServiceArea| match a {
                    ServiceArea::Radius(_) => "radius",
                    ServiceArea::Polygons(_) => "polygon",
                    ServiceArea::Regions(_) => "regions",
                };
                convert::to_frame(
                    py,
                    vec![
                        ("id", col!(o.iter().map(|x| x.id.as_str()))),
                        ("name", col!(o.iter().map(|x| x.name.as_str()))),
                        ("lon", col!(o.iter().map(|x| x.lon))),
                        ("lat", col!(o.iter().map(|x| x.lat))),
                        ("status", col!(o.iter().map(|x| x.status.as_str()))),
                        ("priority", col!(o.iter().map(|x| x.priority))),
                        ("daily_cap", col!(o.iter().map(|x| x.daily_cap))),
                        ("area_kind", col!(o.iter().map(|x| kind(&x.area)))),
                        (
                            "radius_km",
                            col!(o.iter().map(|x| match x.area {
                                ServiceArea::Radius(r) => r,
                                _ => f64::NAN,
                            })),
                        ),
                        (
                            "area_regions",
                            col!(o.iter().map(|x| match &x.area {
                                ServiceArea::Regions(r) => Some(r.join(";")),
                                _ => None,
                            })),
                        ),
                    ],
                    &[],
                )
            }
            "outlet_skills" => {
                let rows: Vec<_> = net
                    .outlets()
                    .iter()
                    .flat_map(|o| o.skills.iter().map(move |s| (o.id.as_str(), s)))
                    .collect();
                convert::to_frame(
                    py,
                    vec![
                        ("outlet_id", col!(rows.iter().map(|r| r.0))),
                        ("skill", col!(rows.iter().map(|r| r.1.skill.to_string()))),
                        (
                            "daily_capacity",
                            col!(rows.iter().map(|r| r.1.daily_capacity)),
                        ),
                        ("load", col!(rows.iter().map(|r| r.1.load))),
                        ("rating_sum", col!(rows.iter().map(|r| r.1.rating_sum))),
                        ("rating_count", col!(rows.iter().map(|r| r.1.rating_count))),
                        (
                            "cost_per_ticket",
                            col!(rows.iter().map(|r| r.1.cost_per_ticket)),
                        ),
                    ],
                    &[],
                )
            }
            _ => {
                let r = net.regions();
                convert::to_frame(
                    py,
                    vec![
                        ("code", col!(r.iter().map(|x| x.code.as_str()))),
                        ("name", col!(r.iter().map(|x| x.name.as_str()))),
                        ("tier", col!(r.iter().map(|x| x.tier.as_str()))),
                        ("lon", col!(r.iter().map(|x| x.lon))),
                        ("lat", col!(r.iter().map(|x| x.lat))),
                        ("population", col!(r.iter().map(|x| x.population))),
                        (
                            "max_response_hours",
                            col!(r.iter().map(|x| x.max_response_hours)),
                        ),
                        ("max_travel_km", col!(r.iter().map(|x| x.max_travel_km))),
                    ],
                    &[("population", "Int64")],
                )
            }
        }
    }
}

#[pymethods]
impl PyNetwork {
    /// Builds a network from pandas DataFrames with the columns of docs/formats.md.
    ///
    /// ``outlets`` (outlets.csv columns), ``outlet_skills`` (outlet_skills.csv),
    /// ``regions`` (regions.csv); ``outlet_areas`` for ``area_kind = "polygon"`` outlets
    /// and ``region_polygons`` as a GeoJSON FeatureCollection dict (keyed by
    /// ``properties.outlet_id`` / ``properties.code``) or a dict ``{id: rings}`` (each ring
    /// a closed list of ``(lon, lat)``, each ring one polygon) or ``{id: geometry}``, or a
    /// GeoPandas GeoDataFrame (an ``outlet_id`` / ``code`` column) or GeoSeries (indexed
    /// by id) in any CRS, reprojected to EPSG:4326; one without a CRS is refused.
    /// ``area_regions`` / ``avoid`` cells may be lists or ``;``-separated text.
    ///
    /// The frames go through the same validation as the files. Raises ``DataError``
    /// listing every problem with its frame, row (0-based position), index label and
    /// column: missing columns, wrong types, NaN coordinates, unknown references...
    ///
    /// >>> import pandas as pd
    /// >>> net = servnet.Network.from_frames(
    /// ...     outlets=pd.read_csv("data/sample/outlets.csv"),
    /// ...     outlet_skills=pd.read_csv("data/sample/outlet_skills.csv"),
    /// ...     regions=pd.read_csv("data/sample/regions.csv"))
    /// >>> len(net.outlets())
    /// 1500
    #[staticmethod]
    #[pyo3(signature = (*, outlets, outlet_skills, regions, outlet_areas=None, region_polygons=None, time_zone=None, service_packages=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_frames(
        py: Python<'_>,
        outlets: &Bound<'_, PyAny>,
        outlet_skills: &Bound<'_, PyAny>,
        regions: &Bound<'_, PyAny>,
        outlet_areas: Option<&Bound<'_, PyAny>>,
        region_polygons: Option<&Bound<'_, PyAny>>,
        time_zone: Option<&str>,
        service_packages: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let frames = [
            frame::frame_cols("outlets", "outlets.csv", outlets)?,
            frame::frame_cols("outlet_skills", "outlet_skills.csv", outlet_skills)?,
            frame::frame_cols("regions", "regions.csv", regions)?,
        ];
        // Service packages: a DataFrame, or the path of a service_packages CSV file.
        let mut package_file: Option<PathBuf> = None;
        let mut packages: Option<frame::FrameCols> = None;
        if let Some(v) = service_packages.filter(|v| !v.is_none()) {
            if let Ok(path) = v.extract::<PathBuf>() {
                package_file = Some(path);
            } else {
                packages = Some(frame::frame_cols(
                    "service_packages",
                    "service_packages.csv",
                    v,
                )?);
            }
        }
        let geo = |name: &str, key: &str, v: Option<&Bound<'_, PyAny>>| {
            v.filter(|v| !v.is_none())
                .map(|v| geojson_text(name, key, v))
                .transpose()
        };
        let input = servnet_core::io::NetworkFrames {
            outlets: frames[0].frame.clone(),
            outlet_skills: frames[1].frame.clone(),
            regions: frames[2].frame.clone(),
            service_packages: packages.as_ref().map(|p| p.frame.clone()),
            outlet_areas: geo("outlet_areas", "outlet_id", outlet_areas)?,
            region_polygons: geo("region_polygons", "code", region_polygons)?,
            time_zone: time_zone.map(str::to_string),
        };
        let net = py.detach(|| servnet_core::io::network_from_frames(&input));
        let net = net.map_err(|e| {
            error::to_py_located(py, e, &|at| {
                if let Some(s) = frames
                    .iter()
                    .chain(packages.as_ref())
                    .find_map(|f| f.spot(py, at))
                {
                    return Some(s);
                }
                let frame = match at.source.as_str() {
                    "outlet_areas.geojson" => "outlet_areas",
                    "regions.geojson" => "region_polygons",
                    "time_zone" => "time_zone",
                    _ => return None,
                };
                Some(FrameSpot {
                    frame: frame.to_string(),
                    row: None,
                    label: None,
                    nan: false,
                })
            })
        })?;
        let net = match package_file {
            None => net,
            Some(p) => {
                let text =
                    std::fs::read(&p).map_err(|e| io_err(py, &p.display().to_string(), e))?;
                let read = servnet_core::io::packages_from_csv("service_packages.csv", &text)
                    .and_then(|packages| net.with_packages(packages));
                read.map_err(|e| error::to_py(py, e))?
            }
        };
        Ok(PyNetwork::new(net))
    }

    /// Reads the network files of a data folder (regions, outlets, outlet_skills and the
    /// optional GeoJSON polygons; docs/formats.md).
    ///
    /// Raises ``DataError`` naming file, line and field of every problem.
    ///
    /// >>> servnet.Network.from_dir("data/sample")
    /// Network(1500 outlets, 300 regions, 20 skills)
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let net = py
            .detach(|| servnet_core::io::read_network(&path))
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyNetwork::new(net))
    }

    /// The outlets as a DataFrame with the outlets.csv columns, sorted by id.
    ///
    /// >>> net.outlets().columns[:4].tolist()
    /// ['id', 'name', 'lon', 'lat']
    fn outlets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frame_columns(py, "outlets")
    }

    /// Skills offered per outlet as a DataFrame with the outlet_skills.csv columns.
    ///
    /// >>> net.outlet_skills()["daily_capacity"].sum() > 0
    /// True
    fn outlet_skills<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frame_columns(py, "outlet_skills")
    }

    /// The regions as a DataFrame with the regions.csv columns, sorted by code.
    ///
    /// >>> net.regions()["tier"].isin(["A", "B", "C"]).all()
    /// True
    fn regions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frame_columns(py, "regions")
    }

    /// Every skill some outlet offers, sorted (``kind:category``).
    ///
    /// >>> net.skills[0]
    /// 'delivery:air_conditioner'
    #[getter]
    fn skills(&self) -> Vec<String> {
        self.inner.skills().iter().map(|s| s.to_string()).collect()
    }

    /// Network-wide mean follow-up rating (the Bayesian prior of satisfaction scores).
    #[getter]
    fn mean_rating(&self) -> f64 {
        self.inner.mean_rating()
    }

    /// The network's IANA time zone (``network.json``; default ``Asia/Shanghai``): naive
    /// times are its wall clock, aware ones are converted to it.
    #[getter]
    fn time_zone(&self) -> &'static str {
        self.inner.time_zone().name()
    }

    pub(crate) fn __repr__(&self) -> String {
        format!(
            "Network({} outlets, {} regions, {} skills)",
            self.inner.outlets().len(),
            self.inner.regions().len(),
            self.inner.skills().len()
        )
    }

    /// Equal when the outlets, regions and time zone are.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        plain::same(self, other)
    }

    /// The network as JSON (its outlets and regions); :meth:`from_json` reads it back.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string(&*self.inner)
            .map_err(|e| error::argument(py, "network", e.to_string()))
    }

    /// Rebuilds (and re-validates) a network from :meth:`to_json` output.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes: Vec<u8> = match text.cast::<PyString>() {
            Ok(s) => s.to_cow()?.as_bytes().to_vec(),
            Err(_) => text.extract()?,
        };
        let net: Network = py
            .detach(|| serde_json::from_slice(&bytes))
            .map_err(|e| error::argument(py, "network", e.to_string()))?;
        Ok(PyNetwork::new(net))
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    /// Pickles as its JSON form (outlets, regions, time zone; indices are rebuilt on
    /// load).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

impl PlainData for PyNetwork {
    type Data = Network;
    const WHAT: &'static str = "network";
    fn data(&self) -> Cow<'_, Network> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, net: Network) -> PyResult<Self> {
        Ok(PyNetwork::new(net))
    }
}
