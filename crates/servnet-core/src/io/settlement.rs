//! `fee_schedule.csv` (fees by service kind, region tier and outlet) and the bookings a
//! settlement statement is made from (`servnet settle --bookings`).

use super::table::{Cells, Problems, Table};
use crate::cost::{Booking, FeeRule, FeeSchedule};
use crate::model::{Network, ServiceKind, Skill, Ticket, Tier};
use crate::Result;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest accepted fee or fee per km.
pub const MAX_FEE: f64 = 1e7;

/// Largest accepted road distance of one booking, in km.
pub const MAX_ROAD_KM: f64 = 20_000.0;

/// Reads `<dir>/fee_schedule.csv` (or `.json`); none: the default schedule.
pub fn read_fee_schedule(dir: &Path, network: &Network) -> Result<FeeSchedule> {
    let mut problems = Problems::default();
    let rules = match Table::find(dir, "fee_schedule", &mut problems)? {
        Some(t) => parse_rules(&t, network, &mut problems),
        None => Vec::new(),
    };
    problems.finish()?;
    Ok(FeeSchedule::new(rules).unwrap_or_default())
}

/// Parses a fee schedule from CSV text (as read from a file named `source`).
pub fn fee_schedule_from_csv(source: &str, text: &[u8], network: &Network) -> Result<FeeSchedule> {
    let mut problems = Problems::default();
    let t = Table::parse_csv(source, text, &mut problems);
    let rules = parse_rules(&t, network, &mut problems);
    problems.finish()?;
    Ok(FeeSchedule::new(rules).unwrap_or_default())
}

fn fee(c: &mut Cells<'_>, col: &str) -> Option<Option<f64>> {
    c.opt_number(col, "an amount in 0..=1e7", |x| {
        (0.0..=MAX_FEE).contains(&x)
    })
}

fn parse_rules(t: &Table, network: &Network, problems: &mut Problems) -> Vec<FeeRule> {
    let mut out = Vec::new();
    if !t.require(&["kind", "fee"], problems) {
        return out;
    }
    let mut seen: BTreeMap<(Option<String>, ServiceKind, Option<Tier>), Option<u64>> =
        BTreeMap::new();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let outlet = c.opt_text("outlet_id").filter(|o| o != "*");
        if let Some(o) = &outlet {
            c.set_record(o);
            if network.outlet_index(o).is_none() {
                c.fail("outlet_id", format!("unknown outlet '{o}'"));
            }
        }
        let kind = c.parse::<ServiceKind>("kind");
        let tier = match c.opt_text("tier").filter(|t| t != "*") {
            Some(v) => match v.parse::<Tier>() {
                Ok(t) => Some(Some(t)),
                Err(m) => {
                    c.fail("tier", m);
                    None
                }
            },
            None => Some(None),
        };
        let fee_v = c.number("fee", "an amount in 0..=1e7", |x| {
            (0.0..=MAX_FEE).contains(&x)
        });
        let extra = fee(&mut c, "extra_unit_fee");
        let per_km = fee(&mut c, "per_km");
        let (Some(kind), Some(tier), Some(f), Some(extra), Some(per_km)) =
            (kind, tier, fee_v, extra, per_km)
        else {
            continue;
        };
        let key = (outlet.clone(), kind, tier);
        if let Some(first) = seen.get(&key) {
            let first = first
                .map(|l| format!(" (first on line {l})"))
                .unwrap_or_default();
            c.fail(
                "kind",
                format!(
                    "duplicate fee for outlet '{}', kind {}, tier {}{first}",
                    outlet.as_deref().unwrap_or("*"),
                    kind.as_str(),
                    tier.map_or("*", Tier::as_str)
                ),
            );
            continue;
        }
        seen.insert(key, c.line());
        if c.failed {
            continue;
        }
        out.push(FeeRule {
            outlet,
            kind,
            tier,
            fee: f,
            extra_unit_fee: extra.unwrap_or(0.0),
            per_km,
        });
    }
    out
}

/// Reads the bookings to settle from `path` (.csv or .json): a `servnet dispatch` or
/// `servnet assign` output, or any file with the columns of docs/formats.md
/// ("Bookings to settle"). Rows without an outlet (unassigned) and rows whose `status`
/// is not `completed` (when the column exists) are skipped; `skill`, `region` and
/// `units` default to the ticket's in `tickets`.
pub fn read_bookings(path: &Path, network: &Network, tickets: &[Ticket]) -> Result<Vec<Booking>> {
    let mut problems = Problems::default();
    let t = Table::read_by_extension(path, &mut problems)?;
    let out = parse_bookings(&t, network, tickets, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// Parses bookings from CSV text (as read from a file named `source`).
pub fn bookings_from_csv(
    source: &str,
    text: &[u8],
    network: &Network,
    tickets: &[Ticket],
) -> Result<Vec<Booking>> {
    let mut problems = Problems::default();
    let t = Table::parse_csv(source, text, &mut problems);
    let out = parse_bookings(&t, network, tickets, &mut problems);
    problems.finish()?;
    Ok(out)
}

/// A date `YYYY-MM-DD`, or the date of a `YYYY-MM-DDTHH:MM[:SS]` time.
fn parse_day(c: &mut Cells<'_>, col: &str) -> Option<NaiveDate> {
    let v = c.text(col)?;
    let d = v
        .get(..10)
        .and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok())
        .filter(|_| v.len() == 10 || super::parse_time(&v).is_some());
    if d.is_none() {
        c.fail(col, format!("expected a date YYYY-MM-DD, got '{v}'"));
    }
    d
}

fn parse_bookings(
    t: &Table,
    network: &Network,
    tickets: &[Ticket],
    problems: &mut Problems,
) -> Vec<Booking> {
    let mut out = Vec::new();
    if !t.require(&["ticket_id", "outlet_id"], problems) {
        return out;
    }
    let date_col = ["completed_at", "date"].into_iter().find(|c| t.has(c));
    let km_col = ["road_km", "distance_km"].into_iter().find(|c| t.has(c));
    let (Some(date_col), Some(km_col)) = (date_col, km_col) else {
        let missing = if date_col.is_none() {
            "date"
        } else {
            "distance_km"
        };
        t.require(&[missing], problems);
        return out;
    };
    let detour = if km_col == "road_km" {
        1.0
    } else {
        crate::cost::DEFAULT_DETOUR
    };
    let by_id: BTreeMap<&str, &Ticket> = tickets.iter().map(|t| (t.id.as_str(), t)).collect();
    for row in &t.rows {
        let mut c = t.cells(row, problems);
        let Some(id) = c.id("ticket_id") else {
            continue;
        };
        let Some(outlet) = c.opt_text("outlet_id") else {
            continue; // unassigned
        };
        if let Some(s) = c.opt_text("status") {
            if s != "completed" {
                continue;
            }
        }
        if network.outlet_index(&outlet).is_none() {
            c.fail("outlet_id", format!("unknown outlet '{outlet}'"));
        }
        let ticket = by_id.get(id.as_str()).copied();
        let skill = match c.opt_text("skill") {
            Some(_) => c.parse::<Skill>("skill"),
            None => match ticket {
                Some(t) => match t.skill.parse::<Skill>() {
                    Ok(s) => Some(s),
                    Err(m) => {
                        c.fail("skill", m);
                        None
                    }
                },
                None => {
                    c.fail(
                        "skill",
                        format!("no skill column and ticket '{id}' is not in the tickets file"),
                    );
                    None
                }
            },
        };
        let region = c
            .opt_text("region")
            .or_else(|| ticket.map(|t| t.region.clone()));
        let tier = match &region {
            Some(r) => {
                let tier = crate::cost::region_tier(network, r);
                if tier.is_none() {
                    c.fail("region", format!("unknown region '{r}'"));
                }
                tier
            }
            None => None,
        };
        let units = match c.opt_text("units") {
            Some(_) => c
                .whole("units", 1, 10_000)
                .and_then(|u| u32::try_from(u).ok()),
            None => Some(ticket.map_or(1, |t| t.units)),
        };
        let date = parse_day(&mut c, date_col);
        let km = c.number(km_col, "a distance in 0..=20000 km", |x| {
            (0.0..=MAX_ROAD_KM).contains(&x)
        });
        let travel = match c.opt_text("mode").as_deref() {
            None | Some("on_site") => Some(true),
            Some("carry_in") => Some(false),
            Some(other) => {
                c.fail(
                    "mode",
                    format!("expected on_site or carry_in, got '{other}'"),
                );
                None
            }
        };
        let sla_met = match c.opt_text("sla_met").as_deref() {
            None => Some(None),
            Some("true") | Some("1") => Some(Some(true)),
            Some("false") | Some("0") => Some(Some(false)),
            Some(other) => {
                c.fail("sla_met", format!("expected true or false, got '{other}'"));
                None
            }
        };
        if c.failed {
            continue;
        }
        let (Some(skill), Some(units), Some(date), Some(km), Some(travel), Some(sla_met)) =
            (skill, units, date, km, travel, sla_met)
        else {
            continue;
        };
        out.push(Booking {
            ticket_id: id,
            outlet_id: outlet,
            date,
            skill,
            tier,
            units,
            road_km: km * detour,
            travel,
            sla_met,
        });
    }
    out
}
