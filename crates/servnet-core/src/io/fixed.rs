//! Fixed-precision decimal text of a float (`{:.N}`) without `core::fmt`'s exact
//! float formatting (about 900 instructions a cell; a plan's CSV has five float cells a
//! row): the same bytes, by integer arithmetic where the rounding is certain.

/// Powers of ten up to the digits [`push_fixed`] handles itself.
const TEN: [u64; 4] = [1, 10, 100, 1000];

/// Appends `x` with `digits` decimals to `out`: exactly the text of
/// `format!("{x:.digits$}")`.
///
/// `x * 10^digits` is rounded to the nearest integer from its float product, whose
/// error is at most half an ulp of the product; where the product's fraction lies
/// within a generous bound of one half (a tie or near-tie, whose exact rounding the
/// product cannot decide), for non-finite values, large values or more than 3 digits,
/// the text comes from `core::fmt`. Anywhere else both round the same real number to
/// the same integer.
pub(crate) fn push_fixed(out: &mut String, x: f64, digits: usize) {
    if let Some(&scale) = TEN.get(digits) {
        if let Some(n) = scaled(x.abs(), scale as f64) {
            if x.is_sign_negative() {
                out.push('-');
            }
            push_digits(out, n / scale, n % scale, digits);
            return;
        }
    }
    use std::fmt::Write as _;
    // (writing into a `String` cannot fail)
    let _ = write!(out, "{x:.digits$}");
}

/// `a * scale` (`a >= 0`, `scale <= 1000`) rounded to the nearest integer, if the float
/// product decides it: `None` for non-finite values, values from 1e12 on, or a fraction
/// too near one half.
fn scaled(a: f64, scale: f64) -> Option<u64> {
    // (NaN, infinity and anything large are left to `core::fmt`)
    if !a.is_finite() || a >= 1e12 {
        return None;
    }
    let y = a * scale;
    // `y < 1e15 < 2^50`: `y - floor(y)` is exact, and the product's error is at most
    // `y * 2^-53` (half an ulp), here bounded by `(y + 1) * 2^-45`.
    let whole = y.floor();
    let frac = y - whole;
    let slack = (y + 1.0) * f64::EPSILON * 128.0;
    if (frac - 0.5).abs() <= slack {
        return None;
    }
    Some(whole as u64 + u64::from(frac > 0.5))
}

/// Appends `int` and, if `digits > 0`, a point and `frac` zero-padded to `digits`.
fn push_digits(out: &mut String, int: u64, frac: u64, digits: usize) {
    let mut buf = itoa::Buffer::new();
    out.push_str(buf.format(int));
    if digits > 0 {
        out.push('.');
        let text = buf.format(frac);
        for _ in text.len()..digits {
            out.push('0');
        }
        out.push_str(text);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixed(x: f64, digits: usize) -> String {
        let mut s = String::new();
        push_fixed(&mut s, x, digits);
        s
    }

    /// Ties, near-ties, signs, zeros, large and non-finite values: the text of `{:.N}`.
    #[test]
    fn edge_values_read_as_core_fmt_writes_them() {
        let values = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            0.0005,
            0.0015,
            0.0025,
            1.0005,
            -0.0004,
            -0.0006,
            -1.2345,
            999.9995,
            999.99949999,
            0.1 + 0.2,
            1e11 + 0.5,
            123_456_789.987_654,
            1e12,
            1e15,
            1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for x in values {
            for d in 0..6 {
                assert_eq!(fixed(x, d), format!("{x:.d$}"), "{x:e} to {d} digits");
            }
        }
    }

    proptest! {
        /// Random floats of every magnitude a plan holds, and values on or beside
        /// half-way points (`k / 2000`): the text of `{:.N}`.
        #[test]
        fn any_value_reads_as_core_fmt_writes_it(
            x in -1e13f64..1e13,
            k in 0u64..2_000_000_000,
            nudge in -2i64..=2,
            d in 0usize..4,
        ) {
            prop_assert_eq!(fixed(x, d), format!("{x:.d$}"));
            let small = x / 1e9;
            prop_assert_eq!(fixed(small, d), format!("{small:.d$}"));
            let half = k as f64 / 2000.0;
            let near = f64::from_bits((half.to_bits() as i64 + nudge) as u64);
            prop_assert_eq!(fixed(near, d), format!("{near:.d$}"));
            prop_assert_eq!(fixed(-near, d), format!("{:.d$}", -near));
        }
    }
}
