//! `servnet plan`: forecast, plan and simulate from a data folder.

use servnet_core::io::{read_dir, write_text, Output};
use servnet_core::plan::forecast::{forecast, ForecastOptions};
use servnet_core::plan::network_plan::{plan_network, PlanModel, PlanOptions, ResponseTarget};
use servnet_core::plan::simulate::{peak_month_tickets, simulate, SimOptions};
use servnet_core::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `servnet plan` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder (see docs/formats.md), with the planning files.
    pub dir: PathBuf,
    /// The year to plan for (the forecast starts there).
    #[arg(long)]
    pub year: i32,
    /// Location model: cover, maxcover, pmedian or cflp.
    #[arg(long, default_value = "cover")]
    pub model: String,
    /// Outlets to open (maxcover, pmedian), must-keep centres included.
    #[arg(long)]
    pub p: Option<usize>,
    /// Solver time limit in seconds.
    #[arg(long, default_value_t = 20.0)]
    pub time_limit: f64,
    /// Where to write one row per site (.csv or .json; - for standard output).
    #[arg(long, default_value = "plan.csv")]
    pub out: PathBuf,
    /// Also write the whole plan as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Days of the peak month to simulate (0 = all).
    #[arg(long, default_value_t = 1)]
    pub sim_days: u32,
    /// Share of the drawn tickets simulated, capacities scaled alike (0 < s <= 1).
    #[arg(long, default_value_t = 0.1)]
    pub sim_sample: f64,
    /// Seed of the simulated tickets.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also require travel + Erlang C wait within the region's response hours.
    #[arg(long)]
    pub response: bool,
    /// Replay the folder's tickets file instead of drawing a peak month.
    #[arg(long)]
    pub replay: bool,
}

/// Runs `f` while a thread prints elapsed seconds on stderr every 2 s.
fn with_progress<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    let started = Instant::now();
    eprintln!("{what}...");
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            let mut last = 0;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let secs = started.elapsed().as_secs();
                if secs >= last + 2 {
                    last = secs;
                    eprintln!("  {what}: {secs} s");
                }
            }
        });
        let out = f();
        done.store(true, Ordering::Relaxed);
        out
    });
    eprintln!("{what}: done in {:.2} s", started.elapsed().as_secs_f64());
    out
}

pub fn run(a: &Args) -> Result<()> {
    // Every option is checked before any work or any write.
    let inputs = servnet_core::io::data_files(&a.dir);
    let out = Output::parse("out", &a.out, &inputs)?;
    let json = match &a.json {
        Some(j) => Some(Output::parse("json", j, &inputs)?),
        None => None,
    };
    let model = PlanModel::parse(&a.model, a.p)?;
    let mut popts = PlanOptions {
        year: Some(a.year),
        model,
        ..Default::default()
    };
    popts.solve.time_limit = a.time_limit;
    if a.response {
        popts.response = Some(ResponseTarget::default());
    }
    popts.check_bounds()?;
    let sopts = SimOptions {
        seed: a.seed,
        days: a.sim_days,
        sample: a.sim_sample,
        ..Default::default()
    };
    sopts.check_bounds()?;
    let data = with_progress("reading", || read_dir(&a.dir))?;
    let fopts = ForecastOptions::new(a.year, 1);
    let fc = with_progress("forecast", || {
        forecast(&data.planning, &data.network, &fopts)
    })?;
    let mut text = String::new();
    for t in fc.totals() {
        text += &format!(
            "forecast {}:  {:.0} tickets ({}), peak day {:.0} (month {}; regions' own peaks {:.0})\n",
            t.year,
            t.tickets,
            t.by_kind
                .iter()
                .map(|(k, v)| format!("{k} {v:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            t.peak_day,
            t.peak_month,
            t.regional_peak_day
        );
    }
    for w in &fc.warnings {
        eprintln!("warning: {}", w.message);
    }
    let plan = with_progress(&format!("locating and sizing ({})", model.as_str()), || {
        plan_network(&data.network, &fc, &popts)
    })?;
    out.write_table(&plan)?;
    eprintln!("wrote {}", out.name());
    if let Some(j) = &json {
        let doc = serde_json::to_string_pretty(&plan)
            .map_err(|e| Error::argument("json", e.to_string()))?;
        write_text(j, &doc)?;
        eprintln!("wrote {}", j.name());
    }
    text += &plan.totals.to_string();
    let (start, tickets) = if a.replay {
        (None, data.tickets.clone())
    } else {
        let (s, t) = peak_month_tickets(&fc, &data.network, a.year, &sopts)?;
        (Some(s), t)
    };
    let sim = with_progress(&format!("simulating {} tickets", tickets.len()), || {
        simulate(&plan, &data.network, &popts, &tickets, &sopts, start)
    })?;
    if a.sim_sample < 1.0 {
        text += &format!(
            "(simulated {:.0}% of the tickets against {:.0}% of every outlet's capacity)\n",
            100.0 * a.sim_sample,
            100.0 * a.sim_sample
        );
    }
    text += &sim.to_string();
    if out == Output::Stdout {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}
