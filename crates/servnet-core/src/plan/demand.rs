//! Demand where customers are: cells of the H3 hexagonal grid below the region.
//!
//! A forecast gives tickets per region x skill x year. [`demand_cells`] spreads each
//! region's demand over the H3 cells (resolution [`DemandOptions::resolution`], default
//! 8: cells of about 0.74 km², 0.53 km edge) where its customers are:
//!
//! - **ticket history**: the region's tickets (units) counted per cell;
//! - **population**: the region's population points ([`PopulationPoint`], e.g. the
//!   `population.csv` of a data folder: districts or neighbourhoods) summed per cell; a
//!   region without population points uses its representative point.
//!
//! A cell's share of its region is `(tickets_c + m x pop_c / pop_r) / (tickets_r + m)`
//! with `m` = [`DemandOptions::prior_tickets`]: where history is rich (many tickets) the
//! tickets decide, where it is thin or absent the population does (the installed base is
//! spread by population inside the region). Shares of a region sum to 1.
//!
//! Cells are sorted by H3 index (the order is deterministic); a cell lies in one region
//! (the region of the tickets and points in it; a cell shared by two regions appears
//! once per region).

use std::collections::BTreeMap;

use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};

use crate::model::{Network, Ticket};
use crate::{Error, Result};

/// A population point below the region: a district or neighbourhood and its inhabitants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationPoint {
    /// Region code.
    pub region: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Inhabitants (or any weight: households, units in service).
    pub population: f64,
}

/// How demand is placed below the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DemandOptions {
    /// H3 resolution of the demand cells, 0..=15; default 8 (0.74 km² cells). 7 gives
    /// 5.2 km² cells (about 7x fewer points), 9 gives 0.1 km².
    pub resolution: u8,
    /// Pseudo-tickets the population prior weighs in each region; default 50.
    pub prior_tickets: f64,
}

impl Default for DemandOptions {
    fn default() -> Self {
        DemandOptions {
            resolution: 8,
            prior_tickets: 50.0,
        }
    }
}

/// One demand cell: an H3 cell of one region with its share of the region's demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandCell {
    /// The H3 cell index.
    pub cell: u64,
    /// Index of the region in the network.
    pub region: usize,
    /// Longitude of the cell centre.
    pub lon: f64,
    /// Latitude of the cell centre.
    pub lat: f64,
    /// Share of the region's demand in this cell, (0, 1].
    pub share: f64,
    /// Tickets (units) of the history in the cell.
    pub tickets: f64,
    /// Population in the cell.
    pub population: f64,
}

impl DemandCell {
    /// The H3 index as the usual 15-hex-digit string (e.g. `8831aa5a1dfffff`).
    pub fn cell_hex(&self) -> String {
        format!("{:x}", self.cell)
    }
}

fn to_cell(lon: f64, lat: f64, res: Resolution) -> Result<CellIndex> {
    LatLng::new(lat, lon)
        .map(|p| p.to_cell(res))
        .map_err(|e| Error::argument("demand", format!("point ({lon}, {lat}): {e}")))
}

/// The demand cells of every region (see the module docs). Tickets and points naming a
/// region the network does not have are an error.
pub fn demand_cells(
    network: &Network,
    tickets: &[Ticket],
    population: &[PopulationPoint],
    opts: &DemandOptions,
) -> Result<Vec<DemandCell>> {
    let res = Resolution::try_from(opts.resolution).map_err(|_| {
        Error::argument(
            "resolution",
            format!("expected an H3 resolution 0..=15, got {}", opts.resolution),
        )
    })?;
    if !(opts.prior_tickets.is_finite() && opts.prior_tickets > 0.0) {
        return Err(Error::argument("prior_tickets", "expected a number > 0"));
    }
    let n = network.regions().len();
    // Per region: cell -> (tickets, population).
    let mut per: Vec<BTreeMap<u64, (f64, f64)>> = vec![BTreeMap::new(); n];
    let region_of = |code: &str, what: &str| {
        network
            .region_index(code)
            .ok_or_else(|| Error::argument(what, format!("unknown region '{code}'")))
    };
    for t in tickets {
        let r = region_of(&t.region, "tickets")?;
        let c = to_cell(t.lon, t.lat, res)?;
        per[r].entry(u64::from(c)).or_default().0 += f64::from(t.units);
    }
    let mut has_pop = vec![false; n];
    for p in population {
        let r = region_of(&p.region, "population")?;
        if !(p.population.is_finite() && p.population >= 0.0) {
            return Err(Error::argument(
                "population",
                format!(
                    "point in '{}': population {} must be >= 0",
                    p.region, p.population
                ),
            ));
        }
        if p.population > 0.0 {
            let c = to_cell(p.lon, p.lat, res)?;
            per[r].entry(u64::from(c)).or_default().1 += p.population;
            has_pop[r] = true;
        }
    }
    for (r, region) in network.regions().iter().enumerate() {
        if !has_pop[r] {
            let c = to_cell(region.lon, region.lat, res)?;
            per[r].entry(u64::from(c)).or_default().1 += 1.0;
        }
    }
    let m = opts.prior_tickets;
    let mut out = Vec::new();
    for (r, cells) in per.into_iter().enumerate() {
        let t_r: f64 = cells.values().map(|v| v.0).sum();
        let p_r: f64 = cells.values().map(|v| v.1).sum();
        for (cell, (t, p)) in cells {
            let prior = if p_r > 0.0 { p / p_r } else { 0.0 };
            let share = (t + m * prior) / (t_r + m);
            if share <= 0.0 {
                continue;
            }
            let centre = CellIndex::try_from(cell)
                .map(LatLng::from)
                .map_err(|e| Error::argument("demand", e.to_string()))?;
            out.push(DemandCell {
                cell,
                region: r,
                lon: centre.lng(),
                lat: centre.lat(),
                share,
                tickets: t,
                population: p,
            });
        }
    }
    // Shares of a region with neither tickets nor population would be empty: each region
    // has at least its representative point, so every region has cells.
    out.sort_by(|a, b| a.cell.cmp(&b.cell).then(a.region.cmp(&b.region)));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::io::read_dir;
    use crate::testing::fixture_dir;

    /// Every region's cell shares sum to 1; where a region has many tickets its cells
    /// follow the tickets, where it has none they follow the population.
    #[test]
    fn shares_sum_to_one_and_follow_tickets_then_population() {
        let d = read_dir(&fixture_dir("valid")).unwrap();
        let net = &d.network;
        let r0 = &net.regions()[0];
        // 200 tickets 0.01 degrees east of the region point; population 0.1 degrees north.
        let mut tickets = Vec::new();
        let t0 = d.tickets[0].clone();
        for k in 0..200 {
            let mut t = t0.clone();
            t.id = format!("X{k}");
            t.region = r0.code.clone();
            t.lon = r0.lon + 0.01;
            t.lat = r0.lat;
            t.units = 1;
            tickets.push(t);
        }
        let pop = vec![PopulationPoint {
            region: r0.code.clone(),
            lon: r0.lon,
            lat: r0.lat + 0.1,
            population: 5000.0,
        }];
        let cells = demand_cells(net, &tickets, &pop, &DemandOptions::default()).unwrap();
        for r in 0..net.regions().len() {
            let sum: f64 = cells
                .iter()
                .filter(|c| c.region == r)
                .map(|c| c.share)
                .sum();
            assert!((sum - 1.0).abs() < 1e-9, "region {r}: {sum}");
        }
        let mine: Vec<&DemandCell> = cells.iter().filter(|c| c.region == 0).collect();
        assert_eq!(mine.len(), 2);
        let by_tickets = mine.iter().find(|c| c.tickets > 0.0).unwrap();
        assert!((by_tickets.share - 200.0 / 250.0).abs() < 1e-9);
        let none = demand_cells(net, &[], &pop, &DemandOptions::default()).unwrap();
        let only: Vec<&DemandCell> = none.iter().filter(|c| c.region == 0).collect();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].share, 1.0);
        assert!(
            only[0].lat > r0.lat + 0.09,
            "population decides without tickets"
        );
    }
}
