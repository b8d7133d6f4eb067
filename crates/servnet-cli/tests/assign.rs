//! `servnet assign DIR --out plan.csv`: on the sample day the written plan keeps every
//! capacity and lists every ticket once; the report's objective is at least its bound,
//! prints the gap, and is no worse than sequential dispatch. A quotas file is honoured
//! and named in the reasons.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::collections::BTreeMap;
use std::path::Path;

fn run(args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_servnet"))
        .arg("assign")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number after `label` on its line (first token that parses).
fn figure(stdout: &str, label: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no '{label}' in:\n{stdout}"));
    line[label.len()..]
        .split_whitespace()
        .find_map(|w| w.trim_end_matches('%').parse().ok())
        .unwrap_or_else(|| panic!("no number in '{line}'"))
}

/// Plan rows: (ticket, outlet, day, units, reason).
/// (Ids, numbers and reasons hold no commas or quotes, so a split is enough.)
fn rows(path: &Path) -> Vec<(String, String, String, String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let cols = ["ticket_id", "outlet_id", "day", "units", "reason"].map(col);
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            let f = |i: usize| cells[cols[i]].to_string();
            (f(0), f(1), f(2), f(3), f(4))
        })
        .collect()
}

#[test]
fn assign_sample_day_keeps_capacities_and_beats_sequential() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.csv");
    let sample = testing::sample_dir();
    let stdout = run(&[sample.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    let objective = figure(&stdout, "objective:");
    let bound = figure(&stdout, "lower bound:");
    let gap = figure(&stdout, "gap:");
    assert!(objective >= bound - 1e-6, "{stdout}");
    assert!((0.0..=100.0).contains(&gap), "{stdout}");
    // "joint is X lower": the improvement over sequential dispatch.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("sequential:"))
        .unwrap();
    let gain: f64 = line
        .split("joint is ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no improvement in '{line}'"));
    assert!(gain >= 0.0, "{stdout}");

    let data = servnet_core::io::read_dir(&sample).unwrap();
    let net = &data.network;
    let skill: BTreeMap<&str, &str> = data
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.skill.as_str()))
        .collect();
    let rows = rows(&out);
    assert_eq!(rows.len(), data.tickets.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut skill_used: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    let mut outlet_used: BTreeMap<(String, u32), u32> = BTreeMap::new();
    for (ticket, outlet, day, units, reason) in &rows {
        assert!(seen.insert(ticket.clone()), "{ticket} twice");
        if outlet.is_empty() {
            assert!(!reason.is_empty(), "{ticket}: unassigned without a reason");
            continue;
        }
        let (day, units): (u32, u32) = (day.parse().unwrap(), units.parse().unwrap());
        *skill_used
            .entry((outlet.clone(), skill[ticket.as_str()].to_string(), day))
            .or_default() += units;
        *outlet_used.entry((outlet.clone(), day)).or_default() += units;
    }
    for ((o, s, day), used) in &skill_used {
        let outlet = &net.outlets()[net.outlet_index(o).unwrap()];
        let offer = outlet
            .skills
            .iter()
            .find(|x| &x.skill.to_string() == s)
            .unwrap_or_else(|| panic!("{o} does not offer {s}"));
        let pre = if *day == 0 { offer.load } else { 0 };
        assert!(
            used + pre <= offer.daily_capacity,
            "{o} {s} day {day}: {used} + {pre}"
        );
    }
    for ((o, day), used) in &outlet_used {
        let outlet = &net.outlets()[net.outlet_index(o).unwrap()];
        let pre: u32 = if *day == 0 {
            outlet.skills.iter().map(|x| x.load).sum()
        } else {
            0
        };
        assert!(used + pre <= outlet.daily_cap, "{o} day {day}");
    }
}

/// A quota of 0 units from one region closes it: none of its tickets is planned, and
/// those that were planned without the quota are left out naming it.
#[test]
fn assign_with_a_closed_quota_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = testing::fixture_dir("valid");
    let data = servnet_core::io::read_dir(&fixture).unwrap();
    let region = data.tickets[0].region.clone();
    let quotas = dir.path().join("quotas.json");
    std::fs::write(
        &quotas,
        format!(r#"[{{"id": "closed", "regions": ["{region}"], "max_units": 0}}]"#),
    )
    .unwrap();
    let (free, closed) = (dir.path().join("free.csv"), dir.path().join("closed.csv"));
    run(&[fixture.as_os_str(), "--out".as_ref(), free.as_os_str()]);
    run(&[
        fixture.as_os_str(),
        "--out".as_ref(),
        closed.as_os_str(),
        "--quotas-file".as_ref(),
        quotas.as_os_str(),
    ]);
    let in_region: Vec<&str> = data
        .tickets
        .iter()
        .filter(|t| t.region == region)
        .map(|t| t.id.as_str())
        .collect();
    let planned_free: Vec<String> = rows(&free)
        .into_iter()
        .filter(|r| !r.1.is_empty() && in_region.contains(&r.0.as_str()))
        .map(|r| r.0)
        .collect();
    assert!(
        !planned_free.is_empty(),
        "the fixture plans no ticket of {region}"
    );
    for (ticket, outlet, _, _, reason) in rows(&closed) {
        if in_region.contains(&ticket.as_str()) {
            assert!(outlet.is_empty(), "{ticket} planned despite the quota");
            if planned_free.contains(&ticket) {
                assert_eq!(reason, "quota:closed", "{ticket}");
            }
        }
    }
}
