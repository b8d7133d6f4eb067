//! The `servnet` command: validate, dispatch, assign and plan from a data folder.

mod bench;
mod plan;
mod report;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "servnet",
    version,
    about = "After-sales service network engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        /// Where to write one row per ticket.
        #[arg(long, default_value = "assignments.csv")]
        out: PathBuf,
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
    /// Re-assign the folder's tickets jointly (batch assignment) and compare with
    /// sequential dispatch of the same tickets on the same capacities.
    Assign {
        /// The data folder (see docs/formats.md).
        dir: PathBuf,
        /// Where to write one row per ticket.
        #[arg(long, default_value = "plan.csv")]
        out: PathBuf,
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
        #[arg(long, default_value_t = servnet_core::assign::plan::DEFAULT_GAP_TOLERANCE)]
        gap_tolerance: f64,
        /// A JSON file with a list of region quotas: `[{"id": "q1", "regions": ["R1"],
        /// "outlets": ["O1"], "max_units": 20}]` (units per day; no outlets: all).
        #[arg(long)]
        quotas_file: Option<PathBuf>,
    },
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
        /// The instance file.
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { dir } => report::validate(&dir),
        Command::Dispatch {
            dir,
            out,
            policy,
            policy_file,
            ledger,
        } => report::dispatch(&dir, &out, &policy, policy_file.as_deref(), &ledger),
        Command::Plan(args) => plan::run(&args),
        Command::Assign {
            dir,
            out,
            method,
            time_limit,
            policy_file,
            gap_tolerance,
            quotas_file,
        } => report::assign(
            &dir,
            &out,
            &report::AssignArgs {
                method,
                time_limit,
                gap_tolerance,
                policy_file,
                quotas_file,
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
