//! A table with locations as an RFC 7946 GeoJSON FeatureCollection (geojson crate).

use crate::columns::Typed;
use crate::geometry::{geometries, Locations};
use geojson::{feature::Id, Feature, FeatureCollection, GeometryValue};
use servnet_core::io::Tabular;
use servnet_core::{Error, Result};

/// `table` as the bytes of a GeoJSON file: one feature per row (a row without a place
/// has a null geometry), the cells as typed properties, the first column as the id.
pub fn to_bytes(table: &dyn Tabular, loc: Option<&Locations<'_>>) -> Result<Vec<u8>> {
    let Some(loc) = loc else {
        return Err(Error::argument(
            "out",
            "this table has no locations: write it as .csv, .json or .parquet",
        ));
    };
    let typed = Typed::of(table)?;
    let geoms = geometries(table, loc)?;
    let first = table.columns().first().map(|c| c.name);
    let features = geoms.iter().enumerate().map(|(i, g)| {
        let properties = typed.json_row(i);
        let id = first
            .and_then(|k| properties.get(k))
            .and_then(|v| v.as_str())
            .map(|s| Id::String(s.to_string()));
        Feature {
            bbox: None,
            geometry: g
                .as_ref()
                .map(|g| geojson::Geometry::from(GeometryValue::from(g))),
            id,
            properties: Some(properties),
            foreign_members: None,
        }
    });
    let fc = FeatureCollection::new(features);
    serde_json::to_vec(&fc).map_err(|e| Error::Write {
        path: "memory".into(),
        source: std::io::Error::other(e),
    })
}
