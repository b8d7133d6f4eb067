//! How the dispatcher lays out a network for the search: outlet and offer records sized
//! to cache lines, one keyed tree per skill, offers numbered by skill and tree order,
//! and the build that makes them ([`Dispatcher::new`] and its siblings call it).

use super::escalate::CentresFull;
use super::index::{self, Entry, KeyedTree, Scratch};
use super::ledger::{Layout, Ledger};
use super::policy::Policy;
use super::score::safe_key;
use super::Dispatcher;
use crate::geo::{polygons_inner_km, polygons_reach_km, unit_distance_km, unit_vector};
use crate::model::{Network, OutletStatus, ServiceArea, SkillId};
use crate::{Error, Result};
use rustc_hash::FxHashMap;
use smol_str::SmolStr;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, OnceLock};

/// The open outlets offering one skill, keyed by a lower bound of their non-distance
/// score terms; and the regional centres among them (key 0), for escalation.
///
/// Measured and dropped (callgrind, 10k outlets; BENCHMARKS.md): rstar's nearest-first
/// iterator with a per-skill least key (19.5k instructions per dispatch), 4 R-trees per
/// skill by fixed-term band (30.5k), a flat 0.1-degree grid searched ring by ring (23.9k).
pub(super) struct SkillIndex {
    pub(super) tree: KeyedTree,
    pub(super) centres: KeyedTree,
}

/// An outlet's service area; polygons and region lists live in side tables so the
/// rule is 16 bytes.
#[derive(Clone, Copy)]
pub(super) enum AreaRule {
    Radius(f64),
    /// Index in `Dispatcher::polygons`, great-circle km beyond which no point is inside
    /// (rounded up) and within which every point is (rounded down; see
    /// [`polygons_inner_km`]): most tickets near the outlet skip reading the vertices.
    Polygons(u32, f32, f32),
    /// Index in `Dispatcher::region_lists` (sorted region indices).
    Regions(u32),
}

/// What the search reads of an outlet, in one cache line (dispatch is bound by cache
/// misses: at 10k outlets a dispatch ran in 0.7-0.9 us warm against 3-4.9 us cold).
#[repr(align(64))]
pub(super) struct OutletInfo {
    pub(super) xyz: [f64; 3],
    pub(super) area: AreaRule,
    pub(super) daily_cap: u32,
    pub(super) status: OutletStatus,
    pub(super) priority: u8,
}

// The layouts above are what the measurements rely on: fail the build if they grow.
const _: () = assert!(std::mem::size_of::<OutletInfo>() == 64);
const _: () = assert!(std::mem::size_of::<OfferInfo>() == 32);

/// What the search reads of an outlet skill: 32 bytes, two per cache line.
#[repr(align(32))]
pub(super) struct OfferInfo {
    pub(super) outlet: u32,
    pub(super) skill: SkillId,
    pub(super) capacity: u32,
    pub(super) rating_count: AtomicU32,
    pub(super) cost: f64,
    pub(super) rating_milli: AtomicU64,
}

/// The rest of an outlet skill, read when its search key is lowered.
pub(super) struct OfferKey {
    /// Weighted cost + priority + probation terms, plus the least load term (one unit on
    /// an empty day): fixed for the dispatcher's life.
    pub(super) static_terms: f64,
    /// Position in its skill's tree (`u32::MAX`: not indexed, takes no tickets).
    pub(super) slot: u32,
    /// Position in its skill's tree of regional centres (`u32::MAX`: not a centre).
    pub(super) centre_slot: u32,
}

/// The offer number of `outlet`'s `skill` (see [`Dispatcher::offer_of`]), from the
/// tables the dispatcher is built with.
fn offer_in(
    network: &Network,
    first_offer: &[u32],
    offer_at: &[u32],
    outlet: usize,
    skill: SkillId,
) -> Option<u32> {
    let first = *first_offer.get(outlet)?;
    let pos = network
        .offer_skills(outlet)
        .iter()
        .position(|&s| s == skill)?;
    offer_at.get(first as usize + pos).copied()
}

impl Dispatcher {
    /// The body of every constructor: lays the network out and binds the ledger.
    pub(super) fn build(
        network: Arc<Network>,
        policy: Policy,
        matrix: Option<Vec<f32>>,
        ledger: Box<dyn Ledger>,
    ) -> Result<Self> {
        let (mut d, preload) = Self::lay_out(network, policy, matrix, ledger)?;
        d.attach(&preload)?;
        Ok(d)
    }

    /// The layout the ledger sees: outlet ids, skill names, (outlet, skill) per offer.
    pub(super) fn layout(&self) -> Layout {
        Layout {
            outlets: self.outlet_ids.clone(),
            skills: self.skill_names.clone(),
            offers: self.offers.iter().map(|o| (o.outlet, o.skill.0)).collect(),
            days: self.policy.horizon_days,
            start: self.start.get().copied(),
        }
    }

    /// Binds the ledger to this dispatcher's layout; takes its day 0, first day and
    /// recorded ratings; preloads `preload` (offer, units) into a ledger that never
    /// booked anything.
    pub(super) fn attach(&mut self, preload: &[(usize, u32)]) -> Result<()> {
        let layout = self.layout();
        let bound = self.ledger.bind(&layout)?;
        self.first_day = bound.first_day;
        if let Some(d) = bound.start {
            self.start = OnceLock::from(d);
        }
        if bound.fresh {
            for &(k, units) in preload {
                self.ledger.set_load(k, self.first_day, units)?;
            }
        }
        for (k, milli, count) in bound.ratings {
            self.add_rating(k as usize, milli, count);
        }
        self.own_ledger = self.ledger.sole_writer();
        Ok(())
    }

    /// Lays the network out for the search: records, offer numbers, skill trees and
    /// region hints; returns the (offer, units) of the outlets' `load` to preload.
    pub(super) fn lay_out(
        network: Arc<Network>,
        policy: Policy,
        matrix: Option<Vec<f32>>,
        ledger: Box<dyn Ledger>,
    ) -> Result<(Self, Vec<(usize, u32)>)> {
        policy.validate()?;
        let n_skills = network.skills().len();
        let mut outlets = Vec::with_capacity(network.outlets().len());
        let mut offers = Vec::new();
        let mut first_offers = Vec::with_capacity(network.outlets().len());
        let mut offer_keys = Vec::new();
        let mut polygons = Vec::new();
        let mut region_lists: Vec<Vec<u32>> = Vec::new();
        let mut covering: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
        let mut skill_offers = vec![Vec::new(); n_skills];
        let mut points: Vec<Vec<Entry>> = (0..n_skills).map(|_| Vec::new()).collect();
        let mut centres: Vec<Vec<Entry>> = (0..n_skills).map(|_| Vec::new()).collect();
        let mut preload = Vec::new();
        // (skill, closed, tree order code, outlet, position among its skills) per offer.
        let mut protos: Vec<(SkillId, bool, u64, u32, u32)> = Vec::new();
        let w = &policy.weights;
        for (oi, o) in network.outlets().iter().enumerate() {
            let area = match &o.area {
                ServiceArea::Radius(r) => AreaRule::Radius(*r),
                ServiceArea::Polygons(p) => {
                    polygons.push(p.clone());
                    AreaRule::Polygons(
                        (polygons.len() - 1) as u32,
                        index::round_up(polygons_reach_km(p, o.lon, o.lat) * 1.01 + 0.01),
                        index::round_down(polygons_inner_km(p, o.lon, o.lat)),
                    )
                }
                ServiceArea::Regions(codes) => {
                    let mut v: Vec<u32> = codes
                        .iter()
                        .filter_map(|c| network.region_index(c))
                        .map(|i| i as u32)
                        .collect();
                    v.sort_unstable();
                    region_lists.push(v);
                    AreaRule::Regions((region_lists.len() - 1) as u32)
                }
            };
            let xyz = unit_vector(o.lon, o.lat);
            first_offers.push(protos.len() as u32);
            let code = index::hilbert_code(o.lon, o.lat);
            for (pos, &sid) in network.offer_skills(oi).iter().enumerate() {
                protos.push((sid, !o.status.takes_tickets(), code, oi as u32, pos as u32));
            }
            outlets.push(OutletInfo {
                xyz,
                status: o.status,
                priority: o.priority,
                daily_cap: o.daily_cap,
                area,
            });
        }
        // Offers are numbered by skill, and within a skill in the order its tree stores
        // them (indexed ones first): a leaf's candidates then have adjacent records and
        // ledger counters, which share cache lines.
        protos.sort_unstable();
        let mut offer_at = vec![0u32; protos.len()];
        for &(sid, _, _, oi, pos) in &protos {
            let k = offers.len() as u32;
            let oi = oi as usize;
            let o = &network.outlets()[oi];
            let Some(s) = o.skills.get(pos as usize) else {
                continue;
            };
            offer_at[(first_offers[oi] + pos) as usize] = k;
            let area = outlets[oi].area;
            let xyz = outlets[oi].xyz;
            let static_terms = w.cost * s.cost_per_ticket
                + w.priority * f64::from(100 - o.priority.min(100))
                + if o.status == OutletStatus::Probation {
                    w.probation
                } else {
                    0.0
                }
                + if s.daily_capacity > 0 {
                    w.load / f64::from(s.daily_capacity)
                } else {
                    0.0
                };
            offers.push(OfferInfo {
                outlet: oi as u32,
                skill: sid,
                capacity: s.daily_capacity,
                cost: s.cost_per_ticket,
                rating_milli: AtomicU64::new((s.rating_sum * 1000.0).round() as u64),
                rating_count: AtomicU32::new(s.rating_count),
            });
            offer_keys.push(OfferKey {
                static_terms,
                slot: u32::MAX,
                centre_slot: u32::MAX,
            });
            skill_offers[sid.index()].push(k);
            if s.load > 0 {
                preload.push((k as usize, s.load));
            }
            if o.status.takes_tickets() {
                let reach = match area {
                    AreaRule::Radius(km) => km,
                    AreaRule::Polygons(_, reach, _) => f64::from(reach),
                    AreaRule::Regions(_) => f64::INFINITY,
                };
                let entry = |data, key| Entry {
                    xyz,
                    lon: o.lon,
                    lat: o.lat,
                    data,
                    key,
                    reach,
                    area_reach: match area {
                        AreaRule::Regions(_) => 0.0,
                        _ => reach,
                    },
                    area_floor: match area {
                        AreaRule::Radius(km) => km,
                        _ => f64::NEG_INFINITY,
                    },
                };
                if let AreaRule::Regions(list) = area {
                    for &region in &region_lists[list as usize] {
                        covering.entry((sid.0, region)).or_default().push(k);
                    }
                }
                let sat = policy.weights.satisfaction
                    * (5.0
                        - network.bayesian_satisfaction(
                            s.rating_sum,
                            s.rating_count,
                            policy.prior_weight,
                        ))
                    .max(0.0);
                points[sid.index()].push(entry(oi as u32, safe_key(static_terms + sat)));
                if o.priority >= policy.centre_priority {
                    centres[sid.index()].push(entry(k, 0.0));
                }
            }
        }
        let matrix = matrix.map(|mut m| {
            let n = outlets.len();
            for (r, region) in network.regions().iter().enumerate() {
                let rx = unit_vector(region.lon, region.lat);
                for (o, info) in outlets.iter().enumerate() {
                    let gc = unit_distance_km(&rx, &info.xyz) as f32;
                    let v = &mut m[r * n + o];
                    *v = v.max(gc);
                }
            }
            m
        });
        if offers.len() >= 1 << 28 {
            return Err(Error::argument(
                "network",
                format!(
                    "{} outlet skills; the dispatcher indexes at most 2^28",
                    offers.len()
                ),
            ));
        }
        let mut skill_base = Vec::with_capacity(n_skills);
        let mut index = Vec::with_capacity(n_skills);
        for (s, (p, c)) in points.into_iter().zip(centres).enumerate() {
            let base = skill_offers[s].first().copied().unwrap_or(0);
            let (tree, slots) = KeyedTree::new(p);
            for (outlet, slot) in slots {
                let oi = outlet as usize;
                let k = offer_in(&network, &first_offers, &offer_at, oi, SkillId(s as u32));
                // The numbering above follows the tree's order; if it ever did not, the
                // search would score the wrong offers.
                if k != Some(base + slot) {
                    return Err(Error::argument(
                        "network",
                        format!(
                            "internal error: outlet {oi}'s offer of skill {s} is not numbered \
                             in tree order"
                        ),
                    ));
                }
                offer_keys[(base + slot) as usize].slot = slot;
            }
            let (centres, centre_slots) = KeyedTree::new(c);
            for (k, slot) in centre_slots {
                if let Some(key) = offer_keys.get_mut(k as usize) {
                    key.centre_slot = slot;
                }
            }
            skill_base.push(base);
            index.push(SkillIndex { tree, centres });
        }
        let mut scratch = Scratch::default();
        let mut hints = Vec::with_capacity(index.len() * network.regions().len());
        for ix in &index {
            for r in network.regions() {
                let centre = unit_vector(r.lon, r.lat);
                hints.push(
                    ix.tree
                        .nearest_leaf(&mut scratch, &centre)
                        .unwrap_or(u32::MAX),
                );
            }
        }
        let start = OnceLock::new();
        if let Some(d) = policy.start_date {
            let _ = start.set(d);
        }
        let d = Dispatcher {
            skill_names: network
                .skills()
                .iter()
                .map(|s| SmolStr::new(s.to_string()))
                .collect(),
            outlet_ids: network
                .outlets()
                .iter()
                .map(|o| SmolStr::new(&o.id))
                .collect(),
            first_offer: first_offers,
            offer_at,
            network,
            policy,
            outlets,
            offers,
            offer_keys,
            polygons,
            region_lists,
            covering,
            skill_offers,
            index,
            skill_base,
            hints,
            ledger,
            first_day: 0,
            matrix,
            start,
            centres_full: (0..n_skills).map(|_| CentresFull::default()).collect(),
            release_epoch: AtomicU64::new(0),
            own_ledger: false,
            full_lock: std::sync::Mutex::new(()),
            network_seen: 0,
        };
        Ok((d, preload))
    }

    /// The offer index of `outlet`'s `skill`, if it offers it.
    pub(super) fn offer_of(&self, outlet: usize, skill: SkillId) -> Option<u32> {
        offer_in(
            &self.network,
            &self.first_offer,
            &self.offer_at,
            outlet,
            skill,
        )
    }
}
