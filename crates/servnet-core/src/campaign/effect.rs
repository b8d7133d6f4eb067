//! Expected repairs a visit avoids: the unit's expected repairs over the months after
//! the visit, from its model's repair curve, x the campaign's `effect_share`.

use crate::model::RepairCurve;
use chrono::{Datelike, NaiveDate};

/// Expected repairs one unit of sale year `vintage` avoids when visited on `day`:
/// `effect_share x sum over the effect_months months from the visit's month of
/// rate(age) / 12`, where `age = year of that month - vintage` (age 0: the year of
/// sale; negative ages count 0). The month of the visit counts in full.
///
/// E.g. a table curve `[0.1, 0.2, 0.3]`, vintage 2024, a visit on 2025-11-15, three
/// months and a share of 0.5: November and December 2025 are at age 1 (0.2 a year),
/// January 2026 at age 2 (0.3), so `0.5 x (0.2 + 0.2 + 0.3) / 12 = 0.029167`.
pub fn repairs_avoided(
    curve: &RepairCurve,
    vintage: i32,
    day: NaiveDate,
    effect_months: u32,
    effect_share: f64,
) -> f64 {
    let first = day.year() * 12 + day.month0() as i32;
    let mut sum = 0.0;
    for k in 0..effect_months as i32 {
        let year = (first + k).div_euclid(12);
        let age = year - vintage;
        if age >= 0 {
            sum += curve.rate(age as u32) / 12.0;
        }
    }
    effect_share * sum
}
