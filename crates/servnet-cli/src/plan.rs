//! `servnet plan`: forecast, frontier, plan and replay from a data folder.

use servnet_core::io::{
    data_files, overlay, read_dir, read_population, write_atomic, write_network_for_excel,
    write_text, Output,
};
use servnet_core::plan::cells_table::CellsTable;
use servnet_core::plan::forecast::{forecast, ForecastOptions};
use servnet_core::plan::frontier::{FrontierRow, FrontierTable};
use servnet_core::plan::network_plan::{
    plan_network, NetworkPlan, PlanInputs, PlanModel, PlanOptions, ResponseTarget,
};
use servnet_core::plan::replay::{planned_network, NetworkFigures};
use servnet_core::plan::simulate::{peak_month_tickets, simulate, SimOptions};
use servnet_core::{Error, Result};
use servnet_export::{Locations, Target};
use std::path::{Path, PathBuf};
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
    /// auto (default: a cost-service frontier recommends the count), pmedian (with
    /// --p) or cover.
    #[arg(long)]
    pub model: Option<String>,
    /// Outlets to open, must-keep ones included (implies --model pmedian).
    #[arg(long)]
    pub p: Option<usize>,
    /// Seconds of local search per outlet count [default: 20].
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Where to write one row per site (.csv, .json, .parquet, .geoparquet or .geojson
    /// by extension, sites as points; - for standard output).
    #[arg(long, default_value = "plan.csv")]
    pub out: PathBuf,
    /// Also write the demand cells, one row per H3 cell (centre, peak-day tickets, share
    /// served, serving site), in any --out format.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Write CSV for Excel (--out, --frontier and the --network-out folder): a UTF-8
    /// byte-order mark first, so names in any script open correctly (formula-like cells
    /// are always escaped).
    #[arg(long)]
    pub excel: bool,
    /// Also write the whole plan as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the frontier, one row per outlet count (.csv, .json or .parquet).
    #[arg(long)]
    pub frontier: Option<PathBuf>,
    /// Write the planned network as a data folder (with the tickets) that `servnet
    /// dispatch` reads.
    #[arg(long)]
    pub network_out: Option<PathBuf>,
    /// H3 resolution of the demand cells [default: 8].
    #[arg(long)]
    pub resolution: Option<u8>,
    /// Share of each tier's peak-day demand to serve within its commitment [default:
    /// 0.95].
    #[arg(long)]
    pub target: Option<f64>,
    /// Outlet counts on the frontier [default: 16].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Smallest outlet count on the frontier (default: a quarter of today's).
    #[arg(long)]
    pub min_outlets: Option<usize>,
    /// Largest outlet count on the frontier (default: today's open outlets).
    #[arg(long)]
    pub max_outlets: Option<usize>,
    /// Close at most this many of today's open outlets (`150`) or this share of them
    /// (`10%`); must-keep outlets never close.
    #[arg(long)]
    pub max_closures: Option<String>,
    /// Plan options as a JSON file (any field of the plan options, nested objects
    /// merged over the defaults), e.g. `{"costs": {"close_cost": 300000,
    /// "max_technicians": 40}, "speed_kmh": 25}`; the flags above win over it. See
    /// docs/planning.md for every cost and its default.
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// Also size for travel + Erlang C wait within the region's response hours (80%).
    #[arg(long)]
    pub response: bool,
    /// The folder's tickets are always replayed at full capacity against the plan and
    /// today's network; this flag is kept for compatibility.
    #[arg(long)]
    pub replay: bool,
    /// Days of the forecast's peak month to draw and simulate (0: none).
    #[arg(long, default_value_t = 0)]
    pub sim_days: u32,
    /// Share of the drawn tickets simulated, capacities scaled alike (0 < s <= 1).
    #[arg(long, default_value_t = 0.1)]
    pub sim_sample: f64,
    /// Seed of the drawn tickets.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scenario "close flagged outlets": a `servnet review` actions file (outlet_id,
    /// action); suspended and removed outlets are planned as not open today, confirmed
    /// ones as active.
    #[arg(long)]
    pub closed_by: Option<PathBuf>,
    /// Campaigns counted as demand (default: the folder's campaigns.csv, if any; see
    /// docs/formats.md, campaigns.csv).
    #[arg(long)]
    pub campaigns: Option<PathBuf>,
    /// Leave the campaigns out of the demand the plan sizes.
    #[arg(long, conflicts_with = "campaigns")]
    pub no_campaigns: bool,
}

/// Runs `f` while a thread prints elapsed seconds on stderr every 5 s (nothing with
/// `--quiet`).
fn with_progress<T>(what: &str, f: impl FnOnce() -> T) -> T {
    if crate::progress::quiet() {
        return f();
    }
    let done = AtomicBool::new(false);
    let started = Instant::now();
    eprintln!("{what}...");
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            let mut last = 0;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let secs = started.elapsed().as_secs();
                if secs >= last + 5 {
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

fn frontier_text(rows: &[FrontierRow], recommended: Option<usize>) -> String {
    let mut s = String::from(
        "frontier:  outlets  kept   new  closed  techs  annual cost M  served   A      B      C     resp h (p95)  gap     replay SLA  km\n",
    );
    for r in rows {
        let mark = if Some(r.n_outlets) == recommended {
            "->"
        } else if r.efficient {
            " *"
        } else {
            "  "
        };
        s += &format!(
            "       {mark} {:>7} {:>5} {:>5} {:>7} {:>6} {:>14.1} {:>6.1}% {:>5.1}% {:>5.1}% {:>5.1}% {:>5.2} ({:>5.2}) {:>6.3}% {:>9} {:>6}\n",
            r.n_outlets,
            r.kept,
            r.new,
            r.closed,
            r.technicians,
            r.annual_cost / 1e6,
            100.0 * r.served_share,
            100.0 * r.served_by_tier[0],
            100.0 * r.served_by_tier[1],
            100.0 * r.served_by_tier[2],
            r.mean_response_hours,
            r.p95_response_hours,
            100.0 * r.gap,
            r.replay_sla_met_share
                .map_or("-".to_string(), |x| format!("{:.2}%", 100.0 * x)),
            r.replay_mean_km.map_or("-".to_string(), |x| format!("{x:.2}")),
        );
    }
    s + "           (-> recommended, * on the cost-service Pareto frontier)\n"
}

/// Today's network, today's outlets re-sized, and the plan: forecast figures and the
/// replay.
pub fn side_by_side(
    current: &NetworkFigures,
    resized: &NetworkFigures,
    plan: &NetworkFigures,
) -> String {
    let mut s = format!(
        "  {:<38} {:>12} {:>14} {:>12}\n",
        "", "today", "today resized", "plan"
    );
    let cols = [current, resized, plan];
    let mut row = |name: &str, f: &dyn Fn(&NetworkFigures) -> String| {
        s.push_str(&format!(
            "  {name:<38} {:>12} {:>14} {:>12}\n",
            f(cols[0]),
            f(cols[1]),
            f(cols[2])
        ));
    };
    row("outlets open", &|x| x.outlets.to_string());
    row("technicians (sized for the forecast)", &|x| {
        x.technicians.to_string()
    });
    row("annual cost, M", &|x| format!("{:.1}", x.annual_cost / 1e6));
    row("forecast peak day served in commitment", &|x| {
        format!("{:.1}%", 100.0 * x.served_share)
    });
    if current.tickets > 0 {
        row("replay: tickets", &|x| x.tickets.to_string());
        row("replay: SLA met", &|x| {
            format!("{:.2}%", 100.0 * x.sla_met_share)
        });
        row("replay: mean km", &|x| format!("{:.2}", x.mean_km));
        row("replay: p95 km", &|x| format!("{:.2}", x.p95_km));
        row("replay: via fallback", &|x| x.fallbacks.to_string());
        row("replay: unassigned", &|x| x.unassigned.to_string());
    }
    s
}

/// Copies the folder's tickets file beside the planned network (atomically).
fn copy_tickets(from: &Path, to: &Path) -> Result<()> {
    for name in ["tickets.csv", "tickets.json"] {
        let src = from.join(name);
        if src.exists() {
            let bytes = std::fs::read(&src).map_err(|source| Error::Io {
                path: src.display().to_string(),
                source,
            })?;
            write_atomic(&to.join(name), |w| w.write_all(&bytes))?;
        }
    }
    Ok(())
}

/// The plan options: `--options FILE` over the defaults, then the flags.
fn plan_options(a: &Args) -> Result<PlanOptions> {
    let mut popts = match &a.options {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            overlay(&PlanOptions::default(), &text, "options")?
        }
        None => PlanOptions::default(),
    };
    popts.year = Some(a.year);
    if a.model.is_some() || a.p.is_some() {
        popts.model = PlanModel::parse(a.model.as_deref(), a.p)?;
    }
    if let Some(t) = a.time_limit {
        popts.solve.time_limit = t;
    }
    if let Some(r) = a.resolution {
        popts.demand.resolution = r;
    }
    if let Some(t) = a.target {
        popts.service_target = [t; 3];
    }
    if let Some(s) = a.steps {
        popts.frontier.steps = s;
    }
    if a.min_outlets.is_some() {
        popts.frontier.min = a.min_outlets;
    }
    if a.max_outlets.is_some() {
        popts.frontier.max = a.max_outlets;
    }
    if let Some(m) = &a.max_closures {
        let bad = || Error::argument("max-closures", format!("expected N or P%, got '{m}'"));
        match m.strip_suffix('%') {
            Some(pct) => {
                let share: f64 = pct.trim().parse().map_err(|_| bad())?;
                popts.max_closure_share = Some(share / 100.0);
            }
            None => popts.max_closures = Some(m.trim().parse().map_err(|_| bad())?),
        }
    }
    if a.response {
        popts.response = Some(ResponseTarget::default());
    }
    popts.check_bounds()?;
    Ok(popts)
}

pub fn run(a: &Args) -> Result<()> {
    // Every option is checked before any work or any write.
    let inputs = data_files(&a.dir);
    let out = Target::parse("out", &a.out, &inputs, a.excel)?;
    let cells_out = match &a.cells {
        Some(c) => Some(Target::parse("cells", c, &inputs, a.excel)?),
        None => None,
    };
    let json = match &a.json {
        Some(j) => Some(Output::parse("json", j, &inputs)?),
        None => None,
    };
    let frontier_out = match &a.frontier {
        Some(f) => {
            Some(Target::parse("frontier", f, &inputs, a.excel)?.without_locations("frontier")?)
        }
        None => None,
    };
    if let Some(dir) = &a.network_out {
        let same = dir
            .canonicalize()
            .ok()
            .zip(a.dir.canonicalize().ok())
            .is_some_and(|(x, y)| x == y);
        if same {
            return Err(Error::argument(
                "network-out",
                format!(
                    "{} is the input folder; writing the planned network there would destroy the input",
                    dir.display()
                ),
            ));
        }
    }
    let popts = plan_options(a)?;
    let sopts = SimOptions {
        seed: a.seed,
        days: a.sim_days,
        sample: a.sim_sample,
        ..Default::default()
    };
    sopts.check_bounds()?;
    let mut data = with_progress("reading", || read_dir(&a.dir))?;
    if let Some(path) = &a.closed_by {
        let actions = servnet_core::io::read_review_actions(path)?;
        let changes = servnet_core::review::review_changes(
            actions.iter().map(|(id, act)| (id.as_str(), *act)),
        );
        for c in &changes {
            data.network = c.apply(&data.network)?;
        }
        eprintln!(
            "--closed-by: {} outlet status changes applied",
            changes.len()
        );
    }
    let population = read_population(&a.dir, &data.network)?;
    let fopts = ForecastOptions::new(a.year, 1);
    let fc = with_progress("forecast", || {
        forecast(&data.planning, &data.network, &fopts)
    })?;
    let fc =
        crate::campaign::with_campaigns(fc, &a.dir, a.campaigns.as_deref(), a.no_campaigns, &data)?;
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
    let peak = fc.totals().first().map_or(0.0, |t| t.peak_day);
    let by_package =
        servnet_core::plan::packages::package_demand(&data.network, &data.tickets, peak);
    if !by_package.is_empty() {
        text += "service packages (the folder's tickets; capacity = units x (1 + follow-up share), scaled to the forecast peak day):\n";
        text += &servnet_core::plan::packages::package_demand_text(&by_package);
    }
    let inputs = PlanInputs {
        network: &data.network,
        forecast: &fc,
        tickets: &data.tickets,
        population: &population,
    };
    let what = match popts.model {
        PlanModel::Auto => "frontier, plan and replay".to_string(),
        m => format!("plan ({}) and replay", m.as_str()),
    };
    let mut plan: NetworkPlan = if crate::progress::bars() {
        crate::progress::solve(
            &what,
            None,
            || plan_network(&inputs, &popts),
            |r| {
                r.as_ref().ok().map(|p| crate::progress::Figures {
                    incumbent: p.totals.objective,
                    bound: p.totals.lower_bound,
                    gap: p.totals.gap,
                    status: p.totals.status,
                })
            },
        )
    } else {
        with_progress(&what, || plan_network(&inputs, &popts))
    }?;
    // The replay's service cost per site and by kind x tier, and by package.
    let costs = if data.tickets.is_empty() {
        None
    } else {
        Some(crate::settle::plan_costs(&a.dir, &data, &mut plan, &popts)?)
    };
    // Files first, then the report.
    let points = Locations::Points {
        lon: "lon",
        lat: "lat",
    };
    servnet_export::write(&out, &plan, Some(&points))?;
    eprintln!("wrote {}", out.name());
    if let Some(c) = &cells_out {
        servnet_export::write(c, &CellsTable(&plan), Some(&points))?;
        eprintln!("wrote {}", c.name());
    }
    if let Some(f) = &frontier_out {
        servnet_export::write(f, &FrontierTable(&plan.frontier), None)?;
        eprintln!("wrote {}", f.name());
    }
    if let Some(j) = &json {
        let doc = serde_json::to_string_pretty(&plan)
            .map_err(|e| Error::argument("json", e.to_string()))?;
        write_text(j, &doc)?;
        eprintln!("wrote {}", j.name());
    }
    if let Some(dir) = &a.network_out {
        let net = planned_network(&plan, &data.network, &popts)?;
        write_network_for_excel(dir, &net, a.excel)?;
        copy_tickets(&a.dir, dir)?;
        eprintln!(
            "wrote the planned network to {} (servnet dispatch {0})",
            dir.display()
        );
    }
    text += &format!(
        "demand:         {} points ({} H3 cells at resolution {} x product category), {} candidate sites, {} site x point pairs\n",
        plan.demand_points, plan.demand_cells, popts.demand.resolution, plan.candidates, plan.pairs
    );
    if !plan.frontier.is_empty() {
        text += &frontier_text(&plan.frontier, plan.recommended_outlets);
    }
    if let Some(r) = &plan.recommendation {
        text += &format!("recommended:    {} outlets: {}\n", r.n_outlets, r.reason);
    }
    text += &plan.totals.to_string();
    let mut decisions: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in &plan.sites {
        *decisions.entry(s.decision.as_str()).or_default() += 1;
    }
    text += &format!(
        "decisions:      {} (reasons and the tickets each site takes over: {})\n",
        decisions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        out.name()
    );
    if data.tickets.is_empty() {
        text += "today vs plan (no tickets file in the folder: nothing replayed):\n";
    } else {
        text += &format!(
            "today, today's outlets re-sized, and the plan (the folder's {} tickets replayed at full capacity):\n",
            data.tickets.len()
        );
    }
    text += &side_by_side(&plan.current, &plan.resized, &plan.replay);
    text += "  (today: today's capacities; today resized: today's outlets sized for the forecast like the plan)\n";
    text += &servnet_core::plan::service_cost::package_text(&plan);
    if let Some(c) = costs {
        text += &c;
    }
    if a.sim_days > 0 {
        let (start, tickets) = peak_month_tickets(&fc, &data.network, a.year, &plan.cells, &sopts)?;
        let sim = with_progress(
            &format!("simulating {} drawn tickets", tickets.len()),
            || simulate(&plan, &data.network, &popts, &tickets, &sopts, Some(start)),
        )?;
        if a.sim_sample < 1.0 {
            text += &format!(
                "(drawn peak month: {:.0}% of the tickets against {:.0}% of every outlet's capacity)\n",
                100.0 * a.sim_sample,
                100.0 * a.sim_sample
            );
        }
        text += &sim.to_string();
    }
    if out.core() == Some(&Output::Stdout) {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}
