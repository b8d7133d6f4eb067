//! `servnet validate DIR`: a summary and exit 0 on good data; every error and a non-zero
//! exit on bad data.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::path::Path;
use std::process::{Command, Output};

fn validate(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_servnet"))
        .arg("validate")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"))
}

/// On the sample network, validate exits 0 and prints the summary.
#[test]
fn validate_sample_prints_the_summary_and_exits_0() {
    let out = validate(&testing::sample_dir());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in [
        "1500 outlets, 300 regions, 20 skills",
        "outlets by status:",
        "tier  regions  outlets",
        "repair",
        "tickets: 20000 (emergency",
        "installed base:",
    ] {
        assert!(stdout.contains(part), "missing '{part}' in:\n{stdout}");
    }
}

/// On a file with three bad rows, validate exits non-zero and prints all three.
#[test]
fn validate_bad_data_prints_every_error_and_fails() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    testing::stage(&["several_problems"], dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let out = validate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got:\n{stderr}");
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    for part in [
        "outlet_skills.csv:2 record 'O1/install:air_conditioner' field 'daily_capacity'",
        "outlet_skills.csv:7 record 'O3/maintenance:water_heater' field 'rating_count'",
        "outlet_skills.csv:12 record 'O6/repair:air_conditioner' field 'cost_per_ticket'",
    ] {
        assert!(stderr.contains(part), "missing '{part}' in:\n{stderr}");
    }
}

/// A folder that does not exist is an error naming the missing files, not a panic.
#[test]
fn validate_missing_folder_fails_cleanly() {
    let out = validate(Path::new("/nonexistent/servnet-data"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("regions.csv") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
