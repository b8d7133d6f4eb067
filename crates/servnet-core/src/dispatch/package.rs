//! Service packages in dispatch: a ticket's claim (its package, service mode, carry-in
//! distance and priority weight) and the package reserve, the last units of every
//! outlet-day kept for tickets whose package weight reaches the policy's threshold.
//!
//! Without packages in the network every ticket has [`Claim::NONE`] and nothing here
//! changes a result.

use super::resolve::Resolved;
use super::types::Breakdown;
use super::Dispatcher;
use crate::model::{PackageKey, ServiceMode, SkillId, Ticket};

/// What a ticket's service package asks of dispatch.
#[derive(Clone, Copy, Debug)]
pub(super) struct Claim {
    /// The package applied (`None`: no package).
    pub(super) key: Option<PackageKey>,
    /// On-site or carry-in.
    pub(super) mode: ServiceMode,
    /// Carry-in: the farthest road km the customer travels.
    pub(super) carry_km: f64,
    /// The package's priority weight (1 without a package).
    pub(super) weight: f64,
    /// Package response hours (infinite without a package).
    pub(super) response_hours: f64,
    /// May use the package reserve (weight >= the policy's `reserve_min_weight`), or
    /// nothing is reserved (no packages, or `package_reserve` 0).
    pub(super) privileged: bool,
}

impl Claim {
    /// No package: on-site, weight 1, no reserve applies.
    pub(super) const NONE: Claim = Claim {
        key: None,
        mode: ServiceMode::OnSite,
        carry_km: f64::INFINITY,
        weight: 1.0,
        response_hours: f64::INFINITY,
        privileged: true,
    };

    /// Whether the customer brings the product (no technician travel).
    pub(super) fn carry_in(&self) -> bool {
        self.mode == ServiceMode::CarryIn
    }
}

impl Dispatcher {
    /// Whether the package reserve holds anything back (packages and a share > 0).
    pub(super) fn package_reserve_on(&self) -> bool {
        self.policy.package_reserve > 0.0 && !self.network.packages().is_empty()
    }

    /// The claim of a ticket of skill `skill` in region `region` (indices).
    pub(super) fn claim(&self, t: &Ticket, skill: Option<SkillId>, region: usize) -> Claim {
        if self.network.packages().is_empty() {
            return Claim::NONE;
        }
        let (Some(skill), Some(reg)) = (skill, self.network.regions().get(region)) else {
            return Claim::NONE;
        };
        let Some(kind) = self.network.skills().get(skill.index()).map(|s| s.kind) else {
            return Claim::NONE;
        };
        let reserve = self.package_reserve_on();
        match self.network.package(reg.tier, t.customer_tier, kind) {
            None => Claim {
                privileged: !reserve,
                ..Claim::NONE
            },
            Some(p) => Claim {
                key: Some(p.key),
                mode: p.mode(),
                carry_km: p.carry_in_km,
                weight: p.priority_weight,
                response_hours: p.response_hours,
                privileged: !reserve || p.priority_weight >= self.policy.reserve_min_weight,
            },
        }
    }

    /// The distance weight of the ticket's score: 0 for carry-in (no technician travel),
    /// so the search bounds leave distance out too.
    pub(super) fn distance_weight(&self, r: &Resolved) -> f64 {
        if r.claim.carry_in() {
            0.0
        } else {
            self.policy.weights.distance
        }
    }

    /// Units of a capacity `cap` held back by the package reserve from a ticket that may
    /// not use it (0 for one that may).
    pub(super) fn held_back(&self, cap: u32, r: &Resolved) -> u32 {
        if r.claim.privileged || r.emergency {
            0
        } else {
            (f64::from(cap) * self.policy.package_reserve).floor() as u32
        }
    }

    /// The units of a capacity `cap` the ticket may fill: the emergency reserve (unless
    /// an emergency) and the package reserve (unless it may use it) taken off.
    pub(super) fn limit_for(&self, cap: u32, r: &Resolved) -> u32 {
        self.limit(cap, r.emergency)
            .saturating_sub(self.held_back(cap, r))
    }

    /// Writes the ticket's package, mode, weight and the reserve held back at offer `k`
    /// into a breakdown.
    pub(super) fn stamp(&self, b: &mut Breakdown, r: &Resolved, k: usize) {
        b.package = r.claim.key;
        b.mode = r.claim.mode;
        b.package_weight = r.claim.weight;
        b.reserve_held = self
            .offers
            .get(k)
            .map_or(0, |o| self.held_back(o.capacity, r));
    }

    /// What `explain` adds about the ticket's package at offer `k` (empty without one).
    pub(super) fn package_note(&self, r: &Resolved, k: usize) -> String {
        let Some(key) = r.claim.key else {
            return String::new();
        };
        let mut s = format!(
            "; package {key} (weight {}, {}",
            r.claim.weight,
            r.claim.mode.as_str()
        );
        if r.claim.carry_in() {
            s.push_str(&format!(
                ": customer brings the product within {:.1} km, no technician travel",
                r.claim.carry_km
            ));
        }
        s.push(')');
        if let Some(o) = self.offers.get(k) {
            let held = self.held_back(o.capacity, r);
            if held > 0 {
                s.push_str(&format!(
                    "; the package reserve keeps the last {held} of {} units a day for weight >= {}",
                    o.capacity, self.policy.reserve_min_weight
                ));
            } else if self.package_reserve_on() && !r.emergency {
                s.push_str("; may use the package reserve");
            }
        }
        s
    }

    /// The service mode a ticket gets (from its package; on-site without one). Bookings
    /// read back from the ledger do not store it: ask with the ticket.
    pub fn service_mode(&self, ticket: &Ticket) -> ServiceMode {
        let (skill, region) = self.ids(ticket);
        region.map_or(ServiceMode::OnSite, |reg| {
            self.claim(ticket, skill, reg).mode
        })
    }
}
