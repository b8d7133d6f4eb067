//! The service's clock: the network's wall clock (a fixed UTC offset, +08:00 by
//! default), which dates holds and tickets sent without `created_at`, expires holds and
//! rolls the days over at midnight.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};

/// The network's wall clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    offset: FixedOffset,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset: FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix()),
        }
    }
}

impl Clock {
    /// A clock `+HH:MM` or `-HH:MM` from UTC.
    pub fn parse(offset: &str) -> Result<Self, String> {
        let (sign, rest) = match offset.as_bytes().first() {
            Some(b'+') => (1, &offset[1..]),
            Some(b'-') => (-1, &offset[1..]),
            _ => return Err(format!("expected +HH:MM or -HH:MM, got '{offset}'")),
        };
        let (h, m) = rest
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)))
            .filter(|&(h, m)| (0..=14).contains(&h) && (0..60).contains(&m))
            .ok_or_else(|| format!("expected +HH:MM or -HH:MM, got '{offset}'"))?;
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .map(|offset| Clock { offset })
            .ok_or_else(|| format!("offset '{offset}' is out of range"))
    }

    /// The wall-clock time now.
    pub fn now(&self) -> NaiveDateTime {
        DateTime::<Utc>::from(std::time::SystemTime::now())
            .with_timezone(&self.offset)
            .naive_local()
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_bad_ones_are_named() {
        assert!(Clock::parse("+08:00").is_ok() && Clock::parse("-05:30").is_ok());
        for bad in ["08:00", "+8", "+25:00", "+08:61", ""] {
            assert!(Clock::parse(bad).is_err(), "{bad}");
        }
    }
}
