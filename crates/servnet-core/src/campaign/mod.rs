//! Proactive campaigns (preventive maintenance, inspection 巡检, recalls) on units
//! already sold: their visits come from the installed base, are scheduled into the
//! capacity customer tickets leave, and count as demand in the forecast and the plan.
//!
//! - `model`: a [`Campaign`] (models, sale years, regions, action, window, minutes and
//!   cost per unit, effect assumption) and the [`CampaignOptions`];
//! - `scope`: the units in scope (installed base aged by the retirement curves, x
//!   reach) and one visit ticket per unit;
//! - `schedule`: [`schedule_campaigns`], customer tickets first, then visits into the
//!   room left, balanced over the window (a campaign ticket never displaces a customer
//!   ticket);
//! - `effect`: [`repairs_avoided`], from the repair curve and the effect assumption;
//! - `report`: the [`CampaignSchedule`] and its tables;
//! - `demand`: [`add_campaigns`], the campaigns' work in a forecast.

mod demand;
mod effect;
mod model;
mod report;
mod schedule;
mod scope;
#[cfg(test)]
mod tests;

pub use demand::add_campaigns;
pub use effect::repairs_avoided;
pub use model::{
    Campaign, CampaignAction, CampaignOptions, MAX_EFFECT_MONTHS, MAX_MINUTES, MAX_WINDOW_DAYS,
};
pub use report::{
    ByDayTable, CampaignSchedule, CampaignSummary, DayRow, PlannedVisit, SummaryTable,
    UndoneReason, UndoneRow, UndoneTable, VisitsTable,
};
pub use schedule::{check_campaigns, schedule_campaigns, CampaignInputs};
pub use scope::{scope, visits, ScopeRow, Visit};
