//! `service_packages.csv` (optional): the service promised by region tier, customer tier
//! and service kind (docs/formats.md, "service_packages.csv").

use super::table::{Problems, Table};
use crate::model::{
    CustomerTier, PackageKey, ServiceKind, ServiceMode, ServicePackage, Tier, MAX_HOURS, MAX_KM,
    MAX_PRIORITY_WEIGHT,
};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// The columns every row must have.
const REQUIRED: [&str; 7] = [
    "region_tier",
    "customer_tier",
    "service_kind",
    "modes",
    "response_hours",
    "follow_up_share",
    "priority_weight",
];

/// Reads `<dir>/service_packages.csv` (or `.json`); `None` when there is no such file.
/// Every bad cell is reported with file, line and column.
pub fn read_packages(dir: &Path) -> Result<Option<Vec<ServicePackage>>> {
    let mut problems = Problems::default();
    let Some(t) = Table::find(dir, "service_packages", &mut problems)? else {
        problems.finish()?;
        return Ok(None);
    };
    let out = parse(&t, &mut problems);
    problems.finish()?;
    Ok(Some(out))
}

/// Parses service packages from CSV text (as read from a file named `source`).
pub fn packages_from_csv(source: &str, text: &[u8]) -> Result<Vec<ServicePackage>> {
    let mut problems = Problems::default();
    let table = Table::parse_csv(source, text, &mut problems);
    let out = parse(&table, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Parses service packages from a data frame's typed columns (`frame.source` names it).
pub fn packages_from_frame(frame: &std::sync::Arc<super::Frame>) -> Result<Vec<ServicePackage>> {
    let mut problems = Problems::default();
    let rows: Vec<usize> = (0..frame.rows).collect();
    let table = super::frame::frame_table(frame, &rows, &mut problems);
    let out = parse(&table, &mut problems);
    problems.finish()?;
    Ok(out)
}

fn parse(t: &Table, problems: &mut Problems) -> Vec<ServicePackage> {
    let mut out = Vec::new();
    if !t.require(&REQUIRED, problems) {
        return out;
    }
    let mut seen: BTreeMap<PackageKey, Option<u64>> = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let region_tier = c.parse::<Tier>("region_tier");
        let customer_tier = c.parse::<CustomerTier>("customer_tier");
        let kind = match c.raw("service_kind").into_owned().as_str() {
            "*" => Some(None),
            _ => c.parse::<ServiceKind>("service_kind").map(Some),
        };
        let mut on_site = false;
        let mut carry_in = false;
        let modes = c.list("modes");
        if modes.is_empty() {
            c.fail(
                "modes",
                "expected on_site, carry_in or both (separated by ';')",
            );
        }
        for m in &modes {
            match m.parse::<ServiceMode>() {
                Ok(ServiceMode::OnSite) => on_site = true,
                Ok(ServiceMode::CarryIn) => carry_in = true,
                Err(e) => c.fail("modes", e),
            }
        }
        let carry_in_km = if carry_in {
            c.number(
                "carry_in_km",
                &format!("km in (0, {MAX_KM}] (carry_in is allowed)"),
                |x| x > 0.0 && x <= MAX_KM,
            )
        } else {
            c.opt_number("carry_in_km", "km in (0, 20040]", |x| {
                x > 0.0 && x <= MAX_KM
            })
            .map(|v| v.unwrap_or(0.0))
        };
        let response_hours = c.number(
            "response_hours",
            &format!("hours in (0, {MAX_HOURS}]"),
            |x| x > 0.0 && x <= MAX_HOURS,
        );
        let follow_up_share = c.number("follow_up_share", "a share in [0, 1]", |x| {
            (0.0..=1.0).contains(&x)
        });
        let priority_weight = c.number(
            "priority_weight",
            &format!("a weight in (0, {MAX_PRIORITY_WEIGHT}]"),
            |x| x > 0.0 && x <= MAX_PRIORITY_WEIGHT,
        );
        let (
            Some(region_tier),
            Some(customer_tier),
            Some(kind),
            Some(carry_in_km),
            Some(response_hours),
            Some(follow_up_share),
            Some(priority_weight),
        ) = (
            region_tier,
            customer_tier,
            kind,
            carry_in_km,
            response_hours,
            follow_up_share,
            priority_weight,
        )
        else {
            continue;
        };
        let key = PackageKey {
            region_tier,
            customer_tier,
            kind,
        };
        c.set_record(&key.to_string());
        if let Some(first) = seen.get(&key) {
            let first = first
                .map(|l| format!(" (first on line {l})"))
                .unwrap_or_default();
            c.fail("service_kind", format!("duplicate package {key}{first}"));
            continue;
        }
        seen.insert(key, c.line());
        if !modes.is_empty() && (on_site || carry_in) {
            out.push(ServicePackage {
                key,
                on_site,
                carry_in,
                carry_in_km,
                response_hours,
                follow_up_share,
                priority_weight,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::packages_from_csv;

    const HEAD: &str = "region_tier,customer_tier,service_kind,modes,carry_in_km,response_hours,follow_up_share,priority_weight\n";

    #[test]
    fn a_good_file_reads_every_row() {
        let text = format!(
            "{HEAD}A,vip,*,on_site,,24,0.2,3\nC,standard,repair,carry_in;on_site,40,72,0.05,1\n"
        );
        let p = packages_from_csv("service_packages.csv", text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.len(), 2);
        assert!(p[1].carry_in && p[1].on_site);
        assert_eq!(p[1].carry_in_km, 40.0);
    }

    #[test]
    fn every_bad_cell_is_named_by_file_line_and_column() {
        let text = format!(
            "{HEAD}D,vip,*,on_site,,24,0.2,3\nA,gold,fix,teleport,,0,1.5,-1\nB,vip,*,carry_in,,24,0.1,2\nA,vip,*,on_site,,24,0.2,3\nA,vip,*,on_site,,24,0.2,3\n"
        );
        let e = packages_from_csv("service_packages.csv", text.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for part in [
            "service_packages.csv",
            "service_packages.csv:2 field 'region_tier'",
            "region_tier",
            "service_packages.csv:3",
            "customer_tier",
            "service_kind",
            "modes",
            "response_hours",
            "follow_up_share",
            "priority_weight",
            "service_packages.csv:4",
            "carry_in_km",
            "service_packages.csv:6",
            "duplicate package A/vip/* (first on line 5)",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
    }
}
