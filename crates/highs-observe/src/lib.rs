//! Observing a HiGHS MIP while it runs: [`solve_observed`] solves a [`highs::Model`] and
//! calls a closure with HiGHS' primal and dual bounds each time it finds a better solution
//! and at its interrupt checks (several times a second on a hard MIP). The `highs` crate
//! has no callback API, so this crate registers HiGHS' C callback (`Highs_setCallback`)
//! through `highs-sys`: the workspace's only unsafe code, kept to [`ffi`].
//!
//! Observing never changes the solve: the closure cannot stop it or alter its data.

use highs::{HighsStatus, Model, SolvedModel};

/// What HiGHS reported at one callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MipEvent {
    /// Why HiGHS called: a better solution, or a periodic interrupt check.
    pub kind: MipEventKind,
    /// Objective of the best solution so far (`+inf` for minimisation without one).
    pub primal_bound: f64,
    /// The best proven bound so far.
    pub dual_bound: f64,
    /// Seconds since the solve started.
    pub running_time: f64,
}

/// Why HiGHS called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MipEventKind {
    /// HiGHS found a better solution.
    ImprovingSolution,
    /// HiGHS' periodic interrupt check (bounds may have moved).
    Interrupt,
}

/// Solves `model` (like [`Model::try_solve`]) calling `on` at HiGHS' MIP callbacks.
/// `on` runs on HiGHS' solving thread and should be quick; a panic in it is caught and
/// ignored. LPs make no MIP callbacks: `on` is then never called.
pub fn solve_observed(
    model: Model,
    on: &(dyn Fn(&MipEvent) + Sync),
) -> Result<SolvedModel, HighsStatus> {
    ffi::solve_observed(model, on)
}

#[allow(unsafe_code)]
mod ffi {
    //! Safety: HiGHS keeps the `user_data` pointer given to `Highs_setCallback` and passes
    //! it back to [`trampoline`] during `Highs_run` only. The pointer is to `on` (a fat
    //! reference on this function's stack), which outlives the solve: the callback is
    //! unregistered right after `try_solve` returns, and if `try_solve` fails the HiGHS
    //! instance is destroyed inside it. The trampoline only reads `HighsCallbackDataOut`
    //! (valid for the duration of the call, checked non-null) and never unwinds into C.

    use super::{MipEvent, MipEventKind};
    use highs::{HighsStatus, Model, SolvedModel};
    use highs_sys::{
        kHighsCallbackMipImprovingSolution, kHighsCallbackMipInterrupt, HighsCallbackDataIn,
        HighsCallbackDataOut, Highs_setCallback, Highs_startCallback,
    };
    use std::os::raw::{c_char, c_int, c_void};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    type Observer<'a> = &'a (dyn Fn(&MipEvent) + Sync);

    unsafe extern "C" fn trampoline(
        callback_type: c_int,
        _message: *const c_char,
        data_out: *const HighsCallbackDataOut,
        _data_in: *mut HighsCallbackDataIn,
        user_data: *mut c_void,
    ) {
        if data_out.is_null() || user_data.is_null() {
            return;
        }
        let kind = if callback_type == kHighsCallbackMipImprovingSolution {
            MipEventKind::ImprovingSolution
        } else if callback_type == kHighsCallbackMipInterrupt {
            MipEventKind::Interrupt
        } else {
            return;
        };
        // SAFETY: see the module doc; both pointers were checked non-null.
        let (on, out) = unsafe { (&*(user_data as *const Observer<'_>), &*data_out) };
        let event = MipEvent {
            kind,
            primal_bound: out.mip_primal_bound,
            dual_bound: out.mip_dual_bound,
            running_time: out.running_time,
        };
        let _ = catch_unwind(AssertUnwindSafe(|| on(&event)));
    }

    pub(super) fn solve_observed(
        mut model: Model,
        on: Observer<'_>,
    ) -> Result<SolvedModel, HighsStatus> {
        let user = &on as *const Observer<'_> as *mut c_void;
        let ptr = model.as_mut_ptr();
        // SAFETY: `ptr` is the live HiGHS instance `model` owns; `user` outlives the solve
        // (module doc). A failed registration only means no callbacks.
        let registered = unsafe {
            Highs_setCallback(ptr, Some(trampoline), user) == 0
                && Highs_startCallback(ptr, kHighsCallbackMipImprovingSolution) == 0
                && Highs_startCallback(ptr, kHighsCallbackMipInterrupt) == 0
        };
        let mut solved = model.try_solve()?;
        if registered {
            // SAFETY: the instance is alive (owned by `solved`); a null callback and user
            // pointer unregister ours before `on` goes out of scope.
            unsafe {
                Highs_setCallback(solved.as_mut_ptr(), None, std::ptr::null_mut());
            }
        }
        Ok(solved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use highs::{RowProblem, Sense};
    use std::sync::Mutex;

    /// A knapsack-like MIP that takes HiGHS some branching: the events' primal bounds
    /// never rise, the dual bounds never exceed the final objective, and the last
    /// improving solution is the optimum HiGHS returns.
    #[test]
    fn reports_incumbents_and_bounds_of_the_solve() {
        let mut pb = RowProblem::default();
        let n = 40;
        let cols: Vec<_> = (0..n)
            .map(|i| {
                let value = 10.0 + ((i * 37) % 23) as f64;
                pb.add_integer_column(-value, 0..=1)
            })
            .collect();
        let weights: Vec<f64> = (0..n).map(|i| 5.0 + ((i * 53) % 19) as f64).collect();
        pb.add_row(..=150.0, cols.iter().zip(&weights).map(|(&c, &w)| (c, w)));
        let mut model = pb.optimise(Sense::Minimise);
        model.make_quiet();
        let events = Mutex::new(Vec::new());
        let solved = solve_observed(model, &|e: &MipEvent| {
            if let Ok(mut v) = events.lock() {
                v.push(*e);
            }
        });
        let Ok(solved) = solved else {
            unreachable!("HiGHS failed on a small knapsack")
        };
        let objective = solved.objective_value();
        let events = events.into_inner().unwrap_or_default();
        let improving: Vec<f64> = events
            .iter()
            .filter(|e| e.kind == MipEventKind::ImprovingSolution)
            .map(|e| e.primal_bound)
            .collect();
        assert!(!improving.is_empty(), "no improving-solution callback");
        assert!(
            improving.windows(2).all(|w| w[1] <= w[0] + 1e-9),
            "{improving:?}"
        );
        assert!((improving[improving.len() - 1] - objective).abs() < 1e-6);
        assert!(events
            .iter()
            .filter(|e| e.dual_bound.is_finite())
            .all(|e| e.dual_bound <= objective + 1e-6));
    }
}
