//! `servnet review`, `servnet plan --closed-by` and `servnet settle` run as a user runs
//! them, on the sample network with hand-built history, actions and bookings: the
//! expected rows come from the fixtures, not from the code's own output.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"));
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{args:?}: {o}\n{e}");
    (o, e)
}

/// Rows of a CSV file keyed by its first column, each as column -> cell.
fn rows(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let m: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect();
            (rec[0].to_string(), m)
        })
        .collect()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The sample folder with `outlet_history.csv` replaced by a hand-built one.
fn sample_with_history(dir: &Path) {
    testing::copy_files(&testing::sample_dir(), dir).unwrap();
    let mut h = String::from(
        "outlet_id,month,tickets,sla_met,rating_sum,rating_count,complaints,repeat_repairs_30d\n",
    );
    for m in 6..=11 {
        // Ten good active outlets: SLA 0.93, rating 4.5, complaints 0.01, repeats 0.04.
        for o in 2..=11 {
            h += &format!("O{o:05},2026-{m:02},1000,930,1350,300,10,40\n");
        }
        // O00012: SLA 0.50 (removal level 0.65), otherwise good.
        h += &format!("O00012,2026-{m:02},1000,500,1350,300,10,40\n");
        // O00014: complaints 0.15 a ticket (removal level 0.10).
        h += &format!("O00014,2026-{m:02},1000,930,1350,300,150,40\n");
    }
    // O00013: two tickets, every rate at its worst: too few to decide.
    h += "O00013,2026-11,2,0,2,2,2,2\n";
    // Probation O00062 (since 2026-06-13): five good months, due after three.
    for m in 7..=11 {
        h += &format!("O00062,2026-{m:02},400,372,540,120,4,16\n");
    }
    std::fs::write(dir.join("outlet_history.csv"), h).unwrap();
}

/// Review flags exactly what the hand-built history says: O00012 removed for its SLA
/// (3000 of 6000), O00014 removed for complaints, the 2-ticket outlet not removed, the
/// good ones kept, the good probation outlet confirmed.
#[test]
fn review_flags_the_outlets_the_history_says() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    sample_with_history(&dir);
    let out = tmp.path().join("actions.csv");
    let (text, _) = run(&["review", p(&dir), "--as-of", "2026-12-01", "--out", p(&out)]);
    let r = rows(&out);
    let action = |id: &str| r[id]["action"].clone();
    assert_eq!(action("O00012"), "remove", "{:?}", r["O00012"]);
    assert!(r["O00012"]["reason"].contains("SLA"), "{:?}", r["O00012"]);
    assert!(
        r["O00012"]["reason"].contains("3000/6000"),
        "{:?}",
        r["O00012"]
    );
    assert_eq!(action("O00014"), "remove", "{:?}", r["O00014"]);
    assert!(
        r["O00014"]["reason"].contains("complaints"),
        "{:?}",
        r["O00014"]
    );
    assert!(
        matches!(action("O00013").as_str(), "keep" | "warn"),
        "{:?}",
        r["O00013"]
    );
    for o in 2..=11 {
        assert_eq!(action(&format!("O{o:05}")), "keep");
    }
    assert_eq!(action("O00062"), "confirm", "{:?}", r["O00062"]);
    assert!(text.contains("remove O00012"), "{text}");
}

/// `plan --closed-by` applies a hand-written actions file before planning: the removed
/// outlet is closed and the suspended one suspended in the planned network.
#[test]
fn plan_closed_by_applies_the_actions() {
    let tmp = tempfile::tempdir().unwrap();
    let actions = tmp.path().join("actions.csv");
    std::fs::write(
        &actions,
        "outlet_id,action,reason\nO00012,remove,SLA\nO00014,suspend,complaints\nO00002,keep,\n",
    )
    .unwrap();
    let net = tmp.path().join("planned");
    let sample = testing::sample_dir();
    let (_, err) = run(&[
        "plan",
        p(&sample),
        "--year",
        "2026",
        "--p",
        "450",
        "--resolution",
        "6",
        "--closed-by",
        p(&actions),
        "--out",
        p(&tmp.path().join("plan.csv")),
        "--network-out",
        p(&net),
    ]);
    assert!(
        err.contains("--closed-by: 2 outlet status changes applied"),
        "{err}"
    );
    let outlets = rows(&net.join("outlets.csv"));
    assert_eq!(outlets["O00012"]["status"], "closed");
    assert!(
        !matches!(outlets["O00014"]["status"].as_str(), "active" | "probation"),
        "{:?}",
        outlets["O00014"]
    );
}

/// `servnet settle` on hand-built bookings: totals worked by hand from the sample's
/// fee_schedule.csv; the day after the period, a cancelled and an unassigned booking
/// are left out; a carry-in booking has no travel.
#[test]
fn settle_writes_the_statement_of_the_bookings() {
    let tmp = tempfile::tempdir().unwrap();
    let regions = rows(&testing::sample_dir().join("regions.csv"));
    let tier = |t: &str| {
        regions
            .values()
            .find(|r| r["tier"] == t)
            .map(|r| r["code"].clone())
            .unwrap()
    };
    let (a, c) = (tier("A"), tier("C"));
    let bookings = tmp.path().join("bookings.csv");
    std::fs::write(
        &bookings,
        format!(
            "ticket_id,outlet_id,date,road_km,status,mode,skill,region,units,sla_met
b1,O00002,2026-11-01,10,completed,,repair:tv,{a},1,true
b2,O00002,2026-11-30,5,completed,carry_in,install:tv,{a},2,false
b3,O00001,2026-11-15,4,completed,,repair:tv,{c},1,true
b4,O00002,2026-12-01,7,completed,,repair:tv,{a},1,true
b5,O00002,2026-11-10,7,cancelled,,repair:tv,{a},1,true
b6,,2026-11-10,,,,repair:tv,{a},1,
"
        ),
    )
    .unwrap();
    let out = tmp.path().join("statement.csv");
    let (text, _) = run(&[
        "settle",
        p(&testing::sample_dir()),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--bookings",
        p(&bookings),
        "--out",
        p(&out),
    ]);
    let r = rows(&out);
    assert_eq!(r.keys().collect::<Vec<_>>(), ["O00001", "O00002"]);
    let o2 = &r["O00002"];
    // b1 repair tier A: 80 + 10 km x 2.0; b2 install tier A, 2 units, carry-in: 60 + 30.
    assert_eq!(o2["tickets"], "2");
    assert_eq!(o2["tickets_repair"], "1");
    assert_eq!(o2["tickets_install"], "1");
    assert_eq!(o2["fees"], "170.00");
    assert_eq!(o2["travel"], "20.00");
    assert_eq!(o2["total"], "190.00");
    assert_eq!(o2["sla_met_share"], "0.5000");
    // b3: O00001's repair rule (70, no per_km: 2.0) applies whole, over the tier C
    // rule (110, 2.5 per km): 70 + 4 km x 2.0.
    assert_eq!(r["O00001"]["total"], "78.00");
    assert!(text.contains("3 settled, 1 outside the period"), "{text}");
}
