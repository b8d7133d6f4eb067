//! The `servnet` command: validate, dispatch, assign and plan from a data folder.

mod bench;
mod campaign;
mod curves;
mod export;
mod out;
mod plan;
mod progress;
mod report;
mod review;
mod settle;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: `servnet assign` allocates per ticket and per
/// component, and glibc's malloc/free/realloc were 10-20% of its profile (issue 21).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "servnet",
    version,
    about = "After-sales service network engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bars or progress lines on stderr (bars are drawn only when stderr is
    /// a terminal, for solves longer than a second).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Load every file of a data folder, print a summary, or every error.
    Validate {
        /// The data folder (see docs/formats.md).
        dir: PathBuf,
    },
    /// Dispatch the folder's tickets one by one in arrival order and summarise.
    Dispatch {
        /// The data folder (see docs/formats.md).
        dir: PathBuf,
        /// Where to write one row per ticket, by extension: .csv, .json, .parquet, or
        /// .geoparquet / .geojson with a line from each ticket to its outlet (a point at
        /// the ticket when unassigned); - for standard output.
        #[arg(long, default_value = "assignments.csv")]
        out: PathBuf,
        /// Write CSV for Excel: a UTF-8 byte-order mark first, so names in any script
        /// open correctly (formula-like cells are always escaped).
        #[arg(long)]
        excel: bool,
        /// `balanced` (default weights) or `nearest` (distance only: nearest outlet with capacity).
        #[arg(long, default_value = "balanced")]
        policy: String,
        /// A JSON policy file (overrides --policy); fields as in `dispatch::Policy`.
        #[arg(long)]
        policy_file: Option<PathBuf>,
        /// Where bookings live: `memory` (this run only), or `redis://HOST:PORT/DB`
        /// (shared with every dispatcher on that Redis; docs/redis-ledger.md).
        #[arg(long, default_value = "memory")]
        ledger: String,
    },
    /// Forecast demand, plan outlets (keep / close / open, technicians) and simulate a
    /// peak month of tickets against the plan.
    Plan(plan::Args),
    /// Estimate repair rates by model and age from repair_history.csv (installed base as
    /// exposure): Weibull and bathtub curves by maximum likelihood, AIC choice, sparse
    /// models pooled toward their category, 95% intervals.
    FitCurves(curves::Args),
    /// Review outlets from outlet_history.csv: Bayesian-shrunk scorecards; probation
    /// outlets confirmed or removed after their probation, active ones kept, warned,
    /// suspended or removed by the thresholds, each with its reason and figures.
    Review(review::Args),
    /// Schedule proactive campaigns (inspection, maintenance, recall) from the installed
    /// base into the capacity customer tickets leave: visits by day, units left undone
    /// and why, cost, expected repairs avoided.
    Campaign(campaign::Args),
    /// Settlement (结算): one row per outlet for a period from its completed bookings:
    /// tickets by kind, fees (fee_schedule.csv), travel, total, SLA met share.
    Settle(settle::Args),
    /// Re-assign the folder's tickets jointly (batch assignment) and compare with
    /// sequential dispatch of the same tickets on the same capacities.
    Assign {
        /// The data folder (see docs/formats.md).
        dir: PathBuf,
        /// Where to write one row per ticket, by extension: .csv, .json, .parquet, or
        /// .geoparquet / .geojson with a line from each ticket to its outlet (a point at
        /// the ticket when unassigned); - for standard output.
        #[arg(long, default_value = "plan.csv")]
        out: PathBuf,
        /// Write CSV for Excel: a UTF-8 byte-order mark first, so names in any script
        /// open correctly (formula-like cells are always escaped).
        #[arg(long)]
        excel: bool,
        /// auto, flow, mip or heuristic.
        #[arg(long, default_value = "auto")]
        method: String,
        /// Seconds for MIP solves.
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
        /// A JSON policy file; fields as in `dispatch::Policy` (fallbacks are ignored).
        #[arg(long)]
        policy_file: Option<PathBuf>,
        /// Relative gap at which a plan is good enough (0.0005 = 0.05%; 0: prove
        /// optimality within the time limit).
        #[arg(long, default_value_t = servnet_core::assign::DEFAULT_GAP_TOLERANCE)]
        gap_tolerance: f64,
        /// A JSON file with a list of region quotas: `[{"id": "q1", "regions": ["R1"],
        /// "outlets": ["O1"], "max_units": 20}]` (units per day; no outlets: all).
        #[arg(long)]
        quotas_file: Option<PathBuf>,
        /// Also write the problem as a transport instance (the bench-transport layout,
        /// for scripts/compare_assign.py); fails where it is not one.
        #[arg(long, hide = true)]
        export_transport: Option<PathBuf>,
    },
    /// Run the HTTP dispatch service on a data folder: bookings go to the state folder's
    /// journal (durable), to a Redis shared with other instances (`--ledger
    /// redis://...`), or stay in memory (`--ledger memory`). See docs/service.md.
    Serve(ServeArgs),
    /// Print the service's OpenAPI document (docs/openapi.json).
    #[command(hide = true)]
    Openapi,
    /// Write a seeded transport instance (binary, for scripts/compare_assign.py), solve
    /// it and print servnet's time and objective as JSON.
    #[command(hide = true)]
    BenchTransport {
        /// Tickets.
        n: usize,
        /// Buckets.
        m: usize,
        /// Arcs per ticket.
        k: usize,
        /// Demand over capacity.
        tightness: f64,
        /// Where to write the instance.
        #[arg(long)]
        out: PathBuf,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Solve a GAP instance in Yagiura's format with servnet's MIP and Lagrangian
    /// heuristic; print JSON.
    #[command(hide = true)]
    BenchGap {
        /// The instance file.
        file: PathBuf,
        /// Seconds per solver.
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
    },
    /// Solve an OR-Library `cap*` (multi-source CFLP) or `pmed*` (p-median) file with
    /// servnet's heuristic and MIP; print JSON (for scripts/compare_plan.py).
    #[command(hide = true)]
    BenchLocation {
        /// The instance file, or `cornuejols-<sites>x<points>-r<ratio>-s<seed>` for a
        /// generated Cornuejols-type CFLP instance (e.g. cornuejols-100x1000-r5-s1).
        file: PathBuf,
        /// Capacity of every site (required for capa/capb/capc).
        #[arg(long)]
        capacity: Option<f64>,
        /// both, heuristic or mip.
        #[arg(long, default_value = "both")]
        method: String,
        /// Seconds per solver.
        #[arg(long, default_value_t = 20.0)]
        time_limit: f64,
        /// Also write the instance (binary; layout in bench.rs) for peer solvers.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The data folder (network; see docs/formats.md).
    dir: PathBuf,
    /// The state folder: every booking is journaled there before it is acknowledged,
    /// and a restart on the same folder restores them.
    #[arg(long)]
    state: Option<PathBuf>,
    /// `journal` (the default with --state), `memory` (nothing survives a restart), or
    /// `redis://HOST:PORT/DB?namespace=NAME`: shared with every dispatcher (service,
    /// process) on that Redis and namespace (docs/redis-ledger.md).
    #[arg(long)]
    ledger: Option<String>,
    /// Address to listen on (loopback by default; put TLS in front, see docs/service.md).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// A file of bearer tokens, one per line (at least 16 characters each).
    #[arg(long)]
    token_file: PathBuf,
    /// A JSON policy file; fields as in `dispatch::Policy`.
    #[arg(long)]
    policy_file: Option<PathBuf>,
    /// The network's offset from UTC: its clock dates holds, expires them and rolls the
    /// days over at midnight.
    #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
    utc_offset: String,
    /// Largest request body in bytes (`/v1/assign`: 64 MiB).
    #[arg(long, default_value_t = 64 * 1024)]
    max_body: usize,
    /// Seconds a request may take (`/v1/assign`: 120).
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Journal segment size in bytes before a snapshot replaces it (tests use small ones).
    #[arg(long, hide = true, default_value_t = servnet_core::dispatch::JournalOptions::default().segment_bytes)]
    journal_segment_bytes: u64,
}

fn serve(a: ServeArgs) -> Result<(), servnet_serve::ServeError> {
    let config = servnet_serve::Config {
        data: a.dir,
        state: a.state,
        ledger: a.ledger,
        listen: a.listen,
        token_file: a.token_file,
        policy_file: a.policy_file,
        utc_offset: a.utc_offset,
        limits: servnet_serve::Limits {
            max_body: a.max_body,
            timeout: std::time::Duration::from_secs(a.timeout),
            ..servnet_serve::Limits::default()
        },
        journal: servnet_core::dispatch::JournalOptions {
            segment_bytes: a.journal_segment_bytes.max(4096),
            ..Default::default()
        },
    };
    servnet_serve::serve(&config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    progress::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Serve(args) => {
            return match serve(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Openapi => {
            print!("{}", servnet_serve::openapi::text());
            Ok(())
        }
        Command::Validate { dir } => report::validate(&dir),
        Command::Dispatch {
            dir,
            out,
            excel,
            policy,
            policy_file,
            ledger,
        } => report::dispatch(&dir, &out, excel, &policy, policy_file.as_deref(), &ledger),
        Command::Plan(args) => plan::run(&args),
        Command::FitCurves(args) => curves::run(&args),
        Command::Review(args) => review::run(&args),
        Command::Campaign(args) => campaign::run(&args),
        Command::Settle(args) => settle::run(&args),
        Command::Assign {
            dir,
            out,
            excel,
            method,
            time_limit,
            policy_file,
            gap_tolerance,
            quotas_file,
            export_transport,
        } => report::assign(
            &dir,
            &out,
            &report::AssignArgs {
                excel,
                method,
                time_limit,
                gap_tolerance,
                policy_file,
                quotas_file,
                export_transport,
            },
        ),
        Command::BenchTransport {
            n,
            m,
            k,
            tightness,
            out,
            seed,
        } => report::bench_transport(n, m, k, tightness, seed, &out),
        Command::BenchGap { file, time_limit } => report::bench_gap(&file, time_limit),
        Command::BenchLocation {
            file,
            capacity,
            method,
            time_limit,
            out,
        } => bench::bench_location(&file, capacity, &method, time_limit, out.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
