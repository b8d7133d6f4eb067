//! `servnet fit-curves`: repair curves estimated from a data folder's repair history.

use servnet_core::io::{read_dir, write_curve_cells, write_curve_models};
use servnet_core::plan::curves::{fit_repair_curves, FitOptions};
use servnet_core::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `servnet fit-curves` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder, with repair_history.csv and the installed base.
    pub dir: PathBuf,
    /// Where to write one row per model and age (model, age, rate, rate_lo, rate_hi,
    /// observed...; readable as repair_rates.csv).
    #[arg(long, default_value = "repair_curves.csv")]
    pub out: PathBuf,
    /// Where to write one row per model (family, parameters, AIC); default: the --out
    /// file with `_models` before `.csv`.
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Oldest age written (default 20, or the oldest observed age).
    #[arg(long)]
    pub max_age: Option<u32>,
    /// Pooling strength: sd of the prior around the category (log scale).
    #[arg(long, default_value_t = 0.5)]
    pub prior_sd: f64,
}

fn models_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || "repair_curves".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    out.with_file_name(format!("{stem}_models.csv"))
}

pub fn run(a: &Args) -> Result<()> {
    let data = read_dir(&a.dir)?;
    let opts = FitOptions {
        max_age: a.max_age,
        prior_sd: a.prior_sd,
        ..Default::default()
    };
    let started = Instant::now();
    let fit = fit_repair_curves(&data.planning, &data.network, &opts)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fitted {} models from {} history rows in {secs:.2} s",
        fit.models.len(),
        data.planning.repair_history.len()
    );
    println!(
        "model        curve    source    exposure   repairs  prior_weight  rate@1  rate@5  rate@10"
    );
    for m in &fit.models {
        let at = |age: u32| {
            fit.cells
                .iter()
                .find(|c| c.model == m.model && c.age == age)
                .map_or(f64::NAN, |c| c.rate)
        };
        println!(
            "{:<12} {:<8} {:<8} {:>10.0} {:>9.0} {:>13.2} {:>7.4} {:>7.4} {:>8.4}",
            m.model,
            m.curve.as_str(),
            m.source,
            m.exposure,
            m.repairs,
            m.prior_weight,
            at(1),
            at(5),
            at(10)
        );
    }
    for w in &fit.warnings {
        eprintln!("warning: {w}");
    }
    write_curve_cells(&a.out, &fit)?;
    eprintln!("wrote {}", a.out.display());
    let models = a.models.clone().unwrap_or_else(|| models_path(&a.out));
    write_curve_models(&models, &fit)?;
    eprintln!("wrote {}", models.display());
    Ok(())
}
