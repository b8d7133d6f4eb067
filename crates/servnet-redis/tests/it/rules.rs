//! Issue 17's idempotency rules hold across dispatchers sharing one Redis namespace: two
//! Dispatchers, each with its own connection pool and view (as two processes have),
//! give the same answers the in-memory ledger gives one process.

use crate::common::{open_on, redis, small_network};
use chrono::Duration;
use servnet_core::dispatch::{Dispatcher, Outcome};
use servnet_core::model::Ticket;
use servnet_core::Error as CoreError;
use servnet_redis::RedisStore;

fn pair(url: &str) -> (Dispatcher, Dispatcher, Vec<Ticket>) {
    let (network, tickets, policy) = small_network(5);
    (
        open_on(url, &network, &policy),
        open_on(url, &network, &policy),
        tickets,
    )
}

fn assigned(o: Outcome) -> servnet_core::dispatch::Assignment {
    match o {
        Outcome::Assigned(a) => a,
        o => panic!("not assigned: {o:?}"),
    }
}

/// Units booked in the namespace, from Redis's own counters (all skills, all days).
fn booked_units(url: &str) -> u32 {
    let store = RedisStore::connect(url).unwrap();
    store
        .all_bookings()
        .unwrap()
        .iter()
        .map(|(_, b)| b.units)
        .sum()
}

fn conflict(r: Result<impl std::fmt::Debug, CoreError>, id: &str, says: &str) {
    match r {
        Err(CoreError::Conflict { id: got, message }) => {
            assert_eq!(got, id);
            assert!(message.contains(says), "{message}");
        }
        other => panic!("expected a conflict on {id} ({says}), got {other:?}"),
    }
}

#[test]
fn a_retry_on_another_dispatcher_gets_the_booking_and_other_content_conflicts() {
    let r = redis("rules-content");
    let (a, b, tickets) = pair(&r.url());
    let t = &tickets[0];
    let first = assigned(a.dispatch(t).unwrap());
    assert_eq!(assigned(b.dispatch(t).unwrap()), first);
    // Same id, other content (units, skill, place): a conflict naming the booking; nothing
    // booked.
    let mut other = t.clone();
    other.units += 1;
    conflict(b.dispatch(&other), &t.id, &first.outlet_id);
    let mut moved = t.clone();
    moved.lat += 0.01;
    conflict(
        b.hold(&moved, Duration::minutes(5), t.created_at),
        &t.id,
        "another id",
    );
    assert_eq!(booked_units(&r.url()), first.units);
    RedisStore::connect(&r.url()).unwrap().clear().unwrap();
}

#[test]
fn a_completed_ticket_never_books_again_on_any_dispatcher() {
    let r = redis("rules-complete");
    let (a, b, tickets) = pair(&r.url());
    let t = &tickets[1];
    let first = assigned(a.dispatch(t).unwrap());
    a.complete(&t.id, Some(4.0)).unwrap();
    // B still answers with the completed booking, and books nothing new.
    assert_eq!(assigned(b.dispatch(t).unwrap()), first);
    assert_eq!(booked_units(&r.url()), first.units);
    // Completing again on B counts no second rating and answers the same.
    assert_eq!(b.complete(&t.id, Some(1.0)).unwrap(), first);
    conflict(b.release(&t.id), &t.id, "completed");
    assert_eq!(booked_units(&r.url()), first.units);
    RedisStore::connect(&r.url()).unwrap().clear().unwrap();
}

#[test]
fn holds_and_firm_bookings_conflict_across_dispatchers() {
    let r = redis("rules-holds");
    let (a, b, tickets) = pair(&r.url());
    let (t, now) = (&tickets[2], tickets[2].created_at);
    let held = assigned(a.hold(t, Duration::minutes(10), now).unwrap());
    let hold = held.hold.expect("a hold id");
    // B: a firm dispatch of a held ticket is a conflict; the same hold again is the live
    // hold; completing a held ticket is a conflict.
    conflict(b.dispatch(t), &t.id, "held");
    assert_eq!(
        assigned(b.hold(t, Duration::minutes(10), now).unwrap()),
        held
    );
    conflict(b.complete(&t.id, None), &t.id, "held");
    // Confirmed on A, confirmed again on B: the same assignment; a hold of the now firm
    // booking is a conflict, a dispatch is the booking.
    let firm = a.confirm(hold, now).unwrap();
    assert_eq!(b.confirm(hold, now).unwrap(), firm);
    assert_eq!(firm.outlet_id, held.outlet_id);
    conflict(b.hold(t, Duration::minutes(10), now), &t.id, "firmly");
    assert_eq!(assigned(b.dispatch(t).unwrap()), firm);
    // A time to live <= 0 is refused on either, with nothing booked.
    let u = &tickets[3];
    for ttl in [Duration::zero(), Duration::minutes(-1)] {
        match b.hold(u, ttl, now) {
            Err(CoreError::Argument { name, .. }) => assert_eq!(name, "ttl"),
            other => panic!("ttl {ttl}: {other:?}"),
        }
    }
    assert_eq!(b.assignment(&u.id), None);
    // A hold expired by B's sweep is gone for A: confirming it fails, its units are free.
    let h2 = assigned(a.hold(u, Duration::minutes(1), now).unwrap());
    let swept = b.expire_holds(now + Duration::minutes(1)).unwrap();
    assert_eq!(swept, [u.id.as_str()]);
    assert!(a.confirm(h2.hold.unwrap(), now).is_err());
    assert_eq!(booked_units(&r.url()), firm.units);
    RedisStore::connect(&r.url()).unwrap().clear().unwrap();
}
