//! No crash, no silent corruption (issue 17): every input is bounded and checked before
//! any work, and a bad one is an error naming the file, line and field. Each test is one
//! reproduction from the issue, run on the valid fixture with one file edited.

use servnet::dispatch::{Ledger, MemoryLedger, Policy};
use servnet::{testing, Error, Issue};
use std::path::Path;

/// The valid fixture in a temp dir, with `file`'s text passed through `edit`.
fn staged(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    testing::stage(&[], dir.path()).unwrap();
    let p = dir.path().join(file);
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    std::fs::write(&p, edit(&text)).unwrap();
    dir
}

fn issues(dir: &Path) -> Vec<Issue> {
    match servnet::io::read_dir(dir) {
        Err(Error::Invalid(v)) => v,
        Err(e) => panic!("expected Error::Invalid, got {e}"),
        Ok(_) => panic!("expected an error, the data loaded"),
    }
}

/// Asserts an issue at `file`:`line` (if given) on `field` containing `says`.
fn has(issues: &[Issue], file: &str, line: Option<u64>, field: &str, says: &str) {
    let all: Vec<String> = issues.iter().map(|i| format!("  {i}")).collect();
    assert!(
        issues.iter().any(|i| i.at.source == file
            && (line.is_none() || i.at.line == line)
            && i.at.field.as_deref() == Some(field)
            && i.message.contains(says)),
        "no issue at {file}:{line:?} field '{field}' saying '{says}'; got:\n{}",
        all.join("\n")
    );
}

/// Replaces the `n`-th (0-based) data row of a CSV text with `row`.
fn with_row(text: &str, n: usize, row: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[n + 1] = row.to_string();
    lines.join("\n") + "\n"
}

#[test]
fn crlf_files_report_the_true_line_number() {
    let dir = staged("outlet_skills.csv", |t| {
        let bad = t.replacen("O1,repair:tv,10,1,38,9,70", "O1,repair:tv,ten,1,38,9,70", 1);
        bad.replace('\n', "\r\n")
    });
    // O1,repair:tv is the third data row: line 4 counting the header as line 1.
    has(
        &issues(dir.path()),
        "outlet_skills.csv",
        Some(4),
        "daily_capacity",
        "'ten'",
    );
}

#[test]
fn every_bad_field_of_a_row_is_reported_not_only_the_first() {
    let dir = staged("tickets.csv", |t| {
        with_row(
            t,
            0,
            "T01,999,31.22,R-A1,repair:air_conditioner,zero,urgent,2026-11-23T08:00:00,yesterday,standard,,",
        )
    });
    let v = issues(dir.path());
    for field in ["lon", "units", "priority", "due_by"] {
        has(&v, "tickets.csv", Some(2), field, "");
    }
}

#[test]
fn ids_with_separator_control_characters_formulas_or_nothing_are_rejected() {
    for (id, says) in [
        ("O;1", "';'"),
        ("O\u{0}1", "control character"),
        ("=HYPERLINK(1)", "formula"),
    ] {
        let dir = staged("outlets.csv", |t| {
            t.replacen("O2,Alpha Service Point 1", &format!("\"{id}\",Alpha"), 1)
        });
        has(&issues(dir.path()), "outlets.csv", None, "id", says);
    }
    let dir = staged("tickets.csv", |t| t.replacen("T01,", ",", 1));
    has(
        &issues(dir.path()),
        "tickets.csv",
        Some(2),
        "id",
        "missing value",
    );
}

#[test]
fn huge_costs_and_populations_are_rejected_before_they_overflow_sums() {
    let dir = staged("outlet_skills.csv", |t| {
        t.replacen(
            "O1,repair:tv,10,1,38,9,70",
            "O1,repair:tv,10,1,38,9,1e308",
            1,
        )
    });
    has(
        &issues(dir.path()),
        "outlet_skills.csv",
        Some(4),
        "cost_per_ticket",
        "expected a cost in 0..=1e9",
    );
    let dir = staged("regions.csv", |t| t.replacen("9000000", "1e308", 1));
    has(
        &issues(dir.path()),
        "regions.csv",
        Some(2),
        "population",
        "expected a population in 0..=1e10",
    );
}

#[test]
fn outlet_loads_summing_past_a_day_counter_are_rejected() {
    // Two skills of O1 with a load of 3e9 each: 6e9 units do not fit the outlet's
    // 32-bit day counter, which used to wrap to a small number (and overbook).
    let dir = staged("outlet_skills.csv", |t| {
        t.replacen(
            "O1,install:air_conditioner,10,0,",
            "O1,install:air_conditioner,10,3000000000,",
            1,
        )
        .replacen(
            "O1,repair:air_conditioner,20,2,",
            "O1,repair:air_conditioner,20,3000000000,",
            1,
        )
    });
    has(
        &issues(dir.path()),
        "outlet_skills.csv",
        None,
        "load",
        "more than the 4294967295 a day-counter holds",
    );
}

#[test]
fn the_ledger_saturates_instead_of_wrapping() {
    use servnet::dispatch::{Booked, Booking, Layout, Request, Route, Status};
    let mut l = MemoryLedger::new();
    l.bind(&Layout {
        outlets: vec!["O1".into()],
        skills: vec!["repair:tv".into(), "install:tv".into()],
        offers: vec![(0, 0), (0, 1)],
        days: 1,
        start: None,
    })
    .unwrap();
    l.set_load(0, 0, u32::MAX - 1).unwrap();
    l.set_load(1, 0, 5).unwrap();
    assert_eq!(l.outlet_used(0, 0), u32::MAX, "full, not wrapped to 3");
    let booking = Booking {
        offer: 1,
        outlet: 0,
        day: 0,
        units: 1,
        road: 1.0,
        load_ratio: 0.0,
        satisfaction: 4.0,
        preferred: false,
        sla_met: true,
        route: Route::Direct,
        status: Status::Booked,
        hold: None,
        content: 0,
        claim: None,
    };
    let full = l.book(&Request {
        ticket_id: &"T1".into(),
        booking,
        offer_limit: 100,
        outlet_limit: u32::MAX,
    });
    assert_eq!(full.unwrap(), Booked::Full, "a full outlet takes nothing");
}

#[test]
fn antimeridian_and_self_intersecting_polygons_are_rejected() {
    let ring = |pts: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"outlet_id":"O3"}},"geometry":{{"type":"Polygon","coordinates":[[{pts}]]}}}}]}}"#
        )
    };
    // Across the antimeridian, written as lon 179 -> -179: read planar, it spans 358
    // degrees and contained nothing near 180.
    let across = ring("[179,10],[-179,10],[-179,11],[179,11],[179,10]");
    let dir = staged("outlet_areas.geojson", |_| across.clone());
    has(
        &issues(dir.path()),
        "outlet_areas.geojson",
        None,
        "geometry",
        "antimeridian",
    );
    // A bow tie with unequal lobes: non-zero area, but its edges cross.
    let bowtie = ring("[120,31],[121,32],[121,31],[120,31.2],[120,31]");
    let dir = staged("outlet_areas.geojson", |_| bowtie.clone());
    has(
        &issues(dir.path()),
        "outlet_areas.geojson",
        None,
        "geometry",
        "invalid geometry",
    );
}

#[test]
fn a_misspelt_policy_or_quota_key_is_an_error_naming_the_key() {
    for (json, key) in [
        (r#"{"wieghts": {"load": 5}}"#, "wieghts"),
        (r#"{"horizon_dayz": 3}"#, "horizon_dayz"),
        (r#"{"weights": {"lood": 5}}"#, "lood"),
    ] {
        let e = serde_json::from_str::<Policy>(json)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|m| m.contains(key)),
            "{json}: {e:?}"
        );
    }
    let q = r#"[{"id": "q", "regions": ["R-A1"], "max_unit": 5}]"#;
    let e = serde_json::from_str::<Vec<servnet::assign::RegionQuota>>(q)
        .err()
        .map(|e| e.to_string());
    assert!(
        e.as_deref().is_some_and(|m| m.contains("max_unit")),
        "{e:?}"
    );
}

#[test]
fn weights_too_large_to_sum_are_rejected() {
    let mut p = Policy::default();
    p.weights.cost = 1e308;
    let e = p
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("weights.cost"), "{e}");
}

#[test]
fn the_reader_and_the_dispatcher_judge_a_ticket_alike() {
    let data = servnet::io::read_dir(&testing::fixture_dir("valid")).unwrap();
    let mut t = data.tickets[0].clone();
    t.lon = 200.0;
    t.units = 0;
    t.due_by = t.created_at - servnet::chrono::Duration::hours(1);
    t.region = "nowhere".into();
    let fields = |e: Error| -> Vec<String> {
        let mut f: Vec<String> = e
            .issues()
            .iter()
            .filter_map(|i| i.at.field.clone())
            .collect();
        f.sort();
        f
    };
    let want = vec!["due_by", "lon", "region", "units"];
    let by_validate = fields(t.validate(&data.network).unwrap_err());
    assert_eq!(by_validate, want);
    let d = servnet::dispatch::Dispatcher::new(data.network.clone(), Policy::default()).unwrap();
    assert_eq!(fields(d.dispatch(&t).unwrap_err()), want);
    // The reader reports the same fields for the same row.
    let csv = format!(
        "id,lon,lat,region,skill,units,created_at,due_by\n{},{},{},{},{},{},{},{}\n",
        t.id,
        t.lon,
        t.lat,
        t.region,
        t.skill,
        t.units,
        t.created_at.format("%Y-%m-%dT%H:%M:%S"),
        t.due_by.format("%Y-%m-%dT%H:%M:%S")
    );
    let e =
        servnet::io::tickets_from_csv("tickets.csv", csv.as_bytes(), &data.network).unwrap_err();
    assert_eq!(fields(e), want);
}

#[test]
fn times_with_an_offset_are_the_same_instant_as_naive_network_times() {
    let data = servnet::io::read_dir(&testing::fixture_dir("valid")).unwrap();
    let net = &data.network;
    assert_eq!(net.time_zone().name(), "Asia/Shanghai", "the default zone");
    let row = |t: &str| {
        let csv = format!(
            "id,lon,lat,region,skill,created_at,due_by\nT1,121.42,31.22,R-A1,repair:air_conditioner,{t},2026-11-30T00:00\n"
        );
        servnet::io::tickets_from_csv("tickets.csv", csv.as_bytes(), net).unwrap()[0].created_at
    };
    let naive = row("2026-11-23T09:45:00");
    assert_eq!(row("2026-11-23T09:45:00+08:00"), naive);
    assert_eq!(row("2026-11-23T01:45:00Z"), naive);
    assert_eq!(row("2026-11-23T02:45+01:00"), naive);
    assert_eq!(row("2026-11-23 09:45:00.000"), naive);
}

#[test]
fn the_network_time_zone_is_set_in_network_json_and_checked() {
    let dir = staged("network.json", |_| {
        r#"{"time_zone": "Europe/Berlin"}"#.into()
    });
    let data = servnet::io::read_dir(dir.path()).unwrap();
    assert_eq!(data.network.time_zone().name(), "Europe/Berlin");
    // The fixture's naive times stay Berlin wall-clock times; an offset is converted.
    let csv = "id,lon,lat,region,skill,created_at,due_by\nT1,121.42,31.22,R-A1,repair:air_conditioner,2026-11-23T09:45:00+08:00,2026-11-30T00:00\n";
    let t = servnet::io::tickets_from_csv("tickets.csv", csv.as_bytes(), &data.network).unwrap();
    assert_eq!(t[0].created_at.format("%H:%M").to_string(), "02:45");
    // The zone survives serialisation (pickling in Python).
    let json = serde_json::to_string(&data.network).unwrap();
    let back: servnet::model::Network = serde_json::from_str(&json).unwrap();
    assert_eq!(back.time_zone().name(), "Europe/Berlin");

    let dir = staged("network.json", |_| {
        r#"{"time_zone": "Mars/Olympus"}"#.into()
    });
    has(
        &issues(dir.path()),
        "network.json",
        None,
        "time_zone",
        "unknown time zone 'Mars/Olympus'",
    );
    let dir = staged("network.json", |_| r#"{"timezone": "UTC"}"#.into());
    let v = issues(dir.path());
    assert!(v.iter().any(|i| i.message.contains("timezone")), "{v:?}");
}

#[test]
fn every_bad_field_of_a_planning_row_is_reported_and_huge_counts_are_refused() {
    // One row with three bad cells: all three are named, not only the first.
    let dir = staged("installed_base.csv", |t| {
        with_row(t, 0, "R-A1,AC-1,air_conditioner,1066,1e308")
    });
    let v = issues(dir.path());
    has(&v, "installed_base.csv", Some(2), "vintage", "");
    has(&v, "installed_base.csv", Some(2), "units", "0..=1e10");

    let dir = staged("sales_plan.csv", |t| with_row(t, 0, "R-A1,AC-2,year,inf"));
    let v = issues(dir.path());
    has(&v, "sales_plan.csv", Some(2), "year", "");
    has(&v, "sales_plan.csv", Some(2), "units", "");

    let dir = staged("seasonality.csv", |t| {
        let first = t.lines().nth(1).unwrap_or_default();
        let category = first.split(',').next().unwrap_or_default();
        with_row(t, 0, &format!("{category},13,7"))
    });
    let v = issues(dir.path());
    has(&v, "seasonality.csv", Some(2), "month", "");
    has(&v, "seasonality.csv", Some(2), "share", "0..=1");
}
