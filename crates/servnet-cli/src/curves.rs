//! `servnet fit-curves`: repair curves estimated from a data folder's repair history.

use servnet_core::io::{data_files, read_dir, Output};
use servnet_core::plan::curves::{fit_repair_curves, CellsTable, FitOptions, ModelsTable};
use servnet_core::{Error, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `servnet fit-curves` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder, with repair_history.csv and the installed base.
    pub dir: PathBuf,
    /// Where to write one row per model and age (model, age, rate, rate_lo, rate_hi,
    /// observed...; readable as repair_rates.csv): .csv or .json, - for standard output.
    #[arg(long, default_value = "repair_curves.csv")]
    pub out: PathBuf,
    /// Where to write one row per model (family, parameters, AIC): .csv or .json, - for
    /// standard output; default: the --out file with `_models` before its extension
    /// (none with --out -).
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
    let ext = out
        .extension()
        .map_or_else(|| "csv".into(), |e| e.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}_models.{ext}"))
}

pub fn run(a: &Args) -> Result<()> {
    // Every option is checked before any work or any write.
    let inputs = data_files(&a.dir);
    let out = Output::parse("out", &a.out, &inputs)?;
    let models = match (&a.models, &out) {
        (Some(m), _) => Some(Output::parse("models", m, &inputs)?),
        (None, Output::Stdout) => None,
        (None, Output::File { .. }) => {
            Some(Output::parse("models", &models_path(&a.out), &inputs)?)
        }
    };
    if let (Some(m @ Output::File { .. }), Output::File { .. }) = (&models, &out) {
        if *m == out {
            return Err(Error::argument(
                "models",
                "is the --out file; give another path",
            ));
        }
    }
    let data = read_dir(&a.dir)?;
    let opts = FitOptions {
        max_age: a.max_age,
        prior_sd: a.prior_sd,
        ..Default::default()
    };
    let started = Instant::now();
    let fit = fit_repair_curves(&data.planning, &data.network, &opts)?;
    let secs = started.elapsed().as_secs_f64();
    let mut text = format!(
        "fitted {} models from {} history rows in {secs:.2} s\n",
        fit.models.len(),
        data.planning.repair_history.len()
    );
    text.push_str(
        "model        curve    source    exposure   repairs  prior_weight  rate@1  rate@5  rate@10\n",
    );
    for m in &fit.models {
        let at = |age: u32| {
            fit.cells
                .iter()
                .find(|c| c.model == m.model && c.age == age)
                .map_or(f64::NAN, |c| c.rate)
        };
        let _ = writeln!(
            text,
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
    // Files first, then the summary (a closed pipe must not cost the files).
    out.write_table(&CellsTable(&fit))?;
    eprintln!("wrote {}", out.name());
    if let Some(m) = &models {
        m.write_table(&ModelsTable(&fit))?;
        eprintln!("wrote {}", m.name());
    }
    if out == Output::Stdout || models == Some(Output::Stdout) {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}
