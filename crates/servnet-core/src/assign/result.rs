//! The answer of [`super::assign`]: the planned tickets, the ones left out and why,
//! and the objective with its proven bound.

use super::options::Method;
use super::problem::{Arc, Problem, Side};
use crate::dispatch::Rule;
use crate::solver::SolveStatus;

use serde::{Deserialize, Serialize};

/// One ticket's place in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAssignment {
    /// Ticket id.
    pub ticket_id: String,
    /// Outlet id.
    pub outlet_id: String,
    /// Day from the ledger's start.
    pub day: u32,
    /// The calendar date of `day` (the ledger's start date plus `day`).
    #[serde(default)]
    pub date: Option<chrono::NaiveDate>,
    /// Units the ticket takes.
    pub units: u32,
    /// Dispatch score at the planned outlet and day (lower is better).
    pub score: f64,
    /// Road km.
    pub distance_km: f64,
    /// Days past the SLA (0 = within it).
    pub late_days: u32,
    /// The outlet it was promised to, if the plan moves it.
    pub moved_from: Option<String>,
    /// For a move: best score at the old outlet minus the new score (what pays for
    /// the move cost). `None` when the old outlet is no longer eligible.
    pub move_gain: Option<f64>,
}

/// Why a ticket is not in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// No outlet passes the hard rules; the rule that stopped the most promising ones.
    Ineligible(Rule),
    /// Its eligible capacity went to tickets where it did more good (or every option
    /// costs more than its penalty).
    Capacity,
    /// This region quota (by id) is what kept it out: an eligible outlet had room, but
    /// the quota was used up (or is smaller than the ticket).
    Quota(String),
}

impl UnassignedReason {
    /// The snake_case name of the kind of reason (`quota` for any quota).
    pub fn as_str(&self) -> &'static str {
        match self {
            UnassignedReason::Ineligible(r) => r.as_str(),
            UnassignedReason::Capacity => "capacity",
            UnassignedReason::Quota(_) => "quota",
        }
    }
}

impl std::fmt::Display for UnassignedReason {
    /// The text used in files: the rule or `capacity`, or `quota:<id>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnassignedReason::Quota(id) => write!(f, "quota:{id}"),
            r => f.write_str(r.as_str()),
        }
    }
}

/// The answer of [`assign`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentPlan {
    /// Planned tickets, in backlog order.
    pub assignments: Vec<PlannedAssignment>,
    /// Tickets left out, in backlog order.
    pub unassigned: Vec<(String, UnassignedReason)>,
    /// Total cost: scores + lateness + move costs + penalties (score points).
    pub objective: f64,
    /// A proven lower bound on the objective (score points).
    pub lower_bound: f64,
    /// `(objective - lower_bound) / max(1, |objective|)`.
    pub gap: f64,
    /// The most general method any component needed (flow < heuristic < mip).
    pub method: Method,
    /// How the solve ended (the worst over components); `optimal`, `feasible` or
    /// `time_limit` in JSON.
    #[serde(with = "crate::solver::status_snake_case")]
    pub status: SolveStatus,
    /// Independent components solved.
    pub components: usize,
    /// Wall-clock seconds, eligibility included.
    pub seconds: f64,
}

impl AssignmentPlan {
    /// Mean road km of the planned tickets (0 when none).
    pub fn mean_distance_km(&self) -> f64 {
        let n = self.assignments.len();
        if n == 0 {
            return 0.0;
        }
        self.assignments.iter().map(|a| a.distance_km).sum::<f64>() / n as f64
    }
}

/// The quota that keeps unassigned ticket `t` out: the first arc (by outlet, day)
/// whose bucket, group and reserve rows have room for it at the plan's loads but one of
/// whose quota rows does not; that quota's index.
pub(super) fn quota_reason(
    p: &Problem,
    chosen: &[Option<Arc>],
    t: usize,
    list: &[Arc],
) -> Option<usize> {
    if !p.sides.iter().any(|s| s.quota.is_some()) {
        return None;
    }
    let mut bucket = vec![0u64; p.bucket_cap.len()];
    let mut group = vec![0u64; p.group_cap.len()];
    for (v, a) in chosen.iter().enumerate() {
        if let Some(a) = a {
            bucket[a.bucket as usize] += u64::from(p.units[v]);
            group[p.bucket_group[a.bucket as usize] as usize] += u64::from(p.units[v]);
        }
    }
    let u = u64::from(p.units[t]);
    let room = |s: &Side| {
        let used: u64 = s
            .arcs
            .iter()
            .filter(|&&(v, j)| {
                let v = v as usize;
                let on = match (&p.arcs[v], chosen[v]) {
                    (Ok(l), Some(a)) => l.get(j as usize).is_some_and(|x| {
                        x.bucket == a.bucket && x.day == a.day && x.outlet == a.outlet
                    }),
                    _ => false,
                };
                on
            })
            .map(|&(v, _)| u64::from(p.units[v as usize]))
            .sum();
        u64::from(s.cap).saturating_sub(used)
    };
    list.iter().enumerate().find_map(|(j, a)| {
        let b = a.bucket as usize;
        let g = p.bucket_group[b] as usize;
        let on_arc = |s: &&Side| s.arcs.binary_search(&(t as u32, j as u32)).is_ok();
        let open = bucket[b] + u <= u64::from(p.bucket_cap[b])
            && group[g] + u <= u64::from(p.group_cap[g])
            && p.sides
                .iter()
                .filter(|s| s.quota.is_none())
                .filter(on_arc)
                .all(|s| room(s) >= u);
        if !open {
            return None;
        }
        p.sides
            .iter()
            .filter(|s| s.quota.is_some())
            .filter(on_arc)
            .find(|s| room(s) < u)
            .and_then(|s| s.quota)
    })
}
