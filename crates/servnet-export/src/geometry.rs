//! Where a table's rows are: a point from two columns, or a line between two places
//! named by id (EPSG:4326, lon / lat degrees).

use geo::{Geometry, LineString, Point};
use servnet_core::io::Tabular;
use servnet_core::{Error, Result};
use std::collections::BTreeMap;

/// (lon, lat) of each id (tickets, outlets).
pub type Places = BTreeMap<String, (f64, f64)>;

/// Where a table's rows are.
#[derive(Debug, Clone, Copy)]
pub enum Locations<'a> {
    /// A point per row from two number columns (`lon`, `lat`); a row with an empty cell
    /// has no geometry.
    Points {
        /// The longitude column.
        lon: &'static str,
        /// The latitude column.
        lat: &'static str,
    },
    /// A line per row from the place of the id in column `from` (a ticket) to the place
    /// of the id in column `to` (its outlet). A row whose `to` cell is empty (an
    /// unassigned ticket) is a point at `from`; a row whose `from` id has no place has
    /// no geometry.
    Links {
        /// The column of the start's id.
        from: &'static str,
        /// Places of the start ids.
        from_at: &'a Places,
        /// The column of the end's id.
        to: &'static str,
        /// Places of the end ids.
        to_at: &'a Places,
    },
}

fn column(table: &dyn Tabular, name: &str) -> Result<usize> {
    table
        .columns()
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| Error::argument("out", format!("the table has no column '{name}'")))
}

/// The geometry of each row of `table` (`None`: no location).
pub fn geometries(table: &dyn Tabular, loc: &Locations<'_>) -> Result<Vec<Option<Geometry>>> {
    let mut out = Vec::with_capacity(table.len());
    let mut row = Vec::with_capacity(table.columns().len());
    match *loc {
        Locations::Points { lon, lat } => {
            let (x, y) = (column(table, lon)?, column(table, lat)?);
            for i in 0..table.len() {
                row.clear();
                table.row(i, &mut row);
                let num = |k: usize| row.get(k).and_then(|c| c.parse::<f64>().ok());
                out.push(match (num(x), num(y)) {
                    (Some(x), Some(y)) => Some(Geometry::Point(Point::new(x, y))),
                    _ => None,
                });
            }
        }
        Locations::Links {
            from,
            from_at,
            to,
            to_at,
        } => {
            let (f, t) = (column(table, from)?, column(table, to)?);
            for i in 0..table.len() {
                row.clear();
                table.row(i, &mut row);
                let at = |k: usize, places: &Places| {
                    row.get(k)
                        .filter(|c| !c.is_empty())
                        .and_then(|c| places.get(c.as_str()))
                        .copied()
                };
                out.push(match (at(f, from_at), at(t, to_at)) {
                    (Some(a), Some(b)) => Some(Geometry::LineString(LineString::from(vec![a, b]))),
                    (Some(a), None) => Some(Geometry::Point(Point::new(a.0, a.1))),
                    (None, _) => None,
                });
            }
        }
    }
    Ok(out)
}

/// The GeoParquet / GeoJSON name of a geometry's type.
pub fn type_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "GeometryCollection",
    }
}

/// [min lon, min lat, max lon, max lat] of the geometries (`None` when there are none).
pub fn bbox(geoms: &[Option<Geometry>]) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    let mut b: Option<[f64; 4]> = None;
    for r in geoms.iter().flatten().filter_map(|g| g.bounding_rect()) {
        let (lo, hi) = (r.min(), r.max());
        let e = b.get_or_insert([lo.x, lo.y, hi.x, hi.y]);
        *e = [
            e[0].min(lo.x),
            e[1].min(lo.y),
            e[2].max(hi.x),
            e[3].max(hi.y),
        ];
    }
    b
}
