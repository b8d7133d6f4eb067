//! Round trips through the parquet and serde_json readers: typed cells, nulls, the
//! ticket -> outlet lines by id and the GeoParquet metadata.

use super::*;
use crate::geometry::Places;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use servnet_core::io::Column;

struct Rows;

const COLUMNS: &[Column] = &[
    Column::text("ticket_id"),
    Column::text("outlet_id"),
    Column::number("distance_km"),
    Column::bool("sla_met"),
];

impl Tabular for Rows {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        2
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let r: [&str; 4] = if i == 0 {
            ["T1", "O1", "12.5", "true"]
        } else {
            ["T2", "", "", ""]
        };
        out.extend(r.iter().map(|s| s.to_string()));
    }
}

fn places() -> (Places, Places) {
    let t = [
        ("T1".to_string(), (121.5, 31.2)),
        ("T2".to_string(), (120.1, 30.3)),
    ];
    let o = [("O1".to_string(), (121.4, 31.25))];
    (t.into_iter().collect(), o.into_iter().collect())
}

fn links<'a>(t: &'a Places, o: &'a Places) -> Locations<'a> {
    Locations::Links {
        from: "ticket_id",
        from_at: t,
        to: "outlet_id",
        to_at: o,
    }
}

#[test]
fn geoparquet_holds_typed_columns_wkb_lines_and_the_geo_metadata() -> Result<()> {
    use arrow_array::{Array, BinaryArray, BooleanArray, Float64Array, StringArray};
    let (t, o) = places();
    let bytes = parquet_out::to_bytes(&Rows, Some(&links(&t, &o)), true)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?;
    let geo = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone())
        .unwrap_or_default();
    let geo: serde_json::Value = serde_json::from_str(&geo).unwrap_or_default();
    assert_eq!(geo["version"], "1.1.0");
    assert_eq!(geo["primary_column"], "geometry");
    let col = &geo["columns"]["geometry"];
    assert_eq!(col["encoding"], "WKB");
    assert_eq!(
        col["geometry_types"],
        serde_json::json!(["LineString", "Point"])
    );
    assert_eq!(col["crs"]["id"]["code"], 4326);
    assert_eq!(col["bbox"], serde_json::json!([120.1, 30.3, 121.5, 31.25]));
    let batches: Vec<_> = reader
        .build()
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?;
    let b = &batches[0];
    let ids = b.column(0).as_any().downcast_ref::<StringArray>();
    let outlet = b.column(1).as_any().downcast_ref::<StringArray>();
    let km = b.column(2).as_any().downcast_ref::<Float64Array>();
    let sla = b.column(3).as_any().downcast_ref::<BooleanArray>();
    let wkb_col = b.column(4).as_any().downcast_ref::<BinaryArray>();
    let (Some(ids), Some(outlet), Some(km), Some(sla), Some(wkb_col)) =
        (ids, outlet, km, sla, wkb_col)
    else {
        panic!("column types: {:?}", b.schema())
    };
    assert_eq!((ids.value(0), ids.value(1)), ("T1", "T2"));
    assert!(
        outlet.is_valid(0) && outlet.is_null(1),
        "an empty text cell is null"
    );
    assert!(km.value(0) == 12.5 && km.is_null(1));
    assert!(sla.value(0) && sla.is_null(1));
    use geo_traits::{CoordTrait, GeometryTrait, GeometryType, LineStringTrait, PointTrait};
    let line = wkb::reader::read_wkb(wkb_col.value(0))
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?;
    let GeometryType::LineString(l) = line.as_type() else {
        panic!("not a line")
    };
    let xy: Vec<(f64, f64)> = l.coords().map(|c| (c.x(), c.y())).collect();
    assert_eq!(
        xy,
        vec![(121.5, 31.2), (121.4, 31.25)],
        "ticket -> outlet by id"
    );
    let point = wkb::reader::read_wkb(wkb_col.value(1))
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?;
    let GeometryType::Point(p) = point.as_type() else {
        panic!("not a point")
    };
    let c = p.coord().map(|c| (c.x(), c.y()));
    assert_eq!(
        c,
        Some((120.1, 30.3)),
        "an unassigned ticket is a point at the ticket"
    );
    Ok(())
}

#[test]
fn geojson_is_a_feature_collection_with_typed_properties_and_ids() -> Result<()> {
    let (t, o) = places();
    let bytes = geojson_out::to_bytes(&Rows, Some(&links(&t, &o)))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    assert_eq!(doc["type"], "FeatureCollection");
    let f = &doc["features"];
    assert_eq!(f[0]["id"], "T1");
    assert_eq!(f[0]["geometry"]["type"], "LineString");
    assert_eq!(
        f[0]["geometry"]["coordinates"],
        serde_json::json!([[121.5, 31.2], [121.4, 31.25]])
    );
    assert_eq!(f[0]["properties"]["distance_km"], 12.5);
    assert_eq!(f[0]["properties"]["sla_met"], true);
    assert_eq!(f[1]["geometry"]["type"], "Point");
    assert!(
        f[1]["properties"]["outlet_id"].is_null() && f[1]["properties"]["distance_km"].is_null()
    );
    Ok(())
}

#[test]
fn a_table_without_locations_is_plain_parquet_and_no_geojson() -> Result<()> {
    let bytes = parquet_out::to_bytes(&Rows, None, false)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| servnet_core::Error::argument("test", e.to_string()))?;
    assert_eq!(reader.schema().fields().len(), 4);
    let has_geo = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .is_some_and(|kv| kv.iter().any(|k| k.key == "geo"));
    assert!(!has_geo);
    let e = geojson_out::to_bytes(&Rows, None)
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("no locations")));
    let e = parquet_out::to_bytes(&Rows, None, true)
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("no locations")));
    Ok(())
}
