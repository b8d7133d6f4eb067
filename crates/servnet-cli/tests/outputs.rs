//! Outputs never crash and never destroy data (issue 17): a closed pipe or a full disk
//! is an error and exit 1, an `--out` that is an input is refused, the format follows
//! the extension, `-` is standard output, options are checked before anything is
//! written, and CSV cells go through the csv crate.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn servnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"))
}

fn staged() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    testing::stage(&[], dir.path()).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Asserts exit code 1, a message containing `says`, and no panic.
fn fails_cleanly(out: &Output, says: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(says), "expected '{says}' in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_full_disk_on_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    let out = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(["validate", p(&testing::fixture_dir("valid"))])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    fails_cleanly(&out, "cannot write standard output");
}

#[test]
fn a_closed_pipe_is_an_error_not_a_panic_and_the_file_is_written_first() {
    let dir = staged();
    let csv = dir.path().join("out").with_extension("csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(["dispatch", p(dir.path()), "--out", p(&csv)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    fails_cleanly(&out, "Broken pipe");
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with("ticket_id,outlet_id,"), "{written}");
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = staged();
    let tickets = dir.path().join("tickets.csv");
    let before = std::fs::read(&tickets).unwrap();
    let out = servnet(&["dispatch", p(dir.path()), "--out", p(&tickets)]);
    fails_cleanly(&out, "is one of the input files");
    assert_eq!(std::fs::read(&tickets).unwrap(), before);
    // Also through another spelling of the same path.
    let other = dir.path().join(".").join("tickets.csv");
    let out = servnet(&["assign", p(dir.path()), "--out", p(&other)]);
    fails_cleanly(&out, "is one of the input files");
    assert_eq!(std::fs::read(&tickets).unwrap(), before);
}

#[test]
fn the_format_follows_the_extension_and_an_unknown_one_is_an_error() {
    let dir = staged();
    let out = servnet(&[
        "dispatch",
        p(dir.path()),
        "--out",
        p(&dir.path().join("a.xlsx")),
    ]);
    fails_cleanly(&out, "unknown output format '.xlsx'");
    let json = dir.path().join("a.json");
    let out = servnet(&["dispatch", p(dir.path()), "--out", p(&json)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows[0]["ticket_id"].is_string() && rows[0]["sla_met"].is_boolean());
}

#[test]
fn dash_writes_the_table_to_stdout_and_the_summary_to_stderr() {
    let dir = staged();
    let out = servnet(&["dispatch", p(dir.path()), "--out", "-"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ticket_id,outlet_id,day,"), "{stdout}");
    assert!(text(&out.stderr).contains("written:        standard output"));
    let rows = csv::Reader::from_reader(stdout.as_bytes())
        .records()
        .count();
    assert_eq!(rows, 10, "one row per ticket of the fixture");
}

#[test]
fn bad_plan_options_fail_before_anything_is_written() {
    let dir = staged();
    let csv = dir.path().join("plan.csv");
    let dirs = p(dir.path());
    for (args, says) in [
        (vec!["--sim-sample", "0"], "'sample'"),
        (vec!["--time-limit=-1"], "'time_limit'"),
        (vec!["--time-limit=NaN"], "'time_limit'"),
    ] {
        let mut all = vec!["plan", dirs, "--year", "2026", "--out", p(&csv)];
        all.extend(args);
        let out = servnet(&all);
        fails_cleanly(&out, says);
        assert!(!csv.exists(), "{all:?} wrote {}", csv.display());
    }
}

#[test]
fn ids_with_commas_and_names_with_formulas_stay_in_their_columns() {
    let dir = staged();
    // Outlet O2 renamed to "O,2" (a comma is legal in ids) with a formula-like name.
    for f in ["outlets.csv", "outlet_skills.csv", "tickets.csv"] {
        let path = dir.path().join(f);
        let t = std::fs::read_to_string(&path).unwrap();
        let t = t.replace("O2,Alpha Service Point 1", "O2,=1+2");
        // Every cell naming O2 (alone or in a ;-list) names "O,2", quoted.
        let lines: Vec<String> = t
            .lines()
            .map(|line| {
                let cells: Vec<String> = line
                    .split(',')
                    .map(|c| {
                        let ids: Vec<&str> = c
                            .split(';')
                            .map(|x| if x == "O2" { "O,2" } else { x })
                            .collect();
                        let c = ids.join(";");
                        if c.contains(',') {
                            format!("\"{c}\"")
                        } else {
                            c
                        }
                    })
                    .collect();
                cells.join(",")
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    let csv = dir.path().join("plan.csv");
    let out = servnet(&[
        "plan",
        p(dir.path()),
        "--year",
        "2026",
        "--time-limit",
        "5",
        "--out",
        p(&csv),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let header = r.headers().unwrap().clone();
    let (id, name) = (
        header.iter().position(|h| h == "site_id").unwrap(),
        header.iter().position(|h| h == "name").unwrap(),
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|row| row.len() == header.len()));
    let o2 = rows.iter().find(|row| &row[id] == "O,2").unwrap();
    assert_eq!(&o2[name], "'=1+2", "a formula-like name is defused");
}
