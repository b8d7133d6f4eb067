//! A campaign as the user writes it (`campaigns.csv`), and the options of scheduling.

use crate::assign::AssignOptions;
use crate::model::{ServiceKind, YEARS};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a campaign's visit does to a unit; it decides the skill the visit needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    /// An inspection visit (巡检): skill `inspection:<category>`.
    Inspect,
    /// Preventive maintenance: skill `maintenance:<category>`.
    Maintain,
    /// A recall (a part replaced by the manufacturer): skill `repair:<category>`.
    Recall,
}

impl CampaignAction {
    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignAction::Inspect => "inspect",
            CampaignAction::Maintain => "maintain",
            CampaignAction::Recall => "recall",
        }
    }

    /// The service kind a visit needs.
    pub fn kind(self) -> ServiceKind {
        match self {
            CampaignAction::Inspect => ServiceKind::Inspection,
            CampaignAction::Maintain => ServiceKind::Maintenance,
            CampaignAction::Recall => ServiceKind::Repair,
        }
    }
}

impl std::str::FromStr for CampaignAction {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inspect" | "inspection" => Ok(CampaignAction::Inspect),
            "maintain" | "maintenance" => Ok(CampaignAction::Maintain),
            "recall" => Ok(CampaignAction::Recall),
            _ => Err(format!("expected inspect, maintain or recall, got '{s}'")),
        }
    }
}

/// Largest accepted minutes per unit (a week of one technician's time).
pub const MAX_MINUTES: f64 = 7.0 * 24.0 * 60.0;

/// Largest accepted months of effect.
pub const MAX_EFFECT_MONTHS: u32 = 120;

/// Largest accepted campaign window (start to deadline), in days: the ledger counts at
/// most 366 days.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// A proactive campaign on units already sold: which units (models, sale years,
/// regions), what is done to each, by when, at what cost and with what expected effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Campaign id (unique; names its tickets and report rows).
    pub id: String,
    /// Product models concerned (at least one).
    pub models: Vec<String>,
    /// First year of sale (vintage) concerned.
    pub vintage_from: i32,
    /// Last year of sale concerned (inclusive).
    pub vintage_to: i32,
    /// Region codes concerned; empty: every region.
    pub regions: Vec<String>,
    /// What a visit does.
    pub action: CampaignAction,
    /// First day visits may take place.
    pub start: NaiveDate,
    /// Last day visits may take place (inclusive).
    pub deadline: NaiveDate,
    /// Technician minutes per unit visited (travel excluded).
    pub minutes_per_unit: f64,
    /// Cost per unit visited (parts, labour, fee), in the network's currency.
    pub cost_per_unit: f64,
    /// Share of a visited unit's expected repairs in the following `effect_months`
    /// that the visit avoids, 0..=1 (the documented effect assumption).
    pub effect_share: f64,
    /// Months after the visit over which `effect_share` applies.
    pub effect_months: u32,
    /// Share of the units in scope that are reached (customers who accept a visit),
    /// (0, 1]; default 1.
    pub reach: f64,
}

impl Campaign {
    /// Days from `start` to `deadline`, both included.
    pub fn window_days(&self) -> i64 {
        (self.deadline - self.start).num_days() + 1
    }

    /// The campaign's problems, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if self.id.trim().is_empty() {
            p.push(("id", "empty id".to_string()));
        }
        if self.models.is_empty() {
            p.push(("models", "expected at least one model".to_string()));
        }
        for (f, y) in [
            ("vintage_from", self.vintage_from),
            ("vintage_to", self.vintage_to),
        ] {
            if !YEARS.contains(&y) {
                p.push((f, format!("expected a year in 1900..=2200, got {y}")));
            }
        }
        if self.vintage_to < self.vintage_from {
            p.push((
                "vintage_to",
                format!(
                    "vintage_to {} is before vintage_from {}",
                    self.vintage_to, self.vintage_from
                ),
            ));
        }
        let days = self.window_days();
        if days < 1 {
            p.push((
                "deadline",
                format!("deadline {} is before start {}", self.deadline, self.start),
            ));
        } else if days > MAX_WINDOW_DAYS {
            p.push((
                "deadline",
                format!("the window start..deadline is {days} days; at most {MAX_WINDOW_DAYS}"),
            ));
        }
        if !(self.minutes_per_unit > 0.0 && self.minutes_per_unit <= MAX_MINUTES) {
            p.push((
                "minutes_per_unit",
                format!(
                    "expected a number in (0, {MAX_MINUTES}], got {}",
                    self.minutes_per_unit
                ),
            ));
        }
        if !(self.cost_per_unit.is_finite()
            && (0.0..=crate::model::MAX_COST).contains(&self.cost_per_unit))
        {
            p.push((
                "cost_per_unit",
                format!("expected a finite number >= 0, got {}", self.cost_per_unit),
            ));
        }
        if !(0.0..=1.0).contains(&self.effect_share) {
            p.push((
                "effect_share",
                format!("expected a share in 0..=1, got {}", self.effect_share),
            ));
        }
        if !(1..=MAX_EFFECT_MONTHS).contains(&self.effect_months) {
            p.push((
                "effect_months",
                format!(
                    "expected 1..={MAX_EFFECT_MONTHS} months, got {}",
                    self.effect_months
                ),
            ));
        }
        if !(self.reach > 0.0 && self.reach <= 1.0) {
            p.push((
                "reach",
                format!("expected a share in (0, 1], got {}", self.reach),
            ));
        }
        p
    }
}

/// How campaign tickets are made and scheduled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignOptions {
    /// Technician minutes in one capacity unit (default 80: the sample's convention of
    /// 6 tickets per technician in an 8-hour day). A visit of `minutes_per_unit` takes
    /// `ceil(minutes_per_unit / this)` capacity units.
    pub minutes_per_ticket_unit: f64,
    /// Balanced spread: each campaign may take at most
    /// `ceil(spread_factor x its ticket units / days in its window)` units a day
    /// (default 1.25; 0: no cap, the earliest days fill first).
    pub spread_factor: f64,
    /// After the balanced pass, offer the units it left to the capacity still free on
    /// any day of the window, without the daily cap (default true: coverage first).
    pub fill_after_spread: bool,
    /// Visits are placed around the region's centre, up to this many km away (a
    /// deterministic draw; default 8; 0: at the centre).
    pub jitter_km: f64,
    /// Seed of that draw (default 1).
    pub seed: u64,
    /// Most campaign tickets made in one run, over all campaigns (default 200,000):
    /// a larger scope is an error naming the campaign, not an allocation.
    pub max_tickets: usize,
    /// Options of every assignment pass (customer tickets, then campaign tickets);
    /// default: [`AssignOptions::default`], what `servnet assign` uses, so the
    /// customer plan is today's. Campaign passes leave a visit out only when nothing
    /// fits (their penalty is far above any score) and allow no late days.
    pub assign: AssignOptions,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            minutes_per_ticket_unit: 80.0,
            spread_factor: 1.25,
            fill_after_spread: true,
            jitter_km: 8.0,
            seed: 1,
            max_tickets: 200_000,
            assign: AssignOptions::default(),
        }
    }
}

impl CampaignOptions {
    /// Checks every field (errors name it).
    pub fn validate(&self) -> Result<()> {
        if !(self.minutes_per_ticket_unit > 0.0 && self.minutes_per_ticket_unit <= MAX_MINUTES) {
            return Err(Error::argument(
                "minutes_per_ticket_unit",
                format!(
                    "expected a number in (0, {MAX_MINUTES}], got {}",
                    self.minutes_per_ticket_unit
                ),
            ));
        }
        if !(self.spread_factor.is_finite() && (0.0..=100.0).contains(&self.spread_factor)) {
            return Err(Error::argument(
                "spread_factor",
                format!("expected 0..=100, got {}", self.spread_factor),
            ));
        }
        if !(self.jitter_km.is_finite() && (0.0..=500.0).contains(&self.jitter_km)) {
            return Err(Error::argument(
                "jitter_km",
                format!("expected 0..=500 km, got {}", self.jitter_km),
            ));
        }
        if self.max_tickets == 0 || self.max_tickets > 10_000_000 {
            return Err(Error::argument(
                "max_tickets",
                format!("expected 1..=10000000, got {}", self.max_tickets),
            ));
        }
        // The assignment options are checked by each pass.
        Ok(())
    }

    /// The defaults with fields from a JSON object (errors name the field).
    pub fn from_json(text: &str) -> Result<Self> {
        let o: CampaignOptions = serde_json::from_str(text)
            .map_err(|e| Error::argument("campaign options", e.to_string()))?;
        o.validate()?;
        Ok(o)
    }

    /// Capacity units one visit of `minutes` takes (at least 1).
    pub fn units_for(&self, minutes: f64) -> u32 {
        (minutes / self.minutes_per_ticket_unit)
            .ceil()
            .clamp(1.0, 10_000.0) as u32
    }
}
