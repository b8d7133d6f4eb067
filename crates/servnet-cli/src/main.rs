//! The `servnet` command: validate, dispatch, assign and plan from a data folder.

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
    },
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
        } => report::dispatch(&dir, &out, &policy, policy_file.as_deref()),
        Command::Assign {
            dir,
            out,
            method,
            time_limit,
            policy_file,
        } => report::assign(&dir, &out, &method, time_limit, policy_file.as_deref()),
        Command::BenchTransport {
            n,
            m,
            k,
            tightness,
            out,
            seed,
        } => report::bench_transport(n, m, k, tightness, seed, &out),
        Command::BenchGap { file, time_limit } => report::bench_gap(&file, time_limit),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
