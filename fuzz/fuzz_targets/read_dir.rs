//! The data-folder readers on arbitrary files: any bytes give `Ok` or `Err`, never a
//! panic, an abort or a runaway allocation.
//!
//! The input is the folder's files separated by 0xFF bytes, in the order of `FILES`
//! (an empty part: the file is absent). The seed corpus is the valid fixture so joined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const FILES: [&str; 12] = [
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
];

static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(dir) = DIR.get_or_init(|| tempfile::tempdir().ok()).as_ref() else {
        return;
    };
    let mut parts = data.split(|&b| b == 0xFF);
    for name in FILES {
        let path = dir.path().join(name);
        match parts.next() {
            Some(p) if !p.is_empty() => {
                let _ = std::fs::write(&path, p);
            }
            _ => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    if let Ok(d) = servnet_core::io::read_dir(dir.path()) {
        // What the reader accepts, the rest of servnet must take without panicking.
        let _ = servnet_core::dispatch::Dispatcher::new(d.network, Default::default());
    }
});
