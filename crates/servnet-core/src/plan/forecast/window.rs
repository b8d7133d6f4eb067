//! The years a forecast may cover: bounded by the data before anything is allocated.

use crate::model::{PlanningData, YEARS};
use crate::{Error, Result};

/// A forecast may reach this many years past the last year of data (the sales plan's
/// last year, or the installed base's last vintage when there is no plan): beyond
/// that, extrapolated sales and aged cohorts are guesses, not a forecast.
pub const YEARS_PAST_DATA: i32 = 10;

/// The window of forecast years the data supports, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first installed-base vintage (or the sales plan's first year without a base).
    pub first: i32,
    /// The last year of data + [`YEARS_PAST_DATA`].
    pub last: i32,
}

/// The window of `data` (rows with a year outside [`YEARS`] are ignored here: the
/// validation reports them); `None` without an installed base or a sales plan.
pub fn window(data: &PlanningData) -> Option<Window> {
    let base = data
        .installed_base
        .iter()
        .map(|r| r.vintage)
        .filter(|y| YEARS.contains(y));
    let plan = data
        .sales_plan
        .iter()
        .map(|r| r.year)
        .filter(|y| YEARS.contains(y));
    let first = base.clone().chain(plan.clone()).min()?;
    let last_data = plan.clone().max().or_else(|| base.clone().max())?;
    Some(Window {
        first,
        last: last_data.max(first) + YEARS_PAST_DATA,
    })
}

/// Checks that years `start ..= start + years - 1` lie in the data's window; the error
/// names the field (`year` or `years`) and the window.
pub(super) fn check(data: &PlanningData, start: i32, years: u32) -> Result<Window> {
    let w = window(data).ok_or_else(|| {
        Error::argument(
            "year",
            "no installed base and no sales plan: nothing to forecast from",
        )
    })?;
    let rule = format!(
        "the forecast window is {}..={} (first installed-base vintage .. last sales-plan \
         year + {YEARS_PAST_DATA})",
        w.first, w.last
    );
    if !(w.first..=w.last).contains(&start) {
        return Err(Error::argument(
            "year",
            format!("{start} is outside the data: {rule}"),
        ));
    }
    let last = i64::from(start) + i64::from(years) - 1;
    if last > i64::from(w.last) {
        return Err(Error::argument(
            "years",
            format!("{years} years from {start} end in {last}, outside the data: {rule}"),
        ));
    }
    Ok(w)
}
