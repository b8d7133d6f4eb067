use serde::{Deserialize, Serialize};

/// How a solve ended. Ordered from best to worst, so the worst over parts is their
/// maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SolveStatus {
    /// Proven optimal: the objective equals the bound (within the solver's tolerance).
    Optimal,
    /// A feasible solution with a bound; the gap says how far from optimal it is at most
    /// (a heuristic finished, or a MIP stopped at the gap it was asked for).
    Feasible,
    /// A time limit stopped a solver; the solution is the best found.
    TimeLimit,
    /// No feasible solution exists, or none was found before the limit.
    Infeasible,
}

impl SolveStatus {
    /// The snake_case name: `optimal`, `feasible`, `time_limit` or `infeasible`.
    pub fn as_str(self) -> &'static str {
        match self {
            SolveStatus::Optimal => "optimal",
            SolveStatus::Feasible => "feasible",
            SolveStatus::TimeLimit => "time_limit",
            SolveStatus::Infeasible => "infeasible",
        }
    }
}

/// Serde with the snake_case names ([`SolveStatus::as_str`]), the form batch
/// assignment's results have always used (`#[serde(with = ...)]`); the location
/// models' results use the variant names.
pub(crate) mod snake_case {
    use super::SolveStatus;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the snake_case name.
    pub(crate) fn serialize<S: Serializer>(s: &SolveStatus, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }

    /// Reads a snake_case name.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<SolveStatus, D::Error> {
        let name = String::deserialize(de)?;
        [
            SolveStatus::Optimal,
            SolveStatus::Feasible,
            SolveStatus::TimeLimit,
            SolveStatus::Infeasible,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| {
            serde::de::Error::unknown_variant(
                &name,
                &["optimal", "feasible", "time_limit", "infeasible"],
            )
        })
    }

    #[cfg(test)]
    mod tests {
        use super::super::SolveStatus;

        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Wrap(#[serde(with = "super")] SolveStatus);

        #[test]
        fn snake_case_names_round_trip_and_unknown_names_are_errors() {
            for s in [
                SolveStatus::Optimal,
                SolveStatus::Feasible,
                SolveStatus::TimeLimit,
                SolveStatus::Infeasible,
            ] {
                let text = serde_json::to_string(&Wrap(s)).unwrap_or_default();
                assert_eq!(text, format!("\"{}\"", s.as_str()));
                assert_eq!(serde_json::from_str::<Wrap>(&text).ok(), Some(Wrap(s)));
            }
            assert_eq!(
                serde_json::to_string(&SolveStatus::TimeLimit).unwrap_or_default(),
                "\"TimeLimit\""
            );
            assert!(serde_json::from_str::<Wrap>("\"TimeLimit\"").is_err());
        }
    }
}
