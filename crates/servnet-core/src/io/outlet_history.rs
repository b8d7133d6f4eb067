//! `outlet_history.csv`: each outlet's record by month (the input of `servnet review`),
//! the optional `status_since` column of `outlets.csv`, and a review's actions file read
//! back (`servnet plan --closed-by`).

use super::table::{Cells, Problems, Table};
use crate::model::Network;
use crate::review::{Action, OutletHistory, OutletMonth};
use crate::Result;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::path::Path;

/// Largest accepted monthly ticket, complaint or rating count of one outlet.
pub const MAX_MONTHLY: i64 = 10_000_000;

/// Reads `<dir>/outlet_history.csv` (or `.json`; none: no months) and the `status_since`
/// column of `<dir>/outlets.csv`; every bad cell of both is reported.
pub fn read_outlet_history(dir: &Path, network: &Network) -> Result<OutletHistory> {
    let mut problems = Problems::default();
    let mut out = OutletHistory::default();
    if let Some(t) = Table::find(dir, "outlet_history", &mut problems)? {
        out.months = parse_months(&t, network, &mut problems);
    }
    if let Some(t) = Table::find(dir, "outlets", &mut problems)? {
        out.status_since = parse_since(&t, &mut problems);
    }
    problems.finish()?;
    Ok(out)
}

/// Parses outlet history rows from CSV text (as read from a file named `source`).
pub fn outlet_history_from_csv(
    source: &str,
    text: &[u8],
    network: &Network,
) -> Result<Vec<OutletMonth>> {
    let mut problems = Problems::default();
    let table = Table::parse_csv(source, text, &mut problems);
    let out = parse_months(&table, network, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Reads a review's actions (`outlet_id`, `action` columns; .csv or .json), e.g. the
/// `--out` of `servnet review`, possibly edited by hand.
pub fn read_review_actions(path: &Path) -> Result<Vec<(String, Action)>> {
    let mut problems = Problems::default();
    let t = Table::read_by_extension(path, &mut problems)?;
    let mut out = Vec::new();
    if t.require(&["outlet_id", "action"], &mut problems) {
        for row in &t.rows {
            let mut c = t.cells(row, &mut problems);
            let id = c.id("outlet_id");
            let action = c.parse::<Action>("action");
            if let (Some(id), Some(a)) = (id, action) {
                out.push((id, a));
            }
        }
    }
    problems.finish()?;
    Ok(out)
}

fn parse_month(c: &mut Cells<'_>) -> Option<NaiveDate> {
    let v = c.text("month")?;
    let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .ok()
        .filter(|d| d.day() == 1)
        .or_else(|| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok())
        .filter(|d| (1900..=2200).contains(&d.year()));
    if d.is_none() {
        c.fail(
            "month",
            format!("expected a month YYYY-MM (years 1900..=2200), got '{v}'"),
        );
    }
    d
}

fn parse_months(t: &Table, network: &Network, problems: &mut Problems) -> Vec<OutletMonth> {
    let mut out = Vec::new();
    if !t.require(
        &[
            "outlet_id",
            "month",
            "tickets",
            "sla_met",
            "rating_count",
            "complaints",
            "repeat_repairs_30d",
        ],
        problems,
    ) {
        return out;
    }
    let mut seen: BTreeMap<(String, NaiveDate), Option<u64>> = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let id = c.id("outlet_id");
        let month = parse_month(&mut c);
        let tickets = c.whole("tickets", 0, MAX_MONTHLY);
        let sla_met = c.whole("sla_met", 0, MAX_MONTHLY);
        let rating_count = c.whole("rating_count", 0, MAX_MONTHLY);
        let complaints = c.whole("complaints", 0, MAX_MONTHLY);
        let repeats = c.whole("repeat_repairs_30d", 0, MAX_MONTHLY);
        if let (Some(t), Some(s)) = (tickets, sla_met) {
            if s > t {
                c.fail("sla_met", format!("sla_met {s} is more than tickets {t}"));
            }
        }
        if let (Some(t), Some(r)) = (tickets, repeats) {
            if r > t {
                c.fail(
                    "repeat_repairs_30d",
                    format!("repeat_repairs_30d {r} is more than tickets {t}"),
                );
            }
        }
        // Ratings: a sum (1..=5 each) or a mean.
        let rating_sum = match (
            c.raw("rating_sum").is_empty(),
            c.raw("rating_mean").is_empty(),
        ) {
            (false, _) => c
                .number("rating_sum", "a rating sum >= 0", |x| x >= 0.0)
                .and_then(|s| {
                    let n = rating_count? as f64;
                    if s < n || s > 5.0 * n {
                        c.fail(
                            "rating_sum",
                            format!(
                                "expected {n}..={} for {n} ratings of 1..=5, got {s}",
                                5.0 * n
                            ),
                        );
                        return None;
                    }
                    Some(s)
                }),
            (true, false) => c
                .number("rating_mean", "a mean rating in 1..=5", |x| {
                    (1.0..=5.0).contains(&x)
                })
                .and_then(|m| Some(m * rating_count? as f64)),
            (true, true) => match rating_count {
                Some(0) => Some(0.0),
                Some(_) => {
                    c.fail(
                        "rating_sum",
                        "rating_count > 0 needs a rating_sum or rating_mean",
                    );
                    None
                }
                None => None,
            },
        };
        if let Some(id) = &id {
            if network.outlet_index(id).is_none() {
                c.fail("outlet_id", format!("unknown outlet '{id}'"));
            }
            if let Some(m) = month {
                let key = (id.clone(), m);
                if let Some(first) = seen.get(&key) {
                    let first = first
                        .map(|l| format!(" (first on line {l})"))
                        .unwrap_or_default();
                    c.fail(
                        "month",
                        format!(
                            "duplicate month {} for outlet '{id}'{first}",
                            m.format("%Y-%m")
                        ),
                    );
                } else {
                    seen.insert(key, c.line());
                }
            }
        }
        if c.failed {
            continue;
        }
        let (Some(id), Some(month), Some(t), Some(s), Some(rc), Some(rs), Some(co), Some(re)) = (
            id,
            month,
            tickets,
            sla_met,
            rating_count,
            rating_sum,
            complaints,
            repeats,
        ) else {
            continue;
        };
        out.push(OutletMonth {
            outlet_id: id,
            month,
            tickets: t as u32,
            sla_met: s as u32,
            rating_sum: rs,
            rating_count: rc as u32,
            complaints: co as u32,
            repeat_repairs_30d: re as u32,
        });
    }
    out.sort_by(|a, b| (&a.outlet_id, a.month).cmp(&(&b.outlet_id, b.month)));
    out
}

fn parse_since(t: &Table, problems: &mut Problems) -> BTreeMap<String, NaiveDate> {
    let mut out = BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let raw = c.raw("status_since").to_string();
        if raw.is_empty() {
            continue;
        }
        let id = c.raw("id").to_string();
        c.set_record(&id);
        match NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
            Ok(d) if (1900..=2200).contains(&d.year()) => {
                out.insert(id, d);
            }
            _ => c.fail(
                "status_since",
                format!("expected a date YYYY-MM-DD (years 1900..=2200), got '{raw}'"),
            ),
        }
    }
    out
}
