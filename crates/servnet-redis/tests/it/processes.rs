//! Several dispatch processes on one Redis ledger, with faults: real processes
//! (`ledger-load`), several threads each, overlapping tickets, tight capacities.
//!
//! After every run the harness reads every booking Redis holds and checks: no outlet
//! skill or outlet is booked past its capacity on any day, Redis's counters equal the
//! bookings (no unit leaked), every ticket is booked at most once, every answer a
//! process acknowledged is the booking Redis holds, and all processes answered a ticket
//! the same way.

use crate::common::{redis, RedisServer};
use servnet_core::bench::synthetic::{synthetic, SyntheticSpec};
use servnet_core::dispatch::{Dispatcher, Outcome, Policy};
use servnet_core::Error as CoreError;
use servnet_redis::{RedisLedger, RedisStore};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One process test at a time: each starts several processes on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The network every process builds: 60 outlets in 5 cities, 5 skills, 3 per outlet,
/// 2 units per outlet skill and 4 per outlet a day, 2 days: far fewer units than tickets.
const NET: &[&str] = &[
    "--outlets",
    "60",
    "--cities",
    "5",
    "--categories",
    "1",
    "--skills-per-outlet",
    "3",
    "--capacity",
    "2",
    "--daily-cap",
    "4",
    "--horizon-days",
    "2",
    "--seed",
    "11",
];
const CAPACITY: u32 = 2;
const DAILY_CAP: u32 = 4;

fn spec() -> SyntheticSpec {
    SyntheticSpec {
        outlets: 60,
        cities: 5,
        categories: 1,
        skills_per_outlet: 3,
        skill_capacity: CAPACITY,
        daily_cap: DAILY_CAP,
        seed: 11,
    }
}

/// A running `ledger-load` and the lines it printed so far.
struct Load {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Load {
    fn start(url: &str, tickets: usize, from: usize, threads: usize) -> Load {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ledger-load"))
            .args(NET)
            .args(["--ledger", url])
            .args(["--tickets", &tickets.to_string()])
            .args(["--from", &from.to_string()])
            .args(["--threads", &threads.to_string()])
            .args(["--retry-ms", "50", "--max-secs", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ledger-load");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().expect("stdout");
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Load {
            child,
            lines,
            reader: Some(reader),
        }
    }

    fn printed(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits for the end (at most 90 s); returns its lines and whether it succeeded.
    fn finish(mut self) -> (Vec<String>, bool, String) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        let lines = std::mem::take(&mut *self.lines.lock().unwrap());
        (lines, status.is_some_and(|s| s.success()), err)
    }

    /// kill -9; returns the lines it had printed (what it acknowledged).
    fn kill(mut self) -> Vec<String> {
        self.child.kill().unwrap();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

/// An acknowledged assignment: (outlet, skill, day, units).
type Answer = (String, String, u32, u32);

/// The `A` lines: ticket -> every answer given (one per dispatch).
fn answers(lines: &[String]) -> BTreeMap<String, Vec<Answer>> {
    let mut out: BTreeMap<String, Vec<Answer>> = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        if let ["A", t, o, s, d, u, _, _] = f[..] {
            out.entry(t.to_string()).or_default().push((
                o.to_string(),
                s.to_string(),
                d.parse().unwrap(),
                u.parse().unwrap(),
            ));
        }
    }
    out
}

/// The wall-clock span (us) of each answer: ticket -> (kind "A"/"U", began, returned).
fn spans(lines: &[String]) -> Vec<(String, &'static str, u128, u128)> {
    let mut out = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        match f[..] {
            ["A", t, _, _, _, _, a, b] => {
                out.push((t.to_string(), "A", a.parse().unwrap(), b.parse().unwrap()))
            }
            ["U", t, _, a, b] => {
                out.push((t.to_string(), "U", a.parse().unwrap(), b.parse().unwrap()))
            }
            _ => {}
        }
    }
    out
}

/// Checks that no process answered "no outlet can take it" for a ticket some process
/// (itself or another) had already acknowledged as booked when that dispatch began: a
/// retry on any process gets the booking. Returns how many dispatches began after
/// their ticket's booking was acknowledged (retries that had to find it).
fn check_retries_find_the_booking(runs: &[&[String]]) -> usize {
    let all: Vec<_> = runs.iter().flat_map(|l| spans(l)).collect();
    let mut booked_at: BTreeMap<&str, u128> = BTreeMap::new();
    for (t, kind, _, returned) in &all {
        if *kind == "A" {
            let e = booked_at.entry(t.as_str()).or_insert(*returned);
            *e = (*e).min(*returned);
        }
    }
    let mut retries = 0;
    for (t, kind, began, _) in &all {
        let Some(at) = booked_at.get(t.as_str()) else {
            continue;
        };
        if began > at {
            assert_eq!(
                *kind,
                "A",
                "ticket {t}: answered 'no outlet' in a dispatch that began {} us after \
                 its booking was acknowledged",
                began - at
            );
            retries += 1;
        }
    }
    retries
}

fn count(lines: &[String], kind: &str) -> usize {
    lines.iter().filter(|l| l.starts_with(kind)).count()
}

/// Checks the namespace's bookings against capacity and counters, and each answer
/// against the booking Redis holds; returns the bookings (ticket -> answer).
fn check_ledger(
    store: &RedisStore,
    acknowledged: &[&BTreeMap<String, Vec<Answer>>],
) -> BTreeMap<String, Answer> {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let bookings: BTreeMap<String, Answer> = store
        .all_bookings()
        .unwrap()
        .into_iter()
        .map(|(t, b)| {
            let date = chrono::NaiveDate::parse_from_str(&b.date, "%Y-%m-%d").unwrap();
            let day = (date - start).num_days() as u32;
            (t, (b.outlet, b.skill, day, b.units))
        })
        .collect();
    let mut offer: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    let mut outlet: BTreeMap<(String, u32), u32> = BTreeMap::new();
    for (o, s, d, u) in bookings.values() {
        *offer.entry((s.clone(), o.clone(), *d)).or_default() += u;
        *outlet.entry((o.clone(), *d)).or_default() += u;
    }
    for ((s, o, d), n) in &offer {
        assert!(
            *n <= CAPACITY,
            "{o} {s} day {d}: {n} units over capacity {CAPACITY}"
        );
    }
    for ((o, d), n) in &outlet {
        assert!(
            *n <= DAILY_CAP,
            "{o} day {d}: {n} units over its cap {DAILY_CAP}"
        );
    }
    // Redis's counters are exactly the bookings' units.
    let dates: Vec<String> = (0..2)
        .map(|d| {
            (start + chrono::Days::new(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let snap = store.snapshot(&dates).unwrap();
    for (d, loads) in snap.loads.iter().enumerate() {
        for (s, o, units) in loads {
            let want = if s.is_empty() {
                outlet.get(&(o.clone(), d as u32))
            } else {
                offer.get(&(s.clone(), o.clone(), d as u32))
            };
            assert_eq!(
                *units,
                want.copied().unwrap_or(0),
                "counter {s}|{o} day {d}"
            );
        }
    }
    // Every acknowledged answer is the booking Redis holds, and all agree.
    for acks in acknowledged {
        for (t, given) in acks.iter() {
            let held = bookings.get(t);
            for a in given {
                assert_eq!(
                    Some(a),
                    held,
                    "ticket {t}: answered {a:?}, Redis holds {held:?}"
                );
            }
        }
    }
    bookings
}

/// `procs` processes x `threads` threads dispatch the same 1,500 tickets, each process
/// from another point: every ticket is dispatched `procs` times, concurrently, on tight
/// capacities.
fn processes_share_capacity(procs: usize, threads: usize) {
    let _one = serial();
    let r = redis("procs");
    let url = r.url();
    let loads: Vec<Load> = (0..procs)
        .map(|p| Load::start(&url, 1500, p * 1500 / procs, threads))
        .collect();
    let runs: Vec<(Vec<String>, bool, String)> = loads.into_iter().map(Load::finish).collect();
    for (lines, ok, err) in &runs {
        assert!(ok, "a process failed: {err}");
        assert_eq!(count(lines, "E"), 0, "{err}");
        assert_eq!(lines.len(), 1500, "every ticket answered once per process");
    }
    let acks: Vec<BTreeMap<String, Vec<Answer>>> = runs.iter().map(|r| answers(&r.0)).collect();
    let store = RedisStore::connect(&url).unwrap();
    let bookings = check_ledger(&store, &acks.iter().collect::<Vec<_>>());
    // Contention was real: many tickets booked, many found no room.
    assert!(bookings.len() > 200, "{} booked", bookings.len());
    assert!(count(&runs[0].0, "U") > 200);
    // Every booking was acknowledged by some process (none made behind their backs).
    for (t, b) in &bookings {
        let answered = acks.iter().filter(|a| a.contains_key(t)).count();
        assert!(
            answered >= 1,
            "ticket {t} booked ({b:?}) but no process acknowledged it"
        );
    }
    // Retries on other processes after a booking found it (and answered it as booked:
    // check_ledger compared every answer with the booking).
    let lines: Vec<&[String]> = runs.iter().map(|r| r.0.as_slice()).collect();
    let retries = check_retries_find_the_booking(&lines);
    assert!(retries > 100, "only {retries} retries after a booking");
    store.clear().unwrap();
}

#[test]
fn two_processes_share_capacity_and_agree_on_every_retry() {
    processes_share_capacity(2, 4);
}

#[test]
fn four_processes_share_capacity_and_agree_on_every_retry() {
    processes_share_capacity(4, 2);
}

/// kill -9 of one of 3 processes mid-load: the others finish their tickets, and every
/// booking the killed one had acknowledged is in Redis as it answered.
#[test]
fn kill_9_of_a_process_loses_nothing_it_acknowledged() {
    let _one = serial();
    let r = redis("kill9");
    let url = r.url();
    let victim = Load::start(&url, 3000, 0, 3);
    let others: Vec<Load> = (1..3)
        .map(|p| Load::start(&url, 3000, p * 1000, 3))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while victim.printed() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = victim.kill();
    assert!(
        killed.len() >= 300 && killed.len() < 3000,
        "killed after {} answers",
        killed.len()
    );
    let runs: Vec<(Vec<String>, bool, String)> = others.into_iter().map(Load::finish).collect();
    for (lines, ok, err) in &runs {
        assert!(ok, "a process failed: {err}");
        assert_eq!(lines.len(), 3000);
    }
    let mut acks = vec![answers(&killed)];
    acks.extend(runs.iter().map(|r| answers(&r.0)));
    let mut lines: Vec<&[String]> = vec![killed.as_slice()];
    lines.extend(runs.iter().map(|r| r.0.as_slice()));
    check_retries_find_the_booking(&lines);
    let store = RedisStore::connect(&url).unwrap();
    let bookings = check_ledger(&store, &acks.iter().collect::<Vec<_>>());
    assert!(acks[0].keys().all(|t| bookings.contains_key(t)));
    store.clear().unwrap();
}

/// Redis killed (kill -9) mid-load and restarted from its AOF (appendfsync always):
/// the processes see errors while it is down, retry, and finish; every booking any of
/// them acknowledged, before or after, is in Redis as answered.
#[test]
fn redis_restarted_from_aof_keeps_every_acknowledged_booking() {
    let _one = serial();
    let mut server = RedisServer::start("always");
    let url = server.url("restart");
    let loads: Vec<Load> = (0..2)
        .map(|p| Load::start(&url, 3000, p * 1500, 3))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while loads.iter().map(Load::printed).sum::<usize>() < 600 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    let runs: Vec<(Vec<String>, bool, String)> = loads.into_iter().map(Load::finish).collect();
    let mut errors = 0;
    for (lines, ok, err) in &runs {
        assert!(ok, "a process failed: {err}");
        assert_eq!(count(lines, "A") + count(lines, "U"), 3000);
        errors += count(lines, "E");
        for e in lines.iter().filter(|l| l.starts_with('E')) {
            assert!(e.contains("Redis at 127.0.0.1:"), "{e}");
        }
    }
    assert!(errors > 0, "the outage went unseen");
    let acks: Vec<BTreeMap<String, Vec<Answer>>> = runs.iter().map(|r| answers(&r.0)).collect();
    let store = RedisStore::connect(&url).unwrap();
    check_ledger(&store, &acks.iter().collect::<Vec<_>>());
    let lines: Vec<&[String]> = runs.iter().map(|r| r.0.as_slice()).collect();
    check_retries_find_the_booking(&lines);
}

/// Redis unreachable: dispatch answers a clear error naming the server and the ticket,
/// books nothing and writes nothing half; when Redis is back, the same ticket books.
#[test]
fn an_unreachable_redis_is_a_clear_error_and_dispatch_recovers() {
    let _one = serial();
    let mut server = RedisServer::start("everysec");
    let url = server.url("unreachable");
    let (network, tickets) = synthetic(&spec(), 50).unwrap();
    let policy = Policy {
        start_date: Some(tickets[0].created_at.date()),
        horizon_days: 2,
        ..Policy::default()
    };
    let d = Dispatcher::with_ledger(
        network,
        policy,
        Box::new(RedisLedger::connect(&url).unwrap()),
    )
    .unwrap();
    for t in &tickets[..10] {
        d.dispatch(t).unwrap();
    }
    server.kill();
    // The first call may find its pooled connection dead after sending: "may or may
    // not"; the next one cannot connect at all: "nothing was booked".
    let _ = d.dispatch(&tickets[10]);
    let e = d.dispatch(&tickets[10]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, CoreError::Ledger { .. }), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{}", server.port))
            && msg.contains(&format!("'{}'", tickets[10].id))
            && msg.contains("unreachable")
            && msg.contains("nothing was booked"),
        "{msg}"
    );
    server.restart();
    let store = RedisStore::connect(&url).unwrap();
    assert_eq!(store.booking(&tickets[10].id).unwrap(), None);
    let a = d.dispatch(&tickets[10]).unwrap();
    assert!(matches!(a, Outcome::Assigned(_)), "{a:?}");
    for t in &tickets[11..] {
        d.dispatch(t).unwrap();
    }
    let acks = BTreeMap::new();
    check_ledger(&store, &[&acks]);
}
