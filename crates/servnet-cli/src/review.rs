//! `servnet review`: outlet scorecards and the actions they call for.

use servnet_core::io::{data_files, read_dir, read_outlet_history, write_text, Output};
use servnet_core::review::{review, review_changes, ReviewOptions, ReviewTable};
use servnet_core::{Error, Result};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `servnet review` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder, with outlet_history.csv (see docs/formats.md).
    pub dir: PathBuf,
    /// The review date (YYYY-MM-DD): complete months before it count.
    #[arg(long)]
    pub as_of: String,
    /// Where to write one row per outlet reviewed (outlet_id, action, reason and the
    /// figures): .csv or .json, - for standard output.
    #[arg(long, default_value = "actions.csv")]
    pub out: PathBuf,
    /// Write CSV for Excel: a UTF-8 byte-order mark first, so names in any script open
    /// correctly (formula-like cells are always escaped).
    #[arg(long)]
    pub excel: bool,
    /// Review thresholds and priors as a JSON file (fields over the defaults; see
    /// docs/formats.md, outlet_history.csv).
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// Also write the network changes that carry out the actions (suspend, remove,
    /// confirm; warn and keep change nothing) as one JSON array: the body of the
    /// service's `POST /v1/network/changes`, applied there all or none.
    #[arg(long)]
    pub changes: Option<PathBuf>,
}

pub fn run(a: &Args) -> Result<()> {
    let inputs = data_files(&a.dir);
    let out = Output::parse("out", &a.out, &inputs)?.for_excel(a.excel);
    let changes_out = match &a.changes {
        Some(p)
            if p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
        {
            Some(Output::parse("changes", p, &inputs)?)
        }
        Some(p) => {
            return Err(Error::argument(
                "changes",
                format!(
                    "{}: the changes are a JSON array; use a .json file",
                    p.display()
                ),
            ))
        }
        None => None,
    };
    let as_of = servnet_core::chrono::NaiveDate::parse_from_str(&a.as_of, "%Y-%m-%d")
        .map_err(|_| Error::argument("as-of", format!("expected YYYY-MM-DD, got '{}'", a.as_of)))?;
    let opts = match &a.options {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })?;
            ReviewOptions::from_json(&text)?
        }
        None => ReviewOptions::default(),
    };
    let data = read_dir(&a.dir)?;
    let history = read_outlet_history(&a.dir, &data.network)?;
    if history.months.is_empty() {
        eprintln!("warning: no outlet_history.csv rows: every outlet is judged at neutral rates");
    }
    let r = review(&data.network, &history, as_of, &opts)?;
    out.write_table(&ReviewTable(&r))?;
    eprintln!("wrote {}", out.name());
    if let Some(c) = &changes_out {
        let changes = review_changes(
            r.rows
                .iter()
                .map(|row| (row.outlet_id.as_str(), row.action)),
        );
        let doc = serde_json::to_string_pretty(&changes)
            .map_err(|e| Error::argument("changes", e.to_string()))?;
        write_text(c, &doc)?;
        eprintln!(
            "wrote {} ({} network changes; POST it to /v1/network/changes)",
            c.name(),
            changes.len()
        );
    }
    let mut text = format!(
        "reviewed {} outlets as of {as_of} ({} history rows); network: SLA {:.3}, rating {:.2}, complaints {:.4}, repeat repairs {:.4} per ticket over {} tickets\n",
        r.rows.len(),
        history.months.len(),
        r.network.sla,
        r.network.rating,
        r.network.complaints,
        r.network.repeat_repairs,
        r.network.tickets,
    );
    for (action, n) in r.counts() {
        let _ = writeln!(text, "  {:<8} {n}", action.as_str());
    }
    for row in r.rows.iter().filter(|r| r.action.severity() >= 2) {
        let _ = writeln!(
            text,
            "{} {} ({}): {}",
            row.action.as_str(),
            row.outlet_id,
            row.name,
            row.reason
        );
    }
    if out == Output::Stdout {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}
