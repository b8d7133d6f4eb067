//! Review thresholds and priors (a JSON options file; every field has a default).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Levels at which one rate leads to warn, suspend or remove. For rates where higher is
/// better (SLA, rating) an outlet is flagged when its shrunk rate falls *below* the level;
/// for complaint and repeat-repair rates when it rises *above* it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    /// Warning level.
    pub warn: f64,
    /// Suspension level.
    pub suspend: f64,
    /// Removal level.
    pub remove: f64,
}

/// How outlets are reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewOptions {
    /// Complete months before the review date that an active outlet is judged on.
    pub window_months: u32,
    /// Months of probation before a probation outlet is evaluated (confirm or remove).
    pub probation_months: u32,
    /// Weight of the network mean in each shrunk rate, in tickets: a rate is
    /// `(events + prior_tickets x network_rate) / (tickets + prior_tickets)`
    /// (beta-binomial posterior mean), so an outlet with few tickets stays near the
    /// network and only a long record can move it past a threshold.
    pub prior_tickets: f64,
    /// Weight of the network mean rating, in ratings (same rule for the rating mean).
    pub prior_ratings: f64,
    /// Share of tickets done within the commitment (flagged below the levels).
    pub sla: Levels,
    /// Mean follow-up rating, 1..=5 (flagged below the levels).
    pub rating: Levels,
    /// Complaints per ticket (flagged above the levels).
    pub complaints: Levels,
    /// Repeat repairs within 30 days per ticket (flagged above the levels).
    pub repeat_repairs: Levels,
    /// A probation outlet is confirmed only when no rate reaches this level
    /// (`warn`, `suspend` or `remove`); otherwise it is removed.
    pub probation_fails_at: Severity,
}

/// How bad one rate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Within every level.
    Ok,
    /// Past the warning level.
    Warn,
    /// Past the suspension level.
    Suspend,
    /// Past the removal level.
    Remove,
}

impl Default for ReviewOptions {
    fn default() -> Self {
        ReviewOptions {
            window_months: 6,
            probation_months: 3,
            prior_tickets: 50.0,
            prior_ratings: 20.0,
            sla: Levels {
                warn: 0.85,
                suspend: 0.75,
                remove: 0.65,
            },
            rating: Levels {
                warn: 4.0,
                suspend: 3.6,
                remove: 3.2,
            },
            complaints: Levels {
                warn: 0.03,
                suspend: 0.06,
                remove: 0.10,
            },
            repeat_repairs: Levels {
                warn: 0.08,
                suspend: 0.12,
                remove: 0.18,
            },
            probation_fails_at: Severity::Warn,
        }
    }
}

impl ReviewOptions {
    /// Checks ranges and the order of every level (warn milder than suspend milder than
    /// remove); the error names the field.
    pub fn validate(&self) -> Result<()> {
        if !(1..=120).contains(&self.window_months) {
            return Err(Error::argument("window_months", "expected 1..=120 months"));
        }
        if !(1..=60).contains(&self.probation_months) {
            return Err(Error::argument(
                "probation_months",
                "expected 1..=60 months",
            ));
        }
        for (name, v) in [
            ("prior_tickets", self.prior_tickets),
            ("prior_ratings", self.prior_ratings),
        ] {
            if !(v.is_finite() && (0.0..=1e6).contains(&v)) {
                return Err(Error::argument(name, format!("expected 0..=1e6, got {v}")));
            }
        }
        let check = |name: &str, l: &Levels, range: (f64, f64), higher_is_better: bool| {
            let all = [l.warn, l.suspend, l.remove];
            if all
                .iter()
                .any(|v| !(v.is_finite() && (range.0..=range.1).contains(v)))
            {
                return Err(Error::argument(
                    name,
                    format!("levels must lie in {}..={}", range.0, range.1),
                ));
            }
            let ordered = if higher_is_better {
                l.warn >= l.suspend && l.suspend >= l.remove
            } else {
                l.warn <= l.suspend && l.suspend <= l.remove
            };
            if !ordered {
                let dir = if higher_is_better { ">=" } else { "<=" };
                return Err(Error::argument(
                    name,
                    format!("expected warn {dir} suspend {dir} remove, got {l:?}"),
                ));
            }
            Ok(())
        };
        check("sla", &self.sla, (0.0, 1.0), true)?;
        check("rating", &self.rating, (1.0, 5.0), true)?;
        check("complaints", &self.complaints, (0.0, 1e3), false)?;
        check("repeat_repairs", &self.repeat_repairs, (0.0, 1.0), false)?;
        if self.probation_fails_at == Severity::Ok {
            return Err(Error::argument(
                "probation_fails_at",
                "expected warn, suspend or remove",
            ));
        }
        Ok(())
    }

    /// Options from JSON text (fields over the defaults).
    pub fn from_json(text: &str) -> Result<Self> {
        let o: ReviewOptions = serde_json::from_str(text)
            .map_err(|e| Error::argument("review options", e.to_string()))?;
        o.validate()?;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_json_overrides_one_field() {
        ReviewOptions::default().validate().unwrap();
        let o = ReviewOptions::from_json(r#"{"window_months": 3}"#).unwrap();
        assert_eq!(o.window_months, 3);
        assert_eq!(o.sla, ReviewOptions::default().sla);
    }

    #[test]
    fn levels_out_of_order_and_unknown_fields_are_refused() {
        let e =
            ReviewOptions::from_json(r#"{"sla": {"warn": 0.7, "suspend": 0.8, "remove": 0.6}}"#)
                .unwrap_err();
        assert!(e.to_string().contains("sla"), "{e}");
        assert!(ReviewOptions::from_json(r#"{"windows": 3}"#).is_err());
    }
}
