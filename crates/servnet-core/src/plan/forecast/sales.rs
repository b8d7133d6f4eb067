//! Sales per region, model and year: the plan where it has rows, a stated rule after
//! its last year, and a warning for every year not taken from the plan.

use ndarray::{Array2, Array3, Axis};

use super::options::{ForecastOptions, SalesAfterPlan};
use super::result::{ForecastWarning, WarningKind};

/// The sales plan as `[region, model, plan year]` from `first` (rows already checked).
pub(super) struct Plan {
    /// First plan year.
    pub first: i32,
    /// Units `[region, model, year - first]`, x `sales_factor`.
    pub units: Array3<f64>,
    /// Whether the plan has any row for each year.
    pub has_rows: Vec<bool>,
}

impl Plan {
    fn last(&self) -> i32 {
        self.first + self.units.len_of(Axis(2)) as i32 - 1
    }
}

/// Sales of `year` `[region, model]` by the plan or the rule, and the warning when
/// they are not the plan's own rows. `None` plan: no sales.
pub(super) fn sales_of(
    plan: Option<&Plan>,
    year: i32,
    shape: (usize, usize),
    opts: &ForecastOptions,
) -> (Array2<f64>, Option<ForecastWarning>) {
    let zero = Array2::<f64>::zeros(shape);
    let warn = |kind, message: String| {
        Some(ForecastWarning {
            kind,
            year: Some(year),
            message,
        })
    };
    let Some(p) = plan else {
        return (
            zero,
            warn(
                WarningKind::NoSales,
                format!("{year}: no sales plan: no units sold, no delivery or install tickets"),
            ),
        );
    };
    let last = p.last();
    if year < p.first {
        return (
            zero,
            warn(
                WarningKind::NoSales,
                format!(
                    "{year}: before the sales plan ({}..={last}): no units sold, no delivery \
                     or install tickets",
                    p.first
                ),
            ),
        );
    }
    if year <= last {
        let k = (year - p.first) as usize;
        let w = (!p.has_rows[k]).then(|| ForecastWarning {
            kind: WarningKind::NoSales,
            year: Some(year),
            message: format!("{year}: the sales plan has no rows for this year: no units sold"),
        });
        return (p.units.index_axis(Axis(2), k).to_owned(), w);
    }
    let held = p.units.index_axis(Axis(2), (last - p.first) as usize);
    let after = year - last;
    let (units, rule) = match opts.sales_after_plan {
        SalesAfterPlan::Flat => (held.to_owned(), format!("hold {last}'s sales flat")),
        SalesAfterPlan::Growth => {
            let f = (1.0 + opts.sales_growth).powi(after);
            (
                &held * f,
                format!(
                    "{last}'s sales x (1 {} {:.1}%)^{after} (sales_growth)",
                    if opts.sales_growth < 0.0 { "-" } else { "+" },
                    100.0 * opts.sales_growth.abs()
                ),
            )
        }
        SalesAfterPlan::Zero => (zero, "no sales at all".to_string()),
    };
    let rule_name = match opts.sales_after_plan {
        SalesAfterPlan::Flat => "flat",
        SalesAfterPlan::Growth => "growth",
        SalesAfterPlan::Zero => "zero",
    };
    (
        units,
        warn(
            WarningKind::SalesExtrapolated,
            format!(
                "{year}: the sales plan ends in {last}; sales are extrapolated: {rule} \
                 (sales_after_plan = {rule_name})"
            ),
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let mut units = Array3::<f64>::zeros((1, 1, 2));
        units[[0, 0, 0]] = 100.0;
        units[[0, 0, 1]] = 200.0;
        Plan {
            first: 2026,
            units,
            has_rows: vec![true, true],
        }
    }

    #[test]
    fn the_rule_applies_after_the_plan_and_warns() {
        let p = plan();
        let opts = ForecastOptions::new(2026, 5);
        let (u, w) = sales_of(Some(&p), 2027, (1, 1), &opts);
        assert_eq!((u[[0, 0]], w), (200.0, None));
        let (u, w) = sales_of(Some(&p), 2029, (1, 1), &opts);
        assert_eq!(u[[0, 0]], 200.0);
        assert_eq!(w.unwrap().kind, WarningKind::SalesExtrapolated);
        let growth = ForecastOptions {
            sales_after_plan: SalesAfterPlan::Growth,
            sales_growth: -0.1,
            ..opts.clone()
        };
        let (u, w) = sales_of(Some(&p), 2029, (1, 1), &growth);
        assert!((u[[0, 0]] - 200.0 * 0.9f64.powi(2)).abs() < 1e-9);
        assert!(w.unwrap().message.contains("- 10.0%"));
        let zero = ForecastOptions {
            sales_after_plan: SalesAfterPlan::Zero,
            ..opts
        };
        let (u, w) = sales_of(Some(&p), 2028, (1, 1), &zero);
        assert_eq!(u[[0, 0]], 0.0);
        assert!(w.unwrap().message.contains("no sales at all"));
        let (u, w) = sales_of(Some(&p), 2025, (1, 1), &zero);
        assert_eq!((u[[0, 0]], w.unwrap().kind), (0.0, WarningKind::NoSales));
    }
}
