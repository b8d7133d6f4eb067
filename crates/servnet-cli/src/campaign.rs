//! `servnet campaign`: proactive campaigns scheduled into the capacity customer tickets
//! leave.

use servnet_core::campaign::{
    schedule_campaigns, ByDayTable, CampaignInputs, CampaignOptions, SummaryTable, UndoneTable,
    VisitsTable,
};
use servnet_core::dispatch::Policy;
use servnet_core::io::{data_files, read_campaigns, read_campaigns_in, read_dir, Output};
use servnet_core::{Error, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `servnet campaign` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder (network, today's tickets, installed base, products).
    pub dir: PathBuf,
    /// The campaigns file (.csv or .json; see docs/formats.md); default: the folder's
    /// campaigns.csv.
    #[arg(long)]
    pub campaigns: Option<PathBuf>,
    /// The day the schedule is made (YYYY-MM-DD): visits start on it at the earliest.
    #[arg(long)]
    pub as_of: String,
    /// Where to write one row per visit (campaign, unit, outlet, date, cost, repairs
    /// avoided): .csv or .json, - for standard output.
    #[arg(long, default_value = "schedule.csv")]
    pub out: PathBuf,
    /// Where to write the units covered per campaign and day.
    #[arg(long)]
    pub by_day: Option<PathBuf>,
    /// Where to write the units left undone, per region, model, sale year and reason.
    #[arg(long)]
    pub undone: Option<PathBuf>,
    /// Where to write one row per campaign (units, undone by reason, cost, repairs
    /// avoided and missed).
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// Write CSV for Excel (a UTF-8 byte-order mark first).
    #[arg(long)]
    pub excel: bool,
    /// A JSON policy file; fields as in `dispatch::Policy`.
    #[arg(long)]
    pub policy_file: Option<PathBuf>,
    /// Scheduling options as a JSON file (fields over the defaults: minutes_per_ticket_unit,
    /// spread_factor, fill_after_spread, jitter_km, seed, max_tickets, assign).
    #[arg(long)]
    pub options: Option<PathBuf>,
}

fn read_text(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|source| Error::Io {
        path: p.display().to_string(),
        source,
    })
}

pub fn run(a: &Args) -> Result<()> {
    let mut inputs = data_files(&a.dir);
    inputs.extend(
        [&a.campaigns, &a.policy_file, &a.options]
            .into_iter()
            .flatten()
            .cloned(),
    );
    let out = Output::parse("out", &a.out, &inputs)?.for_excel(a.excel);
    let extra = [
        ("by-day", &a.by_day),
        ("undone", &a.undone),
        ("summary", &a.summary),
    ]
    .into_iter()
    .filter_map(|(name, p)| p.as_ref().map(|p| (name, p)))
    .map(|(name, p)| Ok(Output::parse(name, p, &inputs)?.for_excel(a.excel)))
    .collect::<Result<Vec<_>>>()?;
    let as_of = servnet_core::chrono::NaiveDate::parse_from_str(&a.as_of, "%Y-%m-%d")
        .map_err(|_| Error::argument("as-of", format!("expected YYYY-MM-DD, got '{}'", a.as_of)))?;
    let opts = match &a.options {
        Some(p) => CampaignOptions::from_json(&read_text(p)?)?,
        None => CampaignOptions::default(),
    };
    let policy: Policy = match &a.policy_file {
        Some(p) => serde_json::from_str(&read_text(p)?)
            .map_err(|e| Error::argument("policy_file", e.to_string()))?,
        None => Policy::default(),
    };
    policy.validate()?;
    let data = read_dir(&a.dir)?;
    let campaigns = match &a.campaigns {
        Some(p) => read_campaigns(p, &data.network)?,
        None => read_campaigns_in(&a.dir, &data.network)?.ok_or_else(|| {
            Error::argument(
                "campaigns",
                format!(
                    "no --campaigns given and no campaigns.csv in {}",
                    a.dir.display()
                ),
            )
        })?,
    };
    let s = schedule_campaigns(
        &CampaignInputs {
            network: &data.network,
            policy: &policy,
            customers: &data.tickets,
            planning: &data.planning,
            campaigns: &campaigns,
            as_of,
        },
        &opts,
    )?;
    out.write_table(&VisitsTable(&s))?;
    eprintln!("wrote {}", out.name());
    let mut names = extra.iter();
    for (flag, table) in [
        (&a.by_day, &ByDayTable(&s) as &dyn servnet_core::io::Tabular),
        (&a.undone, &UndoneTable(&s)),
        (&a.summary, &SummaryTable(&s)),
    ] {
        if flag.is_some() {
            if let Some(o) = names.next() {
                o.write_table(table)?;
                eprintln!("wrote {}", o.name());
            }
        }
    }
    let c = &s.customer;
    let mut text = format!(
        "customer tickets: {} assigned, {} unassigned (as `servnet assign` plans them; campaign visits only use the room left)\n",
        c.assignments.len(),
        c.unassigned.len()
    );
    for r in &s.summary {
        let undone: u64 = r.undone.values().sum();
        let _ = writeln!(
            text,
            "campaign {} ({}): {} units in scope, {} visited{}, {} undone; cost {:.0}, expected repairs avoided {:.1} (missed {:.1}); daily cap {}",
            r.campaign_id,
            r.action,
            r.units_in_scope,
            r.units_visited,
            match (r.first_visit, r.last_visit) {
                (Some(f), Some(l)) => format!(" from {f} to {l}"),
                _ => String::new(),
            },
            undone,
            r.cost,
            r.repairs_avoided,
            r.repairs_missed,
            r.daily_cap.map_or("none".to_string(), |c| c.to_string()),
        );
        for (why, n) in r.undone.iter().filter(|(_, n)| **n > 0) {
            let _ = writeln!(text, "  undone {why}: {n}");
        }
    }
    if out == Output::Stdout {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}

/// `servnet plan`'s forecast with the campaigns' work added: `file`, else the folder's
/// campaigns.csv; none when `exclude` or there are none.
pub fn with_campaigns(
    fc: servnet_core::plan::forecast::Forecast,
    dir: &Path,
    file: Option<&Path>,
    exclude: bool,
    data: &servnet_core::io::DataSet,
) -> Result<servnet_core::plan::forecast::Forecast> {
    if exclude {
        return Ok(fc);
    }
    let campaigns = match file {
        Some(p) => read_campaigns(p, &data.network)?,
        None => match read_campaigns_in(dir, &data.network)? {
            Some(c) => c,
            None => return Ok(fc),
        },
    };
    if campaigns.is_empty() {
        return Ok(fc);
    }
    let out = servnet_core::campaign::add_campaigns(
        &fc,
        &campaigns,
        &data.planning,
        &data.network,
        &CampaignOptions::default(),
    )?;
    eprintln!(
        "campaigns: {} counted as demand (--no-campaigns leaves them out)",
        campaigns.len()
    );
    Ok(out)
}
