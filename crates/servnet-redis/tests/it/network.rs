//! Network changes on a shared namespace: a change one dispatcher makes reaches the
//! others (in the order made) and every dispatcher opened later, and two dispatchers
//! never record different changes under one number.

use crate::common::{open_on, redis, small_network};
use servnet_core::dispatch::{Dispatcher, Ledger, NetworkChange, Outcome};
use servnet_core::model::OutletStatus;
use servnet_core::Error as CoreError;
use servnet_redis::RedisLedger;

fn status(d: &Dispatcher, outlet: &str) -> OutletStatus {
    let i = d.network().outlet_index(outlet).unwrap();
    d.network().outlets()[i].status
}

fn suspend(outlet: &str) -> NetworkChange {
    NetworkChange::OutletStatus {
        outlet_id: outlet.to_string(),
        status: OutletStatus::Suspended,
    }
}

#[test]
fn a_change_reaches_every_dispatcher_in_order_and_no_one_books_a_suspended_outlet() {
    let r = redis("network-sync");
    let (net, tickets, policy) = small_network(9);
    let mut a = open_on(&r.url(), &net, &policy);
    let mut b = open_on(&r.url(), &net, &policy);
    let t = &tickets[0];
    let best = a.candidates(t, 1).unwrap()[0].outlet_id.to_string();
    a.apply(&suspend(&best)).unwrap();
    assert_eq!(status(&a, &best), OutletStatus::Suspended);
    // b has not looked yet: it is behind, and applies exactly that one list.
    assert!(b.network_behind().unwrap());
    assert_eq!(b.sync_network().unwrap(), 1);
    assert!(!b.network_behind().unwrap());
    assert_eq!(status(&b, &best), OutletStatus::Suspended);
    match b.dispatch(t).unwrap() {
        Outcome::Assigned(x) => assert_ne!(x.outlet_id.as_str(), best),
        o => panic!("{o:?}"),
    }
    // b makes a change without syncing first: a's later change is applied before it.
    let other = a.candidates(t, 1).unwrap()[0].outlet_id.to_string();
    a.apply(&NetworkChange::OutletCap {
        outlet_id: other.clone(),
        daily_cap: 1,
    })
    .unwrap();
    b.apply(&NetworkChange::OutletStatus {
        outlet_id: best.clone(),
        status: OutletStatus::Active,
    })
    .unwrap();
    let cap = |d: &Dispatcher| {
        let i = d.network().outlet_index(&other).unwrap();
        d.network().outlets()[i].daily_cap
    };
    assert_eq!(cap(&b), 1, "b applied a's cap before its own change");
    assert_eq!(a.sync_network().unwrap(), 1);
    assert_eq!(status(&a, &best), OutletStatus::Active);
    // A dispatcher opened now from the same files starts where both are.
    let c = open_on(&r.url(), &net, &policy);
    assert!(!c.network_behind().unwrap());
    assert_eq!(status(&c, &best), OutletStatus::Active);
    assert_eq!(cap(&c), 1);
    assert_eq!(c.network().outlets(), a.network().outlets());
    assert_eq!(c.network().outlets(), b.network().outlets());
}

#[test]
fn two_lists_never_take_one_number() {
    let r = redis("network-race");
    let (net, tickets, policy) = small_network(9);
    let mut a = open_on(&r.url(), &net, &policy);
    let best = a.candidates(&tickets[0], 1).unwrap()[0]
        .outlet_id
        .to_string();
    a.apply(&suspend(&best)).unwrap();
    // Another process that had seen no list records one as number 0: refused, nothing
    // recorded, and it says what to do.
    let late = RedisLedger::connect(&r.url()).unwrap();
    match late.record_changes(0, &[suspend("nowhere")]) {
        Err(CoreError::NetworkConflict { message }) => {
            assert!(message.contains("send the changes again"), "{message}")
        }
        other => panic!("expected a network conflict, got {other:?}"),
    }
    let lists = late.network_changes_from(0).unwrap();
    assert_eq!(lists, vec![vec![suspend(&best)]]);
    // Recorded as number 1 it is taken.
    late.record_changes(1, &[suspend("elsewhere")]).unwrap();
    assert_eq!(
        late.network_changes_from(1).unwrap(),
        vec![vec![suspend("elsewhere")]]
    );
}

#[test]
fn a_recorded_change_that_no_longer_applies_is_a_clear_error_when_opening() {
    let r = redis("network-stale");
    let (net, _, policy) = small_network(9);
    let ledger = RedisLedger::connect(&r.url()).unwrap();
    ledger.record_changes(0, &[suspend("GONE-1")]).unwrap();
    let err = Dispatcher::with_ledger(net, policy, Box::new(ledger))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("outlet_status GONE-1") && err.contains("no longer applies"),
        "{err}"
    );
}
