//! Scenarios: the whole chain (forecast -> plan -> simulation) under changed inputs,
//! compared side by side.
//!
//! A [`Scenario`] scales inputs: repair rates, planned sales, each tier's commitment
//! radius. [`compare`] runs every scenario with the same base options, one after the
//! other (each plan may use the solver's time limit and both cores), and returns one
//! [`ScenarioRow`] per scenario, in the order given.

use serde::{Deserialize, Serialize};

use super::demand::PopulationPoint;
use super::forecast::{forecast, ForecastOptions};
use super::network_plan::{plan_network, NetworkPlan, PlanInputs, PlanOptions};
use super::simulate::{peak_month_tickets, simulate, SimOptions, SimResult};
use crate::model::{Network, PlanningData, Ticket};
use crate::{Error, Result};

/// Changed inputs of a what-if run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// Name shown in the comparison.
    pub name: String,
    /// Multiplies every repair rate (1.1 = +10%).
    pub repair_rate_factor: f64,
    /// Multiplies the sales plan (0.8 = -20%).
    pub sales_factor: f64,
    /// Multiplies the commitment radius of tier A, B, C regions.
    pub tier_radius_factor: [f64; 3],
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "base".into(),
            repair_rate_factor: 1.0,
            sales_factor: 1.0,
            tier_radius_factor: [1.0; 3],
        }
    }
}

impl Scenario {
    /// The base case under a name.
    pub fn named(name: &str) -> Self {
        Scenario {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The forecast and plan options with this scenario's factors applied on top of
    /// the base ones (factors multiply).
    pub fn apply(
        &self,
        f: &ForecastOptions,
        p: &PlanOptions,
    ) -> Result<(ForecastOptions, PlanOptions)> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !(ok(self.repair_rate_factor) && ok(self.sales_factor))
            || self
                .tier_radius_factor
                .iter()
                .any(|v| !(v.is_finite() && *v > 0.0))
        {
            return Err(Error::argument(
                "scenario",
                format!("'{}': factors must be finite, >= 0 (radius > 0)", self.name),
            ));
        }
        let mut f = f.clone();
        f.repair_rate_factor *= self.repair_rate_factor;
        f.sales_factor *= self.sales_factor;
        let mut p = p.clone();
        for (t, x) in p.tier_radius_factor.iter_mut().zip(self.tier_radius_factor) {
            *t *= x;
        }
        Ok((f, p))
    }
}

/// One scenario's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRow {
    /// Scenario name.
    pub name: String,
    /// Forecast tickets in the planning year.
    pub tickets: f64,
    /// Sum of the regions' peak-day tickets.
    pub peak_day: f64,
    /// Outlets open.
    pub outlets_open: usize,
    /// Existing outlets closed.
    pub closed: usize,
    /// New outlets.
    pub new: usize,
    /// Technicians.
    pub technicians: u32,
    /// Annual cost.
    pub cost: f64,
    /// Outlets the frontier recommends (auto model).
    pub recommended_outlets: Option<usize>,
    /// Share of peak-day demand within the commitment.
    pub served_share: f64,
    /// Share of simulated tickets whose SLA was met.
    pub sla_met_share: f64,
    /// Simulated tickets no outlet could take.
    pub unassigned: usize,
    /// Median outlet utilisation in simulation.
    pub utilisation_median: f64,
}

/// Forecast, plan and simulation of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The headline row.
    pub row: ScenarioRow,
    /// The plan.
    pub plan: NetworkPlan,
    /// The simulation.
    pub sim: SimResult,
}

/// The inputs every scenario shares.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioInputs<'a> {
    /// Installed base, repair curves, sales plan.
    pub planning: &'a PlanningData,
    /// Today's network.
    pub network: &'a Network,
    /// Ticket history (demand cells and replay; may be empty).
    pub tickets: &'a [Ticket],
    /// Population points below the region (may be empty).
    pub population: &'a [PopulationPoint],
}

/// Runs one scenario through forecast, plan and a simulated peak month.
pub fn run_scenario(
    inputs: &ScenarioInputs<'_>,
    scenario: &Scenario,
    fopts: &ForecastOptions,
    popts: &PlanOptions,
    sopts: &SimOptions,
) -> Result<ScenarioRun> {
    let (fo, po) = scenario.apply(fopts, popts)?;
    let network = inputs.network;
    let fc = forecast(inputs.planning, network, &fo)?;
    let plan = plan_network(
        &PlanInputs {
            network,
            forecast: &fc,
            tickets: inputs.tickets,
            population: inputs.population,
        },
        &po,
    )?;
    let year = plan.totals.year;
    let (start, tickets) = peak_month_tickets(&fc, network, year, &plan.cells, sopts)?;
    let sim = simulate(&plan, network, &po, &tickets, sopts, Some(start))?;
    let k = fc.year_index(year).unwrap_or(0);
    let totals = fc.totals();
    let row = ScenarioRow {
        name: scenario.name.clone(),
        tickets: totals.get(k).map_or(0.0, |t| t.tickets),
        peak_day: plan.totals.demand,
        outlets_open: plan.totals.open,
        closed: plan.totals.closed,
        new: plan.totals.new,
        technicians: plan.totals.technicians,
        cost: plan.totals.cost,
        recommended_outlets: plan.recommended_outlets,
        served_share: plan.totals.served_share,
        sla_met_share: sim.sla_met_share,
        unassigned: sim.unassigned,
        utilisation_median: sim.utilisation[2],
    };
    Ok(ScenarioRun { row, plan, sim })
}

/// Runs every scenario (see the module docs) and returns their rows side by side.
pub fn compare(
    inputs: &ScenarioInputs<'_>,
    scenarios: &[Scenario],
    fopts: &ForecastOptions,
    popts: &PlanOptions,
    sopts: &SimOptions,
) -> Result<Vec<ScenarioRow>> {
    scenarios
        .iter()
        .map(|s| run_scenario(inputs, s, fopts, popts, sopts).map(|r| r.row))
        .collect()
}

/// The rows as a fixed-width text table.
pub fn format_table(rows: &[ScenarioRow]) -> String {
    let mut s = format!(
        "{:<16} {:>12} {:>10} {:>6} {:>6} {:>5} {:>6} {:>10} {:>8} {:>8} {:>10} {:>6}\n",
        "scenario",
        "tickets",
        "peak day",
        "open",
        "closed",
        "new",
        "techs",
        "cost M",
        "served",
        "SLA met",
        "unassigned",
        "util"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<16} {:>12.0} {:>10.0} {:>6} {:>6} {:>5} {:>6} {:>10.1} {:>7.1}% {:>7.1}% {:>10} {:>5.0}%\n",
            r.name,
            r.tickets,
            r.peak_day,
            r.outlets_open,
            r.closed,
            r.new,
            r.technicians,
            r.cost / 1e6,
            100.0 * r.served_share,
            100.0 * r.sla_met_share,
            r.unassigned,
            100.0 * r.utilisation_median
        ));
    }
    s
}
