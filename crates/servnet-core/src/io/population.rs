//! `population.csv`: population points below the region (districts, neighbourhoods),
//! which spread a region's demand where no ticket history says where it is.

use super::frame::{frame_table, Frame};
use super::table::{Problems, Table};
use crate::model::Network;
use crate::plan::demand::PopulationPoint;
use crate::Result;
use std::path::Path;
use std::sync::Arc;

/// Reads `<dir>/population.csv` (or `.json`) if present; an empty list otherwise.
/// Each row: `region` (a region code), `lon`, `lat`, `population` (0..=1e10).
pub fn read_population(dir: &Path, network: &Network) -> Result<Vec<PopulationPoint>> {
    let mut problems = Problems::default();
    let Some(table) = Table::find(dir, "population", &mut problems)? else {
        problems.finish()?;
        return Ok(Vec::new());
    };
    let out = parse(&table, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Parses population points from CSV text (as read from a file named `source`).
pub fn population_from_csv(
    source: &str,
    text: &[u8],
    network: &Network,
) -> Result<Vec<PopulationPoint>> {
    let mut problems = Problems::default();
    let table = Table::parse_csv(source, text, &mut problems);
    let out = parse(&table, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// The population points of a data frame (standing for `population.csv`), read and
/// checked as the file; row `r` is reported as line `r + 2` of the frame's `source`.
pub fn population_from_frame(
    frame: &Arc<Frame>,
    network: &Network,
) -> Result<Vec<PopulationPoint>> {
    let mut problems = Problems::default();
    let rows: Vec<usize> = (0..frame.rows).collect();
    let table = frame_table(frame, &rows, &mut problems);
    let out = parse(&table, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

fn parse(t: &Table, network: &Network, problems: &mut Problems) -> Vec<PopulationPoint> {
    let mut out = Vec::new();
    if !t.require(&["region", "lon", "lat", "population"], problems) {
        return out;
    }
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let p = (|| {
            let region = c.text("region")?;
            Some(PopulationPoint {
                lon: c.lon()?,
                lat: c.lat()?,
                population: c.number("population", "a number in 0..=1e10", |v| {
                    v.is_finite() && (0.0..=crate::model::MAX_POPULATION).contains(&v)
                })?,
                region,
            })
        })();
        let Some(p) = p else { continue };
        if network.region_index(&p.region).is_none() {
            c.fail("region", format!("unknown region '{}'", p.region));
            continue;
        }
        out.push(p);
    }
    out
}
