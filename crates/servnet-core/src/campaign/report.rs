//! What a campaign schedule reports: each visit, units covered by day, units left
//! undone and why, and a summary per campaign (cost, expected repairs avoided), as
//! tables for CSV / JSON ([`crate::io::Tabular`]).

use super::effect::repairs_avoided;
use super::model::Campaign;
use super::schedule::CampaignInputs;
use super::scope::ScopeRow;
use crate::assign::AssignmentPlan;
use crate::io::{Column, Tabular};
use crate::Result;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a unit in a campaign's scope is not visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoneReason {
    /// Eligible outlets exist, but the room customer tickets leave before the deadline
    /// is used up.
    NoCapacity,
    /// No open outlet offers the visit's skill where the unit is.
    NoEligibleOutlet,
    /// The unit is outside every outlet's service area or travel limit.
    OutOfRegion,
    /// The campaign's deadline is before the schedule's day.
    PastDeadline,
}

impl UndoneReason {
    /// All reasons, in report order.
    pub const ALL: [UndoneReason; 4] = [
        UndoneReason::NoCapacity,
        UndoneReason::NoEligibleOutlet,
        UndoneReason::OutOfRegion,
        UndoneReason::PastDeadline,
    ];

    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            UndoneReason::NoCapacity => "no_capacity_before_deadline",
            UndoneReason::NoEligibleOutlet => "no_eligible_outlet",
            UndoneReason::OutOfRegion => "out_of_region",
            UndoneReason::PastDeadline => "past_deadline",
        }
    }
}

/// One unit's visit as scheduled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedVisit {
    /// Campaign id.
    pub campaign_id: String,
    /// The visit's ticket id (`<campaign>/<region>/<model>/<vintage>/<n>`).
    pub ticket_id: String,
    /// Region code.
    pub region: String,
    /// Product model.
    pub model: String,
    /// Year of sale.
    pub vintage: i32,
    /// Skill of the visit.
    pub skill: String,
    /// Outlet that makes it.
    pub outlet_id: String,
    /// Calendar day.
    pub date: NaiveDate,
    /// Day from the schedule's day 0.
    pub day: u32,
    /// Capacity units the visit takes.
    pub capacity_units: u32,
    /// Technician minutes (the campaign's minutes per unit).
    pub minutes: f64,
    /// Cost of the visit.
    pub cost: f64,
    /// Expected repairs it avoids (see [`repairs_avoided`]).
    pub repairs_avoided: f64,
    /// Road km from the outlet.
    pub distance_km: f64,
    /// `spread` (within the daily cap) or `fill` (the room left after it).
    pub pass: String,
}

/// Units of one campaign covered on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    /// Campaign id.
    pub campaign_id: String,
    /// Calendar day.
    pub date: NaiveDate,
    /// Units visited.
    pub units: u32,
    /// Capacity units they take.
    pub capacity_units: u32,
    /// Technician minutes.
    pub minutes: f64,
    /// Cost.
    pub cost: f64,
    /// Expected repairs avoided.
    pub repairs_avoided: f64,
}

/// Units of one scope row left undone for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoneRow {
    /// Campaign id.
    pub campaign_id: String,
    /// Region code.
    pub region: String,
    /// Product model.
    pub model: String,
    /// Year of sale.
    pub vintage: i32,
    /// Units left undone.
    pub units: u32,
    /// Why.
    pub reason: UndoneReason,
    /// Expected repairs the visits would have avoided (visited on the deadline).
    pub repairs_missed: f64,
}

/// One campaign's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSummary {
    /// Campaign id.
    pub campaign_id: String,
    /// Its action (`inspect`, `maintain`, `recall`).
    pub action: String,
    /// Units in scope (in service at the start, x reach).
    pub units_in_scope: u64,
    /// Units visited.
    pub units_visited: u64,
    /// Units left undone, by reason (every [`UndoneReason`], zeros included).
    pub undone: BTreeMap<String, u64>,
    /// Cost of the visits.
    pub cost: f64,
    /// Technician minutes of the visits.
    pub minutes: f64,
    /// Expected repairs avoided by the visits.
    pub repairs_avoided: f64,
    /// Expected repairs the undone units' visits would have avoided.
    pub repairs_missed: f64,
    /// First and last day with a visit.
    pub first_visit: Option<NaiveDate>,
    /// Last day with a visit.
    pub last_visit: Option<NaiveDate>,
    /// The balanced pass's cap, capacity units a day (`None`: no cap).
    pub daily_cap: Option<u32>,
}

/// The answer of [`super::schedule_campaigns`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSchedule {
    /// Every visit, in campaign (deadline order), pass and ticket order.
    pub visits: Vec<PlannedVisit>,
    /// Units covered per campaign and day (days with visits), in campaign, day order.
    pub by_day: Vec<DayRow>,
    /// Units left undone per scope row and reason.
    pub undone: Vec<UndoneRow>,
    /// One row per campaign, in the campaigns' order.
    pub summary: Vec<CampaignSummary>,
    /// The customer backlog's plan: exactly what [`crate::assign`] gives without the
    /// campaigns.
    pub customer: AssignmentPlan,
}

pub(super) fn build(
    campaigns: &[Campaign],
    rows: Vec<ScopeRow>,
    visits: Vec<PlannedVisit>,
    undone: &[(usize, UndoneReason)],
    daily_caps: Vec<Option<u32>>,
    customer: AssignmentPlan,
    inputs: &CampaignInputs<'_>,
) -> Result<CampaignSchedule> {
    let index: BTreeMap<&str, usize> = campaigns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut day_map: BTreeMap<(usize, NaiveDate), DayRow> = BTreeMap::new();
    for v in &visits {
        let c = index.get(v.campaign_id.as_str()).copied().unwrap_or(0);
        let e = day_map.entry((c, v.date)).or_insert_with(|| DayRow {
            campaign_id: v.campaign_id.clone(),
            date: v.date,
            units: 0,
            capacity_units: 0,
            minutes: 0.0,
            cost: 0.0,
            repairs_avoided: 0.0,
        });
        e.units += 1;
        e.capacity_units += v.capacity_units;
        e.minutes += v.minutes;
        e.cost += v.cost;
        e.repairs_avoided += v.repairs_avoided;
    }
    let mut undone_map: BTreeMap<(usize, UndoneReason), u32> = BTreeMap::new();
    for &(s, why) in undone {
        *undone_map.entry((s, why)).or_insert(0) += 1;
    }
    let curve = |model: &str| {
        inputs
            .planning
            .products
            .iter()
            .find(|p| p.model == model)
            .map(|p| &p.curve)
    };
    let mut undone_rows = Vec::new();
    for ((s, reason), units) in undone_map {
        let Some(row) = rows.get(s) else { continue };
        let Some(camp) = campaigns.get(row.campaign) else {
            continue;
        };
        let per_unit = curve(&row.model).map_or(0.0, |c| {
            repairs_avoided(
                c,
                row.vintage,
                camp.deadline,
                camp.effect_months,
                camp.effect_share,
            )
        });
        undone_rows.push(UndoneRow {
            campaign_id: camp.id.clone(),
            region: row.region.clone(),
            model: row.model.clone(),
            vintage: row.vintage,
            units,
            reason,
            repairs_missed: per_unit * f64::from(units),
        });
    }
    let summary = campaigns
        .iter()
        .enumerate()
        .map(|(c, camp)| {
            let mine = visits.iter().filter(|v| v.campaign_id == camp.id);
            let mut undone: BTreeMap<String, u64> = UndoneReason::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), 0))
                .collect();
            let mut missed = 0.0;
            for u in undone_rows.iter().filter(|u| u.campaign_id == camp.id) {
                *undone.entry(u.reason.as_str().to_string()).or_insert(0) += u64::from(u.units);
                missed += u.repairs_missed;
            }
            let (mut n, mut cost, mut minutes, mut avoided) = (0u64, 0.0, 0.0, 0.0);
            let (mut first, mut last): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
            for v in mine {
                n += 1;
                cost += v.cost;
                minutes += v.minutes;
                avoided += v.repairs_avoided;
                first = Some(first.map_or(v.date, |f| f.min(v.date)));
                last = Some(last.map_or(v.date, |l| l.max(v.date)));
            }
            CampaignSummary {
                campaign_id: camp.id.clone(),
                action: camp.action.as_str().to_string(),
                units_in_scope: rows
                    .iter()
                    .filter(|r| r.campaign == c)
                    .map(|r| u64::from(r.units))
                    .sum(),
                units_visited: n,
                undone,
                cost,
                minutes,
                repairs_avoided: avoided,
                repairs_missed: missed,
                first_visit: first,
                last_visit: last,
                daily_cap: daily_caps.get(c).copied().flatten(),
            }
        })
        .collect();
    Ok(CampaignSchedule {
        visits,
        by_day: day_map.into_values().collect(),
        undone: undone_rows,
        summary,
        customer,
    })
}

/// [`CampaignSchedule::visits`] as a table.
pub struct VisitsTable<'a>(pub &'a CampaignSchedule);
/// [`CampaignSchedule::by_day`] as a table.
pub struct ByDayTable<'a>(pub &'a CampaignSchedule);
/// [`CampaignSchedule::undone`] as a table.
pub struct UndoneTable<'a>(pub &'a CampaignSchedule);
/// [`CampaignSchedule::summary`] as a table.
pub struct SummaryTable<'a>(pub &'a CampaignSchedule);

const VISIT_COLUMNS: &[Column] = &[
    Column::text("campaign_id"),
    Column::text("ticket_id"),
    Column::text("region"),
    Column::text("model"),
    Column::number("vintage"),
    Column::text("skill"),
    Column::text("outlet_id"),
    Column::text("date"),
    Column::number("capacity_units"),
    Column::number("minutes"),
    Column::number("cost"),
    Column::number("repairs_avoided"),
    Column::number("distance_km"),
    Column::text("pass"),
];

impl Tabular for VisitsTable<'_> {
    fn columns(&self) -> &'static [Column] {
        VISIT_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.visits.len()
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(v) = self.0.visits.get(i) else {
            return;
        };
        out.extend([
            v.campaign_id.clone(),
            v.ticket_id.clone(),
            v.region.clone(),
            v.model.clone(),
            v.vintage.to_string(),
            v.skill.clone(),
            v.outlet_id.clone(),
            v.date.to_string(),
            v.capacity_units.to_string(),
            format!("{}", v.minutes),
            format!("{:.2}", v.cost),
            format!("{:.6}", v.repairs_avoided),
            format!("{:.2}", v.distance_km),
            v.pass.clone(),
        ]);
    }
}

const DAY_COLUMNS: &[Column] = &[
    Column::text("campaign_id"),
    Column::text("date"),
    Column::number("units"),
    Column::number("capacity_units"),
    Column::number("minutes"),
    Column::number("cost"),
    Column::number("repairs_avoided"),
];

impl Tabular for ByDayTable<'_> {
    fn columns(&self) -> &'static [Column] {
        DAY_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.by_day.len()
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(d) = self.0.by_day.get(i) else {
            return;
        };
        out.extend([
            d.campaign_id.clone(),
            d.date.to_string(),
            d.units.to_string(),
            d.capacity_units.to_string(),
            format!("{}", d.minutes),
            format!("{:.2}", d.cost),
            format!("{:.4}", d.repairs_avoided),
        ]);
    }
}

const UNDONE_COLUMNS: &[Column] = &[
    Column::text("campaign_id"),
    Column::text("region"),
    Column::text("model"),
    Column::number("vintage"),
    Column::number("units"),
    Column::text("reason"),
    Column::number("repairs_missed"),
];

impl Tabular for UndoneTable<'_> {
    fn columns(&self) -> &'static [Column] {
        UNDONE_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.undone.len()
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(u) = self.0.undone.get(i) else {
            return;
        };
        out.extend([
            u.campaign_id.clone(),
            u.region.clone(),
            u.model.clone(),
            u.vintage.to_string(),
            u.units.to_string(),
            u.reason.as_str().to_string(),
            format!("{:.4}", u.repairs_missed),
        ]);
    }
}

const SUMMARY_COLUMNS: &[Column] = &[
    Column::text("campaign_id"),
    Column::text("action"),
    Column::number("units_in_scope"),
    Column::number("units_visited"),
    Column::number("units_undone"),
    Column::number("no_capacity_before_deadline"),
    Column::number("no_eligible_outlet"),
    Column::number("out_of_region"),
    Column::number("past_deadline"),
    Column::number("cost"),
    Column::number("minutes"),
    Column::number("repairs_avoided"),
    Column::number("repairs_missed"),
    Column::text("first_visit"),
    Column::text("last_visit"),
    Column::number("daily_cap"),
];

impl Tabular for SummaryTable<'_> {
    fn columns(&self) -> &'static [Column] {
        SUMMARY_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.summary.len()
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(s) = self.0.summary.get(i) else {
            return;
        };
        let n = |r: UndoneReason| s.undone.get(r.as_str()).copied().unwrap_or(0);
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        out.extend([
            s.campaign_id.clone(),
            s.action.clone(),
            s.units_in_scope.to_string(),
            s.units_visited.to_string(),
            s.undone.values().sum::<u64>().to_string(),
            n(UndoneReason::NoCapacity).to_string(),
            n(UndoneReason::NoEligibleOutlet).to_string(),
            n(UndoneReason::OutOfRegion).to_string(),
            n(UndoneReason::PastDeadline).to_string(),
            format!("{:.2}", s.cost),
            format!("{}", s.minutes),
            format!("{:.4}", s.repairs_avoided),
            format!("{:.4}", s.repairs_missed),
            date(s.first_visit),
            date(s.last_visit),
            s.daily_cap.map(|c| c.to_string()).unwrap_or_default(),
        ]);
    }
}
