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
    parse_time_zone, Network, Outlet, OutletSkill, OutletStatus, Region, ServiceArea, Tier,
    DEFAULT_PRIOR_WEIGHT, DEFAULT_TIME_ZONE, MAX_COST, MAX_HOURS, MAX_KM, MAX_POPULATION,
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

/// Longest identifier accepted (bytes): ids are keys, not text.
pub const MAX_ID_LEN: usize = 200;

/// What is wrong with an identifier (outlet id, region code, ticket id), if anything:
/// empty, longer than [`MAX_ID_LEN`], containing `;` (the list separator in cells) or a
/// control character (NUL, tab, line breaks), or starting with `=`, `+`, `-` or `@`
/// (spreadsheets read such a cell as a formula). See docs/formats.md.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("expected a non-empty id".into());
    }
    if id.len() > MAX_ID_LEN {
        return Some(format!(
            "id is {} bytes long; at most {MAX_ID_LEN} allowed",
            id.len()
        ));
    }
    if id.contains(';') {
        return Some(format!("id '{id}' contains ';' (the list separator)"));
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Some(format!(
            "id {id:?} contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if id.starts_with(['=', '+', '-', '@']) {
        return Some(format!(
            "id '{id}' starts with '{}' (spreadsheets would read it as a formula)",
            &id[..1]
        ));
    }
    None
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
