//! No input makes a reader panic: arbitrary bytes, and valid files with one cell or one
//! line mutated, written over a copy of the valid fixture, give `Ok` or a located
//! `Err(Invalid)` (or `Err(Io)`), never a panic.

use proptest::prelude::*;
use servnet::testing;
use servnet::Error;
use std::path::Path;

/// Every file of the valid fixture, in a fixed order.
const FILES: &[&str] = &[
    "regions.csv",
    "regions.geojson",
    "outlets.csv",
    "outlet_areas.geojson",
    "outlet_skills.csv",
    "tickets.csv",
    "products.csv",
    "repair_rates.csv",
    "installed_base.csv",
    "sales_plan.csv",
    "seasonality.csv",
];

/// Writes `bytes` as `file` in a fresh copy of the valid fixture and reads the folder.
fn read_with(file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    testing::stage(&[], dir.path()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    std::fs::write(dir.path().join(file), bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    check_outcome(dir.path())
}

fn check_outcome(dir: &Path) -> Result<(), TestCaseError> {
    match servnet::io::read_dir(dir) {
        Ok(_) | Err(Error::Io { .. }) => Ok(()),
        Err(Error::Invalid(issues)) => {
            prop_assert!(!issues.is_empty(), "Invalid without issues");
            for i in &issues {
                prop_assert!(!i.message.is_empty(), "issue without a message: {i:?}");
            }
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "a reader returned a non-input error: {other}"
        ))),
    }
}

fn valid(file: &str) -> String {
    std::fs::read_to_string(testing::fixture_dir("valid").join(file)).unwrap_or_default()
}

/// Cell values that tend to break parsers: empty, non-numbers, extremes, separators,
/// quotes, non-ASCII, plus arbitrary short strings.
fn nasty_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e309".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("9007199254740993.0".to_string()),
        Just("0".to_string()),
        Just("\"".to_string()),
        Just(";;".to_string()),
        Just("polygon".to_string()),
        Just("regions".to_string()),
        Just("table".to_string()),
        Just("repair:tv".to_string()),
        Just("2026-02-30T25:61:00".to_string()),
        Just("O1".to_string()),
        Just("R-A1".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Any bytes in any one file.
    #[test]
    fn arbitrary_bytes_in_any_file_never_panic(
        file in prop::sample::select(FILES),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        read_with(file, &bytes)?;
    }

    /// A valid CSV file with one cell replaced by a nasty value.
    #[test]
    fn one_mutated_cell_never_panics(
        file in prop::sample::select(FILES.iter().copied().filter(|f| f.ends_with(".csv")).collect::<Vec<_>>()),
        line in 0usize..30,
        col in 0usize..12,
        cell in nasty_cell(),
    ) {
        let text = valid(file);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let k = line % lines.len().max(1);
        if let Some(l) = lines.get_mut(k) {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            let c = col % cells.len().max(1);
            if let Some(x) = cells.get_mut(c) {
                *x = cell;
            }
            *l = cells.join(",");
        }
        read_with(file, lines.join("\n").as_bytes())?;
    }

    /// A valid file (CSV or GeoJSON) cut short, or with a byte range overwritten.
    #[test]
    fn cut_or_overwritten_files_never_panic(
        file in prop::sample::select(FILES),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = valid(file).into_bytes();
        let at = cut.index(bytes.len().max(1)).min(bytes.len());
        if junk.is_empty() {
            bytes.truncate(at);
        } else {
            let end = (at + junk.len()).min(bytes.len());
            bytes.splice(at..end, junk);
        }
        read_with(file, &bytes)?;
    }
}
