//! Plain, validated domain data: skills, outlets, regions, tickets, the network, and the
//! planning inputs (installed base, repair curves, sales plan, seasonality).
//!
//! Records are plain serde structs with the caller's string ids. Building a [`Network`]
//! validates everything once and interns ids to dense indices (outlets and regions sorted
//! by id, so "lowest index" is "lowest id" when breaking ties); algorithms never re-check.

mod network;
mod planning;
mod skill;
mod ticket;

pub(crate) use network::polygon_problem;
pub use network::{
    Network, Outlet, OutletSkill, OutletStatus, Region, ServiceArea, Tier, DEFAULT_PRIOR_WEIGHT,
};
pub use planning::{
    InstalledBaseRow, PlanningData, Product, RepairCurve, RepairHistoryRow, RetirementCurve,
    SalesPlanRow, Seasonality, ServiceRate, YEARS,
};
pub use skill::{ServiceKind, Skill, SkillId};
pub use ticket::{CustomerTier, Priority, Ticket};

use crate::error::{Issue, Location};

/// Collects validation problems so a caller sees all of them, not only the first.
#[derive(Debug, Default)]
pub(crate) struct Issues {
    pub(crate) list: Vec<Issue>,
}

/// At most this many problems are collected from one input; the rest are counted.
pub const MAX_ISSUES: usize = 200;

impl Issues {
    pub(crate) fn push(&mut self, source: &str, record: &str, field: &str, message: String) {
        if self.list.len() < MAX_ISSUES {
            self.list.push(Issue {
                at: Location {
                    source: source.to_string(),
                    line: None,
                    record: (!record.is_empty()).then(|| record.to_string()),
                    field: (!field.is_empty()).then(|| field.to_string()),
                },
                message,
            });
        }
    }

    pub(crate) fn into_result(self) -> crate::Result<()> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Invalid(self.list))
        }
    }
}

/// Checks a lon/lat pair: finite and inside the WGS84 range.
pub(crate) fn check_coords(issues: &mut Issues, source: &str, record: &str, lon: f64, lat: f64) {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        issues.push(
            source,
            record,
            "lon",
            format!("expected a longitude in [-180, 180], got {lon}"),
        );
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        issues.push(
            source,
            record,
            "lat",
            format!("expected a latitude in [-90, 90], got {lat}"),
        );
    }
}
