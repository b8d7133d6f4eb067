//! The options of a forecast, and the rule for years past the sales plan.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What the forecast assumes for sales in years after the last year of the sales plan.
/// Whatever the rule, every such year carries a warning in [`super::Forecast::warnings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesAfterPlan {
    /// Hold the plan's last year flat per region and model (the default).
    #[default]
    Flat,
    /// The last year's sales x `(1 + sales_growth)^(years after it)`: a trend the user
    /// chooses with [`ForecastOptions::sales_growth`].
    Growth,
    /// No sales at all (delivery and install stop; the warnings say so).
    Zero,
}

/// Options of [`super::forecast`]. Defaults are documented per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ForecastOptions {
    /// First forecast year (default 2026). It must lie in the data's window
    /// (see [`super::window`]); installed-base vintages after it are errors.
    pub start_year: i32,
    /// Number of forecast years (default 1; the last one must lie in the window too).
    pub years: u32,
    /// Delivery tickets per unit sold, for every category (default `None`: the
    /// category's `service_rates` row, else 1).
    pub delivery_per_sale: Option<f64>,
    /// Install tickets per unit sold, for every category (default `None`: the
    /// category's `service_rates` row, else 1).
    pub install_per_sale: Option<f64>,
    /// Maintenance tickets per unit in service per year, for every category (default
    /// `None`: the category's `service_rates` row, else none).
    pub maintenance_per_unit: Option<f64>,
    /// Inspection tickets per unit in service per year, for every category (default
    /// `None`: the category's `service_rates` row, else none).
    pub inspection_per_unit: Option<f64>,
    /// Multiplies every repair rate (scenarios: 1.1 = repair rates +10%; default 1).
    pub repair_rate_factor: f64,
    /// Multiplies every sales-plan row (scenarios: 0.8 = sales -20%; default 1).
    pub sales_factor: f64,
    /// Sales in years after the plan's last year (default: hold it flat).
    pub sales_after_plan: SalesAfterPlan,
    /// Yearly growth of sales after the plan for [`SalesAfterPlan::Growth`] (0.03 =
    /// +3% a year; default 0; at least -1).
    pub sales_growth: f64,
    /// Retire units with the categories' retirement curves (default true; false keeps
    /// every unit in service forever, as servnet did before).
    pub retirement: bool,
    /// Peak day = peak-month daily mean x this factor (default 1).
    pub day_peak_factor: f64,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            start_year: 2026,
            years: 1,
            delivery_per_sale: None,
            install_per_sale: None,
            maintenance_per_unit: None,
            inspection_per_unit: None,
            repair_rate_factor: 1.0,
            sales_factor: 1.0,
            sales_after_plan: SalesAfterPlan::Flat,
            sales_growth: 0.0,
            retirement: true,
            day_peak_factor: 1.0,
        }
    }
}

impl ForecastOptions {
    /// The defaults, for `years` years from `start_year`.
    pub fn new(start_year: i32, years: u32) -> Self {
        ForecastOptions {
            start_year,
            years,
            ..Default::default()
        }
    }

    pub(super) fn validate(&self) -> Result<()> {
        if self.years == 0 || self.years > 100 {
            return Err(Error::argument(
                "years",
                format!("expected 1..=100, got {}", self.years),
            ));
        }
        let rates = [
            ("delivery_per_sale", self.delivery_per_sale),
            ("install_per_sale", self.install_per_sale),
            ("maintenance_per_unit", self.maintenance_per_unit),
            ("inspection_per_unit", self.inspection_per_unit),
        ];
        let factors = [
            ("repair_rate_factor", Some(self.repair_rate_factor)),
            ("sales_factor", Some(self.sales_factor)),
        ];
        for (name, v) in rates.into_iter().chain(factors) {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::argument(
                    name,
                    format!("expected a finite number >= 0, got {v}"),
                ));
            }
        }
        if !(self.sales_growth.is_finite() && self.sales_growth >= -1.0) {
            return Err(Error::argument(
                "sales_growth",
                format!("expected a finite number >= -1, got {}", self.sales_growth),
            ));
        }
        if !(self.day_peak_factor.is_finite() && self.day_peak_factor > 0.0) {
            return Err(Error::argument(
                "day_peak_factor",
                format!("expected a number > 0, got {}", self.day_peak_factor),
            ));
        }
        Ok(())
    }
}
