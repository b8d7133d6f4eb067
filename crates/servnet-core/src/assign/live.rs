//! The plan's live figures while its components' MIPs run, for a progress bar: the
//! objective and the bound of the whole plan as sums over the components of the best
//! each has found so far (several MIPs may run at once, on rayon's threads).

use super::components::Answer;
use super::problem::COST_SCALE;
use crate::solver::progress::Progress;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// Per-component bests and their sums, in `COST_SCALE` units.
pub(super) struct LiveTotals {
    progress: Arc<Progress>,
    objective: Vec<AtomicI64>,
    bound: Vec<AtomicI64>,
    total_objective: AtomicI64,
    /// Sum of the known component bounds (`i64::MIN`: none yet).
    total_bound: AtomicI64,
    unknown_bounds: AtomicUsize,
}

impl LiveTotals {
    /// Starts from the first pass's answers plus `fixed` (penalties of tickets no
    /// outlet can take) and reports those figures.
    pub(super) fn new(progress: Arc<Progress>, fixed: i64, first: &[Answer]) -> Self {
        let known: Vec<i64> = first
            .iter()
            .map(|a| a.lower_bound)
            .filter(|&b| b != i64::MIN)
            .collect();
        let t = LiveTotals {
            progress,
            objective: first.iter().map(|a| AtomicI64::new(a.objective)).collect(),
            bound: first
                .iter()
                .map(|a| AtomicI64::new(a.lower_bound))
                .collect(),
            total_objective: AtomicI64::new(
                first
                    .iter()
                    .fold(fixed, |s, a| s.saturating_add(a.objective)),
            ),
            total_bound: AtomicI64::new(known.iter().fold(fixed, |s, &b| s.saturating_add(b))),
            unknown_bounds: AtomicUsize::new(first.len() - known.len()),
        };
        t.report();
        t
    }

    /// Component `comp` found a plan of `objective` and proved `bound` (either may be
    /// unknown: `None`); the whole plan's figures move by the improvement.
    pub(super) fn offer(&self, comp: usize, objective: Option<i64>, bound: Option<i64>) {
        if let (Some(x), Some(slot)) = (objective, self.objective.get(comp)) {
            if let Ok(old) = slot.fetch_update(SeqCst, SeqCst, |o| (x < o).then_some(x)) {
                self.total_objective.fetch_sub(old - x, SeqCst);
            }
        }
        if let (Some(x), Some(slot)) = (bound, self.bound.get(comp)) {
            if let Ok(old) = slot.fetch_update(SeqCst, SeqCst, |o| (x > o).then_some(x)) {
                if old == i64::MIN {
                    self.total_bound.fetch_add(x, SeqCst);
                    self.unknown_bounds.fetch_sub(1, SeqCst);
                } else {
                    self.total_bound.fetch_add(x - old, SeqCst);
                }
            }
        }
        self.report();
    }

    fn report(&self) {
        self.progress
            .offer_incumbent(self.total_objective.load(SeqCst) as f64 / COST_SCALE);
        if self.unknown_bounds.load(SeqCst) == 0 {
            self.progress
                .offer_bound(self.total_bound.load(SeqCst) as f64 / COST_SCALE);
        }
    }
}
