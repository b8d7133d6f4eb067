//! A table as Parquet (arrow + parquet crates), with a WKB geometry column and the
//! GeoParquet 1.1.0 `geo` metadata when its rows have locations.

use crate::columns::{Typed, Values};
use crate::geometry::{bbox, geometries, type_name, Locations};
use arrow_array::{ArrayRef, BinaryArray, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use servnet_core::io::Tabular;
use servnet_core::{Error, Result};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The PROJJSON of EPSG:4326 (pyproj 3.7's `CRS("EPSG:4326").to_json()`), the `crs`
/// of every geometry column servnet writes.
pub const EPSG_4326_PROJJSON: &str = include_str!("epsg4326.projjson");

/// The name of the geometry column.
pub const GEOMETRY: &str = "geometry";

fn parquet_error(e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: "memory".into(),
        source: std::io::Error::other(format!("parquet: {e}")),
    }
}

/// `table` as the bytes of a Parquet file; `require_geo`: refuse a table without
/// locations (`.geoparquet`).
pub fn to_bytes(
    table: &dyn Tabular,
    loc: Option<&Locations<'_>>,
    require_geo: bool,
) -> Result<Vec<u8>> {
    if require_geo && loc.is_none() {
        return Err(Error::argument(
            "out",
            "this table has no locations: write it as .parquet, .csv or .json",
        ));
    }
    let typed = Typed::of(table)?;
    let mut fields = Vec::with_capacity(typed.columns.len() + 1);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(typed.columns.len() + 1);
    for (name, values) in &typed.columns {
        let (ty, array): (DataType, ArrayRef) = match values {
            Values::Text(v) => (
                DataType::Utf8,
                Arc::new(v.iter().map(|c| c.as_deref()).collect::<StringArray>()),
            ),
            Values::Number(v) => (DataType::Float64, Arc::new(Float64Array::from(v.clone()))),
            Values::Bool(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v.clone()))),
        };
        fields.push(Field::new(*name, ty, true));
        arrays.push(array);
    }
    let mut geo_meta = None;
    if let Some(loc) = loc {
        let geoms = geometries(table, loc)?;
        let mut wkb_rows: Vec<Option<Vec<u8>>> = Vec::with_capacity(geoms.len());
        let options = wkb::writer::WriteOptions {
            endianness: wkb::Endianness::LittleEndian,
        };
        for g in &geoms {
            wkb_rows.push(match g {
                Some(g) => {
                    let mut buf = Vec::with_capacity(64);
                    wkb::writer::write_geometry(&mut buf, g, &options).map_err(parquet_error)?;
                    Some(buf)
                }
                None => None,
            });
        }
        fields.push(Field::new(GEOMETRY, DataType::Binary, true));
        arrays.push(Arc::new(
            wkb_rows
                .iter()
                .map(|b| b.as_deref())
                .collect::<BinaryArray>(),
        ));
        geo_meta = Some(geo_metadata(&geoms)?);
    }
    let mut schema = Schema::new(fields);
    if let Some(meta) = &geo_meta {
        // Also in the Arrow schema (pyarrow's `schema.metadata`), as GeoPandas writes it;
        // one entry, so the map's order decides nothing.
        #[allow(clippy::disallowed_types)]
        let kv = std::collections::HashMap::from([("geo".to_string(), meta.clone())]);
        schema = schema.with_metadata(kv);
    }
    let schema = Arc::new(schema);
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(parquet_error)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props)).map_err(parquet_error)?;
    if let Some(meta) = geo_meta {
        w.append_key_value_metadata(KeyValue::new("geo".to_string(), meta));
    }
    w.write(&batch).map_err(parquet_error)?;
    w.close().map_err(parquet_error)?;
    Ok(buf)
}

/// The GeoParquet 1.1.0 file metadata of one WKB geometry column in EPSG:4326.
fn geo_metadata(geoms: &[Option<geo::Geometry>]) -> Result<String> {
    let types: BTreeSet<&str> = geoms.iter().flatten().map(type_name).collect();
    let crs: serde_json::Value = serde_json::from_str(EPSG_4326_PROJJSON).map_err(parquet_error)?;
    let mut column = serde_json::json!({
        "encoding": "WKB",
        "geometry_types": types.into_iter().collect::<Vec<_>>(),
        "crs": crs,
        "edges": "planar",
    });
    if let (Some(b), Some(obj)) = (bbox(geoms), column.as_object_mut()) {
        obj.insert("bbox".into(), serde_json::json!(b));
    }
    let doc = serde_json::json!({
        "version": "1.1.0",
        "primary_column": GEOMETRY,
        "columns": { GEOMETRY: column },
    });
    Ok(doc.to_string())
}
