use super::frame::{Frame, Tables};
use super::network::LineBook;
use super::table::Problems;
use crate::model::{
    InstalledBaseRow, Network, PlanningData, Product, RepairCurve, RepairHistoryRow,
    RetirementCurve, SalesPlanRow, ServiceKind, ServiceRate, MAX_RATE, MAX_SHAPE, MAX_UNITS,
    MAX_YEARS_PARAM,
};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Reads the planning files of `dir` (products, repair_rates, installed_base,
/// sales_plan, seasonality, and the optional retirement, service_rates and
/// repair_history); missing files give empty parts.
pub fn read_planning(dir: &Path, network: &Network) -> Result<PlanningData> {
    planning_in(Tables::Dir(dir), network)
}

/// The planning data of `frames` (a data frame per planning file, each named by its
/// `source`: `products.csv`, `repair_rates.csv`, ...), read and checked exactly as
/// [`read_planning`] reads the files of those names; row `r` is reported as line `r + 2`.
pub fn planning_from_frames(frames: &[Arc<Frame>], network: &Network) -> Result<PlanningData> {
    planning_in(Tables::Frames(frames), network)
}

fn planning_in(dir: Tables<'_>, network: &Network) -> Result<PlanningData> {
    let mut problems = Problems::default();
    let mut lines = LineBook::default();
    let mut data = PlanningData::default();

    let mut rates: BTreeMap<String, BTreeMap<u32, f64>> = BTreeMap::new();
    // File and first line of each model's rates, for "rates of a non-table model".
    let mut rate_lines: BTreeMap<String, (String, Option<u64>)> = BTreeMap::new();
    if let Some(t) = dir.find("repair_rates", &mut problems)? {
        if t.require(&["model", "age", "rate"], &mut problems) {
            for row in &t.rows {
                let mut c = t.cells(row, &mut problems);
                // Every cell is read (and every bad one reported) before the row is judged.
                let (model, age, rate) = (c.text("model"), c.whole("age", 0, 200), rate(&mut c));
                let r = (|| Some((model?, age? as u32, rate?)))();
                if let (Some((m, age, rate)), false) = (r, c.failed) {
                    rate_lines
                        .entry(m.clone())
                        .or_insert_with(|| (t.source.clone(), row.line));
                    if rates
                        .entry(m.clone())
                        .or_default()
                        .insert(age, rate)
                        .is_some()
                    {
                        c.fail("age", format!("duplicate age {age} for model '{m}'"));
                    }
                }
            }
        }
    }
    if let Some(t) = dir.find("products", &mut problems)? {
        if t.require(&["model", "category", "curve"], &mut problems) {
            for row in &t.rows {
                let mut c = t.cells(row, &mut problems);
                let (model, category) = (c.id("model"), c.text("category"));
                let p = (|| {
                    let model = model.clone()?;
                    let curve = match c.raw("curve").into_owned().as_str() {
                        "weibull" => RepairCurve::Weibull {
                            shape: c.number("weibull_shape", "a shape in (0, 100]", |x| {
                                x > 0.0 && x <= MAX_SHAPE
                            })?,
                            scale: c.number(
                                "weibull_scale",
                                "a scale in years in (0, 1000]",
                                |x| x > 0.0 && x <= MAX_YEARS_PARAM,
                            )?,
                        },
                        "table" => {
                            let by_age = rates.remove(&model).unwrap_or_default();
                            if by_age.is_empty() {
                                c.fail(
                                    "curve",
                                    "curve is 'table' but repair_rates has no rows for this model",
                                );
                                return None;
                            }
                            // Fill gaps between listed ages with the previous rate.
                            let last = by_age.keys().next_back().copied().unwrap_or(0);
                            let mut table = Vec::with_capacity(last as usize + 1);
                            let mut cur = by_age.values().next().copied().unwrap_or(0.0);
                            for a in 0..=last {
                                cur = by_age.get(&a).copied().unwrap_or(cur);
                                table.push(cur);
                            }
                            RepairCurve::Table(table)
                        }
                        other => {
                            c.fail("curve", format!("expected table or weibull, got '{other}'"));
                            return None;
                        }
                    };
                    Some(Product {
                        model,
                        category: category?,
                        curve,
                    })
                })();
                if let (Some(p), false) = (p, c.failed) {
                    lines.note("products", &t.source, &p.model, row.line);
                    data.products.push(p);
                }
            }
        }
    }
    for m in rates.keys() {
        let (source, line) = rate_lines.get(m).cloned().unwrap_or_default();
        problems.add(
            crate::Location {
                source,
                record: Some(m.clone()),
                field: Some("model".into()),
                line,
            },
            format!("model '{m}' has rates but is not a 'table' model in products"),
        );
    }
    if let Some(t) = dir.find("installed_base", &mut problems)? {
        if t.require(
            &["region", "model", "category", "vintage", "units"],
            &mut problems,
        ) {
            for row in &t.rows {
                let mut c = t.cells(row, &mut problems);
                let (region, model, category) =
                    (c.text("region"), c.text("model"), c.text("category"));
                let (vintage, units) = (c.whole("vintage", 1900, 2200), units(&mut c, "units"));
                let r = (|| {
                    Some(InstalledBaseRow {
                        region: region?,
                        model: model?,
                        category: category?,
                        vintage: vintage? as i32,
                        units: units?,
                    })
                })();
                if let (Some(r), false) = (r, c.failed) {
                    lines.note(
                        "installed_base",
                        &t.source,
                        format!("{}/{}/{}", r.region, r.model, r.vintage),
                        row.line,
                    );
                    data.installed_base.push(r);
                }
            }
        }
    }
    if let Some(t) = dir.find("sales_plan", &mut problems)? {
        if t.require(&["region", "model", "year", "units"], &mut problems) {
            for row in &t.rows {
                let mut c = t.cells(row, &mut problems);
                let (region, model) = (c.text("region"), c.text("model"));
                let (year, units) = (c.whole("year", 1900, 2200), units(&mut c, "units"));
                let r = (|| {
                    Some(SalesPlanRow {
                        region: region?,
                        model: model?,
                        year: year? as i32,
                        units: units?,
                    })
                })();
                if let (Some(r), false) = (r, c.failed) {
                    lines.note(
                        "sales_plan",
                        &t.source,
                        format!("{}/{}/{}", r.region, r.model, r.year),
                        row.line,
                    );
                    data.sales_plan.push(r);
                }
            }
        }
    }
    if let Some(t) = dir.find("seasonality", &mut problems)? {
        if t.require(&["category", "month", "share"], &mut problems) {
            for row in &t.rows {
                let mut c = t.cells(row, &mut problems);
                let (category, month) = (c.text("category"), c.whole("month", 1, 12));
                let share = c.number("share", "a share in 0..=1", |x| (0.0..=1.0).contains(&x));
                let r = (|| Some((category?, month? as usize, share?)))();
                if let (Some((cat, month, share)), false) = (r, c.failed) {
                    lines.note("seasonality", &t.source, &cat, row.line);
                    data.seasonality.entry(cat).or_insert([0.0; 12])[month - 1] = share;
                }
            }
        }
    }
    read_extras(dir, &mut data, &mut problems, &mut lines)?;
    problems.finish()?;
    data.validate(network).map_err(|e| lines.locate(e))?;
    Ok(data)
}

/// `retirement`, `service_rates` and `repair_history` (all optional).
fn read_extras(
    dir: Tables<'_>,
    data: &mut PlanningData,
    problems: &mut Problems,
    lines: &mut LineBook,
) -> Result<()> {
    if let Some(t) = dir.find("retirement", problems)? {
        if t.require(&["category", "life", "shape"], problems) {
            for row in &t.rows {
                let mut c = t.cells(row, problems);
                let category = c.text("category");
                let life = c.number("life", "a life in years in (0, 1000]", |x| {
                    x > 0.0 && x <= MAX_YEARS_PARAM
                });
                let shape = c.number("shape", "a shape in (0, 100]", |x| {
                    x > 0.0 && x <= MAX_SHAPE
                });
                let r = (|| {
                    Some((
                        category?,
                        RetirementCurve {
                            life: life?,
                            shape: shape?,
                        },
                    ))
                })();
                if let (Some((cat, curve)), false) = (r, c.failed) {
                    if data.retirement.insert(cat.clone(), curve).is_some() {
                        c.fail("category", format!("duplicate category '{cat}'"));
                    }
                    lines.note("retirement", &t.source, &cat, row.line);
                }
            }
        }
    }
    if let Some(t) = dir.find("service_rates", problems)? {
        if t.require(&["category", "kind", "rate"], problems) {
            for row in &t.rows {
                let mut c = t.cells(row, problems);
                let (category, kind) = (c.text("category"), c.parse::<ServiceKind>("kind"));
                let rate = rate(&mut c);
                let r = (|| {
                    Some(ServiceRate {
                        category: category?,
                        kind: kind?,
                        rate: rate?,
                    })
                })();
                if let (Some(r), false) = (r, c.failed) {
                    let rec = format!("{}/{}", r.category, r.kind.as_str());
                    lines.note("service_rates", &t.source, &rec, row.line);
                    data.service_rates.push(r);
                }
            }
        }
    }
    if let Some(t) = dir.find("repair_history", problems)? {
        if t.require(&["model", "vintage", "year", "repairs"], problems) {
            for row in &t.rows {
                let mut c = t.cells(row, problems);
                let model = c.text("model");
                let (vintage, year) = (c.whole("vintage", 1900, 2200), c.whole("year", 1900, 2200));
                let repairs = units(&mut c, "repairs");
                let r = (|| {
                    Some(RepairHistoryRow {
                        model: model?,
                        vintage: vintage? as i32,
                        year: year? as i32,
                        repairs: repairs?,
                        region: c.opt_text("region"),
                    })
                })();
                if let (Some(r), false) = (r, c.failed) {
                    let region = r.region.as_deref().unwrap_or("");
                    let rec = format!(
                        "{}/{}/{}{}{}",
                        r.model,
                        r.vintage,
                        r.year,
                        if region.is_empty() { "" } else { "/" },
                        region
                    );
                    lines.note("repair_history", &t.source, &rec, row.line);
                    data.repair_history.push(r);
                }
            }
        }
    }
    Ok(())
}

/// A count of units or repairs: finite, in `0..=MAX_UNITS`.
fn units(c: &mut super::table::Cells<'_>, col: &str) -> Option<f64> {
    c.number(col, "a count in 0..=1e10", |x| {
        (0.0..=MAX_UNITS).contains(&x)
    })
}

/// A rate per unit (repairs per unit-year, tickets per unit): finite, in `0..=MAX_RATE`.
fn rate(c: &mut super::table::Cells<'_>) -> Option<f64> {
    c.number("rate", "a rate in 0..=100", |x| {
        (0.0..=MAX_RATE).contains(&x)
    })
}
