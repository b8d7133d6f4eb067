//! The hard rules: status, avoid list, service area, travel limit (day-independent), then
//! SLA travel limit and capacity per skill and outlet-wide (per day).

use super::layout::AreaRule;
use super::resolve::Resolved;
use super::score::{Hit, LOAD_TERM, PACKAGE_TERM};
use super::types::Rule;
use super::Dispatcher;
use crate::geo::{polygons_contain, unit_distance_km};

/// What [`Dispatcher::day_rules_in`] keeps of one (ticket, offer) across days, found
/// on first need.
#[derive(Default)]
pub(super) struct OfferFacts {
    /// The units of the offer's and its outlet's capacity the ticket may fill.
    limits: Option<(u32, u32)>,
    /// The score's terms on the offer's first day (a later day's load sets the load and
    /// package terms).
    terms: Option<[f64; 8]>,
}

/// How strictly a search applies the rules.
#[derive(Clone, Copy)]
pub(super) struct Mode {
    pub(super) widen: f64,
    pub(super) sla_filter: bool,
}

pub(super) const STRICT: Mode = Mode {
    widen: 1.0,
    sla_filter: true,
};

impl Dispatcher {
    pub(super) fn limit(&self, cap: u32, emergency: bool) -> u32 {
        if emergency || self.policy.emergency_reserve == 0.0 {
            cap
        } else {
            (f64::from(cap) * (1.0 - self.policy.emergency_reserve)).floor() as u32
        }
    }

    /// Great-circle km from the ticket to offer `k`'s outlet.
    pub(super) fn gc_km(&self, r: &Resolved, k: usize) -> f64 {
        unit_distance_km(&r.xyz, &self.outlets[self.offers[k].outlet as usize].xyz)
    }

    pub(super) fn road_km(&self, r: &Resolved, outlet: usize, gc_km: f64) -> f64 {
        match &self.matrix {
            Some(m) => f64::from(m[r.region * self.outlets.len() + outlet]),
            None => gc_km * self.policy.detour_factor,
        }
    }

    /// Lower bound on road km from great-circle km (for pruning).
    pub(super) fn road_lower(&self, gc_km: f64) -> f64 {
        if self.matrix.is_some() {
            gc_km
        } else {
            gc_km * self.policy.detour_factor
        }
    }

    /// Checks the rules that do not depend on the day; returns the road km a technician
    /// travels (0 for a carry-in ticket, whose customer must be within the package's km).
    pub(super) fn static_rules(
        &self,
        r: &Resolved,
        k: usize,
        gc_km: f64,
        mode: Mode,
        with_polygon: bool,
    ) -> std::result::Result<f64, Rule> {
        let offer = &self.offers[k];
        let oi = offer.outlet as usize;
        let o = &self.outlets[oi];
        if !o.status.takes_tickets() {
            return Err(Rule::Status);
        }
        if r.avoid.contains(&offer.outlet) {
            return Err(Rule::Avoided);
        }
        let inside = match o.area {
            AreaRule::Radius(km) => gc_km <= km * mode.widen,
            AreaRule::Regions(list) => self.region_lists[list as usize]
                .binary_search(&(r.region as u32))
                .is_ok(),
            AreaRule::Polygons(p, reach, inner) => {
                gc_km <= f64::from(reach) && (!with_polygon || self.in_polygons(r, p, inner, gc_km))
            }
        };
        if !inside {
            return Err(Rule::OutsideArea);
        }
        let road = self.road_km(r, oi, gc_km);
        if r.claim.carry_in() {
            // The customer travels (within the package's km); no technician travel.
            if road > r.claim.carry_km * mode.widen {
                return Err(Rule::TooFar);
            }
            return Ok(0.0);
        }
        if road > self.network.regions()[r.region].max_travel_km * mode.widen {
            return Err(Rule::TooFar);
        }
        Ok(road)
    }

    /// Day rules (SLA travel limit `sla_km`, capacity) and the score.
    pub(super) fn day_rules(
        &self,
        r: &Resolved,
        k: usize,
        road: f64,
        day: u32,
        sla_km: f64,
    ) -> std::result::Result<Hit, Rule> {
        self.day_rules_in(r, k, road, day, sla_km, &mut OfferFacts::default())
    }

    /// [`Dispatcher::day_rules`] with what does not depend on the day (the limits the
    /// ticket may fill, the score's terms but load and package) kept in `facts` for
    /// the offer's next days: pass the same `facts` for one ticket, offer and road.
    pub(super) fn day_rules_in(
        &self,
        r: &Resolved,
        k: usize,
        road: f64,
        day: u32,
        sla_km: f64,
        facts: &mut OfferFacts,
    ) -> std::result::Result<Hit, Rule> {
        if road > sla_km {
            return Err(Rule::SlaUnreachable);
        }
        let offer = &self.offers[k];
        let oi = offer.outlet as usize;
        let units = r.ticket.units;
        let (offer_limit, outlet_limit) = *facts.limits.get_or_insert_with(|| {
            (
                self.limit_for(offer.capacity, r),
                self.limit_for(self.outlets[oi].daily_cap, r),
            )
        });
        let used = self.ledger.offer_used(k, day);
        if used.saturating_add(units) > offer_limit {
            return Err(Rule::SkillFull);
        }
        if self.ledger.outlet_used(oi, day).saturating_add(units) > outlet_limit {
            return Err(Rule::OutletFull);
        }
        let load_ratio = if offer.capacity > 0 {
            f64::from(used + units) / f64::from(offer.capacity)
        } else {
            1.0
        };
        // The offer's first day: `terms` at this load ratio, kept; a later day changes
        // only the two terms that depend on the load, so the sum (same order) is the
        // one `terms` would give.
        let terms = match &mut facts.terms {
            Some(t) => {
                t[LOAD_TERM] = self.policy.weights.load * load_ratio;
                t[PACKAGE_TERM] = self.package_term(r, load_ratio);
                *t
            }
            None => *facts.terms.insert(self.terms(r, k, road, load_ratio).0),
        };
        Ok(Hit {
            offer: k as u32,
            day,
            road,
            load_ratio,
            score: terms.iter().sum(),
        })
    }

    /// Full evaluation of one offer on the given days: the first day it is eligible.
    pub(super) fn evaluate(
        &self,
        r: &Resolved,
        k: usize,
        days: std::ops::Range<u32>,
        mode: Mode,
    ) -> std::result::Result<Hit, Rule> {
        let road = self.static_rules(r, k, self.gc_km(r, k), mode, true)?;
        let mut worst = Rule::SlaUnreachable;
        for day in days {
            match self.day_rules(r, k, road, day, self.sla_limit(r, day, mode)) {
                Ok(hit) => return Ok(hit),
                Err(rule) => worst = worst.max(rule),
            }
        }
        Err(worst)
    }

    /// Whether the ticket lies inside the offer's outlet's polygons (true for other areas);
    /// `gc_km` is the great-circle km to the outlet if the caller has it.
    pub(super) fn inside_polygons(&self, r: &Resolved, k: usize, gc_km: Option<f64>) -> bool {
        match self.outlets[self.offers[k].outlet as usize].area {
            AreaRule::Polygons(p, _, inner) => {
                let gc_km = gc_km.unwrap_or_else(|| self.gc_km(r, k));
                self.in_polygons(r, p, inner, gc_km)
            }
            _ => true,
        }
    }

    /// Whether the ticket, `gc_km` from the outlet, lies inside polygons `p` whose inner
    /// radius is `inner` km (measured: 1.7 of ~39 cache misses per dispatch were vertices).
    fn in_polygons(&self, r: &Resolved, p: u32, inner: f32, gc_km: f64) -> bool {
        gc_km < f64::from(inner)
            || self
                .polygons
                .get(p as usize)
                .is_some_and(|poly| polygons_contain(poly, r.ticket.lon, r.ticket.lat))
    }
}
