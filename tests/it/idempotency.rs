//! Idempotency of the booking lifecycle (issue 17, docs/formats.md "Idempotency"): what
//! dispatch systems rely on when they retry. The same request again changes nothing and
//! answers the same; the same id with other content, or a request that contradicts the
//! ticket's state, is a conflict that names both sides.

use servnet::chrono::Duration;
use servnet::dispatch::{Dispatcher, Outcome, Policy};
use servnet::model::Ticket;
use servnet::{testing, Error};

fn setup() -> (Dispatcher, Ticket) {
    let data = servnet::io::read_dir(&testing::fixture_dir("valid")).unwrap();
    let t = data.tickets[0].clone();
    let policy = Policy {
        start_date: Some(t.created_at.date()),
        ..Policy::default()
    };
    (Dispatcher::new(data.network, policy).unwrap(), t)
}

/// Total units booked on every outlet over the horizon.
fn booked(d: &Dispatcher) -> u64 {
    let n = d.network().outlets().len();
    (0..n)
        .flat_map(|o| (0..7).map(move |day| (o, day)))
        .map(|(o, day)| u64::from(d.outlet_used(o, day)))
        .sum()
}

fn conflict(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::Conflict { .. }) => e.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn the_same_id_with_other_content_is_a_conflict_naming_both() {
    let (d, t) = setup();
    let first = d.dispatch(&t).unwrap();
    assert!(matches!(first, Outcome::Assigned(_)));
    let before = booked(&d);
    let mut other = t.clone();
    other.skill = "install:air_conditioner".into();
    other.units = 2;
    let m = conflict(d.dispatch(&other));
    assert!(
        m.contains(&t.skill) && m.contains("install:air_conditioner"),
        "{m}"
    );
    assert!(m.contains(&format!("'{}'", t.id)), "{m}");
    assert_eq!(
        booked(&d),
        before,
        "nothing booked by the conflicting request"
    );
    // The same content again is a retry: the same answer, nothing booked.
    assert_eq!(d.dispatch(&t).unwrap(), first);
    assert_eq!(booked(&d), before);
}

#[test]
fn a_completed_ticket_never_books_again_and_keeps_its_capacity() {
    let (d, t) = setup();
    let a = d.dispatch(&t).unwrap();
    let before = booked(&d);
    let done = d.complete(&t.id, Some(5.0)).unwrap();
    assert_eq!(Some(&done), a.assignment());
    assert_eq!(booked(&d), before, "completed capacity stays used");
    // Retries of dispatch and complete answer with the completed booking.
    assert_eq!(d.dispatch(&t).unwrap().assignment(), Some(&done));
    assert_eq!(d.complete(&t.id, Some(1.0)).unwrap(), done);
    assert_eq!(booked(&d), before, "no second booking");
    let m = conflict(d.release(&t.id));
    assert!(m.contains("completed"), "{m}");
    let mut other = t.clone();
    other.units = 3;
    conflict(d.dispatch(&other));
}

#[test]
fn holds_are_retried_confirmed_once_and_never_silently_turned_into_bookings() {
    let (d, t) = setup();
    let now = t.created_at;
    let h = d.hold(&t, Duration::minutes(15), now).unwrap();
    let hold = h.assignment().and_then(|a| a.hold).unwrap();
    let before = booked(&d);
    // The same hold request again: the same live hold.
    assert_eq!(d.hold(&t, Duration::minutes(15), now).unwrap(), h);
    // A dispatch of a held ticket used to return the hold, which then expired.
    let m = conflict(d.dispatch(&t));
    assert!(m.contains("held") && m.contains(&hold.to_string()), "{m}");
    let m = conflict(d.complete(&t.id, None));
    assert!(m.contains("held"), "{m}");
    assert_eq!(booked(&d), before);
    // Confirm twice: the same firm assignment; then a hold of it is a conflict.
    let c = d.confirm(hold, now).unwrap();
    assert_eq!(c.hold, None);
    assert_eq!(d.confirm(hold, now).unwrap(), c);
    assert_eq!(d.dispatch(&t).unwrap().assignment(), Some(&c));
    conflict(d.hold(&t, Duration::minutes(15), now));
    // A confirmed hold does not expire.
    assert!(d.expire_holds(now + Duration::days(3)).unwrap().is_empty());
    assert_eq!(booked(&d), before);
}

#[test]
fn a_hold_needs_a_positive_time_to_live() {
    let (d, t) = setup();
    for ttl in [Duration::zero(), Duration::minutes(-5)] {
        match d.hold(&t, ttl, t.created_at) {
            Err(Error::Argument { name, .. }) => assert_eq!(name, "ttl"),
            other => panic!("expected an error naming ttl, got {other:?}"),
        }
    }
    assert_eq!(booked(&d), booked(&setup().0), "nothing booked");
}
