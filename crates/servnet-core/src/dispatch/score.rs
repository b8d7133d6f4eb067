//! The weighted score (distance, satisfaction, load, cost, priority, probation,
//! preferred, package), its breakdown, and the order of hits (score, then outlet).

use super::resolve::Resolved;
use super::types::Breakdown;
use super::Dispatcher;
use crate::model::OutletStatus;
use std::sync::atomic::Ordering;

/// Lowers a score key by a relative hair so that rounding in the score's sum can never
/// make the bound exceed an exactly tied score.
pub(super) fn safe_key(key: f64) -> f64 {
    key - 1e-9 * (1.0 + key.abs())
}

#[derive(Clone, Copy)]
pub(super) struct Hit {
    pub(super) offer: u32,
    pub(super) day: u32,
    pub(super) road: f64,
    pub(super) load_ratio: f64,
    pub(super) score: f64,
}

/// The index in [`Breakdown::terms`] of the load term (`weights.load` x load ratio).
pub(super) const LOAD_TERM: usize = 2;
/// The index in [`Breakdown::terms`] of the package term (contested capacity).
pub(super) const PACKAGE_TERM: usize = 7;

impl Dispatcher {
    pub(super) fn satisfaction(&self, k: usize) -> f64 {
        let o = &self.offers[k];
        self.network.bayesian_satisfaction(
            o.rating_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            o.rating_count.load(Ordering::Relaxed),
            self.policy.prior_weight,
        )
    }

    /// The weighted satisfaction term of an offer's score.
    pub(super) fn sat_term(&self, k: usize) -> f64 {
        self.policy.weights.satisfaction * (5.0 - self.satisfaction(k)).max(0.0)
    }

    /// Lowers offer `k`'s search key to its fixed terms plus `sat_term` if that is lower.
    pub(super) fn lower_key(&self, k: usize, sat_term: f64) {
        let o = &self.offer_keys[k];
        if o.slot != u32::MAX {
            self.index[self.offers[k].skill.index()]
                .tree
                .lower_key(o.slot, safe_key(o.static_terms + sat_term));
        }
    }

    /// The score's breakdown for a hit (same terms, same sum as its score).
    pub(super) fn breakdown(&self, r: &Resolved, hit: &Hit) -> Breakdown {
        let k = hit.offer as usize;
        let preferred = r.preferred == Some(self.offers[k].outlet);
        let satisfaction = self.satisfaction(k);
        let mut b = self.breakdown_of(
            k,
            r.ticket.units,
            hit.road,
            hit.load_ratio,
            satisfaction,
            preferred,
        );
        self.stamp(&mut b, r, k);
        b
    }

    /// The breakdown of offer `k`'s score from its variable parts.
    pub(super) fn breakdown_of(
        &self,
        k: usize,
        units: u32,
        road: f64,
        load_ratio: f64,
        satisfaction: f64,
        preferred: bool,
    ) -> Breakdown {
        let terms = self.terms_with(k, road, load_ratio, satisfaction, preferred);
        let offer = &self.offers[k];
        let o = &self.outlets[offer.outlet as usize];
        Breakdown {
            distance_km: road,
            satisfaction,
            load_ratio,
            cost: offer.cost * f64::from(units),
            priority: o.priority,
            probation: o.status == OutletStatus::Probation,
            preferred,
            terms,
            score: terms.iter().sum(),
            package: None,
            mode: crate::model::ServiceMode::OnSite,
            package_weight: 1.0,
            reserve_held: 0,
        }
    }

    /// The weighted score terms in [`Breakdown::terms`] order ([`LOAD_TERM`] and
    /// [`PACKAGE_TERM`] depend on the day's load), and the satisfaction used.
    pub(super) fn terms(
        &self,
        r: &Resolved,
        k: usize,
        road: f64,
        load_ratio: f64,
    ) -> ([f64; 8], f64) {
        let satisfaction = self.satisfaction(k);
        let preferred = r.preferred == Some(self.offers[k].outlet);
        let mut terms = self.terms_with(k, road, load_ratio, satisfaction, preferred);
        terms[PACKAGE_TERM] = self.package_term(r, load_ratio);
        (terms, satisfaction)
    }

    /// The weighted score terms in [`Breakdown::terms`] order, the package term 0 (it
    /// needs the ticket: [`Dispatcher::terms`] and [`Dispatcher::stamp`] add it).
    fn terms_with(
        &self,
        k: usize,
        road: f64,
        load_ratio: f64,
        satisfaction: f64,
        preferred: bool,
    ) -> [f64; 8] {
        let w = &self.policy.weights;
        let offer = &self.offers[k];
        let o = &self.outlets[offer.outlet as usize];
        let probation = o.status == OutletStatus::Probation;
        [
            w.distance * road,
            w.satisfaction * (5.0 - satisfaction).max(0.0),
            w.load * load_ratio, // LOAD_TERM
            w.cost * offer.cost,
            w.priority * f64::from(100 - o.priority.min(100)),
            if probation { w.probation } else { 0.0 },
            if preferred { -w.preferred } else { 0.0 },
            0.0, // PACKAGE_TERM
        ]
    }

    pub(super) fn better(&self, a: &Hit, b: &Option<Hit>) -> bool {
        match b {
            None => true,
            Some(b) => {
                a.score < b.score
                    || (a.score == b.score
                        && self.offers[a.offer as usize].outlet
                            < self.offers[b.offer as usize].outlet)
            }
        }
    }
}
