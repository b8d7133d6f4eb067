//! Prometheus metrics: requests by route and status, request latency, dispatch
//! outcomes, and the ledger's records, flushes and bytes (read at each scrape).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use servnet_core::dispatch::LedgerStats;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// Dispatches by outcome (`assigned`, `unassignable`).
    pub dispatches: IntCounterVec,
    tickets: IntGauge,
    records: IntCounter,
    flushes: IntCounter,
    bytes: IntCounter,
    /// The ledger's counters at the last scrape.
    seen: Mutex<LedgerStats>,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "servnet_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "servnet_http_request_duration_seconds",
                "HTTP request latency by route, from the request to the answer",
            )
            .buckets(vec![
                0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                5.0,
            ]),
            &["route"],
        )?;
        let dispatches = IntCounterVec::new(
            Opts::new(
                "servnet_dispatches_total",
                "Dispatches and holds by outcome",
            ),
            &["outcome"],
        )?;
        let tickets = IntGauge::new(
            "servnet_ledger_tickets",
            "Ticket records in the ledger (booked, held, completed)",
        )?;
        let records = IntCounter::new(
            "servnet_journal_records_total",
            "Records appended to the journal",
        )?;
        let flushes = IntCounter::new(
            "servnet_journal_flushes_total",
            "Journal disk flushes (records / flushes is the group commit size)",
        )?;
        let bytes = IntCounter::new(
            "servnet_journal_bytes_total",
            "Bytes written to the journal",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(dispatches.clone()))?;
        registry.register(Box::new(tickets.clone()))?;
        registry.register(Box::new(records.clone()))?;
        registry.register(Box::new(flushes.clone()))?;
        registry.register(Box::new(bytes.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            dispatches,
            tickets,
            records,
            flushes,
            bytes,
            seen: Mutex::new(LedgerStats::default()),
        })
    }

    /// The text exposition, with the ledger's counters brought up to `now`.
    pub fn render(&self, now: LedgerStats) -> String {
        if let Ok(mut seen) = self.seen.lock() {
            self.records
                .inc_by(now.records.saturating_sub(seen.records));
            self.flushes
                .inc_by(now.flushes.saturating_sub(seen.flushes));
            self.bytes.inc_by(now.bytes.saturating_sub(seen.bytes));
            *seen = now;
        }
        self.tickets
            .set(i64::try_from(now.tickets).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Counts every request and times it, by its route pattern (not its path, so ticket ids
/// do not become labels).
pub async fn track(State(m): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    m.latency
        .with_label_values(&[route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), response.status().as_str()])
        .inc();
    response
}
