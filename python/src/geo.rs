//! GeoPandas in: a GeoDataFrame or GeoSeries where `Network.from_frames` takes areas or
//! region polygons, reprojected to EPSG:4326 (lon, lat), or refused when it has no CRS.

use crate::error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `v` unchanged unless it is a GeoDataFrame / GeoSeries (it has `crs` and `to_crs`):
/// then a GeoJSON FeatureCollection dict (GeoDataFrame, one feature per row, its
/// `key` column naming the record) or a dict `{index: geometry}` (GeoSeries), in
/// EPSG:4326. Errors name `arg` and say what to do when the frame has no CRS.
pub(crate) fn plain<'py>(
    arg: &str,
    key: &str,
    v: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    if v.cast::<PyDict>().is_ok() || !v.hasattr("to_crs")? || !v.hasattr("crs")? {
        return Ok(v.clone());
    }
    if v.getattr("crs")?.is_none() {
        return Err(error::argument(
            py,
            arg,
            "the GeoDataFrame has no CRS, so its coordinates cannot be read as lon/lat; \
             set the one it is in (gdf.set_crs(...)) and servnet reprojects it to EPSG:4326",
        ));
    }
    let g = v.call_method1("to_crs", (4326,))?;
    if g.hasattr("columns")? {
        let has_key = g.getattr("columns")?.contains(key)?;
        if !has_key {
            return Err(error::argument(
                py,
                arg,
                format!("the GeoDataFrame has no '{key}' column naming each row's record"),
            ));
        }
        let text = g.call_method0("to_json")?;
        return py.import("json")?.getattr("loads")?.call1((text,));
    }
    let out = PyDict::new(py);
    for item in g.call_method0("items")?.try_iter()? {
        let (id, geom): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        if geom.is_none() {
            continue;
        }
        out.set_item(id.str()?, geom.getattr("__geo_interface__")?)?;
    }
    Ok(out.into_any())
}
