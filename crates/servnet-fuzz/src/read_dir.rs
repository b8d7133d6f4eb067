//! The data-folder readers (`servnet validate DIR`, `read_dir`) on arbitrary files.

use servnet_core::dispatch::Dispatcher;
use servnet_core::plan::forecast::{forecast, ForecastOptions};
use std::cell::RefCell;
use std::path::Path;

/// The files of a data folder, in the order of the input's parts (see [`read_dir`]).
/// New files go at the end, so that older seeds keep their meaning.
pub const FILES: [&str; 15] = [
    "regions.csv",
    "outlets.csv",
    "outlet_skills.csv",
    "tickets.csv",
    "regions.geojson",
    "outlet_areas.geojson",
    "products.csv",
    "repair_rates.csv",
    "installed_base.csv",
    "sales_plan.csv",
    "seasonality.csv",
    "network.json",
    "retirement.csv",
    "service_rates.csv",
    "repair_history.csv",
];

/// The byte between two files of the input (never in UTF-8 text).
const SEPARATOR: u8 = 0xFF;

/// The year the folder's planning data is forecast for (the fixtures' plan year).
const FORECAST_YEAR: i32 = 2026;

thread_local! {
    /// One folder per thread, rewritten by every input: in memory (/dev/shm) where there
    /// is one (file writes on disk cost more than the reading under test).
    static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// A data folder as one input of [`read_dir`]: the files of [`FILES`] that exist in
/// `dir`, joined by 0xFF (an absent file is an empty part). How the seeds are made.
pub fn join_files(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, name) in FILES.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        let path = dir.join(name);
        if path.exists() {
            out.extend(std::fs::read(path)?);
        }
    }
    while out.last() == Some(&SEPARATOR) {
        out.pop();
    }
    Ok(out)
}

/// The input is the folder's files separated by 0xFF bytes, in the order of [`FILES`]
/// (an empty or missing part: the file is absent). Reading gives `Ok` or `Err`, never a
/// panic, an abort or a runaway allocation; what the reader accepts builds a
/// dispatcher, and its planning data (if any) forecasts [`FORECAST_YEAR`] with finite,
/// non-negative ticket counts or an error, while the year 2147483647 is an error.
pub fn read_dir(data: &[u8]) {
    DIR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = tempfile::tempdir_in("/dev/shm")
                .or_else(|_| tempfile::tempdir())
                .ok();
        }
        if let Some(dir) = slot.as_ref() {
            read_in(dir.path(), data);
        }
    });
}

fn read_in(dir: &Path, data: &[u8]) {
    let mut parts = data.split(|&b| b == SEPARATOR);
    for name in FILES {
        let path = dir.join(name);
        match parts.next() {
            Some(p) if !p.is_empty() => {
                if std::fs::write(&path, p).is_err() {
                    return;
                }
            }
            _ => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let Ok(d) = servnet_core::io::read_dir(dir) else {
        return;
    };
    // What the reader accepts, the rest of servnet takes without panicking.
    let _ = Dispatcher::new(d.network.clone(), Default::default());
    if d.planning.products.is_empty() {
        return;
    }
    let far = forecast(&d.planning, &d.network, &ForecastOptions::new(i32::MAX, 1));
    assert!(far.is_err(), "the year 2147483647 was forecast");
    if let Ok(f) = forecast(
        &d.planning,
        &d.network,
        &ForecastOptions::new(FORECAST_YEAR, 1),
    ) {
        for (what, a) in [("tickets", &f.tickets), ("peak_day", &f.peak_day)] {
            let bad = a.iter().find(|x| !(x.is_finite() && **x >= 0.0));
            assert!(bad.is_none(), "forecast {what} of {bad:?}");
        }
    }
}
