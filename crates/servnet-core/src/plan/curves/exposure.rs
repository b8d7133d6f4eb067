//! Repairs and exposure by model and age, from the repair history and the installed
//! base.
//!
//! The installed base counts units in service in the year of its last vintage `B`.
//! Units of vintage `v` were in service in year `y` in the number
//! `units x S(y - v) / S(B - v)` (the category's retirement curve `S` run backwards;
//! without a curve, `units`); each such unit-year is exposure at age `y - v`. The
//! history years are every year that appears in `repair_history`: a vintage with no row
//! in such a year had no repairs that year. With a `region` column, exposure counts
//! the regions that appear in the history only.

use std::collections::{BTreeMap, BTreeSet};

use super::mle::Cells;
use crate::model::PlanningData;

/// Cells per model (sorted by model id), and rows that could not be used.
pub(super) struct Exposure {
    pub models: BTreeMap<String, Cells>,
    /// History rows whose model and vintage are not in the installed base.
    pub dropped_rows: usize,
    /// Their repairs.
    pub dropped_repairs: f64,
}

/// Builds the cells of every model with history (see the module docs).
pub(super) fn exposure(data: &PlanningData, retirement: bool) -> Exposure {
    let years: BTreeSet<i32> = data.repair_history.iter().map(|r| r.year).collect();
    let regional = data.repair_history.iter().any(|r| r.region.is_some());
    let regions: BTreeSet<&str> = data
        .repair_history
        .iter()
        .filter_map(|r| r.region.as_deref())
        .collect();
    let category: BTreeMap<&str, &str> = data
        .products
        .iter()
        .map(|p| (p.model.as_str(), p.category.as_str()))
        .collect();
    let last_vintage = data.installed_base.iter().map(|r| r.vintage).max();
    // Units by (model, vintage): every region, or the history's regions.
    let mut base: BTreeMap<(&str, i32), f64> = BTreeMap::new();
    for r in &data.installed_base {
        if !regional || regions.contains(r.region.as_str()) {
            *base.entry((r.model.as_str(), r.vintage)).or_insert(0.0) += r.units;
        }
    }
    let survival = |model: &str, v: i32, y: i32| -> f64 {
        let curve = category
            .get(model)
            .and_then(|c| data.retirement.get(*c))
            .filter(|_| retirement);
        match (curve, last_vintage) {
            (Some(s), Some(b)) => {
                let at_base = s.survival(b - v);
                if at_base > 0.0 {
                    s.survival(y - v) / at_base
                } else {
                    0.0
                }
            }
            _ => 1.0,
        }
    };
    let with_history: BTreeSet<&str> = data
        .repair_history
        .iter()
        .map(|r| r.model.as_str())
        .collect();
    let mut models: BTreeMap<String, Cells> = BTreeMap::new();
    for (&(model, v), &units) in &base {
        if !with_history.contains(model) {
            continue;
        }
        let cells = models.entry(model.to_string()).or_default();
        for &y in years.iter().filter(|&&y| y >= v) {
            let age = (y - v) as usize;
            if cells.exposure.len() <= age {
                cells.exposure.resize(age + 1, 0.0);
                cells.repairs.resize(age + 1, 0.0);
            }
            cells.exposure[age] += units * survival(model, v, y);
        }
    }
    let (mut dropped_rows, mut dropped_repairs) = (0, 0.0);
    for r in &data.repair_history {
        let in_base = base.contains_key(&(r.model.as_str(), r.vintage));
        let age = (r.year - r.vintage).max(0) as usize;
        match models.get_mut(&r.model) {
            Some(cells) if in_base && age < cells.exposure.len() => cells.repairs[age] += r.repairs,
            _ => {
                dropped_rows += 1;
                dropped_repairs += r.repairs;
            }
        }
    }
    Exposure {
        models,
        dropped_rows,
        dropped_repairs,
    }
}
