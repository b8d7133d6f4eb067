//! Seeded synthetic networks for dispatch benchmarks and stress tests: outlets clustered
//! around "cities" like a real network, ~100 skills, a mix of radius, polygon and region
//! service areas.

use crate::model::{
    Network, Outlet, OutletSkill, OutletStatus, Priority, Region, ServiceArea, ServiceKind, Skill,
    Ticket, Tier,
};
use crate::rng::SplitMix64;
use crate::Result;
use geo::{LineString, MultiPolygon, Polygon};

/// Shape of a synthetic network.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    /// Number of outlets.
    pub outlets: usize,
    /// Number of cities (one region each).
    pub cities: usize,
    /// Product categories; skills = 5 kinds x categories.
    pub categories: usize,
    /// Skills offered per outlet.
    pub skills_per_outlet: usize,
    /// Daily capacity per outlet skill.
    pub skill_capacity: u32,
    /// Outlet-wide daily cap.
    pub daily_cap: u32,
    /// Seed.
    pub seed: u64,
}

impl SyntheticSpec {
    /// `outlets` outlets in 300 cities, 100 skills (20 categories), 15 skills per outlet.
    pub fn new(outlets: usize, seed: u64) -> Self {
        SyntheticSpec {
            outlets,
            cities: 300,
            categories: 20,
            skills_per_outlet: 15,
            skill_capacity: 40,
            daily_cap: 300,
            seed,
        }
    }
}

struct City {
    lon: f64,
    lat: f64,
    weight: f64,
}

fn cities(rng: &mut SplitMix64, n: usize) -> Vec<City> {
    (0..n)
        .map(|i| City {
            lon: 100.0 + 22.0 * rng.next_f64(),
            lat: 22.0 + 18.0 * rng.next_f64(),
            weight: 1.0 / (i as f64 + 1.0), // Zipf-like city sizes
        })
        .collect()
}

fn pick(rng: &mut SplitMix64, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(1.0);
    let x = rng.next_f64() * total;
    cum.partition_point(|&c| c < x)
        .min(cum.len().saturating_sub(1))
}

fn octagon(lon: f64, lat: f64, km: f64) -> MultiPolygon<f64> {
    let dlat = km / 111.2;
    let dlon = dlat / lat.to_radians().cos();
    let mut ring: Vec<(f64, f64)> = (0..8)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / 8.0;
            (lon + dlon * a.cos(), lat + dlat * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

/// Builds a network and `tickets` tickets created over 2026-11-23 06:00-22:00, in order.
pub fn synthetic(spec: &SyntheticSpec, tickets: usize) -> Result<(Network, Vec<Ticket>)> {
    let mut rng = SplitMix64::new(spec.seed);
    let cities = cities(&mut rng, spec.cities.max(1));
    let mut cum = Vec::with_capacity(cities.len());
    let mut acc = 0.0;
    for c in &cities {
        acc += c.weight;
        cum.push(acc);
    }
    let skills: Vec<Skill> = (0..spec.categories.max(1))
        .flat_map(|c| {
            ServiceKind::ALL.into_iter().map(move |kind| Skill {
                kind,
                category: format!("cat{c:02}"),
            })
        })
        .collect();
    let regions: Vec<Region> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tier = if i < 30 {
                Tier::A
            } else if i < 150 {
                Tier::B
            } else {
                Tier::C
            };
            let (hours, km) = match tier {
                Tier::A => (24.0, 40.0),
                Tier::B => (48.0, 80.0),
                Tier::C => (72.0, 120.0),
            };
            Region {
                code: format!("R{i:04}"),
                name: format!("City {i}"),
                tier,
                lon: c.lon,
                lat: c.lat,
                population: None,
                max_response_hours: hours,
                max_travel_km: km,
                polygon: None,
            }
        })
        .collect();
    let outlets: Vec<Outlet> = (0..spec.outlets)
        .map(|i| {
            let ci = pick(&mut rng, &cum);
            let c = &cities[ci];
            let lon = (c.lon + 0.15 * rng.normal()).clamp(-180.0, 180.0);
            let lat = (c.lat + 0.15 * rng.normal()).clamp(-90.0, 90.0);
            let roll = rng.next_f64();
            let area = if roll < 0.70 {
                ServiceArea::Radius(20.0 + 40.0 * rng.next_f64())
            } else if roll < 0.85 {
                ServiceArea::Polygons(octagon(lon, lat, 20.0 + 20.0 * rng.next_f64()))
            } else {
                ServiceArea::Regions(vec![regions[ci].code.clone()])
            };
            let mut offered: Vec<usize> = Vec::new();
            while offered.len() < spec.skills_per_outlet.min(skills.len()) {
                let k = rng.below(skills.len());
                if !offered.contains(&k) {
                    offered.push(k);
                }
            }
            offered.sort_unstable();
            let status = if rng.next_f64() < 0.9 {
                OutletStatus::Active
            } else {
                OutletStatus::Probation
            };
            Outlet {
                id: format!("O{i:06}"),
                name: String::new(),
                lon,
                lat,
                status,
                priority: (40 + rng.below(60)) as u8,
                daily_cap: spec.daily_cap,
                area,
                skills: offered
                    .into_iter()
                    .map(|k| {
                        let n = rng.below(200) as u32;
                        OutletSkill {
                            skill: skills[k].clone(),
                            daily_capacity: spec.skill_capacity,
                            load: 0,
                            rating_sum: f64::from(n) * (3.0 + 2.0 * rng.next_f64()),
                            rating_count: n,
                            cost_per_ticket: 20.0 + 100.0 * rng.next_f64(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let network = Network::new(outlets, regions)?;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(6, 0, 0))
        .unwrap_or_default();
    let tickets = (0..tickets)
        .map(|i| {
            let ci = pick(&mut rng, &cum);
            let c = &cities[ci];
            let mut t = Ticket::new(
                &format!("T{i:08}"),
                (c.lon + 0.12 * rng.normal()).clamp(-180.0, 180.0),
                (c.lat + 0.12 * rng.normal()).clamp(-90.0, 90.0),
                &network.regions()[ci].code,
                &skills[rng.below(skills.len())].to_string(),
                start
                    + chrono::Duration::milliseconds(
                        (57_600_000.0 * i as f64 / tickets.max(1) as f64) as i64,
                    ),
            );
            t.priority = match rng.below(100) {
                0..=1 => Priority::Emergency,
                2..=14 => Priority::High,
                15..=84 => Priority::Normal,
                _ => Priority::Low,
            };
            t.due_by = t.created_at + chrono::Duration::hours(24);
            t
        })
        .collect();
    Ok((network, tickets))
}
