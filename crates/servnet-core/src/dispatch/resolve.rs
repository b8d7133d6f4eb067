//! A ticket resolved to the dispatcher's indices, and its SLA clock: which days the
//! SLA allows and how far an outlet may be on each.

use super::package::Claim;
use super::rules::Mode;
use super::Dispatcher;
use crate::geo::unit_vector;
use crate::model::{Priority, SkillId, Ticket};
use crate::Result;
use chrono::NaiveDateTime;

/// A ticket with its references resolved to indices.
pub(super) struct Resolved<'t> {
    pub(super) ticket: &'t Ticket,
    pub(super) skill: Option<SkillId>,
    pub(super) region: usize,
    pub(super) xyz: [f64; 3],
    pub(super) emergency: bool,
    pub(super) avoid: Vec<u32>,
    pub(super) preferred: Option<u32>,
    pub(super) day0: i64,
    /// Milliseconds (on the naive clock) of `created_at`, of day 0's start, and of `due_by` or
    /// `created_at + max_response_hours` if earlier: the SLA arithmetic per outlet and
    /// day stays integer (chrono's calendar math cost ~300 instructions per dispatch).
    pub(super) created: i64,
    pub(super) start: i64,
    pub(super) deadline: i64,
    /// The ticket's service package, mode and weight ([`Claim::NONE`] without one).
    pub(super) claim: Claim,
}

/// Milliseconds of a naive date-time since the naive epoch (a leap second stays in its
/// own second, as `NaiveDateTime::date` keeps it in its own day).
fn millis(t: NaiveDateTime) -> i64 {
    let t = t.and_utc();
    t.timestamp() * 1000 + i64::from(t.timestamp_subsec_millis().min(999))
}

const DAY_MS: i64 = 86_400_000;

impl Dispatcher {
    /// The ticket's skill and region, if known.
    pub(super) fn ids(&self, t: &Ticket) -> (Option<SkillId>, Option<usize>) {
        (
            self.network.skill_id(&t.skill),
            self.network.region_index(&t.region),
        )
    }

    /// Starts loading the skill tree's nodes near the ticket's region centre, so that
    /// they arrive while the ticket map is searched (a hint; no effect on results).
    pub(super) fn prefetch_for(&self, ids: (Option<SkillId>, Option<usize>)) {
        if let (Some(skill), Some(region)) = ids {
            let n = self.network.regions().len();
            if let Some(&leaf) = self.hints.get(skill.index() * n + region) {
                self.index[skill.index()].tree.prefetch_path(leaf);
            }
        }
    }

    pub(super) fn resolve<'t>(&self, t: &'t Ticket) -> Result<Resolved<'t>> {
        self.resolve_ids(t, self.ids(t))
    }

    /// [`Dispatcher::resolve`] with the ticket's [`Dispatcher::ids`] already looked up.
    pub(super) fn resolve_ids<'t>(
        &self,
        t: &'t Ticket,
        (skill, region): (Option<SkillId>, Option<usize>),
    ) -> Result<Resolved<'t>> {
        // One judge of tickets for the readers, the dispatcher and Python.
        let refs = t
            .refs(&self.network, skill, region)
            .map_err(|p| t.error(p))?;
        let (skill, region) = (refs.skill, refs.region);
        let (avoid, preferred) = (refs.avoid, refs.preferred);
        let start = millis(
            self.start
                .get_or_init(|| t.created_at.date())
                .and_time(chrono::NaiveTime::MIN),
        );
        let created = millis(t.created_at);
        let claim = self.claim(t, skill, region);
        let hours = self.network.regions()[region]
            .max_response_hours
            .min(claim.response_hours);
        let response = created.saturating_add((hours * 3_600_000.0).round() as i64);
        Ok(Resolved {
            ticket: t,
            skill,
            region,
            xyz: unit_vector(t.lon, t.lat),
            emergency: t.priority == Priority::Emergency,
            avoid,
            preferred,
            day0: (created - start).div_euclid(DAY_MS),
            created,
            start,
            deadline: millis(t.due_by).min(response),
            claim,
        })
    }

    /// Milliseconds at which `day` starts.
    fn day_start(r: &Resolved, day: u32) -> i64 {
        r.start.saturating_add(DAY_MS * i64::from(day))
    }

    /// The most road km a ticket served on `day` can be from its outlet and still meet
    /// its deadline: (deadline - earliest start that day) x speed.
    fn sla_road_km(&self, r: &Resolved, day: u32) -> f64 {
        let earliest = Self::day_start(r, day).max(r.created);
        r.deadline.saturating_sub(earliest) as f64 / 3_600_000.0 * self.policy.speed_kmh
    }

    /// Whether service on `day` after `road_km` of travel meets the deadline.
    pub(super) fn sla_met(&self, r: &Resolved, day: u32, road_km: f64) -> bool {
        road_km <= self.sla_road_km(r, day)
    }

    /// The SLA travel limit a search applies on `day` (none when the mode does not filter).
    pub(super) fn sla_limit(&self, r: &Resolved, day: u32, mode: Mode) -> f64 {
        if mode.sla_filter {
            self.sla_road_km(r, day)
        } else {
            f64::INFINITY
        }
    }

    /// Days the SLA allows (from the ticket's own day, or the first day counted if that
    /// is later: a ticket opened before it, even before day 0, is a backlog ticket served
    /// from the first day counted on), within the horizon.
    pub(super) fn sla_days(&self, r: &Resolved) -> std::ops::Range<u32> {
        let h = i64::from(self.day_end());
        if r.day0 >= h {
            return 0..0;
        }
        let first = r.day0.max(i64::from(self.first_day));
        let mut last = first;
        while last + 1 < h && Self::day_start(r, (last + 1) as u32) <= r.deadline {
            last += 1;
        }
        first as u32..last as u32 + 1
    }
}
