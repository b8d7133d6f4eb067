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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
