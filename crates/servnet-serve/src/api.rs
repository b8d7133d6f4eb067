//! The JSON the service reads and writes, and its conversion to and from the core's
//! types (no rule lives here).

use crate::error::ApiError;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use servnet_core::dispatch::{
    Assignment, Breakdown, Candidate, Dispatcher, Explanation, Fallback, LoadRow, Outcome, Status,
};
use servnet_core::model::Ticket;
use utoipa::ToSchema;

/// A ticket, with the field names of `tickets.csv`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    /// The caller's id (unique; a repeated id returns the existing booking).
    #[schema(example = "T000001")]
    pub id: String,
    /// Customer longitude.
    #[schema(example = 121.47)]
    pub lon: f64,
    /// Customer latitude.
    #[schema(example = 31.23)]
    pub lat: f64,
    /// The customer's region code.
    #[schema(example = "CN-310000")]
    pub region: String,
    /// The skill needed, `kind:category`.
    #[schema(example = "repair:air_conditioner")]
    pub skill: String,
    /// Capacity units (default 1).
    #[serde(default)]
    pub units: Option<u32>,
    /// `emergency`, `high`, `normal` (default) or `low`.
    #[serde(default)]
    pub priority: Option<String>,
    /// When the ticket was opened (`2026-11-23T08:15:00`, network time). Required, as in
    /// `tickets.csv`: it dates the SLA and is part of the ticket's content, so a retry
    /// (the same request again) is recognised as one.
    #[schema(example = "2026-11-23T08:15:00")]
    pub created_at: String,
    /// SLA deadline (default: 48 hours after `created_at`).
    #[serde(default)]
    pub due_by: Option<String>,
    /// `standard` (default) or `vip`.
    #[serde(default)]
    pub customer_tier: Option<String>,
    /// Outlets not to send: a list, or ids separated by `;`.
    #[serde(default)]
    pub avoid: Option<Avoid>,
    /// Preferred outlet id.
    #[serde(default)]
    pub preferred: Option<String>,
}

/// Outlets to avoid: a list of ids or one string `O1;O2`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Avoid {
    /// `["O1", "O2"]`.
    List(Vec<String>),
    /// `"O1;O2"`.
    Text(String),
}

fn time(field: &str, text: &str) -> Result<NaiveDateTime, ApiError> {
    servnet_core::io::parse_time(text).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("expected a time like 2026-11-23T08:15:00, got '{text}'"),
        )
    })
}

impl TicketIn {
    /// The core's ticket. (Ranges and references are checked by the dispatcher, with
    /// the library's messages.)
    pub fn into_ticket(self) -> Result<Ticket, ApiError> {
        let created_at = time("created_at", &self.created_at)?;
        let due_by = match &self.due_by {
            Some(t) => time("due_by", t)?,
            None => Ticket::default_due_by(created_at)
                .ok_or_else(|| ApiError::invalid("created_at", "time out of range"))?,
        };
        let mut t = Ticket::new(
            &self.id,
            self.lon,
            self.lat,
            &self.region,
            &self.skill,
            created_at,
        );
        t.due_by = due_by;
        if let Some(u) = self.units {
            t.units = u;
        }
        if let Some(p) = &self.priority {
            t.priority = p
                .parse()
                .map_err(|e: String| ApiError::invalid("priority", e))?;
        }
        if let Some(c) = &self.customer_tier {
            t.customer_tier = c
                .parse()
                .map_err(|e: String| ApiError::invalid("customer_tier", e))?;
        }
        t.avoid = match self.avoid {
            None => Vec::new(),
            Some(Avoid::List(v)) => v,
            Some(Avoid::Text(s)) => s
                .split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect(),
        };
        t.preferred = self.preferred.filter(|p| !p.is_empty());
        if t.id.is_empty() {
            return Err(ApiError::invalid("id", "a ticket needs an id"));
        }
        Ok(t)
    }
}

/// A hold: a ticket and how long the customer has to confirm.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldIn {
    /// The ticket.
    pub ticket: TicketIn,
    /// Seconds until the hold lapses (1..=604800).
    #[schema(example = 900)]
    pub ttl_seconds: u32,
}

/// The k best outlets for a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidatesIn {
    /// The ticket.
    pub ticket: TicketIn,
    /// How many (1..=100, default 10).
    #[serde(default)]
    pub k: Option<u32>,
}

/// Why an outlet was (not) chosen for a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainIn {
    /// The ticket.
    pub ticket: TicketIn,
    /// The outlet asked about.
    pub outlet_id: String,
}

/// A completion, with the customer's follow-up rating.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteIn {
    /// 1..=5.
    #[serde(default)]
    pub rating: Option<f64>,
}

/// External load on an outlet skill for a day (units committed outside servnet).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadIn {
    /// The outlet.
    pub outlet_id: String,
    /// The skill, `kind:category`.
    pub skill: String,
    /// Day from the start date (see `GET /v1/loads`).
    pub day: u32,
    /// Units.
    pub units: u32,
}

/// A backlog to plan jointly (nothing is booked).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The tickets (at most 100,000; not booked in this service).
    pub tickets: Vec<TicketIn>,
    /// `auto` (default), `flow`, `mip` or `heuristic`.
    #[serde(default)]
    pub method: Option<String>,
    /// Seconds for MIP solves (0..=60, default 5).
    #[serde(default)]
    pub time_limit_seconds: Option<f64>,
}

/// The parts of a score (lower is better).
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownOut {
    /// Road km.
    pub distance_km: f64,
    /// Bayesian satisfaction, 1..5.
    pub satisfaction: f64,
    /// Load ratio of the skill that day after this ticket.
    pub load_ratio: f64,
    /// Cost of the ticket at this outlet.
    pub cost: f64,
    /// Dispatch priority of the outlet.
    pub priority: u8,
    /// Whether the outlet is on probation.
    pub probation: bool,
    /// Whether it is the ticket's preferred outlet.
    pub preferred: bool,
    /// Weighted terms: distance, satisfaction, load, cost, priority, probation,
    /// preferred, package.
    pub terms: [f64; 8],
    /// The total.
    pub score: f64,
}

impl From<&Breakdown> for BreakdownOut {
    fn from(b: &Breakdown) -> Self {
        BreakdownOut {
            distance_km: b.distance_km,
            satisfaction: b.satisfaction,
            load_ratio: b.load_ratio,
            cost: b.cost,
            priority: b.priority,
            probation: b.probation,
            preferred: b.preferred,
            terms: b.terms,
            score: b.score,
        }
    }
}

/// A ticket's booking, or why it has none.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingOut {
    /// The ticket.
    pub ticket_id: String,
    /// Whether it has a booking.
    pub assigned: bool,
    /// `booked`, `held`, `completed` or `unassignable`.
    pub status: String,
    /// The outlet.
    pub outlet_id: Option<String>,
    /// The skill.
    pub skill: Option<String>,
    /// Day of service from the start date.
    pub day: Option<u32>,
    /// Date of service.
    pub date: Option<String>,
    /// Units booked.
    pub units: Option<u32>,
    /// `direct`, `wider_radius`, `next_day` or `escalated`.
    pub route: Option<String>,
    /// Whether service that day after travel meets the SLA.
    pub sla_met: Option<bool>,
    /// Hold id, while held.
    pub hold: Option<u64>,
    /// When the hold lapses.
    pub hold_expires: Option<String>,
    /// The score and its parts.
    pub breakdown: Option<BreakdownOut>,
    /// Why no outlet could take it (the rule that excluded the most).
    pub reason: Option<String>,
    /// Fallback steps tried.
    pub fallbacks_tried: Vec<String>,
}

impl BookingOut {
    /// A booking with its status.
    pub fn booked(d: &Dispatcher, a: &Assignment, status: Status) -> Self {
        let hold_expires = match status {
            Status::Held { expires, .. } => Some(expires.format("%Y-%m-%dT%H:%M:%S").to_string()),
            _ => None,
        };
        BookingOut {
            ticket_id: a.ticket_id.to_string(),
            assigned: true,
            status: status.as_str().to_string(),
            outlet_id: Some(a.outlet_id.to_string()),
            skill: Some(a.skill.to_string()),
            day: Some(a.day),
            date: d.date_of(a.day).map(|x| x.to_string()),
            units: Some(a.units),
            route: Some(a.route.as_str().to_string()),
            sla_met: Some(a.sla_met),
            hold: a.hold,
            hold_expires,
            breakdown: Some((&a.breakdown).into()),
            reason: None,
            fallbacks_tried: Vec::new(),
        }
    }

    /// What a dispatch or hold answered (`status` read from the ledger for a booking).
    pub fn outcome(d: &Dispatcher, o: &Outcome) -> Self {
        match o {
            Outcome::Assigned(a) => {
                let status = d
                    .booking(&a.ticket_id)
                    .ok()
                    .flatten()
                    .map_or(Status::Booked, |(_, s)| s);
                Self::booked(d, a, status)
            }
            Outcome::Unassignable(u) => BookingOut {
                ticket_id: u.ticket_id.to_string(),
                assigned: false,
                status: "unassignable".into(),
                outlet_id: None,
                skill: None,
                day: None,
                date: None,
                units: None,
                route: None,
                sla_met: None,
                hold: None,
                hold_expires: None,
                breakdown: None,
                reason: Some(u.reason.as_str().to_string()),
                fallbacks_tried: u.fallbacks_tried.iter().map(Fallback::to_string).collect(),
            },
        }
    }
}

/// An eligible outlet.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateOut {
    /// The outlet.
    pub outlet_id: String,
    /// Earliest day with capacity under the rules of its `route` (within the SLA for
    /// `direct`).
    pub day: u32,
    /// The score and its parts.
    pub breakdown: BreakdownOut,
    /// Units left for the skill that day after this ticket.
    pub remaining_skill: u32,
    /// Units left outlet-wide that day after this ticket.
    pub remaining_outlet: u32,
    /// `direct` (every hard rule, within the SLA), or the policy's fallback dispatch
    /// would use (`wider_radius`, `next_day`, `escalated`, as a booking's `route`) when no outlet
    /// meets them.
    pub route: String,
}

impl From<&Candidate> for CandidateOut {
    fn from(c: &Candidate) -> Self {
        CandidateOut {
            outlet_id: c.outlet_id.to_string(),
            day: c.day,
            breakdown: (&c.breakdown).into(),
            remaining_skill: c.remaining_skill,
            remaining_outlet: c.remaining_outlet,
            route: c.route.as_str().to_string(),
        }
    }
}

/// Why an outlet was or was not chosen.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationOut {
    /// The outlet asked about.
    pub outlet_id: String,
    /// The first hard rule it fails.
    pub failed: Option<String>,
    /// Its score if eligible.
    pub breakdown: Option<BreakdownOut>,
    /// The best outlet now.
    pub best: Option<CandidateOut>,
    /// Score difference to the best.
    pub score_gap: Option<f64>,
    /// The explanation, with what would change the answer.
    pub text: String,
}

impl From<&Explanation> for ExplanationOut {
    fn from(e: &Explanation) -> Self {
        ExplanationOut {
            outlet_id: e.outlet_id.to_string(),
            failed: e.failed.map(|r| r.as_str().to_string()),
            breakdown: e.breakdown.as_ref().map(Into::into),
            best: e.best.as_ref().map(Into::into),
            score_gap: e.score_gap,
            text: e.text.clone(),
        }
    }
}

/// Booked load of an outlet skill on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadOut {
    /// The outlet.
    pub outlet_id: String,
    /// The skill.
    pub skill: String,
    /// Day from the start date.
    pub day: u32,
    /// Its date.
    pub date: Option<String>,
    /// Units booked on the skill.
    pub used: u32,
    /// Skill capacity.
    pub capacity: u32,
    /// Units booked outlet-wide.
    pub outlet_used: u32,
    /// Outlet-wide cap.
    pub outlet_cap: u32,
}

impl LoadOut {
    /// A load row with its date.
    pub fn of(d: &Dispatcher, l: &LoadRow) -> Self {
        LoadOut {
            outlet_id: l.outlet_id.to_string(),
            skill: l.skill.to_string(),
            day: l.day,
            date: d.date_of(l.day).map(|x| x.to_string()),
            used: l.used,
            capacity: l.capacity,
            outlet_used: l.outlet_used,
            outlet_cap: l.outlet_cap,
        }
    }
}

/// Filters of `GET /v1/loads`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoadsQuery {
    /// Only this outlet.
    pub outlet_id: Option<String>,
    /// Only this day.
    pub day: Option<u32>,
}

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Ledger kind: `memory`, `journal` or `redis`.
    pub ledger: String,
    /// The first day counted and its date.
    pub first_day: u32,
    /// Its date.
    pub today: Option<String>,
}

/// Live network changes (JSON as `servnet_core::dispatch::NetworkChange`), one object or
/// an array applied in order, all or none:
/// `{"change": "outlet_status", "outlet_id": "O1", "status": "suspended"}`,
/// `{"change": "skill_capacity", "outlet_id": "O1", "skill": "repair:tv",
/// "daily_capacity": 12}`, `{"change": "outlet_cap", "outlet_id": "O1", "daily_cap": 30}`,
/// `{"change": "add_outlets", "outlets": [...]}` (outlets as the core's `Outlet`). A
/// review's actions as one array: `servnet review DIR --as-of D --changes F.json`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct ChangeIn(pub Vec<servnet_core::dispatch::NetworkChange>);

impl<'de> Deserialize<'de> for ChangeIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let changes = if v.is_array() {
            serde_json::from_value(v)
        } else {
            serde_json::from_value(v).map(|c| vec![c])
        };
        changes.map(ChangeIn).map_err(serde::de::Error::custom)
    }
}

/// The changes made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// What changed (the changes' descriptions joined by `; `).
    pub applied: String,
    /// What each change did, in order.
    pub changes: Vec<String>,
    /// Outlets in the network now.
    pub outlets: usize,
}
