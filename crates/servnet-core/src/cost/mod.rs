//! Service cost: what the network pays an outlet for a ticket (a fee by service kind,
//! region tier and outlet, plus technician travel), and the settlement statement (结算)
//! of each outlet for a period.
//!
//! ```text
//! fee    = schedule fee + extra_unit_fee x (units - 1)
//! travel = road km x per_km   (road km = straight-line km x detour when not known;
//!                              0 for a carry-in ticket: no technician trip)
//! total  = fee + travel
//! ```
//!
//! The schedule ([`FeeSchedule`], `fee_schedule.csv`) is optional: without it every fee
//! is the outlet's `cost_per_ticket` for the skill and travel is paid at
//! [`DEFAULT_PER_KM`] per road km.

mod fees;
mod report;
mod statement;
#[cfg(test)]
mod tests;

pub use fees::{FeeRule, FeeSchedule, Terms, DEFAULT_DETOUR, DEFAULT_PER_KM};
pub(crate) use report::booked_trips;
pub use report::{CostSummary, CostedAssignments, CostedOutcomes, TicketCoster};
pub use statement::{settle, Booking, Statement, StatementRow, StatementTable};

use crate::model::{Network, ServiceKind, Skill, Tier};

/// The cost of one ticket at one outlet.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TicketCost {
    /// The outlet's fee for the work.
    pub fee: f64,
    /// The technician's trip (0 without travel).
    pub travel: f64,
    /// `fee + travel`.
    pub total: f64,
}

impl TicketCost {
    /// A cost from its fee and travel.
    pub fn new(fee: f64, travel: f64) -> Self {
        TicketCost {
            fee,
            travel,
            total: fee + travel,
        }
    }
}

/// What a cost is computed from: the ticket's kind, tier and units, the outlet, and the
/// trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostInput<'a> {
    /// The outlet's id.
    pub outlet: &'a str,
    /// The service kind.
    pub kind: ServiceKind,
    /// The ticket region's tier (`None`: only rules for every tier apply).
    pub tier: Option<Tier>,
    /// Units of work (at least 1 is charged).
    pub units: u32,
    /// Road km between outlet and customer.
    pub road_km: f64,
    /// Whether a technician travels (false for a carry-in ticket).
    pub travel: bool,
}

/// The cost of one ticket under `schedule`; `default_fee` is the outlet's
/// `cost_per_ticket` for the skill (the fee when no rule matches).
pub fn ticket_cost(schedule: &FeeSchedule, c: &CostInput<'_>, default_fee: f64) -> TicketCost {
    let t = schedule.terms(c.outlet, c.kind, c.tier, default_fee);
    let fee = t.fee + t.extra_unit_fee * f64::from(c.units.max(1) - 1);
    let travel = if c.travel {
        c.road_km.max(0.0) * t.per_km
    } else {
        0.0
    };
    TicketCost::new(fee, travel)
}

/// The outlet's `cost_per_ticket` for `skill` in `network` (0 when it does not offer it
/// or is unknown).
pub fn listed_fee(network: &Network, outlet: &str, skill: &Skill) -> f64 {
    network
        .outlet_index(outlet)
        .and_then(|o| network.outlets().get(o))
        .and_then(|o| o.skills.iter().find(|s| &s.skill == skill))
        .map_or(0.0, |s| s.cost_per_ticket)
}

/// The tier of region `code` in `network`.
pub fn region_tier(network: &Network, code: &str) -> Option<Tier> {
    network
        .region_index(code)
        .and_then(|r| network.regions().get(r))
        .map(|r| r.tier)
}
