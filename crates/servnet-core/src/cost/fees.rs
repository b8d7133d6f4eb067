//! The fee schedule: what the network pays an outlet per ticket by service kind and
//! region tier, with per-outlet overrides, and the travel rate per road km.

use crate::model::{ServiceKind, Tier};
use std::collections::BTreeMap;

/// Travel paid per road km when a row gives no `per_km`: 2.0 (the round trip's fuel and
/// wear, as the plan's `travel_cost_per_km`).
pub const DEFAULT_PER_KM: f64 = 2.0;

/// Road km per straight-line km when a booking gives no road distance: 1.3 (as the
/// plan's `detour_factor`).
pub const DEFAULT_DETOUR: f64 = 1.3;

/// One row of the fee schedule: the fee for `kind` (in `tier`, or any tier when `None`),
/// at `outlet` (or every outlet when `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeeRule {
    /// The outlet it overrides the schedule for; `None`: every outlet.
    pub outlet: Option<String>,
    /// The service kind.
    pub kind: ServiceKind,
    /// The region tier; `None`: every tier.
    pub tier: Option<Tier>,
    /// Fee per ticket (its first unit).
    pub fee: f64,
    /// Fee for each unit after the first (e.g. a second air conditioner installed on
    /// the same visit); default 0.
    pub extra_unit_fee: f64,
    /// Travel paid per road km of a technician trip; `None`: the schedule's default.
    pub per_km: Option<f64>,
}

/// The key a rule is found by: (outlet, kind, tier).
type Key = (Option<String>, ServiceKind, Option<Tier>);

/// A validated fee schedule. The most specific rule applies: outlet + kind + tier, then
/// outlet + kind, then kind + tier, then kind; with no rule the outlet's
/// `cost_per_ticket` for the skill (outlet_skills.csv) is the fee.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeSchedule {
    rules: BTreeMap<Key, FeeRule>,
    /// Travel per road km where no rule sets it.
    pub per_km: f64,
    /// Road km per straight-line km where a booking has no road distance.
    pub detour: f64,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        FeeSchedule {
            rules: BTreeMap::new(),
            per_km: DEFAULT_PER_KM,
            detour: DEFAULT_DETOUR,
        }
    }
}

/// The fee terms that apply to one ticket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Terms {
    /// Fee of the first unit.
    pub fee: f64,
    /// Fee of each further unit.
    pub extra_unit_fee: f64,
    /// Travel per road km.
    pub per_km: f64,
}

impl FeeSchedule {
    /// A schedule from rules; `Err` names the first duplicate key (outlet, kind, tier).
    pub fn new(rules: Vec<FeeRule>) -> std::result::Result<Self, String> {
        let mut s = FeeSchedule::default();
        for r in rules {
            let key = (r.outlet.clone(), r.kind, r.tier);
            if s.rules.insert(key, r.clone()).is_some() {
                return Err(format!(
                    "duplicate fee rule for outlet '{}', kind {}, tier {}",
                    r.outlet.as_deref().unwrap_or("*"),
                    r.kind.as_str(),
                    r.tier.map_or("*", Tier::as_str)
                ));
            }
        }
        Ok(s)
    }

    /// The rules, in key order.
    pub fn rules(&self) -> impl Iterator<Item = &FeeRule> {
        self.rules.values()
    }

    /// The terms for `kind` at `outlet` in `tier`; `default_fee` (the outlet's
    /// `cost_per_ticket`) when no rule matches.
    pub fn terms(
        &self,
        outlet: &str,
        kind: ServiceKind,
        tier: Option<Tier>,
        default_fee: f64,
    ) -> Terms {
        let o = Some(outlet.to_string());
        let mut keys: Vec<Key> = Vec::with_capacity(4);
        if tier.is_some() {
            keys.push((o.clone(), kind, tier));
        }
        keys.push((o, kind, None));
        if tier.is_some() {
            keys.push((None, kind, tier));
        }
        keys.push((None, kind, None));
        match keys.iter().find_map(|k| self.rules.get(k)) {
            Some(r) => Terms {
                fee: r.fee,
                extra_unit_fee: r.extra_unit_fee,
                per_km: r.per_km.unwrap_or(self.per_km),
            },
            None => Terms {
                fee: default_fee,
                extra_unit_fee: 0.0,
                per_km: self.per_km,
            },
        }
    }
}
