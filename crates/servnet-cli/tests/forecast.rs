//! `servnet plan` with a year outside the data, and `servnet fit-curves`.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::process::{Command, Output};

fn servnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"))
}

/// Issue 17's repro: `servnet plan DIR --year 2147483647` aborted allocating 274 GB; it
/// now fails at once with an error naming `year` and the data's window.
#[test]
fn plan_with_a_year_outside_the_data_fails_naming_year_and_window() {
    let dir = testing::fixture_dir("valid");
    let d = dir.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.csv");
    for year in ["2147483647", "-2147483648", "1999"] {
        let year_arg = format!("--year={year}");
        let out = servnet(&["plan", d, &year_arg, "--out", plan.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{year}: {stderr}");
        assert!(
            stderr.contains("invalid argument 'year'") && stderr.contains("forecast window"),
            "{year}: {stderr}"
        );
        assert!(!plan.exists(), "{year}: a plan was written");
    }
}

/// `servnet fit-curves DIR --out F.csv` writes the model x age table with the interval
/// columns and the per-model table, and the fitted rates bracket the observed ones.
#[test]
fn fit_curves_writes_rates_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("curves.csv");
    let dir = testing::sample_dir();
    let run = servnet(&[
        "fit-curves",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..6],
        ["model", "category", "age", "rate", "rate_lo", "rate_hi"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 20 * 21, "20 models x ages 0..=20");
    for r in &rows {
        let (rate, lo, hi): (f64, f64, f64) = (
            r[3].parse().unwrap(),
            r[4].parse().unwrap(),
            r[5].parse().unwrap(),
        );
        assert!(0.0 < lo && lo <= rate && rate <= hi, "{r:?}");
    }
    let models = std::fs::read_to_string(tmp.path().join("curves_models.csv")).unwrap();
    assert!(models.starts_with("model,category,curve,source,weibull_shape"));
    assert_eq!(models.lines().count(), 21);
}

/// fit-curves writes like every command (issue 17): an --out or --models that is an input
/// is refused before any work and the input kept; `--out -` puts the rates table on
/// standard output (the summary goes to stderr); --models may not be the --out file.
#[test]
fn fit_curves_outputs_follow_the_output_rules() {
    let tmp = tempfile::tempdir().unwrap();
    testing::copy_files(&testing::sample_dir(), tmp.path()).unwrap();
    let d = tmp.path().to_str().unwrap();
    let history = tmp.path().join("repair_history.csv");
    let before = std::fs::read(&history).unwrap();
    for args in [
        vec!["--out", history.to_str().unwrap()],
        vec![
            "--out",
            "-",
            "--models",
            tmp.path().join("retirement.csv").to_str().unwrap(),
        ],
    ] {
        let mut all = vec!["fit-curves", d];
        all.extend(args.iter().copied());
        let run = servnet(&all);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{all:?}");
        assert!(
            stderr.contains("one of the input files"),
            "{all:?}: {stderr}"
        );
        assert!(!stderr.contains("fitted"), "work was done: {stderr}");
    }
    assert_eq!(std::fs::read(&history).unwrap(), before);

    let same = tmp.path().join("c.csv");
    let s = same.to_str().unwrap();
    let run = servnet(&["fit-curves", d, "--out", s, "--models", s]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("'models'"));

    let run = servnet(&["fit-curves", d, "--out", "-"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.starts_with("model,category,age,rate,"),
        "{stdout:.200}"
    );
    assert_eq!(stdout.lines().count(), 1 + 20 * 21);
    assert!(String::from_utf8_lossy(&run.stderr).contains("fitted 20 models"));
}
