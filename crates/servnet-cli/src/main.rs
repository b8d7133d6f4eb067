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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
