//! The one HiGHS driver: solves a built [`RowProblem`] quietly with the caller's
//! settings and reads back how it ended, the objective, the bound and the incumbent.
//! Batch assignment's MIP, the location models and the GAP benchmark all call it.

use super::SolveStatus;
use crate::{Error, Result};
use highs::{HighsModelStatus, HighsSolutionStatus, RowProblem, Sense};

/// Settings of one solve; `None` keeps HiGHS' default.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Settings<'a> {
    /// Wall-clock limit in seconds.
    pub time_limit: f64,
    /// Whether the problem has integer columns: the bound is then HiGHS' MIP dual
    /// bound, else the LP objective.
    pub mip: bool,
    /// Relative gap at which a MIP stops.
    pub mip_rel_gap: Option<f64>,
    /// Absolute gap at which a MIP stops.
    pub mip_abs_gap: Option<f64>,
    /// Threads HiGHS may use.
    pub threads: Option<i32>,
    /// HiGHS' random seed.
    pub random_seed: Option<i32>,
    /// A starting solution (one value per column): the first incumbent.
    pub start: Option<&'a [f64]>,
    /// What this MIP's live figures tell a progress observer (see [`super::progress`]).
    pub observe: Observe<'a>,
}

/// What a MIP's live incumbent and bound (HiGHS' callbacks) tell the observer of the
/// solve it is part of. Only minimisations report.
#[derive(Clone, Copy, Default)]
pub(crate) enum Observe<'a> {
    /// Nothing.
    #[default]
    Nothing,
    /// Its incumbent and bound are the observed solve's.
    Whole,
    /// Its incumbents are the observed solve's; its bound is not (a MIP over a
    /// restriction of the problem).
    IncumbentOnly,
    /// The caller maps `(incumbent, bound)` to the whole solve's figures itself.
    Mapped(&'a (dyn Fn(f64, f64) + Sync)),
}

impl std::fmt::Debug for Observe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Observe::Nothing => "Nothing",
            Observe::Whole => "Whole",
            Observe::IncumbentOnly => "IncumbentOnly",
            Observe::Mapped(_) => "Mapped",
        })
    }
}

/// What came back from HiGHS.
pub(crate) struct MipOutcome {
    /// `Optimal`, `TimeLimit` (a limit stopped it, with or without a solution) or
    /// `Infeasible` (proven, or no solution although HiGHS called it optimal).
    pub status: SolveStatus,
    /// Whether the time limit, an interrupt or the iteration limit stopped HiGHS.
    pub stopped: bool,
    /// Objective of the incumbent (`+inf` for minimisation without one).
    pub objective: f64,
    /// Best bound: the MIP dual bound (or the LP objective for pure LPs).
    pub bound: f64,
    /// Column values of the incumbent (empty without one).
    pub columns: Vec<f64>,
}

/// Solves `problem` with HiGHS, quietly, with `settings`.
pub(crate) fn run(
    problem: RowProblem,
    sense: Sense,
    settings: &Settings<'_>,
) -> Result<MipOutcome> {
    let mut model = problem.optimise(sense);
    model.make_quiet();
    let option = |e: highs::TrySetOptionError| Error::Solver(format!("HiGHS option: {e:?}"));
    model
        .try_set_option("time_limit", settings.time_limit)
        .map_err(option)?;
    if let Some(gap) = settings.mip_rel_gap {
        model.try_set_option("mip_rel_gap", gap).map_err(option)?;
    }
    if let Some(gap) = settings.mip_abs_gap {
        model.try_set_option("mip_abs_gap", gap).map_err(option)?;
    }
    if let Some(threads) = settings.threads {
        model.try_set_option("threads", threads).map_err(option)?;
    }
    if let Some(seed) = settings.random_seed {
        model.try_set_option("random_seed", seed).map_err(option)?;
    }
    if let Some(cols) = settings.start {
        model
            .try_set_solution(Some(cols), None, None, None)
            .map_err(|e| Error::Solver(format!("HiGHS start: {e:?}")))?;
    }
    let progress = super::progress::current();
    let report = |primal: f64, dual: f64| match (settings.observe, &progress) {
        (Observe::Mapped(f), _) => f(primal, dual),
        (Observe::Whole, Some(p)) => {
            p.offer_incumbent(primal);
            p.offer_bound(dual);
        }
        (Observe::IncumbentOnly, Some(p)) => p.offer_incumbent(primal),
        _ => {}
    };
    let observed = sense == Sense::Minimise
        && match settings.observe {
            Observe::Nothing => false,
            Observe::Mapped(_) => true,
            Observe::Whole | Observe::IncumbentOnly => progress.is_some(),
        };
    let solved = if observed {
        highs_observe::solve_observed(model, &|e| report(e.primal_bound, e.dual_bound))
    } else {
        model.try_solve()
    }
    .map_err(|e| Error::Solver(format!("HiGHS failed: {e:?}")))?;
    let status = solved.status();
    let stopped = matches!(
        status,
        HighsModelStatus::ReachedTimeLimit
            | HighsModelStatus::ReachedInterrupt
            | HighsModelStatus::ReachedIterationLimit
    );
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let objective = solved.objective_value();
    let bound = if settings.mip {
        solved
            .double_info_value(c"mip_dual_bound")
            .map_err(|e| Error::Solver(format!("HiGHS mip_dual_bound: {e:?}")))?
    } else {
        objective
    };
    let worst = match sense {
        Sense::Minimise => f64::INFINITY,
        Sense::Maximise => f64::NEG_INFINITY,
    };
    match status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => Ok(MipOutcome {
            status: SolveStatus::Infeasible,
            stopped,
            objective: worst,
            bound: -worst,
            columns: Vec::new(),
        }),
        HighsModelStatus::Optimal
        | HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedMemoryLimit
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget => {
            let optimal = status == HighsModelStatus::Optimal;
            if !has_solution {
                return Ok(MipOutcome {
                    status: if optimal {
                        SolveStatus::Infeasible
                    } else {
                        SolveStatus::TimeLimit
                    },
                    stopped,
                    objective: worst,
                    bound,
                    columns: Vec::new(),
                });
            }
            Ok(MipOutcome {
                status: if optimal {
                    SolveStatus::Optimal
                } else {
                    SolveStatus::TimeLimit
                },
                stopped,
                objective,
                bound: if optimal && !settings.mip {
                    objective
                } else {
                    bound
                },
                columns: solved.get_solution().columns().to_vec(),
            })
        }
        other => Err(Error::Solver(format!("HiGHS ended with status {other:?}"))),
    }
}

/// The location models' call: `time_limit` (at least 0.01 s), the relative gap for
/// MIPs, HiGHS' random seed fixed at 0.
pub(crate) fn solve(
    problem: RowProblem,
    sense: Sense,
    time_limit: f64,
    mip_rel_gap: f64,
    is_mip: bool,
) -> Result<MipOutcome> {
    run(
        problem,
        sense,
        &Settings {
            time_limit: time_limit.max(0.01),
            mip: is_mip,
            mip_rel_gap: is_mip.then_some(mip_rel_gap.max(0.0)),
            random_seed: Some(0),
            observe: Observe::Whole,
            ..Settings::default()
        },
    )
}
