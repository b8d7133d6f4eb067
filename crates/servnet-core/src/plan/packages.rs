//! Demand and capacity by service package: the folder's tickets grouped by the package
//! each falls under, the capacity each package needs (units plus its follow-up visits),
//! and that capacity scaled to a forecast peak day by each package's share of units.
//!
//! Kept simple on purpose: the location models size outlets on total demand; this table
//! says how that capacity divides between packages and how much of it is carry-in.

use crate::model::{Network, ServiceMode, Ticket};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One package's demand and the capacity it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageDemand {
    /// The package (`A/vip/*`), or `none` for tickets without one.
    pub package: String,
    /// Tickets of the package.
    pub tickets: u64,
    /// Their capacity units.
    pub units: u64,
    /// Tickets served carry-in.
    pub carry_in: u64,
    /// The package's response commitment in hours (`None` without a package).
    pub response_hours: Option<f64>,
    /// Follow-up share of the package (0 without one).
    pub follow_up_share: f64,
    /// Units plus follow-up visits: `units x (1 + follow_up_share)`.
    pub capacity_units: f64,
    /// `capacity_units` scaled to the forecast peak day: `peak_day x` the package's share
    /// of the tickets' units `x (1 + follow_up_share)`.
    pub peak_day_capacity: f64,
}

/// Demand by package of `tickets` on `network`, in package order (`none` last), scaled
/// to a peak day of `peak_day` tickets. Empty when the network has no packages.
pub fn package_demand(network: &Network, tickets: &[Ticket], peak_day: f64) -> Vec<PackageDemand> {
    if network.packages().is_empty() {
        return Vec::new();
    }
    // Key: (0, package key) for packages, (1, ..) for none, so `none` sorts last.
    let mut by: BTreeMap<(u8, String), PackageDemand> = BTreeMap::new();
    let mut total_units = 0u64;
    for t in tickets {
        let p = network.ticket_package(t);
        let key = p.map_or((1, "none".to_string()), |p| (0, p.key.to_string()));
        let row = by.entry(key.clone()).or_insert_with(|| PackageDemand {
            package: key.1.clone(),
            tickets: 0,
            units: 0,
            carry_in: 0,
            response_hours: p.map(|p| p.response_hours),
            follow_up_share: p.map_or(0.0, |p| p.follow_up_share),
            capacity_units: 0.0,
            peak_day_capacity: 0.0,
        });
        row.tickets += 1;
        row.units += u64::from(t.units);
        total_units += u64::from(t.units);
        if p.is_some_and(|p| p.mode() == ServiceMode::CarryIn) {
            row.carry_in += 1;
        }
    }
    by.into_values()
        .map(|mut r| {
            r.capacity_units = r.units as f64 * (1.0 + r.follow_up_share);
            if total_units > 0 {
                r.peak_day_capacity =
                    peak_day * r.units as f64 / total_units as f64 * (1.0 + r.follow_up_share);
            }
            r
        })
        .collect()
}

/// The table as report text, one line per package.
pub fn package_demand_text(rows: &[PackageDemand]) -> String {
    let mut s = String::new();
    for r in rows {
        s += &format!(
            "  {:<22} {:>6} tickets {:>6} units {:>6} carry-in  response {:>5}  follow-up {:>4.0}%  capacity {:>8.1} units (peak day {:>8.1})\n",
            r.package,
            r.tickets,
            r.units,
            r.carry_in,
            r.response_hours.map_or("-".to_string(), |h| format!("{h}h")),
            100.0 * r.follow_up_share,
            r.capacity_units,
            r.peak_day_capacity
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    #[test]
    fn capacity_adds_follow_ups_and_scales_to_the_peak_day() {
        let region = Region {
            code: "R".into(),
            name: "R".into(),
            tier: Tier::C,
            lon: 121.0,
            lat: 31.0,
            population: None,
            max_response_hours: 72.0,
            max_travel_km: 100.0,
            polygon: None,
        };
        let pkg = |c, carry: bool, f: f64| ServicePackage {
            key: PackageKey {
                region_tier: Tier::C,
                customer_tier: c,
                kind: None,
            },
            on_site: !carry,
            carry_in: carry,
            carry_in_km: 40.0,
            response_hours: 72.0,
            follow_up_share: f,
            priority_weight: 1.0,
        };
        let net = Network::new(vec![], vec![region])
            .and_then(|n| {
                n.with_packages(vec![
                    pkg(CustomerTier::Standard, true, 0.5),
                    pkg(CustomerTier::Vip, false, 0.0),
                ])
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let t0 = crate::io::parse_time("2026-11-23T08:00").unwrap_or_default();
        let mut tickets: Vec<Ticket> = (0..3)
            .map(|i| Ticket::new(&format!("t{i}"), 121.0, 31.0, "R", "repair:tv", t0))
            .collect();
        tickets[2].customer_tier = CustomerTier::Vip;
        let rows = package_demand(&net, &tickets, 30.0);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].package.as_str(), rows[0].tickets, rows[0].carry_in),
            ("C/standard/*", 2, 2)
        );
        assert_eq!(rows[0].capacity_units, 3.0);
        assert_eq!(rows[0].peak_day_capacity, 30.0);
        assert_eq!((rows[1].tickets, rows[1].carry_in), (1, 0));
        assert_eq!(rows[1].peak_day_capacity, 10.0);
    }
}
