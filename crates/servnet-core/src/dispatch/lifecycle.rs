//! The booking lifecycle: dispatch (find, book in the ledger), holds and their
//! confirmation or expiry, release, completion with a rating. Every change goes through
//! the [`super::Ledger`], in one call each.

use super::ledger::{Booked, Booking, Completed, Confirmed, Request, Status};
use super::policy::Fallback;
use super::resolve::Resolved;
use super::types::{Assignment, Outcome, Unassignable};
use super::Dispatcher;
use crate::model::Ticket;
use crate::{Error, Result};
use chrono::NaiveDateTime;
use smol_str::SmolStr;
use std::sync::atomic::Ordering;

/// What [`Dispatcher::book`] did: booked (or found the ticket's booking), with its
/// status; or `Err`: no outlet takes it, after these fallbacks (not yet diagnosed).
type BookAnswer = std::result::Result<(Outcome, Option<Status>), Vec<Fallback>>;

impl Dispatcher {
    pub(super) fn materialise(&self, ticket_id: SmolStr, b: &Booking) -> Assignment {
        let mut a = self.materialise_unstamped(ticket_id, b);
        if let Some(basis) = &b.claim {
            self.stamp_booked(&mut a.breakdown, basis, b.offer as usize);
        }
        a
    }

    /// [`Self::materialise`] without the package's part of the breakdown.
    fn materialise_unstamped(&self, ticket_id: SmolStr, b: &Booking) -> Assignment {
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
            hold: b.status.hold(),
        }
    }

    /// The ticket's booking (booked, held or completed).
    pub(super) fn booked(&self, ticket_id: &str) -> Result<Option<Assignment>> {
        Ok(self
            .ledger
            .get(ticket_id)?
            .map(|(id, b)| self.materialise(id, &b)))
    }

    /// What an existing booking `b` of `t`'s id means for a new request (`want_hold`: a
    /// hold request): a retry answered by the booking, or a conflict. See
    /// docs/formats.md, "Idempotency".
    fn existing(
        &self,
        t: &Ticket,
        id: SmolStr,
        b: &Booking,
        content: u64,
        want_hold: bool,
    ) -> Result<(Outcome, Option<Status>)> {
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
        match (b.status, want_hold) {
            (Status::Completed, _) | (Status::Held { .. }, true) | (Status::Booked, false) => {
                Ok((Outcome::Assigned(a), Some(b.status)))
            }
            (Status::Held { hold, .. }, false) => Err(conflict(format!(
                "it is held (hold {hold}): confirm or release the hold; dispatch does not turn a hold into a booking"
            ))),
            (Status::Booked, true) => Err(conflict(format!(
                "it is already booked firmly on outlet '{}': a hold cannot be placed on it",
                a.outlet_id
            ))),
        }
    }

    /// Capacity may now be free, so findings that none was (see [`CentresFull`]) expire.
    ///
    /// [`CentresFull`]: super::escalate::CentresFull
    fn freed(&self) {
        self.release_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Books the best offer for `r` (a hold until `hold`, if given; `content`: the
    /// ticket's fingerprint); with the booking's status in the ledger, or the fallbacks
    /// tried when no outlet takes it (diagnosed by the caller if it needs to know why).
    fn book(&self, r: &Resolved, hold: Option<NaiveDateTime>, content: u64) -> Result<BookAnswer> {
        let t = r.ticket;
        let id = SmolStr::new(&t.id);
        // A shared store is asked once, when the search finds nothing: for the ticket's
        // own booking (a retry), and for fresh loads (then the search runs again).
        let mut asked = self.ledger.local_reads();
        for _attempt in 0..16 {
            let (found, tried) = self.find(r);
            let Some((hit, route)) = found else {
                if !asked {
                    asked = true;
                    if let Some((kid, kb)) = self.known_elsewhere(&t.id)? {
                        return self.existing(t, kid, &kb, content, hold.is_some()).map(Ok);
                    }
                    continue;
                }
                return Ok(Err(tried));
            };
            let offer = &self.offers[hit.offer as usize];
            let oi = offer.outlet as usize;
            let request = Request {
                ticket_id: &id,
                booking: Booking {
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
                    status: match hold {
                        Some(expires) => Status::Held { hold: 0, expires },
                        None => Status::Booked,
                    },
                    hold: None,
                    content,
                    claim: self.claim_basis(r),
                },
                offer_limit: self.limit_for(offer.capacity, r),
                outlet_limit: self.limit_for(self.outlets[oi].daily_cap, r),
            };
            match self.ledger.book(&request)? {
                Booked::New(held) => {
                    self.note_booked(hit.offer as usize, oi, hit.day);
                    let mut b = request.booking;
                    if let (Some(hold), Status::Held { expires, .. }) = (held, b.status) {
                        b.status = Status::Held { hold, expires };
                        b.hold = Some(hold);
                    }
                    let mut a = self.materialise_unstamped(id, &b);
                    self.stamp(&mut a.breakdown, r, b.offer as usize);
                    return Ok(Ok((Outcome::Assigned(a), Some(b.status))));
                }
                // The same ticket was booked concurrently: the first booking stands.
                Booked::Existing(found) => {
                    let (id, b) = *found;
                    return self.existing(t, id, &b, content, hold.is_some()).map(Ok);
                }
                Booked::Full => {
                    // Another thread (or process) took the last units; search again. A
                    // failed reserve may have held the offer's units for a moment before
                    // giving them back: a release for `CentresFull` (and for a mark
                    // another thread set meanwhile).
                    self.freed();
                    self.note_freed(hit.offer as usize, oi, hit.day);
                }
            }
        }
        if !asked {
            if let Some((kid, kb)) = self.known_elsewhere(&t.id)? {
                return self.existing(t, kid, &kb, content, hold.is_some()).map(Ok);
            }
        }
        Ok(Err(self.policy.fallback.clone()))
    }

    /// [`Dispatcher::book`]'s answer with an unbooked ticket diagnosed (why no outlet
    /// takes it, [`Dispatcher::reasons`]).
    fn diagnosed(
        &self,
        r: &Resolved,
        booked: Result<BookAnswer>,
    ) -> Result<(Outcome, Option<Status>)> {
        Ok(booked?.unwrap_or_else(|tried| {
            let (reason, counts) = self.reasons(r);
            let u = Unassignable {
                ticket_id: SmolStr::new(&r.ticket.id),
                reason,
                counts,
                fallbacks_tried: tried,
            };
            (Outcome::Unassignable(u), None)
        }))
    }

    /// The ticket's record, any status, looked up before searching when the ledger reads
    /// locally (cheap); a shared store's book checks the id in its own round trip.
    fn known_before(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        if !self.ledger.local_reads() {
            return Ok(None);
        }
        self.ledger.get(ticket_id)
    }

    /// The ticket's record when the search found nothing and the ledger was not asked
    /// before searching: a retry gets its booking (or its conflict), not "unassignable"
    /// (a shared store's `get` also brings its view of the loads up to date).
    fn known_elsewhere(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        if self.ledger.local_reads() {
            return Ok(None);
        }
        self.ledger.get(ticket_id)
    }

    /// Picks the best outlet for the ticket and books its capacity.
    ///
    /// Idempotent (docs/formats.md, "Idempotency"): the same ticket again (same id and
    /// content) returns its booking, firm or completed, and books nothing. `Err` for bad
    /// input ([`Ticket::validate`]), for a conflict (the id booked with other content, or
    /// held: confirm or release the hold) and for a ledger that cannot record the
    /// booking; "nobody can take it" is [`Outcome::Unassignable`].
    pub fn dispatch(&self, ticket: &Ticket) -> Result<Outcome> {
        self.dispatch_with_status(ticket).map(|(o, _)| o)
    }

    /// [`Dispatcher::dispatch`], also with the booking's status in the ledger (booked,
    /// or for a known ticket id, whatever it is: held, completed).
    #[inline]
    pub fn dispatch_with_status(&self, ticket: &Ticket) -> Result<(Outcome, Option<Status>)> {
        let ids = self.ids(ticket);
        self.prefetch_for(ids);
        let content = super::bookings::content_key(ticket);
        if let Some((id, b)) = self.known_before(&ticket.id)? {
            return self.existing(ticket, id, &b, content, false);
        }
        let r = self.resolve_ids(ticket, ids)?;
        let booked = self.book(&r, None, content);
        self.diagnosed(&r, booked)
    }

    /// [`Dispatcher::dispatch`] for a caller that needs no diagnosis of the tickets no
    /// outlet takes (batch assignment's sequential baseline): `None` for those.
    pub(crate) fn dispatch_undiagnosed(&self, ticket: &Ticket) -> Result<Option<Assignment>> {
        let ids = self.ids(ticket);
        self.prefetch_for(ids);
        let content = super::bookings::content_key(ticket);
        let booked = match self.known_before(&ticket.id)? {
            Some((id, b)) => self.existing(ticket, id, &b, content, false)?,
            None => match self.book(&self.resolve_ids(ticket, ids)?, None, content)? {
                Ok(booked) => booked,
                Err(_) => return Ok(None),
            },
        };
        Ok(match booked.0 {
            Outcome::Assigned(a) => Some(a),
            Outcome::Unassignable(_) => None,
        })
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
        self.hold_with_status(ticket, ttl, now).map(|(o, _)| o)
    }

    /// [`Dispatcher::hold`], also with the booking's status in the ledger (held with its
    /// expiry, or for a known ticket id, whatever it is).
    pub fn hold_with_status(
        &self,
        ticket: &Ticket,
        ttl: chrono::Duration,
        now: NaiveDateTime,
    ) -> Result<(Outcome, Option<Status>)> {
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
        if let Some((id, b)) = self.known_before(&ticket.id)? {
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
        let booked = self.book(&r, Some(expires), content);
        self.diagnosed(&r, booked)
    }

    /// Turns a hold into a firm assignment. Fails if the hold is unknown or expired at `now`
    /// (an expired hold's capacity is returned). Confirming a confirmed hold again
    /// returns the same assignment.
    pub fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Assignment> {
        match self.ledger.confirm(hold, now)? {
            Confirmed::Confirmed(id, b) => Ok(self.materialise(id, &b)),
            Confirmed::Expired(ticket_id, b) => {
                self.freed();
                self.note_freed(b.offer as usize, b.outlet as usize, b.day);
                let expires = match b.status {
                    Status::Held { expires, .. } => expires.to_string(),
                    _ => String::new(),
                };
                Err(Error::argument(
                    "hold",
                    format!("hold {hold} for ticket '{ticket_id}' expired at {expires}"),
                ))
            }
            Confirmed::Unknown => Err(Error::Unknown {
                kind: "hold",
                id: hold.to_string(),
            }),
        }
    }

    /// Releases every hold that expired at or before `now`; returns their ticket ids (in
    /// the order the holds were given).
    pub fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<SmolStr>> {
        let expired = self.ledger.expire_holds(now)?;
        if !expired.is_empty() {
            self.freed();
        }
        for (_, b) in &expired {
            self.note_freed(b.offer as usize, b.outlet as usize, b.day);
        }
        Ok(expired.into_iter().map(|(id, _)| id).collect())
    }

    /// Cancels a booking (firm or held) and returns its capacity. A completed ticket is
    /// a conflict (its capacity stays used); an unknown one, or one already released, is
    /// [`Error::Unknown`], which a retrying caller may take as done.
    pub fn release(&self, ticket_id: &str) -> Result<Assignment> {
        let (id, b) = self
            .ledger
            .release(ticket_id)?
            .ok_or_else(|| Error::Unknown {
                kind: "ticket",
                id: ticket_id.to_string(),
            })?;
        self.freed();
        self.note_freed(b.offer as usize, b.outlet as usize, b.day);
        Ok(self.materialise(id, &b))
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
        let milli = rating.map(|x| (x * 1000.0).round() as u32);
        let (id, b) = match self.ledger.complete(ticket_id, milli)? {
            Completed::Completed(id, b) => {
                if let Some(m) = milli {
                    self.add_rating(b.offer as usize, u64::from(m), 1);
                }
                (id, b)
            }
            Completed::Already(id, b) => (id, b),
            Completed::Unknown => {
                return Err(Error::Unknown {
                    kind: "ticket",
                    id: ticket_id.to_string(),
                })
            }
        };
        Ok(self.materialise(id, &b))
    }

    /// Adds `count` ratings summing to `milli` / 1000 to offer `k`'s satisfaction.
    pub(super) fn add_rating(&self, k: usize, milli: u64, count: u32) {
        let Some(o) = self.offers.get(k) else {
            return;
        };
        // Lower the search key before the rating shows, so it stays a lower bound.
        let ahead = self.network.bayesian_satisfaction(
            (o.rating_milli.load(Ordering::Relaxed) + milli) as f64 / 1000.0,
            o.rating_count.load(Ordering::Relaxed) + count,
            self.policy.prior_weight,
        );
        let w_s = self.policy.weights.satisfaction;
        self.lower_key(k, w_s * (5.0 - ahead).max(0.0));
        o.rating_milli.fetch_add(milli, Ordering::Relaxed);
        o.rating_count.fetch_add(count, Ordering::Relaxed);
        self.lower_key(k, self.sat_term(k));
    }

    /// The current booking of a ticket (booked, held or completed), if any.
    pub fn assignment(&self, ticket_id: &str) -> Option<Assignment> {
        self.booked(ticket_id).ok().flatten()
    }

    /// The ticket's record in the ledger, whatever its status (booked, held, completed),
    /// with the status.
    pub fn booking(&self, ticket_id: &str) -> Result<Option<(Assignment, Status)>> {
        Ok(self
            .ledger
            .get(ticket_id)?
            .map(|(id, b)| (self.materialise(id, &b), b.status)))
    }
}
