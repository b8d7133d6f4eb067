//! What is booked: load rows for reports, and the used units per outlet and offer.

use super::types::LoadRow;
use super::Dispatcher;
use crate::model::SkillId;
use crate::{Error, Result};
use std::sync::atomic::Ordering;

impl Dispatcher {
    /// Brings the ledger's view of the loads up to date: with a ledger shared with other
    /// processes (Redis), what they booked since this one last heard (one round trip);
    /// nothing to do for a ledger of this process. Call it before [`Dispatcher::loads`]
    /// for a report.
    pub fn refresh(&self) -> Result<()> {
        self.ledger.refresh()
    }

    /// Booked load per outlet skill and day counted (rows with bookings, plus every row of
    /// the first day counted), by outlet in the network's order, then its skills in their
    /// order, then day. With a shared ledger, as this process last heard:
    /// [`Dispatcher::refresh`] first for the store's current loads.
    pub fn loads(&self) -> Vec<LoadRow> {
        let mut rows = Vec::new();
        // By outlet, then its skills in the network's order (offers are numbered by skill).
        let by_outlet = self
            .first_offer
            .iter()
            .enumerate()
            .flat_map(|(oi, &first)| {
                let n = self.network.offer_skills(oi).len();
                let at = first as usize;
                self.offer_at
                    .get(at..at + n)
                    .unwrap_or_default()
                    .iter()
                    .copied()
            });
        for k in by_outlet {
            let k = k as usize;
            let Some(offer) = self.offers.get(k) else {
                continue;
            };
            let oi = offer.outlet as usize;
            for day in self.first_day..self.day_end() {
                let used = self.ledger.offer_used(k, day);
                if used > 0 || day == self.first_day {
                    rows.push(LoadRow {
                        outlet_id: self.outlet_ids[oi].clone(),
                        skill: self.skill_names[offer.skill.index()].clone(),
                        day,
                        used,
                        capacity: offer.capacity,
                        outlet_used: self.ledger.outlet_used(oi, day),
                        outlet_cap: self.outlets[oi].daily_cap,
                    });
                }
            }
        }
        rows
    }

    /// Units booked outlet-wide on a day, by outlet index.
    pub fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.ledger.outlet_used(outlet, day)
    }

    /// Units booked for outlet `outlet`'s skill `skill` on a day (0 if it lacks the skill).
    pub fn skill_used(&self, outlet: usize, skill: SkillId, day: u32) -> u32 {
        self.offer_of(outlet, skill)
            .map_or(0, |k| self.ledger.offer_used(k as usize, day))
    }

    /// The offer number the [`Ledger`] sees for `outlet`'s `skill` (see
    /// [`Dispatcher::with_ledger`]), if the outlet offers the skill.
    pub fn offer_number(&self, outlet: usize, skill: SkillId) -> Option<usize> {
        self.offer_of(outlet, skill).map(|k| k as usize)
    }

    /// Sets the units an outlet's skill has committed outside this dispatcher on `day`
    /// (what the `load` column gives for day 0): the ledger's counters move by the
    /// difference from the units set before.
    pub fn set_load(&self, outlet_id: &str, skill: &str, day: u32, units: u32) -> Result<()> {
        let oi = self.network.known_outlet(outlet_id)?;
        let k = self
            .network
            .skill_id(skill)
            .and_then(|s| self.offer_of(oi, s))
            .ok_or_else(|| {
                Error::argument(
                    "skill",
                    format!("outlet '{outlet_id}' does not offer skill '{skill}'"),
                )
            })?;
        if !(self.first_day..self.day_end()).contains(&day) {
            return Err(Error::argument(
                "day",
                format!(
                    "expected a day in {}..{} (the days counted), got {day}",
                    self.first_day,
                    self.day_end()
                ),
            ));
        }
        self.ledger.set_load(k as usize, day, units)?;
        // Capacity may have been freed.
        self.release_epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(o) = self.offers.get(k as usize) {
            self.note_freed(k as usize, o.outlet as usize, day);
        }
        Ok(())
    }

    /// What the ledger holds and writes (for metrics).
    pub fn ledger_stats(&self) -> super::LedgerStats {
        self.ledger.stats()
    }
}
