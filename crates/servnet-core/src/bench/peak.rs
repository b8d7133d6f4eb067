//! A peak-season network: outlets and tickets placed on 40 real Chinese cities by
//! population, 12 skills with skewed demand (air conditioners dominate), service radii
//! 30-100 km, and capacity scaled so that some skills run out as on a peak day (with the
//! default [`PeakSpec::capacity_scale`], 5-10% of tickets find every eligible outlet full).

use crate::model::{
    Network, Outlet, OutletSkill, OutletStatus, Priority, Region, ServiceArea, ServiceKind, Skill,
    Ticket, Tier,
};
use crate::rng::SplitMix64;
use crate::Result;

/// (name, lon, lat, urban population in millions), approximate.
const CITIES: [(&str, f64, f64, f64); 40] = [
    ("Shanghai", 121.47, 31.23, 24.9),
    ("Beijing", 116.40, 39.90, 21.9),
    ("Chongqing", 106.55, 29.56, 17.0),
    ("Guangzhou", 113.26, 23.13, 18.7),
    ("Shenzhen", 114.06, 22.54, 17.6),
    ("Chengdu", 104.07, 30.67, 16.3),
    ("Tianjin", 117.20, 39.13, 11.7),
    ("Wuhan", 114.31, 30.59, 11.2),
    ("Xi'an", 108.94, 34.34, 10.4),
    ("Hangzhou", 120.16, 30.27, 10.4),
    ("Suzhou", 120.62, 31.30, 8.7),
    ("Zhengzhou", 113.63, 34.75, 8.6),
    ("Nanjing", 118.80, 32.06, 8.0),
    ("Shenyang", 123.43, 41.80, 7.6),
    ("Changsha", 112.94, 28.23, 7.4),
    ("Harbin", 126.53, 45.80, 6.9),
    ("Qingdao", 120.38, 36.07, 6.7),
    ("Jinan", 117.12, 36.65, 6.5),
    ("Hefei", 117.23, 31.82, 6.3),
    ("Dongguan", 113.75, 23.02, 6.2),
    ("Kunming", 102.83, 24.88, 5.8),
    ("Foshan", 113.12, 23.02, 5.5),
    ("Dalian", 121.61, 38.91, 5.0),
    ("Xiamen", 118.09, 24.48, 4.4),
    ("Fuzhou", 119.30, 26.08, 4.3),
    ("Shijiazhuang", 114.51, 38.04, 4.6),
    ("Changchun", 125.32, 43.82, 4.5),
    ("Nanning", 108.37, 22.82, 4.0),
    ("Taiyuan", 112.55, 37.87, 4.3),
    ("Nanchang", 115.86, 28.68, 4.0),
    ("Guiyang", 106.63, 26.65, 3.9),
    ("Urumqi", 87.62, 43.83, 3.6),
    ("Lanzhou", 103.83, 36.06, 3.1),
    ("Ningbo", 121.55, 29.87, 4.4),
    ("Wuxi", 120.31, 31.49, 4.0),
    ("Hohhot", 111.75, 40.84, 2.4),
    ("Haikou", 110.20, 20.04, 2.2),
    ("Yinchuan", 106.23, 38.49, 1.9),
    ("Xining", 101.78, 36.62, 1.7),
    ("Lhasa", 91.13, 29.65, 0.6),
];

/// Product categories; skills are three kinds x these (12 skills).
const CATEGORIES: [&str; 4] = ["aircon", "tv", "fridge", "washer"];
/// Kinds of work per category.
const KINDS: [ServiceKind; 3] = [
    ServiceKind::Install,
    ServiceKind::Repair,
    ServiceKind::Delivery,
];
/// Relative ticket demand per skill (categories x kinds, in that order): air conditioner
/// installs dominate a peak day.
const DEMAND: [f64; 12] = [
    8.0, 3.0, 1.5, // aircon
    1.5, 1.5, 1.0, // tv
    1.2, 1.5, 1.0, // fridge
    1.0, 1.2, 0.8, // washer
];

/// Shape of a peak-season network.
#[derive(Debug, Clone)]
pub struct PeakSpec {
    /// Number of outlets.
    pub outlets: usize,
    /// Number of tickets (all created on one day, 06:00-22:00).
    pub tickets: usize,
    /// Capacity per outlet skill relative to its expected share of the tickets (x3 days
    /// of SLA and next-day fallback); below 1 some outlets run out.
    pub capacity_scale: f64,
    /// Seed.
    pub seed: u64,
}

impl PeakSpec {
    /// `outlets` outlets, `tickets` tickets, the default capacity scale.
    pub fn new(outlets: usize, tickets: usize, seed: u64) -> Self {
        PeakSpec {
            outlets,
            tickets,
            capacity_scale: 0.45,
            seed,
        }
    }
}

/// The 12 skills, in [`DEMAND`]'s order.
pub fn peak_skills() -> Vec<Skill> {
    CATEGORIES
        .iter()
        .flat_map(|c| {
            KINDS.into_iter().map(move |kind| Skill {
                kind,
                category: (*c).to_string(),
            })
        })
        .collect()
}

fn cumulative(w: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    w.map(|x| {
        acc += x;
        acc
    })
    .collect()
}

fn pick(rng: &mut SplitMix64, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(1.0);
    let x = rng.next_f64() * total;
    cum.partition_point(|&c| c < x)
        .min(cum.len().saturating_sub(1))
}

/// A point around city `c`: a metro core (spread growing with the population) and a
/// thinner ring of towns out to ~80 km.
fn place(rng: &mut SplitMix64, c: usize) -> (f64, f64) {
    let (_, lon, lat, pop) = CITIES[c];
    let core = 0.08 + 0.03 * pop.sqrt();
    let sigma = if rng.next_f64() < 0.8 {
        core
    } else {
        3.0 * core
    };
    let dlat = sigma * rng.normal();
    let dlon = sigma * rng.normal() / lat.to_radians().cos();
    (
        (lon + dlon).clamp(-180.0, 180.0),
        (lat + dlat).clamp(-90.0, 90.0),
    )
}

/// Builds the network and its tickets (in creation order).
pub fn peak(spec: &PeakSpec) -> Result<(Network, Vec<Ticket>)> {
    let mut rng = SplitMix64::new(spec.seed);
    let skills = peak_skills();
    let city_cum = cumulative(CITIES.iter().map(|c| c.3));
    let skill_cum = cumulative(DEMAND.iter().copied());
    let regions: Vec<Region> = CITIES
        .iter()
        .enumerate()
        .map(|(i, &(name, lon, lat, pop))| {
            let tier = if pop >= 10.0 {
                Tier::A
            } else if pop >= 4.0 {
                Tier::B
            } else {
                Tier::C
            };
            let (hours, km) = match tier {
                Tier::A => (24.0, 60.0),
                Tier::B => (48.0, 90.0),
                Tier::C => (72.0, 120.0),
            };
            Region {
                code: format!("C{i:02}"),
                name: name.to_string(),
                tier,
                lon,
                lat,
                population: Some((pop * 1e6) as u64),
                max_response_hours: hours,
                max_travel_km: km,
                polygon: None,
            }
        })
        .collect();
    // First the outlets' places and skills, then capacities from the demand each faces.
    struct Draft {
        city: usize,
        lon: f64,
        lat: f64,
        skills: Vec<usize>,
    }
    let drafts: Vec<Draft> = (0..spec.outlets)
        .map(|_| {
            let city = pick(&mut rng, &city_cum);
            let (lon, lat) = place(&mut rng, city);
            // 3-8 skills: big outlets cover more; every outlet does some air conditioning.
            let n = 3 + rng.below(6);
            let mut offered = vec![rng.below(KINDS.len())];
            while offered.len() < n {
                let k = rng.below(skills.len());
                if !offered.contains(&k) {
                    offered.push(k);
                }
            }
            offered.sort_unstable();
            Draft {
                city,
                lon,
                lat,
                skills: offered,
            }
        })
        .collect();
    // Offers per (city, skill), for each offer's expected share of its city's tickets.
    let mut offers = vec![[0u32; 12]; CITIES.len()];
    for d in &drafts {
        for &s in &d.skills {
            offers[d.city][s] += 1;
        }
    }
    let total_pop = city_cum.last().copied().unwrap_or(1.0);
    let total_demand = skill_cum.last().copied().unwrap_or(1.0);
    let outlets: Vec<Outlet> = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let priority = if rng.next_f64() < 0.04 {
                90 + rng.below(10) as u8
            } else {
                (30 + rng.below(60)) as u8
            };
            let skills: Vec<OutletSkill> = d
                .skills
                .iter()
                .map(|&s| {
                    let share = CITIES[d.city].3 / total_pop * DEMAND[s]
                        / total_demand
                        / f64::from(offers[d.city][s].max(1));
                    let expected = spec.tickets as f64 * share / 3.0;
                    // Uneven: some outlets have much less room than their share.
                    let cap = (spec.capacity_scale * expected * (0.3 + 1.4 * rng.next_f64()))
                        .round()
                        .clamp(1.0, 10_000.0) as u32;
                    let n = rng.below(200) as u32;
                    OutletSkill {
                        skill: skills[s].clone(),
                        daily_capacity: cap,
                        load: 0,
                        rating_sum: f64::from(n) * (3.0 + 2.0 * rng.next_f64()),
                        rating_count: n,
                        cost_per_ticket: 20.0 + 100.0 * rng.next_f64(),
                    }
                })
                .collect();
            let sum: u32 = skills.iter().map(|s| s.daily_capacity).sum();
            Outlet {
                id: format!("O{i:06}"),
                name: String::new(),
                lon: d.lon,
                lat: d.lat,
                status: if rng.next_f64() < 0.9 {
                    OutletStatus::Active
                } else {
                    OutletStatus::Probation
                },
                priority,
                // The outlet-wide cap binds before the sum of its skills' caps.
                daily_cap: ((f64::from(sum) * 0.8).ceil() as u32).max(1),
                area: ServiceArea::Radius(30.0 + 70.0 * rng.next_f64()),
                skills,
            }
        })
        .collect();
    let network = Network::new(outlets, regions)?;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(6, 0, 0))
        .unwrap_or_default();
    let n = spec.tickets;
    let tickets = (0..n)
        .map(|i| {
            let city = pick(&mut rng, &city_cum);
            let (lon, lat) = place(&mut rng, city);
            let s = pick(&mut rng, &skill_cum);
            let mut t = Ticket::new(
                &format!("T{i:08}"),
                lon,
                lat,
                &network.regions()[city].code,
                &skills[s].to_string(),
                start
                    + chrono::Duration::milliseconds(
                        (57_600_000.0 * i as f64 / n.max(1) as f64) as i64,
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
