//! Plain, validated domain data: skills, outlets, regions, tickets, the network, and the
//! planning inputs (installed base, repair curves, sales plan, seasonality).
//!
//! Records are plain serde structs with the caller's string ids. Building a [`Network`]
//! validates everything once and interns ids to dense indices (outlets and regions sorted
//! by id, so "lowest index" is "lowest id" when breaking ties); algorithms never re-check.

mod network;
mod package;
mod planning;
mod ring;
mod skill;
mod ticket;

pub(crate) use network::polygon_problem;
pub use network::{
    parse_time_zone, Network, Outlet, OutletSkill, OutletStatus, Region, ServiceArea, Tier,
    DEFAULT_PRIOR_WEIGHT, DEFAULT_TIME_ZONE, MAX_COST, MAX_HOURS, MAX_KM, MAX_POPULATION,
};
pub use package::{PackageKey, ServiceMode, ServicePackage, MAX_PRIORITY_WEIGHT};
pub use planning::{
    InstalledBaseRow, PlanningData, Product, RepairCurve, RepairHistoryRow, RetirementCurve,
    SalesPlanRow, Seasonality, ServiceRate, MAX_RATE, MAX_SHAPE, MAX_UNITS, MAX_YEARS_PARAM, YEARS,
};
pub(crate) use skill::skill_parts;
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

/// Whether [`id_problem`] finds nothing wrong with `id`, without building a message.
/// The dispatcher asks this of every ticket: ids of printable ASCII (the usual case)
/// are judged in one pass over the bytes (an id with other characters takes the full
/// check).
pub(crate) fn id_ok(id: &str) -> bool {
    let bytes = id.as_bytes();
    // Printable ASCII but ';', without an early exit (the compiler vectorises it).
    let plain = bytes.iter().fold(true, |ok, &b| {
        ok & (b.wrapping_sub(0x20) < 0x5F) & (b != b';')
    });
    match bytes.first() {
        Some(first) if plain && bytes.len() <= MAX_ID_LEN => {
            !matches!(first, b'=' | b'+' | b'-' | b'@')
        }
        _ => id_problem(id).is_none(),
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

#[cfg(test)]
mod tests {
    use super::{id_ok, id_problem, MAX_ID_LEN};
    use proptest::prelude::*;

    #[test]
    fn the_quick_id_check_refuses_what_the_full_check_names() {
        for bad in [
            "", "a;b", "a\u{0}b", "a\tb", "a\u{85}b", "=SUM(A1)", "-1", "+x", "@x",
        ] {
            assert!(!id_ok(bad), "{bad:?}");
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
        assert!(!id_ok(&"x".repeat(MAX_ID_LEN + 1)));
        for good in [
            "T-1",
            "R-A1",
            "客户 7",
            "a=b",
            "x".repeat(MAX_ID_LEN).as_str(),
        ] {
            assert!(id_ok(good), "{good:?}");
        }
    }

    proptest! {
        #[test]
        fn the_quick_id_check_agrees_with_the_full_check(
            id in "[ -~;=+@\\-\u{0}-\u{1f}\u{7f}-\u{a0}é客]{0,8}|[a-z]{195,205}"
        ) {
            prop_assert_eq!(id_ok(&id), id_problem(&id).is_none(), "{:?}", id);
        }
    }
}
