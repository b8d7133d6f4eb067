//! The review's rules, one test each, and its invariants (proptest).

use super::*;
use crate::model::{Outlet, OutletSkill, ServiceArea, ServiceKind, Skill};
use proptest::prelude::*;

fn outlet(id: &str, status: OutletStatus) -> Outlet {
    Outlet {
        id: id.into(),
        name: format!("Outlet {id}"),
        lon: 121.0,
        lat: 31.0,
        status,
        priority: 50,
        daily_cap: 10,
        area: ServiceArea::Radius(20.0),
        skills: vec![OutletSkill {
            skill: Skill {
                kind: ServiceKind::Repair,
                category: "tv".into(),
            },
            daily_capacity: 5,
            load: 0,
            rating_sum: 0.0,
            rating_count: 0,
            cost_per_ticket: 10.0,
        }],
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A month with `n` tickets at the given rates (rounded).
#[allow(clippy::too_many_arguments)] // a test table row: one argument per column
fn month(
    id: &str,
    y: i32,
    m: u32,
    n: u32,
    sla: f64,
    rating: f64,
    compl: f64,
    rep: f64,
) -> OutletMonth {
    let f = |r: f64| (f64::from(n) * r).round() as u32;
    let rc = n / 3;
    OutletMonth {
        outlet_id: id.into(),
        month: date(y, m, 1),
        tickets: n,
        sla_met: f(sla),
        rating_sum: rating * f64::from(rc),
        rating_count: rc,
        complaints: f(compl),
        repeat_repairs_30d: f(rep),
    }
}

/// A network of twenty good active outlets `g00..g19` (400 tickets a month each, all
/// rates well within the levels) plus `extra`, with twelve months of history.
fn network_with(extra: Vec<(Outlet, Vec<OutletMonth>)>) -> (Network, OutletHistory) {
    let mut outlets = Vec::new();
    let mut months = Vec::new();
    for i in 0..20 {
        let id = format!("g{i:02}");
        for m in 1..=12 {
            months.push(month(&id, 2026, m, 400, 0.93, 4.5, 0.01, 0.04));
        }
        outlets.push(outlet(&id, OutletStatus::Active));
    }
    for (o, h) in extra {
        outlets.push(o);
        months.extend(h);
    }
    let net = Network::new(outlets, vec![]).unwrap();
    (
        net,
        OutletHistory {
            months,
            status_since: BTreeMap::new(),
        },
    )
}

fn row<'a>(r: &'a Review, id: &str) -> &'a ReviewRow {
    r.rows.iter().find(|r| r.outlet_id == id).unwrap()
}

const AS_OF: (i32, u32, u32) = (2027, 1, 1);

fn as_of() -> NaiveDate {
    date(AS_OF.0, AS_OF.1, AS_OF.2)
}

#[test]
fn a_poor_probation_outlet_is_removed_with_its_reason_and_a_good_one_confirmed() {
    let poor: Vec<_> = (8..=12)
        .map(|m| month("p_bad", 2026, m, 200, 0.60, 4.4, 0.01, 0.04))
        .collect();
    let good: Vec<_> = (8..=12)
        .map(|m| month("p_good", 2026, m, 200, 0.95, 4.6, 0.01, 0.03))
        .collect();
    let (net, mut hist) = network_with(vec![
        (outlet("p_bad", OutletStatus::Probation), poor),
        (outlet("p_good", OutletStatus::Probation), good),
    ]);
    hist.status_since.insert("p_bad".into(), date(2026, 8, 10));
    hist.status_since.insert("p_good".into(), date(2026, 8, 1));
    let r = review(&net, &hist, as_of(), &ReviewOptions::default()).unwrap();
    let bad = row(&r, "p_bad");
    assert_eq!(bad.action, Action::Remove, "{}", bad.reason);
    // Probation counts from the first whole month: 2026-09 + 3 months.
    assert_eq!(bad.evaluation_due, Some(date(2026, 12, 1)));
    assert!(
        bad.reason.contains("failed its evaluation"),
        "{}",
        bad.reason
    );
    assert!(bad.reason.contains("SLA"), "{}", bad.reason);
    assert!(
        bad.reason.contains("600/1000"),
        "the figures: {}",
        bad.reason
    );
    let good = row(&r, "p_good");
    assert_eq!(good.action, Action::Confirm, "{}", good.reason);
    assert!(good.reason.contains("passed"), "{}", good.reason);
    // Nobody else is flagged.
    assert!(r
        .rows
        .iter()
        .filter(|r| r.outlet_id.starts_with('g'))
        .all(|r| r.action == Action::Keep));
}

#[test]
fn a_probation_outlet_is_kept_until_its_evaluation_is_due() {
    let poor: Vec<_> = (11..=12)
        .map(|m| month("p_new", 2026, m, 200, 0.50, 3.0, 0.2, 0.3))
        .collect();
    let (net, mut hist) = network_with(vec![(outlet("p_new", OutletStatus::Probation), poor)]);
    hist.status_since.insert("p_new".into(), date(2026, 11, 1));
    let r = review(&net, &hist, as_of(), &ReviewOptions::default()).unwrap();
    let p = row(&r, "p_new");
    assert_eq!(p.action, Action::Keep);
    assert_eq!(p.evaluation_due, Some(date(2027, 2, 1)));
    assert!(
        p.reason.contains("evaluation due 2027-02-01"),
        "{}",
        p.reason
    );
}

#[test]
fn shrinkage_keeps_a_two_ticket_outlet_from_removal_on_noise() {
    // Two tickets, both late, both complained about, both repeated: raw rates at their
    // worst. Shrunk toward the network they stay within the warning levels.
    let tiny = vec![OutletMonth {
        outlet_id: "tiny".into(),
        month: date(2026, 12, 1),
        tickets: 2,
        sla_met: 0,
        rating_sum: 2.0,
        rating_count: 2,
        complaints: 2,
        repeat_repairs_30d: 2,
    }];
    let (net, hist) = network_with(vec![(outlet("tiny", OutletStatus::Active), tiny.clone())]);
    let opts = ReviewOptions::default();
    let r = review(&net, &hist, as_of(), &opts).unwrap();
    let t = row(&r, "tiny");
    assert_eq!(t.card.sla.raw, Some(0.0));
    assert!(t.action.severity() < Action::Remove.severity(), "{t:?}");
    assert!(t.action.severity() <= Action::Warn.severity(), "{t:?}");
    // Without shrinkage the same two tickets would remove it: the prior is what saves it.
    let raw = ReviewOptions {
        prior_tickets: 0.0,
        prior_ratings: 0.0,
        ..opts
    };
    let r = review(&net, &hist, as_of(), &raw).unwrap();
    assert_eq!(row(&r, "tiny").action, Action::Remove);
}

#[test]
fn active_outlets_get_warn_suspend_remove_by_the_documented_levels() {
    let with_sla = |id: &str, sla: f64| -> (Outlet, Vec<OutletMonth>) {
        let h = (1..=12)
            .map(|m| month(id, 2026, m, 500, sla, 4.5, 0.01, 0.04))
            .collect();
        (outlet(id, OutletStatus::Active), h)
    };
    let (net, hist) = network_with(vec![
        with_sla("s_warn", 0.80),
        with_sla("s_susp", 0.70),
        with_sla("s_rem", 0.55),
    ]);
    let r = review(&net, &hist, as_of(), &ReviewOptions::default()).unwrap();
    assert_eq!(row(&r, "s_warn").action, Action::Warn);
    assert_eq!(row(&r, "s_susp").action, Action::Suspend);
    let rem = row(&r, "s_rem");
    assert_eq!(rem.action, Action::Remove);
    assert!(
        rem.reason.contains("below the remove level 0.65"),
        "{}",
        rem.reason
    );
    // Only the last 6 complete months count: 6 x 500 tickets.
    assert_eq!(rem.card.tickets, 3000);
    assert_eq!(rem.from, date(2026, 7, 1));
}

#[test]
fn complaints_and_repeat_repairs_flag_above_their_levels() {
    let h = |id: &str, c: f64, rep: f64| -> (Outlet, Vec<OutletMonth>) {
        let h = (1..=12)
            .map(|m| month(id, 2026, m, 500, 0.93, 4.5, c, rep))
            .collect();
        (outlet(id, OutletStatus::Active), h)
    };
    let (net, hist) = network_with(vec![h("compl", 0.12, 0.04), h("rep", 0.01, 0.14)]);
    let r = review(&net, &hist, as_of(), &ReviewOptions::default()).unwrap();
    let c = row(&r, "compl");
    assert_eq!(c.action, Action::Remove, "{}", c.reason);
    assert!(c.reason.contains("complaints"), "{}", c.reason);
    let rp = row(&r, "rep");
    assert_eq!(rp.action, Action::Suspend, "{}", rp.reason);
    assert!(rp.reason.contains("repeat repairs"), "{}", rp.reason);
}

#[test]
fn changes_carry_out_confirm_suspend_remove_and_a_dispatcher_applies_them() {
    let changes = review_changes([
        ("b", Action::Suspend),
        ("a", Action::Remove),
        ("c", Action::Warn),
        ("d", Action::Confirm),
        ("e", Action::Keep),
    ]);
    let dispatch = |id: &str, status| crate::dispatch::NetworkChange::OutletStatus {
        outlet_id: id.into(),
        status,
    };
    assert_eq!(
        changes,
        vec![
            dispatch("a", OutletStatus::Closed),
            dispatch("b", OutletStatus::Suspended),
            dispatch("d", OutletStatus::Active),
        ]
    );
    let mut net = Network::new(
        ["a", "b", "c", "d", "e"]
            .iter()
            .map(|id| outlet(id, OutletStatus::Active))
            .collect(),
        vec![],
    )
    .unwrap();
    for c in &changes {
        net = c.apply(&net).unwrap();
    }
    let status = |id: &str| net.outlets()[net.outlet_index(id).unwrap()].status;
    assert_eq!(status("a"), OutletStatus::Closed);
    assert_eq!(status("b"), OutletStatus::Suspended);
    assert_eq!(status("c"), OutletStatus::Active);
}

fn record_strategy() -> impl Strategy<Value = (u32, u32, u32, u32, u32)> {
    // tickets, sla misses, complaints, repeats, rating tenths below 5
    (0u32..400).prop_flat_map(|n| (Just(n), 0..=n, 0..=n, 0..=n, 0u32..=40))
}

fn tested(n: u32, miss: u32, compl: u32, rep: u32, low: u32, status: OutletStatus) -> Action {
    let rc = n / 2;
    let mean = 5.0 - f64::from(low) / 10.0;
    let h: Vec<_> = (7..=12)
        .map(|m| OutletMonth {
            outlet_id: "x".into(),
            month: date(2026, m, 1),
            tickets: n,
            sla_met: n - miss,
            rating_sum: mean * f64::from(rc),
            rating_count: rc,
            complaints: compl,
            repeat_repairs_30d: rep,
        })
        .collect();
    let (net, mut hist) = network_with(vec![(outlet("x", status), h)]);
    hist.status_since.insert("x".into(), date(2026, 7, 1));
    let r = review(&net, &hist, as_of(), &ReviewOptions::default()).unwrap();
    row(&r, "x").action
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn actions_are_deterministic_and_a_worse_record_never_gets_a_milder_action(
        (n, miss, compl, rep, low) in record_strategy(),
        more in 0u32..50,
        probation in any::<bool>(),
    ) {
        let status = if probation { OutletStatus::Probation } else { OutletStatus::Active };
        let a = tested(n, miss, compl, rep, low, status);
        prop_assert_eq!(a, tested(n, miss, compl, rep, low, status));
        // Worse in each rate in turn, on the same tickets.
        let worse = [
            tested(n, (miss + more).min(n), compl, rep, low, status),
            tested(n, miss, (compl + more).min(n), rep, low, status),
            tested(n, miss, compl, (rep + more).min(n), low, status),
            tested(n, miss, compl, rep, (low + more).min(40), status),
        ];
        for w in worse {
            prop_assert!(w.severity() >= a.severity(), "{:?} then {:?}", a, w);
            if probation && a == Action::Remove {
                prop_assert_eq!(w, Action::Remove);
            }
        }
    }
}
