//! A stream of operations against one Dispatcher (dispatch, hold, confirm, expire,
//! release, complete) on the valid fixture's network, with the ledger checked after
//! every step.

use crate::fixture;
use arbitrary::{Arbitrary, Unstructured};
use servnet_core::chrono::{Duration, NaiveDate, NaiveDateTime};
use servnet_core::dispatch::{Assignment, Dispatcher, Outcome, Policy};
use servnet_core::io::DataSet;
use servnet_core::model::{Priority, Ticket};
use std::collections::BTreeMap;

/// A ticket of the stream: ids `T0`..`T7` (so that operations meet), a region of the
/// fixture and a point near its centre, a skill, 0..=3 units, a priority, a creation
/// time in the first five days and a due time up to 96 hours later, an avoided and a
/// preferred outlet.
#[derive(Arbitrary, Debug)]
#[allow(missing_docs)]
pub struct TicketSpec {
    pub id: u8,
    pub skill: u8,
    pub region: u8,
    pub dlon: i16,
    pub dlat: i16,
    pub units: u8,
    pub priority: u8,
    pub created_min: u16,
    pub due_hours: u8,
    pub avoid: Option<u8>,
    pub preferred: Option<u8>,
}

/// One operation (times in minutes from the start of the ledger, modulo five days).
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// `dispatch(ticket)`.
    Dispatch(TicketSpec),
    /// `hold(ticket, ttl minutes, now)`.
    Hold(TicketSpec, i16, u16),
    /// `confirm(one of the holds returned so far, now)`.
    Confirm(u8, u16),
    /// `expire_holds(now)`.
    Expire(u16),
    /// `release(T<id % 8>)`.
    Release(u8),
    /// `complete(T<id % 8>, rating 1..=5)`.
    Complete(u8, Option<u8>),
}

/// Decodes up to 64 operations from the bytes (as cargo-fuzz's `fuzz_target!` decodes a
/// `Vec<Op>`) and runs them against a dispatcher of the valid fixture (start
/// 2026-11-23, 4 days). After every step: each outlet's and offer's counter equals the
/// committed load plus the units of the bookings the dispatcher reports (live, held or
/// completed), and never passes its capacity (unless the committed load alone did).
pub fn dispatcher_ops(data: &[u8]) {
    let Ok(ops) = Vec::<Op>::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let Some(d) = fixture::valid() else {
        return;
    };
    let policy = Policy {
        start_date: Some(start().date()),
        horizon_days: 4,
        ..Policy::default()
    };
    let Ok(disp) = Dispatcher::new(d.network.clone(), policy) else {
        return;
    };
    let mut completed: BTreeMap<String, Assignment> = BTreeMap::new();
    let mut holds: Vec<u64> = Vec::new();
    for op in ops.iter().take(64) {
        match op {
            Op::Dispatch(t) => {
                let _ = disp.dispatch(&ticket(d, t));
            }
            Op::Hold(t, ttl, now) => {
                let r = disp.hold(&ticket(d, t), Duration::minutes(i64::from(*ttl)), at(*now));
                if let Ok(Outcome::Assigned(a)) = r {
                    holds.extend(a.hold);
                }
            }
            Op::Confirm(h, now) => {
                if let Some(&h) = holds.get(usize::from(*h) % holds.len().max(1)) {
                    let _ = disp.confirm(h, at(*now));
                }
            }
            Op::Expire(now) => {
                let _ = disp.expire_holds(at(*now));
            }
            Op::Release(id) => {
                let _ = disp.release(&format!("T{}", id % 8));
            }
            Op::Complete(id, rating) => {
                let id = format!("T{}", id % 8);
                let rating = rating.map(|r| 1.0 + f64::from(r % 5));
                if let Ok(a) = disp.complete(&id, rating) {
                    completed.insert(id, a);
                }
            }
        }
        check(d, &disp, &completed);
    }
}

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn at(minutes: u16) -> NaiveDateTime {
    start() + Duration::minutes(i64::from(minutes % (5 * 24 * 60)))
}

fn ticket(d: &DataSet, t: &TicketSpec) -> Ticket {
    let net = &d.network;
    let skills = net.skills();
    let regions = net.regions();
    let outlets = net.outlets();
    let r = &regions[usize::from(t.region) % regions.len()];
    let mut k = Ticket::new(
        &format!("T{}", t.id % 8),
        r.lon + f64::from(t.dlon) / 2000.0,
        r.lat + f64::from(t.dlat) / 2000.0,
        &r.code,
        &skills[usize::from(t.skill) % skills.len()].to_string(),
        at(t.created_min),
    );
    k.units = u32::from(t.units % 4);
    k.priority = Priority::ALL[usize::from(t.priority) % 4];
    k.due_by = k.created_at + Duration::hours(i64::from(t.due_hours % 97));
    k.avoid = t
        .avoid
        .map(|o| outlets[usize::from(o) % outlets.len()].id.clone())
        .into_iter()
        .collect();
    k.preferred = t
        .preferred
        .map(|o| outlets[usize::from(o) % outlets.len()].id.clone());
    k
}

/// Checks every counter against the bookings the dispatcher reports.
fn check(d: &DataSet, disp: &Dispatcher, completed: &BTreeMap<String, Assignment>) {
    let net = &d.network;
    let horizon = disp.policy().horizon_days;
    let mut outlet: BTreeMap<(usize, u32), u64> = BTreeMap::new();
    let mut offer: BTreeMap<(usize, String, u32), u64> = BTreeMap::new();
    for (i, o) in net.outlets().iter().enumerate() {
        for s in &o.skills {
            *outlet.entry((i, 0)).or_default() += u64::from(s.load);
            *offer.entry((i, s.skill.to_string(), 0)).or_default() += u64::from(s.load);
        }
    }
    let preload = outlet.clone();
    let mut add = |a: &Assignment| {
        let i = net.outlet_index(&a.outlet_id).unwrap_or(usize::MAX);
        *outlet.entry((i, a.day)).or_default() += u64::from(a.units);
        *offer.entry((i, a.skill.to_string(), a.day)).or_default() += u64::from(a.units);
    };
    for id in 0..8 {
        let id = format!("T{id}");
        match completed.get(&id) {
            Some(a) => add(a),
            None => {
                if let Some(a) = disp.assignment(&id) {
                    add(&a);
                }
            }
        }
    }
    for (i, o) in net.outlets().iter().enumerate() {
        for day in 0..horizon {
            let want = outlet
                .get(&(i, day))
                .copied()
                .unwrap_or(0)
                .min(u64::from(u32::MAX));
            let got = u64::from(disp.outlet_used(i, day));
            assert_eq!(got, want, "outlet {} day {day}", o.id);
            let pre = preload.get(&(i, day)).copied().unwrap_or(0);
            assert!(
                got <= u64::from(o.daily_cap).max(pre),
                "outlet {} overbooked",
                o.id
            );
            for s in &o.skills {
                let Some(sid) = net.skill_id(&s.skill.to_string()) else {
                    continue;
                };
                let want = offer
                    .get(&(i, s.skill.to_string(), day))
                    .copied()
                    .unwrap_or(0);
                let got = u64::from(disp.skill_used(i, sid, day));
                assert_eq!(got, want, "offer {}/{} day {day}", o.id, s.skill);
                let pre = if day == 0 { u64::from(s.load) } else { 0 };
                assert!(got <= u64::from(s.daily_capacity).max(pre));
            }
        }
    }
}
