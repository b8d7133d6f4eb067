use super::skill::{Skill, SkillId};
use super::{check_coords, id_problem, Issues};
use crate::Result;
use geo::{Area, BoundingRect, MultiPolygon, Validation};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Service tier of a region: A (central cities, fast on-site service) to C (carry-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// Central cities.
    A,
    /// Other cities.
    B,
    /// Rural and remote areas.
    C,
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "A" => Ok(Tier::A),
            "B" => Ok(Tier::B),
            "C" => Ok(Tier::C),
            _ => Err(format!("expected a tier A, B or C, got '{s}'")),
        }
    }
}

impl Tier {
    /// `"A"`, `"B"` or `"C"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
        }
    }
}

/// Life-cycle status of an outlet. Only probation and active outlets take tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutletStatus {
    /// New outlet on trial; takes tickets, may be weighted down.
    Probation,
    /// Fully active.
    Active,
    /// Temporarily takes no tickets.
    Suspended,
    /// Closed for good.
    Closed,
}

impl OutletStatus {
    /// Whether an outlet with this status may be sent tickets.
    pub fn takes_tickets(self) -> bool {
        matches!(self, OutletStatus::Probation | OutletStatus::Active)
    }

    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            OutletStatus::Probation => "probation",
            OutletStatus::Active => "active",
            OutletStatus::Suspended => "suspended",
            OutletStatus::Closed => "closed",
        }
    }
}

impl FromStr for OutletStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "probation" => Ok(OutletStatus::Probation),
            "active" => Ok(OutletStatus::Active),
            "suspended" => Ok(OutletStatus::Suspended),
            "closed" => Ok(OutletStatus::Closed),
            _ => Err(format!(
                "expected one of probation, active, suspended, closed; got '{s}'"
            )),
        }
    }
}

/// Where an outlet serves customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceArea {
    /// Within this great-circle distance of the outlet, in km.
    Radius(f64),
    /// Inside any of these polygons (lon/lat).
    Polygons(MultiPolygon<f64>),
    /// Tickets whose region code is in this list.
    Regions(Vec<String>),
}

/// What an outlet offers for one skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutletSkill {
    /// The skill, `kind:category`.
    pub skill: Skill,
    /// Ticket units per day for this skill.
    pub daily_capacity: u32,
    /// Units already committed for today.
    pub load: u32,
    /// Sum of follow-up ratings (1..=5 each).
    pub rating_sum: f64,
    /// Number of follow-up ratings.
    pub rating_count: u32,
    /// Cost of one ticket unit.
    pub cost_per_ticket: f64,
}

/// A service outlet (authorised repair shop, regional service centre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    /// Caller's id, unique.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Life-cycle status.
    pub status: OutletStatus,
    /// Dispatch priority set by the service centre, 0..=100, higher preferred.
    pub priority: u8,
    /// Outlet-wide ticket units per day (technicians x tickets per technician).
    pub daily_cap: u32,
    /// Service area.
    pub area: ServiceArea,
    /// Skills offered, with per-skill capacity, load, ratings and cost.
    pub skills: Vec<OutletSkill>,
}

/// A region with its service tier and commitment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Region code, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Service tier.
    pub tier: Tier,
    /// Representative point longitude (demand point in planning).
    pub lon: f64,
    /// Representative point latitude.
    pub lat: f64,
    /// Inhabitants, if known.
    pub population: Option<u64>,
    /// Commitment: a ticket must be answered within this many hours.
    pub max_response_hours: f64,
    /// Commitment: farthest distance in km between outlet and customer.
    pub max_travel_km: f64,
    /// Region boundary, if known.
    pub polygon: Option<MultiPolygon<f64>>,
}

/// Largest accepted `cost_per_ticket`: costs are summed over millions of tickets in
/// batch assignment and planning, and must stay finite there.
pub const MAX_COST: f64 = 1e9;
/// Largest accepted region `population` (more than the world's): sums over regions stay
/// exact in `u64`.
pub const MAX_POPULATION: f64 = 1e10;
/// Largest accepted distance (`radius_km`, `max_travel_km`): half the Earth's
/// circumference, farther than any two points.
pub const MAX_KM: f64 = 20_040.0;
/// Largest accepted `max_response_hours` (ten years).
pub const MAX_HOURS: f64 = 87_600.0;

/// Default weight (in pseudo-ratings) of the network mean in the Bayesian satisfaction score.
pub const DEFAULT_PRIOR_WEIGHT: f64 = 10.0;

/// Outlets and regions, validated and indexed. Outlets and regions are sorted by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "NetworkParts", into = "NetworkParts")]
pub struct Network {
    outlets: Vec<Outlet>,
    regions: Vec<Region>,
    skills: Vec<Skill>,
    skill_index: FxHashMap<String, SkillId>,
    outlet_index: FxHashMap<String, u32>,
    region_index: FxHashMap<String, u32>,
    /// Per outlet, the skill id of each entry of `Outlet::skills` (same order).
    offer_skills: Vec<Vec<SkillId>>,
    mean_rating: f64,
    time_zone: chrono_tz::Tz,
    /// Service packages (see [`super::ServicePackage`]) and their lookup table.
    pub(super) packages: Vec<super::ServicePackage>,
    pub(super) package_table: Vec<u16>,
}

/// The network's time zone unless the data says otherwise (docs/formats.md).
pub const DEFAULT_TIME_ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The serialised form of a [`Network`]: its records and time zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NetworkParts {
    outlets: Vec<Outlet>,
    regions: Vec<Region>,
    #[serde(default = "default_zone_name")]
    time_zone: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    packages: Vec<super::ServicePackage>,
}

fn default_zone_name() -> String {
    DEFAULT_TIME_ZONE.name().to_string()
}

impl TryFrom<NetworkParts> for Network {
    type Error = crate::Error;
    fn try_from(p: NetworkParts) -> Result<Self> {
        let tz = parse_time_zone(&p.time_zone).map_err(|m| {
            crate::Error::invalid(
                crate::Location {
                    source: "network".into(),
                    field: Some("time_zone".into()),
                    ..Default::default()
                },
                m,
            )
        })?;
        Network::new(p.outlets, p.regions)?
            .with_time_zone(tz)
            .with_packages(p.packages)
    }
}

impl From<Network> for NetworkParts {
    fn from(n: Network) -> Self {
        NetworkParts {
            time_zone: n.time_zone.name().to_string(),
            packages: n.packages,
            outlets: n.outlets,
            regions: n.regions,
        }
    }
}

/// Parses an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`.
pub fn parse_time_zone(name: &str) -> std::result::Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        format!("unknown time zone '{name}': expected an IANA name such as Asia/Shanghai")
    })
}

/// Checks a multipolygon: at least one polygon, every ring closed with >= 4 positions,
/// finite coordinates in range, non-zero area.
pub(crate) fn polygon_problem(mp: &MultiPolygon<f64>) -> Option<String> {
    if mp.0.is_empty() {
        return Some("expected at least one polygon, got none".into());
    }
    for (k, poly) in mp.0.iter().enumerate() {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let pts = &ring.0;
            if pts.len() < 4 {
                return Some(format!(
                    "polygon {k}: a ring needs at least 4 positions (closed), got {}",
                    pts.len()
                ));
            }
            if pts.first() != pts.last() {
                return Some(format!("polygon {k}: ring is not closed"));
            }
            if let Some(c) = pts.iter().find(|c| {
                !(c.x.is_finite()
                    && c.y.is_finite()
                    && (-180.0..=180.0).contains(&c.x)
                    && (-90.0..=90.0).contains(&c.y))
            }) {
                return Some(format!(
                    "polygon {k}: position ({}, {}) is not a valid lon/lat",
                    c.x, c.y
                ));
            }
        }
        if poly.unsigned_area() <= 0.0 {
            return Some(format!("polygon {k}: encloses zero area"));
        }
        // Rings are read as planar lon/lat: one spanning more than 180 degrees of
        // longitude almost surely crosses the antimeridian and would contain nothing.
        if let Some(r) = poly.bounding_rect() {
            if r.width() > 180.0 {
                return Some(format!(
                    "polygon {k}: spans {:.1} degrees of longitude ({} to {}); split a polygon that crosses the antimeridian into one polygon each side of +-180",
                    r.width(),
                    r.min().x,
                    r.max().x
                ));
            }
        }
        if super::ring::plain_polygon_valid(poly) {
            continue;
        }
        if let Err(e) = poly.check_validation() {
            return Some(format!("polygon {k}: invalid geometry: {e}"));
        }
    }
    None
}

impl Network {
    /// Validates outlets and regions and builds the indexed network.
    ///
    /// Reports every problem found (up to [`super::MAX_ISSUES`]): duplicate ids, bad
    /// coordinates, unknown region codes in service areas, invalid polygons, rating sums
    /// outside `[count, 5 x count]`, duplicate skills per outlet.
    pub fn new(mut outlets: Vec<Outlet>, mut regions: Vec<Region>) -> Result<Self> {
        let mut issues = Issues::default();
        regions.sort_by(|a, b| a.code.cmp(&b.code));
        outlets.sort_by(|a, b| a.id.cmp(&b.id));

        let mut region_index = FxHashMap::default();
        for (i, r) in regions.iter().enumerate() {
            if r.code.is_empty() {
                issues.push(
                    "regions",
                    "",
                    "code",
                    "expected a non-empty region code".into(),
                );
            } else if region_index.insert(r.code.clone(), i as u32).is_some() {
                issues.push(
                    "regions",
                    &r.code,
                    "code",
                    format!("duplicate region code '{}'", r.code),
                );
            }
            if let Some(m) = id_problem(&r.code).filter(|_| !r.code.is_empty()) {
                issues.push("regions", &r.code, "code", m);
            }
            check_coords(&mut issues, "regions", &r.code, r.lon, r.lat);
            for (field, v, max) in [
                ("max_response_hours", r.max_response_hours, MAX_HOURS),
                ("max_travel_km", r.max_travel_km, MAX_KM),
            ] {
                if !(v.is_finite() && v > 0.0 && v <= max) {
                    issues.push(
                        "regions",
                        &r.code,
                        field,
                        format!("expected a number in (0, {max}], got {v}"),
                    );
                }
            }
            if let Some(p) = r.population.filter(|&p| p as f64 > MAX_POPULATION) {
                issues.push(
                    "regions",
                    &r.code,
                    "population",
                    format!("expected a population in 0..={MAX_POPULATION:e}, got {p}"),
                );
            }
            if let Some(msg) = r.polygon.as_ref().and_then(polygon_problem) {
                issues.push("regions", &r.code, "polygon", msg);
            }
        }

        let mut outlet_index = FxHashMap::default();
        // The distinct skills (a record's text is made only for a problem: 8k offers at
        // 1k outlets made three strings each).
        let mut skill_set: rustc_hash::FxHashSet<&Skill> = Default::default();
        let (mut rating_sum, mut rating_count) = (0.0, 0.0);
        for (i, o) in outlets.iter().enumerate() {
            if o.id.is_empty() {
                issues.push("outlets", "", "id", "expected a non-empty outlet id".into());
            } else if outlet_index.insert(o.id.clone(), i as u32).is_some() {
                issues.push(
                    "outlets",
                    &o.id,
                    "id",
                    format!("duplicate outlet id '{}'", o.id),
                );
            }
            if let Some(m) = id_problem(&o.id).filter(|_| !o.id.is_empty()) {
                issues.push("outlets", &o.id, "id", m);
            }
            check_coords(&mut issues, "outlets", &o.id, o.lon, o.lat);
            if o.priority > 100 {
                issues.push(
                    "outlets",
                    &o.id,
                    "priority",
                    format!("expected 0..=100, got {}", o.priority),
                );
            }
            match &o.area {
                ServiceArea::Radius(km) => {
                    if !(km.is_finite() && *km > 0.0 && *km <= MAX_KM) {
                        issues.push(
                            "outlets",
                            &o.id,
                            "radius_km",
                            format!("expected a radius in (0, {MAX_KM}] km, got {km}"),
                        );
                    }
                }
                ServiceArea::Polygons(mp) => {
                    if let Some(msg) = polygon_problem(mp) {
                        issues.push("outlet_areas", &o.id, "geometry", msg);
                    }
                }
                ServiceArea::Regions(codes) => {
                    if codes.is_empty() {
                        issues.push(
                            "outlets",
                            &o.id,
                            "area_regions",
                            "expected at least one region code".into(),
                        );
                    }
                    for c in codes {
                        if !region_index.contains_key(c) {
                            issues.push(
                                "outlets",
                                &o.id,
                                "area_regions",
                                format!("unknown region '{c}'"),
                            );
                        }
                    }
                }
            }
            let mut seen: rustc_hash::FxHashSet<&Skill> = Default::default();
            let mut load_sum = 0u64;
            for s in &o.skills {
                let name = &s.skill;
                let rec = || format!("{}/{name}", o.id);
                if !seen.insert(name) {
                    issues.push(
                        "outlet_skills",
                        &rec(),
                        "skill",
                        format!("duplicate skill '{name}' for outlet '{}'", o.id),
                    );
                }
                let count = f64::from(s.rating_count);
                if !(s.rating_sum.is_finite()
                    && s.rating_sum >= count
                    && s.rating_sum <= 5.0 * count)
                {
                    issues.push(
                        "outlet_skills",
                        &rec(),
                        "rating_sum",
                        format!(
                            "satisfaction out of range: rating_sum {} for {} ratings of 1..5 (expected {}..={}) for skill '{name}'",
                            s.rating_sum, s.rating_count, count, 5.0 * count
                        ),
                    );
                }
                if !(s.cost_per_ticket.is_finite() && (0.0..=MAX_COST).contains(&s.cost_per_ticket))
                {
                    issues.push(
                        "outlet_skills",
                        &rec(),
                        "cost_per_ticket",
                        format!(
                            "expected a cost in 0..={MAX_COST:e}, got {}",
                            s.cost_per_ticket
                        ),
                    );
                }
                load_sum += u64::from(s.load);
                if load_sum > u64::from(u32::MAX) {
                    issues.push(
                        "outlet_skills",
                        &rec(),
                        "load",
                        format!(
                            "the loads of outlet '{}' sum to {load_sum} units, more than the {} a day-counter holds",
                            o.id,
                            u32::MAX
                        ),
                    );
                    load_sum = 0;
                }
                rating_sum += s.rating_sum;
                rating_count += count;
                skill_set.insert(name);
            }
        }
        issues.into_result()?;

        // Skills in the order of their text (`kind:category`).
        let mut named: Vec<(String, &Skill)> =
            skill_set.into_iter().map(|s| (s.to_string(), s)).collect();
        named.sort_unstable();
        let id_of: FxHashMap<&Skill, SkillId> = named
            .iter()
            .enumerate()
            .map(|(i, &(_, s))| (s, SkillId(i as u32)))
            .collect();
        let offer_skills = outlets
            .iter()
            .map(|o| {
                o.skills
                    .iter()
                    .map(|s| id_of.get(&s.skill).copied().unwrap_or(SkillId(0)))
                    .collect()
            })
            .collect();
        let skills: Vec<Skill> = named.iter().map(|&(_, s)| s.clone()).collect();
        let skill_index: FxHashMap<String, SkillId> = named
            .into_iter()
            .enumerate()
            .map(|(i, (name, _))| (name, SkillId(i as u32)))
            .collect();
        let mean_rating = if rating_count > 0.0 {
            rating_sum / rating_count
        } else {
            3.0
        };
        Ok(Network {
            outlets,
            regions,
            skills,
            skill_index,
            outlet_index,
            region_index,
            offer_skills,
            mean_rating,
            time_zone: DEFAULT_TIME_ZONE,
            packages: Vec::new(),
            package_table: Vec::new(),
        })
    }

    /// The same network in time zone `tz`: naive ticket times are read as `tz`'s wall
    /// clock, and times with an offset are converted to it (docs/formats.md, "Time").
    pub fn with_time_zone(mut self, tz: chrono_tz::Tz) -> Self {
        self.time_zone = tz;
        self
    }

    /// The same network with `other`'s time zone and service packages (for a network
    /// rebuilt from another's records).
    pub fn with_settings_of(mut self, other: &Network) -> Self {
        self.time_zone = other.time_zone;
        self.packages = other.packages.clone();
        self.package_table = other.package_table.clone();
        self
    }

    /// The network's time zone (default [`DEFAULT_TIME_ZONE`], `Asia/Shanghai`).
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.time_zone
    }

    /// An instant as the network's wall-clock time (the clock every ticket time and
    /// ledger day of servnet is on).
    pub fn local_time<Z: chrono::TimeZone>(
        &self,
        t: &chrono::DateTime<Z>,
    ) -> chrono::NaiveDateTime {
        t.with_timezone(&self.time_zone).naive_local()
    }

    /// All outlets, sorted by id.
    pub fn outlets(&self) -> &[Outlet] {
        &self.outlets
    }

    /// All regions, sorted by code.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// All skills any outlet offers, sorted; a skill's position is its [`SkillId`].
    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// The dense id of a skill given as `kind:category`.
    pub fn skill_id(&self, skill: &str) -> Option<SkillId> {
        self.skill_index.get(skill).copied()
    }

    /// The index of an outlet id.
    pub fn outlet_index(&self, id: &str) -> Option<usize> {
        self.outlet_index.get(id).map(|&i| i as usize)
    }

    /// The index of an outlet id, or an error naming the unknown outlet.
    pub fn known_outlet(&self, id: &str) -> crate::Result<usize> {
        self.outlet_index(id).ok_or_else(|| crate::Error::Unknown {
            kind: "outlet",
            id: id.to_string(),
        })
    }

    /// The index of a region code.
    pub fn region_index(&self, code: &str) -> Option<usize> {
        self.region_index.get(code).map(|&i| i as usize)
    }

    /// The skill ids of outlet `o`'s offers, aligned with `outlets()[o].skills`.
    pub fn offer_skills(&self, o: usize) -> &[SkillId] {
        self.offer_skills.get(o).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Network-wide mean follow-up rating (3.0 when there are no ratings).
    pub fn mean_rating(&self) -> f64 {
        self.mean_rating
    }

    /// Bayesian-average satisfaction on the 1..5 scale: the outlet's ratings pulled toward
    /// the network mean by `prior_weight` pseudo-ratings, so two good ratings do not
    /// outrank two hundred.
    pub fn satisfaction(&self, offer: &OutletSkill, prior_weight: f64) -> f64 {
        self.bayesian_satisfaction(offer.rating_sum, offer.rating_count, prior_weight)
    }

    /// The Bayesian average of `rating_count` ratings summing to `rating_sum`, pulled
    /// toward the network mean by `prior_weight` pseudo-ratings (the mean when there are
    /// neither ratings nor prior).
    pub fn bayesian_satisfaction(
        &self,
        rating_sum: f64,
        rating_count: u32,
        prior_weight: f64,
    ) -> f64 {
        let n = f64::from(rating_count) + prior_weight;
        if n > 0.0 {
            (rating_sum + prior_weight * self.mean_rating) / n
        } else {
            self.mean_rating
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn outlet(id: &str, ratings: (f64, u32)) -> Outlet {
        Outlet {
            id: id.into(),
            name: id.into(),
            lon: 121.0,
            lat: 31.0,
            status: OutletStatus::Active,
            priority: 50,
            daily_cap: 10,
            area: ServiceArea::Radius(20.0),
            skills: vec![OutletSkill {
                skill: Skill {
                    kind: super::super::ServiceKind::Repair,
                    category: "tv".into(),
                },
                daily_capacity: 5,
                load: 0,
                rating_sum: ratings.0,
                rating_count: ratings.1,
                cost_per_ticket: 10.0,
            }],
        }
    }

    #[test]
    fn two_perfect_ratings_do_not_outrank_two_hundred_good_ones() {
        let net = Network::new(
            vec![
                outlet("a", (10.0, 2)),
                outlet("b", (900.0, 200)),
                outlet("c", (300.0, 100)),
            ],
            vec![],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let few = net.satisfaction(&net.outlets()[0].skills[0], DEFAULT_PRIOR_WEIGHT);
        let many = net.satisfaction(&net.outlets()[1].skills[0], DEFAULT_PRIOR_WEIGHT);
        assert!(
            many > few,
            "200 ratings of 4.5 ({many}) should beat 2 of 5.0 ({few})"
        );
    }

    #[test]
    fn all_problems_are_reported_together() {
        let mut a = outlet("a", (10.0, 1));
        a.lat = f64::NAN;
        let b = outlet("a", (1.0, 0));
        let e = Network::new(vec![a, b], vec![])
            .err()
            .map(|e| e.issues().to_vec())
            .unwrap_or_default();
        let fields: Vec<_> = e.iter().filter_map(|i| i.at.field.clone()).collect();
        assert!(fields.contains(&"id".to_string()), "{e:?}");
        assert!(fields.contains(&"lat".to_string()), "{e:?}");
        assert_eq!(
            fields.iter().filter(|f| *f == "rating_sum").count(),
            2,
            "{e:?}"
        );
    }
}
