//! The step schedule of every subgradient (Lagrangian bound) loop: Polyak steps
//! `theta * (target - value) / |g|^2`, `theta` halved after a run of rounds without a
//! better bound, and a stop once `theta` is too small to move the multipliers.

/// A Polyak step size `theta` that halves after `patience` rounds without a better
/// bound; the loop stops once it falls below `min_theta`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepSchedule {
    theta: f64,
    patience: u32,
    min_theta: f64,
    stall: u32,
}

impl StepSchedule {
    /// Starts at `theta`, halving after `patience` rounds without improvement, spent below
    /// `min_theta`.
    pub(crate) fn new(theta: f64, patience: u32, min_theta: f64) -> Self {
        StepSchedule {
            theta,
            patience,
            min_theta,
            stall: 0,
        }
    }

    /// Records whether this round's bound beat the best so far (the caller's test:
    /// each solver has its own tolerance).
    pub(crate) fn record(&mut self, improved: bool) {
        if improved {
            self.stall = 0;
        } else {
            self.stall += 1;
            if self.stall >= self.patience {
                self.theta /= 2.0;
                self.stall = 0;
            }
        }
    }

    /// Whether `theta` has fallen below its floor: further steps would not move the bound.
    pub(crate) fn spent(&self) -> bool {
        self.theta < self.min_theta
    }

    /// The Polyak step length for a distance `gap` from the target and a subgradient
    /// of squared norm `norm`.
    pub(crate) fn step(&self, gap: f64, norm: f64) -> f64 {
        self.theta * gap / norm
    }
}

#[cfg(test)]
mod tests {
    use super::StepSchedule;

    #[test]
    fn theta_halves_after_patience_rounds_without_improvement_and_is_spent_below_its_floor() {
        let mut s = StepSchedule::new(1.0, 2, 0.3);
        s.record(false);
        assert_eq!(s.step(1.0, 1.0), 1.0);
        s.record(true);
        s.record(false);
        assert_eq!(s.step(1.0, 1.0), 1.0, "an improvement restarts the count");
        s.record(false);
        assert_eq!(s.step(2.0, 4.0), 0.25);
        assert!(!s.spent());
        s.record(false);
        s.record(false);
        assert!(s.spent(), "0.25 < 0.3");
    }
}
