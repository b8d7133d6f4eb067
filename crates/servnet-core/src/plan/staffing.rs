//! Staffing: how many technicians an outlet needs for its peak load.
//!
//! Two views of the same question:
//!
//! - **Utilisation targets** ([`technicians_for_utilisation`]): work hours at the peak
//!   day divided by the hours one technician can usefully work. Right for scheduled
//!   work (installations, maintenance) where tickets wait for a slot anyway.
//! - **Response-time targets** (Erlang C, the M/M/c queue): tickets arrive at random
//!   (Poisson, rate `lambda`), each takes an exponential time (rate `mu`) of one of `c`
//!   technicians. [`erlang_c`] is the probability a ticket has to wait,
//!   [`service_level`] the share answered within a target time, [`mean_wait`] the
//!   average wait (ASA), and [`servers_for_service_level`] / [`servers_for_mean_wait`]
//!   the smallest `c` meeting a target.
//!
//! Rates and times only need to share one time unit (per hour and hours, per minute
//! and minutes...). Erlang C is computed from the Erlang B recursion
//! `B(k) = a B(k-1) / (k + a B(k-1))`, which stays in `[0, 1]` at every step, so it is
//! stable for thousands of servers where `a^c / c!` would overflow.

use crate::{Error, Result};

/// Checks that a rate is finite and strictly positive.
fn positive(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::argument(
            name,
            format!("expected a finite number > 0, got {value}"),
        ))
    }
}

/// Offered load `a = lambda / mu` in Erlangs, after validating both rates.
fn offered_load(arrival_rate: f64, service_rate: f64) -> Result<f64> {
    positive("arrival_rate", arrival_rate)?;
    positive("service_rate", service_rate)?;
    Ok(arrival_rate / service_rate)
}

/// Erlang B blocking probability for offered load `a` and `servers` servers.
///
/// Uses the numerically stable recursion; `a` must be finite and positive.
fn erlang_b_of_load(a: f64, servers: u32) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        let ab = a * b;
        b = ab / (f64::from(k) + ab);
    }
    b
}

/// Erlang C from Erlang B: `C = c B / (c - a (1 - B))`; needs `a < c`.
fn erlang_c_from_b(a: f64, servers: u32, b: f64) -> f64 {
    let c = f64::from(servers);
    c * b / (c - a * (1.0 - b))
}

/// Checks the queue is stable (`a < c`) and returns the load `a`.
fn stable_load(arrival_rate: f64, service_rate: f64, servers: u32) -> Result<f64> {
    let a = offered_load(arrival_rate, service_rate)?;
    if a >= f64::from(servers) {
        return Err(Error::argument(
            "servers",
            format!(
                "the queue is unstable: offered load {a} Erlangs needs more than {servers} servers"
            ),
        ));
    }
    Ok(a)
}

/// Erlang B: probability that an arrival finds all `servers` busy in a loss system
/// (M/M/c/c) with offered load `arrival_rate / service_rate`.
///
/// Errors if a rate is not finite and positive. `servers = 0` gives 1.
pub fn erlang_b(arrival_rate: f64, service_rate: f64, servers: u32) -> Result<f64> {
    let a = offered_load(arrival_rate, service_rate)?;
    Ok(erlang_b_of_load(a, servers))
}

/// Erlang C: probability that a ticket has to wait in an M/M/c queue with
/// `arrival_rate` (lambda), `service_rate` (mu, per technician) and `servers` (c).
///
/// Errors if a rate is not finite and positive, or if the queue is unstable
/// (`lambda / mu >= c`, which includes `servers = 0`).
pub fn erlang_c(arrival_rate: f64, service_rate: f64, servers: u32) -> Result<f64> {
    let a = stable_load(arrival_rate, service_rate, servers)?;
    Ok(erlang_c_from_b(a, servers, erlang_b_of_load(a, servers)))
}

/// Share of tickets whose wait is at most `target_wait`:
/// `1 - C exp(-(c mu - lambda) t)`.
///
/// Errors as [`erlang_c`], and if `target_wait` is negative or not finite.
pub fn service_level(
    arrival_rate: f64,
    service_rate: f64,
    servers: u32,
    target_wait: f64,
) -> Result<f64> {
    if !(target_wait.is_finite() && target_wait >= 0.0) {
        return Err(Error::argument(
            "target_wait",
            format!("expected a finite number >= 0, got {target_wait}"),
        ));
    }
    let c = erlang_c(arrival_rate, service_rate, servers)?;
    let drain = f64::from(servers) * service_rate - arrival_rate;
    Ok(1.0 - c * (-drain * target_wait).exp())
}

/// Mean wait in queue over all tickets (average speed of answer, ASA):
/// `C / (c mu - lambda)`, in the time unit of the rates.
///
/// Errors as [`erlang_c`].
pub fn mean_wait(arrival_rate: f64, service_rate: f64, servers: u32) -> Result<f64> {
    let c = erlang_c(arrival_rate, service_rate, servers)?;
    Ok(c / (f64::from(servers) * service_rate - arrival_rate))
}

/// Upper limit on the servers the staffing searches try before giving up.
const MAX_SERVERS: u32 = 10_000_000;

/// Smallest `c` with `a < c` for which `accept(c, erlang_c)` holds, walking the
/// Erlang B recursion once (O(c) in total).
fn smallest_servers(a: f64, mut accept: impl FnMut(u32, f64) -> bool) -> Result<u32> {
    let mut b = 1.0;
    for k in 1..=MAX_SERVERS {
        let ab = a * b;
        b = ab / (f64::from(k) + ab);
        if f64::from(k) > a && accept(k, erlang_c_from_b(a, k, b)) {
            return Ok(k);
        }
    }
    Err(Error::argument(
        "target",
        format!("not reachable with up to {MAX_SERVERS} servers"),
    ))
}

/// Smallest number of technicians `c` such that at least `target_level` of tickets
/// wait at most `target_wait` (e.g. 80% within 20 s).
///
/// Errors if a rate is not finite and positive, `target_level` is not in `(0, 1)`
/// or `target_wait` is negative.
pub fn servers_for_service_level(
    arrival_rate: f64,
    service_rate: f64,
    target_level: f64,
    target_wait: f64,
) -> Result<u32> {
    let a = offered_load(arrival_rate, service_rate)?;
    if !(target_level > 0.0 && target_level < 1.0) {
        return Err(Error::argument(
            "target_level",
            format!("expected a share in (0, 1), got {target_level}"),
        ));
    }
    if !(target_wait.is_finite() && target_wait >= 0.0) {
        return Err(Error::argument(
            "target_wait",
            format!("expected a finite number >= 0, got {target_wait}"),
        ));
    }
    smallest_servers(a, |k, c| {
        let drain = f64::from(k) * service_rate - arrival_rate;
        1.0 - c * (-drain * target_wait).exp() >= target_level
    })
}

/// Smallest number of technicians `c` whose mean wait (ASA) is at most `max_mean_wait`.
///
/// Errors if a rate or `max_mean_wait` is not finite and positive.
pub fn servers_for_mean_wait(
    arrival_rate: f64,
    service_rate: f64,
    max_mean_wait: f64,
) -> Result<u32> {
    let a = offered_load(arrival_rate, service_rate)?;
    positive("max_mean_wait", max_mean_wait)?;
    smallest_servers(a, |k, c| {
        c / (f64::from(k) * service_rate - arrival_rate) <= max_mean_wait
    })
}

/// Technicians needed so the peak day's work fits at a target utilisation:
/// `ceil(peak_daily_units * handling_hours / (working_hours_per_day * utilisation_target))`.
///
/// A zero peak needs zero technicians. A relative slack of 1e-9 keeps rounding noise
/// (e.g. 3.0000000001) from adding a technician. Errors if `peak_daily_units` or
/// `handling_hours` is negative or not finite, `working_hours_per_day` is not positive,
/// or `utilisation_target` is not in `(0, 1]`.
pub fn technicians_for_utilisation(
    peak_daily_units: f64,
    handling_hours: f64,
    working_hours_per_day: f64,
    utilisation_target: f64,
) -> Result<u32> {
    for (name, v) in [
        ("peak_daily_units", peak_daily_units),
        ("handling_hours", handling_hours),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::argument(
                name,
                format!("expected a finite number >= 0, got {v}"),
            ));
        }
    }
    positive("working_hours_per_day", working_hours_per_day)?;
    if !(utilisation_target > 0.0 && utilisation_target <= 1.0) {
        return Err(Error::argument(
            "utilisation_target",
            format!("expected a share in (0, 1], got {utilisation_target}"),
        ));
    }
    let needed = peak_daily_units * handling_hours / (working_hours_per_day * utilisation_target);
    let rounded = (needed * (1.0 - 1e-9)).ceil();
    if rounded > f64::from(u32::MAX) {
        return Err(Error::argument(
            "peak_daily_units",
            format!("needs {needed} technicians, more than fit in a u32"),
        ));
    }
    // In range [0, u32::MAX] and integral: the cast is exact.
    Ok(rounded as u32)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Erlang C by its textbook closed form with exact factorial sums (small c only):
    /// `C = (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! * c/(c-a))`.
    fn closed_form_c(a: f64, c: u32) -> f64 {
        let mut term = 1.0; // a^k / k!
        let mut sum = 0.0;
        for k in 0..c {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let top = term * f64::from(c) / (f64::from(c) - a);
        top / (sum + top)
    }

    /// The same in log space (log-sum-exp), valid for hundreds of servers.
    fn log_space_c(a: f64, c: u32) -> f64 {
        let ln_a = a.ln();
        let mut logs = Vec::new();
        let mut ln_fact = 0.0;
        for k in 0..c {
            if k > 0 {
                ln_fact += f64::from(k).ln();
            }
            logs.push(f64::from(k) * ln_a - ln_fact);
        }
        ln_fact += f64::from(c).ln();
        let ln_top = f64::from(c) * ln_a - ln_fact + (f64::from(c) / (f64::from(c) - a)).ln();
        let m = logs.iter().copied().fold(ln_top, f64::max);
        let sum: f64 = logs.iter().map(|l| (l - m).exp()).sum::<f64>();
        let top = (ln_top - m).exp();
        top / (sum + top)
    }

    #[test]
    fn erlang_c_matches_the_closed_form_with_factorials() {
        for &(lambda, mu) in &[(1.0, 1.0), (2.5, 0.5), (10.0, 1.0), (0.3, 0.07)] {
            let a: f64 = lambda / mu;
            for c in (a.floor() as u32 + 1)..(a.floor() as u32 + 15) {
                let got = erlang_c(lambda, mu, c).unwrap();
                let want = closed_form_c(a, c);
                assert!((got - want).abs() < 1e-9, "a={a} c={c}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn single_server_wait_probability_is_the_utilisation() {
        // M/M/1: C = rho, ASA = rho / (mu - lambda), SL = 1 - rho exp(-(mu-lambda)t).
        let (l, m) = (3.0, 4.0);
        assert!((erlang_c(l, m, 1).unwrap() - 0.75).abs() < 1e-12);
        assert!((mean_wait(l, m, 1).unwrap() - 0.75).abs() < 1e-12);
        let sl = service_level(l, m, 1, 2.0).unwrap();
        assert!((sl - (1.0 - 0.75 * (-2.0f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn two_servers_have_the_known_closed_form() {
        // M/M/2 with rho = a/2: C = 2 rho^2 / (1 + rho).
        let a: f64 = 1.2;
        let rho = a / 2.0;
        let want = 2.0 * rho * rho / (1.0 + rho);
        assert!((erlang_c(a, 1.0, 2).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn published_call_centre_example_is_reproduced() {
        // Call Centre Helper's worked example: 100 calls per 30 min, 180 s handling,
        // i.e. 10 Erlangs. With 11 agents Pw = 0.6821 and 80/20 needs 14 agents
        // (published to 4 digits; the exact value is checked by the closed form).
        let lambda = 100.0 / 1800.0; // per second
        let mu = 1.0 / 180.0;
        let pw = erlang_c(lambda, mu, 11).unwrap();
        assert!((pw - 0.6821).abs() < 5e-5, "{pw}");
        assert!((pw - closed_form_c(10.0, 11)).abs() < 1e-12);
        assert_eq!(
            servers_for_service_level(lambda, mu, 0.8, 20.0).unwrap(),
            14
        );
    }

    #[test]
    fn hundreds_of_servers_stay_accurate() {
        for &(a, c) in &[(480.0, 500u32), (950.0, 1000), (199.5, 200), (50.0, 400)] {
            let got = erlang_c(a, 1.0, c).unwrap();
            let want = log_space_c(a, c);
            assert!(got.is_finite() && (0.0..=1.0).contains(&got));
            assert!(
                (got - want).abs() < 1e-9 * want.max(1.0),
                "a={a} c={c}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn staffing_search_returns_the_smallest_sufficient_count() {
        let (l, m) = (120.0, 0.5); // 240 Erlangs
        let c = servers_for_service_level(l, m, 0.9, 0.05).unwrap();
        assert!(service_level(l, m, c, 0.05).unwrap() >= 0.9);
        assert!(c == 241 || service_level(l, m, c - 1, 0.05).unwrap() < 0.9);
        let c = servers_for_mean_wait(l, m, 0.01).unwrap();
        assert!(mean_wait(l, m, c).unwrap() <= 0.01);
        assert!(mean_wait(l, m, c - 1).map_or(true, |w| w > 0.01));
    }

    #[test]
    fn unstable_queues_and_bad_rates_are_errors() {
        assert!(erlang_c(10.0, 1.0, 10).is_err());
        assert!(erlang_c(10.0, 1.0, 0).is_err());
        assert!(erlang_c(0.0, 1.0, 3).is_err());
        assert!(erlang_c(1.0, -1.0, 3).is_err());
        assert!(erlang_c(f64::NAN, 1.0, 3).is_err());
        assert!(service_level(1.0, 1.0, 3, -1.0).is_err());
        assert!(servers_for_service_level(1.0, 1.0, 1.0, 1.0).is_err());
        assert!(erlang_b(1.0, 0.0, 3).is_err());
    }

    #[test]
    fn utilisation_staffing_rounds_up_but_ignores_float_noise() {
        // 30 units x 0.8 h / (8 h x 0.85) = 3.53 -> 4
        assert_eq!(
            technicians_for_utilisation(30.0, 0.8, 8.0, 0.85).unwrap(),
            4
        );
        // 0.1 * 3 * 8 = 2.4000000000000004 h of work in 0.8 h days -> exactly 3
        assert_eq!(technicians_for_utilisation(0.3, 8.0, 0.8, 1.0).unwrap(), 3);
        assert_eq!(technicians_for_utilisation(0.0, 1.0, 8.0, 0.8).unwrap(), 0);
        assert!(technicians_for_utilisation(1.0, 1.0, 8.0, 0.0).is_err());
        assert!(technicians_for_utilisation(1.0, 1.0, 0.0, 0.5).is_err());
        assert!(technicians_for_utilisation(-1.0, 1.0, 8.0, 0.5).is_err());
    }
}
