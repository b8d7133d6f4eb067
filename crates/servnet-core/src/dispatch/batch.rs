//! The face batch assignment ([`crate::assign`]) uses: every eligible (offer, day) of a
//! ticket with its score, and the room left per offer and outlet.

use super::resolve::Resolved;
use super::rules::{OfferFacts, STRICT};
use super::search::with_scratch;
use super::types::Rule;
use super::Dispatcher;
use crate::model::SkillId;
use crate::model::Ticket;
use crate::Result;
use chrono::NaiveDate;
use std::cell::RefCell;

/// Per-thread buffers of [`Dispatcher::eligible`]: offers near the ticket, the SLA
/// travel limit per day, and the arcs found.
#[derive(Default)]
struct Buffers {
    near: Vec<usize>,
    sla: Vec<f64>,
    out: Vec<EligibleArc>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

/// One (offer, day) a ticket may take in batch assignment, with its score.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EligibleArc {
    /// Offer (outlet x skill) index.
    pub(crate) offer: u32,
    /// Outlet index.
    pub(crate) outlet: u32,
    /// Day from the ledger's start.
    pub(crate) day: u32,
    /// Days past the last SLA day (0 = within the SLA).
    pub(crate) late_days: u32,
    /// Score at the current loads.
    pub(crate) score: f64,
    /// Road km (the score's distance; kept alone, not the whole breakdown, so a
    /// backlog's arcs stay small).
    pub(crate) distance_km: f64,
}

impl Dispatcher {
    /// Sets day 0 of the ledger if it is not set yet (batch assignment resolves tickets
    /// in parallel, so it fixes day 0 first for determinism).
    pub(crate) fn init_start(&self, date: NaiveDate) {
        let _ = self.start.set(date);
    }

    /// Every (offer, day) the strict hard rules allow for the ticket at the ledger's
    /// current loads, by (outlet, day): each outlet's SLA days, then up to `late`
    /// further days without the SLA filter (tagged with how late they are).
    /// `Ok(Err(rule))`: none, and why.
    pub(crate) fn eligible(
        &self,
        ticket: &Ticket,
        late: u32,
    ) -> Result<std::result::Result<Vec<EligibleArc>, Rule>> {
        let mut r = self.resolve(ticket)?;
        // Batch assignment weighs tickets by their package in its objective (see
        // `assign::problem`): the dispatch reserve does not filter its arcs.
        r.claim.privileged = true;
        let Some(skill) = r.skill else {
            return Ok(Err(Rule::NoSkill));
        };
        let days = self.sla_days(&r);
        if days.is_empty() {
            return Ok(Err(Rule::OutsideHorizon));
        }
        let late_end = days
            .end
            .saturating_add(late)
            .min(self.day_end())
            .max(days.end);
        let max_chord = self.max_chord(&r, 1.0);
        // This thread's buffers (a backlog calls this per ticket): the arcs are
        // gathered there and copied out once at their exact length.
        BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut b) => self.eligible_into(&r, skill, days, late_end, max_chord, &mut b),
            Err(_) => self.eligible_into(
                &r,
                skill,
                days,
                late_end,
                max_chord,
                &mut Buffers::default(),
            ),
        })
    }

    /// [`Dispatcher::eligible`]'s search and rules, with `b`'s buffers.
    fn eligible_into(
        &self,
        r: &Resolved,
        skill: SkillId,
        days: std::ops::Range<u32>,
        late_end: u32,
        max_chord: f64,
        b: &mut Buffers,
    ) -> Result<std::result::Result<Vec<EligibleArc>, Rule>> {
        let Buffers { near, sla, out } = b;
        near.clear();
        sla.clear();
        out.clear();
        sla.extend(days.clone().map(|d| self.sla_limit(r, d, STRICT)));
        let base = self.skill_base[skill.index()];
        with_scratch(|scratch| {
            self.index[skill.index()].tree.best_first(
                scratch,
                &r.xyz,
                max_chord,
                Some(1.0),
                f64::INFINITY,
                0.0,
                0,
                |slot, _, _, _| {
                    near.push((base + slot) as usize);
                    f64::INFINITY
                },
            )
        });
        // One offer per outlet in a skill's tree: offers by outlet, each one's days in
        // order, give the arcs by (outlet, day) without sorting them (the offer breaks
        // ties, so the order is total whatever the network).
        near.sort_unstable_by_key(|&k| (self.offers[k].outlet, k));
        for &k in near.iter() {
            let Ok(road) = self.static_rules(r, k, self.gc_km(r, k), STRICT, true) else {
                continue;
            };
            let outlet = self.offers[k].outlet;
            let mut facts = OfferFacts::default();
            for (day, &sla_km) in days.clone().zip(sla.iter()) {
                if let Ok(hit) = self.day_rules_in(r, k, road, day, sla_km, &mut facts) {
                    out.push(EligibleArc {
                        offer: k as u32,
                        outlet,
                        day,
                        late_days: 0,
                        score: hit.score,
                        distance_km: hit.road,
                    });
                }
            }
            for day in days.end..late_end {
                if let Ok(hit) = self.day_rules_in(r, k, road, day, f64::INFINITY, &mut facts) {
                    let late_days = day - (days.end - 1);
                    out.push(EligibleArc {
                        offer: k as u32,
                        outlet,
                        day,
                        late_days,
                        score: hit.score,
                        distance_km: hit.road,
                    });
                }
            }
        }
        if out.is_empty() {
            return Ok(Err(self.reasons(r).0));
        }
        Ok(Ok(out.clone()))
    }

    /// The priority weight of a ticket's service package (1 without one).
    pub(crate) fn package_weight(&self, ticket: &Ticket) -> f64 {
        self.network
            .ticket_package(ticket)
            .map_or(1.0, |p| p.priority_weight)
    }

    /// Units still free for an offer on a day: the limit for a non-emergency or an
    /// emergency ticket (which may use the reserve) minus bookings.
    pub(crate) fn offer_room_for(&self, offer: u32, day: u32, emergency: bool) -> u32 {
        self.offers.get(offer as usize).map_or(0, |o| {
            self.limit(o.capacity, emergency)
                .saturating_sub(self.ledger.offer_used(offer as usize, day))
        })
    }

    /// Units still free outlet-wide on a day, for a non-emergency or an emergency ticket.
    pub(crate) fn outlet_room_for(&self, outlet: u32, day: u32, emergency: bool) -> u32 {
        self.outlets.get(outlet as usize).map_or(0, |o| {
            self.limit(o.daily_cap, emergency)
                .saturating_sub(self.ledger.outlet_used(outlet as usize, day))
        })
    }

    /// Units still free for an offer on a day (non-emergency limit minus bookings).
    pub(crate) fn offer_room(&self, offer: u32, day: u32) -> u32 {
        self.offer_room_for(offer, day, false)
    }

    /// Units still free outlet-wide on a day (non-emergency limit minus bookings).
    pub(crate) fn outlet_room(&self, outlet: u32, day: u32) -> u32 {
        self.outlet_room_for(outlet, day, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::synthetic::{synthetic, SyntheticSpec};
    use crate::dispatch::Policy;

    /// Every (offer, day) of the ticket's skill that the strict rules allow, checked one
    /// by one over all offers (no search, each day's rules on their own), by (outlet, day).
    fn exhaustive(d: &Dispatcher, t: &Ticket, late: u32) -> Vec<EligibleArc> {
        let mut r = d.resolve(t).unwrap();
        r.claim.privileged = true;
        let (Some(skill), days) = (r.skill, d.sla_days(&r)) else {
            return Vec::new();
        };
        if days.is_empty() {
            return Vec::new();
        }
        let late_end = days.end.saturating_add(late).min(d.day_end()).max(days.end);
        let mut out = Vec::new();
        for k in (0..d.offers.len()).filter(|&k| d.offers[k].skill == skill) {
            let Ok(road) = d.static_rules(&r, k, d.gc_km(&r, k), STRICT, true) else {
                continue;
            };
            for day in days.start..late_end {
                let (sla_km, late_days) = if day < days.end {
                    (d.sla_limit(&r, day, STRICT), 0)
                } else {
                    (f64::INFINITY, day - (days.end - 1))
                };
                if let Ok(hit) = d.day_rules(&r, k, road, day, sla_km) {
                    out.push(EligibleArc {
                        offer: k as u32,
                        outlet: d.offers[k].outlet,
                        day,
                        late_days,
                        score: hit.score,
                        distance_km: hit.road,
                    });
                }
            }
        }
        out.sort_by_key(|a| (a.outlet, a.day));
        out
    }

    /// A backlog's eligible arcs, on a ledger half filled, are exactly the arcs the rules
    /// allow offer by offer and day by day, with the same scores to the bit, by (outlet,
    /// day) (the order batch assignment's ties follow).
    #[test]
    fn eligible_arcs_are_every_allowed_offer_day_by_outlet_then_day() {
        for (capacity, seed) in [(1u32, 7u64), (3, 8)] {
            let spec = SyntheticSpec {
                skill_capacity: capacity,
                categories: 2,
                ..SyntheticSpec::new(800, seed)
            };
            let (net, tickets) = synthetic(&spec, 600).unwrap();
            let policy = Policy {
                start_date: Some(tickets[0].created_at.date()),
                horizon_days: 4,
                ..Policy::default()
            };
            let d = Dispatcher::new(net, policy).unwrap();
            let (booked, backlog) = tickets.split_at(300);
            for t in booked {
                d.dispatch(t).unwrap();
            }
            let mut arcs = 0;
            for t in backlog {
                let want = exhaustive(&d, t, 2);
                let got = d.eligible(t, 2).unwrap().unwrap_or_default();
                assert_eq!(got.len(), want.len(), "ticket {}", t.id);
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(
                        (g.offer, g.outlet, g.day, g.late_days),
                        (w.offer, w.outlet, w.day, w.late_days),
                        "ticket {}",
                        t.id
                    );
                    assert_eq!(g.score.to_bits(), w.score.to_bits(), "ticket {}", t.id);
                    assert_eq!(g.distance_km.to_bits(), w.distance_km.to_bits());
                }
                arcs += got.len();
            }
            assert!(arcs > 0, "some tickets have arcs");
        }
    }
}
