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
//!
//! The files, by what a reader looks for (each adds an `impl Dispatcher` block; the
//! struct and its constructors are here):
//! - `layout`: the records the search reads and the build that lays them out;
//!   `index`: the keyed tree per skill;
//! - `resolve`: a ticket resolved to indices, and its SLA clock;
//! - `rules`: the hard rules; `score`: the weighted score and its breakdown;
//! - `search`: best-first search and the fallbacks; `escalate`: the last fallback;
//! - `lifecycle`: dispatch, holds, release, completion, through the [`Ledger`]
//!   (`ledger`: the trait, counters and the in-memory ledger; `bookings`: its ticket map);
//! - `change`: live network changes; `days`: the days counted and their roll-over;
//! - `candidates`: the k best outlets; `diagnose`: why nothing fits, and `explain`;
//! - `loads`: what is booked; `batch`: what batch assignment ([`crate::assign`]) reads;
//! - `summary`: a day's tickets in arrival order; `stream`: a tickets file too big to
//!   hold, dispatched a chunk at a time; `types`, `policy`: the public data.

mod batch;
mod book_planned;
mod bookings;
mod candidates;
mod change;
mod days;
mod diagnose;
mod escalate;
mod full;
mod index;
mod layout;
mod ledger;
mod lifecycle;
mod loads;
mod package;
mod packed;
mod policy;
pub mod probe;
mod resolve;
mod rules;
mod score;
mod search;
mod stream;
mod summary;
mod table;
mod types;

pub(crate) use batch::EligibleArc;
pub use change::NetworkChange;
pub use ledger::{
    defer_durability, Booked, Booking, Bound, ClaimBasis, Completed, Confirmed, Durability,
    JournalLedger, JournalOptions, Layout, Ledger, LedgerStats, MemoryLedger, Request, Restored,
    Status,
};
pub use policy::{Fallback, Policy, Weights};
pub use smol_str::SmolStr;
pub use stream::{arrival_ordered_csv, dispatch_csv_streamed, OrderedTickets, STREAM_CHUNK};
pub use summary::{
    arrival_order, dispatch_in_arrival_order, first_arrival_date, DispatchSummary, SummaryTally,
};
pub use table::{route_text, OutcomeTable};
pub use types::{
    Assignment, Breakdown, Candidate, Explanation, LoadRow, Outcome, Route, Rule, Unassignable,
};

use crate::model::Network;
use crate::{Error, Result};
use chrono::NaiveDate;
use escalate::CentresFull;
use geo::MultiPolygon;
use layout::{OfferInfo, OfferKey, OutletInfo, SkillIndex};
use rustc_hash::FxHashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

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
    ledger: Box<dyn Ledger>,
    /// The first day the ledger counts (days before it have rolled out).
    first_day: u32,
    matrix: Option<Vec<f32>>,
    start: OnceLock<NaiveDate>,
    /// Per outlet, where its skills start in `offer_at`.
    first_offer: Vec<u32>,
    /// Offer number by (outlet, position among its skills), through `first_offer`.
    offer_at: Vec<u32>,
    /// Copied into every [`Assignment`] (inline up to 23 bytes: no allocation).
    skill_names: Vec<SmolStr>,
    /// Outlet ids by index (read only when an assignment is returned).
    outlet_ids: Vec<SmolStr>,
    /// Per skill: when escalation last found no centre with room.
    centres_full: Vec<CentresFull>,
    /// Bumped after every release of capacity, and after every failed reserve (which
    /// may have held units for a moment).
    release_epoch: AtomicU64,
    /// Whether every change to the ledger goes through this dispatcher (so
    /// `centres_full` findings stay true until a release).
    own_ledger: bool,
    /// Serialises the marks of days without room (`full`).
    full_lock: std::sync::Mutex<()>,
    /// How many network change lists recorded in a shared ledger this dispatcher has
    /// applied ([`Dispatcher::sync_network`]).
    network_seen: u64,
}

/// `network` with the network changes a ledger recorded made, in order; outlets the
/// files have now are not added again (the files win). `store` names the ledger in errors.
fn apply_recorded(network: Network, changes: &[NetworkChange], store: &str) -> Result<Network> {
    let mut network = network;
    for change in recorded_outlets_dropped(&network, changes.to_vec()) {
        network = change.apply(&network).map_err(|e| Error::Ledger {
            store: store.to_string(),
            message: format!(
                "the recorded network change {} no longer applies to the network: {e}",
                change.describe()
            ),
        })?;
    }
    Ok(network)
}

/// A recorded change list without the `add_outlets` changes whose outlets the network
/// has already (read from files that have them now).
fn recorded_outlets_dropped(network: &Network, changes: Vec<NetworkChange>) -> Vec<NetworkChange> {
    changes
        .into_iter()
        .filter(|change| {
            !matches!(change, NetworkChange::AddOutlets { outlets }
                if outlets.iter().all(|o| network.outlet_index(&o.id).is_some()))
        })
        .collect()
}

impl Dispatcher {
    /// Builds a dispatcher with an in-memory [`MemoryLedger`]; outlet `load` is booked on
    /// day 0.
    pub fn new(network: Network, policy: Policy) -> Result<Self> {
        Self::build(
            Arc::new(network),
            policy,
            None,
            Box::new(MemoryLedger::new()),
        )
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
        Self::build(
            Arc::new(network),
            policy,
            Some(km),
            Box::new(MemoryLedger::new()),
        )
    }

    /// Like [`Dispatcher::new`] with bookings in a caller's ledger (a state folder's
    /// journal, a shared store). The dispatcher binds its [`Layout`] to the ledger; a
    /// ledger that never booked anything gets the outlets' `load` on its first day.
    ///
    /// The ledger sees outlets by their index in the network and outlet skills by the
    /// dispatcher's own offer numbers ([`Dispatcher::offer_number`]). Offer numbers follow
    /// the search's layout (by skill, then place): they are the same for the same network
    /// and servnet version, but adding, moving or suspending an outlet renumbers them; the
    /// layout names every number's outlet id and skill, so a ledger translates its records.
    ///
    /// A ledger shared between processes (Redis) holds the network changes they made:
    /// they are applied to `network` first, in the order they were recorded.
    pub fn with_ledger(network: Network, policy: Policy, ledger: Box<dyn Ledger>) -> Result<Self> {
        let lists = ledger.network_changes_from(0)?;
        let seen = lists.len() as u64;
        let changes: Vec<NetworkChange> = lists.into_iter().flatten().collect();
        let network = apply_recorded(network, &changes, "the shared ledger")?;
        let mut d = Self::build(Arc::new(network), policy, None, ledger)?;
        d.network_seen = seen;
        Ok(d)
    }

    /// A dispatcher whose bookings survive a crash: its ledger is the journal of the
    /// state folder `state` ([`JournalLedger`], created if missing), and every change is
    /// durable before the call that made it returns. Opening restores exactly what was
    /// acknowledged; the network changes recorded there are applied to `network` first.
    /// Day 0 is the folder's, else `policy.start_date`, else today (UTC).
    pub fn open(network: Network, policy: Policy, state: &std::path::Path) -> Result<Self> {
        Self::open_with(network, policy, state, JournalOptions::default()).map(|(d, _)| d)
    }

    /// [`Dispatcher::open`] with journal options; also says what was restored.
    pub fn open_with(
        network: Network,
        mut policy: Policy,
        state: &std::path::Path,
        options: JournalOptions,
    ) -> Result<(Self, Restored)> {
        let (ledger, restored) = JournalLedger::open(state, options)?;
        let network = apply_recorded(network, &restored.changes, &state.display().to_string())?;
        policy.start_date = ledger.start_date().or(policy.start_date).or_else(|| {
            Some(chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive())
        });
        let d = Self::build(Arc::new(network), policy, None, Box::new(ledger))?;
        Ok((d, restored))
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

    /// The outlet's location (lon, lat) by index, for reports.
    pub fn outlet_position(&self, outlet: usize) -> Option<(f64, f64)> {
        self.network.outlets().get(outlet).map(|o| (o.lon, o.lat))
    }
}

#[cfg(test)]
mod tests;
