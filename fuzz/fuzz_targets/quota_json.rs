//! Quota JSON (`--quotas-file`): any bytes give an error or quotas; quotas that parse
//! either are rejected naming the field or give a plan that keeps every quota.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servnet_core::assign::{assign, AssignOptions, Method, RegionQuota};
use servnet_core::dispatch::Dispatcher;
use servnet_core::io::DataSet;
use std::collections::BTreeMap;
use std::sync::OnceLock;

static DATA: OnceLock<Option<DataSet>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(quotas) = serde_json::from_slice::<Vec<RegionQuota>>(data) else {
        return;
    };
    if quotas.len() > 16 {
        return;
    }
    let Some(d) = DATA
        .get_or_init(|| {
            servnet_core::io::read_dir(&servnet_core::testing::fixture_dir("valid")).ok()
        })
        .as_ref()
    else {
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
    // Every quota holds on every day of the plan.
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
                "quota {} day {day}: {used}",
                q.id
            );
        }
    }
});
