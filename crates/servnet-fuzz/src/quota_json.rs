//! Quota JSON (`--quotas-file`).

use crate::fixture;
use servnet_core::assign::{assign, AssignOptions, Method, RegionQuota};
use servnet_core::dispatch::Dispatcher;
use std::collections::BTreeMap;

/// Any bytes give an error or quotas; quotas that parse are either rejected (naming the
/// field) or give a plan of the valid fixture's tickets (heuristic method) that keeps
/// every quota on every day.
pub fn quota_json(data: &[u8]) {
    let Ok(quotas) = serde_json::from_slice::<Vec<RegionQuota>>(data) else {
        return;
    };
    if quotas.len() > 16 {
        return;
    }
    let Some(d) = fixture::valid() else {
        return;
    };
    let Ok(dispatcher) = Dispatcher::new(d.network.clone(), Default::default()) else {
        return;
    };
    let options = AssignOptions {
        method: Method::Heuristic,
        time_limit: 1.0,
        quotas: quotas.clone(),
        ..AssignOptions::default()
    };
    let Ok(plan) = assign(&d.tickets, &dispatcher, &options) else {
        return;
    };
    let region: BTreeMap<&str, &str> = d
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.region.as_str()))
        .collect();
    for q in &quotas {
        let mut per_day: BTreeMap<u32, u64> = BTreeMap::new();
        for a in &plan.assignments {
            let in_region = region
                .get(a.ticket_id.as_str())
                .is_some_and(|r| q.regions.iter().any(|x| x == r));
            let by_outlet = q.outlets.is_empty() || q.outlets.contains(&a.outlet_id);
            if in_region && by_outlet {
                *per_day.entry(a.day).or_default() += u64::from(a.units);
            }
        }
        for (day, used) in per_day {
            assert!(
                used <= u64::from(q.max_units),
                "quota {} day {day}: {used} units, at most {}",
                q.id,
                q.max_units
            );
        }
    }
}
