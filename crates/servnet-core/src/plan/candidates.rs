//! The planning problem in plain arrays: demand points (H3 cell x product category),
//! candidate sites (existing outlets and new sites) and the sparse pairs between them.
//!
//! - **Points**: every demand cell ([`super::demand`]) x every product category with
//!   forecast demand in the cell's region; a point's peak-day and annual tickets are the
//!   region's (over the category's skills) x the cell's share.
//! - **Candidates**: existing outlets that are not `closed` (each serves the product
//!   categories it has skills for today), and new sites (every category): per H3 parent
//!   cell at [`NewSites::resolution`] with demand, the busiest demand cell in it, when no
//!   existing outlet is within [`NewSites::spacing_km`]; the busiest
//!   [`NewSites::max_sites`] of them.
//! - **Pairs** (reach): for each point, the candidates serving its category within
//!   `reach_factor` x its commitment radius, nearest first, at most `max_pairs`, and at
//!   least the `min_pairs` nearest whatever their distance. Candidates are found with an
//!   R-tree over unit vectors, so the memory is `O(points x max_pairs)`, never
//!   points x sites.

use std::collections::BTreeMap;

use h3o::{CellIndex, Resolution};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::{Deserialize, Serialize};

use super::demand::DemandCell;
use super::forecast::Forecast;
use crate::geo::{haversine_km, unit_vector};
use crate::model::{CustomerTier, Network, OutletStatus, Region, ServiceMode, ServicePackage};
use crate::{Error, Result};

/// Where new sites may open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewSites {
    /// Offer new sites at all; default true.
    pub enabled: bool,
    /// H3 resolution of the parent cells, one candidate each; default 6 (36 km²).
    pub resolution: u8,
    /// No new site within this many great-circle km of an existing outlet; default 3.
    pub spacing_km: f64,
    /// Most new candidate sites (the busiest); default 400.
    pub max_sites: usize,
}

impl Default for NewSites {
    fn default() -> Self {
        NewSites {
            enabled: true,
            resolution: 6,
            spacing_km: 3.0,
            max_sites: 400,
        }
    }
}

/// Which pairs are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reach {
    /// Pairs up to this multiple of the point's commitment radius; default 1.5.
    pub factor: f64,
    /// At most this many sites per point, nearest first; default 40.
    pub max_pairs: usize,
    /// At least this many sites per point, whatever their distance; default 3.
    pub min_pairs: usize,
}

impl Default for Reach {
    fn default() -> Self {
        Reach {
            factor: 1.5,
            max_pairs: 40,
            min_pairs: 3,
        }
    }
}

/// A candidate site.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// The existing outlet's index in the network (`None`: a new site).
    pub outlet: Option<usize>,
    /// Product categories served (indices into `Problem::categories`).
    pub serves: Vec<bool>,
    /// The region the site lies in (its cell's, or the nearest region point's).
    pub region: usize,
    /// Technicians today (`daily_cap / tickets per technician-day`), 0 for new sites.
    pub techs_today: f64,
    /// Takes tickets today (active or probation).
    pub open_today: bool,
}

/// One demand point: a cell x a product category.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub cell: usize,
    pub category: usize,
    pub region: usize,
    /// Tier of the region (0 = A, 1 = B, 2 = C).
    pub tier: usize,
    pub peak: f64,
    pub annual: f64,
    /// Commitment radius, road km.
    pub radius: f64,
    /// Commitment response hours.
    pub hours: f64,
    /// Index of the point's service commitment in [`Problem::commitments`].
    pub commitment: usize,
}

/// The problem in arrays; pairs are CSR by point, each list by road km then site.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub cells: Vec<DemandCell>,
    pub categories: Vec<String>,
    pub points: Vec<Point>,
    pub cands: Vec<Candidate>,
    pub offsets: Vec<usize>,
    pub pair_site: Vec<u32>,
    pub pair_km: Vec<f64>,
    /// The service commitments points are split by: the packages sharing one radius
    /// and response time, e.g. `A/vip/*` (`none`: tickets without a package).
    pub commitments: Vec<String>,
}

impl Problem {
    /// Pairs of point `j`: (site, road km), nearest first.
    pub fn pairs(&self, j: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[j]..self.offsets[j + 1];
        self.pair_site[r.clone()]
            .iter()
            .zip(&self.pair_km[r])
            .map(|(&i, &k)| (i as usize, k))
    }

    /// Road km from site `i` to point `j` if the pair is kept.
    pub fn km(&self, i: usize, j: usize) -> Option<f64> {
        self.pairs(j).find(|p| p.0 == i).map(|p| p.1)
    }
}

/// Inputs of [`build`] besides the cells.
pub(crate) struct BuildArgs<'a> {
    pub network: &'a Network,
    pub forecast: &'a Forecast,
    pub year_index: usize,
    pub radius_factor: [f64; 3],
    pub detour: f64,
    pub tickets_per_technician_day: f64,
    pub new_sites: &'a NewSites,
    pub reach: &'a Reach,
    /// Share of VIP customers per region (the ticket history's; 0 without tickets).
    pub vip_share: Vec<f64>,
}

/// Demand of one region x category under one service commitment.
#[derive(Debug, Clone)]
struct Split {
    radius: f64,
    hours: f64,
    peak: f64,
    annual: f64,
    packages: Vec<String>,
}

/// The commitment radius (road km) and response hours of demand in region `reg` under
/// package `p`, from the region's `radius` and `max_response_hours`:
/// - no package: the region's;
/// - on-site: hours = min(region, package), and the radius shrinks in proportion
///   (a package promising half the region's response time needs outlets within half
///   its radius: travel takes the same share of the response time);
/// - carry-in: the customer travels, within the package's `carry_in_km` (the
///   technician radius does not apply, as in dispatch); hours = min(region, package).
pub(crate) fn commitment(reg: &Region, radius: f64, p: Option<&ServicePackage>) -> (f64, f64) {
    let hours = reg.max_response_hours;
    let Some(p) = p else {
        return (radius, hours);
    };
    let h = hours.min(p.response_hours);
    match p.mode() {
        ServiceMode::CarryIn => (p.carry_in_km, h),
        ServiceMode::OnSite => {
            let scale = if hours > 0.0 { h / hours } else { 1.0 };
            (radius * scale, h)
        }
    }
}

/// Builds points, candidates and pairs (see the module docs).
pub(crate) fn build(cells: Vec<DemandCell>, a: &BuildArgs<'_>) -> Result<Problem> {
    let net = a.network;
    let fc = a.forecast;
    let k = a.year_index;
    // Categories with forecast demand, sorted.
    let mut cat_index: BTreeMap<String, usize> = BTreeMap::new();
    for s in &fc.skills {
        cat_index.entry(s.category.clone()).or_insert(0);
    }
    let categories: Vec<String> = cat_index.keys().cloned().collect();
    for (i, c) in categories.iter().enumerate() {
        cat_index.insert(c.clone(), i);
    }
    let nc = categories.len();
    let nr = net.regions().len();
    // Region x category peak and annual.
    let mut peak = vec![0.0; nr * nc];
    let mut annual = vec![0.0; nr * nc];
    for (s, skill) in fc.skills.iter().enumerate() {
        let c = cat_index.get(&skill.category).copied().unwrap_or(0);
        for r in 0..nr {
            peak[r * nc + c] += fc.peak_day[[r, s, k]];
            annual[r * nc + c] += fc.tickets[[r, s, k]];
        }
    }
    let regions = net.regions();
    // Region x category: demand split by service commitment (radius, hours, packages).
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    let mut splits: Vec<Vec<Split>> = vec![Vec::new(); nr * nc];
    for (r, reg) in regions.iter().enumerate() {
        let radius = reg.max_travel_km * a.radius_factor[reg.tier as usize];
        let vip = a.vip_share.get(r).copied().unwrap_or(0.0);
        for (s, skill) in fc.skills.iter().enumerate() {
            let c = cat_index.get(&skill.category).copied().unwrap_or(0);
            for (tier, share) in [
                (CustomerTier::Standard, 1.0 - vip),
                (CustomerTier::Vip, vip),
            ] {
                if share <= 0.0 {
                    continue;
                }
                let p = net.package(reg.tier, tier, skill.kind);
                let (rad, hours) = commitment(reg, radius, p);
                let list = &mut splits[r * nc + c];
                let at = match list
                    .iter()
                    .position(|x| x.radius == rad && x.hours == hours)
                {
                    Some(i) => i,
                    None => {
                        list.push(Split {
                            radius: rad,
                            hours,
                            peak: 0.0,
                            annual: 0.0,
                            packages: Vec::new(),
                        });
                        list.len() - 1
                    }
                };
                let x = &mut list[at];
                x.peak += fc.peak_day[[r, s, k]] * share;
                x.annual += fc.tickets[[r, s, k]] * share;
                let name = p.map_or("none".to_string(), |p| p.key.to_string());
                if !x.packages.contains(&name) {
                    x.packages.push(name);
                }
            }
        }
        for list in &mut splits[r * nc..(r + 1) * nc] {
            list.sort_by(|x, y| {
                x.radius
                    .total_cmp(&y.radius)
                    .then(x.hours.total_cmp(&y.hours))
            });
            for x in list.iter_mut() {
                x.packages.sort();
                let n = labels.len();
                labels.entry(x.packages.join("+")).or_insert(n);
            }
        }
    }
    let mut points = Vec::new();
    for (ci, cell) in cells.iter().enumerate() {
        let r = cell.region;
        let reg = &regions[r];
        for c in 0..nc {
            let (tp, ty) = (peak[r * nc + c], annual[r * nc + c]);
            if !(tp > 0.0 || ty > 0.0) {
                continue;
            }
            let list = &splits[r * nc + c];
            for x in list {
                // One commitment: the category's totals as they are (no re-summing).
                let (p, y) = if list.len() == 1 {
                    (tp * cell.share, ty * cell.share)
                } else {
                    (x.peak * cell.share, x.annual * cell.share)
                };
                if p > 0.0 || y > 0.0 {
                    points.push(Point {
                        cell: ci,
                        category: c,
                        region: r,
                        tier: reg.tier as usize,
                        peak: p,
                        annual: y,
                        radius: x.radius,
                        hours: x.hours,
                        commitment: labels.get(&x.packages.join("+")).copied().unwrap_or(0),
                    });
                }
            }
        }
    }
    let mut commitments = vec![String::new(); labels.len()];
    for (name, i) in labels {
        commitments[i] = name;
    }
    // Candidates: existing outlets.
    let nearest_region = |lon: f64, lat: f64| {
        (0..nr)
            .min_by(|&x, &y| {
                haversine_km(lon, lat, regions[x].lon, regions[x].lat)
                    .total_cmp(&haversine_km(lon, lat, regions[y].lon, regions[y].lat))
                    .then(x.cmp(&y))
            })
            .unwrap_or(0)
    };
    let mut cands = Vec::new();
    for (o, outlet) in net.outlets().iter().enumerate() {
        if outlet.status == OutletStatus::Closed {
            continue;
        }
        let mut serves = vec![false; nc];
        for s in &outlet.skills {
            if let Some(&c) = cat_index.get(&s.skill.category) {
                serves[c] = true;
            }
        }
        cands.push(Candidate {
            id: outlet.id.clone(),
            name: outlet.name.clone(),
            lon: outlet.lon,
            lat: outlet.lat,
            outlet: Some(o),
            serves,
            region: nearest_region(outlet.lon, outlet.lat),
            techs_today: f64::from(outlet.daily_cap) / a.tickets_per_technician_day,
            open_today: outlet.status.takes_tickets(),
        });
    }
    if a.new_sites.enabled {
        add_new_sites(&cells, &points, &mut cands, nc, a.new_sites, regions)?;
    }
    if cands.len() >= u32::MAX as usize {
        return Err(Error::argument("network", "too many candidate sites"));
    }
    let (offsets, pair_site, pair_km) = pairs(&cells, &points, &cands, a.detour, a.reach);
    Ok(Problem {
        cells,
        categories,
        points,
        cands,
        offsets,
        pair_site,
        pair_km,
        commitments,
    })
}

fn add_new_sites(
    cells: &[DemandCell],
    points: &[Point],
    cands: &mut Vec<Candidate>,
    nc: usize,
    opts: &NewSites,
    regions: &[crate::model::Region],
) -> Result<()> {
    let res = Resolution::try_from(opts.resolution).map_err(|_| {
        Error::argument(
            "new_sites.resolution",
            format!("expected 0..=15, got {}", opts.resolution),
        )
    })?;
    let mut cell_peak = vec![0.0; cells.len()];
    for p in points {
        cell_peak[p.cell] += p.peak;
    }
    // Parent -> (busiest cell, parent's total peak).
    let mut parents: BTreeMap<u64, (usize, f64)> = BTreeMap::new();
    for (ci, c) in cells.iter().enumerate() {
        let parent = CellIndex::try_from(c.cell)
            .ok()
            .and_then(|x| x.parent(res))
            .map_or(c.cell, u64::from);
        let e = parents.entry(parent).or_insert((ci, 0.0));
        if cell_peak[ci] > cell_peak[e.0] {
            e.0 = ci;
        }
        e.1 += cell_peak[ci];
    }
    let existing: RTree<GeomWithData<[f64; 3], u32>> = RTree::bulk_load(
        cands
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(unit_vector(c.lon, c.lat), i as u32))
            .collect(),
    );
    let mut new: Vec<(f64, usize)> = parents
        .values()
        .filter(|(ci, total)| {
            let c = &cells[*ci];
            *total > 0.0
                && existing
                    .nearest_neighbor(&unit_vector(c.lon, c.lat))
                    .is_none_or(|n| {
                        let o = &cands[n.data as usize];
                        haversine_km(o.lon, o.lat, c.lon, c.lat) > opts.spacing_km
                    })
        })
        .map(|&(ci, total)| (total, ci))
        .collect();
    new.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    new.truncate(opts.max_sites);
    new.sort_by_key(|x| cells[x.1].cell);
    for (_, ci) in new {
        let c = &cells[ci];
        cands.push(Candidate {
            id: format!("NEW-{}", c.cell_hex()),
            name: format!("{} new outlet {}", regions[c.region].name, c.cell_hex()),
            lon: c.lon,
            lat: c.lat,
            outlet: None,
            serves: vec![true; nc],
            region: c.region,
            techs_today: 0.0,
            open_today: false,
        });
    }
    Ok(())
}

type Pairs = (Vec<usize>, Vec<u32>, Vec<f64>);

fn pairs(
    cells: &[DemandCell],
    points: &[Point],
    cands: &[Candidate],
    detour: f64,
    reach: &Reach,
) -> Pairs {
    let tree: RTree<GeomWithData<[f64; 3], u32>> = RTree::bulk_load(
        cands
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(unit_vector(c.lon, c.lat), i as u32))
            .collect(),
    );
    // Points of each cell are contiguous (built cell by cell).
    let mut by_cell: Vec<(usize, usize)> = Vec::new();
    let mut j = 0;
    while j < points.len() {
        let start = j;
        while j < points.len() && points[j].cell == points[start].cell {
            j += 1;
        }
        by_cell.push((start, j));
    }
    let max_pairs = reach.max_pairs.max(1);
    let lists: Vec<Vec<Vec<(u32, f64)>>> = by_cell
        .par_iter()
        .map(|&(start, end)| {
            let cell = &cells[points[start].cell];
            let pts = &points[start..end];
            let mut lists: Vec<Vec<(u32, f64)>> = vec![Vec::new(); pts.len()];
            let mut open = pts.len();
            let limit: Vec<f64> = pts.iter().map(|p| p.radius * reach.factor).collect();
            let mut done = vec![false; pts.len()];
            for n in tree.nearest_neighbor_iter(&unit_vector(cell.lon, cell.lat)) {
                let c = &cands[n.data as usize];
                let km = haversine_km(cell.lon, cell.lat, c.lon, c.lat) * detour;
                for (q, p) in pts.iter().enumerate() {
                    if done[q] {
                        continue;
                    }
                    let l = &mut lists[q];
                    if km > limit[q] && l.len() >= reach.min_pairs {
                        done[q] = true;
                        open -= 1;
                        continue;
                    }
                    if c.serves[p.category] {
                        l.push((n.data, km));
                        if l.len() >= max_pairs {
                            done[q] = true;
                            open -= 1;
                        }
                    }
                }
                if open == 0 {
                    break;
                }
            }
            lists
        })
        .collect();
    let mut offsets = Vec::with_capacity(points.len() + 1);
    offsets.push(0);
    let (mut site, mut km) = (Vec::new(), Vec::new());
    for l in lists.into_iter().flatten() {
        for (i, d) in l {
            site.push(i);
            km.push(d);
        }
        offsets.push(site.len());
    }
    (offsets, site, km)
}
