//! Thin wrapper over the `highs` crate: solve a built problem with a time limit and
//! read back status, objective, MIP dual bound and column values.

use highs::{HighsModelStatus, HighsSolutionStatus, RowProblem, Sense};

use super::SolveStatus;
use crate::{Error, Result};

/// What came back from HiGHS.
pub(crate) struct MipOutcome {
    /// Optimal / TimeLimit (with a solution) / Infeasible (none found).
    pub status: SolveStatus,
    /// Objective of the incumbent (`+inf` for minimisation without one).
    pub objective: f64,
    /// Best bound: the MIP dual bound (or the LP objective for pure LPs).
    pub bound: f64,
    /// Column values of the incumbent (empty without one).
    pub columns: Vec<f64>,
}

/// Solves `problem` with HiGHS, quietly, within `time_limit` seconds.
pub(crate) fn solve(
    problem: RowProblem,
    sense: Sense,
    time_limit: f64,
    mip_rel_gap: f64,
    is_mip: bool,
) -> Result<MipOutcome> {
    let mut model = problem.optimise(sense);
    model.make_quiet();
    model.set_option("time_limit", time_limit.max(0.01));
    if is_mip {
        model.set_option("mip_rel_gap", mip_rel_gap.max(0.0));
    }
    model.set_option("random_seed", 0);
    let solved = model
        .try_solve()
        .map_err(|e| Error::Solver(format!("HiGHS failed: {e:?}")))?;
    let status = solved.status();
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let objective = solved.objective_value();
    let bound = if is_mip {
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
            if !has_solution {
                return Ok(MipOutcome {
                    status: if status == HighsModelStatus::Optimal {
                        SolveStatus::Infeasible
                    } else {
                        SolveStatus::TimeLimit
                    },
                    objective: worst,
                    bound,
                    columns: Vec::new(),
                });
            }
            let st = if status == HighsModelStatus::Optimal {
                SolveStatus::Optimal
            } else {
                SolveStatus::TimeLimit
            };
            Ok(MipOutcome {
                status: st,
                objective,
                bound: if status == HighsModelStatus::Optimal && !is_mip {
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
