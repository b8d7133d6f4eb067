//! Booking a batch plan's assignment in the ledger: what a caller does once it accepts
//! [`crate::assign`]'s plan, and what a campaign schedule does to keep customer tickets
//! first (their plan is booked, then campaign tickets see only the capacity left).

use super::ledger::{Booked, Booking, Request, Status};
use super::types::Route;
use super::Dispatcher;
use crate::model::Ticket;
use crate::{Error, Result};
use smol_str::SmolStr;

impl Dispatcher {
    /// Books `ticket` on `outlet_id` for `day` as a firm booking (the outlet and day a
    /// batch plan chose), under the same limits as dispatch: the skill's and the
    /// outlet's capacity, less the emergency reserve unless the ticket is an emergency.
    ///
    /// `Ok(true)`: booked; `Ok(false)`: nothing booked, because a limit would be passed
    /// or the ticket id is booked already. `Err`: the ticket is invalid, the outlet is
    /// unknown or does not offer the skill, or the day is outside the days counted.
    pub fn book_planned(
        &self,
        ticket: &Ticket,
        outlet_id: &str,
        day: u32,
        road_km: f64,
    ) -> Result<bool> {
        let r = self.resolve(ticket)?;
        let oi = self.network.known_outlet(outlet_id)?;
        let offer = r.skill.and_then(|s| self.offer_of(oi, s)).ok_or_else(|| {
            Error::argument(
                "outlet_id",
                format!(
                    "outlet '{outlet_id}' does not offer skill '{}' (ticket '{}')",
                    ticket.skill, ticket.id
                ),
            )
        })?;
        if !(self.first_day..self.day_end()).contains(&day) {
            return Err(Error::argument(
                "day",
                format!(
                    "ticket '{}': expected a day in {}..{}, got {day}",
                    ticket.id,
                    self.first_day,
                    self.day_end()
                ),
            ));
        }
        let info = &self.offers[offer as usize];
        let used = self.ledger.offer_used(offer as usize, day);
        let cap = info.capacity.max(1);
        let id = SmolStr::new(&ticket.id);
        let request = Request {
            ticket_id: &id,
            booking: Booking {
                offer,
                outlet: oi as u32,
                day,
                units: ticket.units,
                road: road_km,
                load_ratio: f64::from(used.saturating_add(ticket.units)) / f64::from(cap),
                satisfaction: self.satisfaction(offer as usize),
                preferred: r.preferred == Some(oi as u32),
                sla_met: self.sla_met(&r, day, road_km),
                route: Route::Direct,
                status: Status::Booked,
                hold: None,
                content: 0,
                claim: self.claim_basis(&r),
            },
            offer_limit: self.limit(info.capacity, r.emergency),
            outlet_limit: self.limit(self.outlets[oi].daily_cap, r.emergency),
        };
        Ok(matches!(self.ledger.book(&request)?, Booked::New(_)))
    }
}
