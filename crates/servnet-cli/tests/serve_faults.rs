//! Proof by faults: the real `servnet serve` binary, driven by a real HTTP client from
//! several threads, is killed with SIGKILL at random moments (more than 20 times) and
//! restarted on the same state folder. After every restart, every answer a client
//! received still holds: bookings on the same outlet and day, holds with their expiry,
//! completions, released tickets gone; the booked load of every (outlet, skill, day) is
//! exactly what the acknowledged bookings add up to and never above capacity; retries
//! return the original booking; acknowledged network changes are in force.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Launch, Rng, OUTLETS, SKILLS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Kill points per run.
const ROUNDS: usize = 24;
/// Client threads.
const THREADS: usize = 4;

/// Where a ticket stands, as the answers received say.
#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Never booked (unassignable, or a request never answered that did nothing).
    Absent,
    Booked {
        outlet: String,
        day: u64,
    },
    Held {
        outlet: String,
        day: u64,
        hold: u64,
        expires: String,
    },
    Completed {
        outlet: String,
        day: u64,
    },
    /// Released.
    Gone,
}

impl State {
    fn place(&self) -> Option<(&str, u64)> {
        match self {
            State::Booked { outlet, day }
            | State::Held { outlet, day, .. }
            | State::Completed { outlet, day } => Some((outlet, *day)),
            _ => None,
        }
    }
}

/// A request sent whose answer never came (the server died first).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Dispatch,
    Hold,
    Confirm,
    Release,
    Complete,
    Retry,
}

#[derive(Debug, Clone)]
struct Ticket {
    skill: &'static str,
    /// The dispatch body (a retry sends it again, byte for byte).
    body: String,
    state: State,
    /// The request in flight when the server died.
    pending: Option<Op>,
}

type Book = Arc<Mutex<BTreeMap<String, Ticket>>>;

/// The state a booking answer (or a `GET /v1/bookings`) reports.
fn state_of(a: &Value) -> State {
    let outlet = a["outlet_id"].as_str().unwrap_or_default().to_string();
    let day = a["day"].as_u64().unwrap_or(u64::MAX);
    match a["status"].as_str() {
        Some("booked") => State::Booked { outlet, day },
        Some("held") => State::Held {
            outlet,
            day,
            hold: a["hold"].as_u64().unwrap(),
            expires: a["hold_expires"].as_str().unwrap().to_string(),
        },
        Some("completed") => State::Completed { outlet, day },
        Some("unassignable") => State::Absent,
        other => panic!("unexpected status {other:?} in {a}"),
    }
}

/// Whether `seen` is a state `op`, sent on a ticket in state `before`, may have left
/// (the request was either never made or made).
fn may_follow(before: &State, op: Op, seen: &State) -> bool {
    if seen == before {
        return true;
    }
    match (op, before, seen) {
        (Op::Dispatch, State::Absent, State::Booked { .. }) => true,
        (Op::Hold, State::Absent, State::Held { .. }) => true,
        (Op::Confirm, State::Held { outlet, day, .. }, State::Booked { outlet: o, day: d }) => {
            (outlet, day) == (o, d)
        }
        (Op::Release, State::Booked { .. } | State::Held { .. }, State::Gone) => true,
        (Op::Complete, State::Booked { outlet, day }, State::Completed { outlet: o, day: d }) => {
            (outlet, day) == (o, d)
        }
        _ => false,
    }
}

/// One client thread: new tickets (dispatched or held), confirmations, releases,
/// completions and retries of its own tickets, until the server stops answering.
fn drive(base: String, book: Book, thread: usize, round: usize, now: String, seed: u64) {
    let client = Client::new(&base, Some(common::TOKEN));
    let mut rng = Rng(seed);
    let mine: Vec<String> = book
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, t)| id.starts_with(&format!("T{thread}-")) && t.state.place().is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let mut mine = mine;
    let mut n = 0usize;
    loop {
        let roll = rng.below(100);
        let (op, id) = if roll < 55 || mine.is_empty() {
            n += 1;
            let id = format!("T{thread}-{round:02}-{n:05}");
            let skill = SKILLS[rng.below(2) as usize];
            let body = format!(
                r#"{{"id":"{id}","lon":{:.5},"lat":{:.5},"region":"R1","skill":"{skill}","created_at":"{now}"}}"#,
                121.40 + 0.15 * rng.unit(),
                31.18 + 0.10 * rng.unit()
            );
            book.lock().unwrap().insert(
                id.clone(),
                Ticket {
                    skill,
                    body,
                    state: State::Absent,
                    pending: None,
                },
            );
            (if roll < 40 { Op::Dispatch } else { Op::Hold }, id)
        } else {
            let id = mine[rng.below(mine.len() as u64) as usize].clone();
            let op = match (rng.below(4), &book.lock().unwrap()[&id].state) {
                (0, State::Held { .. }) => Op::Confirm,
                (1, State::Booked { .. } | State::Held { .. }) => Op::Release,
                (2, State::Booked { .. }) => Op::Complete,
                (_, State::Booked { .. } | State::Completed { .. } | State::Held { .. }) => {
                    Op::Retry
                }
                _ => continue,
            };
            (op, id)
        };
        let (body, before) = {
            let mut b = book.lock().unwrap();
            let t = b.get_mut(&id).unwrap();
            t.pending = Some(op);
            (t.body.clone(), t.state.clone())
        };
        let sent = match (op, &before) {
            (Op::Dispatch, _) => client.send("POST", "/v1/dispatch", Some(body.as_bytes())),
            (Op::Hold, _) => {
                let hold = format!(r#"{{"ticket":{body},"ttl_seconds":7200}}"#);
                client.send("POST", "/v1/holds", Some(hold.as_bytes()))
            }
            (Op::Retry, State::Held { .. }) => {
                let hold = format!(r#"{{"ticket":{body},"ttl_seconds":7200}}"#);
                client.send("POST", "/v1/holds", Some(hold.as_bytes()))
            }
            (Op::Retry, _) => client.send("POST", "/v1/dispatch", Some(body.as_bytes())),
            (Op::Confirm, State::Held { hold, .. }) => {
                client.send("POST", &format!("/v1/holds/{hold}/confirm"), Some(b""))
            }
            (Op::Release, _) => {
                client.send("POST", &format!("/v1/bookings/{id}/release"), Some(b""))
            }
            (Op::Complete, _) => client.send(
                "POST",
                &format!("/v1/bookings/{id}/complete"),
                Some(format!(r#"{{"rating":{}}}"#, 1 + rng.below(5)).as_bytes()),
            ),
            (op, st) => panic!("{op:?} on {st:?}"),
        };
        let Ok(answer) = sent else {
            // The server died: this request's outcome is unknown (resolved after restart).
            return;
        };
        assert_eq!(answer.status, 200, "{op:?} {id}: {}", answer.text);
        let after = match op {
            Op::Release => State::Gone,
            _ => state_of(&answer.json),
        };
        match op {
            Op::Retry => assert_eq!(
                after.place(),
                before.place(),
                "a retry of {id} returns its booking: {}",
                answer.text
            ),
            Op::Confirm | Op::Complete => {
                assert!(
                    may_follow(&before, op, &after),
                    "{op:?} {id}: {}",
                    answer.text
                )
            }
            _ => {}
        }
        let mut b = book.lock().unwrap();
        let t = b.get_mut(&id).unwrap();
        if op != Op::Retry {
            t.state = after.clone();
        }
        t.pending = None;
        drop(b);
        if after.place().is_some() && matches!(op, Op::Dispatch | Op::Hold) {
            mine.push(id);
        }
    }
}

/// What the restarted server says of `id`.
fn read_back(c: &Client, id: &str) -> State {
    let a = c.get(&format!("/v1/bookings/{id}"));
    match a.status {
        200 => state_of(&a.json),
        404 => State::Absent,
        s => panic!("GET /v1/bookings/{id}: {s} {}", a.text),
    }
}

/// Checks the restarted server against everything acknowledged, and resolves the
/// requests the kill left unanswered.
fn check(c: &Client, book: &Book, capacity: &BTreeMap<(String, String), u64>, rng: &mut Rng) {
    let mut b = book.lock().unwrap();
    let ids: Vec<String> = b.keys().cloned().collect();
    for id in &ids {
        let t = b.get_mut(id).unwrap();
        let seen = read_back(c, id);
        let expected = match &t.state {
            State::Gone => State::Absent,
            s => s.clone(),
        };
        match t.pending.take() {
            Some(op) => {
                let before = t.state.clone();
                let seen_as = match (&seen, &before) {
                    (State::Absent, State::Booked { .. } | State::Held { .. }) => State::Gone,
                    (State::Absent, State::Gone) => State::Gone,
                    (s, _) => s.clone(),
                };
                assert!(
                    may_follow(&before, op, &seen_as),
                    "{id}: {op:?} unanswered on {before:?}, the server now says {seen:?}"
                );
                t.state = seen_as;
            }
            None => assert_eq!(seen, expected, "{id}: acknowledged as {:?}", t.state),
        }
    }
    // Retries of a sample return the original booking and book nothing.
    let booked: Vec<&String> = ids
        .iter()
        .filter(|id| matches!(b[*id].state, State::Booked { .. } | State::Completed { .. }))
        .collect();
    for _ in 0..booked.len().min(40) {
        let id = booked[rng.below(booked.len() as u64) as usize];
        let a = c.post("/v1/dispatch", &b[id].body);
        assert_eq!(a.status, 200, "retry of {id}: {}", a.text);
        assert_eq!(
            state_of(&a.json).place(),
            b[id].state.place(),
            "retry of {id}"
        );
    }
    // The booked load is what the acknowledged bookings add up to, within capacity.
    let mut expected: BTreeMap<(String, String, u64), u64> = BTreeMap::new();
    for t in b.values() {
        if let Some((outlet, day)) = t.state.place() {
            *expected
                .entry((outlet.to_string(), t.skill.to_string(), day))
                .or_default() += 1;
        }
    }
    let loads = c.get("/v1/loads");
    assert_eq!(loads.status, 200, "{}", loads.text);
    let mut seen: BTreeMap<(String, String, u64), u64> = BTreeMap::new();
    for row in loads.json.as_array().unwrap() {
        let outlet = row["outlet_id"].as_str().unwrap().to_string();
        let skill = row["skill"].as_str().unwrap().to_string();
        let used = row["used"].as_u64().unwrap();
        let cap = row["capacity"].as_u64().unwrap();
        assert!(used <= cap, "over capacity: {row}");
        assert!(
            row["outlet_used"].as_u64().unwrap() <= row["outlet_cap"].as_u64().unwrap(),
            "over the outlet cap: {row}"
        );
        assert_eq!(
            capacity.get(&(outlet.clone(), skill.clone())),
            Some(&cap),
            "capacity of {outlet} {skill} (network changes acknowledged)"
        );
        if used > 0 {
            seen.insert((outlet, skill, row["day"].as_u64().unwrap()), used);
        }
    }
    assert_eq!(seen, expected, "booked load = acknowledged bookings");
}

/// More than 20 kill -9 points; after each restart, every acknowledged change holds.
#[test]
fn kill_9_at_random_moments_loses_no_acknowledged_booking() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let state = work.path().join("state");
    common::write_data(&data);
    let mut launch = Launch::new(work.path(), &data, Some(&state));
    // Small journal segments: rotations, snapshots and truncation happen under the kills.
    launch.extra = vec!["--journal-segment-bytes".into(), "32768".into()];
    let mut capacity: BTreeMap<(String, String), u64> = (0..OUTLETS)
        .flat_map(|i| SKILLS.map(|s| ((format!("O{i:02}"), s.to_string()), 10)))
        .collect();
    let book: Book = Arc::new(Mutex::new(BTreeMap::new()));
    let mut rng = Rng(19);
    let started = Instant::now();
    let mut answered = 0usize;
    for round in 0..ROUNDS {
        let mut server = launch.start();
        let c = server.client();
        check(&c, &book, &capacity, &mut rng);
        // An acknowledged live network change must survive too: raise a capacity.
        if round % 4 == 1 {
            let outlet = format!("O{:02}", round % OUTLETS);
            let key = (outlet.clone(), "repair:tv".to_string());
            let to = capacity[&key] + 1;
            let a = c.post(
                "/v1/network/changes",
                &format!(
                    r#"{{"change":"skill_capacity","outlet_id":"{outlet}","skill":"repair:tv","daily_capacity":{to}}}"#
                ),
            );
            assert_eq!(a.status, 200, "{}", a.text);
            capacity.insert(key, to);
        }
        let before = book.lock().unwrap().len();
        let now = common::local_now(&launch.utc_offset);
        let threads: Vec<_> = (0..THREADS)
            .map(|k| {
                let (base, book, now) = (server.base.clone(), Arc::clone(&book), now.clone());
                let seed = rng.next();
                std::thread::spawn(move || drive(base, book, k, round, now, seed))
            })
            .collect();
        // The kill: some right away, most after a random stretch of load.
        let wait = if round % 6 == 0 {
            rng.below(5)
        } else {
            20 + rng.below(400)
        };
        std::thread::sleep(Duration::from_millis(wait));
        server.kill9();
        for t in threads {
            if let Err(e) = t.join() {
                std::panic::resume_unwind(e);
            }
        }
        answered += book.lock().unwrap().len() - before;
    }
    let server = launch.start();
    check(&server.client(), &book, &capacity, &mut rng);
    let b = book.lock().unwrap();
    let held = b
        .values()
        .filter(|t| matches!(t.state, State::Held { .. }))
        .count();
    let booked = b.values().filter(|t| t.state.place().is_some()).count();
    eprintln!(
        "{ROUNDS} kills in {:.1} s: {} tickets sent, {answered} in rounds, {booked} with a \
         booking ({held} held) at the end",
        started.elapsed().as_secs_f64(),
        b.len()
    );
    assert!(
        booked > 100,
        "the load booked too little to prove anything: {booked}"
    );
    assert!(held > 5, "too few holds: {held}");
    drop(server);
}
