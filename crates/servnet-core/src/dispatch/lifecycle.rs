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
            hold: if b.held { b.hold } else { None },
        }
    }

    /// What an existing booking means for a new request `t` (`want_hold`: a hold
    /// request): `Ok(Some(a))` a retry answered by the booking, `Err` a conflict.
    /// See docs/formats.md, "Idempotency".
    fn existing(
        &self,
        t: &Ticket,
        id: SmolStr,
        b: &Booking,
        content: u64,
        want_hold: bool,
    ) -> Result<Outcome> {
        let a = self.materialise(id, b);
        let conflict = |message: String| Error::Conflict {
            id: t.id.clone(),
            message,
        };
        if b.content != content {
            return Err(conflict(format!(
                "already booked on outlet '{}' for {} x {} on day {}; this request asks {} x {} (created_at {}, due_by {}, region {}): another ticket needs another id",
                a.outlet_id, a.units, a.skill, a.day, t.units, t.skill, t.created_at, t.due_by, t.region
            )));
        }
        match (b.done, b.held, want_hold) {
            (true, _, _) => Ok(Outcome::Assigned(a)),
            (false, true, true) | (false, false, false) => Ok(Outcome::Assigned(a)),
            (false, true, false) => Err(conflict(format!(
                "it is held (hold {}): confirm or release the hold; dispatch does not turn a hold into a booking",
                b.hold.unwrap_or_default()
            ))),
            (false, false, true) => Err(conflict(format!(
                "it is already booked firmly on outlet '{}': a hold cannot be placed on it",
                a.outlet_id
            ))),
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

    fn book(
        &self,
        r: &Resolved,
        hold: Option<(u64, NaiveDateTime)>,
        content: u64,
    ) -> Result<Outcome> {
        let t = r.ticket;
        for _attempt in 0..16 {
            let (found, tried) = self.find(r);
            let Some((hit, route)) = found else {
                let (reason, counts) = self.reasons(r);
                return Ok(Outcome::Unassignable(Unassignable {
                    ticket_id: SmolStr::new(&t.id),
                    reason,
                    counts,
                    fallbacks_tried: tried,
                }));
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
                held: hold.is_some(),
                done: false,
                content,
            };
            let id = SmolStr::new(&t.id);
            if let Err(existing) = self.bookings.insert_first(&id, b) {
                // The same ticket was booked concurrently: keep the first booking only.
                self.unbook(b.offer as usize, oi, b.day, b.units);
                return self.existing(t, id, &existing, content, hold.is_some());
            }
            if let Some((hold_id, expires)) = hold {
                lock(&self.holds).insert(hold_id, (id.clone(), Some(expires)));
            }
            return Ok(Outcome::Assigned(self.materialise(id, &b)));
        }
        let (reason, counts) = self.reasons(r);
        Ok(Outcome::Unassignable(Unassignable {
            ticket_id: SmolStr::new(&t.id),
            reason,
            counts,
            fallbacks_tried: self.policy.fallback.clone(),
        }))
    }

    /// Picks the best outlet for the ticket and books its capacity.
    ///
    /// Idempotent (docs/formats.md, "Idempotency"): the same ticket again (same id and
    /// content) returns its booking, firm or completed, and books nothing. `Err` for bad
    /// input ([`Ticket::validate`]) and for a conflict: the id booked with other content,
    /// or held (confirm or release the hold). "Nobody can take it" is
    /// [`Outcome::Unassignable`].
    pub fn dispatch(&self, ticket: &Ticket) -> Result<Outcome> {
        let ids = self.ids(ticket);
        self.prefetch_for(ids);
        let content = super::bookings::content_key(ticket);
        if let Some((id, b)) = self.bookings.get(&ticket.id) {
            return self.existing(ticket, id, &b, content, false);
        }
        let r = self.resolve_ids(ticket, ids)?;
        self.book(&r, None, content)
    }

    /// Books capacity for the ticket while the customer confirms; the booking lasts until
    /// `now + ttl` (`ttl` > 0), then [`Dispatcher::expire_holds`] returns it. Confirm with
    /// [`Dispatcher::confirm`]. The same hold request again returns the live hold; a
    /// ticket already booked firmly, or the id with other content, is a conflict.
    pub fn hold(
        &self,
        ticket: &Ticket,
        ttl: chrono::Duration,
        now: NaiveDateTime,
    ) -> Result<Outcome> {
        if ttl <= chrono::Duration::zero() {
            return Err(Error::argument(
                "ttl",
                format!(
                    "hold for ticket '{}': expected a time to live > 0, got {ttl}",
                    ticket.id
                ),
            ));
        }
        let content = super::bookings::content_key(ticket);
        if let Some((id, b)) = self.bookings.get(&ticket.id) {
            return self.existing(ticket, id, &b, content, true);
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
        self.book(&r, Some((id, expires)), content)
    }

    /// Turns a hold into a firm assignment. Fails if the hold is unknown or expired at `now`
    /// (an expired hold's capacity is returned). Confirming a confirmed hold again
    /// returns the same assignment.
    pub fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Assignment> {
        let unknown = || Error::Unknown {
            kind: "hold",
            id: hold.to_string(),
        };
        let (ticket_id, expires) = {
            let mut holds = lock(&self.holds);
            let Some((ticket_id, expires)) = holds.get(&hold).cloned() else {
                return Err(unknown());
            };
            match expires {
                Some(e) if now >= e => {
                    holds.remove(&hold);
                }
                Some(_) => {
                    holds.insert(hold, (ticket_id.clone(), None));
                }
                None => {}
            }
            (ticket_id, expires)
        };
        if let Some(e) = expires.filter(|&e| now >= e) {
            self.release(&ticket_id)?;
            return Err(Error::argument(
                "hold",
                format!("hold {hold} for ticket '{ticket_id}' expired at {e}"),
            ));
        }
        let confirmed = self.bookings.update(&ticket_id, |b| {
            if b.hold == Some(hold) {
                b.held = false;
            }
        });
        match confirmed {
            Some(b) if b.hold == Some(hold) => Ok(self.materialise(ticket_id, &b)),
            _ => Err(unknown()),
        }
    }

    /// Releases every hold that expired at or before `now`; returns their ticket ids.
    pub fn expire_holds(&self, now: NaiveDateTime) -> Vec<SmolStr> {
        let expired: Vec<(u64, SmolStr)> = {
            let mut holds = lock(&self.holds);
            let ids: Vec<u64> = holds
                .iter()
                .filter(|(_, (_, e))| e.is_some_and(|e| e <= now))
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

    /// Cancels a booking (firm or held) and returns its capacity. A completed ticket is
    /// a conflict (its capacity stays used); an unknown one, or one already released, is
    /// [`Error::Unknown`], which a retrying caller may take as done.
    pub fn release(&self, ticket_id: &str) -> Result<Assignment> {
        if self.bookings.get(ticket_id).is_some_and(|(_, b)| b.done) {
            return Err(Error::Conflict {
                id: ticket_id.to_string(),
                message: "it is completed: its capacity stays used and it cannot be released"
                    .into(),
            });
        }
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

    /// Marks a firm booking done (its capacity stays used for that day, and the id
    /// cannot book again) and, with a follow-up rating in 1..=5, updates the outlet's
    /// satisfaction for that skill. Completing it again returns the same assignment and
    /// counts no second rating; a held ticket is a conflict (confirm it first).
    pub fn complete(&self, ticket_id: &str, rating: Option<f64>) -> Result<Assignment> {
        if let Some(x) = rating {
            if !(1.0..=5.0).contains(&x) {
                return Err(Error::argument(
                    "rating",
                    format!("expected a rating in 1..=5, got {x}"),
                ));
            }
        }
        let mut before = None;
        let updated = self.bookings.update(ticket_id, |b| {
            before = Some(*b);
            if !b.held {
                b.done = true;
            }
        });
        let (Some(before), Some(a)) = (before, updated) else {
            return Err(Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            });
        };
        let id = SmolStr::new(ticket_id);
        if before.held {
            return Err(Error::Conflict {
                id: ticket_id.to_string(),
                message: format!(
                    "it is held (hold {}): confirm the hold before completing",
                    before.hold.unwrap_or_default()
                ),
            });
        }
        if before.done {
            return Ok(self.materialise(id, &a));
        }
        if let Some(h) = a.hold {
            lock(&self.holds).remove(&h);
        }
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
