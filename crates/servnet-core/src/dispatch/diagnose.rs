//! Why nothing fits: the rule that blocked the closest outlets and how many each rule
//! blocked ([`Dispatcher::reasons`]), and [`Dispatcher::explain`] for one outlet.

use super::index::{limit_chord, FullTest, Split};
use super::layout::AreaRule;
use super::probe;
use super::resolve::Resolved;
use super::rules::STRICT;
use super::types::{Explanation, Route, Rule};
use super::Dispatcher;
use crate::geo::{km_to_chord, unit_distance_km};
use crate::model::Ticket;
use crate::Result;
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// Every rule, in ordinal order (checked below: `RULES[i] as usize == i`).
const RULES: [Rule; 9] = [
    Rule::NoSkill,
    Rule::Status,
    Rule::Avoided,
    Rule::OutsideArea,
    Rule::TooFar,
    Rule::SlaUnreachable,
    Rule::SkillFull,
    Rule::OutletFull,
    Rule::OutsideHorizon,
];

const _: () = {
    let mut i = 0;
    while i < RULES.len() {
        assert!(
            RULES[i] as usize == i,
            "RULES must list every rule in ordinal order"
        );
        i += 1;
    }
};

impl Dispatcher {
    /// Why no outlet takes the ticket: the rule that blocked the outlets that came
    /// closest, and how many outlets of the skill each rule blocked. Outlets in tree
    /// nodes beyond every area reach below them (region lists counting as 0), and single
    /// outlets beyond their radius or polygons' reach, are counted in bulk as outside
    /// their area; avoided ones there, and
    /// region-list ones naming the ticket's region, are evaluated one by one. Outlets in
    /// groups marked full for their own skill on every SLA day and near enough to pass
    /// every rule before capacity ([`Dispatcher::full_test`]) are counted in bulk as
    /// skill full (avoided ones evaluated one by one). All other outlets are evaluated
    /// one by one.
    pub(super) fn reasons(&self, r: &Resolved) -> (Rule, BTreeMap<Rule, u32>) {
        let mut counts = BTreeMap::new();
        let Some(skill) = r.skill else {
            return (Rule::NoSkill, counts);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (Rule::OutsideHorizon, counts);
        }
        let offers = &self.skill_offers[skill.index()];
        let tree = &self.index[skill.index()].tree;
        // Counts by rule ordinal (a map entry per outlet cost ~25 instructions each).
        let mut by_rule = [0u32; RULES.len()];
        let mut count = |rule: Rule, n: u32| by_rule[rule as usize] += n;
        // Offers outside the tree are those whose outlet takes no tickets (counting the
        // offers with a slot took ~15% of a diagnosis at 10k outlets).
        count(Rule::Status, offers.len().saturating_sub(tree.len()) as u32);
        // Avoided outlets fail the avoid rule before any counted in bulk, and region-list
        // ones naming the ticket's region pass the area rule: these are evaluated alone
        // (offers outside the tree, counted above, have no slot).
        let mut special: Vec<usize> = r
            .avoid
            .iter()
            .filter_map(|&o| self.offer_of(o as usize, skill))
            .chain(
                self.covering
                    .get(&(skill.0, r.region as u32))
                    .into_iter()
                    .flatten()
                    .copied(),
            )
            .map(|k| self.offer_keys[k as usize].slot as usize)
            .filter(|&slot| slot < tree.len())
            .collect();
        special.sort_unstable();
        special.dedup();
        let mut split = Split::default();
        let base = self.skill_base[skill.index()];
        tree.split_far(
            &r.xyz,
            self.full_test(r, days.clone()).as_ref(),
            &special,
            |slot| {
                let k = (base + slot) as usize;
                let got = self.evaluate(r, k, days.clone(), STRICT);
                probe::diag(probe::D_EVAL, 1);
                probe::diag(
                    match got {
                        Err(Rule::OutsideArea) => probe::D_EVAL_AREA,
                        Err(Rule::TooFar) => probe::D_EVAL_TOO_FAR,
                        Err(Rule::SlaUnreachable) => probe::D_EVAL_SLA,
                        Err(Rule::SkillFull) => probe::D_EVAL_SKILL,
                        Err(Rule::OutletFull) => probe::D_EVAL_OUTLET,
                        _ => probe::D_EVAL_OTHER,
                    },
                    1,
                );
                if let Err(rule) = got {
                    count(rule, 1);
                }
            },
            &mut split,
        );
        probe::diag(probe::D_SPECIAL, split.special_in_bulk as u64);
        for (rule, n) in [
            (Rule::OutsideArea, split.outside_area),
            (Rule::SkillFull, split.skill_full),
            (Rule::OutletFull, split.outlet_full),
            (Rule::TooFar, split.too_far),
            (Rule::SlaUnreachable, split.sla),
        ] {
            count(rule, n as u32);
        }
        for (rule, &n) in RULES.iter().zip(&by_rule) {
            if n > 0 {
                counts.insert(*rule, n);
            }
        }
        let furthest = counts.keys().copied().max().unwrap_or(Rule::NoSkill);
        (furthest, counts)
    }

    /// Which tree groups [`Dispatcher::reasons`] may count as skill or outlet full without
    /// evaluating their outlets, for a ticket whose SLA days are `days` (all of them
    /// within their radius, so past the area rule):
    /// - skill full: marked full for their own skill (not only their outlet's cap) on
    ///   each of these days, or, for a ticket whose limit is the least one, marked
    ///   `reserved` on each, and near enough that the travel limit and some day's SLA
    ///   travel limit pass. Each outlet there fails every day on the SLA travel limit or
    ///   on its offer's capacity (`used >= limit`, at least one unit), and on the latter
    ///   at least one day: skill full.
    /// - outlet full, for a ticket of one unit: marked full on each day (so no day
    ///   passes: its offer or its outlet is at its cap, and every limit is at most the
    ///   cap), and on some day marked full for the outlet's cap with room in the offer
    ///   (`used + 1 <=` every ticket's limit) and near enough that this day's travel and
    ///   SLA limits pass: that day fails on the outlet's cap, the highest rule of a day.
    ///
    /// `None` when marks do not cover the days, with a travel matrix (road km per
    /// outlet), or a ticket of no units.
    pub(super) fn full_test(&self, r: &Resolved, days: std::ops::Range<u32>) -> Option<FullTest> {
        if self.matrix.is_some() || r.ticket.units == 0 || self.policy.detour_factor <= 0.0 {
            return None;
        }
        let travel_km = if r.claim.carry_in() {
            r.claim.carry_km
        } else {
            self.network.regions()[r.region].max_travel_km
        };
        // Road km = great-circle km x detour: relative margins cover the rounding of that
        // product (and of the chords), so that the bulk rules agree with the exact tests.
        let detour = self.policy.detour_factor;
        let (within, beyond) = (1.0 - 1e-9, 1.0 + 1e-9);
        let mut day_km = [f64::NEG_INFINITY; 64];
        let mut sla_max = f64::NEG_INFINITY;
        for day in days.clone() {
            let sla_km = self.sla_limit(r, day, STRICT);
            sla_max = sla_max.max(sla_km);
            let road_km = if r.claim.carry_in() {
                // Its road km is 0 for the SLA (the customer travels).
                if sla_km < 0.0 {
                    continue;
                }
                travel_km
            } else {
                travel_km.min(sla_km)
            };
            let at = day.saturating_sub(self.first_day) as usize;
            if let Some(km) = day_km.get_mut(at) {
                *km = road_km / detour * within;
            }
        }
        let km = day_km.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Beyond the SLA on every day: past the loosest day's limit (a carry-in ticket's
        // road km for the SLA is 0, so never in bulk).
        let sla = if r.claim.carry_in() {
            f64::INFINITY
        } else {
            km_to_chord((sla_max / detour * beyond).max(0.0))
        };
        Some(FullTest {
            too_far: km_to_chord(travel_km / detour * beyond),
            near: limit_chord(travel_km / detour * within),
            sla,
            days: self.full_days(days),
            within: limit_chord(km),
            day: day_km.map(limit_chord),
            // Without reserves the offers full are marked so and tested by the marks.
            reserve: self.reserves_on() && self.has_least_limit(r),
            outlet: r.ticket.units == 1,
        })
    }

    /// [`Dispatcher::reasons`] by evaluating every outlet offering the skill (the
    /// reference the bulk counting is tested against).
    #[cfg(test)]
    pub(super) fn reasons_exhaustive(&self, r: &Resolved) -> (Rule, BTreeMap<Rule, u32>) {
        let mut counts = BTreeMap::new();
        let Some(skill) = r.skill else {
            return (Rule::NoSkill, counts);
        };
        let days = self.sla_days(r);
        if days.is_empty() {
            return (Rule::OutsideHorizon, counts);
        }
        let mut furthest = Rule::NoSkill;
        for &k in &self.skill_offers[skill.index()] {
            if let Err(rule) = self.evaluate(r, k as usize, days.clone(), STRICT) {
                *counts.entry(rule).or_insert(0) += 1;
                furthest = furthest.max(rule);
            }
        }
        (furthest, counts)
    }

    /// Why this outlet was (not) chosen for the ticket, and what would change the answer.
    pub fn explain(&self, ticket: &Ticket, outlet_id: &str) -> Result<Explanation> {
        let r = self.resolve(ticket)?;
        let oi = self.network.known_outlet(outlet_id)?;
        let best = self.candidates(ticket, 1)?.into_iter().next();
        let offer = r.skill.and_then(|s| self.offer_of(oi, s));
        let mut out = Explanation {
            outlet_id: SmolStr::new(outlet_id),
            failed: None,
            breakdown: None,
            best: best.clone(),
            score_gap: None,
            text: String::new(),
        };
        let Some(k) = offer else {
            out.failed = Some(Rule::NoSkill);
            out.text = format!("{outlet_id} does not offer {}", ticket.skill);
            return Ok(out);
        };
        let k = k as usize;
        // The rules dispatch applies now: the hard rules, or, when no outlet meets them,
        // the fallback the best candidate was found by (an escalation has no rules to
        // judge another outlet by: it is judged by the hard rules).
        let route = best.as_ref().map_or(Route::Direct, |b| b.route);
        let (days, mode) = self
            .route_rules(route, self.sla_days(&r))
            .unwrap_or_else(|| (self.sla_days(&r), STRICT));
        let o = &self.outlets[oi];
        let gc = unit_distance_km(&r.xyz, &o.xyz);
        let result = self.evaluate(&r, k, days.clone(), mode);
        match result {
            Ok(hit) => {
                let gap = best.as_ref().map_or(0.0, |b| hit.score - b.breakdown.score);
                let hb = self.breakdown(&r, &hit);
                out.breakdown = Some(hb);
                out.score_gap = Some(gap);
                out.text = match &best {
                    Some(b) if b.outlet_id != outlet_id => {
                        let names = [
                            "distance",
                            "satisfaction",
                            "load",
                            "cost",
                            "priority",
                            "probation",
                            "preferred",
                            "package",
                        ];
                        let (i, d) = hb
                            .terms
                            .iter()
                            .zip(b.breakdown.terms.iter())
                            .map(|(a, b)| a - b)
                            .enumerate()
                            .fold(
                                (0, f64::MIN),
                                |acc, (i, d)| if d > acc.1 { (i, d) } else { acc },
                            );
                        format!("{outlet_id} is eligible (day {}) but scores {:.2} vs {:.2} for {}: it loses by {gap:.2}, most on {} (+{d:.2})", hit.day, hit.score, b.breakdown.score, b.outlet_id, names[i])
                    }
                    _ => format!(
                        "{outlet_id} is the best outlet (day {}, score {:.2})",
                        hit.day, hit.score
                    ),
                };
            }
            Err(rule) => {
                out.failed = Some(rule);
                out.text = match rule {
                    Rule::Status => {
                        format!("{outlet_id} is {} and takes no tickets", o.status.as_str())
                    }
                    Rule::Avoided => format!("ticket asks to avoid {outlet_id}"),
                    Rule::OutsideArea => match &o.area {
                        AreaRule::Radius(km) => format!(
                            "ticket is {gc:.1} km away; {outlet_id}'s service radius is {km:.1} km"
                        ),
                        AreaRule::Regions(_) => {
                            format!("{outlet_id} does not serve region {}", ticket.region)
                        }
                        AreaRule::Polygons(..) => {
                            format!("ticket is outside {outlet_id}'s service polygons")
                        }
                    },
                    Rule::TooFar if r.claim.carry_in() => format!(
                        "{outlet_id} is {:.1} road km away; the package asks a carry-in customer to travel at most {:.1} km",
                        self.road_km(&r, oi, gc),
                        r.claim.carry_km
                    ),
                    Rule::TooFar => format!(
                        "{outlet_id} is {:.1} road km away; region {} allows at most {:.1} km",
                        self.road_km(&r, oi, gc),
                        ticket.region,
                        self.network.regions()[r.region].max_travel_km
                    ),
                    Rule::SkillFull | Rule::OutletFull | Rule::SlaUnreachable => {
                        let what = if rule == Rule::SkillFull {
                            format!("{} capacity", ticket.skill)
                        } else if rule == Rule::OutletFull {
                            "outlet-wide cap".into()
                        } else {
                            "SLA".into()
                        };
                        let road = self.road_km(&r, oi, gc);
                        let later = (days.end..self.day_end())
                            .find(|&d| self.day_rules(&r, k, road, d, f64::INFINITY).is_ok());
                        let span = if days.len() == 1 {
                            format!("day {}", days.start)
                        } else {
                            format!("days {}..={}", days.start, days.end.saturating_sub(1))
                        };
                        match later {
                            Some(d) => format!("{outlet_id}: {what} blocks {span}; has capacity on day {d} (after the SLA)"),
                            None => format!("{outlet_id}: {what} blocks {span}; no capacity later in the horizon either"),
                        }
                    }
                    Rule::NoSkill | Rule::OutsideHorizon => {
                        format!("{outlet_id}: {}", rule.as_str())
                    }
                };
            }
        }
        if route != Route::Direct {
            out.text.push_str(&format!(
                " (no outlet meets every rule within the SLA: dispatch falls back to {})",
                super::table::route_text(route)
            ));
        }
        out.text
            .push_str(&self.package_note(&r, k, out.breakdown.as_ref()));
        Ok(out)
    }
}
