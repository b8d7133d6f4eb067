//! The search for the best outlet: best-first over the skill's tree, pruned by the best
//! score found; each day a scan of its own skipping what is full that day (with marks,
//! `full.rs`), resuming from what the ticket's earlier empty scan left (`index::Carry`),
//! or else later days and wider radii re-check only the outlets a scan that found nothing
//! kept; the policy's fallbacks in order.

use super::index::{self, Scratch};
use super::policy::Fallback;
use super::probe;
use super::resolve::Resolved;
use super::rules::{Mode, STRICT};
use super::score::Hit;
use super::types::{Route, Rule};
use super::Dispatcher;
use crate::geo::{km_to_chord, unit_distance_km, EARTH_RADIUS_KM};
use crate::model::SkillId;
use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// The last token [`next_token`] gave on this thread.
    static TOKEN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// A scan's list of outlets passing the area rules, kept between calls so that the
    /// usual successful scan allocates nothing (an allocation per dispatch, measured).
    static SEEN: RefCell<Vec<(u32, f64)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's empty `seen` buffer (taken; give it back with [`give_seen`]).
fn take_seen() -> Vec<(u32, f64)> {
    let mut v = SEEN.with(|c| {
        c.try_borrow_mut()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    });
    v.clear();
    v
}

fn give_seen(v: Vec<(u32, f64)>) {
    SEEN.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = v;
        }
    });
}

/// A token for one ticket's searches, distinct from every other on this thread (the
/// scratch, which keeps what a scan left for the next, is this thread's).
fn next_token() -> u64 {
    TOKEN.with(|c| {
        let t = c.get().wrapping_add(1);
        c.set(t);
        t
    })
}

/// Runs `f` with this thread's search scratch (a fresh one if it is in use).
pub(super) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Outlets that passed the day-independent rules in a scan that found no eligible outlet
/// (so pruned nothing), with their road km, per widening factor: later days and
/// fallbacks with the same area rules re-check only these.
type Reach = Vec<(f64, Vec<(u32, f64)>)>;

impl Dispatcher {
    /// Best eligible offer on the earliest day that has one. `token` names the ticket's
    /// searches: a scan may start from what an earlier one found nothing in left.
    fn search(
        &self,
        r: &Resolved,
        skill: SkillId,
        days: std::ops::Range<u32>,
        mode: Mode,
        reach: &mut Reach,
        token: u64,
    ) -> Option<Hit> {
        let max_chord = self.max_chord(r, mode.widen);
        for day in days {
            let sla_km = self.sla_limit(r, day, mode);
            let mut best: Option<Hit> = None;
            if let Some(p) = r.preferred {
                if let Some(k) = self.offer_of(p as usize, skill) {
                    if let Ok(hit) = self.evaluate(r, k as usize, day..day + 1, mode) {
                        best = Some(hit);
                    }
                }
            }
            // With marks (this dispatcher is the ledger's only writer), each day is a scan
            // of its own that skips what is full that day: on a peak day the outlets near
            // a ticket are full on its first days, and a list of them to re-check would
            // hold every one. Without marks, later days re-check the first scan's list.
            let day_full = self.full_days(day..day + 1);
            if day_full != 0 {
                let mut seen = take_seen();
                probe::search(probe::DAYS_SCANNED, 1);
                self.scan(
                    r,
                    skill,
                    max_chord,
                    day,
                    sla_km,
                    mode,
                    day_full,
                    Some(token),
                    &mut best,
                    &mut seen,
                );
                give_seen(seen);
            } else if let Some((_, list)) = reach.iter().find(|(w, _)| *w == mode.widen) {
                probe::search(probe::DAYS_LISTED, 1);
                probe::search(probe::LIST_ITEMS, list.len() as u64);
                for &(k, road) in list {
                    let k = k as usize;
                    if let Ok(hit) = self.day_rules(r, k, road, day, sla_km) {
                        if self.better(&hit, &best) && self.inside_polygons(r, k, None) {
                            best = Some(hit);
                        }
                    }
                }
            } else {
                let mut seen = take_seen();
                probe::search(probe::DAYS_SCANNED, 1);
                self.scan(
                    r, skill, max_chord, day, sla_km, mode, 0, None, &mut best, &mut seen,
                );
                if best.is_none() {
                    reach.push((mode.widen, seen));
                } else {
                    give_seen(seen);
                }
            }
            if best.is_some() {
                return best;
            }
        }
        None
    }

    /// The chord length beyond which no outlet can be within the region's travel limit
    /// (x `widen`): road km >= great-circle km x detour (or >= great-circle km with a
    /// travel matrix) >= chord km.
    pub(super) fn max_chord(&self, r: &Resolved, widen: f64) -> f64 {
        let max_km = if r.claim.carry_in() {
            r.claim.carry_km
        } else {
            self.network.regions()[r.region].max_travel_km
        } * widen;
        km_to_chord(if self.matrix.is_some() {
            max_km
        } else {
            max_km / self.policy.detour_factor
        })
    }

    /// Road km per km of chord length (a lower bound of road km, for pruning).
    pub(super) fn road_per_chord_km(&self) -> f64 {
        if self.matrix.is_some() {
            1.0
        } else {
            self.policy.detour_factor
        }
    }

    /// Best-first scan of one skill's outlets, improving `best`. While `best` is `None`
    /// nothing is pruned, so `seen` gets every outlet passing the day-independent rules.
    /// With marks, `token` names the ticket's search ([`Dispatcher::find`]): a scan of
    /// another day starts from what a scan of an earlier day with the same rules left
    /// if it found nothing (`index::Carry`).
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        r: &Resolved,
        skill: SkillId,
        max_chord: f64,
        day: u32,
        sla_km: f64,
        mode: Mode,
        skip: u64,
        token: Option<u64>,
        best: &mut Option<Hit>,
        seen: &mut Vec<(u32, f64)>,
    ) {
        // A carry-in ticket has no distance term (no technician travel).
        let w_d = self.distance_weight(r);
        // Chord km <= great-circle km, so this never exceeds the true distance term.
        let per_d = w_d * self.road_per_chord_km() * EARTH_RADIUS_KM;
        let cutoff = |best: &Option<Hit>| best.as_ref().map_or(f64::INFINITY, |b| b.score);
        let tree = &self.index[skill.index()].tree;
        let base = self.skill_base[skill.index()];
        let start = cutoff(best);
        with_scratch(|scratch| {
            let widen = Some(mode.widen);
            tree.best_first_after(
                scratch,
                &r.xyz,
                max_chord,
                widen,
                start,
                per_d,
                skip,
                token,
                |slot, outlet, _, key| {
                    let k = (base + slot) as usize;
                    // The outlet's record is read by its number in the tree, not through
                    // the offer's: the two loads (both usually misses) overlap.
                    let gc = unit_distance_km(&r.xyz, &self.outlets[outlet as usize].xyz);
                    if let Some(b) = &*best {
                        // This outlet's own fixed terms already lose: skip the ledger.
                        if w_d * self.road_lower(gc) + key > b.score {
                            probe::search(probe::PRUNED_OWN, 1);
                            return b.score;
                        }
                    }
                    if Some(outlet) == r.preferred {
                        probe::search(probe::PREFERRED, 1);
                        return cutoff(best);
                    }
                    let road = match self.static_rules(r, k, gc, mode, false) {
                        Ok(road) => road,
                        Err(rule) => {
                            probe::search(
                                match rule {
                                    Rule::Status => probe::STATUS,
                                    Rule::Avoided => probe::AVOIDED,
                                    Rule::OutsideArea => probe::AREA,
                                    _ => probe::TOO_FAR,
                                },
                                1,
                            );
                            return cutoff(best);
                        }
                    };
                    if best.is_none() {
                        seen.push((k as u32, road));
                    }
                    let hit = match self.day_rules(r, k, road, day, sla_km) {
                        Ok(hit) => hit,
                        Err(rule) if cfg!(debug_assertions) => {
                            let full_offer = || {
                                self.ledger
                                    .offer_used(k, day)
                                    .saturating_add(r.ticket.units)
                                    > self.offers[k].capacity
                            };
                            probe::search(
                                match rule {
                                    Rule::SlaUnreachable => probe::SLA,
                                    Rule::SkillFull if full_offer() => probe::SKILL_FULL,
                                    Rule::SkillFull => probe::RESERVE,
                                    _ => probe::OUTLET_FULL,
                                },
                                1,
                            );
                            return cutoff(best);
                        }
                        Err(_) => return cutoff(best),
                    };
                    if cfg!(debug_assertions) {
                        if !self.better(&hit, best) {
                            probe::search(probe::NOT_BETTER, 1);
                        } else if !self.inside_polygons(r, k, Some(gc)) {
                            probe::search(probe::POLYGON, 1);
                        }
                    }
                    if self.better(&hit, best) && self.inside_polygons(r, k, Some(gc)) {
                        probe::search(probe::IMPROVED, 1);
                        // The assignment will copy its id: start loading it now.
                        if let Some(id) = self.outlet_ids.get(outlet as usize) {
                            index::prefetch(id);
                        }
                        *best = Some(hit);
                    }
                    cutoff(best)
                },
            )
        });
    }

    /// The days and rules a search by fallback `f` applies, from the SLA days (`None`
    /// for an escalation, which has a search of its own).
    pub(super) fn fallback_rules(
        &self,
        f: &Fallback,
        sla_days: std::ops::Range<u32>,
    ) -> Option<(std::ops::Range<u32>, Mode)> {
        match *f {
            Fallback::WiderRadius(widen) => Some((
                sla_days,
                Mode {
                    widen,
                    sla_filter: false,
                },
            )),
            Fallback::NextDay(n) => Some((
                sla_days.end..sla_days.end.saturating_add(n).min(self.day_end()),
                Mode {
                    widen: 1.0,
                    sla_filter: false,
                },
            )),
            Fallback::Escalate => None,
        }
    }

    /// The days and rules under which an assignment by `route` was found: the hard
    /// rules for `direct`, else those of the policy's first fallback with that route
    /// (`None` for an escalation, or a route the policy does not have).
    pub(super) fn route_rules(
        &self,
        route: Route,
        sla_days: std::ops::Range<u32>,
    ) -> Option<(std::ops::Range<u32>, Mode)> {
        if route == Route::Direct {
            return Some((sla_days, STRICT));
        }
        let f = self
            .policy
            .fallback
            .iter()
            .find(|f| fallback_route(f) == route)?;
        self.fallback_rules(f, sla_days)
    }

    /// Finds an offer by the policy's rules and fallbacks (no booking).
    pub(super) fn find(&self, r: &Resolved) -> (Option<(Hit, Route)>, Vec<Fallback>) {
        let mut tried = Vec::new();
        let Some(skill) = r.skill else {
            return (None, tried);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (None, tried);
        }
        let mut reach = Reach::new();
        let token = next_token();
        probe::phase(probe::DIRECT);
        if let Some(h) = self.search(r, skill, days.clone(), STRICT, &mut reach, token) {
            return (Some((h, Route::Direct)), tried);
        }
        for f in &self.policy.fallback {
            tried.push(f.clone());
            probe::phase(match f {
                Fallback::WiderRadius(_) => probe::WIDER,
                Fallback::NextDay(_) => probe::NEXT,
                Fallback::Escalate => probe::ESCALATE,
            });
            let found = match self.fallback_rules(f, days.clone()) {
                Some((days, mode)) => self.search(r, skill, days, mode, &mut reach, token),
                None => self.escalate(r, skill),
            };
            if let Some(h) = found {
                return (Some((h, fallback_route(f))), tried);
            }
        }
        (None, tried)
    }
}

/// The route an assignment found by fallback `f` has.
pub(super) fn fallback_route(f: &Fallback) -> Route {
    match f {
        Fallback::WiderRadius(x) => Route::WiderRadius(*x),
        Fallback::NextDay(_) => Route::NextDay,
        Fallback::Escalate => Route::Escalated,
    }
}
