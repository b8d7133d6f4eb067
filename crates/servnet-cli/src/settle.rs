//! `servnet settle`: each outlet's settlement statement (结算) for a period.

use servnet_core::cost::{settle, StatementTable};
use servnet_core::io::{data_files, read_bookings, read_dir, read_fee_schedule, Output};
use servnet_core::{Error, Result};
use std::path::PathBuf;

/// `servnet settle` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// The data folder (network, tickets.csv, optional fee_schedule.csv; see
    /// docs/formats.md).
    pub dir: PathBuf,
    /// First day of the period (YYYY-MM-DD, included).
    #[arg(long)]
    pub from: String,
    /// Last day of the period (YYYY-MM-DD, included).
    #[arg(long)]
    pub to: String,
    /// The bookings: a `servnet dispatch` / `servnet assign` output, or a bookings export
    /// (columns in docs/formats.md, "Bookings to settle"); .csv or .json.
    #[arg(long)]
    pub bookings: PathBuf,
    /// Where to write one row per outlet (.csv or .json; - for standard output).
    #[arg(long, default_value = "statement.csv")]
    pub out: PathBuf,
    /// Write CSV for Excel: a UTF-8 byte-order mark first, so names in any script open
    /// correctly (formula-like cells are always escaped).
    #[arg(long)]
    pub excel: bool,
}

fn date(option: &str, v: &str) -> Result<servnet_core::chrono::NaiveDate> {
    servnet_core::chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| Error::argument(option, format!("expected YYYY-MM-DD, got '{v}'")))
}

pub fn run(a: &Args) -> Result<()> {
    let mut inputs = data_files(&a.dir);
    inputs.push(a.bookings.clone());
    let out = Output::parse("out", &a.out, &inputs)?.for_excel(a.excel);
    let (from, to) = (date("from", &a.from)?, date("to", &a.to)?);
    let data = read_dir(&a.dir)?;
    let schedule = read_fee_schedule(&a.dir, &data.network)?;
    let bookings = read_bookings(&a.bookings, &data.network, &data.tickets)?;
    let st = settle(&data.network, &schedule, &bookings, from, to)?;
    out.write_table(&StatementTable(&st))?;
    let t = st.totals();
    let text = format!(
        "period:         {from} .. {to}\noutlets:        {}\ntickets:        {} settled, {} outside the period\nfees:           {:.2}\ntravel:         {:.2} ({:.1} road km)\ntotal:          {:.2} ({:.2} per ticket)\nSLA met:        {}\nfee schedule:   {} rules{}\nwritten:        {}\n",
        st.rows.len(),
        t.tickets,
        st.outside,
        t.fees,
        t.travel,
        t.road_km,
        t.total,
        t.total / t.tickets.max(1) as f64,
        t.sla_met_share()
            .map_or("n/a".to_string(), |s| format!("{:.1}%", 100.0 * s)),
        schedule.rules().count(),
        if schedule.rules().count() == 0 {
            " (fees: each outlet's cost_per_ticket)"
        } else {
            ""
        },
        out.name()
    );
    if out == Output::Stdout {
        eprint!("{text}");
        Ok(())
    } else {
        crate::out::emit(&text)
    }
}

/// `servnet plan`'s cost lines: the folder's tickets replayed on today's network and on
/// the planned one, costed by the folder's fee schedule (per kind and tier).
pub fn plan_costs(
    dir: &std::path::Path,
    data: &servnet_core::io::DataSet,
    plan: &mut servnet_core::plan::network_plan::NetworkPlan,
    popts: &servnet_core::plan::network_plan::PlanOptions,
) -> Result<String> {
    let schedule = read_fee_schedule(dir, &data.network)?;
    let (today, planned) = servnet_core::plan::service_cost::add_service_cost(
        plan,
        &data.network,
        &data.tickets,
        &schedule,
        popts,
    )?;
    Ok(format!(
        "service cost of the replay (fee_schedule.csv), today's network:\n{today}service cost of the replay, the plan (per site: today_service_cost, replay_service_cost in the sites table):\n{planned}"
    ))
}
