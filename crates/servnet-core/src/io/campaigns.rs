//! `campaigns.csv` (or `.json`): proactive maintenance, inspection and recall campaigns
//! (the input of `servnet campaign`; see docs/formats.md).

use super::frame::{frame_table, Frame};
use super::table::{Cells, Problems, Table};
use crate::campaign::{Campaign, MAX_EFFECT_MONTHS, MAX_MINUTES};
use crate::model::{Network, MAX_COST};
use crate::Result;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Most campaigns accepted in one file.
pub const MAX_CAMPAIGNS: usize = 10_000;

/// Reads `<dir>/campaigns.csv` (or `.json`); `Ok(None)` when the folder has neither.
pub fn read_campaigns_in(dir: &Path, network: &Network) -> Result<Option<Vec<Campaign>>> {
    let mut problems = Problems::default();
    let out =
        Table::find(dir, "campaigns", &mut problems)?.map(|t| parse(&t, network, &mut problems));
    problems.finish()?;
    Ok(out)
}

/// The campaigns of a data frame (standing for `campaigns.csv`), read and checked as
/// the file; row `r` is reported as line `r + 2` of the frame's `source`.
pub fn campaigns_from_frame(frame: &Arc<Frame>, network: &Network) -> Result<Vec<Campaign>> {
    let mut problems = Problems::default();
    let rows: Vec<usize> = (0..frame.rows).collect();
    let t = frame_table(frame, &rows, &mut problems);
    let out = parse(&t, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Reads a campaigns file (.csv, or .json: an array of objects with the same fields);
/// every bad cell is reported with file, row and column.
pub fn read_campaigns(path: &Path, network: &Network) -> Result<Vec<Campaign>> {
    let mut problems = Problems::default();
    let t = Table::read_by_extension(path, &mut problems)?;
    let out = parse(&t, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Parses campaigns from CSV text (as read from a file named `source`).
pub fn campaigns_from_csv(source: &str, text: &[u8], network: &Network) -> Result<Vec<Campaign>> {
    let mut problems = Problems::default();
    let t = Table::parse_csv(source, text, &mut problems);
    let out = parse(&t, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

fn date(c: &mut Cells<'_>, col: &str) -> Option<NaiveDate> {
    let v = c.text(col)?;
    match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
        Ok(d) if (1900..=2200).contains(&d.year()) => Some(d),
        _ => {
            c.fail(
                col,
                format!("expected a date YYYY-MM-DD (years 1900..=2200), got '{v}'"),
            );
            None
        }
    }
}

fn parse(t: &Table, network: &Network, problems: &mut Problems) -> Vec<Campaign> {
    let mut out = Vec::new();
    if !t.require(
        &[
            "id",
            "models",
            "vintage_from",
            "vintage_to",
            "action",
            "start",
            "deadline",
            "minutes_per_unit",
            "cost_per_unit",
            "effect_share",
            "effect_months",
        ],
        problems,
    ) {
        return out;
    }
    let mut seen: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for (i, row) in t.rows.iter().enumerate() {
        let mut c = t.cells(row, problems);
        if i >= MAX_CAMPAIGNS {
            c.fail(
                "id",
                format!("more than {MAX_CAMPAIGNS} campaigns in one file"),
            );
            break;
        }
        let id = c.id("id");
        let models = c.list("models");
        if models.is_empty() {
            c.fail("models", "expected one or more models separated by ';'");
        }
        let regions = c.list("regions");
        for r in &regions {
            if network.region_index(r).is_none() {
                c.fail("regions", format!("unknown region '{r}'"));
            }
        }
        let vintage_from = c.whole("vintage_from", 1900, 2200);
        let vintage_to = c.whole("vintage_to", 1900, 2200);
        let action = c.parse("action");
        let start = date(&mut c, "start");
        let deadline = date(&mut c, "deadline");
        let minutes = c.number(
            "minutes_per_unit",
            &format!("minutes in (0, {MAX_MINUTES}]"),
            |x| x > 0.0 && x <= MAX_MINUTES,
        );
        let cost = c.number("cost_per_unit", "a cost >= 0", |x| {
            (0.0..=MAX_COST).contains(&x)
        });
        let share = c.number("effect_share", "a share in 0..=1", |x| {
            (0.0..=1.0).contains(&x)
        });
        let months = c.whole("effect_months", 1, i64::from(MAX_EFFECT_MONTHS));
        let reach = c
            .opt_number("reach", "a share in (0, 1]", |x| x > 0.0 && x <= 1.0)
            .map(|r| r.unwrap_or(1.0));
        if let Some(id) = &id {
            if let Some(first) = seen.get(id) {
                let first = first
                    .map(|l| format!(" (first on line {l})"))
                    .unwrap_or_default();
                c.fail("id", format!("duplicate campaign id '{id}'{first}"));
            } else {
                seen.insert(id.clone(), c.line());
            }
        }
        let (
            Some(id),
            Some(vintage_from),
            Some(vintage_to),
            Some(action),
            Some(start),
            Some(deadline),
            Some(minutes_per_unit),
            Some(cost_per_unit),
            Some(effect_share),
            Some(effect_months),
            Some(reach),
        ) = (
            id,
            vintage_from,
            vintage_to,
            action,
            start,
            deadline,
            minutes,
            cost,
            share,
            months,
            reach,
        )
        else {
            continue;
        };
        let camp = Campaign {
            id,
            models,
            vintage_from: vintage_from as i32,
            vintage_to: vintage_to as i32,
            regions,
            action,
            start,
            deadline,
            minutes_per_unit,
            cost_per_unit,
            effect_share,
            effect_months: effect_months as u32,
            reach,
        };
        // Cross-field rules (window, vintage order) name their field.
        for (field, message) in camp.problems() {
            c.fail(field, message);
        }
        if c.failed {
            continue;
        }
        out.push(camp);
    }
    out
}
