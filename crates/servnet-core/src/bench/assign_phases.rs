//! `servnet assign`'s phases one after another, each timed (wall and process CPU), to
//! see where the end-to-end time goes: the CLI overlaps some of them (network with
//! ticket cells, solve with the baseline, costs with the plan), so its wall is less
//! than the sum.

use crate::assign::{phases, AssignOptions};
use crate::cost::{CostSummary, CostedAssignments, TicketCoster};
use crate::dispatch::{arrival_order, Dispatcher, Policy};
use crate::Result;
use std::path::Path;
use std::time::Instant;

/// One phase's wall and CPU seconds (CPU: user + system of the whole process, in the
/// kernel's clock ticks, so only sums over many runs are meaningful).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// What the phase does.
    pub name: &'static str,
    /// Wall seconds.
    pub wall: f64,
    /// CPU seconds (all threads).
    pub cpu: f64,
}

/// The process's user + system CPU seconds so far (0 where `/proc` is missing).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command's closing parenthesis: utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Times the phases of `servnet assign DIR --out plan.csv` (default options and policy)
/// on folder `dir`, one after another; the plan's CSV goes to memory.
pub fn assign_phases(dir: &Path) -> Result<Vec<Phase>> {
    let mut out = Vec::new();
    let mut clock = (Instant::now(), cpu_seconds());
    let mut lap = |name: &'static str, out: &mut Vec<Phase>| {
        let (w, c) = (Instant::now(), cpu_seconds());
        out.push(Phase {
            name,
            wall: (w - clock.0).as_secs_f64(),
            cpu: c - clock.1,
        });
        clock = (w, c);
    };
    let network = crate::io::read_network(dir)?;
    lap("read network", &mut out);
    let file = crate::io::ticket_file_in(dir)?;
    lap("read ticket cells", &mut out);
    let tickets = match file {
        Some(f) => f.tickets(&network)?,
        None => Vec::new(),
    };
    lap("check tickets", &mut out);
    let schedule = crate::io::read_fee_schedule(dir, &network)?;
    lap("fee schedule", &mut out);
    let options = AssignOptions::default();
    let policy = phases::batch_policy(&Policy::default(), &tickets);
    let d = Dispatcher::new(network.clone(), policy)?;
    lap("dispatcher (network copy, index)", &mut out);
    let (p, start) = phases::prepare(&tickets, &d, &options)?;
    lap("build (eligibility, buckets)", &mut out);
    let plan = phases::solve_built(&p, start, &tickets, &d, &options)?;
    lap("components, solve, plan", &mut out);
    let order = arrival_order(&tickets);
    let outcomes = order
        .iter()
        .map(|&i| d.dispatch_undiagnosed(&tickets[i]))
        .collect::<Result<Vec<_>>>()?;
    lap("baseline dispatch", &mut out);
    let scored = phases::score(&p, &network, &order, &outcomes);
    lap("baseline score", &mut out);
    let coster = TicketCoster::new(&schedule, &network, &tickets);
    lap("ticket coster", &mut out);
    let mut csv = Vec::new();
    crate::io::table_csv(&CostedAssignments(&plan, &coster), &mut csv)
        .map_err(|e| crate::Error::argument("out", e.to_string()))?;
    lap("plan CSV", &mut out);
    let costs = CostSummary::of(
        &coster,
        plan.assignments
            .iter()
            .map(|a| (a.ticket_id.as_str(), a.outlet_id.as_str(), a.distance_km)),
    );
    lap("cost summary", &mut out);
    // Kept to the end so that their drops are not in a phase.
    drop((scored, costs, csv, plan, outcomes, p, d, tickets, network));
    lap("drop", &mut out);
    Ok(out)
}
