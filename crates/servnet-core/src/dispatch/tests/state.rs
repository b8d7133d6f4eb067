//! The dispatcher's state through its ledger: live network changes keep every booking,
//! day roll-over moves the horizon, completion and release rules, external load.

use super::*;

fn two_outlets() -> Dispatcher {
    dispatcher(
        vec![outlet("b", 121.05, 2, 50.0), outlet("c", 121.3, 2, 50.0)],
        100.0,
        strict(),
    )
}

fn booked_on(d: &Dispatcher, id: &str) -> Option<String> {
    d.assignment(id).map(|a| a.outlet_id.to_string())
}

/// Adding an outlet whose id sorts first renumbers every outlet and offer: the bookings
/// stay on their outlets with their days, the loads are the same, and the new outlet
/// takes tickets.
#[test]
fn a_new_outlet_keeps_every_booking_where_it_was() {
    let mut d = two_outlets();
    for i in 0..3 {
        assert!(outcome(&d, &ticket(&format!("t{i}"), 121.0))
            .assignment()
            .is_some());
    }
    let before: Vec<_> = (0..3).map(|i| d.assignment(&format!("t{i}"))).collect();
    let loads = d.loads();
    let change = NetworkChange::AddOutlets {
        outlets: vec![outlet("a", 121.0, 2, 50.0)],
    };
    assert!(d.apply(&change).is_ok());
    let after: Vec<_> = (0..3).map(|i| d.assignment(&format!("t{i}"))).collect();
    assert_eq!(before, after);
    let rows = |v: Vec<LoadRow>| -> Vec<_> {
        v.into_iter()
            .filter(|l| l.outlet_id != "a")
            .map(|l| (l.outlet_id, l.day, l.used))
            .collect()
    };
    assert_eq!(rows(loads), rows(d.loads()));
    let t = outcome(&d, &ticket("new", 121.0));
    assert_eq!(t.assignment().map(|a| a.outlet_id.as_str()), Some("a"));
    // A retry of a ticket booked before the change returns its booking.
    assert_eq!(
        outcome(&d, &ticket("t0", 121.0)).assignment(),
        after[0].as_ref()
    );
}

/// A suspended outlet takes no new tickets; its bookings stay; reactivated, it takes
/// tickets again. Lowering a capacity below what is booked keeps the bookings and books
/// nothing more there.
#[test]
fn status_and_capacity_changes_apply_to_new_tickets_only() {
    let mut d = two_outlets();
    assert_eq!(booked_on(&d, "x").as_deref(), None);
    let first = outcome(&d, &ticket("x", 121.0));
    assert_eq!(first.assignment().map(|a| a.outlet_id.as_str()), Some("b"));
    let suspend = NetworkChange::OutletStatus {
        outlet_id: "b".into(),
        status: OutletStatus::Suspended,
    };
    assert!(d.apply(&suspend).is_ok());
    assert_eq!(booked_on(&d, "x").as_deref(), Some("b"));
    let y = outcome(&d, &ticket("y", 121.0));
    assert_eq!(y.assignment().map(|a| a.outlet_id.as_str()), Some("c"));
    let reopen = NetworkChange::OutletStatus {
        outlet_id: "b".into(),
        status: OutletStatus::Active,
    };
    let shrink = NetworkChange::SkillCapacity {
        outlet_id: "b".into(),
        skill: "repair:tv".into(),
        daily_capacity: 1,
    };
    assert!(d.apply(&reopen).is_ok() && d.apply(&shrink).is_ok());
    let z = outcome(&d, &ticket("z", 121.0));
    assert_eq!(z.assignment().map(|a| a.outlet_id.as_str()), Some("c"));
    let unknown = NetworkChange::OutletCap {
        outlet_id: "nope".into(),
        daily_cap: 3,
    };
    assert!(matches!(d.apply(&unknown), Err(Error::Unknown { .. })));
}

/// Rolling the days over drops the bookings of the days left behind (their ids are
/// forgotten) and moves the horizon: a ticket of a day past the old horizon books.
#[test]
fn roll_over_moves_the_horizon() {
    let mut d = two_outlets();
    assert!(outcome(&d, &ticket("old", 121.0)).assignment().is_some());
    let mut late = ticket("late", 121.0);
    late.created_at += chrono::Duration::days(9);
    late.due_by += chrono::Duration::days(9);
    assert_eq!(reason(&outcome(&d, &late)), Some(Rule::OutsideHorizon));
    let today = t0().date() + chrono::Duration::days(9);
    assert_eq!(d.roll_to(today).ok(), Some(9));
    assert_eq!(d.first_day(), 9);
    assert!(d.assignment("old").is_none(), "day 0 rolled out");
    let a = outcome(&d, &late);
    assert_eq!(a.assignment().map(|a| a.day), Some(9));
    assert_eq!(d.date_of(9), Some(today));
    assert!(d.loads().iter().all(|l| l.day >= 9));
    // Rolling back changes nothing.
    assert_eq!(d.roll_to(t0().date()).ok(), Some(9));
}

/// A completed ticket keeps its capacity, cannot be released, never books again, and
/// completing it again counts its rating once.
#[test]
fn completion_is_final_and_counted_once() {
    let d = two_outlets();
    let a = outcome(&d, &ticket("t", 121.0));
    let on = a.assignment().map(|a| a.outlet_id.clone());
    assert!(d.complete("t", Some(5.0)).is_ok());
    let sat = |d: &Dispatcher| d.booking("t").ok().flatten().map(|(_, s)| s);
    assert_eq!(sat(&d), Some(Status::Completed));
    assert!(matches!(d.release("t"), Err(Error::Conflict { .. })));
    let again = outcome(&d, &ticket("t", 121.0));
    assert_eq!(again.assignment().map(|a| a.outlet_id.clone()), on);
    assert_eq!(
        d.assignment("t").map(|a| a.outlet_id),
        on,
        "the completed booking is still the ticket's"
    );
    let used = |d: &Dispatcher| d.loads().iter().map(|l| l.used).sum::<u32>();
    assert_eq!(
        used(&d),
        1,
        "completion keeps its capacity; a retry books none"
    );
    let ratings = |d: &Dispatcher| {
        d.offers
            .iter()
            .map(|o| o.rating_count.load(std::sync::atomic::Ordering::Relaxed))
            .sum::<u32>()
    };
    let n = ratings(&d);
    assert!(d.complete("t", Some(1.0)).is_ok());
    assert_eq!(ratings(&d), n, "a repeated completion adds no rating");
}

/// External load moves the counters by the difference from what was set before, and
/// capacity counts it.
#[test]
fn set_load_counts_against_capacity() {
    let d = dispatcher(vec![outlet("b", 121.05, 2, 50.0)], 100.0, strict());
    assert!(d.set_load("b", "repair:tv", 0, 2).is_ok());
    assert_eq!(
        reason(&outcome(&d, &ticket("t", 121.0))),
        Some(Rule::SkillFull)
    );
    assert!(d.set_load("b", "repair:tv", 0, 1).is_ok());
    assert!(outcome(&d, &ticket("t", 121.0)).assignment().is_some());
    assert_eq!(d.loads().iter().map(|l| l.used).sum::<u32>(), 2);
    assert!(
        d.set_load("b", "repair:tv", 7, 1).is_err(),
        "day 7 is past the horizon"
    );
    assert!(d.set_load("b", "install:tv", 0, 1).is_err());
}

/// A hold's life through the ledger: a held ticket cannot be completed (confirm it
/// first); a repeated confirm answers the same booking; once the booking is released
/// the hold id is unknown, also after the ticket books again.
#[test]
fn a_confirmed_hold_confirms_again_until_released() {
    let d = two_outlets();
    let now = t0();
    let held = d
        .hold(&ticket("t", 121.0), chrono::Duration::minutes(10), now)
        .ok()
        .and_then(|o| o.assignment().cloned());
    let h = held.as_ref().and_then(|a| a.hold);
    let Some(h) = h else {
        panic!("no hold: {held:?}")
    };
    assert!(matches!(d.complete("t", None), Err(Error::Conflict { .. })));
    let first = d.confirm(h, now).ok();
    assert!(first.is_some());
    assert_eq!(d.confirm(h, now + chrono::Duration::hours(1)).ok(), first);
    assert!(d.release("t").is_ok());
    assert!(matches!(d.confirm(h, now), Err(Error::Unknown { .. })));
    assert!(outcome(&d, &ticket("t", 121.0)).assignment().is_some());
    assert!(matches!(d.confirm(h, now), Err(Error::Unknown { .. })));
    // A completed booking's hold is spent too.
    let h2 = d
        .hold(&ticket("u", 121.0), chrono::Duration::minutes(10), now)
        .ok()
        .and_then(|o| o.assignment().and_then(|a| a.hold));
    let Some(h2) = h2 else { panic!("no hold") };
    assert!(d.confirm(h2, now).is_ok());
    assert!(d.complete("u", Some(4.0)).is_ok());
    assert!(matches!(d.confirm(h2, now), Err(Error::Unknown { .. })));
}

/// A ticket opened before day 0 (a backlog ticket, e.g. from before a service started)
/// is served from the first day counted, its SLA judged against its own deadline.
#[test]
fn a_ticket_opened_before_day_0_is_served_from_the_first_day() {
    let d = dispatcher(
        vec![outlet("b", 121.05, 2, 50.0)],
        100.0,
        Policy {
            fallback: vec![Fallback::WiderRadius(1.5)],
            ..strict()
        },
    );
    assert!(outcome(&d, &ticket("first", 121.0)).assignment().is_some());
    let mut early = ticket("early", 121.0);
    early.created_at -= chrono::Duration::hours(30);
    early.due_by -= chrono::Duration::hours(30);
    let a = outcome(&d, &early);
    let a = a.assignment();
    assert_eq!(a.map(|a| a.day), Some(0), "{a:?}");
    assert_eq!(a.map(|a| a.sla_met), Some(false), "its deadline has passed");
}

/// A list of changes applies whole or not at all: one bad change (an unknown outlet)
/// leaves the earlier ones unmade; a good list suspends and caps in one rebuild, and
/// the bookings stay.
#[test]
fn a_list_of_changes_applies_whole_or_not_at_all() {
    let mut d = two_outlets();
    let first = outcome(&d, &ticket("x", 121.0));
    assert_eq!(first.assignment().map(|a| a.outlet_id.as_str()), Some("b"));
    let suspend = NetworkChange::OutletStatus {
        outlet_id: "b".into(),
        status: OutletStatus::Suspended,
    };
    let unknown = NetworkChange::OutletCap {
        outlet_id: "nope".into(),
        daily_cap: 3,
    };
    let err = d.apply_all(&[suspend.clone(), unknown]);
    assert!(matches!(&err, Err(Error::Argument { .. })), "{err:?}");
    assert!(format!("{err:?}").contains("change 2 of 2"));
    let y = outcome(&d, &ticket("y", 121.0));
    assert_eq!(y.assignment().map(|a| a.outlet_id.as_str()), Some("b"));
    let cap = NetworkChange::OutletCap {
        outlet_id: "c".into(),
        daily_cap: 1,
    };
    assert!(d.apply_all(&[suspend, cap]).is_ok());
    assert_eq!(booked_on(&d, "x").as_deref(), Some("b"));
    assert_eq!(booked_on(&d, "y").as_deref(), Some("b"));
    let z = outcome(&d, &ticket("z", 121.0));
    assert_eq!(z.assignment().map(|a| a.outlet_id.as_str()), Some("c"));
}

/// Changes applied to a durable dispatcher come back on reopening, a list as one
/// journal record (all or none after a crash) beside a lone change written as before.
#[test]
fn changes_recorded_in_the_journal_come_back_on_reopening() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let network = || {
        Network::new(
            vec![outlet("b", 121.05, 2, 50.0), outlet("c", 121.3, 2, 50.0)],
            vec![region(100.0)],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let suspend = NetworkChange::OutletStatus {
        outlet_id: "b".into(),
        status: OutletStatus::Suspended,
    };
    let cap = NetworkChange::OutletCap {
        outlet_id: "c".into(),
        daily_cap: 1,
    };
    let reopen = NetworkChange::OutletStatus {
        outlet_id: "b".into(),
        status: OutletStatus::Active,
    };
    {
        let mut d =
            Dispatcher::open(network(), strict(), dir.path()).unwrap_or_else(|e| panic!("{e}"));
        d.apply_all(&[suspend.clone(), cap.clone()])
            .unwrap_or_else(|e| panic!("{e}"));
        let x = outcome(&d, &ticket("x", 121.0));
        assert_eq!(x.assignment().map(|a| a.outlet_id.as_str()), Some("c"));
    }
    let (d, restored) =
        Dispatcher::open_with(network(), strict(), dir.path(), JournalOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.changes, vec![suspend.clone(), cap.clone()]);
    // b is still suspended and c's one unit is taken: nothing is left.
    assert!(outcome(&d, &ticket("y", 121.0)).assignment().is_none());
    drop(d);
    let mut d = Dispatcher::open(network(), strict(), dir.path()).unwrap_or_else(|e| panic!("{e}"));
    d.apply(&reopen).unwrap_or_else(|e| panic!("{e}"));
    drop(d);
    let (d, restored) =
        Dispatcher::open_with(network(), strict(), dir.path(), JournalOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.changes, vec![suspend, cap, reopen]);
    let z = outcome(&d, &ticket("z", 121.0));
    assert_eq!(z.assignment().map(|a| a.outlet_id.as_str()), Some("b"));
}
