//! The booking lifecycle: dispatch (find, reserve in the ledger, record), holds and
//! their confirmation or expiry, release, completion with a rating.

use super::bookings::{lock, Booking};
use super::resolve::Resolved;
use super::types::{Assignment, Outcome, Unassignable};
use super::Dispatcher;
use crate::model::Ticket;
use crate::{Error, Result};
use chrono::NaiveDateTime;
use smol_str::SmolStr;
use std::sync::atomic::Ordering;

impl Dispatcher {
    fn materialise(&self, ticket_id: SmolStr, b: &Booking) -> Assignment {
        Assignment {
            ticket_id,
            outlet_id: self.outlet_ids[b.outlet as usize].clone(),
            skill: self.skill_names[self.offers[b.offer as usize].skill.index()].clone(),
            day: b.day,
            units: b.units,
            breakdown: self.breakdown_of(
                b.offer as usize,
                b.units,
                b.road,
                b.load_ratio,
                b.satisfaction,
                b.preferred,
            ),
            sla_met: b.sla_met,
            route: b.route,
            hold: b.hold,
        }
    }

    pub(super) fn booked(&self, ticket_id: &str) -> Option<Assignment> {
        self.bookings
            .get(ticket_id)
            .map(|(id, b)| self.materialise(id, &b))
    }

    /// Returns units to the ledger; capacity may now be free, so findings that none was
    /// (see [`CentresFull`]) expire.
    fn unbook(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        self.ledger.release(offer, outlet, day, units);
        self.release_epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn book(&self, r: &Resolved, hold: Option<(u64, NaiveDateTime)>) -> Outcome {
        let t = r.ticket;
        for _attempt in 0..16 {
            let (found, tried) = self.find(r);
            let Some((hit, route)) = found else {
                let (reason, counts) = self.reasons(r);
                return Outcome::Unassignable(Unassignable {
                    ticket_id: SmolStr::new(&t.id),
                    reason,
                    counts,
                    fallbacks_tried: tried,
                });
            };
            let offer = &self.offers[hit.offer as usize];
            let oi = offer.outlet as usize;
            let ok = self.ledger.try_reserve(
                hit.offer as usize,
                oi,
                hit.day,
                t.units,
                self.limit(offer.capacity, r.emergency),
                self.limit(self.outlets[oi].daily_cap, r.emergency),
            );
            if !ok {
                // Another thread took the last units; search again. A failed reserve may
                // have held the offer's units for a moment before giving them back: a
                // release for `CentresFull`, whose findings must then expire.
                self.release_epoch.fetch_add(1, Ordering::AcqRel);
                continue;
            }
            let b = Booking {
                offer: hit.offer,
                outlet: offer.outlet,
                day: hit.day,
                units: t.units,
                road: hit.road,
                load_ratio: hit.load_ratio,
                satisfaction: self.satisfaction(hit.offer as usize),
                preferred: r.preferred == Some(offer.outlet),
                sla_met: self.sla_met(r, hit.day, hit.road),
                route,
                hold: hold.map(|h| h.0),
            };
            let id = SmolStr::new(&t.id);
            if let Err(existing) = self.bookings.insert_first(&id, b) {
                // The same ticket was booked concurrently: keep the first booking only.
                self.unbook(b.offer as usize, oi, b.day, b.units);
                return Outcome::Assigned(self.materialise(id, &existing));
            }
            if let Some((hold_id, expires)) = hold {
                lock(&self.holds).insert(hold_id, (id.clone(), expires));
            }
            return Outcome::Assigned(self.materialise(id, &b));
        }
        let (reason, counts) = self.reasons(r);
        Outcome::Unassignable(Unassignable {
            ticket_id: SmolStr::new(&t.id),
            reason,
            counts,
            fallbacks_tried: self.policy.fallback.clone(),
        })
    }

    /// Picks the best outlet for the ticket and books its capacity.
    ///
    /// Idempotent: a ticket id already booked (or held) returns its existing assignment
    /// and books nothing. `Err` only for bad input (unknown region or outlet ids, bad
    /// coordinates, zero units); "nobody can take it" is [`Outcome::Unassignable`].
    pub fn dispatch(&self, ticket: &Ticket) -> Result<Outcome> {
        let ids = self.ids(ticket);
        self.prefetch_for(ids);
        if let Some(a) = self.booked(&ticket.id) {
            return Ok(Outcome::Assigned(a));
        }
        let r = self.resolve_ids(ticket, ids)?;
        Ok(self.book(&r, None))
    }

    /// Books capacity for the ticket while the customer confirms; the booking lasts until
    /// `now + ttl`, then [`Dispatcher::expire_holds`] returns it. Confirm with
    /// [`Dispatcher::confirm`].
    pub fn hold(
        &self,
        ticket: &Ticket,
        ttl: chrono::Duration,
        now: NaiveDateTime,
    ) -> Result<Outcome> {
        if let Some(a) = self.booked(&ticket.id) {
            return Ok(Outcome::Assigned(a));
        }
        let r = self.resolve(ticket)?;
        let expires = now.checked_add_signed(ttl).ok_or_else(|| {
            Error::argument(
                "ttl",
                format!(
                    "hold for ticket '{}': {now} + {ttl} is out of range",
                    ticket.id
                ),
            )
        })?;
        let id = self.next_hold.fetch_add(1, Ordering::Relaxed);
        Ok(self.book(&r, Some((id, expires))))
    }

    /// Turns a hold into a firm assignment. Fails if the hold is unknown or expired at `now`
    /// (an expired hold's capacity is returned).
    pub fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Assignment> {
        let entry = lock(&self.holds).remove(&hold);
        let Some((ticket_id, expires)) = entry else {
            return Err(Error::Unknown {
                kind: "hold",
                id: hold.to_string(),
            });
        };
        if now >= expires {
            self.release(&ticket_id)?;
            return Err(Error::argument(
                "hold",
                format!("hold {hold} for ticket '{ticket_id}' expired at {expires}"),
            ));
        }
        match self.bookings.update(&ticket_id, |b| b.hold = None) {
            Some(b) => Ok(self.materialise(ticket_id, &b)),
            None => Err(Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            }),
        }
    }

    /// Releases every hold that expired at or before `now`; returns their ticket ids.
    pub fn expire_holds(&self, now: NaiveDateTime) -> Vec<SmolStr> {
        let expired: Vec<(u64, SmolStr)> = {
            let mut holds = lock(&self.holds);
            let ids: Vec<u64> = holds
                .iter()
                .filter(|(_, (_, e))| *e <= now)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| holds.remove(&id).map(|(t, _)| (id, t)))
                .collect()
        };
        expired
            .into_iter()
            .filter_map(|(_, t)| self.release(&t).ok().map(|a| a.ticket_id))
            .collect()
    }

    /// Cancels a booking and returns its capacity.
    pub fn release(&self, ticket_id: &str) -> Result<Assignment> {
        let (id, a) = self
            .bookings
            .remove(ticket_id)
            .ok_or_else(|| Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            })?;
        self.unbook(a.offer as usize, a.outlet as usize, a.day, a.units);
        if let Some(h) = a.hold {
            lock(&self.holds).remove(&h);
        }
        Ok(self.materialise(id, &a))
    }

    /// Marks a booking done (its capacity stays used for that day) and, with a follow-up
    /// rating in 1..=5, updates the outlet's satisfaction for that skill.
    pub fn complete(&self, ticket_id: &str, rating: Option<f64>) -> Result<Assignment> {
        if let Some(x) = rating {
            if !(1.0..=5.0).contains(&x) {
                return Err(Error::argument(
                    "rating",
                    format!("expected a rating in 1..=5, got {x}"),
                ));
            }
        }
        let (id, a) = self
            .bookings
            .remove(ticket_id)
            .ok_or_else(|| Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            })?;
        if let Some(x) = rating {
            let k = a.offer as usize;
            let o = &self.offers[k];
            let milli = (x * 1000.0).round() as u64;
            // Lower the search key before the rating shows, so it stays a lower bound.
            let ahead = self.network.bayesian_satisfaction(
                (o.rating_milli.load(Ordering::Relaxed) + milli) as f64 / 1000.0,
                o.rating_count.load(Ordering::Relaxed) + 1,
                self.policy.prior_weight,
            );
            let w_s = self.policy.weights.satisfaction;
            self.lower_key(k, w_s * (5.0 - ahead).max(0.0));
            o.rating_milli.fetch_add(milli, Ordering::Relaxed);
            o.rating_count.fetch_add(1, Ordering::Relaxed);
            self.lower_key(k, self.sat_term(k));
        }
        Ok(self.materialise(id, &a))
    }

    /// The current booking of a ticket, if any.
    pub fn assignment(&self, ticket_id: &str) -> Option<Assignment> {
        self.booked(ticket_id)
    }
}
