//! Escalation, the last fallback: the nearest regional centre with the skill and room,
//! whatever its area; and the remembered finding that none has room.

use super::resolve::Resolved;
use super::score::Hit;
use super::search::with_scratch;
use super::Dispatcher;
use crate::geo::EARTH_RADIUS_KM;
use crate::model::SkillId;
use std::sync::atomic::{AtomicU64, Ordering};

/// A finding that no regional centre offering a skill had room for one unit on any
/// day from `from` on, at release epoch `epoch`, under the emergency limits or the
/// normal ones, packed as epoch + 1 (bits 0..40), from (40..62) and emergency (63);
/// 0 is no finding. Bookings only take room (releases and failed reserves, which give
/// units back, move the epoch on), so it holds until the epoch moves on, for
/// any later day and any units, and under normal limits also when it was found under
/// the (larger) emergency ones.
#[derive(Default)]
pub(super) struct CentresFull(AtomicU64);

impl CentresFull {
    const EPOCH_BITS: u32 = 40;

    fn record(&self, epoch: u64, from: u32, emergency: bool) {
        if epoch + 1 < 1 << Self::EPOCH_BITS && from < 1 << 22 {
            let bits =
                (epoch + 1) | u64::from(from) << Self::EPOCH_BITS | u64::from(emergency) << 63;
            self.0.store(bits, Ordering::Release);
        }
    }

    fn covers(&self, epoch: u64, from: u32, emergency: bool) -> bool {
        let bits = self.0.load(Ordering::Acquire);
        let at = bits & ((1 << Self::EPOCH_BITS) - 1);
        let since = ((bits >> Self::EPOCH_BITS) & ((1 << 22) - 1)) as u32;
        let found_emergency = bits >> 63 == 1;
        at == epoch + 1 && from >= since && (found_emergency || !emergency)
    }
}

impl Dispatcher {
    /// The nearest open regional centre with the skill and capacity from the ticket's
    /// day on (by road km, ties by outlet id), whatever its area.
    ///
    /// When every centre is full (a saturated network) this visits them all, on every
    /// day: ~200k instructions per ticket at 10k outlets. So the finding is remembered
    /// per skill until capacity is next released (see [`CentresFull`]); and centres
    /// marked full on every day from the ticket's on (`full.rs`) are skipped.
    pub(super) fn escalate(&self, r: &Resolved, skill: SkillId) -> Option<Hit> {
        let h = self.day_end();
        let from = u32::try_from(r.day0).ok()?.max(self.first_day);
        // Read before the search: a release during it makes what it finds stale.
        let epoch = self.release_epoch.load(Ordering::Acquire);
        let full = self.centres_full.get(skill.index())?;
        // The finding is kept per emergency flag; a ticket that may use the package
        // reserve sees more room than one that may not, so it neither reads nor writes it.
        let cache =
            self.own_ledger && (r.emergency || !self.package_reserve_on() || !r.claim.privileged);
        if cache && full.covers(epoch, from, r.emergency) {
            return None;
        }
        let mut best: Option<(f64, u32, Hit)> = None;
        let per_d = self.road_per_chord_km() * EARTH_RADIUS_KM;
        let tree = &self.index[skill.index()].centres;
        // Centres marked full on every day from the ticket's on have no room for it.
        let skip = self.full_days(from..h);
        with_scratch(|scratch| {
            tree.best_first(
                scratch,
                &r.xyz,
                f64::INFINITY,
                None,
                f64::INFINITY,
                per_d,
                skip,
                |_, k, _, _| {
                    let offer = &self.offers[k as usize];
                    let road = self.road_km(r, offer.outlet as usize, self.gc_km(r, k as usize));
                    let key = (road, offer.outlet);
                    let beats = best.as_ref().is_none_or(|(d, o, _)| key < (*d, *o));
                    if beats && !r.avoid.contains(&offer.outlet) {
                        let hit = (from..h).find_map(|day| {
                            let travel = if r.claim.carry_in() { 0.0 } else { road };
                            self.day_rules(r, k as usize, travel, day, f64::INFINITY)
                                .ok()
                        });
                        if let Some(hit) = hit {
                            best = Some((road, offer.outlet, hit));
                        }
                    }
                    best.as_ref().map_or(f64::INFINITY, |b| b.0)
                },
            )
        });
        // Every centre was checked for one unit (no avoid list): none has room.
        if cache && best.is_none() && r.ticket.units == 1 && r.avoid.is_empty() {
            full.record(epoch, from, r.emergency);
        }
        best.map(|(_, _, h)| h)
    }
}
