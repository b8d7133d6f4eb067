//! The forecast's result: tickets per region x skill x year, peaks, warnings and the
//! inputs each kind of demand came from.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ndarray::{Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

use crate::model::Skill;

/// One row of the tidy forecast table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// Region code.
    pub region: String,
    /// Skill, `kind:category`.
    pub skill: String,
    /// Forecast year.
    pub year: i32,
    /// Expected tickets in the year.
    pub tickets: f64,
    /// The region's peak month, 1..=12: the busiest month of the region's total.
    pub peak_month: u32,
    /// Expected tickets of this skill on a day of the region's peak month.
    pub peak_day: f64,
}

/// Headline figures of one forecast year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearTotals {
    /// The year.
    pub year: i32,
    /// Expected tickets in the year, all regions and skills.
    pub tickets: f64,
    /// Expected tickets by service kind (`repair`, `install`, ...).
    pub by_kind: BTreeMap<String, f64>,
    /// Tickets on a network-wide peak day: the daily mean of the busiest month of the
    /// network's total, x `day_peak_factor`.
    pub peak_day: f64,
    /// That busiest month, 1..=12.
    pub peak_month: u32,
    /// Sum of the regions' own peak days (each region's busiest month; what outlets
    /// sized region by region must carry). At least `peak_day`.
    pub regional_peak_day: f64,
    /// Units in service during the year (after retirements), all categories.
    pub units_in_service: f64,
}

/// What a [`ForecastWarning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Sales of a year after the sales plan's last year are extrapolated by a rule.
    SalesExtrapolated,
    /// A year has no sales (before the plan, or no plan at all): no delivery or install.
    NoSales,
    /// A category has no retirement curve: its units never leave the base.
    NoRetirementCurve,
    /// A service kind has no per-unit rate for some categories: it is not forecast there.
    NoServiceRate,
}

/// A stated assumption of the forecast that a reader must know about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastWarning {
    /// What it is about.
    pub kind: WarningKind,
    /// The forecast year concerned, if one.
    pub year: Option<i32>,
    /// The warning in words, naming the input and the rule applied.
    pub message: String,
}

/// Where one skill's demand came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandSource {
    /// Skill, `kind:category`.
    pub skill: String,
    /// Whether the forecast has tickets for it.
    pub forecast: bool,
    /// Tickets per unit (sold, or in service per year) for non-repair kinds.
    pub rate: Option<f64>,
    /// The inputs and rules, in words (e.g. `units in service x 0.06 per unit-year
    /// (service_rates)`).
    pub inputs: String,
}

/// Expected tickets per region x skill x year, with peak month and peak day.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Region codes (the network's order: sorted).
    pub regions: Vec<String>,
    /// Skills forecast (sorted by their `kind:category` text).
    pub skills: Vec<Skill>,
    /// Forecast years, ascending.
    pub years: Vec<i32>,
    /// Expected tickets per year, `[region, skill, year]`.
    pub tickets: Array3<f64>,
    /// Expected tickets of the skill on a day of the region's peak month (the busiest
    /// month of the region's total) x `day_peak_factor`, `[region, skill, year]`.
    /// Summed over skills: the region's peak day.
    pub peak_day: Array3<f64>,
    /// The skill's own busiest month (1..=12) by its category profile, `[skill, year]`.
    pub peak_month: Array2<u32>,
    /// That month's share of the skill's year, `[skill, year]`.
    pub peak_share: Array2<f64>,
    /// Monthly shares of the year, `[skill, month 0..12]` (the category's profile).
    pub monthly_share: Array2<f64>,
    /// The region's peak month (busiest month of its total), `[region, year]`.
    pub region_peak_month: Array2<u32>,
    /// Product categories, sorted.
    pub categories: Vec<String>,
    /// Units in service during the year, after retirements, `[region, category, year]`.
    pub units_in_service: Array3<f64>,
    /// Stated assumptions: extrapolated sales, missing inputs (empty: none).
    pub warnings: Vec<ForecastWarning>,
    /// The inputs each skill's demand came from, one per category and kind.
    pub sources: Vec<DemandSource>,
    /// The peak-day factor the peak days were made with.
    pub day_peak_factor: f64,
}

impl Forecast {
    /// Index of a year, if forecast.
    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|&y| y == year)
    }

    /// The tidy table: one row per region, skill and year with tickets > 0, in that
    /// order.
    pub fn rows(&self) -> Vec<ForecastRow> {
        let mut out = Vec::new();
        for (r, region) in self.regions.iter().enumerate() {
            for (s, skill) in self.skills.iter().enumerate() {
                let name = skill.to_string();
                for (k, &year) in self.years.iter().enumerate() {
                    let t = self.tickets[[r, s, k]];
                    if t > 0.0 {
                        out.push(ForecastRow {
                            region: region.clone(),
                            skill: name.clone(),
                            year,
                            tickets: t,
                            peak_month: self.region_peak_month[[r, k]],
                            peak_day: self.peak_day[[r, s, k]],
                        });
                    }
                }
            }
        }
        out
    }

    /// The network's busiest month of `years[k]` (1..=12; ties: the earlier month) and
    /// its tickets per day.
    pub fn network_peak(&self, k: usize) -> (u32, f64) {
        let t = self.tickets.index_axis(Axis(2), k);
        let by_skill: Vec<f64> = (0..self.skills.len())
            .map(|s| t.index_axis(Axis(1), s).sum())
            .collect();
        let month = super::peak::busiest_month(|m| {
            by_skill
                .iter()
                .enumerate()
                .map(|(s, v)| v * self.monthly_share[[s, m]])
                .sum()
        });
        let m = month as usize - 1;
        let days = f64::from(days_in_month(self.years[k], month));
        let per_day = by_skill
            .iter()
            .enumerate()
            .map(|(s, v)| v * self.monthly_share[[s, m]])
            .sum::<f64>()
            / days;
        (month, per_day)
    }

    /// Totals per year.
    pub fn totals(&self) -> Vec<YearTotals> {
        let factor = self.day_peak_factor;
        self.years
            .iter()
            .enumerate()
            .map(|(k, &year)| {
                let t = self.tickets.index_axis(Axis(2), k);
                let mut by_kind = BTreeMap::new();
                for (s, skill) in self.skills.iter().enumerate() {
                    *by_kind
                        .entry(skill.kind.as_str().to_string())
                        .or_insert(0.0) += t.index_axis(Axis(1), s).sum();
                }
                let (peak_month, per_day) = self.network_peak(k);
                YearTotals {
                    year,
                    tickets: t.sum(),
                    by_kind,
                    peak_day: per_day * factor,
                    peak_month,
                    regional_peak_day: self.peak_day.index_axis(Axis(2), k).sum(),
                    units_in_service: self.units_in_service.index_axis(Axis(2), k).sum(),
                }
            })
            .collect()
    }
}

/// Days in `month` (1..=12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month >= 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(30, |d| d.day())
}
