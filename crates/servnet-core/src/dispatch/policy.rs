use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Weights of the dispatch score. The score is a cost: lower is better, and each term is
/// expressed in "km-equivalents" with the defaults below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Per km of travel (road km: haversine x detour, or the travel matrix).
    pub distance: f64,
    /// Per satisfaction star below 5 (Bayesian average, 1..5 scale).
    pub satisfaction: f64,
    /// Per unit of load ratio after this ticket (0 = idle, 1 = full).
    pub load: f64,
    /// Per unit of the outlet's cost per ticket.
    pub cost: f64,
    /// Per dispatch-priority point below 100.
    pub priority: f64,
    /// Added for outlets on probation.
    pub probation: f64,
    /// Subtracted for the ticket's preferred outlet.
    pub preferred: f64,
    /// Contested capacity: per unit of load ratio squared (after this ticket) times the
    /// share of the network's top package `priority_weight` the ticket's package lacks.
    /// Steers lower-weight tickets off outlet-days close to full, so their last units
    /// stay for heavier packages (VIP). 0 without packages, for the top weight and for
    /// emergencies.
    pub package: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            distance: 1.0,
            satisfaction: 5.0,
            load: 10.0,
            cost: 0.05,
            priority: 0.1,
            probation: 3.0,
            preferred: 10.0,
            package: 10.0,
        }
    }
}

/// What to try, in order, when no outlet passes the hard rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Multiply radius service areas and the region's travel limit by this factor
    /// (the SLA time is then not a filter; the assignment says whether it is met).
    WiderRadius(f64),
    /// Use capacity on up to this many later days (the SLA may be missed).
    NextDay(u32),
    /// Send to the nearest open regional centre (dispatch priority >=
    /// [`Policy::centre_priority`]) with the skill and capacity, whatever its area.
    Escalate,
}

impl Fallback {
    /// What the text form accepts: the message of every parse error.
    pub const SYNTAX: &'static str =
        "expected 'wider_radius:<factor>', 'next_day:<days>' or 'escalate'";

    /// A step from its name and optional argument, as users write it:
    /// `wider_radius` (factor, default 1.5), `next_day` (whole days, default 1) or
    /// `escalate` (no argument). The error says what is accepted. Ranges are checked
    /// by [`Policy::validate`].
    pub fn from_parts(kind: &str, arg: Option<f64>) -> Result<Self, String> {
        match (kind.trim(), arg) {
            ("wider_radius", Some(x)) => Ok(Fallback::WiderRadius(x)),
            ("wider_radius", None) => Ok(Fallback::WiderRadius(1.5)),
            ("next_day", Some(x)) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
                Ok(Fallback::NextDay(x as u32))
            }
            ("next_day", None) => Ok(Fallback::NextDay(1)),
            ("escalate", None) => Ok(Fallback::Escalate),
            _ => Err(Self::SYNTAX.to_string()),
        }
    }
}

/// `wider_radius:1.5`, `next_day:2`, `escalate` (also `wider_radius` and `next_day`
/// alone, with their defaults): the text form of a step ([`Fallback::from_parts`]).
impl std::str::FromStr for Fallback {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some((kind, arg)) => {
                let x = arg
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| Fallback::SYNTAX.to_string())?;
                Fallback::from_parts(kind, Some(x))
            }
            None => Fallback::from_parts(s, None),
        }
    }
}

/// The text form that [`Fallback::from_str`](std::str::FromStr) reads back.
impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fallback::WiderRadius(x) => write!(f, "wider_radius:{x}"),
            Fallback::NextDay(n) => write!(f, "next_day:{n}"),
            Fallback::Escalate => f.write_str("escalate"),
        }
    }
}

/// How the dispatcher filters and ranks outlets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Score weights.
    pub weights: Weights,
    /// Road km per great-circle km when no travel matrix is given.
    pub detour_factor: f64,
    /// Average travel speed in km/h (turns road km into travel hours for the SLA rule).
    pub speed_kmh: f64,
    /// Pseudo-ratings of the network mean in the Bayesian satisfaction score.
    pub prior_weight: f64,
    /// Share of each capacity (skill and outlet-wide) kept for emergency tickets, 0..1.
    pub emergency_reserve: f64,
    /// Days the load ledger covers, from `start_date`.
    pub horizon_days: u32,
    /// Day 0 of the ledger (the day outlet `load` refers to). `None`: the `created_at`
    /// date of the first ticket dispatched.
    pub start_date: Option<NaiveDate>,
    /// Fallback steps, tried in order.
    pub fallback: Vec<Fallback>,
    /// Dispatch priority from which an outlet counts as a regional centre.
    pub centre_priority: u8,
    /// Share of each capacity (skill and outlet-wide, `floor(capacity x share)` units)
    /// kept for tickets whose service package weighs at least `reserve_min_weight`
    /// (and emergencies), 0..1. Applies only to a network with service packages.
    pub package_reserve: f64,
    /// The package priority weight from which a ticket may use the package reserve.
    pub reserve_min_weight: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            weights: Weights::default(),
            detour_factor: 1.3,
            speed_kmh: 40.0,
            prior_weight: crate::model::DEFAULT_PRIOR_WEIGHT,
            emergency_reserve: 0.0,
            horizon_days: 7,
            start_date: None,
            fallback: vec![
                Fallback::WiderRadius(1.5),
                Fallback::NextDay(2),
                Fallback::Escalate,
            ],
            centre_priority: 90,
            package_reserve: 0.1,
            reserve_min_weight: 2.0,
        }
    }
}

impl Policy {
    /// A policy by name: `balanced` ([`Policy::default`]) or `nearest`
    /// ([`Policy::nearest`]); any other name is an error naming `policy`.
    pub fn named(name: &str) -> crate::Result<Self> {
        match name {
            "balanced" => Ok(Policy::default()),
            "nearest" => Ok(Policy::nearest()),
            other => Err(crate::Error::argument(
                "policy",
                format!("expected balanced or nearest, got '{other}'"),
            )),
        }
    }

    /// The plain "nearest outlet with capacity" rule: distance is the only score term
    /// (same hard rules and fallbacks as the default). The baseline in BENCHMARKS.md.
    pub fn nearest() -> Self {
        Policy {
            weights: Weights {
                distance: 1.0,
                satisfaction: 0.0,
                load: 0.0,
                cost: 0.0,
                priority: 0.0,
                probation: 0.0,
                preferred: 0.0,
                package: 0.0,
            },
            ..Policy::default()
        }
    }

    /// Largest accepted weight: sums of weighted terms stay far from overflow.
    pub const MAX_WEIGHT: f64 = 1e6;

    /// Checks the numbers: weights in `0..=MAX_WEIGHT`, detour in 1..=10, speed in
    /// (0, 2000] km/h, prior weight in 0..=1e6, reserve in [0, 1), horizon 1..=366
    /// days, wider-radius factors in 1..=100 and next-day steps in 1..=366.
    pub fn validate(&self) -> crate::Result<()> {
        let w = &self.weights;
        for (name, v) in [
            ("weights.distance", w.distance),
            ("weights.satisfaction", w.satisfaction),
            ("weights.load", w.load),
            ("weights.cost", w.cost),
            ("weights.priority", w.priority),
            ("weights.probation", w.probation),
            ("weights.preferred", w.preferred),
            ("weights.package", w.package),
        ] {
            if !(v.is_finite() && (0.0..=Self::MAX_WEIGHT).contains(&v)) {
                return Err(crate::Error::argument(
                    name,
                    format!("expected a weight in 0..={:e}, got {v}", Self::MAX_WEIGHT),
                ));
            }
        }
        if !(self.detour_factor.is_finite() && (1.0..=10.0).contains(&self.detour_factor)) {
            return Err(crate::Error::argument(
                "detour_factor",
                format!("expected a factor in 1..=10, got {}", self.detour_factor),
            ));
        }
        if !(self.speed_kmh.is_finite() && self.speed_kmh > 0.0 && self.speed_kmh <= 2000.0) {
            return Err(crate::Error::argument(
                "speed_kmh",
                format!("expected a speed in (0, 2000] km/h, got {}", self.speed_kmh),
            ));
        }
        if !(self.prior_weight.is_finite() && (0.0..=1e6).contains(&self.prior_weight)) {
            return Err(crate::Error::argument(
                "prior_weight",
                format!("expected 0..=1e6, got {}", self.prior_weight),
            ));
        }
        if !(0.0..1.0).contains(&self.emergency_reserve) {
            return Err(crate::Error::argument(
                "emergency_reserve",
                format!("expected a share in [0, 1), got {}", self.emergency_reserve),
            ));
        }
        if !(0.0..1.0).contains(&(self.emergency_reserve + self.package_reserve))
            || !(0.0..1.0).contains(&self.package_reserve)
        {
            return Err(crate::Error::argument(
                "package_reserve",
                format!(
                    "expected a share in [0, 1) that leaves room with emergency_reserve {}, got {}",
                    self.emergency_reserve, self.package_reserve
                ),
            ));
        }
        if !(self.reserve_min_weight.is_finite()
            && (0.0..=crate::model::MAX_PRIORITY_WEIGHT).contains(&self.reserve_min_weight))
        {
            return Err(crate::Error::argument(
                "reserve_min_weight",
                format!(
                    "expected a weight in 0..={}, got {}",
                    crate::model::MAX_PRIORITY_WEIGHT,
                    self.reserve_min_weight
                ),
            ));
        }
        if self.horizon_days == 0 || self.horizon_days > 366 {
            return Err(crate::Error::argument(
                "horizon_days",
                format!("expected 1..=366, got {}", self.horizon_days),
            ));
        }
        for f in &self.fallback {
            match f {
                Fallback::WiderRadius(x) if !(x.is_finite() && (1.0..=100.0).contains(x)) => {
                    return Err(crate::Error::argument(
                        "fallback",
                        format!("wider radius factor must be in 1..=100, got {x}"),
                    ));
                }
                Fallback::NextDay(n) if !(1..=366).contains(n) => {
                    return Err(crate::Error::argument(
                        "fallback",
                        format!("next_day must be in 1..=366 days, got {n}"),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_text_reads_back_and_defaults_its_argument() {
        for f in Policy::default().fallback {
            assert_eq!(f.to_string().parse::<Fallback>(), Ok(f.clone()));
        }
        assert_eq!(" next_day : 3 ".parse(), Ok(Fallback::NextDay(3)));
        assert_eq!("wider_radius".parse(), Ok(Fallback::WiderRadius(1.5)));
        assert_eq!("next_day".parse(), Ok(Fallback::NextDay(1)));
        assert_eq!(
            Fallback::from_parts("wider_radius", Some(2.0)),
            Ok(Fallback::WiderRadius(2.0))
        );
    }

    #[test]
    fn policies_by_name_are_the_two_presets_and_nothing_else() {
        assert_eq!(Policy::named("balanced").ok(), Some(Policy::default()));
        assert_eq!(Policy::named("nearest").ok(), Some(Policy::nearest()));
        let e = Policy::named("Nearest").unwrap_err().to_string();
        assert!(
            e.contains("policy") && e.contains("balanced or nearest"),
            "{e}"
        );
    }

    #[test]
    fn fallback_text_refuses_what_it_cannot_mean() {
        for bad in [
            "escalate:1",
            "next_day:1.5",
            "next_day:-1",
            "next_day:x",
            "nearest",
            "",
        ] {
            let e = bad.parse::<Fallback>().unwrap_err();
            assert!(e.contains("'next_day:<days>'"), "{bad}: {e}");
        }
    }
}
