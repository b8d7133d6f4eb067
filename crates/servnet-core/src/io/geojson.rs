//! GeoJSON polygons keyed by a feature property.
//!
//! Hand-written over `serde_json` (about 80 lines) rather than the `geojson` crate so that
//! every problem names the file, the feature and the property.

use super::table::Problems;
use crate::error::Location;
use crate::model::polygon_problem;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;
use std::collections::BTreeMap;

/// Reads a `FeatureCollection`; returns each key's polygons (several features with the
/// same key are merged). Bad features become problems and are skipped.
pub(crate) fn parse_polygons(
    source: &str,
    bytes: &[u8],
    key: &str,
    problems: &mut Problems,
) -> BTreeMap<String, MultiPolygon<f64>> {
    let mut out: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
    let at = |record: Option<String>, field: &str| Location {
        source: source.to_string(),
        line: None,
        record,
        field: Some(field.to_string()),
    };
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            problems.add(
                Location {
                    source: source.to_string(),
                    line: Some(e.line() as u64),
                    ..Location::default()
                },
                format!("invalid JSON: {e}"),
            );
            return out;
        }
    };
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        problems.add(
            at(None, "features"),
            "expected a GeoJSON FeatureCollection with a 'features' array",
        );
        return out;
    };
    for (k, f) in features.iter().enumerate() {
        let id = match f.get("properties").and_then(|p| p.get(key)) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                problems.add(
                    at(Some(format!("feature #{k}")), key),
                    format!("feature has no 'properties.{key}'"),
                );
                continue;
            }
        };
        let geometry = f.get("geometry");
        let kind = geometry.and_then(|g| g.get("type")).and_then(Value::as_str);
        let coords = geometry.and_then(|g| g.get("coordinates"));
        let parsed = match (kind, coords) {
            (Some("Polygon"), Some(c)) => polygon(c).map(|p| vec![p]),
            (Some("MultiPolygon"), Some(Value::Array(ps))) => ps.iter().map(polygon).collect(),
            (other, _) => Err(format!(
                "expected a Polygon or MultiPolygon geometry, got {}",
                other.unwrap_or("none")
            )),
        };
        // Range and area checks here too (not only in `Network::new`), so the message
        // names this file rather than the CSV the polygon is attached to.
        let parsed = parsed.and_then(|polys| {
            let mp = MultiPolygon(polys);
            match polygon_problem(&mp) {
                Some(m) => Err(m),
                None => Ok(mp.0),
            }
        });
        match parsed {
            Ok(polys) => out
                .entry(id)
                .or_insert_with(|| MultiPolygon(vec![]))
                .0
                .extend(polys),
            Err(m) => problems.add(at(Some(id), "geometry"), m),
        }
    }
    out
}

fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("expected an array of rings")?;
    let mut rings = rings.iter().map(ring);
    let exterior = rings.next().ok_or("polygon has no rings")??;
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    // Keep the ring exactly as given (Polygon::new closes open rings); validation in
    // `Network::new` checks closure and size on the original positions.
    Ok(Polygon::new(exterior, interiors))
}

fn ring(v: &Value) -> Result<LineString<f64>, String> {
    let pts = v
        .as_array()
        .ok_or("expected a ring: an array of [lon, lat] positions")?;
    if pts.len() < 4 {
        return Err(format!(
            "a ring needs at least 4 positions (closed), got {}",
            pts.len()
        ));
    }
    if pts.first() != pts.last() {
        return Err("ring is not closed (first and last positions differ)".into());
    }
    pts.iter()
        .map(|p| {
            let xy = p.as_array().filter(|a| a.len() >= 2);
            let x = xy.and_then(|a| a[0].as_f64());
            let y = xy.and_then(|a| a[1].as_f64());
            match (x, y) {
                (Some(x), Some(y)) => Ok(Coord { x, y }),
                _ => Err(format!("expected a [lon, lat] position, got {p}")),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}
