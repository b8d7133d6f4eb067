//! Live figures of a running solve, for progress bars: the best incumbent and the best
//! bound found so far, as the solvers find them.
//!
//! A caller (the CLI's bar, the Python tqdm bar) makes a [`Progress`] and runs the solve
//! inside [`observed`]; the solvers on that thread report into it (the HiGHS driver
//! through HiGHS' MIP callbacks, the heuristics from their loops), and the caller's own
//! ticker reads [`Progress::incumbent`], [`Progress::bound`] and [`Progress::gap`] while
//! the solve runs. Observing never changes what a solve does or returns. All objectives
//! reported are minimised; a solve made of parts (the components of a batch, the counts of
//! a frontier) reports figures of the whole, or starts a new [`Progress::stage`].

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The best incumbent and bound of a running solve, shared between the solving thread and
/// the thread drawing the bar.
#[derive(Debug)]
pub struct Progress {
    incumbent: AtomicU64,
    bound: AtomicU64,
    stage: Mutex<String>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            incumbent: AtomicU64::new(f64::INFINITY.to_bits()),
            bound: AtomicU64::new(f64::NEG_INFINITY.to_bits()),
            stage: Mutex::new(String::new()),
        }
    }
}

impl Progress {
    /// No incumbent, no bound, no stage yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Progress::default())
    }

    /// The best (lowest) objective found so far.
    pub fn incumbent(&self) -> Option<f64> {
        let x = f64::from_bits(self.incumbent.load(Ordering::Relaxed));
        x.is_finite().then_some(x)
    }

    /// The best (highest) proven lower bound so far.
    pub fn bound(&self) -> Option<f64> {
        let x = f64::from_bits(self.bound.load(Ordering::Relaxed));
        x.is_finite().then_some(x)
    }

    /// `(incumbent - bound) / |incumbent|` (0 when both are 0), once both exist.
    pub fn gap(&self) -> Option<f64> {
        let (ub, lb) = (self.incumbent()?, self.bound()?);
        let scale = ub.abs().max(1e-9);
        Some(((ub - lb) / scale).max(0.0))
    }

    /// What part of the solve runs now (e.g. `p = 1262` of a frontier); empty at first.
    pub fn stage(&self) -> String {
        self.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// `stage: incumbent 1.23e6, bound 1.22e6, gap 0.81%` (the parts known so far), or
    /// `None` before anything is known.
    pub fn line(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(x) = self.incumbent() {
            parts.push(format!("incumbent {}", significant(x)));
        }
        if let Some(x) = self.bound() {
            parts.push(format!("bound {}", significant(x)));
        }
        if let Some(g) = self.gap() {
            parts.push(format!("gap {:.2}%", 100.0 * g));
        }
        let stage = self.stage();
        match (stage.is_empty(), parts.is_empty()) {
            (true, true) => None,
            (true, false) => Some(parts.join(", ")),
            (false, true) => Some(stage),
            (false, false) => Some(format!("{stage}: {}", parts.join(", "))),
        }
    }

    /// Offers an objective of a feasible answer; kept when it is the lowest so far.
    pub(crate) fn offer_incumbent(&self, x: f64) {
        if x.is_finite() {
            let _ = self
                .incumbent
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                    (x < f64::from_bits(old)).then_some(x.to_bits())
                });
        }
    }

    /// Offers a proven lower bound; kept when it is the highest so far.
    pub(crate) fn offer_bound(&self, x: f64) {
        if x.is_finite() {
            let _ = self
                .bound
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                    (x > f64::from_bits(old)).then_some(x.to_bits())
                });
        }
    }

    /// A new part of the solve whose figures are not comparable with the last one's:
    /// names it and forgets the incumbent and bound.
    pub(crate) fn start_stage(&self, name: String) {
        if let Ok(mut s) = self.stage.lock() {
            *s = name;
        }
        self.incumbent
            .store(f64::INFINITY.to_bits(), Ordering::Relaxed);
        self.bound
            .store(f64::NEG_INFINITY.to_bits(), Ordering::Relaxed);
    }
}

/// `x` with six significant digits, as progress lines (the CLI's and Python's bars)
/// print figures.
pub fn significant(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.digits$}")
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Progress>>> = const { RefCell::new(None) };
}

/// Runs `f` with `progress` observing the solves it makes on this thread (the previous
/// observer, if any, comes back afterwards, also when `f` unwinds).
pub fn observed<T>(progress: &Arc<Progress>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Progress>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let old = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = old);
        }
    }
    let old = CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(progress)));
    let _restore = Restore(old);
    f()
}

/// `f`, observed by this thread's observer on whichever thread runs it (rayon's
/// threads do not see the caller's).
pub(crate) fn carried<T, F: FnOnce() -> T + Send>(f: F) -> impl FnOnce() -> T + Send {
    let observer = current();
    move || match observer {
        Some(o) => observed(&o, f),
        None => f(),
    }
}

/// The observer of this thread's solves, if any.
pub(crate) fn current() -> Option<Arc<Progress>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Reports an incumbent to this thread's observer (nothing without one).
pub(crate) fn report_incumbent(x: f64) {
    if let Some(p) = current() {
        p.offer_incumbent(x);
    }
}

/// Reports a lower bound to this thread's observer (nothing without one).
pub(crate) fn report_bound(x: f64) {
    if let Some(p) = current() {
        p.offer_bound(x);
    }
}

/// Starts a new stage of this thread's observer (nothing without one).
pub(crate) fn report_stage(name: impl FnOnce() -> String) {
    if let Some(p) = current() {
        p.start_stage(name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_figures_and_only_inside_observed() {
        let p = Progress::new();
        report_incumbent(5.0); // nobody observes yet
        assert_eq!(p.incumbent(), None);
        observed(&p, || {
            report_incumbent(10.0);
            report_incumbent(12.0); // worse: ignored
            report_bound(7.0);
            report_bound(6.0); // weaker: ignored
            report_incumbent(8.0);
        });
        assert_eq!(p.incumbent(), Some(8.0));
        assert_eq!(p.bound(), Some(7.0));
        assert!((p.gap().unwrap_or(f64::NAN) - 0.125).abs() < 1e-12);
        report_incumbent(1.0); // after observed: nobody observes
        assert_eq!(p.incumbent(), Some(8.0));
        assert_eq!(
            p.line().as_deref(),
            Some("incumbent 8.00000, bound 7.00000, gap 12.50%")
        );
    }

    #[test]
    fn a_stage_forgets_the_last_stages_figures() {
        let p = Progress::new();
        observed(&p, || {
            report_incumbent(3.0);
            report_stage(|| "p = 4".into());
            report_bound(1.0);
        });
        assert_eq!(p.incumbent(), None);
        assert_eq!(p.line().as_deref(), Some("p = 4: bound 1.00000"));
    }

    #[test]
    fn nested_observers_restore_the_outer_one() {
        let (outer, inner) = (Progress::new(), Progress::new());
        observed(&outer, || {
            observed(&inner, || report_incumbent(2.0));
            report_incumbent(4.0);
        });
        assert_eq!(inner.incumbent(), Some(2.0));
        assert_eq!(outer.incumbent(), Some(4.0));
    }
}
