//! Excel-friendly files (issue 22): `--excel` writes a UTF-8 byte-order mark before the
//! same CSV, the readers skip it and accept Excel's re-saved dates, and the dispatch and
//! assign outputs carry the booking's calendar date beside its day offset.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use servnet_core::testing;
use std::path::Path;
use std::process::Command;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn servnet(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run servnet: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn staged() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    testing::stage(&[], dir.path()).unwrap();
    dir
}

#[test]
fn excel_output_is_the_plain_csv_after_a_byte_order_mark() {
    let dir = staged();
    for cmd in ["dispatch", "assign"] {
        let plain = dir.path().join(format!("{cmd}_plain.csv"));
        let excel = dir.path().join(format!("{cmd}_excel.csv"));
        servnet(&[cmd, p(dir.path()), "--out", p(&plain)]);
        servnet(&[cmd, p(dir.path()), "--excel", "--out", p(&excel)]);
        let (plain, excel) = (std::fs::read(plain).unwrap(), std::fs::read(excel).unwrap());
        assert!(excel.starts_with(BOM), "{cmd}: no BOM");
        assert!(!plain.starts_with(BOM), "{cmd}: BOM without --excel");
        assert_eq!(&excel[BOM.len()..], &plain[..], "{cmd}");
    }
    // JSON is unchanged by --excel (a BOM is not valid JSON for most parsers).
    let json = dir.path().join("a.json");
    servnet(&["dispatch", p(dir.path()), "--excel", "--out", p(&json)]);
    let bytes = std::fs::read(json).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
}

/// `2026-11-23T08:30:00` as Excel re-saves it: slashes, unpadded hour, seconds dropped
/// when zero (or kept, in the long form).
fn excel_time(iso: &str, long: bool) -> String {
    let t = servnet_core::io::parse_time(iso).unwrap();
    if long {
        t.format("%Y/%m/%d %H:%M:%S").to_string()
    } else {
        t.format("%Y/%-m/%-d %-H:%M").to_string()
    }
}

#[test]
fn tickets_re_saved_by_excel_dispatch_exactly_like_the_original() {
    let original = staged();
    let resaved = staged();
    let path = resaved.path().join("tickets.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let mut out = csv::Writer::from_writer(BOM.to_vec());
    out.write_record(&headers).unwrap();
    for (i, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let cells = headers.iter().zip(r.iter()).map(|(h, c)| match h {
            "created_at" | "due_by" if !c.is_empty() => excel_time(c, i % 2 == 1),
            _ => c.to_string(),
        });
        out.write_record(cells.collect::<Vec<_>>()).unwrap();
    }
    let bytes = out.into_inner().unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("2026/11/23 8:00,"));
    std::fs::write(&path, bytes).unwrap();
    for cmd in ["dispatch", "assign"] {
        let a = original.path().join(format!("{cmd}.csv"));
        let b = resaved.path().join(format!("{cmd}.csv"));
        servnet(&[cmd, p(original.path()), "--out", p(&a)]);
        servnet(&[cmd, p(resaved.path()), "--out", p(&b)]);
        assert_eq!(
            std::fs::read_to_string(a).unwrap(),
            std::fs::read_to_string(b).unwrap(),
            "{cmd}: same tickets, same bookings"
        );
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD` (Howard Hinnant's civil-days
/// formula: an oracle independent of the code under test).
fn civil_days(iso: &str) -> i64 {
    let mut parts = iso.split('-').map(|s| s.parse::<i64>().unwrap());
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert!(
        parts.next().is_none() && iso.len() == 10,
        "{iso} is not YYYY-MM-DD"
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn the_date_column_is_the_booking_day_as_a_calendar_date() {
    let dir = staged();
    // Day 0 of the ledger is the first ticket's created_at date (no policy start_date).
    let mut tickets = csv::Reader::from_path(dir.path().join("tickets.csv")).unwrap();
    let col = tickets
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "created_at")
        .unwrap();
    let start = tickets
        .records()
        .map(|r| {
            let t = servnet_core::io::parse_time(&r.unwrap()[col]).unwrap();
            civil_days(&t.format("%Y-%m-%d").to_string())
        })
        .min()
        .unwrap();
    assert_eq!(civil_days("2026-11-23") - civil_days("2026-10-31"), 23);
    for cmd in ["dispatch", "assign"] {
        let out = dir.path().join(format!("{cmd}.csv"));
        servnet(&[cmd, p(dir.path()), "--out", p(&out)]);
        let mut r = csv::Reader::from_path(&out).unwrap();
        let h = r.headers().unwrap().clone();
        let at = |name: &str| h.iter().position(|c| c == name).unwrap();
        let (day, date, outlet) = (at("day"), at("date"), at("outlet_id"));
        assert_eq!(date, day + 1, "{cmd}: date follows day");
        let mut booked = 0;
        for row in r.records() {
            let row = row.unwrap();
            if row[outlet].is_empty() {
                assert_eq!(&row[date], "", "{cmd}: no date without a booking");
                continue;
            }
            let d: i64 = row[day].parse().unwrap();
            assert_eq!(civil_days(&row[date]), start + d, "{cmd}: {row:?}");
            booked += 1;
        }
        assert!(booked > 0, "{cmd}: the fixture books tickets");
    }
}

/// The other commands' CSV files honour `--excel` too: fit-curves' two tables are the
/// plain files after a mark, and every CSV plan writes (sites, frontier, the planned
/// network's folder) starts with one; the marked network folder still dispatches to the
/// plan's own replay figures (the readers skip the mark).
#[test]
fn plan_and_fit_curves_write_every_csv_for_excel() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = testing::sample_dir();
    let plain = tmp.path().join("plain.csv");
    let excel = tmp.path().join("excel.csv");
    servnet(&["fit-curves", p(&sample), "--out", p(&plain)]);
    servnet(&["fit-curves", p(&sample), "--excel", "--out", p(&excel)]);
    for (a, b) in [
        ("plain.csv", "excel.csv"),
        ("plain_models.csv", "excel_models.csv"),
    ] {
        let a = std::fs::read(tmp.path().join(a)).unwrap();
        let b = std::fs::read(tmp.path().join(b)).unwrap();
        assert!(b.starts_with(BOM) && !a.starts_with(BOM));
        assert_eq!(&b[BOM.len()..], &a[..]);
    }

    let planned = tmp.path().join("planned");
    let (sites, frontier, json) = (
        tmp.path().join("sites.csv"),
        tmp.path().join("frontier.csv"),
        tmp.path().join("plan.json"),
    );
    servnet(&[
        "plan",
        p(&sample),
        "--year",
        "2026",
        "--resolution",
        "6",
        "--steps",
        "2",
        "--excel",
        "--out",
        p(&sites),
        "--frontier",
        p(&frontier),
        "--json",
        p(&json),
        "--network-out",
        p(&planned),
    ]);
    assert!(std::fs::read(&sites).unwrap().starts_with(BOM), "--out");
    assert!(
        std::fs::read(&frontier).unwrap().starts_with(BOM),
        "--frontier"
    );
    let plan: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let mut written = 0;
    for f in std::fs::read_dir(&planned).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&f).unwrap();
        if name == "tickets.csv" {
            // The input's tickets, copied as they are.
            assert_eq!(bytes, std::fs::read(sample.join("tickets.csv")).unwrap());
        } else if name.ends_with(".csv") {
            assert!(bytes.starts_with(BOM), "{name}: no BOM");
            written += 1;
        } else {
            assert!(!bytes.starts_with(BOM), "{name}: BOM outside a CSV");
        }
    }
    assert!(written >= 3, "regions, outlets and outlet_skills");
    let out = Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args([
            "dispatch",
            p(&planned),
            "--out",
            p(&tmp.path().join("a.csv")),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let assigned = text
        .lines()
        .find_map(|l| l.strip_prefix("assigned:"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    assert_eq!(
        assigned,
        plan["replay"]["assigned"].as_u64().unwrap().to_string(),
        "the marked network dispatches like the plan's replay"
    );
}
