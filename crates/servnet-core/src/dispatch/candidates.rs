//! Ranked candidates for a ticket (the k best eligible outlets), booking nothing.

use super::resolve::Resolved;
use super::rules::{Mode, STRICT};
use super::score::Hit;
use super::search::{fallback_route, with_scratch};
use super::types::{Candidate, Route};
use super::Dispatcher;
use crate::geo::EARTH_RADIUS_KM;
use crate::model::{SkillId, Ticket};
use crate::Result;
use std::collections::BinaryHeap;

/// A max-heap of hits as ((sortable score, outlet), offer, day, road bits, load bits).
type TopK = BinaryHeap<((u64, u32), u32, u32, u64, u64)>;

/// Maps a score to bits that sort like the scores (total order, negatives included).
fn sortable(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The inverse of [`sortable`].
fn unsortable(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

impl Dispatcher {
    /// Eligible outlets for the ticket, best first, at most `k`. Books nothing.
    ///
    /// The outlets meeting every hard rule on the SLA days (route `direct`); when there
    /// is none, those of the first of the policy's fallbacks that has any, in the
    /// policy's order, as dispatch would book them (their `route` says which; a backlog
    /// ticket already past its due time is served this way). [`Dispatcher::dispatch`]
    /// books the best of them on the earliest day any has.
    pub fn candidates(&self, ticket: &Ticket, k: usize) -> Result<Vec<Candidate>> {
        let r = self.resolve(ticket)?;
        Ok(self.by_policy(&r, k, |skill, days, mode| {
            self.top_k(&r, skill, days, mode, k)
        }))
    }

    /// The k best hits meeting the rules of `mode` on `days`, by a best-first search of
    /// the skill's tree (unordered).
    fn top_k(
        &self,
        r: &Resolved,
        skill: SkillId,
        days: std::ops::Range<u32>,
        mode: Mode,
        k: usize,
    ) -> Vec<Hit> {
        // The k best by (score, outlet id): a max-heap of the best k so far; its top is the
        // cut-off of a best-first search (the preferred outlet, whose bonus the search's
        // bounds leave out, is evaluated on its own first).
        let rank = |h: &Hit| (sortable(h.score), self.offers[h.offer as usize].outlet);
        let mut top = TopK::new();
        let keep = |top: &mut TopK, h: Hit| {
            top.push((
                rank(&h),
                h.offer,
                h.day,
                h.road.to_bits(),
                h.load_ratio.to_bits(),
            ));
            if top.len() > k {
                top.pop();
            }
        };
        let preferred = r.preferred.and_then(|p| self.offer_of(p as usize, skill));
        if let Some(o) = preferred {
            if let Ok(h) = self.evaluate(r, o as usize, days.clone(), mode) {
                keep(&mut top, h);
            }
        }
        let per_d = self.distance_weight(r) * self.road_per_chord_km() * EARTH_RADIUS_KM;
        let base = self.skill_base[skill.index()];
        let cutoff = |top: &TopK| match top.peek() {
            Some(((s, _), ..)) if top.len() >= k => unsortable(*s),
            _ => f64::INFINITY,
        };
        with_scratch(|scratch| {
            self.index[skill.index()].tree.best_first(
                scratch,
                &r.xyz,
                self.max_chord(r, mode.widen),
                Some(mode.widen),
                cutoff(&top),
                per_d,
                0,
                |slot, _, _, _| {
                    let o = base + slot;
                    if Some(o) != preferred {
                        if let Ok(h) = self.evaluate(r, o as usize, days.clone(), mode) {
                            keep(&mut top, h);
                        }
                    }
                    cutoff(&top)
                },
            )
        });
        top.into_iter()
            .map(|((s, _), offer, day, road, load)| Hit {
                offer,
                day,
                road: f64::from_bits(road),
                load_ratio: f64::from_bits(load),
                score: unsortable(s),
            })
            .collect()
    }

    /// The best `k` candidates by the policy: those `hits(skill, days, mode)` finds under
    /// the hard rules, else under the first fallback that finds any (see
    /// [`Dispatcher::candidates`]).
    fn by_policy(
        &self,
        r: &Resolved,
        k: usize,
        hits: impl Fn(SkillId, std::ops::Range<u32>, Mode) -> Vec<Hit>,
    ) -> Vec<Candidate> {
        let Some(skill) = r.skill else {
            return Vec::new();
        };
        let days = self.sla_days(r);
        if k == 0 || days.is_empty() {
            return Vec::new();
        }
        let direct = hits(skill, days.clone(), STRICT);
        if !direct.is_empty() {
            return self.ranked(r, direct, k, Route::Direct);
        }
        for f in &self.policy.fallback {
            let route = fallback_route(f);
            let found = match self.fallback_rules(f, days.clone()) {
                Some((days, mode)) => hits(skill, days, mode),
                None => self.escalate(r, skill).into_iter().collect(),
            };
            if !found.is_empty() {
                return self.ranked(r, found, k, route);
            }
        }
        Vec::new()
    }

    /// [`Dispatcher::candidates`] by evaluating every outlet offering the skill, without
    /// the index: the reference the indexed search is tested against.
    #[doc(hidden)]
    pub fn candidates_exhaustive(&self, ticket: &Ticket, k: usize) -> Result<Vec<Candidate>> {
        let r = self.resolve(ticket)?;
        Ok(self.by_policy(&r, k, |skill, days, mode| {
            self.skill_offers[skill.index()]
                .iter()
                .filter_map(|&o| self.evaluate(&r, o as usize, days.clone(), mode).ok())
                .collect()
        }))
    }

    /// The best `k` hits by (score, outlet id), as candidates.
    fn ranked(&self, r: &Resolved, mut hits: Vec<Hit>, k: usize, route: Route) -> Vec<Candidate> {
        hits.sort_by(|a, b| {
            a.score.total_cmp(&b.score).then(
                self.offers[a.offer as usize]
                    .outlet
                    .cmp(&self.offers[b.offer as usize].outlet),
            )
        });
        hits.into_iter()
            .take(k)
            .map(|h| self.candidate(r, h, route))
            .collect()
    }

    fn candidate(&self, r: &Resolved, h: Hit, route: Route) -> Candidate {
        let offer = &self.offers[h.offer as usize];
        let oi = offer.outlet as usize;
        let units = r.ticket.units;
        Candidate {
            outlet_id: self.outlet_ids[oi].clone(),
            day: h.day,
            breakdown: self.breakdown(r, &h),
            remaining_skill: self
                .limit_for(offer.capacity, r)
                .saturating_sub(self.ledger.offer_used(h.offer as usize, h.day) + units),
            remaining_outlet: self
                .limit_for(self.outlets[oi].daily_cap, r)
                .saturating_sub(self.ledger.outlet_used(oi, h.day) + units),
            route,
        }
    }
}
