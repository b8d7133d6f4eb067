//! One outlet's record for one calendar month (`outlet_history.csv`).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// An outlet's record for one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutletMonth {
    /// The outlet.
    pub outlet_id: String,
    /// The month, as its first day.
    pub month: NaiveDate,
    /// Tickets completed in the month.
    pub tickets: u32,
    /// Of those, completed within the region's commitment.
    pub sla_met: u32,
    /// Sum of follow-up ratings (1..=5 each).
    pub rating_sum: f64,
    /// Number of follow-up ratings.
    pub rating_count: u32,
    /// Complaints received about the month's tickets.
    pub complaints: u32,
    /// Tickets that needed another repair within 30 days.
    pub repeat_repairs_30d: u32,
}

/// The first day of the month `months` after the month of `d` (negative: before).
pub fn add_months(d: NaiveDate, months: i32) -> Option<NaiveDate> {
    let m0 = d.year().checked_mul(12)?.checked_add(d.month0() as i32)?;
    let m = m0.checked_add(months)?;
    NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1)
}

/// The first day of `d`'s month.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 17).unwrap();
        assert_eq!(add_months(d, 3), NaiveDate::from_ymd_opt(2027, 2, 1));
        assert_eq!(add_months(d, -11), NaiveDate::from_ymd_opt(2025, 12, 1));
        assert_eq!(
            month_start(d),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
    }
}
