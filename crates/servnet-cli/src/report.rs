//! Human-readable summaries.

use servnet_core::io::{read_dir, Output};
use servnet_core::Result;
use servnet_export::Target;
use std::path::{Path, PathBuf};

pub fn validate(dir: &Path) -> Result<()> {
    let data = read_dir(dir)?;
    crate::out::emit(&data.summary())
}

/// The inputs of a run: the data folder's files and the option files given.
fn inputs(dir: &Path, files: &[Option<&Path>]) -> Vec<PathBuf> {
    let mut v = servnet_core::io::data_files(dir);
    v.extend(files.iter().flatten().map(|f| f.to_path_buf()));
    v
}

/// Writes the run's summary where it does not mix with the result: standard error when
/// the result goes to standard output.
fn report(out: &Target, text: &str) -> Result<()> {
    if out.core() == Some(&Output::Stdout) {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(text)
    }
}

pub fn dispatch(
    dir: &Path,
    out: &Path,
    excel: bool,
    policy: &str,
    policy_file: Option<&Path>,
    ledger: &str,
) -> Result<()> {
    use servnet_core::cost::{CostSummary, CostedOutcomes, TicketCoster};
    use servnet_core::dispatch::{
        arrival_ordered_csv, dispatch_csv_streamed, dispatch_in_arrival_order, first_arrival_date,
        DispatchSummary, Dispatcher, OutcomeTable, Policy,
    };
    use servnet_core::io::read_fee_schedule;
    let target = Target::parse("out", out, &inputs(dir, &[policy_file]), excel)?;
    let mut p = match policy_file {
        Some(f) => read_json::<Policy>("policy_file", f)?,
        None => Policy::named(policy)?,
    };
    p.validate()?;
    // Parquet / GeoJSON are written whole, from the read folder (the streamed path
    // writes CSV a chunk at a time).
    let streamed = match target.core() {
        Some(out) => arrival_ordered_csv(dir, out)?,
        None => None,
    };
    let (summary, costs, secs) = match streamed {
        // Tickets in arrival order in a CSV file, to CSV: read, dispatched and written a
        // chunk at a time, so memory holds the ledger, not the day's tickets and outcomes.
        Some(t) => {
            if p.start_date.is_none() {
                p.start_date = t.first_date;
            }
            let fees = read_fee_schedule(dir, &t.network)?;
            let d = Dispatcher::with_ledger(t.network, p, servnet_redis::open_ledger(ledger)?)?;
            let out = target.core().unwrap_or(&Output::Stdout);
            dispatch_csv_streamed(&d, &t.path, out, &fees)?
        }
        None => {
            let data = read_dir(dir)?;
            if p.start_date.is_none() {
                p.start_date = first_arrival_date(&data.tickets);
            }
            let fees = read_fee_schedule(dir, &data.network)?;
            let d = Dispatcher::with_ledger(data.network, p, servnet_redis::open_ledger(ledger)?)?;
            let t = std::time::Instant::now();
            let outcomes = dispatch_in_arrival_order(&d, &data.tickets)?;
            let secs = t.elapsed().as_secs_f64();
            let coster = TicketCoster::new(&fees, d.network(), &data.tickets);
            let (tickets, outlets) = crate::export::places(&data.tickets, d.network());
            servnet_export::write(
                &target,
                &CostedOutcomes(OutcomeTable(&outcomes, d.start_date()), &coster),
                Some(&crate::export::links(&tickets, &outlets)),
            )?;
            let costs = CostSummary::of_outcomes(&coster, &outcomes);
            (DispatchSummary::new(&d, &outcomes), costs, secs)
        }
    };
    let text = format!(
        "{}{}time:           {:.3} s ({:.2} us per ticket, one thread, incl. unassignable diagnosis)\nwritten:        {}\n",
        summary,
        costs,
        secs,
        1e6 * secs / summary.tickets.max(1) as f64,
        target.name()
    );
    report(&target, &text)
}

/// The options of `servnet assign` besides the folders.
pub struct AssignArgs {
    pub excel: bool,
    pub method: String,
    pub time_limit: f64,
    pub gap_tolerance: f64,
    pub policy_file: Option<std::path::PathBuf>,
    pub quotas_file: Option<std::path::PathBuf>,
    pub export_transport: Option<std::path::PathBuf>,
}

/// Reads a JSON file into `T`; errors name the option and the file.
fn read_json<T: serde::de::DeserializeOwned>(option: &str, f: &Path) -> Result<T> {
    use servnet_core::Error;
    let text = std::fs::read_to_string(f).map_err(|source| Error::Io {
        path: f.display().to_string(),
        source,
    })?;
    serde_json::from_str::<T>(&text)
        .map_err(|e| Error::argument(option, format!("{}: {e}", f.display())))
}

pub fn assign(dir: &Path, out: &Path, args: &AssignArgs) -> Result<()> {
    use servnet_core::assign::{compare_with_sequential_on, AssignOptions, BaselineDispatcher};
    use servnet_core::dispatch::Policy;
    let out = Target::parse(
        "out",
        out,
        &inputs(
            dir,
            &[args.policy_file.as_deref(), args.quotas_file.as_deref()],
        ),
        args.excel,
    )?;
    let policy = match &args.policy_file {
        Some(f) => read_json::<Policy>("policy_file", f)?,
        None => Policy::default(),
    };
    let options = AssignOptions {
        method: args.method.parse()?,
        time_limit: args.time_limit,
        gap_tolerance: args.gap_tolerance,
        quotas: match &args.quotas_file {
            Some(f) => read_json("quotas_file", f)?,
            None => Vec::new(),
        },
        ..AssignOptions::default()
    };
    policy.validate()?;
    // The comparison's dispatcher is laid out while the tickets are checked.
    let (data, dispatcher) = servnet_core::io::read_dir_beside(dir, |network| {
        BaselineDispatcher::new(network.clone(), &policy)
    })?;
    let dispatcher = dispatcher?;
    if let Some(file) = &args.export_transport {
        let p = servnet_core::assign::transport_instance(
            &data.tickets,
            &data.network,
            &policy,
            &options,
        )?;
        write_transport(&p, file)?;
    }
    let schedule = servnet_core::io::read_fee_schedule(dir, &data.network)?;
    // The costs' per-ticket facts are looked up while the plan is made.
    let (solved, coster) = rayon::join(
        || {
            crate::progress::solve(
                &format!("assign ({})", args.method),
                Some(args.time_limit),
                || compare_with_sequential_on(&data.tickets, dispatcher, &options),
                |r| {
                    r.as_ref().ok().map(|(p, _)| crate::progress::Figures {
                        incumbent: p.objective,
                        bound: p.lower_bound,
                        gap: p.gap,
                        status: p.status,
                    })
                },
            )
        },
        || servnet_core::cost::TicketCoster::new(&schedule, &data.network, &data.tickets),
    );
    let (plan, seq) = solved?;
    // Ticket and outlet places only for the formats that draw them (not CSV / JSON).
    let places = out
        .core()
        .is_none()
        .then(|| crate::export::places(&data.tickets, &data.network));
    let links = places.as_ref().map(|(t, o)| crate::export::links(t, o));
    // The plan's file is written while the summary's costs are summed.
    let (written, costs) = rayon::join(
        || {
            servnet_export::write(
                &out,
                &servnet_core::cost::CostedAssignments(&plan, &coster),
                links.as_ref(),
            )
        },
        || {
            servnet_core::cost::CostSummary::of(
                &coster,
                plan.assignments
                    .iter()
                    .map(|a| (a.ticket_id.as_str(), a.outlet_id.as_str(), a.distance_km)),
            )
        },
    );
    written?;
    let n = data.tickets.len();
    let mut text = String::new();
    let mut println = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    println(format!("tickets:        {n}"));
    println(format!(
        "assigned:       {} joint, {} sequential",
        plan.assignments.len(),
        seq.assigned
    ));
    println(format!(
        "method:         {} ({:?}, {} components)",
        plan.method.as_str(),
        plan.status,
        plan.components
    ));
    println(format!("objective:      {:.3}", plan.objective));
    println(format!("lower bound:    {:.3}", plan.lower_bound));
    println(format!("gap:            {:.4}%", 100.0 * plan.gap));
    println(format!("time:           {:.3} s", plan.seconds));
    let gain = seq.objective - plan.objective;
    println(format!(
        "sequential:     objective {:.3} ({:.3} s); joint is {:.3} lower ({:.2}%)",
        seq.objective,
        seq.seconds,
        gain,
        100.0 * gain / seq.objective.abs().max(1.0)
    ));
    println(format!(
        "mean distance:  {:.2} km joint vs {:.2} km sequential",
        plan.mean_distance_km(),
        seq.mean_distance_km
    ));
    println(costs.to_string().trim_end().to_string());
    println(format!("written:        {}", out.name()));
    let done = report(&out, &text);
    // The process ends next: its tickets, network and plan are left to the exit rather
    // than freed string by string.
    std::mem::forget(coster);
    std::mem::forget((data, plan));
    done
}

/// Layout (little-endian): n, m, nnz as i64; capacity u32[m]; arc_start i64[n+1];
/// arc_bucket u32[nnz]; arc_cost i64[nnz]; penalty i64[n].
pub fn bench_transport(
    n: usize,
    m: usize,
    k: usize,
    tightness: f64,
    seed: u64,
    out: &Path,
) -> Result<()> {
    use servnet_core::assign::transport::solve_transport;
    use servnet_core::bench::transport::random_transport;
    let p = random_transport(n, m, k, tightness, seed)?;
    write_transport(&p, out)?;
    let s = solve_transport(&p)?;
    println!(
        "{}",
        serde_json::json!({"seconds": s.stats.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "optimal": s.is_optimal()})
    );
    Ok(())
}

/// Writes a transport problem in the layout above.
fn write_transport(
    p: &servnet_core::assign::transport::TransportProblem,
    out: &Path,
) -> Result<()> {
    let mut b: Vec<u8> = Vec::new();
    for v in [p.tickets, p.buckets, p.arc_bucket.len()] {
        b.extend((v as i64).to_le_bytes());
    }
    p.capacity.iter().for_each(|v| b.extend(v.to_le_bytes()));
    p.arc_start
        .iter()
        .for_each(|&v| b.extend((v as i64).to_le_bytes()));
    p.arc_bucket.iter().for_each(|v| b.extend(v.to_le_bytes()));
    p.arc_cost.iter().for_each(|v| b.extend(v.to_le_bytes()));
    p.unassigned_penalty
        .iter()
        .for_each(|v| b.extend(v.to_le_bytes()));
    std::fs::write(out, b).map_err(|source| servnet_core::Error::Io {
        path: out.display().to_string(),
        source,
    })
}

pub fn bench_gap(file: &Path, time_limit: f64) -> Result<()> {
    use servnet_core::bench::gap::{
        solve_combined, solve_lagrangian, solve_mip, GapInstance, LagrangianOptions, MipOptions,
    };
    let text = std::fs::read_to_string(file).map_err(|source| servnet_core::Error::Io {
        path: file.display().to_string(),
        source,
    })?;
    let g = GapInstance::parse_yagiura(&text)?;
    let h = solve_lagrangian(
        &g,
        &LagrangianOptions {
            time_limit,
            ..LagrangianOptions::default()
        },
    )?;
    let mip = solve_mip(
        &g,
        &MipOptions {
            time_limit,
            threads: 1,
            start: None,
        },
    )?;
    // The heuristic's plan seeds the MIP: 30% of the time, then HiGHS from there.
    let both = solve_combined(&g, time_limit, 0.3)?;
    let j = |s: &servnet_core::bench::gap::GapSolution| {
        serde_json::json!({"seconds": s.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "status": format!("{:?}", s.status)})
    };
    println!(
        "{}",
        serde_json::json!({"lagrangian": j(&h), "mip": j(&mip), "combined": j(&both)})
    );
    Ok(())
}
