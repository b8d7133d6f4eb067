//! A booking as the in-memory ticket map stores it: 56 bytes instead of the 80 of a
//! [`Booking`] (whose `Route` and `Status` enums carry an `f64` factor and a hold's
//! expiry that almost no booking needs). The rare parts live beside the record, per
//! shard: a wider-radius factor as an index into the shard's few distinct factors, and a
//! booking that does not fit at all (a hold still waiting for its confirm, a day beyond
//! 65,535, 2^24 units or more, a hold id 0) whole in a side map. Unpacking gives back every bit that was
//! packed.

use super::ledger::{Booking, ClaimBasis, Status};
use super::types::Route;
use std::collections::BTreeMap;

/// Bits of [`Packed::units`] that hold the units.
const UNITS_BITS: u32 = 24;
const PREFERRED: u8 = 1;
const SLA_MET: u8 = 2;
const COMPLETED: u8 = 4;
/// The booking is in the shard's side map (the rest of the record means nothing).
const SPILLED: u8 = 8;
/// Route in bits 4-5.
const ROUTE_SHIFT: u8 = 4;
const DIRECT: u8 = 0;
const NEXT_DAY: u8 = 1;
const ESCALATED: u8 = 2;
const WIDER: u8 = 3;

/// The packed fields of one booking (56 bytes).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Packed {
    road: f64,
    load_ratio: f64,
    satisfaction: f64,
    content: u64,
    /// The hold id, 0 for none.
    hold: u64,
    offer: u32,
    outlet: u32,
    /// Units in the low 24 bits, the package claim's basis above
    /// ([`ClaimBasis::to_bits`]); more units spill.
    units: u32,
    day: u16,
    flags: u8,
    /// Index of the wider-radius factor in [`Spill::factors`].
    factor: u8,
}

/// What a shard keeps beside its packed records.
#[derive(Debug, Default)]
pub(super) struct Spill {
    /// Distinct wider-radius factors (by bits), in first-seen order: a policy has a few.
    factors: Vec<u64>,
    /// Record number -> a booking that does not pack.
    whole: BTreeMap<u32, Booking>,
}

impl Spill {
    /// Packs `b` as record `at` (replacing what `at` held).
    pub(super) fn pack(&mut self, at: u32, b: &Booking) -> Packed {
        match self.try_pack(b) {
            Some(p) => {
                if !self.whole.is_empty() {
                    self.whole.remove(&at);
                }
                p
            }
            None => {
                self.whole.insert(at, *b);
                Packed {
                    flags: SPILLED,
                    ..Packed::default()
                }
            }
        }
    }

    /// Forgets record `at` (removed).
    pub(super) fn forget(&mut self, at: u32, p: &Packed) {
        if p.flags & SPILLED != 0 {
            self.whole.remove(&at);
        }
    }

    fn try_pack(&mut self, b: &Booking) -> Option<Packed> {
        let day = u16::try_from(b.day).ok()?;
        let hold = match b.hold {
            None => 0,
            Some(0) => return None,
            Some(h) => h,
        };
        let (route, factor) = match b.route {
            Route::Direct => (DIRECT, 0),
            Route::NextDay => (NEXT_DAY, 0),
            Route::Escalated => (ESCALATED, 0),
            Route::WiderRadius(x) => (WIDER, self.factor_index(x)?),
        };
        let completed = match b.status {
            Status::Booked => 0,
            Status::Completed => COMPLETED,
            Status::Held { .. } => return None,
        };
        Some(Packed {
            road: b.road,
            load_ratio: b.load_ratio,
            satisfaction: b.satisfaction,
            content: b.content,
            hold,
            offer: b.offer,
            outlet: b.outlet,
            units: (b.units < 1 << UNITS_BITS)
                .then_some(b.units | u32::from(ClaimBasis::to_bits(b.claim)) << UNITS_BITS)?,
            day,
            flags: (u8::from(b.preferred) * PREFERRED)
                | (u8::from(b.sla_met) * SLA_MET)
                | completed
                | route << ROUTE_SHIFT,
            factor,
        })
    }

    /// The index of factor `x`, added if new (`None` past 256 distinct factors).
    fn factor_index(&mut self, x: f64) -> Option<u8> {
        let bits = x.to_bits();
        if let Some(i) = self.factors.iter().position(|&f| f == bits) {
            return u8::try_from(i).ok();
        }
        let i = u8::try_from(self.factors.len()).ok()?;
        self.factors.push(bits);
        Some(i)
    }

    /// The booking packed as record `at`.
    pub(super) fn unpack(&self, at: u32, p: &Packed) -> Option<Booking> {
        if p.flags & SPILLED != 0 {
            return self.whole.get(&at).copied();
        }
        let route = match (p.flags >> ROUTE_SHIFT) & 3 {
            DIRECT => Route::Direct,
            NEXT_DAY => Route::NextDay,
            ESCALATED => Route::Escalated,
            _ => Route::WiderRadius(f64::from_bits(*self.factors.get(usize::from(p.factor))?)),
        };
        Some(Booking {
            offer: p.offer,
            outlet: p.outlet,
            day: u32::from(p.day),
            units: p.units & ((1 << UNITS_BITS) - 1),
            road: p.road,
            load_ratio: p.load_ratio,
            satisfaction: p.satisfaction,
            preferred: p.flags & PREFERRED != 0,
            sla_met: p.flags & SLA_MET != 0,
            route,
            status: if p.flags & COMPLETED != 0 {
                Status::Completed
            } else {
                Status::Booked
            },
            hold: (p.hold != 0).then_some(p.hold),
            content: p.content,
            claim: ClaimBasis::from_bits((p.units >> UNITS_BITS) as u8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    #[test]
    fn a_packed_booking_takes_56_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 56);
    }

    fn any_booking() -> impl Strategy<Value = Booking> {
        let route = prop_oneof![
            Just(Route::Direct),
            Just(Route::NextDay),
            Just(Route::Escalated),
            // A few factors, so that records share them; any bits at all sometimes.
            (0u8..4).prop_map(|i| Route::WiderRadius(1.25 + f64::from(i) * 0.25)),
            any::<u64>().prop_map(|b| Route::WiderRadius(f64::from_bits(b))),
        ];
        let status = prop_oneof![
            Just(Status::Booked),
            Just(Status::Completed),
            (any::<u64>(), 0i64..4_000_000_000).prop_map(|(hold, s)| Status::Held {
                hold,
                expires: DateTime::from_timestamp(s, 0)
                    .unwrap_or_default()
                    .naive_utc(),
            }),
        ];
        let day = prop_oneof![0u32..400, any::<u32>()];
        let hold = prop_oneof![Just(None), Just(Some(0)), any::<u64>().prop_map(Some)];
        // Every basis the bits can hold, and none.
        let claim = (0u8..32).prop_map(ClaimBasis::from_bits);
        let units = prop_oneof![0u32..100, any::<u32>()];
        (
            (any::<u32>(), any::<u32>(), day, units, claim),
            (any::<u64>(), any::<u64>(), any::<u64>()),
            (
                any::<bool>(),
                any::<bool>(),
                route,
                status,
                hold,
                any::<u64>(),
            ),
        )
            .prop_map(
                |(
                    (offer, outlet, day, units, claim),
                    (road, load, sat),
                    (preferred, sla_met, route, status, hold, content),
                )| Booking {
                    offer,
                    outlet,
                    day,
                    units,
                    road: f64::from_bits(road),
                    load_ratio: f64::from_bits(load),
                    satisfaction: f64::from_bits(sat),
                    preferred,
                    sla_met,
                    route,
                    status,
                    hold,
                    content,
                    claim,
                },
            )
    }

    /// Every bit of a booking, NaN payloads included (`Debug` of the bits).
    fn bits(b: &Booking) -> String {
        let route = match b.route {
            Route::WiderRadius(x) => format!("wider {:x}", x.to_bits()),
            r => r.as_str().to_string(),
        };
        format!(
            "{} {} {} {} {:x} {:x} {:x} {} {} {route} {:?} {:?} {} {:?}",
            b.offer,
            b.outlet,
            b.day,
            b.units,
            b.road.to_bits(),
            b.load_ratio.to_bits(),
            b.satisfaction.to_bits(),
            b.preferred,
            b.sla_met,
            b.status,
            b.hold,
            b.content,
            b.claim
        )
    }

    proptest! {
        /// Records packed one after another (some rewritten, some forgotten) unpack to
        /// exactly the bookings packed, bit for bit.
        #[test]
        fn unpacking_gives_back_every_bit(
            bookings in proptest::collection::vec(any_booking(), 1..300),
            rewrite in proptest::collection::vec((any::<prop::sample::Index>(), any_booking()), 0..50),
        ) {
            let mut spill = Spill::default();
            let mut records: Vec<(Packed, Booking)> = bookings
                .iter()
                .enumerate()
                .map(|(i, b)| (spill.pack(i as u32, b), *b))
                .collect();
            for (at, b) in &rewrite {
                let at = at.index(records.len());
                records[at] = (spill.pack(at as u32, b), *b);
            }
            for (at, (p, b)) in records.iter().enumerate() {
                let got = spill.unpack(at as u32, p);
                prop_assert_eq!(got.map(|g| bits(&g)), Some(bits(b)));
            }
            // Forgetting every record leaves no booking behind in the side map.
            for (at, (p, _)) in records.iter().enumerate() {
                spill.forget(at as u32, p);
            }
            prop_assert!(spill.whole.is_empty());
        }
    }
}
