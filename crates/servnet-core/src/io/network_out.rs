//! Writing a [`Network`] as a data folder (`regions.csv`, `regions.geojson`,
//! `outlets.csv`, `outlet_areas.geojson`, `outlet_skills.csv`) that [`super::read_network`]
//! reads back to the same network: numbers are written in Rust's shortest round-trip
//! form, so a planned network can be dispatched from files (`servnet dispatch DIR`).

use std::path::Path;

use geo::MultiPolygon;
use serde_json::json;

use crate::model::{Network, ServiceArea};
use crate::{Error, Result};

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn rings(mp: &MultiPolygon<f64>) -> serde_json::Value {
    let ring =
        |ls: &geo::LineString<f64>| -> Vec<[f64; 2]> { ls.coords().map(|c| [c.x, c.y]).collect() };
    json!({
        "type": "MultiPolygon",
        "coordinates": mp
            .0
            .iter()
            .map(|p| {
                std::iter::once(ring(p.exterior()))
                    .chain(p.interiors().iter().map(ring))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    })
}

fn write_features(path: &Path, features: Vec<serde_json::Value>) -> Result<()> {
    let text = json!({"type": "FeatureCollection", "features": features}).to_string();
    std::fs::write(path, text).map_err(io_err(path))
}

/// Writes `network` into `dir` (created if missing) as the files of `docs/formats.md`.
pub fn write_network(dir: &Path, network: &Network) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let p = dir.join("regions.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record([
        "code",
        "name",
        "tier",
        "lon",
        "lat",
        "population",
        "max_response_hours",
        "max_travel_km",
    ])
    .map_err(csv_err(&p))?;
    let mut polys = Vec::new();
    for r in network.regions() {
        w.write_record([
            r.code.clone(),
            r.name.clone(),
            r.tier.as_str().to_string(),
            r.lon.to_string(),
            r.lat.to_string(),
            r.population.map(|x| x.to_string()).unwrap_or_default(),
            r.max_response_hours.to_string(),
            r.max_travel_km.to_string(),
        ])
        .map_err(csv_err(&p))?;
        if let Some(mp) = &r.polygon {
            polys.push(
                json!({"type": "Feature", "properties": {"code": r.code}, "geometry": rings(mp)}),
            );
        }
    }
    w.flush().map_err(io_err(&p))?;
    if !polys.is_empty() {
        write_features(&dir.join("regions.geojson"), polys)?;
    }
    let p = dir.join("outlets.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record([
        "id",
        "name",
        "lon",
        "lat",
        "status",
        "priority",
        "daily_cap",
        "area_kind",
        "radius_km",
        "area_regions",
    ])
    .map_err(csv_err(&p))?;
    let mut areas = Vec::new();
    for o in network.outlets() {
        let (kind, radius, regions) = match &o.area {
            ServiceArea::Radius(km) => ("radius", km.to_string(), String::new()),
            ServiceArea::Regions(v) => ("regions", String::new(), v.join(";")),
            ServiceArea::Polygons(mp) => {
                areas.push(json!({"type": "Feature", "properties": {"outlet_id": o.id}, "geometry": rings(mp)}));
                ("polygon", String::new(), String::new())
            }
        };
        w.write_record([
            o.id.clone(),
            o.name.clone(),
            o.lon.to_string(),
            o.lat.to_string(),
            o.status.as_str().to_string(),
            o.priority.to_string(),
            o.daily_cap.to_string(),
            kind.to_string(),
            radius,
            regions,
        ])
        .map_err(csv_err(&p))?;
    }
    w.flush().map_err(io_err(&p))?;
    write_features(&dir.join("outlet_areas.geojson"), areas)?;
    let p = dir.join("outlet_skills.csv");
    let mut w = csv::Writer::from_path(&p).map_err(csv_err(&p))?;
    w.write_record([
        "outlet_id",
        "skill",
        "daily_capacity",
        "load",
        "rating_sum",
        "rating_count",
        "cost_per_ticket",
    ])
    .map_err(csv_err(&p))?;
    for o in network.outlets() {
        for s in &o.skills {
            w.write_record([
                o.id.clone(),
                s.skill.to_string(),
                s.daily_capacity.to_string(),
                s.load.to_string(),
                s.rating_sum.to_string(),
                s.rating_count.to_string(),
                s.cost_per_ticket.to_string(),
            ])
            .map_err(csv_err(&p))?;
        }
    }
    w.flush().map_err(io_err(&p))
}
