//! The real `servnet serve` binary over HTTP: no one in without a token, malformed and
//! hostile requests answered with a JSON 4xx naming the field (and the server lives on),
//! the status codes of the issue (400, 401, 404, 409, 413), the served OpenAPI document
//! is `docs/openapi.json`, metrics, and the README's quick start (a booking read back
//! after a restart).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Launch, TOKEN};
use std::io::{Read, Write};
use std::path::Path;

/// A ticket opened before the service started (a backlog ticket: served from today).
fn ticket(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","lon":121.45,"lat":31.22,"region":"R1","skill":"repair:tv","created_at":"2026-01-05T09:00:00"}}"#
    )
}

/// Every error answer is `{"error": {status, code, message, field}}` with the status.
fn assert_json_error(a: &common::Answer, status: u16, what: &str) {
    assert_eq!(a.status, status, "{what}: {}", a.text);
    assert_eq!(
        a.json["error"]["status"].as_u64(),
        Some(u64::from(status)),
        "{what}: a JSON error body, got {}",
        a.text
    );
    assert!(
        a.json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {}",
        a.text
    );
}

/// Sends raw bytes on a new connection and returns what came back.
fn raw(base: &str, bytes: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `/healthz` needs no token; every other endpoint refuses a request without a valid
/// bearer token (401, `WWW-Authenticate: Bearer`), before reading its body.
#[test]
fn no_one_in_without_a_token() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let server = Launch::new(work.path(), &data, None).start();
    let anon = Client::new(&server.base, None);
    assert_eq!(anon.get("/healthz").status, 200);
    let wrong = Client::new(&server.base, Some("test-token-0123456789abcdeX"));
    let short = Client::new(&server.base, Some("test"));
    let longer = Client::new(&server.base, Some(&format!("{TOKEN}0")));
    for c in [&anon, &wrong, &short, &longer] {
        for (method, path) in [
            ("POST", "/v1/dispatch"),
            ("POST", "/v1/holds"),
            ("POST", "/v1/holds/1/confirm"),
            ("GET", "/v1/bookings/T1"),
            ("POST", "/v1/bookings/T1/release"),
            ("POST", "/v1/bookings/T1/complete"),
            ("POST", "/v1/candidates"),
            ("POST", "/v1/explain"),
            ("GET", "/v1/loads"),
            ("PUT", "/v1/loads"),
            ("POST", "/v1/network/changes"),
            ("POST", "/v1/assign"),
            ("GET", "/v1/openapi.json"),
            ("GET", "/metrics"),
        ] {
            let a = c.send(method, path, Some(ticket("T1").as_bytes())).unwrap();
            assert_json_error(&a, 401, &format!("{method} {path}"));
        }
    }
    // Basic auth, or the token in another header, is no token.
    let basic = raw(
        &server.base,
        format!(
            "GET /v1/loads HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {TOKEN}\r\n\
             X-Token: {TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert!(basic.starts_with("HTTP/1.1 401"), "{basic}");
    assert!(
        basic
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{basic}"
    );
    // Nothing was booked by the refused requests.
    let c = server.client();
    assert_eq!(c.get("/v1/bookings/T1").status, 404);
}

/// Malformed, mistyped and hostile bodies, paths and queries get a JSON 4xx naming the
/// field where there is one; the status codes are the issue's; the server answers
/// normally afterwards.
#[test]
fn hostile_requests_get_a_json_4xx_and_the_server_lives() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let state = work.path().join("state");
    let mut server = Launch::new(work.path(), &data, Some(&state)).start();
    let c = server.client();
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let t = |extra: &str| {
        format!(
            r#"{{"id":"H1","lon":121.45,"lat":31.22,"region":"R1","skill":"repair:tv","created_at":"2026-01-05T09:00:00"{extra}}}"#
        )
    };
    let bad_bodies: Vec<(&str, Vec<u8>, u16, Option<&str>)> = vec![
        ("cut short", b"{\"id\": ".to_vec(), 400, None),
        ("not JSON", b"id=T1&lon=1".to_vec(), 400, None),
        ("empty", Vec::new(), 400, None),
        ("an array", b"[1, 2]".to_vec(), 400, None),
        ("null", b"null".to_vec(), 400, None),
        (
            "trailing bytes",
            format!("{} x", ticket("H1")).into_bytes(),
            400,
            None,
        ),
        (
            "invalid UTF-8",
            b"{\"id\": \"\xff\xfe\"}".to_vec(),
            400,
            None,
        ),
        ("NUL bytes", b"\0\0\0\0".to_vec(), 400, None),
        ("20,000 levels deep", deep.into_bytes(), 400, None),
        (
            "lon a string",
            t(r#","lon":"x""#)
                .replace(r#""lon":121.45,"#, "")
                .into_bytes(),
            400,
            Some("lon"),
        ),
        (
            "lon out of f64",
            t("").replace("121.45", "1e999").into_bytes(),
            400,
            None,
        ),
        (
            "lon out of range",
            t("").replace("121.45", "500").into_bytes(),
            400,
            Some("lon"),
        ),
        (
            "missing skill",
            t("").replace(r#","skill":"repair:tv""#, "").into_bytes(),
            400,
            Some("skill"),
        ),
        (
            "unknown field",
            t(r#","colour":"red""#).into_bytes(),
            400,
            Some("colour"),
        ),
        (
            "duplicate field",
            t(r#","id":"H2""#).into_bytes(),
            400,
            None,
        ),
        (
            "negative units",
            t(r#","units":-1"#).into_bytes(),
            400,
            Some("units"),
        ),
        (
            "zero units",
            t(r#","units":0"#).into_bytes(),
            400,
            Some("units"),
        ),
        (
            "bad created_at",
            t("")
                .replace("2026-01-05T09:00:00", "yesterday")
                .into_bytes(),
            400,
            Some("created_at"),
        ),
        (
            "no created_at",
            t("")
                .replace(r#","created_at":"2026-01-05T09:00:00""#, "")
                .into_bytes(),
            400,
            Some("created_at"),
        ),
        (
            "due before created",
            t(r#","due_by":"2025-01-01T00:00:00""#).into_bytes(),
            400,
            Some("due_by"),
        ),
        (
            "an id with a control character",
            t("").replace(r#""H1""#, r#""H\u0001""#).into_bytes(),
            400,
            Some("id"),
        ),
        (
            "bad priority",
            t(r#","priority":"urgent""#).into_bytes(),
            400,
            Some("priority"),
        ),
        (
            "bad tier",
            t(r#","customer_tier":"gold""#).into_bytes(),
            400,
            Some("customer_tier"),
        ),
        ("empty id", ticket("").into_bytes(), 400, Some("id")),
        (
            "unknown region",
            t("").replace("\"R1\"", "\"R9\"").into_bytes(),
            400,
            None,
        ),
        ("a 200 kB body", vec![b' '; 200_000], 413, None),
    ];
    for (what, body, status, field) in &bad_bodies {
        // The server may answer an oversized body (413) and close before the client has
        // written all of it: the write then fails with a broken pipe or a reset. That is
        // the client losing a race, not the server failing; the answer must still come on
        // one of three tries.
        let mut tries = 0;
        let a = loop {
            tries += 1;
            match c.send("POST", "/v1/dispatch", Some(body)) {
                Err(ureq::Error::Io(e))
                    if tries < 3
                        && matches!(
                            e.kind(),
                            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                        ) => {}
                r => break r.unwrap_or_else(|e| panic!("{what}: {e}")),
            }
        };
        assert_json_error(&a, *status, what);
        if let Some(f) = field {
            let named = a.json["error"]["field"].as_str().unwrap_or_default();
            let message = a.json["error"]["message"].as_str().unwrap_or_default();
            assert!(
                named.ends_with(f) || message.contains(f),
                "{what}: field {f} named, got {}",
                a.text
            );
        }
    }
    // The server closes the connection after answering the oversized body early, and the
    // agent may keep that closed connection in its pool: the next requests would read an
    // EOF. They go through a fresh client, as a real client reconnects.
    let c = server.client();
    for (what, method, path, body, status) in [
        ("hold ttl 0", "POST", "/v1/holds", format!(r#"{{"ticket":{},"ttl_seconds":0}}"#, ticket("H3")), 400),
        ("hold ttl negative", "POST", "/v1/holds", format!(r#"{{"ticket":{},"ttl_seconds":-5}}"#, ticket("H3")), 400),
        ("hold ttl huge", "POST", "/v1/holds", format!(r#"{{"ticket":{},"ttl_seconds":99999999999}}"#, ticket("H3")), 400),
        ("hold without ticket", "POST", "/v1/holds", r#"{"ttl_seconds":60}"#.to_string(), 400),
        ("confirm a hold id that is not a number", "POST", "/v1/holds/abc/confirm", String::new(), 400),
        ("confirm an unknown hold", "POST", "/v1/holds/987654/confirm", String::new(), 404),
        ("read an unknown ticket", "GET", "/v1/bookings/NOPE", String::new(), 404),
        ("release an unknown ticket", "POST", "/v1/bookings/NOPE/release", String::new(), 404),
        ("complete an unknown ticket", "POST", "/v1/bookings/NOPE/complete", String::new(), 404),
        ("candidates k 0", "POST", "/v1/candidates", format!(r#"{{"ticket":{},"k":0}}"#, ticket("H4")), 400),
        ("candidates k huge", "POST", "/v1/candidates", format!(r#"{{"ticket":{},"k":1000000}}"#, ticket("H4")), 400),
        ("explain an unknown outlet", "POST", "/v1/explain", format!(r#"{{"ticket":{},"outlet_id":"Z"}}"#, ticket("H4")), 400),
        ("loads: a day that is not a number", "GET", "/v1/loads?day=abc", String::new(), 400),
        ("loads: an unknown filter", "GET", "/v1/loads?colour=red", String::new(), 400),
        ("set load: unknown outlet", "PUT", "/v1/loads", r#"{"outlet_id":"Z","skill":"repair:tv","day":0,"units":1}"#.to_string(), 400),
        ("set load: day out of the horizon", "PUT", "/v1/loads", r#"{"outlet_id":"O01","skill":"repair:tv","day":4000000000,"units":1}"#.to_string(), 400),
        ("change: unknown kind", "POST", "/v1/network/changes", r#"{"change":"demolish","outlet_id":"O01"}"#.to_string(), 400),
        ("change: unknown outlet", "POST", "/v1/network/changes", r#"{"change":"outlet_cap","outlet_id":"Z","daily_cap":3}"#.to_string(), 400),
        ("change: an existing outlet added", "POST", "/v1/network/changes", r#"{"change":"add_outlets","outlets":[{"id":"O01","name":"x","lon":121.4,"lat":31.2}]}"#.to_string(), 400),
        ("assign: unknown method", "POST", "/v1/assign", format!(r#"{{"tickets":[{}],"method":"magic"}}"#, ticket("H5")), 400),
        ("assign: a negative time limit", "POST", "/v1/assign", format!(r#"{{"tickets":[{}],"time_limit_seconds":-1}}"#, ticket("H5")), 400),
        ("no such endpoint", "GET", "/v1/nothing", String::new(), 404),
        ("wrong method", "GET", "/v1/dispatch", String::new(), 405),
    ] {
        let a = c.send(method, path, Some(body.as_bytes())).unwrap();
        assert_json_error(&a, status, what);
    }
    // Raw protocol abuse: garbage, an oversized header; answered by HTTP, not a crash.
    let garbage = raw(&server.base, b"GARBAGE \x01\x02\r\n\r\n");
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );
    let huge_header = format!(
        "GET /v1/loads HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let answer = raw(&server.base, huge_header.as_bytes());
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    // Id conflicts (409): a completed booking cannot be released.
    let a = c.post("/v1/dispatch", &ticket("C1"));
    assert_eq!(
        (a.status, a.json["assigned"].as_bool()),
        (200, Some(true)),
        "{}",
        a.text
    );
    assert_eq!(
        c.post("/v1/bookings/C1/complete", r#"{"rating":5}"#).status,
        200
    );
    assert_json_error(
        &c.post("/v1/bookings/C1/release", ""),
        409,
        "release a completed ticket",
    );
    let other = ticket("C1").replace("121.45", "121.46");
    assert_json_error(
        &c.post("/v1/dispatch", &other),
        409,
        "the same id, other content",
    );
    let held = format!(r#"{{"ticket":{},"ttl_seconds":60}}"#, ticket("C2"));
    assert_eq!(c.post("/v1/holds", &held).status, 200);
    assert_json_error(
        &c.post("/v1/dispatch", &ticket("C2")),
        409,
        "dispatch of a held ticket",
    );
    assert_json_error(
        &c.post("/v1/bookings/C1/complete", r#"{"rating":9}"#),
        400,
        "rating 9",
    );
    // Nothing hostile was booked, and the server still serves.
    assert!(server.alive(), "{}", server.log());
    for id in ["H1", "H2", "H3", "H4", "H5"] {
        assert_eq!(c.get(&format!("/v1/bookings/{id}")).status, 404, "{id}");
    }
    let a = c.post("/v1/dispatch", &ticket("OK1"));
    assert_eq!(
        (a.status, a.json["assigned"].as_bool()),
        (200, Some(true)),
        "{}",
        a.text
    );
    assert_eq!(Client::new(&server.base, None).get("/healthz").status, 200);
}

/// The OpenAPI document served is `docs/openapi.json` (regenerate it with
/// `servnet openapi > docs/openapi.json`), and it describes every endpoint served.
#[test]
fn the_served_openapi_document_is_docs_openapi_json() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let server = Launch::new(work.path(), &data, None).start();
    let served = server.client().get("/v1/openapi.json");
    assert_eq!(served.status, 200);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let docs: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        served.json == docs,
        "docs/openapi.json is stale: run `servnet openapi > docs/openapi.json`"
    );
    let paths = docs["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/metrics",
        "/v1/dispatch",
        "/v1/holds",
        "/v1/holds/{hold}/confirm",
        "/v1/bookings/{ticket_id}",
        "/v1/bookings/{ticket_id}/release",
        "/v1/bookings/{ticket_id}/complete",
        "/v1/candidates",
        "/v1/explain",
        "/v1/loads",
        "/v1/network/changes",
        "/v1/assign",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
}

/// `/metrics` counts requests, latency, dispatches and journal flushes (Prometheus text).
#[test]
fn metrics_count_requests_bookings_and_flushes() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let state = work.path().join("state");
    let server = Launch::new(work.path(), &data, Some(&state)).start();
    let c = server.client();
    for i in 0..5 {
        assert_eq!(
            c.post("/v1/dispatch", &ticket(&format!("M{i}"))).status,
            200
        );
    }
    let m = c.get("/metrics");
    assert_eq!(m.status, 200);
    let value = |name: &str| -> f64 {
        m.text
            .lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert!(value("servnet_dispatches_total") >= 5.0, "{}", m.text);
    assert!(value("servnet_ledger_tickets") >= 5.0, "{}", m.text);
    assert!(value("servnet_journal_flushes_total") >= 1.0, "{}", m.text);
    assert!(value("servnet_http_requests_total") >= 5.0, "{}", m.text);
    assert!(
        m.text
            .contains("servnet_http_request_duration_seconds_bucket"),
        "{}",
        m.text
    );
}

/// The README's quick start: serve the sample data, book one ticket, kill the server,
/// start it again on the same state folder: the booking reads back the same.
#[test]
fn readme_quick_start_a_booking_survives_a_restart() {
    let work = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    let state = work.path().join("state");
    let launch = Launch::new(work.path(), &sample, Some(&state));
    // data/sample/tickets.csv's first row as it is: opened before the service started,
    // a backlog ticket served from today.
    let body = r#"{"id": "T000001", "lon": 104.31134, "lat": 30.57648, "region": "CN-1815286",
        "skill": "maintenance:water_heater", "units": 1, "priority": "normal",
        "created_at": "2026-11-23T06:00:00", "due_by": "2026-11-24T06:00:00",
        "customer_tier": "standard", "avoid": "", "preferred": ""}"#;
    let booked = {
        let mut server = launch.start();
        let a = server.client().post("/v1/dispatch", body);
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.json["assigned"].as_bool(), Some(true), "{}", a.text);
        server.kill9();
        a.json
    };
    let server = launch.start();
    let a = server.client().get("/v1/bookings/T000001");
    assert_eq!(a.status, 200, "{}", a.text);
    for field in [
        "ticket_id",
        "assigned",
        "outlet_id",
        "day",
        "date",
        "status",
    ] {
        assert_eq!(a.json[field], booked[field], "{field}: {}", a.text);
    }
    // A retry books nothing new: the same booking.
    let again = server.client().post("/v1/dispatch", body);
    assert_eq!(again.json["outlet_id"], booked["outlet_id"]);
    assert_eq!(again.json["day"], booked["day"]);
}

/// The service's clock releases a lapsed hold by itself (once a second), also one made
/// before a restart; a hold confirmed in time stays booked.
#[test]
fn holds_lapse_on_the_service_clock_also_across_a_restart() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let state = work.path().join("state");
    let launch = Launch::new(work.path(), &data, Some(&state));
    let hold = |c: &Client, id: &str, ttl: u32| {
        let a = c.post(
            "/v1/holds",
            &format!(r#"{{"ticket":{},"ttl_seconds":{ttl}}}"#, ticket(id)),
        );
        assert_eq!(
            (a.status, a.json["status"].as_str()),
            (200, Some("held")),
            "{}",
            a.text
        );
        a.json
    };
    {
        let mut server = launch.start();
        let c = server.client();
        hold(&c, "L1", 2);
        let kept = hold(&c, "L2", 600);
        let h = kept["hold"].as_u64().unwrap();
        let a = c.post(&format!("/v1/holds/{h}/confirm"), "");
        assert_eq!(a.json["status"].as_str(), Some("booked"), "{}", a.text);
        server.kill9();
    }
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let server = launch.start();
    let c = server.client();
    assert!(
        common::wait_until(std::time::Duration::from_secs(5), || c
            .get("/v1/bookings/L1")
            .status
            == 404),
        "the lapsed hold is released after the restart"
    );
    assert_eq!(
        c.get("/v1/bookings/L2").json["status"].as_str(),
        Some("booked")
    );
    hold(&c, "L3", 1);
    assert!(
        common::wait_until(std::time::Duration::from_secs(5), || c
            .get("/v1/bookings/L3")
            .status
            == 404),
        "a hold lapses on the running service's clock"
    );
    let used: u64 = c
        .get("/v1/loads")
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["used"].as_u64().unwrap())
        .sum();
    assert_eq!(used, 1, "only the confirmed booking holds capacity");
}

/// A review's actions reach a running service in one call: `servnet review --changes`
/// writes the body, `POST /v1/network/changes` applies it all or none; the flagged
/// outlet takes no new tickets, its booking stays, and a list with one bad change
/// changes nothing.
#[test]
fn a_reviews_changes_posted_to_the_service_take_effect() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let launch = Launch::new(work.path(), &data, None);
    let server = launch.start();
    let c = server.client();
    // A ticket opened now on the service's clock (explain judges a backlog ticket's SLA
    // from its creation; dispatch serves it from today).
    let fresh = |id: &str| {
        ticket(id).replace(
            "2026-01-05T09:00:00",
            &common::local_now(&launch.utc_offset),
        )
    };
    let first = c.post("/v1/dispatch", &fresh("R0"));
    assert_eq!(first.status, 200, "{}", first.text);
    let flagged = first.json["outlet_id"].as_str().unwrap().to_string();

    // Six months of history: the outlet that took R0 meets its SLA on half its tickets,
    // the others on 93%.
    let mut h = String::from(
        "outlet_id,month,tickets,sla_met,rating_sum,rating_count,complaints,repeat_repairs_30d\n",
    );
    for m in 6..=11 {
        for o in 0..common::OUTLETS {
            let id = format!("O{o:02}");
            let met = if id == flagged { 500 } else { 930 };
            h += &format!("{id},2026-{m:02},1000,{met},1350,300,10,40\n");
        }
    }
    std::fs::write(data.join("outlet_history.csv"), h).unwrap();
    let changes = work.path().join("changes.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_servnet"))
        .args(["review", data.to_str().unwrap(), "--as-of", "2026-12-01"])
        .args(["--out", work.path().join("actions.csv").to_str().unwrap()])
        .args(["--changes", changes.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let body = std::fs::read_to_string(&changes).unwrap();
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "only the flagged outlet changes: {body}");
    assert_eq!(list[0]["outlet_id"], flagged.as_str(), "{body}");
    assert!(
        matches!(list[0]["status"].as_str(), Some("suspended" | "closed")),
        "{body}"
    );

    // One bad change in the list: 400, nothing applied.
    let bad = format!(
        r#"[{}, {{"change":"outlet_cap","outlet_id":"Z","daily_cap":3}}]"#,
        serde_json::to_string(&list[0]).unwrap()
    );
    let refused = c.post("/v1/network/changes", &bad);
    assert_json_error(&refused, 400, "a list with an unknown outlet");
    // Whether the flagged outlet may take a ticket (explain names no rule it fails).
    let offers = |id: &str| {
        let a = c.post(
            "/v1/explain",
            &format!(r#"{{"ticket":{},"outlet_id":"{flagged}"}}"#, fresh(id)),
        );
        assert_eq!(a.status, 200, "{}", a.text);
        a.json["failed"].is_null()
    };
    assert!(offers("R1"), "the refused list suspended the outlet anyway");

    let applied = c.post("/v1/network/changes", &body);
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(applied.json["changes"].as_array().map(Vec::len), Some(1));
    assert_eq!(applied.json["outlets"], common::OUTLETS);
    let after = c.post("/v1/dispatch", &fresh("R2"));
    assert_eq!(after.status, 200, "{}", after.text);
    let now = after.json["outlet_id"].as_str().unwrap();
    assert_ne!(now, flagged, "the flagged outlet took a new ticket");
    assert!(!offers("R3"), "the flagged outlet is still offered");
    let kept = c.get("/v1/bookings/R0");
    assert_eq!(kept.json["outlet_id"].as_str(), Some(flagged.as_str()));
}

/// A backlog ticket (opened long before the service started, past its due time):
/// `/v1/candidates` lists what `/v1/dispatch` books, with the fallback route it books it
/// by, and `/v1/explain` judges that outlet by the same rules (it said "SLA blocks"
/// while dispatch booked it).
#[test]
fn candidates_and_explain_answer_for_a_backlog_ticket_as_dispatch_books_it() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    common::write_data(&data);
    let server = Launch::new(work.path(), &data, None).start();
    let c = server.client();
    let cands = c.post(
        "/v1/candidates",
        &format!(r#"{{"ticket":{},"k":3}}"#, ticket("B1")),
    );
    assert_eq!(cands.status, 200, "{}", cands.text);
    let first = &cands.json[0];
    let route = first["route"].as_str().unwrap_or_default().to_string();
    assert_ne!(route, "direct", "{}", cands.text);
    let outlet = first["outlet_id"].as_str().unwrap_or_default().to_string();
    let why = c.post(
        "/v1/explain",
        &format!(r#"{{"ticket":{},"outlet_id":"{outlet}"}}"#, ticket("B1")),
    );
    assert_eq!(why.status, 200, "{}", why.text);
    assert!(why.json["failed"].is_null(), "{}", why.text);
    assert!(
        why.json["text"]
            .as_str()
            .unwrap_or_default()
            .contains("falls back"),
        "{}",
        why.text
    );
    let booked = c.post("/v1/dispatch", &ticket("B1"));
    assert_eq!(booked.status, 200, "{}", booked.text);
    assert_eq!(
        booked.json["outlet_id"].as_str(),
        Some(outlet.as_str()),
        "{}",
        booked.text
    );
    assert_eq!(
        booked.json["route"].as_str(),
        Some(route.as_str()),
        "{}",
        booked.text
    );
}
