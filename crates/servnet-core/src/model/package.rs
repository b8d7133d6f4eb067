//! Service packages: what a customer is promised, by the region's tier, the customer's
//! tier and the service kind (docs/formats.md, `service_packages.csv`).
//!
//! A ticket's package is the one keyed by (its region's [`Tier`], its [`CustomerTier`],
//! its skill's [`ServiceKind`]); a row with kind `*` covers every kind that has no row of
//! its own. A network without packages (or a ticket without one) is dispatched exactly as
//! before packages existed.

use super::network::Tier;
use super::skill::ServiceKind;
use super::ticket::CustomerTier;
use super::{Issues, Network, Ticket};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How the service reaches the product.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMode {
    /// A technician travels to the customer (travel counts in score and SLA).
    #[default]
    OnSite,
    /// The customer brings the product to the outlet: no technician travel; the outlet
    /// must be within the package's `carry_in_km` of the customer.
    CarryIn,
}

impl ServiceMode {
    /// The name used in files: `on_site` or `carry_in`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceMode::OnSite => "on_site",
            ServiceMode::CarryIn => "carry_in",
        }
    }
}

impl FromStr for ServiceMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "on_site" => Ok(ServiceMode::OnSite),
            "carry_in" => Ok(ServiceMode::CarryIn),
            _ => Err(format!("expected on_site or carry_in, got '{s}'")),
        }
    }
}

/// The key of a package: region tier, customer tier, service kind (`None`: every kind
/// without a row of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageKey {
    /// Tier of the customer's region.
    pub region_tier: Tier,
    /// The customer's tier.
    pub customer_tier: CustomerTier,
    /// Service kind; `None` is the `*` row.
    pub kind: Option<ServiceKind>,
}

impl std::fmt::Display for PackageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tier = match self.customer_tier {
            CustomerTier::Standard => "standard",
            CustomerTier::Vip => "vip",
        };
        let kind = self.kind.map_or("*", ServiceKind::as_str);
        write!(f, "{}/{tier}/{kind}", self.region_tier.as_str())
    }
}

/// Largest accepted priority weight.
pub const MAX_PRIORITY_WEIGHT: f64 = 1000.0;

/// One service package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePackage {
    /// What the package applies to.
    pub key: PackageKey,
    /// On-site service allowed (it is the mode used when allowed).
    pub on_site: bool,
    /// Carry-in allowed (the mode used when on-site is not allowed).
    pub carry_in: bool,
    /// The farthest road km a carry-in customer is asked to travel to an outlet.
    pub carry_in_km: f64,
    /// Response commitment in hours: a ticket's deadline is the earliest of its
    /// `due_by`, its region's `max_response_hours` and this.
    pub response_hours: f64,
    /// Share of tickets that get a follow-up visit (0..=1): extra capacity the plan sizes.
    pub follow_up_share: f64,
    /// Priority weight (> 0; 1 = ordinary): scales a ticket's claim on contested
    /// capacity (dispatch reserve and load term, batch unassigned penalty).
    pub priority_weight: f64,
}

impl ServicePackage {
    /// The mode a ticket of this package is served in: on-site when allowed, else
    /// carry-in.
    pub fn mode(&self) -> ServiceMode {
        if self.on_site {
            ServiceMode::OnSite
        } else {
            ServiceMode::CarryIn
        }
    }

    /// Field problems of one package (empty when valid).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.on_site && !self.carry_in {
            out.push(("modes", "expected at least one of on_site, carry_in".into()));
        }
        if self.carry_in && !(self.carry_in_km > 0.0 && self.carry_in_km <= super::MAX_KM) {
            out.push((
                "carry_in_km",
                format!(
                    "expected km in (0, {}] for a package allowing carry_in, got {}",
                    super::MAX_KM,
                    self.carry_in_km
                ),
            ));
        }
        if !(self.response_hours > 0.0 && self.response_hours <= super::MAX_HOURS) {
            out.push((
                "response_hours",
                format!(
                    "expected hours in (0, {}], got {}",
                    super::MAX_HOURS,
                    self.response_hours
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.follow_up_share) {
            out.push((
                "follow_up_share",
                format!("expected a share in [0, 1], got {}", self.follow_up_share),
            ));
        }
        if !(self.priority_weight > 0.0 && self.priority_weight <= MAX_PRIORITY_WEIGHT) {
            out.push((
                "priority_weight",
                format!(
                    "expected a weight in (0, {MAX_PRIORITY_WEIGHT}], got {}",
                    self.priority_weight
                ),
            ));
        }
        out
    }
}

/// Slot of a (region tier, customer tier, kind) in the package table; kind slot 5 is `*`.
fn slot(region_tier: Tier, customer_tier: CustomerTier, kind: Option<ServiceKind>) -> usize {
    let t = match region_tier {
        Tier::A => 0,
        Tier::B => 1,
        Tier::C => 2,
    };
    let c = match customer_tier {
        CustomerTier::Standard => 0,
        CustomerTier::Vip => 1,
    };
    let k = kind.map_or(5, |k| {
        ServiceKind::ALL.iter().position(|&x| x == k).unwrap_or(5)
    });
    (t * 2 + c) * 6 + k
}

/// Size of the package table (3 region tiers x 2 customer tiers x (5 kinds + `*`)).
pub(super) const TABLE: usize = 36;

impl Network {
    /// The same network with service packages (replacing any it had). Every package is
    /// validated; two packages with the same key are an error naming the key.
    pub fn with_packages(mut self, packages: Vec<ServicePackage>) -> Result<Self> {
        let mut issues = Issues::default();
        let mut table = vec![u16::MAX; TABLE];
        if packages.len() > TABLE {
            issues.push(
                "service_packages",
                "",
                "",
                format!(
                    "expected at most {TABLE} packages (one per key), got {}",
                    packages.len()
                ),
            );
            return issues.into_result().map(|()| self);
        }
        for (i, p) in packages.iter().enumerate() {
            let name = p.key.to_string();
            for (field, m) in p.problems() {
                issues.push("service_packages", &name, field, m);
            }
            let s = slot(p.key.region_tier, p.key.customer_tier, p.key.kind);
            if table[s] != u16::MAX {
                issues.push(
                    "service_packages",
                    &name,
                    "service_kind",
                    format!("duplicate package {name}"),
                );
            }
            table[s] = i as u16;
        }
        issues.into_result()?;
        self.packages = packages;
        self.package_table = table;
        Ok(self)
    }

    /// The service packages (empty: none; dispatch as without packages).
    pub fn packages(&self) -> &[ServicePackage] {
        &self.packages
    }

    /// The package for a region tier, customer tier and service kind: its own row, else
    /// the kind `*` row, else none.
    pub fn package(
        &self,
        region_tier: Tier,
        customer_tier: CustomerTier,
        kind: ServiceKind,
    ) -> Option<&ServicePackage> {
        if self.packages.is_empty() {
            return None;
        }
        [Some(kind), None].into_iter().find_map(|k| {
            let i = *self
                .package_table
                .get(slot(region_tier, customer_tier, k))?;
            self.packages.get(i as usize)
        })
    }

    /// The package of a ticket (by its region's tier, its customer tier and its skill's
    /// kind); `None` when the network has no packages, the region or skill is unknown,
    /// or no package matches.
    pub fn ticket_package(&self, t: &Ticket) -> Option<&ServicePackage> {
        if self.packages.is_empty() {
            return None;
        }
        let region = self.regions().get(self.region_index(&t.region)?)?;
        let kind = t.skill.split_once(':')?.0.parse::<ServiceKind>().ok()?;
        self.package(region.tier, t.customer_tier, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(kind: Option<ServiceKind>, weight: f64) -> ServicePackage {
        ServicePackage {
            key: PackageKey {
                region_tier: Tier::C,
                customer_tier: CustomerTier::Vip,
                kind,
            },
            on_site: false,
            carry_in: true,
            carry_in_km: 30.0,
            response_hours: 72.0,
            follow_up_share: 0.1,
            priority_weight: weight,
        }
    }

    #[test]
    fn a_kinds_own_row_wins_over_the_star_row() {
        let net = Network::new(vec![], vec![])
            .and_then(|n| {
                n.with_packages(vec![pkg(None, 2.0), pkg(Some(ServiceKind::Repair), 3.0)])
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let w = |k| {
            net.package(Tier::C, CustomerTier::Vip, k)
                .map(|p| p.priority_weight)
        };
        assert_eq!(w(ServiceKind::Repair), Some(3.0));
        assert_eq!(w(ServiceKind::Install), Some(2.0));
        assert!(net
            .package(Tier::A, CustomerTier::Vip, ServiceKind::Repair)
            .is_none());
        assert_eq!(
            net.package(Tier::C, CustomerTier::Vip, ServiceKind::Repair)
                .map(|p| p.mode()),
            Some(ServiceMode::CarryIn)
        );
    }

    #[test]
    fn bad_packages_are_named_with_their_field() {
        let mut bad = pkg(None, 0.0);
        bad.carry_in_km = f64::NAN;
        let e = Network::new(vec![], vec![])
            .and_then(|n| n.with_packages(vec![bad, pkg(None, 1.0)]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for part in [
            "C/vip/*",
            "priority_weight",
            "carry_in_km",
            "duplicate package",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
    }
}
