use super::{id_problem, Network, Skill, SkillId};
use crate::error::{Issue, Location};
use crate::{Error, Result};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Urgency of a ticket, most urgent first (so `Ord` sorts emergencies first).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Safety issue or total outage.
    Emergency,
    /// Urgent.
    High,
    /// The default.
    #[default]
    Normal,
    /// Can wait.
    Low,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 4] = [
        Priority::Emergency,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("expected one of emergency, high, normal, low; got '{s}'"))
    }
}

/// Customer tier: VIP customers may be weighted up by a dispatch policy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CustomerTier {
    /// Ordinary customer.
    #[default]
    Standard,
    /// Priority customer.
    Vip,
}

impl FromStr for CustomerTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "standard" => Ok(CustomerTier::Standard),
            "vip" => Ok(CustomerTier::Vip),
            _ => Err(format!("expected standard or vip, got '{s}'")),
        }
    }
}

/// A service order: one skill at one customer location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Caller's id, unique.
    pub id: String,
    /// Customer longitude.
    pub lon: f64,
    /// Customer latitude.
    pub lat: f64,
    /// Customer's region code.
    pub region: String,
    /// The skill needed, `kind:category`.
    pub skill: String,
    /// Capacity units the ticket consumes (default 1).
    pub units: u32,
    /// Urgency.
    pub priority: Priority,
    /// When the ticket was opened.
    pub created_at: NaiveDateTime,
    /// SLA deadline.
    pub due_by: NaiveDateTime,
    /// Customer tier.
    pub customer_tier: CustomerTier,
    /// Outlets not to send (e.g. after a complaint).
    pub avoid: Vec<String>,
    /// Preferred outlet, if any.
    pub preferred: Option<String>,
}

impl Ticket {
    /// Hours from `created_at` to `due_by` when a ticket does not say
    /// ([`Ticket::default_due_by`]).
    pub const DEFAULT_SLA_HOURS: i64 = 48;

    /// The SLA deadline of a ticket that gives none: [`Ticket::DEFAULT_SLA_HOURS`] after
    /// `created_at`; `None` past the last time the calendar holds.
    pub fn default_due_by(created_at: NaiveDateTime) -> Option<NaiveDateTime> {
        created_at.checked_add_signed(chrono::Duration::hours(Self::DEFAULT_SLA_HOURS))
    }

    /// A normal-priority one-unit ticket, due [`Ticket::DEFAULT_SLA_HOURS`] after
    /// `created_at` (at the calendar's end when that is past it).
    pub fn new(
        id: &str,
        lon: f64,
        lat: f64,
        region: &str,
        skill: &str,
        created_at: NaiveDateTime,
    ) -> Self {
        Ticket {
            id: id.to_string(),
            lon,
            lat,
            region: region.to_string(),
            skill: skill.to_string(),
            units: 1,
            priority: Priority::Normal,
            created_at,
            due_by: Self::default_due_by(created_at).unwrap_or(NaiveDateTime::MAX),
            customer_tier: CustomerTier::Standard,
            avoid: Vec::new(),
            preferred: None,
        }
    }
}

/// The network indices a valid ticket refers to (see [`Ticket::refs`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TicketRefs {
    /// `None`: no outlet of the network offers the skill (a dispatch status, not an error).
    pub(crate) skill: Option<SkillId>,
    pub(crate) region: usize,
    pub(crate) avoid: Vec<u32>,
    pub(crate) preferred: Option<u32>,
}

/// Earliest and latest accepted time stamps (years 1900..=9999): outside them a time
/// is a typo or a placeholder, and day arithmetic would leave the ledger's range.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 9999;

impl Ticket {
    /// The ticket's problems that need no network, as (field, message): an id as
    /// docs/formats.md allows, lon/lat in range, `units >= 1`, times within years
    /// 1900..=9999, `due_by` not before `created_at`, ids in `avoid` and `preferred`.
    pub fn field_problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(m) = id_problem(&self.id) {
            out.push(("id", m));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            out.push((
                "lon",
                format!("expected a longitude in [-180, 180], got {}", self.lon),
            ));
        }
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            out.push((
                "lat",
                format!("expected a latitude in [-90, 90], got {}", self.lat),
            ));
        }
        if let Err(m) = self.skill.parse::<Skill>() {
            out.push(("skill", m));
        }
        if self.units == 0 {
            out.push(("units", "expected a whole number >= 1, got 0".into()));
        }
        let mut times_ok = true;
        for (field, t) in [("created_at", self.created_at), ("due_by", self.due_by)] {
            use chrono::Datelike;
            if !(FIRST_YEAR..=LAST_YEAR).contains(&t.year()) {
                times_ok = false;
                out.push((
                    field,
                    format!("expected a time in the years {FIRST_YEAR}..={LAST_YEAR}, got {t}"),
                ));
            }
        }
        if times_ok && self.due_by < self.created_at {
            out.push((
                "due_by",
                format!(
                    "due_by {} is before created_at {}",
                    self.due_by, self.created_at
                ),
            ));
        }
        for o in &self.avoid {
            if let Some(m) = id_problem(o) {
                out.push(("avoid", m));
            }
        }
        if let Some(m) = self.preferred.as_deref().and_then(id_problem) {
            out.push(("preferred", m));
        }
        out
    }

    /// Every problem of the ticket against `network`, as (field, message): those of
    /// [`Ticket::field_problems`], an unknown region, unknown outlets in `avoid` or
    /// `preferred`. The readers, the dispatcher and the Python bindings all judge
    /// tickets by this one function. A well-formed skill that no outlet offers is not
    /// a problem here: dispatch answers it with the status `no_skill` (the tickets
    /// reader reports it too, as a likely typo in a data folder).
    pub fn problems(&self, network: &Network) -> Vec<(&'static str, String)> {
        match self.refs(
            network,
            network.skill_id(&self.skill),
            network.region_index(&self.region),
        ) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        }
    }

    /// `Ok` if the ticket is valid for `network` (see [`Ticket::problems`]); else an
    /// [`Error::Invalid`] listing every problem, located at record `ticket '<id>'` and
    /// the field.
    pub fn validate(&self, network: &Network) -> Result<()> {
        let p = self.problems(network);
        if p.is_empty() {
            Ok(())
        } else {
            Err(self.error(p))
        }
    }

    /// The problems as an [`Error::Invalid`] located at this ticket.
    pub fn error(&self, problems: Vec<(&'static str, String)>) -> Error {
        Error::Invalid(
            problems
                .into_iter()
                .map(|(field, message)| Issue {
                    at: Location {
                        source: "ticket".into(),
                        line: None,
                        record: Some(self.id.clone()),
                        field: Some(field.into()),
                    },
                    message,
                })
                .collect(),
        )
    }

    /// Validates the ticket (as [`Ticket::problems`]) given its skill and region already
    /// looked up, and returns the indices it refers to. Allocates nothing for a valid
    /// ticket without an avoid list (the dispatcher calls it once per ticket).
    pub(crate) fn refs(
        &self,
        network: &Network,
        skill: Option<SkillId>,
        region: Option<usize>,
    ) -> Result<TicketRefs, Vec<(&'static str, String)>> {
        use chrono::Datelike;
        let ok = |x: f64, lim: f64| x.is_finite() && (-lim..=lim).contains(&x);
        let years = FIRST_YEAR..=LAST_YEAR;
        let outlet = |id: &String| network.outlet_index(id).map(|i| i as u32);
        let avoid: Option<Vec<u32>> = self.avoid.iter().map(outlet).collect();
        let preferred = self.preferred.as_ref().map(outlet);
        if let (Some(region), Some(avoid), None | Some(Some(_))) = (region, &avoid, preferred) {
            // Known outlets are valid ids already: check the rest only.
            let valid = ok(self.lon, 180.0)
                && years.contains(&self.created_at.year())
                && years.contains(&self.due_by.year())
                && ok(self.lat, 90.0)
                && self.units > 0
                && self.due_by >= self.created_at
                && (skill.is_some() || self.skill.parse::<Skill>().is_ok())
                && super::id_ok(&self.id);
            if valid {
                return Ok(TicketRefs {
                    skill,
                    region,
                    avoid: avoid.clone(),
                    preferred: preferred.flatten(),
                });
            }
        }
        let mut p = self.field_problems();
        if region.is_none() {
            p.push(("region", format!("unknown region '{}'", self.region)));
        }
        for o in &self.avoid {
            if network.outlet_index(o).is_none() {
                p.push(("avoid", format!("unknown outlet '{o}'")));
            }
        }
        if let Some(o) = &self.preferred {
            if network.outlet_index(o).is_none() {
                p.push(("preferred", format!("unknown outlet '{o}'")));
            }
        }
        Err(p)
    }
}

#[cfg(test)]
mod tests {
    use super::Ticket;
    use chrono::{NaiveDate, NaiveDateTime};

    #[test]
    fn a_ticket_without_a_deadline_is_due_48_hours_after_it_opens() {
        let opened = NaiveDate::from_ymd_opt(2026, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 30, 0))
            .unwrap();
        let due = NaiveDate::from_ymd_opt(2027, 1, 2)
            .and_then(|d| d.and_hms_opt(23, 30, 0))
            .unwrap();
        assert_eq!(Ticket::default_due_by(opened), Some(due));
        assert_eq!(Ticket::new("T1", 0.0, 0.0, "R", "s", opened).due_by, due);
    }

    #[test]
    fn the_default_deadline_past_the_calendar_is_none_not_a_panic() {
        assert_eq!(Ticket::default_due_by(NaiveDateTime::MAX), None);
        let t = Ticket::new("T1", 0.0, 0.0, "R", "s", NaiveDateTime::MAX);
        assert_eq!(t.due_by, NaiveDateTime::MAX);
    }
}
