//! The days a dispatcher counts: day 0 is its start date, the ledger counts
//! `policy.horizon_days` days from its first day, and a long-running service rolls the
//! first day forward as the calendar moves ([`Dispatcher::roll_to`]).

use super::Dispatcher;
use crate::{Error, Result};
use chrono::NaiveDate;

impl Dispatcher {
    /// The first day the ledger counts (0 until days roll over). Tickets are booked on
    /// days `first_day()..first_day() + horizon_days`.
    pub fn first_day(&self) -> u32 {
        self.first_day
    }

    /// One past the last day counted.
    pub(super) fn day_end(&self) -> u32 {
        self.first_day.saturating_add(self.policy.horizon_days)
    }

    /// The calendar date of `day`, once day 0 is known.
    pub fn date_of(&self, day: u32) -> Option<NaiveDate> {
        self.start_date()?
            .checked_add_days(chrono::Days::new(u64::from(day)))
    }

    /// Day roll-over: makes `today` the first day counted, once day 0 is known. The
    /// days before it are dropped with the bookings on them (their ticket ids are
    /// forgotten, so the ticket map does not grow without end) and the horizon moves
    /// with it. A date at or before the first day changes nothing. Returns the first
    /// day counted.
    ///
    /// Takes `&mut self`: nothing else may run meanwhile (a service holds its dispatcher
    /// behind a read-write lock and calls this at midnight).
    pub fn roll_to(&mut self, today: NaiveDate) -> Result<u32> {
        let Some(start) = self.start_date() else {
            return Ok(self.first_day);
        };
        let days = (today - start).num_days();
        let Ok(day) = u32::try_from(days) else {
            return Ok(self.first_day);
        };
        if day <= self.first_day {
            return Ok(self.first_day);
        }
        if day >= u32::MAX / 2 {
            return Err(Error::argument(
                "today",
                format!("{today} is too far after the start date {start}"),
            ));
        }
        self.ledger.roll(day)?;
        self.first_day = day;
        self.unmark_all();
        Ok(day)
    }
}
