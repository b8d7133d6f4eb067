//! Bad input gets a clear error: every defect fixture in `data/fixtures/<defect>/`, laid
//! over the valid fixture, makes `read_dir` fail with issues naming the file, the line
//! and the field (GeoJSON has no lines: there the record is the feature's id), and a
//! file with several problems reports all of them.

use servnet::testing;
use servnet::{Error, Issue};

/// What one expected issue must say.
struct Want<'a> {
    file: &'a str,
    line: Option<u64>,
    record: Option<&'a str>,
    field: Option<&'a str>,
    says: &'a str,
}

fn want<'a>(file: &'a str, line: u64, field: &'a str, says: &'a str) -> Want<'a> {
    Want {
        file,
        line: Some(line),
        record: None,
        field: Some(field),
        says,
    }
}

/// Stages valid + `defects` in a temp dir and returns the issues of `read_dir`.
fn issues_of(defects: &[&str]) -> Vec<Issue> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    testing::stage(defects, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let result = servnet::io::read_dir(dir.path());
    match &result {
        Err(Error::Invalid(v)) => assert!(!v.is_empty(), "Invalid with no issue"),
        Err(e) => panic!("{defects:?}: expected Error::Invalid, got {e}"),
        Ok(_) => panic!("{defects:?}: expected an error, the data loaded"),
    }
    testing::issues(&result)
}

/// Asserts that each `want` matches some issue, and prints them all if not.
fn check(defects: &[&str], wants: &[Want<'_>]) {
    let issues = issues_of(defects);
    let all = issues
        .iter()
        .map(|i| format!("  {i} [{:?}]", i.at))
        .collect::<Vec<_>>()
        .join("\n");
    for w in wants {
        let hit = issues.iter().any(|i| {
            i.at.source == w.file
                && i.at.line == w.line
                && (w.record.is_none() || i.at.record.as_deref() == w.record)
                && i.at.field.as_deref() == w.field
                && i.to_string().contains(w.says)
        });
        assert!(
            hit,
            "{defects:?}: no issue at {}:{:?} record {:?} field {:?} saying '{}'; got:\n{all}",
            w.file, w.line, w.record, w.field, w.says
        );
    }
}

#[test]
fn duplicate_outlet_id_names_the_second_line_and_the_first() {
    check(
        &["duplicate_outlet_id"],
        &[want(
            "outlets.csv",
            8,
            "id",
            "duplicate outlet id 'O3' (first on line 4)",
        )],
    );
}

#[test]
fn duplicate_region_code_is_reported() {
    check(
        &["duplicate_region_code"],
        &[want(
            "regions.csv",
            6,
            "code",
            "duplicate region code 'R-B1' (first on line 3)",
        )],
    );
}

#[test]
fn duplicate_ticket_id_is_reported() {
    check(
        &["duplicate_ticket_id"],
        &[want(
            "tickets.csv",
            12,
            "id",
            "duplicate ticket id 'T05' (first on line 6)",
        )],
    );
}

#[test]
fn ticket_skill_no_outlet_offers_is_unknown() {
    check(
        &["unknown_skill"],
        &[want(
            "tickets.csv",
            7,
            "skill",
            "unknown skill 'repair:washer'",
        )],
    );
}

#[test]
fn skill_with_an_unknown_kind_says_which_kinds_exist() {
    check(
        &["bad_skill_kind"],
        &[want(
            "outlet_skills.csv",
            9,
            "skill",
            "expected one of delivery, install, repair, maintenance, inspection; got 'fix'",
        )],
    );
}

#[test]
fn unknown_region_in_a_service_area_is_reported() {
    check(
        &["unknown_region"],
        &[want(
            "outlets.csv",
            6,
            "area_regions",
            "unknown region 'R-X9'",
        )],
    );
}

#[test]
fn unknown_region_of_a_ticket_is_reported() {
    check(
        &["ticket_unknown_region"],
        &[want("tickets.csv", 5, "region", "unknown region 'R-Z'")],
    );
}

#[test]
fn skills_of_an_unknown_outlet_are_reported() {
    check(
        &["unknown_outlet"],
        &[want(
            "outlet_skills.csv",
            13,
            "outlet_id",
            "unknown outlet 'O9'",
        )],
    );
}

#[test]
fn unknown_avoid_and_preferred_outlets_are_both_reported() {
    check(
        &["ticket_unknown_outlet"],
        &[
            want("tickets.csv", 2, "avoid", "unknown outlet 'O99'"),
            want("tickets.csv", 3, "preferred", "unknown outlet 'O42'"),
        ],
    );
}

#[test]
fn nan_coordinate_is_rejected() {
    check(
        &["nan_coordinate"],
        &[want(
            "outlets.csv",
            3,
            "lat",
            "expected a latitude in [-90, 90], got NaN",
        )],
    );
}

#[test]
fn coordinate_out_of_range_is_rejected() {
    check(
        &["coordinate_out_of_range"],
        &[want(
            "regions.csv",
            5,
            "lon",
            "expected a longitude in [-180, 180], got 190.5",
        )],
    );
}

#[test]
fn negative_capacity_is_rejected() {
    check(
        &["negative_capacity"],
        &[want(
            "outlet_skills.csv",
            4,
            "daily_capacity",
            "expected a whole number in 0..=4294967295, got -5",
        )],
    );
}

#[test]
fn non_numeric_capacities_in_two_files_are_both_reported() {
    check(
        &["non_numeric_capacity"],
        &[
            want("outlet_skills.csv", 4, "daily_capacity", "got 'ten'"),
            want("outlets.csv", 4, "daily_cap", "got 'lots'"),
        ],
    );
}

#[test]
fn rating_sum_outside_count_to_five_count_is_rejected() {
    check(
        &["satisfaction_out_of_range"],
        &[
            want(
                "outlet_skills.csv",
                4,
                "rating_sum",
                "satisfaction out of range: rating_sum 60 for 9 ratings",
            ),
            want(
                "outlet_skills.csv",
                6,
                "rating_sum",
                "satisfaction out of range: rating_sum 1 for 2 ratings",
            ),
        ],
    );
}

#[test]
fn due_by_before_created_at_is_rejected() {
    check(
        &["due_by_before_created_at"],
        &[want(
            "tickets.csv",
            4,
            "due_by",
            "due_by 2026-11-22 09:00:00 is before created_at 2026-11-23 09:00:00",
        )],
    );
}

#[test]
fn empty_polygons_are_rejected_in_both_geojson_files() {
    check(
        &["empty_polygon"],
        &[
            Want {
                file: "regions.geojson",
                line: None,
                record: Some("R-B2"),
                field: Some("geometry"),
                says: "polygon has no rings",
            },
            Want {
                file: "outlet_areas.geojson",
                line: None,
                record: Some("O4"),
                field: Some("geometry"),
                says: "expected at least one polygon",
            },
        ],
    );
}

#[test]
fn ring_with_too_few_positions_is_rejected() {
    check(
        &["polygon_too_few_points"],
        &[Want {
            file: "regions.geojson",
            line: None,
            record: Some("R-A1"),
            field: Some("geometry"),
            says: "a ring needs at least 4 positions (closed), got 3",
        }],
    );
}

#[test]
fn unclosed_ring_is_rejected() {
    check(
        &["polygon_unclosed"],
        &[Want {
            file: "outlet_areas.geojson",
            line: None,
            record: Some("O3"),
            field: Some("geometry"),
            says: "ring is not closed",
        }],
    );
}

#[test]
fn zero_area_ring_is_rejected() {
    check(
        &["polygon_zero_area"],
        &[Want {
            file: "regions.geojson",
            line: None,
            record: Some("R-C1"),
            field: Some("geometry"),
            says: "encloses zero area",
        }],
    );
}

#[test]
fn missing_required_column_is_named() {
    check(
        &["missing_required_column"],
        &[want(
            "outlets.csv",
            1,
            "status",
            "missing required column 'status'",
        )],
    );
}

#[test]
fn truncated_last_row_is_reported_with_its_first_missing_column() {
    check(
        &["truncated_file"],
        &[want(
            "tickets.csv",
            11,
            "units",
            "row has 5 field(s) but the header has 12",
        )],
    );
}

/// The bad bytes are the only problem: the row is kept, so its outlet's skills and
/// polygon do not turn into "unknown outlet" follow-up errors.
#[test]
fn non_utf8_bytes_name_the_line_and_column() {
    check(
        &["non_utf8"],
        &[want("outlets.csv", 5, "name", "not valid UTF-8")],
    );
    assert_eq!(issues_of(&["non_utf8"]).len(), 1);
}

/// An empty file is one problem, not one per missing column.
#[test]
fn empty_file_is_one_clear_problem() {
    let issues = issues_of(&["empty_file"]);
    let in_file: Vec<_> = issues
        .iter()
        .filter(|i| i.at.source == "outlet_skills.csv")
        .collect();
    assert_eq!(in_file.len(), 1, "{issues:?}");
    assert_eq!(in_file[0].at.line, Some(1));
    assert!(in_file[0].message.contains("file is empty"), "{issues:?}");
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    check(
        &["several_problems"],
        &[
            want("outlet_skills.csv", 2, "daily_capacity", "got -1"),
            want("outlet_skills.csv", 7, "rating_count", "got 'four'"),
            want(
                "outlet_skills.csv",
                12,
                "cost_per_ticket",
                "expected a cost in 0..=1e9, got -95",
            ),
        ],
    );
}

#[test]
fn planning_references_are_checked_against_products_and_regions() {
    check(
        &["planning_unknown_references"],
        &[
            want("installed_base.csv", 4, "model", "unknown model 'XX-9'"),
            want(
                "installed_base.csv",
                6,
                "category",
                "model 'WH-1' is a 'water_heater', not a 'tv'",
            ),
            want("sales_plan.csv", 5, "region", "unknown region 'R-Q'"),
        ],
    );
}

/// Problems in the tickets file and in the planning files come back in one error.
#[test]
fn ticket_and_planning_problems_are_reported_together() {
    check(
        &["due_by_before_created_at", "planning_unknown_references"],
        &[
            want("tickets.csv", 4, "due_by", "is before created_at"),
            want("sales_plan.csv", 5, "region", "unknown region 'R-Q'"),
        ],
    );
}

/// JSON rows have no line; the record id names them instead.
#[test]
fn json_tickets_name_the_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    testing::stage(&[], dir.path()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(dir.path().join("tickets.csv")).unwrap_or_else(|e| panic!("{e}"));
    let json = r#"[
      {"id": "J1", "lon": 121.4, "lat": 31.2, "region": "R-A1", "skill": "repair:tv",
       "created_at": "2026-11-23T08:00:00", "due_by": "2026-11-24T08:00:00"},
      {"id": "J2", "lon": 121.4, "lat": 131.2, "region": "R-A1", "skill": "repair:tv",
       "created_at": "2026-11-23T08:00:00", "due_by": "2026-11-24T08:00:00", "avoid": ["O1", "O2"]}
    ]"#;
    std::fs::write(dir.path().join("tickets.json"), json).unwrap_or_else(|e| panic!("{e}"));
    let result = servnet::io::read_dir(dir.path());
    let issues = testing::issues(&result);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let i = &issues[0];
    assert_eq!(i.at.source, "tickets.json");
    assert_eq!(i.at.record.as_deref(), Some("J2"));
    assert_eq!(i.at.field.as_deref(), Some("lat"));
}
