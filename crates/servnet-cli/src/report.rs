//! Human-readable summaries.

use servnet_core::io::{read_dir, DataSet, Output};
use servnet_core::model::{Priority, ServiceKind};
use servnet_core::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn validate(dir: &Path) -> Result<()> {
    let data = read_dir(dir)?;
    crate::out::emit(&summary(&data))
}

fn summary(d: &DataSet) -> String {
    let net = &d.network;
    let mut s = String::new();
    let mut line = |t: String| {
        s.push_str(&t);
        s.push('\n');
    };
    line(format!(
        "servnet data: {} outlets, {} regions, {} skills",
        net.outlets().len(),
        net.regions().len(),
        net.skills().len()
    ));

    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for o in net.outlets() {
        *by_status.entry(o.status.as_str()).or_default() += 1;
    }
    line(format!("outlets by status: {}", join(&by_status)));

    let mut by_tier: BTreeMap<&str, (usize, usize, u64)> = BTreeMap::new();
    let region_tier: Vec<_> = net.regions().iter().map(|r| r.tier.as_str()).collect();
    for r in net.regions() {
        let e = by_tier.entry(r.tier.as_str()).or_default();
        e.0 += 1;
        e.2 += r.population.unwrap_or(0);
    }
    // An outlet's tier is the tier of the nearest region's representative point.
    for o in net.outlets() {
        let nearest = net
            .regions()
            .iter()
            .enumerate()
            .min_by(|a, b| {
                let da = (a.1.lon - o.lon).powi(2) + (a.1.lat - o.lat).powi(2);
                let db = (b.1.lon - o.lon).powi(2) + (b.1.lat - o.lat).powi(2);
                da.total_cmp(&db)
            })
            .map(|(i, _)| i);
        if let Some(t) = nearest.and_then(|i| region_tier.get(i)) {
            by_tier.entry(t).or_default().1 += 1;
        }
    }
    line("tier  regions  outlets  population".into());
    for (t, (r, o, p)) in &by_tier {
        line(format!("{t:>4}  {r:>7}  {o:>7}  {p:>10}"));
    }

    let mut cap: BTreeMap<ServiceKind, (u64, u64)> = BTreeMap::new();
    for o in net.outlets().iter().filter(|o| o.status.takes_tickets()) {
        for sk in &o.skills {
            let e = cap.entry(sk.skill.kind).or_default();
            e.0 += u64::from(sk.daily_capacity);
            e.1 += u64::from(sk.load);
        }
    }
    let mut demand: BTreeMap<ServiceKind, u64> = BTreeMap::new();
    let mut by_priority: BTreeMap<Priority, usize> = BTreeMap::new();
    for t in &d.tickets {
        if let Some(id) = net.skill_id(&t.skill) {
            *demand.entry(net.skills()[id.index()].kind).or_default() += u64::from(t.units);
        }
        *by_priority.entry(t.priority).or_default() += 1;
    }
    line("daily capacity of open outlets (probation + active) by service kind:".into());
    line("kind          capacity     load  ticket units".into());
    for k in ServiceKind::ALL {
        let (c, l) = cap.get(&k).copied().unwrap_or_default();
        line(format!(
            "{:<12} {c:>9} {l:>8} {:>13}",
            k.as_str(),
            demand.get(&k).copied().unwrap_or(0)
        ));
    }
    let cap_total: u64 = net
        .outlets()
        .iter()
        .filter(|o| o.status.takes_tickets())
        .map(|o| u64::from(o.daily_cap))
        .sum();
    line(format!("outlet-wide daily cap (open outlets): {cap_total}"));
    let prio: Vec<String> = Priority::ALL
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.as_str(),
                by_priority.get(p).copied().unwrap_or(0)
            )
        })
        .collect();
    line(format!(
        "tickets: {} ({})",
        d.tickets.len(),
        prio.join(", ")
    ));
    let base: f64 = d.planning.installed_base.iter().map(|r| r.units).sum();
    let sales: f64 = d.planning.sales_plan.iter().map(|r| r.units).sum();
    line(format!(
        "installed base: {:.0} units of {} models in {} rows; sales plan: {:.0} units",
        base,
        d.planning.products.len(),
        d.planning.installed_base.len(),
        sales
    ));
    s
}

fn join(m: &BTreeMap<&str, usize>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The inputs of a run: the data folder's files and the option files given.
fn inputs(dir: &Path, files: &[Option<&Path>]) -> Vec<PathBuf> {
    let mut v = servnet_core::io::data_files(dir);
    v.extend(files.iter().flatten().map(|f| f.to_path_buf()));
    v
}

/// Writes the run's summary where it does not mix with the result: standard error when
/// the result goes to standard output.
fn report(out: &Output, text: &str) -> Result<()> {
    if *out == Output::Stdout {
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
    use servnet_core::dispatch::{
        dispatch_in_arrival_order, DispatchSummary, Dispatcher, OutcomeTable, Policy, SummaryTally,
    };
    use servnet_core::io::{CsvRows, Tabular};
    use servnet_core::Error;
    let out = Output::parse("out", out, &inputs(dir, &[policy_file]))?.for_excel(excel);
    let mut p = match policy_file {
        Some(f) => read_json::<Policy>("policy_file", f)?,
        None => match policy {
            "balanced" => Policy::default(),
            "nearest" => Policy::nearest(),
            other => {
                return Err(Error::argument(
                    "policy",
                    format!("expected balanced or nearest, got '{other}'"),
                ))
            }
        },
    };
    p.validate()?;
    let streamed = match &out {
        Output::File {
            format: servnet_core::io::Format::Json,
            ..
        } => None,
        _ => checked_in_order(dir)?,
    };
    let (summary, secs) = match streamed {
        // Tickets in arrival order in a CSV file, to CSV: read, dispatched and written a
        // chunk at a time, so memory holds the ledger, not the day's tickets and outcomes.
        Some((network, first)) => {
            if p.start_date.is_none() {
                p.start_date = first;
            }
            let d = Dispatcher::with_ledger(network, p, servnet_redis::open_ledger(ledger)?)?;
            let mut tally = SummaryTally::default();
            let mut secs = 0.0;
            let mut failed = None;
            let excel = matches!(
                &out,
                Output::File {
                    format: servnet_core::io::Format::ExcelCsv,
                    ..
                }
            );
            let path = dir.join("tickets.csv");
            out.write_with(|w| {
                if excel {
                    w.write_all(servnet_core::io::UTF8_BOM)?;
                }
                let mut rows = CsvRows::new(OutcomeTable(&[], None).columns(), w)?;
                let mut io_error = None;
                let read = servnet_core::io::read_tickets_chunked(
                    &path,
                    d.network(),
                    CHUNK,
                    &mut |tickets| {
                        if failed.is_some() || io_error.is_some() {
                            return;
                        }
                        for t in &tickets {
                            let t0 = std::time::Instant::now();
                            let o = match d.dispatch(t) {
                                Ok(o) => o,
                                Err(e) => {
                                    failed = Some(e);
                                    return;
                                }
                            };
                            secs += t0.elapsed().as_secs_f64();
                            tally.add(&o);
                            if let Err(e) =
                                rows.write(&OutcomeTable(std::slice::from_ref(&o), d.start_date()))
                            {
                                io_error = Some(e);
                                return;
                            }
                        }
                    },
                );
                if let Err(e) = read {
                    failed.get_or_insert(e);
                }
                match (io_error, &failed) {
                    (Some(e), _) => Err(e),
                    (None, Some(_)) => Err(std::io::Error::other("dispatch failed")),
                    (None, None) => rows.finish(),
                }
            })
            .map_err(|e| failed.take().unwrap_or(e))?;
            (tally.finish(&d), secs)
        }
        None => {
            let data = read_dir(dir)?;
            if p.start_date.is_none() {
                p.start_date = data.tickets.iter().map(|t| t.created_at.date()).min();
            }
            let d = Dispatcher::with_ledger(data.network, p, servnet_redis::open_ledger(ledger)?)?;
            let t = std::time::Instant::now();
            let outcomes = dispatch_in_arrival_order(&d, &data.tickets)?;
            let secs = t.elapsed().as_secs_f64();
            out.write_table(&OutcomeTable(&outcomes, d.start_date()))?;
            (DispatchSummary::new(&d, &outcomes), secs)
        }
    };
    let text = format!(
        "{}time:           {:.3} s ({:.2} us per ticket, one thread, incl. unassignable diagnosis)\nwritten:        {}\n",
        summary,
        secs,
        1e6 * secs / summary.tickets.max(1) as f64,
        out.name()
    );
    report(&out, &text)
}

/// Tickets read, dispatched and written per step when `servnet dispatch` streams.
const CHUNK: usize = 16_384;

/// Checks a data folder as [`read_dir`] does, reading `tickets.csv` a chunk at a time;
/// `Some((network, first ticket's date))` when the tickets are in arrival order
/// (`created_at`, then id) so they can be dispatched as read, `None` when they must be
/// sorted first (or come as JSON, or there are none).
fn checked_in_order(
    dir: &Path,
) -> Result<Option<(servnet_core::model::Network, Option<chrono::NaiveDate>)>> {
    let path = dir.join("tickets.csv");
    if !path.exists() {
        return Ok(None);
    }
    let network = servnet_core::io::read_network(dir)?;
    let mut last: Option<(chrono::NaiveDateTime, String)> = None;
    let mut first = None;
    let mut in_order = true;
    let tickets = servnet_core::io::read_tickets_chunked(&path, &network, CHUNK, &mut |chunk| {
        for t in chunk {
            first = first.or(Some(t.created_at.date()));
            if let Some((at, id)) = &last {
                in_order &= (*at, id.as_str()) <= (t.created_at, t.id.as_str());
            }
            last = Some((t.created_at, t.id));
        }
    });
    let planning = servnet_core::io::read_planning(dir, &network);
    // Every problem of both files together, as `read_dir` reports them.
    if tickets.is_err() || planning.is_err() {
        let mut issues = Vec::new();
        for e in [tickets.err(), planning.err()].into_iter().flatten() {
            match e {
                servnet_core::Error::Invalid(v) => issues.extend(v),
                other => return Err(other),
            }
        }
        return Err(servnet_core::Error::Invalid(issues));
    }
    Ok(in_order.then_some((network, first)))
}

/// The options of `servnet assign` besides the folders.
pub struct AssignArgs {
    pub excel: bool,
    pub method: String,
    pub time_limit: f64,
    pub gap_tolerance: f64,
    pub policy_file: Option<std::path::PathBuf>,
    pub quotas_file: Option<std::path::PathBuf>,
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
    use servnet_core::assign::{compare_with_sequential, AssignOptions};
    use servnet_core::dispatch::Policy;
    let out = Output::parse(
        "out",
        out,
        &inputs(
            dir,
            &[args.policy_file.as_deref(), args.quotas_file.as_deref()],
        ),
    )?
    .for_excel(args.excel);
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
    let data = read_dir(dir)?;
    let (plan, seq) = compare_with_sequential(&data.tickets, &data.network, &policy, &options)?;
    out.write_table(&plan)?;
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
    println(format!("written:        {}", out.name()));
    report(&out, &text)
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
    let mut b: Vec<u8> = Vec::new();
    for v in [n, m, p.arc_bucket.len()] {
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
    })?;
    let s = solve_transport(&p)?;
    println!(
        "{}",
        serde_json::json!({"seconds": s.stats.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "optimal": s.is_optimal()})
    );
    Ok(())
}

pub fn bench_gap(file: &Path, time_limit: f64) -> Result<()> {
    use servnet_core::bench::gap::{
        solve_lagrangian, solve_mip, GapInstance, LagrangianOptions, MipOptions,
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
        },
    )?;
    let j = |s: &servnet_core::bench::gap::GapSolution| {
        serde_json::json!({"seconds": s.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "status": format!("{:?}", s.status)})
    };
    println!(
        "{}",
        serde_json::json!({"lagrangian": j(&h), "mip": j(&mip)})
    );
    Ok(())
}
