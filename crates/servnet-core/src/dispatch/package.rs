//! Service packages in dispatch: a ticket's claim (its package, service mode, carry-in
//! distance and priority weight) and the package reserve, the last units of every
//! outlet-day kept for tickets whose package weight reaches the policy's threshold.
//!
//! Without packages in the network every ticket has [`Claim::NONE`] and nothing here
//! changes a result.

use super::ledger::ClaimBasis;
use super::resolve::Resolved;
use super::score::PACKAGE_TERM;
use super::types::Breakdown;
use super::Dispatcher;
use crate::model::{CustomerTier, PackageKey, ServiceMode, SkillId, Ticket, Tier};

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
    /// The share of the network's top package weight this ticket lacks,
    /// `max(0, 1 - weight / top)`: 0 without packages and for the top weight.
    pub(super) lack: f64,
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
        lack: 0.0,
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
        match self.network.regions().get(region) {
            Some(reg) => self.claim_in(reg.tier, t.customer_tier, skill),
            None => Claim::NONE,
        }
    }

    /// What a booking's package claim was found from, to keep with it (`None`: the
    /// ticket's region is unknown).
    pub(super) fn claim_basis(&self, r: &Resolved) -> Option<ClaimBasis> {
        self.network.regions().get(r.region).map(|reg| ClaimBasis {
            region_tier: reg.tier,
            customer_tier: r.ticket.customer_tier,
            emergency: r.emergency,
        })
    }

    /// The claim of a ticket of skill `skill` from a region of tier `region_tier` and a
    /// customer of tier `customer_tier`.
    fn claim_in(
        &self,
        region_tier: Tier,
        customer_tier: CustomerTier,
        skill: Option<SkillId>,
    ) -> Claim {
        if self.network.packages().is_empty() {
            return Claim::NONE;
        }
        let Some(skill) = skill else {
            return Claim::NONE;
        };
        let Some(kind) = self.network.skills().get(skill.index()).map(|s| s.kind) else {
            return Claim::NONE;
        };
        let reserve = self.package_reserve_on();
        let top = self
            .network
            .packages()
            .iter()
            .fold(0.0f64, |m, p| m.max(p.priority_weight));
        let lack = |weight: f64| {
            if top > 0.0 {
                (1.0 - weight / top).max(0.0)
            } else {
                0.0
            }
        };
        match self.network.package(region_tier, customer_tier, kind) {
            None => Claim {
                privileged: !reserve,
                lack: lack(1.0),
                ..Claim::NONE
            },
            Some(p) => Claim {
                key: Some(p.key),
                mode: p.mode(),
                carry_km: p.carry_in_km,
                weight: p.priority_weight,
                response_hours: p.response_hours,
                privileged: !reserve || p.priority_weight >= self.policy.reserve_min_weight,
                lack: lack(p.priority_weight),
            },
        }
    }

    /// The package term of the ticket's score at load ratio `load_ratio` (after it):
    /// `weights.package x load_ratio^2 x lack` (0 for emergencies, which the emergency
    /// reserve serves). It is >= 0, so the search's bounds (which leave it out) hold.
    pub(super) fn package_term(&self, r: &Resolved, load_ratio: f64) -> f64 {
        self.package_term_of(&r.claim, r.emergency, load_ratio)
    }

    fn package_term_of(&self, claim: &Claim, emergency: bool, load_ratio: f64) -> f64 {
        if emergency || claim.lack == 0.0 {
            0.0
        } else {
            self.policy.weights.package * load_ratio * load_ratio * claim.lack
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
        self.held_back_of(cap, &r.claim, r.emergency)
    }

    fn held_back_of(&self, cap: u32, claim: &Claim, emergency: bool) -> u32 {
        if claim.privileged || emergency {
            0
        } else {
            (f64::from(cap) * self.policy.package_reserve).floor() as u32
        }
    }

    /// The least units of a capacity `cap` any ticket may fill: what one that is neither
    /// an emergency nor privileged may ([`Dispatcher::limit_for`]). A network without
    /// packages holds nothing back for them (every ticket is privileged there).
    pub(super) fn least_limit(&self, cap: u32) -> u32 {
        let limit = self.limit(cap, false);
        if self.package_reserve_on() {
            limit.saturating_sub((f64::from(cap) * self.policy.package_reserve).floor() as u32)
        } else {
            limit
        }
    }

    /// Whether any reserve holds units back from some ticket (else every limit is the
    /// capacity). Without packages the package reserve holds nothing back, so a peak
    /// day's bookings do not mark the offers' reserves, which nothing would read.
    pub(super) fn reserves_on(&self) -> bool {
        self.package_reserve_on() || self.policy.emergency_reserve > 0.0
    }

    /// Whether the ticket's limit of every capacity is the least one.
    pub(super) fn has_least_limit(&self, r: &Resolved) -> bool {
        (!r.emergency || self.policy.emergency_reserve == 0.0)
            && ((!r.claim.privileged && !r.emergency) || !self.package_reserve_on())
    }

    /// The units of a capacity `cap` the ticket may fill: the emergency reserve (unless
    /// an emergency) and the package reserve (unless it may use it) taken off.
    pub(super) fn limit_for(&self, cap: u32, r: &Resolved) -> u32 {
        self.limit(cap, r.emergency)
            .saturating_sub(self.held_back(cap, r))
    }

    /// Writes the ticket's package term (and the score with it), package, mode, weight
    /// and the reserve held back at offer `k` into a breakdown.
    pub(super) fn stamp(&self, b: &mut Breakdown, r: &Resolved, k: usize) {
        self.stamp_with(b, &r.claim, r.emergency, k);
    }

    /// [`Self::stamp`] for a booking read back, from the basis kept with it.
    pub(super) fn stamp_booked(&self, b: &mut Breakdown, basis: &ClaimBasis, k: usize) {
        let skill = self.offers.get(k).map(|o| o.skill);
        let claim = self.claim_in(basis.region_tier, basis.customer_tier, skill);
        self.stamp_with(b, &claim, basis.emergency, k);
    }

    fn stamp_with(&self, b: &mut Breakdown, claim: &Claim, emergency: bool, k: usize) {
        b.terms[PACKAGE_TERM] = self.package_term_of(claim, emergency, b.load_ratio);
        b.score = b.terms.iter().sum();
        b.package = claim.key;
        b.mode = claim.mode;
        b.package_weight = claim.weight;
        b.reserve_held = self
            .offers
            .get(k)
            .map_or(0, |o| self.held_back_of(o.capacity, claim, emergency));
    }

    /// What `explain` adds about the ticket's package at offer `k` (empty without one);
    /// `b`: the ticket's breakdown there, if eligible.
    pub(super) fn package_note(&self, r: &Resolved, k: usize, b: Option<&Breakdown>) -> String {
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
        if let Some(b) = b.filter(|b| b.terms[PACKAGE_TERM] > 0.0) {
            s.push_str(&format!(
                "; package term +{:.2}: load {:.2} squared x {:.2} of the top package weight lacked x weight {}, keeping outlet-days close to full for heavier packages",
                b.terms[PACKAGE_TERM], b.load_ratio, r.claim.lack, self.policy.weights.package
            ));
        } else if r.claim.lack == 0.0 && self.policy.weights.package > 0.0 && !r.emergency {
            s.push_str("; top package weight: no package term");
        }
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
