//! The parametric repair curves servnet fits: power-law Weibull and the bathtub shape.
//!
//! Both are cumulative repair intensities `H(t)` (expected repairs per unit by age `t`
//! years); the rate in the year of age `a` is `H(a + 1) - H(a)`, as for
//! [`RepairCurve::Weibull`](crate::model::RepairCurve::Weibull). Parameters are kept
//! unconstrained (`theta`, logs and logits) so the optimiser and the pooling prior
//! work on the whole real line:
//!
//! | family | `H(t)` | `theta` |
//! | --- | --- | --- |
//! | weibull | `e^a t^(e^b)` | `(a, b)`: shape `e^b`, scale `e^(-a / shape)` |
//! | bathtub | `e^a1 t^s(b1) + e^c t + e^a2 t^(1 + e^b2)` | infant (shape `s(b1)` in (0, 1), `s` the logistic), constant, wear-out (shape > 1) |

use serde::{Deserialize, Serialize};

/// A parametric family of repair curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Power-law minimal repair, 2 parameters.
    Weibull,
    /// Infant mortality + constant + wear-out, 5 parameters.
    Bathtub,
}

impl Family {
    /// Both families, in the order they are tried.
    pub const ALL: [Family; 2] = [Family::Weibull, Family::Bathtub];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Weibull => "weibull",
            Family::Bathtub => "bathtub",
        }
    }

    /// Number of parameters.
    pub fn params(self) -> usize {
        match self {
            Family::Weibull => 2,
            Family::Bathtub => 5,
        }
    }

    /// Cumulative repairs per unit by age `t >= 0`.
    pub fn cumulative(self, theta: &[f64], t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        match self {
            Family::Weibull => theta[0].exp() * t.powf(theta[1].exp()),
            Family::Bathtub => {
                let infant = theta[0].exp() * t.powf(logistic(theta[1]));
                let constant = theta[2].exp() * t;
                let wear = theta[3].exp() * t.powf(1.0 + theta[4].exp());
                infant + constant + wear
            }
        }
    }

    /// Gradient of [`Family::cumulative`] with respect to `theta`.
    pub fn cumulative_grad(self, theta: &[f64], t: f64) -> Vec<f64> {
        if t <= 0.0 {
            return vec![0.0; self.params()];
        }
        let lt = t.ln();
        match self {
            Family::Weibull => {
                let shape = theta[1].exp();
                let h = theta[0].exp() * t.powf(shape);
                vec![h, h * lt * shape]
            }
            Family::Bathtub => {
                let s1 = logistic(theta[1]);
                let infant = theta[0].exp() * t.powf(s1);
                let constant = theta[2].exp() * t;
                let s2 = 1.0 + theta[4].exp();
                let wear = theta[3].exp() * t.powf(s2);
                vec![
                    infant,
                    infant * lt * s1 * (1.0 - s1),
                    constant,
                    wear,
                    wear * lt * theta[4].exp(),
                ]
            }
        }
    }

    /// Expected repairs per unit in the year of age `age`.
    pub fn rate(self, theta: &[f64], age: u32) -> f64 {
        let a = f64::from(age);
        self.cumulative(theta, a + 1.0) - self.cumulative(theta, a)
    }

    /// Starting points for the optimiser, from the mean rate `mean` of the data.
    pub(super) fn starts(self, mean: f64) -> Vec<Vec<f64>> {
        let m = mean.max(1e-9);
        match self {
            Family::Weibull => vec![vec![m.ln(), 0.0], vec![(m / 3.0).ln(), 0.5f64.ln()]],
            Family::Bathtub => vec![
                // a third each: infant (shape 0.5), constant, wear-out (shape 2, a third of
                // the mean at age 10).
                vec![(m / 3.0).ln(), 0.0, (m / 3.0).ln(), (m / 60.0).ln(), 0.0],
                // mostly constant, a steep wear-out reaching the mean at age 12.
                vec![
                    (m / 6.0).ln(),
                    -1.0,
                    (m / 2.0).ln(),
                    (m / 6912.0).ln(),
                    3f64.ln(),
                ],
            ],
        }
    }

    /// The parameters in natural units, as `(name, value)` pairs.
    pub fn natural(self, theta: &[f64]) -> Vec<(&'static str, f64)> {
        match self {
            Family::Weibull => {
                let shape = theta[1].exp();
                vec![
                    ("weibull_shape", shape),
                    ("weibull_scale", (-theta[0] / shape).exp()),
                ]
            }
            Family::Bathtub => vec![
                ("infant", theta[0].exp()),
                ("infant_shape", logistic(theta[1])),
                ("constant", theta[2].exp()),
                ("wear", theta[3].exp()),
                ("wear_shape", 1.0 + theta[4].exp()),
            ],
        }
    }

    /// `theta` of a Weibull curve with `shape` and `scale` (years).
    pub fn weibull_theta(shape: f64, scale: f64) -> Vec<f64> {
        vec![-shape * scale.ln(), shape.ln()]
    }

    /// `theta` of a bathtub curve `infant t^infant_shape + constant t + wear t^wear_shape`
    /// (infant_shape in (0, 1), wear_shape > 1, coefficients > 0).
    pub fn bathtub_theta(
        infant: f64,
        infant_shape: f64,
        constant: f64,
        wear: f64,
        wear_shape: f64,
    ) -> Vec<f64> {
        vec![
            infant.ln(),
            (infant_shape / (1.0 - infant_shape)).ln(),
            constant.ln(),
            wear.ln(),
            (wear_shape - 1.0).ln(),
        ]
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RepairCurve;

    #[test]
    fn weibull_matches_the_planning_curve() {
        let theta = Family::weibull_theta(1.8, 11.0);
        let curve = RepairCurve::Weibull {
            shape: 1.8,
            scale: 11.0,
        };
        for a in 0..20 {
            let (x, y) = (Family::Weibull.rate(&theta, a), curve.rate(a));
            assert!((x - y).abs() < 1e-12 * y.max(1e-12), "age {a}: {x} vs {y}");
        }
        let nat = Family::Weibull.natural(&theta);
        assert!((nat[0].1 - 1.8).abs() < 1e-12 && (nat[1].1 - 11.0).abs() < 1e-9);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        for (f, theta) in [
            (Family::Weibull, Family::weibull_theta(1.7, 9.0)),
            (
                Family::Bathtub,
                Family::bathtub_theta(0.04, 0.3, 0.03, 2e-5, 4.5),
            ),
        ] {
            for t in [0.5, 3.0, 12.0] {
                let g = f.cumulative_grad(&theta, t);
                for i in 0..theta.len() {
                    let mut up = theta.clone();
                    up[i] += 1e-6;
                    let mut down = theta.clone();
                    down[i] -= 1e-6;
                    let fd = (f.cumulative(&up, t) - f.cumulative(&down, t)) / 2e-6;
                    assert!(
                        (fd - g[i]).abs() <= 1e-6 * fd.abs().max(1e-6),
                        "{f:?} {t} {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn bathtub_falls_then_rises() {
        let theta = Family::bathtub_theta(0.04, 0.3, 0.03, 2e-5, 4.5);
        let r: Vec<f64> = (0..15).map(|a| Family::Bathtub.rate(&theta, a)).collect();
        assert!(r[0] > r[2] && r[2] < r[14], "{r:?}");
        let nat = Family::Bathtub.natural(&theta);
        assert!((nat[1].1 - 0.3).abs() < 1e-12 && (nat[4].1 - 4.5).abs() < 1e-12);
    }
}
