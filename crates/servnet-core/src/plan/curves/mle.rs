//! Maximum likelihood fits of one family to Poisson repair counts, with the covariance
//! of the estimate.
//!
//! Repairs at age `a` are Poisson with mean `exposure_a x rate_a(theta)`. The objective
//! is the negative log-likelihood, less its value at the saturated fit (so it is near 0
//! at the optimum and equals half the deviance). It is minimised with `argmin`: Nelder-Mead from a few starting points
//! (robust where the bathtub family is flat), then L-BFGS with the analytic gradient
//! from the best point (Nelder-Mead alone stalls short of the optimum on the
//! 5-parameter bathtub: fitted rates off by up to 20% on 100,000+ unit-years of
//! history). The covariance is the inverse of the Hessian
//! (central differences) at the optimum; intervals of a rate come from the delta method
//! on its log.

use argmin::core::{CostFunction, Executor, Gradient};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

use super::family::Family;

/// Two-sided 95% normal quantile.
pub(super) const Z95: f64 = 1.959_963_984_540_054;

/// Repairs and exposure (unit-years) by age, index = age.
#[derive(Debug, Clone, Default)]
pub(super) struct Cells {
    pub exposure: Vec<f64>,
    pub repairs: Vec<f64>,
}

impl Cells {
    pub fn total_exposure(&self) -> f64 {
        self.exposure.iter().sum()
    }

    pub fn total_repairs(&self) -> f64 {
        self.repairs.iter().sum()
    }

    /// Adds `other` cell by cell.
    pub fn add(&mut self, other: &Cells) {
        let n = self.exposure.len().max(other.exposure.len());
        self.exposure.resize(n, 0.0);
        self.repairs.resize(n, 0.0);
        for (a, (e, r)) in other.exposure.iter().zip(&other.repairs).enumerate() {
            self.exposure[a] += e;
            self.repairs[a] += r;
        }
    }
}

/// A fitted curve.
#[derive(Debug, Clone)]
pub(super) struct Fitted {
    pub family: Family,
    pub theta: Vec<f64>,
    /// Covariance of `theta`, row-major `k x k`.
    pub cov: Vec<f64>,
    /// Negative log-likelihood at `theta`, less the saturated fit's (half the deviance).
    pub nll: f64,
}

impl Fitted {
    /// Akaike's information criterion (up to a constant shared by both families).
    pub fn aic(&self) -> f64 {
        2.0 * self.family.params() as f64 + 2.0 * self.nll
    }

    /// The rate at `age` and the variance of its log (delta method).
    pub fn log_rate(&self, age: u32) -> (f64, f64) {
        let f = self.family;
        let rate = f.rate(&self.theta, age);
        if !(rate > 0.0 && rate.is_finite()) {
            return (rate.max(1e-300), 1e6);
        }
        let k = self.theta.len();
        let h = 1e-5;
        let mut g = vec![0.0; k];
        let mut t = self.theta.clone();
        for i in 0..k {
            t[i] = self.theta[i] + h;
            let up = f.rate(&t, age).max(1e-300).ln();
            t[i] = self.theta[i] - h;
            let down = f.rate(&t, age).max(1e-300).ln();
            t[i] = self.theta[i];
            g[i] = (up - down) / (2.0 * h);
        }
        let mut var = 0.0;
        for i in 0..k {
            for j in 0..k {
                var += g[i] * self.cov[i * k + j] * g[j];
            }
        }
        (rate, var.clamp(0.0, 1e6))
    }
}

struct Objective<'a> {
    family: Family,
    cells: &'a Cells,
    offset: f64,
}

impl Objective<'_> {
    fn data(&self, theta: &[f64]) -> f64 {
        let mut v = -self.offset;
        for (a, (&e, &r)) in self
            .cells
            .exposure
            .iter()
            .zip(&self.cells.repairs)
            .enumerate()
        {
            if e <= 0.0 {
                continue;
            }
            let rate = self.family.rate(theta, a as u32);
            if !(rate > 0.0 && rate.is_finite()) {
                return f64::INFINITY;
            }
            v += e * rate - r * rate.ln();
        }
        v
    }

    fn value(&self, theta: &[f64]) -> f64 {
        if theta.iter().any(|t| !t.is_finite() || t.abs() > 60.0) {
            return 1e300;
        }
        let v = self.data(theta);
        if v.is_finite() {
            v
        } else {
            1e300
        }
    }
}

impl Objective<'_> {
    fn grad(&self, theta: &[f64]) -> Vec<f64> {
        let k = theta.len();
        let mut g = vec![0.0; k];
        if theta.iter().any(|t| !t.is_finite() || t.abs() > 60.0) {
            return g;
        }
        for (a, (&e, &r)) in self
            .cells
            .exposure
            .iter()
            .zip(&self.cells.repairs)
            .enumerate()
        {
            if e <= 0.0 {
                continue;
            }
            let rate = self.family.rate(theta, a as u32);
            if !(rate > 0.0 && rate.is_finite()) {
                continue;
            }
            let up = self.family.cumulative_grad(theta, a as f64 + 1.0);
            let down = self.family.cumulative_grad(theta, a as f64);
            let w = e - r / rate;
            for i in 0..k {
                g[i] += w * (up[i] - down[i]);
            }
        }
        g
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.grad(theta))
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, argmin::core::Error> {
        Ok(self.value(theta))
    }
}

/// Nelder-Mead from `start` with a simplex of side `step`; the best point and value.
fn nelder_mead(obj: &Objective<'_>, start: &[f64], step: f64, iters: u64) -> (Vec<f64>, f64) {
    let mut simplex = vec![start.to_vec()];
    for i in 0..start.len() {
        let mut v = start.to_vec();
        v[i] += step;
        simplex.push(v);
    }
    let fallback = (start.to_vec(), obj.value(start));
    let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(1e-10) else {
        return fallback;
    };
    let run = Executor::new(
        Objective {
            family: obj.family,
            cells: obj.cells,
            offset: obj.offset,
        },
        solver,
    )
    .configure(|s| s.max_iters(iters))
    .run();
    match run {
        Ok(res) => {
            let best = res
                .state()
                .best_param
                .clone()
                .unwrap_or_else(|| fallback.0.clone());
            let v = obj.value(&best);
            if v <= fallback.1 {
                (best, v)
            } else {
                fallback
            }
        }
        Err(_) => fallback,
    }
}

/// L-BFGS from `start`; the better of its result and `start`.
fn lbfgs(obj: &Objective<'_>, start: &[f64], value: f64) -> (Vec<f64>, f64) {
    let fallback = (start.to_vec(), value);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-9)
        .and_then(|s| s.with_tolerance_cost(1e-14));
    let Ok(solver) = solver else {
        return fallback;
    };
    let run = Executor::new(
        Objective {
            family: obj.family,
            cells: obj.cells,
            offset: obj.offset,
        },
        solver,
    )
    .configure(|s| s.param(start.to_vec()).max_iters(300))
    .run();
    match run {
        Ok(res) => match res.state().best_param.clone() {
            Some(best) => {
                let v = obj.value(&best);
                if v < value {
                    (best, v)
                } else {
                    fallback
                }
            }
            None => fallback,
        },
        Err(_) => fallback,
    }
}

/// Fits `family` to `cells` from the family's starting points (and `extra_start`);
/// `None` without exposure.
pub(super) fn fit(family: Family, cells: &Cells, extra_start: Option<&[f64]>) -> Option<Fitted> {
    let (e, r) = (cells.total_exposure(), cells.total_repairs());
    if e <= 0.0 {
        return None;
    }
    let offset = cells
        .exposure
        .iter()
        .zip(&cells.repairs)
        .filter(|(e, _)| **e > 0.0)
        .map(|(&e, &r)| if r > 0.0 { r - r * (r / e).ln() } else { 0.0 })
        .sum();
    let obj = Objective {
        family,
        cells,
        offset,
    };
    let mut starts = family.starts((r.max(0.5)) / e);
    starts.extend(extra_start.map(<[f64]>::to_vec));
    let mut best: Option<(Vec<f64>, f64)> = None;
    for s in &starts {
        let (t, v) = nelder_mead(&obj, s, 0.5, 1500);
        if best.as_ref().is_none_or(|b| v < b.1) {
            best = Some((t, v));
        }
    }
    let (theta, v) = best?;
    let (theta, _) = lbfgs(&obj, &theta, v);
    let (theta, v) = nelder_mead(&obj, &theta, 0.05, 500);
    let (theta, _) = lbfgs(&obj, &theta, v);
    let k = theta.len();
    let hess = hessian(&|t: &[f64]| obj.value(t), &theta);
    let cov = invert_pd(&hess, k);
    Some(Fitted {
        family,
        nll: obj.data(&theta),
        theta,
        cov,
    })
}

/// Hessian of `f` at `x` by central differences, row-major.
fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let k = x.len();
    let h = 1e-3;
    let mut out = vec![0.0; k * k];
    let mut p = x.to_vec();
    let at = |di: f64, i: usize, dj: f64, j: usize, p: &mut Vec<f64>| {
        p[i] += di;
        p[j] += dj;
        let v = f(p);
        p[i] = x[i];
        p[j] = x[j];
        v
    };
    for i in 0..k {
        for j in i..k {
            let v = (at(h, i, h, j, &mut p) - at(h, i, -h, j, &mut p) - at(-h, i, h, j, &mut p)
                + at(-h, i, -h, j, &mut p))
                / (4.0 * h * h);
            out[i * k + j] = v;
            out[j * k + i] = v;
        }
    }
    out
}

/// Cholesky factor of a symmetric `k x k` matrix, if positive definite.
fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    Some(l)
}

/// Inverse of a symmetric matrix that should be positive definite; a ridge is added
/// until it is (flat directions get a large but finite variance). Hand-written: 2x2 and
/// 5x5 matrices do not justify a LAPACK binding.
fn invert_pd(a: &[f64], k: usize) -> Vec<f64> {
    let scale = (0..k).map(|i| a[i * k + i].abs()).fold(1e-12, f64::max);
    let mut ridge = 0.0;
    for _ in 0..40 {
        let mut m = a.to_vec();
        for i in 0..k {
            m[i * k + i] += ridge;
        }
        if let Some(l) = cholesky(&m, k) {
            // Solve L L^T X = I column by column.
            let mut inv = vec![0.0; k * k];
            for c in 0..k {
                let mut y = vec![0.0; k];
                for i in 0..k {
                    let mut s = if i == c { 1.0 } else { 0.0 };
                    for p in 0..i {
                        s -= l[i * k + p] * y[p];
                    }
                    y[i] = s / l[i * k + i];
                }
                let mut x = vec![0.0; k];
                for i in (0..k).rev() {
                    let mut s = y[i];
                    for p in i + 1..k {
                        s -= l[p * k + i] * x[p];
                    }
                    x[i] = s / l[i * k + i];
                }
                for i in 0..k {
                    inv[i * k + c] = x[i];
                }
            }
            return inv;
        }
        ridge = if ridge == 0.0 {
            1e-9 * scale
        } else {
            ridge * 10.0
        };
    }
    let mut diag = vec![0.0; k * k];
    for i in 0..k {
        diag[i * k + i] = 1e6;
    }
    diag
}

/// 95% interval of a Poisson rate `repairs / exposure` (Byar's approximation of the
/// exact interval: within 1% of it from 1 count on).
pub(super) fn poisson_interval(repairs: f64, exposure: f64) -> (f64, f64) {
    if exposure <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let r = repairs.max(0.0);
    let lo = if r <= 0.0 {
        0.0
    } else {
        r * (1.0 - 1.0 / (9.0 * r) - Z95 / (3.0 * r.sqrt())).powi(3)
    };
    let r1 = r + 1.0;
    let hi = r1 * (1.0 - 1.0 / (9.0 * r1) + Z95 / (3.0 * r1.sqrt())).powi(3);
    (lo.max(0.0) / exposure, hi / exposure)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_known_matrix() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let inv = invert_pd(&a, 2);
        // det = 8: inverse = [3, -2; -2, 4] / 8.
        let want = [0.375, -0.25, -0.25, 0.5];
        for (x, y) in inv.iter().zip(want) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn poisson_interval_matches_exact_values() {
        // Exact (Garwood) 95% limits for 10 counts: 4.795, 18.390; for 0: 0, 3.689.
        let (lo, hi) = poisson_interval(10.0, 1.0);
        assert!(
            (lo - 4.795).abs() < 0.02 && (hi - 18.390).abs() < 0.05,
            "{lo} {hi}"
        );
        let (lo, hi) = poisson_interval(0.0, 2.0);
        assert!(lo == 0.0 && (hi - 3.689 / 2.0).abs() < 0.02, "{hi}");
    }

    #[test]
    fn a_constant_rate_is_recovered_with_its_interval() {
        // 4,000 repairs over 100,000 unit-years at every age: rate 0.04 exactly.
        let cells = Cells {
            exposure: vec![100_000.0; 12],
            repairs: vec![4_000.0; 12],
        };
        let f = fit(Family::Weibull, &cells, None).unwrap();
        let (rate, var) = f.log_rate(5);
        let (lo, hi) = (
            rate * (-Z95 * var.sqrt()).exp(),
            rate * (Z95 * var.sqrt()).exp(),
        );
        assert!((rate - 0.04).abs() < 1e-6, "{rate}");
        // 48,000 repairs in all: the level is known to about 1/sqrt(48000) = 0.46%.
        assert!(
            lo < 0.04 && hi > 0.04 && (hi - lo) / rate < 0.05,
            "{lo} {hi}"
        );
    }
}
