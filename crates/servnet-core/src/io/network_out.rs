//! Writing a [`Network`] as a data folder (`regions.csv`, `regions.geojson`,
//! `outlets.csv`, `outlet_areas.geojson`, `outlet_skills.csv`, and `network.json` when
//! the time zone is not the default) that [`super::read_network`] reads back to the same
//! network: numbers are written in Rust's shortest round-trip form, so a planned network
//! can be dispatched from files (`servnet dispatch DIR`). Every file is written
//! atomically ([`super::write_atomic`]) through the csv crate.

use std::io::Write;
use std::path::Path;

use geo::MultiPolygon;
use serde_json::json;

use super::{write_atomic, UTF8_BOM};
use crate::model::{Network, ServiceArea, DEFAULT_TIME_ZONE};
use crate::{Error, Result};

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Writes `path` atomically as CSV: `header`, then the records `rows` pushes; a UTF-8
/// byte-order mark first when `bom` is set.
fn write_csv(
    path: &Path,
    bom: bool,
    header: &[&str],
    rows: impl FnOnce(&mut csv::Writer<&mut dyn Write>) -> csv::Result<()>,
) -> Result<()> {
    write_atomic(path, |w| {
        if bom {
            w.write_all(UTF8_BOM)?;
        }
        let mut c = csv::Writer::from_writer(w);
        c.write_record(header).map_err(csv_io)?;
        rows(&mut c).map_err(csv_io)?;
        c.flush()
    })
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
    write_atomic(path, |w| w.write_all(text.as_bytes()))
}

/// Writes `network` into `dir` (created if missing) as the files of `docs/formats.md`.
pub fn write_network(dir: &Path, network: &Network) -> Result<()> {
    write_network_for_excel(dir, network, false)
}

/// [`write_network`], for Excel when `excel` is set: every CSV file starts with a UTF-8
/// byte-order mark (the CLI's `--excel`; servnet's readers skip it, so the folder reads
/// back to the same network). GeoJSON and JSON files are unchanged.
pub fn write_network_for_excel(dir: &Path, network: &Network, excel: bool) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let mut polys = Vec::new();
    write_csv(
        &dir.join("regions.csv"),
        excel,
        &[
            "code",
            "name",
            "tier",
            "lon",
            "lat",
            "population",
            "max_response_hours",
            "max_travel_km",
        ],
        |w| {
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
                ])?;
                if let Some(mp) = &r.polygon {
                    polys.push(json!({"type": "Feature", "properties": {"code": r.code}, "geometry": rings(mp)}));
                }
            }
            Ok(())
        },
    )?;
    if !polys.is_empty() {
        write_features(&dir.join("regions.geojson"), polys)?;
    }
    let mut areas = Vec::new();
    write_csv(
        &dir.join("outlets.csv"),
        excel,
        &[
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
        ],
        |w| {
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
                ])?;
            }
            Ok(())
        },
    )?;
    write_features(&dir.join("outlet_areas.geojson"), areas)?;
    write_csv(
        &dir.join("outlet_skills.csv"),
        excel,
        &[
            "outlet_id",
            "skill",
            "daily_capacity",
            "load",
            "rating_sum",
            "rating_count",
            "cost_per_ticket",
        ],
        |w| {
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
                    ])?;
                }
            }
            Ok(())
        },
    )?;
    if !network.packages().is_empty() {
        write_csv(
            &dir.join("service_packages.csv"),
            excel,
            &[
                "region_tier",
                "customer_tier",
                "service_kind",
                "modes",
                "carry_in_km",
                "response_hours",
                "follow_up_share",
                "priority_weight",
            ],
            |w| {
                for p in network.packages() {
                    let modes = [(p.on_site, "on_site"), (p.carry_in, "carry_in")]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, m)| *m)
                        .collect::<Vec<_>>()
                        .join(";");
                    let customer = match p.key.customer_tier {
                        crate::model::CustomerTier::Standard => "standard",
                        crate::model::CustomerTier::Vip => "vip",
                    };
                    w.write_record([
                        p.key.region_tier.as_str().to_string(),
                        customer.to_string(),
                        p.key.kind.map_or("*", |k| k.as_str()).to_string(),
                        modes,
                        if p.carry_in {
                            p.carry_in_km.to_string()
                        } else {
                            String::new()
                        },
                        p.response_hours.to_string(),
                        p.follow_up_share.to_string(),
                        p.priority_weight.to_string(),
                    ])?;
                }
                Ok(())
            },
        )?;
    }
    let tz = network.time_zone();
    if tz != DEFAULT_TIME_ZONE {
        let text = json!({ "time_zone": tz.name() }).to_string();
        write_atomic(&dir.join("network.json"), |w| w.write_all(text.as_bytes()))?;
    }
    Ok(())
}
