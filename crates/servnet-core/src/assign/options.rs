//! What the caller of [`super::assign`] sets: the method, time limit, penalties,
//! lateness, promised tickets and their move cost, region quotas and gap tolerance.

use crate::model::{Network, Priority};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Components with at most this many arcs get a MIP pass under [`Method::Auto`] when
/// the heuristic leaves a gap.
pub const AUTO_MIP_ARCS: usize = 20_000;

/// Default [`AssignOptions::gap_tolerance`]: 0.05%. On the sample day (20,000
/// tickets) that is about 600 score points, less than the penalty of one normal ticket
/// left out and far below the error of the inputs (road km from a detour factor,
/// satisfaction from averages); proving the last 0.03% cost 10x the time.
pub const DEFAULT_GAP_TOLERANCE: f64 = 5e-4;

/// Which algorithm solves each component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Flow for unit tickets without side rows; otherwise the heuristic, then the MIP on
    /// small components while the plan's gap exceeds the tolerance.
    Auto,
    /// Exact min-cost flow (unit tickets); components with multi-unit tickets or a
    /// binding quota / reserve row use the heuristic (the flow relaxation plus repair).
    Flow,
    /// Binary program through HiGHS with the time limit (heuristic if no solution).
    Mip,
    /// Flow relaxation + repair + shifts, with the LP bound.
    Heuristic,
}

impl Method {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Flow => "flow",
            Method::Mip => "mip",
            Method::Heuristic => "heuristic",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Method::Auto),
            "flow" => Ok(Method::Flow),
            "mip" => Ok(Method::Mip),
            "heuristic" => Ok(Method::Heuristic),
            _ => Err(Error::argument(
                "method",
                format!("expected auto, flow, mip or heuristic, got '{s}'"),
            )),
        }
    }
}

/// Options of [`assign`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssignOptions {
    /// Algorithm choice.
    pub method: Method,
    /// Wall-clock limit in seconds for MIP solves (0: no MIP is run).
    pub time_limit: f64,
    /// Penalty (score points) for leaving a ticket unassigned, by priority: emergency,
    /// high, normal, low.
    pub unassigned_penalty: [f64; 4],
    /// Days past the SLA a ticket may be planned on (0: SLA days only).
    pub late_days: u32,
    /// Score points per day past the SLA.
    pub lateness_per_day: f64,
    /// Tickets already promised: ticket id -> outlet id.
    pub current: BTreeMap<String, String>,
    /// Score points charged for moving a promised ticket to another outlet.
    pub move_cost: f64,
    /// Region quotas: caps on the units a set of outlets may take from a set of regions
    /// per day. Quotas that can bind couple the components they touch.
    pub quotas: Vec<RegionQuota>,
    /// Relative gap at which a component's plan is good enough: [`Method::Auto`] and
    /// [`Method::Mip`] skip the MIP when the heuristic's gap is within it, and stop
    /// the MIP once its gap is (0: prove optimality wherever the time limit allows).
    pub gap_tolerance: f64,
}

/// A cap on the ticket units that some outlets may take from some regions on one day.
///
/// Regions carry a service commitment (tier, response hours, travel limit); a quota
/// keeps an outlet's capacity for the regions it is committed to, e.g. a tier-A city
/// outlet takes at most 20 units a day from the surrounding tier-C regions, or a
/// partner contracted for a region is sent at most so many units a day from it. Like
/// every capacity in the model, it counts ticket units per day, and it applies to each
/// day of the plan separately; the outlets listed share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionQuota {
    /// Name used in unassigned reasons (`quota:<id>`), unique among the quotas.
    pub id: String,
    /// Region codes whose tickets count toward the quota (at least one).
    pub regions: Vec<String>,
    /// Outlet ids sharing the quota; empty means every outlet.
    #[serde(default)]
    pub outlets: Vec<String>,
    /// Ticket units per day the outlets together may take from the regions.
    pub max_units: u32,
}

impl Default for AssignOptions {
    fn default() -> Self {
        AssignOptions {
            method: Method::Auto,
            time_limit: 10.0,
            unassigned_penalty: [10_000.0, 3_000.0, 1_000.0, 500.0],
            late_days: 0,
            lateness_per_day: 50.0,
            current: BTreeMap::new(),
            move_cost: 20.0,
            quotas: Vec::new(),
            gap_tolerance: DEFAULT_GAP_TOLERANCE,
        }
    }
}

impl AssignOptions {
    pub(super) fn validate(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if self.time_limit.is_nan() || self.time_limit < 0.0 {
            return Err(Error::argument("time_limit", "expected >= 0 seconds"));
        }
        if !self.unassigned_penalty.iter().all(|&v| ok(v) && v < 1e9) {
            return Err(Error::argument(
                "unassigned_penalty",
                "expected finite penalties in [0, 1e9)",
            ));
        }
        if !(ok(self.lateness_per_day) && self.lateness_per_day < 1e9) {
            return Err(Error::argument("lateness_per_day", "expected in [0, 1e9)"));
        }
        if !(ok(self.move_cost) && self.move_cost < 1e9) {
            return Err(Error::argument("move_cost", "expected in [0, 1e9)"));
        }
        if !(ok(self.gap_tolerance) && self.gap_tolerance < 1.0) {
            return Err(Error::argument(
                "gap_tolerance",
                format!("expected a share in [0, 1), got {}", self.gap_tolerance),
            ));
        }
        Ok(())
    }

    /// Region and outlet indices of each quota, checked against the network.
    pub(super) fn resolve_quotas(&self, n: &Network) -> Result<Vec<QuotaScope>> {
        let mut ids = std::collections::BTreeSet::new();
        self.quotas
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let field = |f: &str| format!("quotas[{i}].{f}");
                if q.id.is_empty() || !ids.insert(q.id.as_str()) {
                    return Err(Error::argument(
                        &field("id"),
                        format!("quota id '{}' is empty or appears twice", q.id),
                    ));
                }
                if q.regions.is_empty() {
                    return Err(Error::argument(
                        &field("regions"),
                        format!("quota '{}' lists no region", q.id),
                    ));
                }
                let mut regions = vec![false; n.regions().len()];
                for code in &q.regions {
                    let r = n.region_index(code).ok_or_else(|| {
                        Error::argument(
                            &field("regions"),
                            format!("quota '{}': unknown region '{code}'", q.id),
                        )
                    })?;
                    regions[r] = true;
                }
                let outlets = if q.outlets.is_empty() {
                    None
                } else {
                    let mut v = vec![false; n.outlets().len()];
                    for id in &q.outlets {
                        let o = n.outlet_index(id).ok_or_else(|| {
                            Error::argument(
                                &field("outlets"),
                                format!("quota '{}': unknown outlet '{id}'", q.id),
                            )
                        })?;
                        v[o] = true;
                    }
                    Some(v)
                };
                Ok((regions, outlets))
            })
            .collect()
    }

    /// [`AssignOptions::unassigned_penalty`] from what a user writes: four numbers
    /// (emergency, high, normal, low), one number for every priority, or an object of
    /// numbers by priority name, the priorities it leaves out at their defaults. Errors
    /// name `unassigned_penalty` (and the priority).
    pub fn unassigned_penalty_from(v: &serde_json::Value) -> Result<[f64; 4]> {
        use serde_json::Value;
        const FIELD: &str = "unassigned_penalty";
        let number = |field: &str, x: &Value| {
            x.as_f64()
                .ok_or_else(|| Error::argument(field, format!("expected a number, got {x}")))
        };
        match v {
            Value::Number(_) => Ok([number(FIELD, v)?; 4]),
            Value::Array(xs) if xs.len() == 4 => {
                let mut out = [0.0; 4];
                for (o, x) in out.iter_mut().zip(xs) {
                    *o = number(FIELD, x)?;
                }
                Ok(out)
            }
            Value::Object(m) => {
                let mut out = AssignOptions::default().unassigned_penalty;
                for (name, x) in m {
                    let field = format!("{FIELD}.{name}");
                    let p: Priority = name
                        .parse()
                        .map_err(|e: String| Error::argument(&field, e))?;
                    let i = Priority::ALL.iter().position(|&q| q == p).unwrap_or(2);
                    out[i] = number(&field, x)?;
                }
                Ok(out)
            }
            _ => Err(Error::argument(
                FIELD,
                format!(
                    "expected 4 numbers (emergency, high, normal, low), one number or \
                     numbers by priority, got {v}"
                ),
            )),
        }
    }

    pub(super) fn penalty(&self, p: Priority) -> f64 {
        let i = Priority::ALL.iter().position(|&q| q == p).unwrap_or(2);
        self.unassigned_penalty[i]
    }
}

/// A quota's regions (by index) and outlets (by index; `None`: all).
pub(super) type QuotaScope = (Vec<bool>, Option<Vec<bool>>);

#[cfg(test)]
mod tests {
    use super::AssignOptions;
    use serde_json::json;

    #[test]
    fn penalties_by_priority_keep_the_defaults_of_those_left_out() {
        let d = AssignOptions::default().unassigned_penalty;
        let by_name = AssignOptions::unassigned_penalty_from(&json!({"high": 7.0})).unwrap();
        assert_eq!(by_name, [d[0], 7.0, d[2], d[3]]);
        assert_eq!(
            AssignOptions::unassigned_penalty_from(&json!(5)).unwrap(),
            [5.0; 4]
        );
        let four = json!([1, 2, 3, 4]);
        assert_eq!(
            AssignOptions::unassigned_penalty_from(&four).unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn penalty_errors_name_the_option_and_the_priority() {
        for (bad, field) in [
            (json!({"urgent": 1.0}), "unassigned_penalty.urgent"),
            (json!({"low": "x"}), "unassigned_penalty.low"),
            (json!([1, 2]), "unassigned_penalty"),
            (json!("high"), "unassigned_penalty"),
        ] {
            let e = AssignOptions::unassigned_penalty_from(&bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{bad}: {e}");
        }
    }
}
