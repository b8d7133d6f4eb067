//! The peak month: the busiest month of a total, not a sum of per-category peaks.
//!
//! Categories peak in different months (air conditioners in July, water heaters in
//! January). Adding each category's peak day would size outlets for a day that never
//! comes; servnet takes the month in which the *total* is largest, per region (what the
//! region's outlets carry) and for the network (the headline figure).

use ndarray::{Array2, Array3};

use super::result::days_in_month;

/// The month (1..=12) whose `volume(month index 0..12)` is largest; ties go to the
/// earlier month.
pub fn busiest_month(volume: impl Fn(usize) -> f64) -> u32 {
    let mut best = (0, f64::NEG_INFINITY);
    for m in 0..12 {
        let v = volume(m);
        if v > best.1 {
            best = (m, v);
        }
    }
    best.0 as u32 + 1
}

/// Each region's peak month `[region, year]` and its peak day per skill
/// `[region, skill, year]`: tickets x the skill's share of that month / its days x
/// `factor`.
pub(super) fn region_peaks(
    tickets: &Array3<f64>,
    monthly_share: &Array2<f64>,
    years: &[i32],
    factor: f64,
) -> (Array2<u32>, Array3<f64>) {
    let (n_r, n_s, n_y) = tickets.dim();
    let mut month_of = Array2::<u32>::ones((n_r, n_y));
    let mut peak_day = Array3::<f64>::zeros((n_r, n_s, n_y));
    for (k, &year) in years.iter().enumerate() {
        for r in 0..n_r {
            let month = busiest_month(|m| {
                (0..n_s)
                    .map(|s| tickets[[r, s, k]] * monthly_share[[s, m]])
                    .sum()
            });
            month_of[[r, k]] = month;
            let m = month as usize - 1;
            let days = f64::from(days_in_month(year, month));
            for s in 0..n_s {
                peak_day[[r, s, k]] = tickets[[r, s, k]] * monthly_share[[s, m]] / days * factor;
            }
        }
    }
    (month_of, peak_day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_earlier_month() {
        assert_eq!(busiest_month(|_| 1.0), 1);
        assert_eq!(
            busiest_month(|m| if m == 6 || m == 7 { 2.0 } else { 1.0 }),
            7
        );
    }

    #[test]
    fn a_region_peaks_in_the_month_of_its_total() {
        // Two skills: one peaks in January (60% of 100), one in July (30% of 150).
        let mut share = Array2::<f64>::zeros((2, 12));
        for m in 0..12 {
            share[[0, m]] = 0.4 / 11.0;
            share[[1, m]] = 0.7 / 11.0;
        }
        share[[0, 0]] = 0.6;
        share[[1, 6]] = 0.3;
        let mut t = Array3::<f64>::zeros((1, 2, 1));
        t[[0, 0, 0]] = 100.0;
        t[[0, 1, 0]] = 150.0;
        let (month, day) = region_peaks(&t, &share, &[2026], 1.0);
        // January: 60 + 150 x 0.7/11 = 69.5; July: 100 x 0.4/11 + 45 = 48.6.
        assert_eq!(month[[0, 0]], 1);
        let total: f64 = day.iter().sum();
        assert!((total - (60.0 + 150.0 * 0.7 / 11.0) / 31.0).abs() < 1e-9);
        // The sum of the two skills' own peak days would be 60/31 + 45/31.
        assert!(total < (60.0 + 45.0) / 31.0);
    }
}
