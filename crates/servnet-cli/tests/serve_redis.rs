//! Two `servnet serve --ledger redis://...` instances on one Redis namespace: clients
//! sending overlapping tickets to both never get an outlet booked past its capacity, a
//! retry sent to the other instance returns the original booking, both report the same
//! loads, and a Redis that goes away is a 503 `ledger_unavailable` naming it.
//!
//! Needs a real Redis: a redis-server this test starts (scripts/setup.sh installs it),
//! or else SERVNET_REDIS_URL's (then without the outage); without either it fails and
//! says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Client, Launch, OUTLETS, OUTLET_CAP, SKILLS, SKILL_CAPACITY};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server of this test's own (killed when dropped).
struct OwnRedis {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A redis-server of this test's own on a free port, or None if there is no
/// redis-server to run.
fn start_redis() -> Option<(String, OwnRedis)> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let up = common::wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "redis-server did not start on port {port}");
    Some((
        format!("redis://127.0.0.1:{port}/0"),
        OwnRedis { child, _dir: dir },
    ))
}

/// A Redis URL with a namespace of this run's own: a redis-server this test starts
/// (returned, to be taken away), else SERVNET_REDIS_URL's; without either the test fails
/// and says so.
fn shared_redis(tag: &str) -> (String, Option<OwnRedis>) {
    let (base, own) = match (start_redis(), std::env::var("SERVNET_REDIS_URL")) {
        (Some((u, r)), _) => (u, Some(r)),
        (None, Ok(u)) if !u.is_empty() => (u, None),
        _ => panic!(
            "no redis-server to run and SERVNET_REDIS_URL unset: these tests need a real \
             Redis; install it (bash scripts/setup.sh) or set SERVNET_REDIS_URL"
        ),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}namespace={tag}-{}-{nanos}", std::process::id());
    (url, own)
}

fn ticket(id: &str, i: usize, now: &str) -> String {
    let skill = SKILLS[i % 2];
    format!(
        r#"{{"id":"{id}","lon":{:.4},"lat":{:.4},"region":"R1","skill":"{skill}","created_at":"{now}"}}"#,
        121.40 + 0.01 * (i % 17) as f64,
        31.20 + 0.005 * (i % 13) as f64
    )
}

#[test]
fn two_instances_on_one_redis_never_overbook_and_agree_on_retries() {
    // A Redis of its own (so that it can take it away at the end), else
    // SERVNET_REDIS_URL's.
    let (url, mut own) = shared_redis("serve");
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    // One day, no fallbacks: 8 outlets x 15 units is all there is.
    let policy = work.path().join("policy.json");
    std::fs::write(&policy, r#"{"horizon_days": 1, "fallback": []}"#).unwrap();
    let mut launch = Launch::new(work.path(), &data, None);
    launch.ledger = Some(url.clone());
    launch.extra = vec!["--policy-file".into(), policy.display().to_string()];
    let servers = [launch.start(), launch.start()];
    let health = servers[0].client().get("/healthz");
    assert_eq!(health.json["ledger"], "redis", "{}", health.text);
    let now = common::local_now(&launch.utc_offset);
    // 4 client threads, 2 per instance, 200 tickets each; thread k and k+2 send the same
    // ids (to different instances): 400 distinct tickets for 120 units.
    let answers: Vec<BTreeMap<String, (u16, serde_json::Value)>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|k| {
                let base = servers[k % 2].base.clone();
                let now = now.clone();
                sc.spawn(move || {
                    let c = Client::new(&base, Some(common::TOKEN));
                    let mut out = BTreeMap::new();
                    for i in 0..200 {
                        let n = (k / 2) * 200 + i;
                        let id = format!("S{n:04}");
                        let a = c.post("/v1/dispatch", &ticket(&id, n, &now));
                        out.insert(id, (a.status, a.json));
                    }
                    out
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every ticket was answered by both instances the same way when either booked it.
    let mut booked: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for a in &answers {
        for (id, (status, json)) in a {
            assert_eq!(*status, 200, "{id}: {json}");
            if json["status"] == "booked" {
                let place = (
                    json["outlet_id"].as_str().unwrap().to_string(),
                    json["day"].as_u64().unwrap(),
                );
                if let Some(p) = booked.insert(id.clone(), place.clone()) {
                    assert_eq!(p, place, "{id} booked twice");
                }
            }
        }
    }
    let cap = (OUTLETS as u32 * OUTLET_CAP).min(OUTLETS as u32 * 2 * SKILL_CAPACITY) as usize;
    assert!(
        booked.len() <= cap && booked.len() > cap / 2,
        "{}",
        booked.len()
    );
    // Retries on the other instance return the booking; the loads both report agree and
    // stay within capacity.
    for (id, place) in booked.iter().take(40) {
        let n: usize = id[1..].parse().unwrap();
        let a = servers[1]
            .client()
            .post("/v1/dispatch", &ticket(id, n, &now));
        assert_eq!(a.status, 200, "{}", a.text);
        let got = (
            a.json["outlet_id"].as_str().unwrap_or_default().to_string(),
            a.json["day"].as_u64().unwrap_or(u64::MAX),
        );
        assert_eq!(&got, place, "retry of {id}: {}", a.text);
    }
    let mut used_by_outlet: BTreeMap<String, u64> = BTreeMap::new();
    for s in &servers {
        let loads = s.client().get("/v1/loads");
        assert_eq!(loads.status, 200, "{}", loads.text);
        let mut per: BTreeMap<String, u64> = BTreeMap::new();
        for row in loads.json.as_array().unwrap() {
            assert!(row["used"].as_u64() <= row["capacity"].as_u64(), "{row}");
            assert!(
                row["outlet_used"].as_u64() <= row["outlet_cap"].as_u64(),
                "{row}"
            );
            *per.entry(row["outlet_id"].as_str().unwrap().to_string())
                .or_default() += row["used"].as_u64().unwrap();
        }
        if used_by_outlet.is_empty() {
            used_by_outlet = per;
        } else {
            assert_eq!(per, used_by_outlet, "both instances see the same loads");
        }
    }
    assert_eq!(
        used_by_outlet.values().sum::<u64>(),
        booked.len() as u64,
        "booked load = acknowledged bookings"
    );
    // Redis gone (only when this test owns it): a clear 503 naming it.
    if let Some(r) = own.take() {
        drop(r);
        let a = servers[0]
            .client()
            .post("/v1/dispatch", &ticket("Z1", 1, &now));
        assert_eq!(a.status, 503, "{}", a.text);
        assert_eq!(a.json["error"]["code"], "ledger_unavailable", "{}", a.text);
        assert!(a.text.contains("Redis at 127.0.0.1:"), "{}", a.text);
    }
}

/// The outlets `server` offers a ticket, best first.
fn candidate_outlets(server: &common::Server, ticket: &str) -> Vec<String> {
    let a = server.client().post(
        "/v1/candidates",
        &format!(r#"{{"ticket":{ticket},"k":20}}"#),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    a.json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outlet_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_network_change_on_one_instance_reaches_the_others_and_a_new_one() {
    let (url, _own) = shared_redis("serve-change");
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let mut launch = Launch::new(work.path(), &data, None);
    launch.ledger = Some(url.clone());
    let servers = [launch.start(), launch.start()];
    let now = common::local_now(&launch.utc_offset);
    let t = ticket("C1", 3, &now);
    let before = candidate_outlets(&servers[1], &t);
    assert_eq!(before, candidate_outlets(&servers[0], &t));
    let best = before.first().cloned().unwrap();
    // Suspend the best outlet on instance 0.
    let change = servers[0].client().post(
        "/v1/network/changes",
        &format!(r#"{{"change":"outlet_status","outlet_id":"{best}","status":"suspended"}}"#),
    );
    assert_eq!(change.status, 200, "{}", change.text);
    assert!(!candidate_outlets(&servers[0], &t).contains(&best));
    // Instance 1 applies it within a few of its one-second ticks, and never books there.
    let applied = common::wait_until(Duration::from_secs(10), || {
        !candidate_outlets(&servers[1], &t).contains(&best)
    });
    assert!(applied, "instance 1 still offers suspended outlet {best}");
    let a = servers[1].client().post("/v1/dispatch", &t);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_ne!(
        a.json["outlet_id"].as_str(),
        Some(best.as_str()),
        "{}",
        a.text
    );
    // A change sent to instance 1 comes after instance 0's (instance 1 had applied it), and
    // a process started now, from the same files, starts with both.
    let second = before[1].clone();
    let change = servers[1].client().post(
        "/v1/network/changes",
        &format!(r#"{{"change":"outlet_status","outlet_id":"{second}","status":"closed"}}"#),
    );
    assert_eq!(change.status, 200, "{}", change.text);
    let late = launch.start();
    let offered = candidate_outlets(&late, &t);
    assert!(
        !offered.contains(&best) && !offered.contains(&second),
        "a new instance offers {offered:?}, with {best} suspended and {second} closed"
    );
    // Reopening the first outlet on the new instance reaches the first two.
    let change = late.client().post(
        "/v1/network/changes",
        &format!(r#"{{"change":"outlet_status","outlet_id":"{best}","status":"active"}}"#),
    );
    assert_eq!(change.status, 200, "{}", change.text);
    for s in &servers {
        let back = common::wait_until(Duration::from_secs(10), || {
            candidate_outlets(s, &t).contains(&best)
        });
        assert!(
            back,
            "{best} reopened on one instance but not offered by another"
        );
    }
}
