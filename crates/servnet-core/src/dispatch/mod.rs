//! Per-ticket dispatch: hard rules filter the outlets, a weighted score ranks them, a
//! concurrent ledger books capacity so no outlet is ever booked past it.
//!
//! Speed comes from touching only outlets that could still win: one packed R-tree per
//! skill of the open outlets offering it, whose nodes carry the least non-distance score
//! terms below them, searched best-first on distance bound + those terms, stopping once
//! no node left can beat the best score found.
//!
//! ```
//! use servnet_core::dispatch::{Dispatcher, Outcome, Policy};
//! use servnet_core::model::*;
//! # fn main() -> servnet_core::Result<()> {
//! let skill: Skill = "repair:tv".parse().map_err(|e| servnet_core::Error::argument("skill", e))?;
//! let outlet = Outlet {
//!     id: "O1".into(), name: "Shanghai centre".into(), lon: 121.47, lat: 31.23,
//!     status: OutletStatus::Active, priority: 50, daily_cap: 10,
//!     area: ServiceArea::Radius(30.0),
//!     skills: vec![OutletSkill { skill, daily_capacity: 1, load: 0, rating_sum: 45.0,
//!                                rating_count: 10, cost_per_ticket: 50.0 }],
//! };
//! let region = Region { code: "SH".into(), name: "Shanghai".into(), tier: Tier::A,
//!     lon: 121.47, lat: 31.23, population: None, max_response_hours: 24.0,
//!     max_travel_km: 50.0, polygon: None };
//! let dispatcher = Dispatcher::new(Network::new(vec![outlet], vec![region])?, Policy::default())?;
//! let t = servnet_core::io::parse_time("2026-11-23T08:00").unwrap_or_default();
//! let first = dispatcher.dispatch(&Ticket::new("T1", 121.48, 31.22, "SH", "repair:tv", t))?;
//! assert!(matches!(first, Outcome::Assigned(_)));
//! // Capacity 1: the second ticket of the day goes to the next day (a fallback) or nowhere.
//! let second = dispatcher.dispatch(&Ticket::new("T2", 121.48, 31.22, "SH", "repair:tv", t))?;
//! assert!(second.assignment().map_or(true, |a| a.day > 0));
//! # Ok(()) }
//! ```

mod bookings;
mod index;
mod ledger;
mod policy;
mod summary;
pub mod synthetic;
mod table;
mod types;

pub use ledger::{AtomicLedger, Ledger};
pub use policy::{Fallback, Policy, Weights};
pub use smol_str::SmolStr;
pub use summary::{dispatch_in_arrival_order, DispatchSummary};
pub use table::{route_text, OutcomeTable};
pub use types::{
    Assignment, Breakdown, Candidate, Explanation, LoadRow, Outcome, Route, Rule, Unassignable,
};

use crate::geo::{
    km_to_chord, polygons_contain, polygons_inner_km, polygons_reach_km, unit_distance_km,
    unit_vector, EARTH_RADIUS_KM,
};
use crate::model::{Network, OutletStatus, Priority, ServiceArea, SkillId, Ticket};
use crate::{Error, Result};
use bookings::Bookings;
use chrono::{NaiveDate, NaiveDateTime};
use geo::MultiPolygon;
use index::{Entry, KeyedTree, Scratch};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A live booking, kept compact in the dispatcher's ticket map (no strings, no
/// breakdown: it is rebuilt from these fields, with the satisfaction as booked).
#[derive(Clone, Copy)]
struct Booking {
    offer: u32,
    outlet: u32,
    day: u32,
    units: u32,
    road: f64,
    load_ratio: f64,
    satisfaction: f64,
    preferred: bool,
    sla_met: bool,
    route: Route,
    hold: Option<u64>,
}

/// The open outlets offering one skill, keyed by a lower bound of their non-distance
/// score terms; and the regional centres among them (key 0), for escalation.
///
/// Measured and dropped (callgrind, 10k outlets; BENCHMARKS.md): rstar's nearest-first
/// iterator with a per-skill least key (19.5k instructions per dispatch), 4 R-trees per
/// skill by fixed-term band (30.5k), a flat 0.1-degree grid searched ring by ring (23.9k).
struct SkillIndex {
    tree: KeyedTree,
    centres: KeyedTree,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// A scan's list of outlets passing the area rules, kept between calls so that the
    /// usual successful scan allocates nothing (an allocation per dispatch, measured).
    static SEEN: RefCell<Vec<(u32, f64)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's empty `seen` buffer (taken; give it back with [`give_seen`]).
fn take_seen() -> Vec<(u32, f64)> {
    let mut v = SEEN.with(|c| {
        c.try_borrow_mut()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    });
    v.clear();
    v
}

fn give_seen(v: Vec<(u32, f64)>) {
    SEEN.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = v;
        }
    });
}

/// Runs `f` with this thread's search scratch (a fresh one if it is in use).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Outlets that passed the day-independent rules in a scan that found no eligible outlet
/// (so pruned nothing), with their road km, per widening factor: later days and
/// fallbacks with the same area rules re-check only these.
type Reach = Vec<(f64, Vec<(u32, f64)>)>;

/// A max-heap of hits as ((sortable score, outlet), offer, day, road bits, load bits).
type TopK = BinaryHeap<((u64, u32), u32, u32, u64, u64)>;

/// Every rule, in ordinal order (checked below: `RULES[i] as usize == i`).
const RULES: [Rule; 9] = [
    Rule::NoSkill,
    Rule::Status,
    Rule::Avoided,
    Rule::OutsideArea,
    Rule::TooFar,
    Rule::SlaUnreachable,
    Rule::SkillFull,
    Rule::OutletFull,
    Rule::OutsideHorizon,
];

const _: () = {
    let mut i = 0;
    while i < RULES.len() {
        assert!(
            RULES[i] as usize == i,
            "RULES must list every rule in ordinal order"
        );
        i += 1;
    }
};

/// Maps a score to bits that sort like the scores (total order, negatives included).
fn sortable(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The inverse of [`sortable`].
fn unsortable(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

/// Lowers a score key by a relative hair so that rounding in the score's sum can never
/// make the bound exceed an exactly tied score.
fn safe_key(key: f64) -> f64 {
    key - 1e-9 * (1.0 + key.abs())
}

/// An outlet's service area; polygons and region lists live in side tables so the
/// rule is 16 bytes.
#[derive(Clone, Copy)]
enum AreaRule {
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
struct OutletInfo {
    xyz: [f64; 3],
    area: AreaRule,
    daily_cap: u32,
    status: OutletStatus,
    priority: u8,
}

// The layouts above are what the measurements rely on: fail the build if they grow.
const _: () = assert!(std::mem::size_of::<OutletInfo>() == 64);
const _: () = assert!(std::mem::size_of::<OfferInfo>() == 32);

/// What the search reads of an outlet skill: 32 bytes, two per cache line.
#[repr(align(32))]
struct OfferInfo {
    outlet: u32,
    skill: SkillId,
    capacity: u32,
    rating_count: AtomicU32,
    cost: f64,
    rating_milli: AtomicU64,
}

/// The rest of an outlet skill, read when its search key is lowered.
struct OfferKey {
    /// Weighted cost + priority + probation terms, plus the least load term (one unit on
    /// an empty day): fixed for the dispatcher's life.
    static_terms: f64,
    /// Position in its skill's tree (`u32::MAX`: not indexed, takes no tickets).
    slot: u32,
}

/// A ticket with its references resolved to indices.
struct Resolved<'t> {
    ticket: &'t Ticket,
    skill: Option<SkillId>,
    region: usize,
    xyz: [f64; 3],
    emergency: bool,
    avoid: Vec<u32>,
    preferred: Option<u32>,
    day0: i64,
    /// Milliseconds (on the naive clock) of `created_at`, of day 0's start, and of `due_by` or
    /// `created_at + max_response_hours` if earlier: the SLA arithmetic per outlet and
    /// day stays integer (chrono's calendar math cost ~300 instructions per dispatch).
    created: i64,
    start: i64,
    deadline: i64,
}

/// Milliseconds of a naive date-time since the naive epoch (a leap second stays in its
/// own second, as `NaiveDateTime::date` keeps it in its own day).
fn millis(t: NaiveDateTime) -> i64 {
    let t = t.and_utc();
    t.timestamp() * 1000 + i64::from(t.timestamp_subsec_millis().min(999))
}

const DAY_MS: i64 = 86_400_000;

/// How strictly a search applies the rules.
#[derive(Clone, Copy)]
struct Mode {
    widen: f64,
    sla_filter: bool,
}

const STRICT: Mode = Mode {
    widen: 1.0,
    sla_filter: true,
};

/// One (offer, day) a ticket may take in batch assignment, with its score.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EligibleArc {
    /// Offer (outlet x skill) index.
    pub(crate) offer: u32,
    /// Outlet index.
    pub(crate) outlet: u32,
    /// Day from the ledger's start.
    pub(crate) day: u32,
    /// Days past the last SLA day (0 = within the SLA).
    pub(crate) late_days: u32,
    /// Score at the current loads.
    pub(crate) b: Breakdown,
}

#[derive(Clone, Copy)]
struct Hit {
    offer: u32,
    day: u32,
    road: f64,
    load_ratio: f64,
    score: f64,
}

/// Per-ticket dispatcher over a [`Network`]. `Send + Sync`: share it (e.g. in an `Arc`)
/// between threads; bookings go through its [`Ledger`].
pub struct Dispatcher {
    network: Arc<Network>,
    policy: Policy,
    outlets: Vec<OutletInfo>,
    offers: Vec<OfferInfo>,
    offer_keys: Vec<OfferKey>,
    polygons: Vec<MultiPolygon<f64>>,
    region_lists: Vec<Vec<u32>>,
    /// (skill, region) -> the indexed offers whose region list has that region.
    covering: FxHashMap<(u32, u32), Vec<u32>>,
    skill_offers: Vec<Vec<u32>>,
    /// Per skill, the open outlets offering it.
    index: Vec<SkillIndex>,
    /// Per skill, the number of its first offer: a skill's offers are numbered in the
    /// order its tree stores them, so the offer in tree slot `s` is `skill_base + s`
    /// (the tree's items carry the outlet number instead).
    skill_base: Vec<u32>,
    /// Per (skill, region), the skill tree's leaf nearest the region's centre
    /// (`u32::MAX`: none), whose path a dispatch starts loading first.
    hints: Vec<u32>,
    ledger: Arc<dyn Ledger>,
    matrix: Option<Vec<f32>>,
    start: OnceLock<NaiveDate>,
    bookings: Bookings,
    /// Per outlet, where its skills start in `offer_at`.
    first_offer: Vec<u32>,
    /// Offer number by (outlet, position among its skills), through `first_offer`.
    offer_at: Vec<u32>,
    /// Copied into every [`Assignment`] (inline up to 23 bytes: no allocation).
    skill_names: Vec<SmolStr>,
    /// Outlet ids by index (read only when an assignment is returned).
    outlet_ids: Vec<SmolStr>,
    holds: Mutex<BTreeMap<u64, (SmolStr, NaiveDateTime)>>,
    next_hold: AtomicU64,
    /// Per skill: when escalation last found no centre with room.
    centres_full: Vec<CentresFull>,
    /// Bumped after every release of capacity, and after every failed reserve (which
    /// may have held units for a moment).
    release_epoch: AtomicU64,
    /// Whether the ledger is this dispatcher's own (every change goes through it, so
    /// `centres_full` findings stay true until a release).
    own_ledger: bool,
}

/// A finding that no regional centre offering a skill had room for one unit on any
/// day from `from` on, at release epoch `epoch`, under the emergency limits or the
/// normal ones, packed as epoch + 1 (bits 0..40), from (40..62) and emergency (63);
/// 0 is no finding. Bookings only take room (releases and failed reserves, which give
/// units back, move the epoch on), so it holds until the epoch moves on, for
/// any later day and any units, and under normal limits also when it was found under
/// the (larger) emergency ones.
#[derive(Default)]
struct CentresFull(AtomicU64);

impl CentresFull {
    const EPOCH_BITS: u32 = 40;

    fn record(&self, epoch: u64, from: u32, emergency: bool) {
        if epoch + 1 < 1 << Self::EPOCH_BITS && from < 1 << 22 {
            let bits =
                (epoch + 1) | u64::from(from) << Self::EPOCH_BITS | u64::from(emergency) << 63;
            self.0.store(bits, Ordering::Release);
        }
    }

    fn covers(&self, epoch: u64, from: u32, emergency: bool) -> bool {
        let bits = self.0.load(Ordering::Acquire);
        let at = bits & ((1 << Self::EPOCH_BITS) - 1);
        let since = ((bits >> Self::EPOCH_BITS) & ((1 << 22) - 1)) as u32;
        let found_emergency = bits >> 63 == 1;
        at == epoch + 1 && from >= since && (found_emergency || !emergency)
    }
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock cannot leave a booking half-written
    // (each critical section is a single map operation), so a poisoned lock is usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Dispatcher {
    /// Builds a dispatcher with an in-memory [`AtomicLedger`]; outlet `load` is booked on day 0.
    pub fn new(network: Network, policy: Policy) -> Result<Self> {
        Self::build(Arc::new(network), policy, None, None)
    }

    /// Like [`Dispatcher::new`] with road distances from a travel matrix: `km[r * n_outlets + o]`
    /// is the road km from outlet `o` to region `r`'s customers (indices as in the network).
    /// Values below the great-circle distance are raised to it (needed for exact pruning).
    pub fn with_travel_matrix(network: Network, policy: Policy, km: Vec<f32>) -> Result<Self> {
        let need = network.regions().len() * network.outlets().len();
        if km.len() != need {
            return Err(Error::argument(
                "travel_matrix",
                format!(
                    "expected {need} entries (regions x outlets), got {}",
                    km.len()
                ),
            ));
        }
        if let Some(v) = km.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::argument(
                "travel_matrix",
                format!("expected finite km >= 0, got {v}"),
            ));
        }
        Self::build(Arc::new(network), policy, Some(km), None)
    }

    /// Like [`Dispatcher::new`] with bookings in a caller's ledger (e.g. a shared store).
    /// The ledger must cover `policy.horizon_days` days; outlet `load` is not preloaded.
    ///
    /// The ledger sees outlets by their index in the network and outlet skills by the
    /// dispatcher's own offer numbers ([`Dispatcher::offer_number`]). Offer numbers follow
    /// the search's layout (by skill, then place): they are the same for the same network
    /// and servnet version, but adding, moving or suspending an outlet renumbers them. A
    /// store kept across such a change must be keyed by (outlet, skill) through
    /// `offer_number`, or reset.
    pub fn with_ledger(network: Network, policy: Policy, ledger: Arc<dyn Ledger>) -> Result<Self> {
        Self::build(Arc::new(network), policy, None, Some(ledger))
    }

    fn build(
        network: Arc<Network>,
        policy: Policy,
        matrix: Option<Vec<f32>>,
        ledger: Option<Arc<dyn Ledger>>,
    ) -> Result<Self> {
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
            });
            skill_offers[sid.index()].push(k);
            if s.load > 0 {
                preload.push((k as usize, oi, s.load));
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
        let own_ledger = ledger.is_none();
        let ledger: Arc<dyn Ledger> = match ledger {
            Some(l) => l,
            None => {
                let l = AtomicLedger::new(offers.len(), outlets.len(), policy.horizon_days);
                for (k, o, units) in preload {
                    l.preload(k, o, 0, units);
                }
                Arc::new(l)
            }
        };
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
            skill_base.push(base);
            index.push(SkillIndex {
                tree,
                centres: KeyedTree::new(c).0,
            });
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
        Ok(Dispatcher {
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
            matrix,
            start,
            bookings: Bookings::default(),
            holds: Mutex::new(BTreeMap::new()),
            next_hold: AtomicU64::new(1),
            centres_full: (0..n_skills).map(|_| CentresFull::default()).collect(),
            release_epoch: AtomicU64::new(0),
            own_ledger,
        })
    }

    /// The network dispatched over.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Day 0 of the ledger, once known.
    pub fn start_date(&self) -> Option<NaiveDate> {
        self.start.get().copied()
    }

    fn materialise(&self, ticket_id: SmolStr, b: &Booking) -> Assignment {
        Assignment {
            ticket_id,
            outlet_id: self.outlet_ids[b.outlet as usize].clone(),
            skill: self.skill_names[self.offers[b.offer as usize].skill.index()].clone(),
            day: b.day,
            units: b.units,
            breakdown: self.breakdown_of(
                b.offer as usize,
                b.units,
                b.road,
                b.load_ratio,
                b.satisfaction,
                b.preferred,
            ),
            sla_met: b.sla_met,
            route: b.route,
            hold: b.hold,
        }
    }

    /// The ticket's skill and region, if known.
    fn ids(&self, t: &Ticket) -> (Option<SkillId>, Option<usize>) {
        (
            self.network.skill_id(&t.skill),
            self.network.region_index(&t.region),
        )
    }

    /// Starts loading the skill tree's nodes near the ticket's region centre, so that
    /// they arrive while the ticket map is searched (a hint; no effect on results).
    fn prefetch_for(&self, ids: (Option<SkillId>, Option<usize>)) {
        if let (Some(skill), Some(region)) = ids {
            let n = self.network.regions().len();
            if let Some(&leaf) = self.hints.get(skill.index() * n + region) {
                self.index[skill.index()].tree.prefetch_path(leaf);
            }
        }
    }

    fn booked(&self, ticket_id: &str) -> Option<Assignment> {
        self.bookings
            .get(ticket_id)
            .map(|(id, b)| self.materialise(id, &b))
    }

    fn resolve<'t>(&self, t: &'t Ticket) -> Result<Resolved<'t>> {
        self.resolve_ids(t, self.ids(t))
    }

    /// [`Dispatcher::resolve`] with the ticket's [`Dispatcher::ids`] already looked up.
    fn resolve_ids<'t>(
        &self,
        t: &'t Ticket,
        (skill, region): (Option<SkillId>, Option<usize>),
    ) -> Result<Resolved<'t>> {
        // One judge of tickets for the readers, the dispatcher and Python.
        let refs = t
            .refs(&self.network, skill, region)
            .map_err(|p| t.error(p))?;
        let (skill, region) = (refs.skill, refs.region);
        let (avoid, preferred) = (refs.avoid, refs.preferred);
        let start = millis(
            self.start
                .get_or_init(|| t.created_at.date())
                .and_time(chrono::NaiveTime::MIN),
        );
        let created = millis(t.created_at);
        let response = created.saturating_add(
            (self.network.regions()[region].max_response_hours * 3_600_000.0).round() as i64,
        );
        Ok(Resolved {
            ticket: t,
            skill,
            region,
            xyz: unit_vector(t.lon, t.lat),
            emergency: t.priority == Priority::Emergency,
            avoid,
            preferred,
            day0: (created - start).div_euclid(DAY_MS),
            created,
            start,
            deadline: millis(t.due_by).min(response),
        })
    }

    /// Milliseconds at which `day` starts.
    fn day_start(r: &Resolved, day: u32) -> i64 {
        r.start.saturating_add(DAY_MS * i64::from(day))
    }

    /// The most road km a ticket served on `day` can be from its outlet and still meet
    /// its deadline: (deadline - earliest start that day) x speed.
    fn sla_road_km(&self, r: &Resolved, day: u32) -> f64 {
        let earliest = Self::day_start(r, day).max(r.created);
        r.deadline.saturating_sub(earliest) as f64 / 3_600_000.0 * self.policy.speed_kmh
    }

    /// Whether service on `day` after `road_km` of travel meets the deadline.
    fn sla_met(&self, r: &Resolved, day: u32, road_km: f64) -> bool {
        road_km <= self.sla_road_km(r, day)
    }

    /// The SLA travel limit a search applies on `day` (none when the mode does not filter).
    fn sla_limit(&self, r: &Resolved, day: u32, mode: Mode) -> f64 {
        if mode.sla_filter {
            self.sla_road_km(r, day)
        } else {
            f64::INFINITY
        }
    }

    /// Days the SLA allows (from the ticket's own day), within the horizon.
    fn sla_days(&self, r: &Resolved) -> std::ops::Range<u32> {
        let h = i64::from(self.policy.horizon_days);
        if r.day0 < 0 || r.day0 >= h {
            return 0..0;
        }
        let mut last = r.day0;
        while last + 1 < h && Self::day_start(r, (last + 1) as u32) <= r.deadline {
            last += 1;
        }
        r.day0 as u32..last as u32 + 1
    }

    fn limit(&self, cap: u32, emergency: bool) -> u32 {
        if emergency || self.policy.emergency_reserve == 0.0 {
            cap
        } else {
            (f64::from(cap) * (1.0 - self.policy.emergency_reserve)).floor() as u32
        }
    }

    /// Great-circle km from the ticket to offer `k`'s outlet.
    fn gc_km(&self, r: &Resolved, k: usize) -> f64 {
        unit_distance_km(&r.xyz, &self.outlets[self.offers[k].outlet as usize].xyz)
    }

    fn road_km(&self, r: &Resolved, outlet: usize, gc_km: f64) -> f64 {
        match &self.matrix {
            Some(m) => f64::from(m[r.region * self.outlets.len() + outlet]),
            None => gc_km * self.policy.detour_factor,
        }
    }

    /// Lower bound on road km from great-circle km (for pruning).
    fn road_lower(&self, gc_km: f64) -> f64 {
        if self.matrix.is_some() {
            gc_km
        } else {
            gc_km * self.policy.detour_factor
        }
    }

    fn satisfaction(&self, k: usize) -> f64 {
        let o = &self.offers[k];
        self.network.bayesian_satisfaction(
            o.rating_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            o.rating_count.load(Ordering::Relaxed),
            self.policy.prior_weight,
        )
    }

    /// The weighted satisfaction term of an offer's score.
    fn sat_term(&self, k: usize) -> f64 {
        self.policy.weights.satisfaction * (5.0 - self.satisfaction(k)).max(0.0)
    }

    /// Lowers offer `k`'s search key to its fixed terms plus `sat_term` if that is lower.
    fn lower_key(&self, k: usize, sat_term: f64) {
        let o = &self.offer_keys[k];
        if o.slot != u32::MAX {
            self.index[self.offers[k].skill.index()]
                .tree
                .lower_key(o.slot, safe_key(o.static_terms + sat_term));
        }
    }

    /// Checks the rules that do not depend on the day; returns (gc km, road km).
    fn static_rules(
        &self,
        r: &Resolved,
        k: usize,
        gc_km: f64,
        mode: Mode,
        with_polygon: bool,
    ) -> std::result::Result<f64, Rule> {
        let offer = &self.offers[k];
        let oi = offer.outlet as usize;
        let o = &self.outlets[oi];
        if !o.status.takes_tickets() {
            return Err(Rule::Status);
        }
        if r.avoid.contains(&offer.outlet) {
            return Err(Rule::Avoided);
        }
        let inside = match o.area {
            AreaRule::Radius(km) => gc_km <= km * mode.widen,
            AreaRule::Regions(list) => self.region_lists[list as usize]
                .binary_search(&(r.region as u32))
                .is_ok(),
            AreaRule::Polygons(p, reach, inner) => {
                gc_km <= f64::from(reach) && (!with_polygon || self.in_polygons(r, p, inner, gc_km))
            }
        };
        if !inside {
            return Err(Rule::OutsideArea);
        }
        let road = self.road_km(r, oi, gc_km);
        if road > self.network.regions()[r.region].max_travel_km * mode.widen {
            return Err(Rule::TooFar);
        }
        Ok(road)
    }

    /// Day rules (SLA travel limit `sla_km`, capacity) and the score.
    fn day_rules(
        &self,
        r: &Resolved,
        k: usize,
        road: f64,
        day: u32,
        sla_km: f64,
    ) -> std::result::Result<Hit, Rule> {
        if road > sla_km {
            return Err(Rule::SlaUnreachable);
        }
        let offer = &self.offers[k];
        let oi = offer.outlet as usize;
        let units = r.ticket.units;
        let used = self.ledger.offer_used(k, day);
        if used.saturating_add(units) > self.limit(offer.capacity, r.emergency) {
            return Err(Rule::SkillFull);
        }
        let o = &self.outlets[oi];
        if self.ledger.outlet_used(oi, day).saturating_add(units)
            > self.limit(o.daily_cap, r.emergency)
        {
            return Err(Rule::OutletFull);
        }
        let load_ratio = if offer.capacity > 0 {
            f64::from(used + units) / f64::from(offer.capacity)
        } else {
            1.0
        };
        Ok(Hit {
            offer: k as u32,
            day,
            road,
            load_ratio,
            score: self.terms(r, k, road, load_ratio).0.iter().sum(),
        })
    }

    /// The score's breakdown for a hit (same terms, same sum as its score).
    fn breakdown(&self, r: &Resolved, hit: &Hit) -> Breakdown {
        let k = hit.offer as usize;
        let preferred = r.preferred == Some(self.offers[k].outlet);
        let satisfaction = self.satisfaction(k);
        self.breakdown_of(
            k,
            r.ticket.units,
            hit.road,
            hit.load_ratio,
            satisfaction,
            preferred,
        )
    }

    /// The breakdown of offer `k`'s score from its variable parts.
    fn breakdown_of(
        &self,
        k: usize,
        units: u32,
        road: f64,
        load_ratio: f64,
        satisfaction: f64,
        preferred: bool,
    ) -> Breakdown {
        let terms = self.terms_with(k, road, load_ratio, satisfaction, preferred);
        let offer = &self.offers[k];
        let o = &self.outlets[offer.outlet as usize];
        Breakdown {
            distance_km: road,
            satisfaction,
            load_ratio,
            cost: offer.cost * f64::from(units),
            priority: o.priority,
            probation: o.status == OutletStatus::Probation,
            preferred,
            terms,
            score: terms.iter().sum(),
        }
    }

    /// The weighted score terms in [`Breakdown::terms`] order, and the satisfaction used.
    fn terms(&self, r: &Resolved, k: usize, road: f64, load_ratio: f64) -> ([f64; 7], f64) {
        let satisfaction = self.satisfaction(k);
        let preferred = r.preferred == Some(self.offers[k].outlet);
        let terms = self.terms_with(k, road, load_ratio, satisfaction, preferred);
        (terms, satisfaction)
    }

    /// The weighted score terms in [`Breakdown::terms`] order.
    fn terms_with(
        &self,
        k: usize,
        road: f64,
        load_ratio: f64,
        satisfaction: f64,
        preferred: bool,
    ) -> [f64; 7] {
        let w = &self.policy.weights;
        let offer = &self.offers[k];
        let o = &self.outlets[offer.outlet as usize];
        let probation = o.status == OutletStatus::Probation;
        [
            w.distance * road,
            w.satisfaction * (5.0 - satisfaction).max(0.0),
            w.load * load_ratio,
            w.cost * offer.cost,
            w.priority * f64::from(100 - o.priority.min(100)),
            if probation { w.probation } else { 0.0 },
            if preferred { -w.preferred } else { 0.0 },
        ]
    }

    fn better(&self, a: &Hit, b: &Option<Hit>) -> bool {
        match b {
            None => true,
            Some(b) => {
                a.score < b.score
                    || (a.score == b.score
                        && self.offers[a.offer as usize].outlet
                            < self.offers[b.offer as usize].outlet)
            }
        }
    }

    /// Full evaluation of one offer on the given days: the first day it is eligible.
    fn evaluate(
        &self,
        r: &Resolved,
        k: usize,
        days: std::ops::Range<u32>,
        mode: Mode,
    ) -> std::result::Result<Hit, Rule> {
        let road = self.static_rules(r, k, self.gc_km(r, k), mode, true)?;
        let mut worst = Rule::SlaUnreachable;
        for day in days {
            match self.day_rules(r, k, road, day, self.sla_limit(r, day, mode)) {
                Ok(hit) => return Ok(hit),
                Err(rule) => worst = worst.max(rule),
            }
        }
        Err(worst)
    }

    /// Best eligible offer on the earliest day that has one.
    fn search(
        &self,
        r: &Resolved,
        skill: SkillId,
        days: std::ops::Range<u32>,
        mode: Mode,
        reach: &mut Reach,
    ) -> Option<Hit> {
        let max_chord = self.max_chord(r, mode.widen);
        for day in days {
            let sla_km = self.sla_limit(r, day, mode);
            let mut best: Option<Hit> = None;
            if let Some(p) = r.preferred {
                if let Some(k) = self.offer_of(p as usize, skill) {
                    if let Ok(hit) = self.evaluate(r, k as usize, day..day + 1, mode) {
                        best = Some(hit);
                    }
                }
            }
            if let Some((_, list)) = reach.iter().find(|(w, _)| *w == mode.widen) {
                for &(k, road) in list {
                    let k = k as usize;
                    if let Ok(hit) = self.day_rules(r, k, road, day, sla_km) {
                        if self.better(&hit, &best) && self.inside_polygons(r, k, None) {
                            best = Some(hit);
                        }
                    }
                }
            } else {
                let mut seen = take_seen();
                self.scan(r, skill, max_chord, day, sla_km, mode, &mut best, &mut seen);
                if best.is_none() {
                    reach.push((mode.widen, seen));
                } else {
                    give_seen(seen);
                }
            }
            if best.is_some() {
                return best;
            }
        }
        None
    }

    /// The chord length beyond which no outlet can be within the region's travel limit
    /// (x `widen`): road km >= great-circle km x detour (or >= great-circle km with a
    /// travel matrix) >= chord km.
    fn max_chord(&self, r: &Resolved, widen: f64) -> f64 {
        let max_km = self.network.regions()[r.region].max_travel_km * widen;
        km_to_chord(if self.matrix.is_some() {
            max_km
        } else {
            max_km / self.policy.detour_factor
        })
    }

    /// Road km per km of chord length (a lower bound of road km, for pruning).
    fn road_per_chord_km(&self) -> f64 {
        if self.matrix.is_some() {
            1.0
        } else {
            self.policy.detour_factor
        }
    }

    /// Best-first scan of one skill's outlets, improving `best`. While `best` is `None`
    /// nothing is pruned, so `seen` gets every outlet passing the day-independent rules.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        r: &Resolved,
        skill: SkillId,
        max_chord: f64,
        day: u32,
        sla_km: f64,
        mode: Mode,
        best: &mut Option<Hit>,
        seen: &mut Vec<(u32, f64)>,
    ) {
        let w_d = self.policy.weights.distance;
        // Chord km <= great-circle km, so this never exceeds the true distance term.
        let per_d = w_d * self.road_per_chord_km() * EARTH_RADIUS_KM;
        let cutoff = |best: &Option<Hit>| best.as_ref().map_or(f64::INFINITY, |b| b.score);
        let tree = &self.index[skill.index()].tree;
        let base = self.skill_base[skill.index()];
        let start = cutoff(best);
        with_scratch(|scratch| {
            let widen = Some(mode.widen);
            tree.best_first(
                scratch,
                &r.xyz,
                max_chord,
                widen,
                start,
                per_d,
                |slot, outlet, _, key| {
                    let k = (base + slot) as usize;
                    // The outlet's record is read by its number in the tree, not through
                    // the offer's: the two loads (both usually misses) overlap.
                    let gc = unit_distance_km(&r.xyz, &self.outlets[outlet as usize].xyz);
                    if let Some(b) = &*best {
                        // This outlet's own fixed terms already lose: skip the ledger.
                        if w_d * self.road_lower(gc) + key > b.score {
                            return b.score;
                        }
                    }
                    if Some(outlet) == r.preferred {
                        return cutoff(best);
                    }
                    let Ok(road) = self.static_rules(r, k, gc, mode, false) else {
                        return cutoff(best);
                    };
                    if best.is_none() {
                        seen.push((k as u32, road));
                    }
                    let Ok(hit) = self.day_rules(r, k, road, day, sla_km) else {
                        return cutoff(best);
                    };
                    if self.better(&hit, best) && self.inside_polygons(r, k, Some(gc)) {
                        // The assignment will copy its id: start loading it now.
                        if let Some(id) = self.outlet_ids.get(outlet as usize) {
                            index::prefetch(id);
                        }
                        *best = Some(hit);
                    }
                    cutoff(best)
                },
            )
        });
    }

    /// Whether the ticket lies inside the offer's outlet's polygons (true for other areas);
    /// `gc_km` is the great-circle km to the outlet if the caller has it.
    fn inside_polygons(&self, r: &Resolved, k: usize, gc_km: Option<f64>) -> bool {
        match self.outlets[self.offers[k].outlet as usize].area {
            AreaRule::Polygons(p, _, inner) => {
                let gc_km = gc_km.unwrap_or_else(|| self.gc_km(r, k));
                self.in_polygons(r, p, inner, gc_km)
            }
            _ => true,
        }
    }

    /// Whether the ticket, `gc_km` from the outlet, lies inside polygons `p` whose inner
    /// radius is `inner` km (measured: 1.7 of ~39 cache misses per dispatch were vertices).
    fn in_polygons(&self, r: &Resolved, p: u32, inner: f32, gc_km: f64) -> bool {
        gc_km < f64::from(inner)
            || self
                .polygons
                .get(p as usize)
                .is_some_and(|poly| polygons_contain(poly, r.ticket.lon, r.ticket.lat))
    }

    /// The nearest open regional centre with the skill and capacity from the ticket's
    /// day on (by road km, ties by outlet id), whatever its area.
    ///
    /// When every centre is full (a saturated network) this visits them all, on every
    /// day: ~200k instructions per ticket at 10k outlets. So the finding is remembered
    /// per skill until capacity is next released (see [`CentresFull`]).
    fn escalate(&self, r: &Resolved, skill: SkillId) -> Option<Hit> {
        let h = self.policy.horizon_days;
        let from = u32::try_from(r.day0).ok()?;
        // Read before the search: a release during it makes what it finds stale.
        let epoch = self.release_epoch.load(Ordering::Acquire);
        let full = self.centres_full.get(skill.index())?;
        if self.own_ledger && full.covers(epoch, from, r.emergency) {
            return None;
        }
        let mut best: Option<(f64, u32, Hit)> = None;
        let per_d = self.road_per_chord_km() * EARTH_RADIUS_KM;
        let tree = &self.index[skill.index()].centres;
        with_scratch(|scratch| {
            tree.best_first(
                scratch,
                &r.xyz,
                f64::INFINITY,
                None,
                f64::INFINITY,
                per_d,
                |_, k, _, _| {
                    let offer = &self.offers[k as usize];
                    let road = self.road_km(r, offer.outlet as usize, self.gc_km(r, k as usize));
                    let key = (road, offer.outlet);
                    let beats = best.as_ref().is_none_or(|(d, o, _)| key < (*d, *o));
                    if beats && !r.avoid.contains(&offer.outlet) {
                        let hit = (from..h).find_map(|day| {
                            self.day_rules(r, k as usize, road, day, f64::INFINITY).ok()
                        });
                        if let Some(hit) = hit {
                            best = Some((road, offer.outlet, hit));
                        }
                    }
                    best.as_ref().map_or(f64::INFINITY, |b| b.0)
                },
            )
        });
        // Every centre was checked for one unit (no avoid list): none has room.
        if best.is_none() && r.ticket.units == 1 && r.avoid.is_empty() {
            full.record(epoch, from, r.emergency);
        }
        best.map(|(_, _, h)| h)
    }

    /// Returns units to the ledger; capacity may now be free, so findings that none was
    /// (see [`CentresFull`]) expire.
    fn unbook(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        self.ledger.release(offer, outlet, day, units);
        self.release_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Why no outlet takes the ticket: the rule that blocked the outlets that came
    /// closest, and how many outlets of the skill each rule blocked. Outlets in tree
    /// nodes beyond both the travel limit and every area reach below them (region lists
    /// counting as 0) are counted in bulk as outside their area; avoided ones there, and
    /// region-list ones naming the ticket's region, are evaluated one by one, as are all
    /// outlets elsewhere.
    fn reasons(&self, r: &Resolved) -> (Rule, BTreeMap<Rule, u32>) {
        let mut counts = BTreeMap::new();
        let Some(skill) = r.skill else {
            return (Rule::NoSkill, counts);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (Rule::OutsideHorizon, counts);
        }
        let offers = &self.skill_offers[skill.index()];
        let tree = &self.index[skill.index()].tree;
        // Counts by rule ordinal (a map entry per outlet cost ~25 instructions each).
        let mut by_rule = [0u32; RULES.len()];
        let mut count = |rule: Rule, n: u32| by_rule[rule as usize] += n;
        // Offers outside the tree are those whose outlet takes no tickets.
        let indexed = offers
            .iter()
            .filter(|&&k| self.offer_keys[k as usize].slot != u32::MAX)
            .count();
        count(Rule::Status, (offers.len() - indexed) as u32);
        let mut bulk = Vec::new();
        let base = self.skill_base[skill.index()];
        tree.split_far(
            &r.xyz,
            self.max_chord(r, 1.0),
            |slot, _| {
                let k = (base + slot) as usize;
                if let Err(rule) = self.evaluate(r, k, days.clone(), STRICT) {
                    count(rule, 1);
                }
            },
            &mut bulk,
        );
        // Bulk outlets are outside their area, except avoided ones (the avoid rule comes
        // first) and those whose region list has the ticket's region: check those alone.
        let mut special: Vec<u32> = r
            .avoid
            .iter()
            .filter_map(|&o| self.offer_of(o as usize, skill))
            .collect();
        if let Some(list) = self.covering.get(&(skill.0, r.region as u32)) {
            special.extend_from_slice(list);
        }
        special.sort_unstable();
        special.dedup();
        bulk.sort_unstable_by_key(|range| range.start);
        let in_bulk_range = |slot: usize| {
            let i = bulk.partition_point(|range| range.start <= slot);
            i > 0 && bulk[i - 1].contains(&slot)
        };
        let mut special_in_bulk = 0;
        for k in special {
            if in_bulk_range(self.offer_keys[k as usize].slot as usize) {
                special_in_bulk += 1;
                if let Err(rule) = self.evaluate(r, k as usize, days.clone(), STRICT) {
                    count(rule, 1);
                }
            }
        }
        let in_bulk: usize = bulk.iter().map(|range| range.len()).sum();
        count(Rule::OutsideArea, (in_bulk - special_in_bulk) as u32);
        for (rule, &n) in RULES.iter().zip(&by_rule) {
            if n > 0 {
                counts.insert(*rule, n);
            }
        }
        let furthest = counts.keys().copied().max().unwrap_or(Rule::NoSkill);
        (furthest, counts)
    }

    /// [`Dispatcher::reasons`] by evaluating every outlet offering the skill (the
    /// reference the bulk counting is tested against).
    #[cfg(test)]
    fn reasons_exhaustive(&self, r: &Resolved) -> (Rule, BTreeMap<Rule, u32>) {
        let mut counts = BTreeMap::new();
        let Some(skill) = r.skill else {
            return (Rule::NoSkill, counts);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (Rule::OutsideHorizon, counts);
        }
        let mut furthest = Rule::NoSkill;
        for &k in &self.skill_offers[skill.index()] {
            if let Err(rule) = self.evaluate(r, k as usize, days.clone(), STRICT) {
                *counts.entry(rule).or_insert(0) += 1;
                furthest = furthest.max(rule);
            }
        }
        (furthest, counts)
    }

    /// Finds an offer by the policy's rules and fallbacks (no booking).
    fn find(&self, r: &Resolved) -> (Option<(Hit, Route)>, Vec<Fallback>) {
        let mut tried = Vec::new();
        let Some(skill) = r.skill else {
            return (None, tried);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (None, tried);
        }
        let mut reach = Reach::new();
        if let Some(h) = self.search(r, skill, days.clone(), STRICT, &mut reach) {
            return (Some((h, Route::Direct)), tried);
        }
        for f in &self.policy.fallback {
            tried.push(f.clone());
            let found = match f {
                Fallback::WiderRadius(x) => self
                    .search(
                        r,
                        skill,
                        days.clone(),
                        Mode {
                            widen: *x,
                            sla_filter: false,
                        },
                        &mut reach,
                    )
                    .map(|h| (h, Route::WiderRadius(*x))),
                Fallback::NextDay(n) => {
                    let end = (days.end + n).min(self.policy.horizon_days);
                    self.search(
                        r,
                        skill,
                        days.end..end,
                        Mode {
                            widen: 1.0,
                            sla_filter: false,
                        },
                        &mut reach,
                    )
                    .map(|h| (h, Route::NextDay))
                }
                Fallback::Escalate => self.escalate(r, skill).map(|h| (h, Route::Escalated)),
            };
            if found.is_some() {
                return (found, tried);
            }
        }
        (None, tried)
    }

    fn book(&self, r: &Resolved, hold: Option<(u64, NaiveDateTime)>) -> Outcome {
        let t = r.ticket;
        for _attempt in 0..16 {
            let (found, tried) = self.find(r);
            let Some((hit, route)) = found else {
                let (reason, counts) = self.reasons(r);
                return Outcome::Unassignable(Unassignable {
                    ticket_id: SmolStr::new(&t.id),
                    reason,
                    counts,
                    fallbacks_tried: tried,
                });
            };
            let offer = &self.offers[hit.offer as usize];
            let oi = offer.outlet as usize;
            let ok = self.ledger.try_reserve(
                hit.offer as usize,
                oi,
                hit.day,
                t.units,
                self.limit(offer.capacity, r.emergency),
                self.limit(self.outlets[oi].daily_cap, r.emergency),
            );
            if !ok {
                // Another thread took the last units; search again. A failed reserve may
                // have held the offer's units for a moment before giving them back: a
                // release for `CentresFull`, whose findings must then expire.
                self.release_epoch.fetch_add(1, Ordering::AcqRel);
                continue;
            }
            let b = Booking {
                offer: hit.offer,
                outlet: offer.outlet,
                day: hit.day,
                units: t.units,
                road: hit.road,
                load_ratio: hit.load_ratio,
                satisfaction: self.satisfaction(hit.offer as usize),
                preferred: r.preferred == Some(offer.outlet),
                sla_met: self.sla_met(r, hit.day, hit.road),
                route,
                hold: hold.map(|h| h.0),
            };
            let id = SmolStr::new(&t.id);
            if let Err(existing) = self.bookings.insert_first(&id, b) {
                // The same ticket was booked concurrently: keep the first booking only.
                self.unbook(b.offer as usize, oi, b.day, b.units);
                return Outcome::Assigned(self.materialise(id, &existing));
            }
            if let Some((hold_id, expires)) = hold {
                lock(&self.holds).insert(hold_id, (id.clone(), expires));
            }
            return Outcome::Assigned(self.materialise(id, &b));
        }
        let (reason, counts) = self.reasons(r);
        Outcome::Unassignable(Unassignable {
            ticket_id: SmolStr::new(&t.id),
            reason,
            counts,
            fallbacks_tried: self.policy.fallback.clone(),
        })
    }

    /// Picks the best outlet for the ticket and books its capacity.
    ///
    /// Idempotent: a ticket id already booked (or held) returns its existing assignment
    /// and books nothing. `Err` only for bad input (unknown region or outlet ids, bad
    /// coordinates, zero units); "nobody can take it" is [`Outcome::Unassignable`].
    pub fn dispatch(&self, ticket: &Ticket) -> Result<Outcome> {
        let ids = self.ids(ticket);
        self.prefetch_for(ids);
        if let Some(a) = self.booked(&ticket.id) {
            return Ok(Outcome::Assigned(a));
        }
        let r = self.resolve_ids(ticket, ids)?;
        Ok(self.book(&r, None))
    }

    /// Books capacity for the ticket while the customer confirms; the booking lasts until
    /// `now + ttl`, then [`Dispatcher::expire_holds`] returns it. Confirm with
    /// [`Dispatcher::confirm`].
    pub fn hold(
        &self,
        ticket: &Ticket,
        ttl: chrono::Duration,
        now: NaiveDateTime,
    ) -> Result<Outcome> {
        if let Some(a) = self.booked(&ticket.id) {
            return Ok(Outcome::Assigned(a));
        }
        let r = self.resolve(ticket)?;
        let expires = now.checked_add_signed(ttl).ok_or_else(|| {
            Error::argument(
                "ttl",
                format!(
                    "hold for ticket '{}': {now} + {ttl} is out of range",
                    ticket.id
                ),
            )
        })?;
        let id = self.next_hold.fetch_add(1, Ordering::Relaxed);
        Ok(self.book(&r, Some((id, expires))))
    }

    /// Turns a hold into a firm assignment. Fails if the hold is unknown or expired at `now`
    /// (an expired hold's capacity is returned).
    pub fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Assignment> {
        let entry = lock(&self.holds).remove(&hold);
        let Some((ticket_id, expires)) = entry else {
            return Err(Error::Unknown {
                kind: "hold",
                id: hold.to_string(),
            });
        };
        if now >= expires {
            self.release(&ticket_id)?;
            return Err(Error::argument(
                "hold",
                format!("hold {hold} for ticket '{ticket_id}' expired at {expires}"),
            ));
        }
        match self.bookings.update(&ticket_id, |b| b.hold = None) {
            Some(b) => Ok(self.materialise(ticket_id, &b)),
            None => Err(Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            }),
        }
    }

    /// Releases every hold that expired at or before `now`; returns their ticket ids.
    pub fn expire_holds(&self, now: NaiveDateTime) -> Vec<SmolStr> {
        let expired: Vec<(u64, SmolStr)> = {
            let mut holds = lock(&self.holds);
            let ids: Vec<u64> = holds
                .iter()
                .filter(|(_, (_, e))| *e <= now)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| holds.remove(&id).map(|(t, _)| (id, t)))
                .collect()
        };
        expired
            .into_iter()
            .filter_map(|(_, t)| self.release(&t).ok().map(|a| a.ticket_id))
            .collect()
    }

    /// Cancels a booking and returns its capacity.
    pub fn release(&self, ticket_id: &str) -> Result<Assignment> {
        let (id, a) = self
            .bookings
            .remove(ticket_id)
            .ok_or_else(|| Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            })?;
        self.unbook(a.offer as usize, a.outlet as usize, a.day, a.units);
        if let Some(h) = a.hold {
            lock(&self.holds).remove(&h);
        }
        Ok(self.materialise(id, &a))
    }

    /// Marks a booking done (its capacity stays used for that day) and, with a follow-up
    /// rating in 1..=5, updates the outlet's satisfaction for that skill.
    pub fn complete(&self, ticket_id: &str, rating: Option<f64>) -> Result<Assignment> {
        if let Some(x) = rating {
            if !(1.0..=5.0).contains(&x) {
                return Err(Error::argument(
                    "rating",
                    format!("expected a rating in 1..=5, got {x}"),
                ));
            }
        }
        let (id, a) = self
            .bookings
            .remove(ticket_id)
            .ok_or_else(|| Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            })?;
        if let Some(x) = rating {
            let k = a.offer as usize;
            let o = &self.offers[k];
            let milli = (x * 1000.0).round() as u64;
            // Lower the search key before the rating shows, so it stays a lower bound.
            let ahead = self.network.bayesian_satisfaction(
                (o.rating_milli.load(Ordering::Relaxed) + milli) as f64 / 1000.0,
                o.rating_count.load(Ordering::Relaxed) + 1,
                self.policy.prior_weight,
            );
            let w_s = self.policy.weights.satisfaction;
            self.lower_key(k, w_s * (5.0 - ahead).max(0.0));
            o.rating_milli.fetch_add(milli, Ordering::Relaxed);
            o.rating_count.fetch_add(1, Ordering::Relaxed);
            self.lower_key(k, self.sat_term(k));
        }
        Ok(self.materialise(id, &a))
    }

    /// The current booking of a ticket, if any.
    pub fn assignment(&self, ticket_id: &str) -> Option<Assignment> {
        self.booked(ticket_id)
    }

    /// Eligible outlets for the ticket (hard rules, SLA days), best first, at most `k`.
    /// Books nothing.
    pub fn candidates(&self, ticket: &Ticket, k: usize) -> Result<Vec<Candidate>> {
        let r = self.resolve(ticket)?;
        let Some(skill) = r.skill else {
            return Ok(Vec::new());
        };
        let days = self.sla_days(&r);
        if k == 0 || days.is_empty() {
            return Ok(Vec::new());
        }
        // The k best by (score, outlet id): a max-heap of the best k so far; its top is the
        // cut-off of a best-first search (the preferred outlet, whose bonus the search's
        // bounds leave out, is evaluated on its own first).
        let rank = |h: &Hit| (sortable(h.score), self.offers[h.offer as usize].outlet);
        let mut top = TopK::new();
        let keep = |top: &mut TopK, h: Hit| {
            top.push((
                rank(&h),
                h.offer,
                h.day,
                h.road.to_bits(),
                h.load_ratio.to_bits(),
            ));
            if top.len() > k {
                top.pop();
            }
        };
        let preferred = r.preferred.and_then(|p| self.offer_of(p as usize, skill));
        if let Some(o) = preferred {
            if let Ok(h) = self.evaluate(&r, o as usize, days.clone(), STRICT) {
                keep(&mut top, h);
            }
        }
        let per_d = self.policy.weights.distance * self.road_per_chord_km() * EARTH_RADIUS_KM;
        let base = self.skill_base[skill.index()];
        let cutoff = |top: &TopK| match top.peek() {
            Some(((s, _), ..)) if top.len() >= k => unsortable(*s),
            _ => f64::INFINITY,
        };
        with_scratch(|scratch| {
            self.index[skill.index()].tree.best_first(
                scratch,
                &r.xyz,
                self.max_chord(&r, 1.0),
                Some(1.0),
                cutoff(&top),
                per_d,
                |slot, _, _, _| {
                    let o = base + slot;
                    if Some(o) != preferred {
                        if let Ok(h) = self.evaluate(&r, o as usize, days.clone(), STRICT) {
                            keep(&mut top, h);
                        }
                    }
                    cutoff(&top)
                },
            )
        });
        let hits: Vec<Hit> = top
            .into_iter()
            .map(|((s, _), offer, day, road, load)| Hit {
                offer,
                day,
                road: f64::from_bits(road),
                load_ratio: f64::from_bits(load),
                score: unsortable(s),
            })
            .collect();
        Ok(self.ranked(&r, hits, k))
    }

    /// [`Dispatcher::candidates`] by evaluating every outlet offering the skill, without
    /// the index: the reference the indexed search is tested against.
    #[doc(hidden)]
    pub fn candidates_exhaustive(&self, ticket: &Ticket, k: usize) -> Result<Vec<Candidate>> {
        let r = self.resolve(ticket)?;
        let Some(skill) = r.skill else {
            return Ok(Vec::new());
        };
        let days = self.sla_days(&r);
        let hits: Vec<Hit> = self.skill_offers[skill.index()]
            .iter()
            .filter_map(|&o| self.evaluate(&r, o as usize, days.clone(), STRICT).ok())
            .collect();
        Ok(self.ranked(&r, hits, k))
    }

    /// The best `k` hits by (score, outlet id), as candidates.
    fn ranked(&self, r: &Resolved, mut hits: Vec<Hit>, k: usize) -> Vec<Candidate> {
        hits.sort_by(|a, b| {
            a.score.total_cmp(&b.score).then(
                self.offers[a.offer as usize]
                    .outlet
                    .cmp(&self.offers[b.offer as usize].outlet),
            )
        });
        hits.into_iter()
            .take(k)
            .map(|h| self.candidate(r, h))
            .collect()
    }

    fn candidate(&self, r: &Resolved, h: Hit) -> Candidate {
        let offer = &self.offers[h.offer as usize];
        let oi = offer.outlet as usize;
        let units = r.ticket.units;
        Candidate {
            outlet_id: self.outlet_ids[oi].clone(),
            day: h.day,
            breakdown: self.breakdown(r, &h),
            remaining_skill: self
                .limit(offer.capacity, r.emergency)
                .saturating_sub(self.ledger.offer_used(h.offer as usize, h.day) + units),
            remaining_outlet: self
                .limit(self.outlets[oi].daily_cap, r.emergency)
                .saturating_sub(self.ledger.outlet_used(oi, h.day) + units),
        }
    }

    /// Why this outlet was (not) chosen for the ticket, and what would change the answer.
    pub fn explain(&self, ticket: &Ticket, outlet_id: &str) -> Result<Explanation> {
        let r = self.resolve(ticket)?;
        let oi = self
            .network
            .outlet_index(outlet_id)
            .ok_or_else(|| Error::Unknown {
                kind: "outlet",
                id: outlet_id.to_string(),
            })?;
        let best = self.candidates(ticket, 1)?.into_iter().next();
        let offer = r.skill.and_then(|s| self.offer_of(oi, s));
        let mut out = Explanation {
            outlet_id: SmolStr::new(outlet_id),
            failed: None,
            breakdown: None,
            best: best.clone(),
            score_gap: None,
            text: String::new(),
        };
        let Some(k) = offer else {
            out.failed = Some(Rule::NoSkill);
            out.text = format!("{outlet_id} does not offer {}", ticket.skill);
            return Ok(out);
        };
        let k = k as usize;
        let days = self.sla_days(&r);
        let o = &self.outlets[oi];
        let gc = unit_distance_km(&r.xyz, &o.xyz);
        match self.evaluate(&r, k, days.clone(), STRICT) {
            Ok(hit) => {
                let gap = best.as_ref().map_or(0.0, |b| hit.score - b.breakdown.score);
                let hb = self.breakdown(&r, &hit);
                out.breakdown = Some(hb);
                out.score_gap = Some(gap);
                out.text = match &best {
                    Some(b) if b.outlet_id != outlet_id => {
                        let names = [
                            "distance",
                            "satisfaction",
                            "load",
                            "cost",
                            "priority",
                            "probation",
                            "preferred",
                        ];
                        let (i, d) = hb
                            .terms
                            .iter()
                            .zip(b.breakdown.terms.iter())
                            .map(|(a, b)| a - b)
                            .enumerate()
                            .fold(
                                (0, f64::MIN),
                                |acc, (i, d)| if d > acc.1 { (i, d) } else { acc },
                            );
                        format!("{outlet_id} is eligible (day {}) but scores {:.2} vs {:.2} for {}: it loses by {gap:.2}, most on {} (+{d:.2})", hit.day, hit.score, b.breakdown.score, b.outlet_id, names[i])
                    }
                    _ => format!(
                        "{outlet_id} is the best outlet (day {}, score {:.2})",
                        hit.day, hit.score
                    ),
                };
            }
            Err(rule) => {
                out.failed = Some(rule);
                out.text = match rule {
                    Rule::Status => {
                        format!("{outlet_id} is {} and takes no tickets", o.status.as_str())
                    }
                    Rule::Avoided => format!("ticket asks to avoid {outlet_id}"),
                    Rule::OutsideArea => match &o.area {
                        AreaRule::Radius(km) => format!(
                            "ticket is {gc:.1} km away; {outlet_id}'s service radius is {km:.1} km"
                        ),
                        AreaRule::Regions(_) => {
                            format!("{outlet_id} does not serve region {}", ticket.region)
                        }
                        AreaRule::Polygons(..) => {
                            format!("ticket is outside {outlet_id}'s service polygons")
                        }
                    },
                    Rule::TooFar => format!(
                        "{outlet_id} is {:.1} road km away; region {} allows at most {:.1} km",
                        self.road_km(&r, oi, gc),
                        ticket.region,
                        self.network.regions()[r.region].max_travel_km
                    ),
                    Rule::SkillFull | Rule::OutletFull | Rule::SlaUnreachable => {
                        let what = if rule == Rule::SkillFull {
                            format!("{} capacity", ticket.skill)
                        } else if rule == Rule::OutletFull {
                            "outlet-wide cap".into()
                        } else {
                            "SLA".into()
                        };
                        let road = self.road_km(&r, oi, gc);
                        let later = (days.end..self.policy.horizon_days)
                            .find(|&d| self.day_rules(&r, k, road, d, f64::INFINITY).is_ok());
                        let span = if days.len() == 1 {
                            format!("day {}", days.start)
                        } else {
                            format!("days {}..={}", days.start, days.end.saturating_sub(1))
                        };
                        match later {
                            Some(d) => format!("{outlet_id}: {what} blocks {span}; has capacity on day {d} (after the SLA)"),
                            None => format!("{outlet_id}: {what} blocks {span}; no capacity later in the horizon either"),
                        }
                    }
                    Rule::NoSkill | Rule::OutsideHorizon => {
                        format!("{outlet_id}: {}", rule.as_str())
                    }
                };
            }
        }
        Ok(out)
    }

    /// Booked load per outlet skill and day (rows with bookings, plus every day-0 row), by
    /// outlet in the network's order, then its skills in their order, then day.
    pub fn loads(&self) -> Vec<LoadRow> {
        let mut rows = Vec::new();
        // By outlet, then its skills in the network's order (offers are numbered by skill).
        let by_outlet = self
            .first_offer
            .iter()
            .enumerate()
            .flat_map(|(oi, &first)| {
                let n = self.network.offer_skills(oi).len();
                let at = first as usize;
                self.offer_at
                    .get(at..at + n)
                    .unwrap_or_default()
                    .iter()
                    .copied()
            });
        for k in by_outlet {
            let k = k as usize;
            let Some(offer) = self.offers.get(k) else {
                continue;
            };
            let oi = offer.outlet as usize;
            for day in 0..self.policy.horizon_days {
                let used = self.ledger.offer_used(k, day);
                if used > 0 || day == 0 {
                    rows.push(LoadRow {
                        outlet_id: self.outlet_ids[oi].clone(),
                        skill: self.skill_names[offer.skill.index()].clone(),
                        day,
                        used,
                        capacity: offer.capacity,
                        outlet_used: self.ledger.outlet_used(oi, day),
                        outlet_cap: self.outlets[oi].daily_cap,
                    });
                }
            }
        }
        rows
    }

    /// Units booked outlet-wide on a day, by outlet index.
    pub fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.ledger.outlet_used(outlet, day)
    }

    /// Units booked for outlet `outlet`'s skill `skill` on a day (0 if it lacks the skill).
    pub fn skill_used(&self, outlet: usize, skill: SkillId, day: u32) -> u32 {
        self.offer_of(outlet, skill)
            .map_or(0, |k| self.ledger.offer_used(k as usize, day))
    }

    /// The offer number the [`Ledger`] sees for `outlet`'s `skill` (see
    /// [`Dispatcher::with_ledger`]), if the outlet offers the skill.
    pub fn offer_number(&self, outlet: usize, skill: SkillId) -> Option<usize> {
        self.offer_of(outlet, skill).map(|k| k as usize)
    }

    /// The offer index of `outlet`'s `skill`, if it offers it.
    fn offer_of(&self, outlet: usize, skill: SkillId) -> Option<u32> {
        offer_in(
            &self.network,
            &self.first_offer,
            &self.offer_at,
            outlet,
            skill,
        )
    }

    /// Sets day 0 of the ledger if it is not set yet (batch assignment resolves tickets
    /// in parallel, so it fixes day 0 first for determinism).
    pub(crate) fn init_start(&self, date: NaiveDate) {
        let _ = self.start.set(date);
    }

    /// Every (offer, day) the strict hard rules allow for the ticket at the ledger's
    /// current loads: the SLA days, then up to `late` further days without the SLA
    /// filter (tagged with how late they are). `Ok(Err(rule))`: none, and why.
    pub(crate) fn eligible(
        &self,
        ticket: &Ticket,
        late: u32,
    ) -> Result<std::result::Result<Vec<EligibleArc>, Rule>> {
        let r = self.resolve(ticket)?;
        let Some(skill) = r.skill else {
            return Ok(Err(Rule::NoSkill));
        };
        let days = self.sla_days(&r);
        if days.is_empty() {
            return Ok(Err(Rule::OutsideHorizon));
        }
        let late_end = days
            .end
            .saturating_add(late)
            .min(self.policy.horizon_days)
            .max(days.end);
        let max_chord = self.max_chord(&r, 1.0);
        let mut out = Vec::new();
        let sla: Vec<f64> = days
            .clone()
            .map(|d| self.sla_limit(&r, d, STRICT))
            .collect();
        let mut near = Vec::new();
        let base = self.skill_base[skill.index()];
        with_scratch(|scratch| {
            self.index[skill.index()].tree.best_first(
                scratch,
                &r.xyz,
                max_chord,
                Some(1.0),
                f64::INFINITY,
                0.0,
                |slot, _, _, _| {
                    near.push((base + slot) as usize);
                    f64::INFINITY
                },
            )
        });
        for k in near {
            let Ok(road) = self.static_rules(&r, k, self.gc_km(&r, k), STRICT, true) else {
                continue;
            };
            let outlet = self.offers[k].outlet;
            for (day, &sla_km) in days.clone().zip(&sla) {
                if let Ok(hit) = self.day_rules(&r, k, road, day, sla_km) {
                    out.push(EligibleArc {
                        offer: k as u32,
                        outlet,
                        day,
                        late_days: 0,
                        b: self.breakdown(&r, &hit),
                    });
                }
            }
            for day in days.end..late_end {
                if let Ok(hit) = self.day_rules(&r, k, road, day, f64::INFINITY) {
                    let late_days = day - (days.end - 1);
                    out.push(EligibleArc {
                        offer: k as u32,
                        outlet,
                        day,
                        late_days,
                        b: self.breakdown(&r, &hit),
                    });
                }
            }
        }
        if out.is_empty() {
            return Ok(Err(self.reasons(&r).0));
        }
        out.sort_by_key(|a| (a.outlet, a.day));
        Ok(Ok(out))
    }

    /// Units still free for an offer on a day: the limit for a non-emergency or an
    /// emergency ticket (which may use the reserve) minus bookings.
    pub(crate) fn offer_room_for(&self, offer: u32, day: u32, emergency: bool) -> u32 {
        self.offers.get(offer as usize).map_or(0, |o| {
            self.limit(o.capacity, emergency)
                .saturating_sub(self.ledger.offer_used(offer as usize, day))
        })
    }

    /// Units still free outlet-wide on a day, for a non-emergency or an emergency ticket.
    pub(crate) fn outlet_room_for(&self, outlet: u32, day: u32, emergency: bool) -> u32 {
        self.outlets.get(outlet as usize).map_or(0, |o| {
            self.limit(o.daily_cap, emergency)
                .saturating_sub(self.ledger.outlet_used(outlet as usize, day))
        })
    }

    /// Units still free for an offer on a day (non-emergency limit minus bookings).
    pub(crate) fn offer_room(&self, offer: u32, day: u32) -> u32 {
        self.offer_room_for(offer, day, false)
    }

    /// Units still free outlet-wide on a day (non-emergency limit minus bookings).
    pub(crate) fn outlet_room(&self, outlet: u32, day: u32) -> u32 {
        self.outlet_room_for(outlet, day, false)
    }

    /// The outlet's location (lon, lat) by index, for reports.
    pub fn outlet_position(&self, outlet: usize) -> Option<(f64, f64)> {
        self.network.outlets().get(outlet).map(|o| (o.lon, o.lat))
    }
}

#[cfg(test)]
mod tests;
