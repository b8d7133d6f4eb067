//! The endpoints: each converts its JSON, calls the dispatcher on a blocking thread (a
//! durable call waits for its disk flush) and converts the answer.

use crate::api::*;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use servnet_core::assign::{AssignOptions, Method};
use servnet_core::dispatch::{Dispatcher, Outcome, Status};
use std::sync::{Arc, RwLockReadGuard, RwLockWriteGuard};

type Shared = Arc<AppState>;

fn read(s: &AppState) -> RwLockReadGuard<'_, Dispatcher> {
    s.dispatcher.read().unwrap_or_else(|e| e.into_inner())
}

fn write(s: &AppState) -> RwLockWriteGuard<'_, Dispatcher> {
    s.dispatcher.write().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with the dispatcher. With a local ledger (memory, journal) it runs on this
/// task, as a call takes microseconds, and the journal's flush is awaited rather than
/// waited for by a thread (the answer goes out once it is durable); with a store across
/// the network, on a blocking thread.
async fn call<T: Send + 'static>(
    s: &Shared,
    f: impl FnOnce(&AppState, &Dispatcher) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    if !s.local {
        return blocking(s, f).await;
    }
    let (out, durable) = {
        let d = read(s);
        servnet_core::dispatch::defer_durability(|| f(s, &d))
    };
    durable.await?;
    out
}

/// Runs `f` with the dispatcher on a blocking thread.
async fn blocking<T: Send + 'static>(
    s: &Shared,
    f: impl FnOnce(&AppState, &Dispatcher) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let s = Arc::clone(s);
    tokio::task::spawn_blocking(move || f(&s, &read(&s)))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

/// Runs `f` with the dispatcher to itself (no other call meanwhile).
async fn exclusive<T: Send + 'static>(
    s: &Shared,
    f: impl FnOnce(&mut Dispatcher) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let s = Arc::clone(s);
    tokio::task::spawn_blocking(move || f(&mut write(&s)))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

fn count(s: &AppState, o: &Outcome) {
    let label = match o {
        Outcome::Assigned(_) => "assigned",
        Outcome::Unassignable(_) => "unassignable",
    };
    s.metrics.dispatches.with_label_values(&[label]).inc();
}

/// Whether the service is up (no token needed).
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz(State(s): State<Shared>) -> Json<Health> {
    let d = read(&s);
    Json(Health {
        status: "ok".into(),
        ledger: s.ledger_kind.to_string(),
        first_day: d.first_day(),
        today: d.date_of(d.first_day()).map(|x| x.to_string()),
    })
}

/// Prometheus metrics (text exposition).
#[utoipa::path(get, path = "/metrics", security(("bearer" = [])),
    responses((status = 200, body = String, content_type = "text/plain"),
              (status = 401, body = ErrorBody)))]
pub async fn metrics(
    State(s): State<Shared>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let stats = read(&s).ledger_stats();
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(stats),
    )
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// Picks the best outlet for a ticket and books its capacity. Idempotent per ticket id:
/// a known id answers its existing booking (booked, held or completed) and books
/// nothing. Answered once the booking is durable.
#[utoipa::path(post, path = "/v1/dispatch", request_body = TicketIn, security(("bearer" = [])),
    responses((status = 200, body = BookingOut, description = "booked, or unassignable with the reason"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn dispatch(
    State(s): State<Shared>,
    JsonBody(t): JsonBody<TicketIn>,
) -> Result<Json<BookingOut>, ApiError> {
    let ticket = t.into_ticket()?;
    call(&s, move |s, d| {
        let (o, status) = d.dispatch_with_status(&ticket)?;
        count(s, &o);
        Ok(match (&o, status) {
            (Outcome::Assigned(a), Some(st)) => BookingOut::booked(d, a, st),
            _ => BookingOut::outcome(d, &o),
        })
    })
    .await
    .map(Json)
}

/// Books a ticket as a hold for `ttl_seconds` (by the service's clock); confirm it with
/// `POST /v1/holds/{hold}/confirm` before it lapses.
#[utoipa::path(post, path = "/v1/holds", request_body = HoldIn, security(("bearer" = [])),
    responses((status = 200, body = BookingOut), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn hold(
    State(s): State<Shared>,
    JsonBody(h): JsonBody<HoldIn>,
) -> Result<Json<BookingOut>, ApiError> {
    if !(1..=604_800).contains(&h.ttl_seconds) {
        return Err(ApiError::invalid(
            "ttl_seconds",
            format!("expected 1..=604800 seconds, got {}", h.ttl_seconds),
        ));
    }
    let now = s.clock.now();
    let ticket = h.ticket.into_ticket()?;
    let ttl = chrono::Duration::seconds(i64::from(h.ttl_seconds));
    call(&s, move |s, d| {
        let (o, status) = d.hold_with_status(&ticket, ttl, now)?;
        count(s, &o);
        Ok(match (&o, status) {
            (Outcome::Assigned(a), Some(st)) => BookingOut::booked(d, a, st),
            _ => BookingOut::outcome(d, &o),
        })
    })
    .await
    .map(Json)
}

/// Turns a hold into a firm booking (404 if unknown, 400 if it lapsed).
#[utoipa::path(post, path = "/v1/holds/{hold}/confirm", security(("bearer" = [])),
    params(("hold" = u64, Path, description = "The hold id")),
    responses((status = 200, body = BookingOut), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn confirm(
    State(s): State<Shared>,
    hold: Result<Path<u64>, PathRejection>,
) -> Result<Json<BookingOut>, ApiError> {
    let Path(hold) = hold.map_err(|e| {
        ApiError::invalid(
            "hold",
            format!("expected a hold id (a number): {}", e.body_text()),
        )
    })?;
    let now = s.clock.now();
    call(&s, move |_, d| {
        let a = d.confirm(hold, now)?;
        Ok(BookingOut::booked(d, &a, Status::Booked))
    })
    .await
    .map(Json)
}

/// A ticket's booking: booked, held or completed (404 if the id is unknown).
#[utoipa::path(get, path = "/v1/bookings/{ticket_id}", security(("bearer" = [])),
    params(("ticket_id" = String, Path, description = "The ticket id")),
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody)))]
pub async fn booking(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<BookingOut>, ApiError> {
    call(&s, move |_, d| match d.booking(&id)? {
        Some((a, status)) => Ok(BookingOut::booked(d, &a, status)),
        None => Err(servnet_core::Error::Unknown { kind: "ticket", id }.into()),
    })
    .await
    .map(Json)
}

/// Cancels a booking and returns its capacity (409 for a completed one); answers the
/// booking as it was, with status `released`.
#[utoipa::path(post, path = "/v1/bookings/{ticket_id}/release", security(("bearer" = [])),
    params(("ticket_id" = String, Path, description = "The ticket id")),
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn release(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<BookingOut>, ApiError> {
    call(&s, move |_, d| {
        let a = d.release(&id)?;
        let mut out = BookingOut::booked(d, &a, Status::Booked);
        out.assigned = false;
        out.status = "released".into();
        Ok(out)
    })
    .await
    .map(Json)
}

/// Marks a booking done (capacity stays used, the id never books again), with the
/// customer's rating 1..=5 if given. Completing again changes nothing.
#[utoipa::path(post, path = "/v1/bookings/{ticket_id}/complete", security(("bearer" = [])),
    params(("ticket_id" = String, Path, description = "The ticket id")),
    request_body(content = CompleteIn, description = "optional; `{}` or no body for no rating"),
    responses((status = 200, body = BookingOut), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn complete(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<BookingOut>, ApiError> {
    let c: CompleteIn = if body.iter().all(u8::is_ascii_whitespace) {
        CompleteIn::default()
    } else {
        crate::body::parse(&body)?
    };
    call(&s, move |_, d| {
        let a = d.complete(&id, c.rating)?;
        Ok(BookingOut::booked(d, &a, Status::Completed))
    })
    .await
    .map(Json)
}

/// The k best eligible outlets for a ticket, best first (nothing is booked).
#[utoipa::path(post, path = "/v1/candidates", request_body = CandidatesIn, security(("bearer" = [])),
    responses((status = 200, body = Vec<CandidateOut>), (status = 400, body = ErrorBody)))]
pub async fn candidates(
    State(s): State<Shared>,
    JsonBody(c): JsonBody<CandidatesIn>,
) -> Result<Json<Vec<CandidateOut>>, ApiError> {
    let k = c.k.unwrap_or(10);
    if !(1..=100).contains(&k) {
        return Err(ApiError::invalid("k", format!("expected 1..=100, got {k}")));
    }
    let ticket = c.ticket.into_ticket()?;
    call(&s, move |_, d| {
        Ok(d.candidates(&ticket, k as usize)?
            .iter()
            .map(Into::into)
            .collect())
    })
    .await
    .map(Json)
}

/// Why an outlet was or was not chosen for a ticket, and what would change it.
#[utoipa::path(post, path = "/v1/explain", request_body = ExplainIn, security(("bearer" = [])),
    responses((status = 200, body = ExplanationOut), (status = 400, body = ErrorBody)))]
pub async fn explain(
    State(s): State<Shared>,
    JsonBody(e): JsonBody<ExplainIn>,
) -> Result<Json<ExplanationOut>, ApiError> {
    let ticket = e.ticket.into_ticket()?;
    let outlet = e.outlet_id;
    call(&s, move |_, d| Ok((&d.explain(&ticket, &outlet)?).into()))
        .await
        .map(Json)
}

/// Booked load per outlet skill and day counted (filter by outlet and day).
#[utoipa::path(get, path = "/v1/loads", params(LoadsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<LoadOut>), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn loads(
    State(s): State<Shared>,
    q: Result<Query<LoadsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<LoadOut>>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", e.body_text()))?;
    blocking(&s, move |_, d| {
        // A ledger shared with other instances: what they booked too.
        d.refresh()?;
        Ok(d.loads()
            .iter()
            .filter(|l| q.outlet_id.as_deref().is_none_or(|o| l.outlet_id == o))
            .filter(|l| q.day.is_none_or(|x| l.day == x))
            .map(|l| LoadOut::of(d, l))
            .collect())
    })
    .await
    .map(Json)
}

/// Sets the units an outlet skill has committed outside servnet on a day; answers that
/// outlet's rows for the day.
#[utoipa::path(put, path = "/v1/loads", request_body = LoadIn, security(("bearer" = [])),
    responses((status = 200, body = Vec<LoadOut>), (status = 400, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn set_load(
    State(s): State<Shared>,
    JsonBody(l): JsonBody<LoadIn>,
) -> Result<Json<Vec<LoadOut>>, ApiError> {
    call(&s, move |_, d| {
        d.set_load(&l.outlet_id, &l.skill, l.day, l.units)?;
        Ok(d.loads()
            .iter()
            .filter(|r| r.outlet_id == l.outlet_id.as_str() && r.day == l.day)
            .map(|r| LoadOut::of(d, r))
            .collect())
    })
    .await
    .map(Json)
}

/// Live network changes, one or a list applied all or none (a review's actions): an
/// outlet's status, a skill's capacity, an outlet's daily cap, new outlets. Bookings
/// stay; the search is rebuilt once (other calls wait meanwhile). On a Redis ledger every
/// instance on the namespace applies it within a second (409: another instance recorded
/// a change in the same instant; send it again).
#[utoipa::path(post, path = "/v1/network/changes", request_body = ChangeIn, security(("bearer" = [])),
    responses((status = 200, body = ChangeOut), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn change(
    State(s): State<Shared>,
    JsonBody(c): JsonBody<ChangeIn>,
) -> Result<Json<ChangeOut>, ApiError> {
    let changes = c.0;
    exclusive(&s, move |d| {
        d.apply_all(&changes)?;
        let described: Vec<String> = changes.iter().map(|c| c.describe()).collect();
        Ok(ChangeOut {
            applied: described.join("; "),
            changes: described,
            outlets: d.network().outlets().len(),
        })
    })
    .await
    .map(Json)
}

/// Plans a backlog jointly against the current loads (min-cost flow, MIP or heuristic,
/// with a bound); books nothing.
#[utoipa::path(post, path = "/v1/assign", request_body = AssignIn, security(("bearer" = [])),
    responses((status = 200, body = Object, description = "the plan: assignments, unassigned, objective, lower_bound, gap, method, status"),
              (status = 400, body = ErrorBody)))]
pub async fn assign(
    State(s): State<Shared>,
    JsonBody(a): JsonBody<AssignIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if a.tickets.len() > 100_000 {
        return Err(ApiError::invalid(
            "tickets",
            format!("at most 100000 tickets, got {}", a.tickets.len()),
        ));
    }
    let method = match a.method.as_deref().unwrap_or("auto") {
        "auto" => Method::Auto,
        "flow" => Method::Flow,
        "mip" => Method::Mip,
        "heuristic" => Method::Heuristic,
        m => {
            return Err(ApiError::invalid(
                "method",
                format!("expected auto, flow, mip or heuristic, got '{m}'"),
            ))
        }
    };
    let time_limit = a.time_limit_seconds.unwrap_or(5.0);
    if !(0.0..=60.0).contains(&time_limit) {
        return Err(ApiError::invalid(
            "time_limit_seconds",
            format!("expected 0..=60, got {time_limit}"),
        ));
    }
    let tickets = a
        .tickets
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            t.into_ticket().map_err(|e| {
                let field = match e.field_name() {
                    Some(f) => format!("tickets[{i}].{f}"),
                    None => format!("tickets[{i}]"),
                };
                ApiError::new(e.status(), "invalid", format!("{field}: {}", e.message()))
                    .field(field)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    blocking(&s, move |_, d| {
        let options = AssignOptions {
            method,
            time_limit,
            ..AssignOptions::default()
        };
        let plan = servnet_core::assign::assign(&tickets, d, &options)?;
        serde_json::to_value(&plan).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })
    })
    .await
    .map(Json)
}
