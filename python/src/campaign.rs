//! `servnet.schedule_campaign`: campaigns scheduled into spare capacity (thin: reads,
//! calls, converts).

use crate::{error, run};
use pyo3::prelude::*;
use servnet_core::campaign::{schedule_campaigns, CampaignInputs, CampaignOptions};
use servnet_core::dispatch::Policy;
use servnet_core::io::{read_campaigns, read_campaigns_in, read_dir};
use servnet_core::Error;
use std::path::PathBuf;

/// The campaign schedule of a data folder as JSON (`servnet_core::campaign::
/// CampaignSchedule` without the customer plan's rows: `customer_assigned`,
/// `customer_unassigned` count them; see `servnet.schedule_campaign`).
#[pyfunction]
#[pyo3(signature = (path, as_of, campaigns=None, policy="{}", options="{}"))]
fn _schedule_campaign(
    py: Python<'_>,
    path: PathBuf,
    as_of: &str,
    campaigns: Option<PathBuf>,
    policy: &str,
    options: &str,
) -> PyResult<String> {
    let date =
        servnet_core::chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").map_err(|_| {
            error::to_py(
                py,
                Error::argument("as_of", format!("expected YYYY-MM-DD, got '{as_of}'")),
            )
        })?;
    let opts = CampaignOptions::from_json(options).map_err(|e| error::to_py(py, e))?;
    let policy: Policy = serde_json::from_str(policy)
        .map_err(|e| error::to_py(py, Error::argument("policy", e.to_string())))?;
    let s = run::blocking(py, None, move || {
        policy.validate()?;
        let data = read_dir(&path)?;
        let list = match &campaigns {
            Some(p) => read_campaigns(p, &data.network)?,
            None => read_campaigns_in(&path, &data.network)?.ok_or_else(|| {
                Error::argument(
                    "campaigns",
                    format!(
                        "no campaigns file given and no campaigns.csv in {}",
                        path.display()
                    ),
                )
            })?,
        };
        schedule_campaigns(
            &CampaignInputs {
                network: &data.network,
                policy: &policy,
                customers: &data.tickets,
                planning: &data.planning,
                campaigns: &list,
                as_of: date,
            },
            &opts,
        )
    })?;
    let mut v = serde_json::to_value(&s)
        .map_err(|e| error::to_py(py, Error::argument("json", e.to_string())))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("customer");
        o.insert(
            "customer_assigned".into(),
            s.customer.assignments.len().into(),
        );
        o.insert(
            "customer_unassigned".into(),
            s.customer.unassigned.len().into(),
        );
    }
    run::to_json(&v).map_err(|e| error::to_py(py, e))
}

/// Adds the campaign function.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_schedule_campaign, m)?)?;
    Ok(())
}
