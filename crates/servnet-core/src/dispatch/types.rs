use super::policy::Fallback;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// The parts of a dispatch score (lower total is better).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Breakdown {
    /// Road distance in km (haversine x detour, or from the travel matrix).
    pub distance_km: f64,
    /// Bayesian-average satisfaction, 1..5.
    pub satisfaction: f64,
    /// Load ratio of the skill on that day after this ticket, 0..1.
    pub load_ratio: f64,
    /// Cost of the ticket at this outlet (cost per unit x units).
    pub cost: f64,
    /// Dispatch priority of the outlet, 0..100.
    pub priority: u8,
    /// Whether the outlet is on probation.
    pub probation: bool,
    /// Whether it is the ticket's preferred outlet.
    pub preferred: bool,
    /// Weighted contribution of each part, in the order above, then the package term
    /// (contested capacity, see [`super::Weights::package`]); they sum to `score`.
    pub terms: [f64; 8],
    /// The total score.
    pub score: f64,
    /// The service package applied (`None`: none; see [`crate::model::ServicePackage`]).
    /// Filled on dispatch, candidates and explain; a booking read back later (lookup,
    /// confirm, complete) does not carry it: ask [`super::Dispatcher::service_mode`].
    #[serde(default)]
    pub package: Option<crate::model::PackageKey>,
    /// On-site or carry-in (carry-in: no technician travel, `distance_km` 0).
    #[serde(default)]
    pub mode: crate::model::ServiceMode,
    /// The package's priority weight (1 without a package).
    #[serde(default = "one")]
    pub package_weight: f64,
    /// Units of the skill's capacity at this outlet-day the package reserve keeps from
    /// this ticket (0 when it may use the reserve).
    #[serde(default)]
    pub reserve_held: u32,
}

fn one() -> f64 {
    1.0
}

/// How an assignment was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// All hard rules met.
    Direct,
    /// Found after widening radius areas and the travel limit by this factor.
    WiderRadius(f64),
    /// Found on a later day than the SLA allows.
    NextDay,
    /// Sent to a regional centre outside the normal rules.
    Escalated,
}

impl Route {
    /// The snake_case name used in reports (`wider_radius` without its factor).
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::WiderRadius(_) => "wider_radius",
            Route::NextDay => "next_day",
            Route::Escalated => "escalated",
        }
    }
}

/// A ticket booked on an outlet for a day. Ids are [`SmolStr`]s (read them as `&str`):
/// ids up to 23 bytes are stored inline, so for them returning an assignment allocates
/// nothing and touches no shared reference count (longer ids are shared, counted strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The ticket's id.
    pub ticket_id: SmolStr,
    /// The outlet's id.
    pub outlet_id: SmolStr,
    /// The skill, `kind:category`.
    pub skill: SmolStr,
    /// Day of service, counted from the ledger's start date.
    pub day: u32,
    /// Units booked.
    pub units: u32,
    /// Score and its parts.
    pub breakdown: Breakdown,
    /// Whether service on that day, after travel, is before `due_by`.
    pub sla_met: bool,
    /// How it was found.
    pub route: Route,
    /// Hold id if this booking is a hold waiting for confirmation.
    pub hold: Option<u64>,
}

/// A hard rule an outlet can fail, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The outlet does not offer the skill.
    NoSkill,
    /// The outlet is suspended or closed.
    Status,
    /// The ticket asks to avoid this outlet.
    Avoided,
    /// The ticket is outside the outlet's service area.
    OutsideArea,
    /// Farther than the region's max travel distance.
    TooFar,
    /// Cannot be reached before `due_by` on any day with capacity.
    SlaUnreachable,
    /// The skill's capacity is used up on every day the SLA allows.
    SkillFull,
    /// The outlet-wide cap is used up on every day the SLA allows.
    OutletFull,
    /// The ticket's day lies outside the ledger's horizon.
    OutsideHorizon,
}

impl Rule {
    /// The snake_case name used in reports and CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NoSkill => "no_skill",
            Rule::Status => "status",
            Rule::Avoided => "avoided",
            Rule::OutsideArea => "outside_area",
            Rule::TooFar => "too_far",
            Rule::SlaUnreachable => "sla_unreachable",
            Rule::SkillFull => "skill_full",
            Rule::OutletFull => "outlet_full",
            Rule::OutsideHorizon => "outside_horizon",
        }
    }
}

/// Why no outlet could take a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unassignable {
    /// The ticket's id.
    pub ticket_id: SmolStr,
    /// The rule that excluded the most outlets that were otherwise closest to qualifying:
    /// the first rule each outlet offering the skill failed, and the most common one.
    pub reason: Rule,
    /// For each rule, how many outlets offering the skill failed it first.
    pub counts: BTreeMap<Rule, u32>,
    /// Fallback steps tried, in order.
    pub fallbacks_tried: Vec<Fallback>,
}

/// The answer to a dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Booked.
    Assigned(Assignment),
    /// No outlet can take it, with the reasons.
    Unassignable(Unassignable),
}

impl Outcome {
    /// The assignment, if any.
    pub fn assignment(&self) -> Option<&Assignment> {
        match self {
            Outcome::Assigned(a) => Some(a),
            Outcome::Unassignable(_) => None,
        }
    }
}

/// An eligible outlet for a ticket, as listed by `candidates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Outlet id.
    pub outlet_id: SmolStr,
    /// Earliest day with capacity under the rules of its `route` (within the SLA for
    /// `direct`).
    pub day: u32,
    /// Score and its parts.
    pub breakdown: Breakdown,
    /// Units left for the skill on that day after this ticket.
    pub remaining_skill: u32,
    /// Units left outlet-wide on that day after this ticket.
    pub remaining_outlet: u32,
    /// The rules it meets: `direct` (every hard rule, within the SLA), or the policy's
    /// fallback dispatch would use when no outlet meets them.
    pub route: Route,
}

/// Why an outlet was or was not chosen for a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The outlet asked about.
    pub outlet_id: SmolStr,
    /// The first hard rule it fails, if any.
    pub failed: Option<Rule>,
    /// Its score if it is eligible.
    pub breakdown: Option<Breakdown>,
    /// The best outlet for the ticket now (may be this one).
    pub best: Option<Candidate>,
    /// Score difference to the best (0 when this is the best).
    pub score_gap: Option<f64>,
    /// Human-readable explanation with what would change the answer.
    pub text: String,
}

/// Booked load of one outlet skill on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadRow {
    /// Outlet id.
    pub outlet_id: SmolStr,
    /// Skill, `kind:category`.
    pub skill: SmolStr,
    /// Day from the ledger's start.
    pub day: u32,
    /// Units booked on the skill.
    pub used: u32,
    /// Skill capacity.
    pub capacity: u32,
    /// Units booked outlet-wide.
    pub outlet_used: u32,
    /// Outlet-wide cap.
    pub outlet_cap: u32,
}
