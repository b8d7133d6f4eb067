//! `servnet plan --network-out DIR` then `servnet dispatch DIR`: the plan's replay
//! figures equal a separate dispatch of the same tickets on the planned network.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn number_after(text: &str, label: &str) -> u64 {
    let line = text.lines().find(|l| l.starts_with(label)).unwrap();
    line[label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn replay_equals_a_separate_dispatch_of_the_written_network() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("planned");
    let json = tmp.path().join("plan.json");
    let sample = testing::sample_dir();
    run(&[
        "plan",
        sample.to_str().unwrap(),
        "--year",
        "2026",
        "--p",
        "450",
        "--resolution",
        "6",
        "--out",
        tmp.path().join("plan.csv").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--network-out",
        dir.to_str().unwrap(),
    ]);
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let text = run(&[
        "dispatch",
        dir.to_str().unwrap(),
        "--out",
        tmp.path().join("a.csv").to_str().unwrap(),
    ]);
    let replay = &plan["replay"];
    assert_eq!(
        replay["tickets"].as_u64().unwrap(),
        number_after(&text, "tickets:")
    );
    assert_eq!(
        replay["assigned"].as_u64().unwrap(),
        number_after(&text, "assigned:")
    );
    assert_eq!(
        replay["sla_met"].as_u64().unwrap(),
        number_after(&text, "SLA met:")
    );
    let via = text.lines().find(|l| l.starts_with("booked via:")).unwrap();
    for (route, n) in replay["by_route"].as_object().unwrap() {
        assert!(
            via.contains(&format!("{route} {}", n.as_u64().unwrap())),
            "{route} {n} not in {via}"
        );
    }
    let mean = replay["mean_km"].as_f64().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("distance km:"))
        .unwrap();
    assert!(
        line.contains(&format!("mean {mean:.1}")),
        "{line} vs {mean}"
    );
    assert!(plan["demand_points"].as_u64().unwrap() > 0);
    assert!(plan["current"]["sla_met_share"].as_f64().is_some());
}

/// Bad plan options fail before anything is read or written, naming the option: a
/// closure limit that is neither a count nor a percentage, an unknown key of the
/// options file, and the input folder as the planned network's folder.
#[test]
fn bad_plan_options_name_the_option_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = testing::fixture_dir("valid");
    let out = tmp.path().join("plan.csv");
    let options = tmp.path().join("options.json");
    std::fs::write(&options, r#"{"costs": {"close_costs": 1}}"#).unwrap();
    for (extra, says) in [
        (vec!["--max-closures", "ten"], "max-closures"),
        (
            vec!["--options", options.to_str().unwrap()],
            "costs.close_costs",
        ),
        (
            vec!["--network-out", fixture.to_str().unwrap()],
            "network-out",
        ),
    ] {
        let mut args = vec![
            "plan",
            fixture.to_str().unwrap(),
            "--year",
            "2026",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let r = Command::new(env!("CARGO_BIN_EXE_servnet"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} succeeded");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}
