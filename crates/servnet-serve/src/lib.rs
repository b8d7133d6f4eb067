//! servnet's HTTP dispatch service (`servnet serve`): versioned JSON endpoints over one
//! [`Dispatcher`], bearer tokens, Prometheus metrics, an OpenAPI document, and the
//! clock that expires holds and rolls the days over. Thin: it converts JSON and calls
//! the core; no rule lives here. See `docs/service.md`.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod body;
pub mod clock;
pub mod error;
pub mod handlers;
pub mod metrics;
pub mod openapi;

pub use error::{ApiError, ServeError};

use auth::Tokens;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use clock::Clock;
use metrics::Metrics;
use servnet_core::dispatch::{Dispatcher, JournalOptions, Policy};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;

/// What the handlers share.
pub struct AppState {
    /// The dispatcher: read-locked by every call, write-locked by network changes and
    /// day roll-over.
    pub dispatcher: RwLock<Dispatcher>,
    /// The network's wall clock.
    pub clock: Clock,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// `memory` or `journal`.
    pub ledger_kind: &'static str,
    /// Whether the ledger is local (memory, journal): calls then run on the request's
    /// task and await the journal's flush; otherwise on blocking threads.
    pub local: bool,
}

/// Limits on requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, bytes (except `/v1/assign`).
    pub max_body: usize,
    /// Largest `/v1/assign` body, bytes.
    pub max_assign_body: usize,
    /// Longest a request may take (except `/v1/assign`).
    pub timeout: Duration,
    /// Longest a `/v1/assign` request may take.
    pub assign_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 64 << 10,
            max_assign_body: 64 << 20,
            timeout: Duration::from_secs(10),
            assign_timeout: Duration::from_secs(120),
        }
    }
}

/// The routes, with authentication, metrics and limits.
pub fn router(state: Arc<AppState>, tokens: Arc<Tokens>, limits: Limits) -> Router {
    let timeout = |d| TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, d);
    let assign = Router::new()
        .route("/v1/assign", post(handlers::assign))
        .layer(DefaultBodyLimit::max(limits.max_assign_body))
        .layer(timeout(limits.assign_timeout));
    let v1 = Router::new()
        .route("/metrics", get(handlers::metrics))
        .route("/v1/openapi.json", get(handlers::openapi))
        .route("/v1/dispatch", post(handlers::dispatch))
        .route("/v1/holds", post(handlers::hold))
        .route("/v1/holds/{hold}/confirm", post(handlers::confirm))
        .route("/v1/bookings/{ticket_id}", get(handlers::booking))
        .route("/v1/bookings/{ticket_id}/release", post(handlers::release))
        .route(
            "/v1/bookings/{ticket_id}/complete",
            post(handlers::complete),
        )
        .route("/v1/candidates", post(handlers::candidates))
        .route("/v1/explain", post(handlers::explain))
        .route("/v1/loads", get(handlers::loads).put(handlers::set_load))
        .route("/v1/network/changes", post(handlers::change))
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(timeout(limits.timeout))
        .merge(assign)
        .route_layer(axum::middleware::from_fn_with_state(
            tokens,
            auth::require_token,
        ));
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .merge(v1)
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint (see GET /v1/openapi.json)",
            )
        })
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.metrics),
            metrics::track,
        ))
        .layer(axum::middleware::map_response(error::json_errors))
        .with_state(state)
}

/// How `servnet serve` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data folder (its network files are read).
    pub data: PathBuf,
    /// The state folder (journal ledger), if any.
    pub state: Option<PathBuf>,
    /// `memory`, `journal` (the default with a state folder) or a Redis URL
    /// (`redis://HOST:PORT/DB?namespace=NAME`: shared with other processes).
    pub ledger: Option<String>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The token file.
    pub token_file: PathBuf,
    /// A JSON policy file.
    pub policy_file: Option<PathBuf>,
    /// The network's UTC offset, `+08:00`.
    pub utc_offset: String,
    /// Request limits.
    pub limits: Limits,
    /// How the journal of the state folder writes.
    pub journal: JournalOptions,
}

/// Builds the dispatcher `config` asks for; returns it, the ledger kind and a line
/// saying what was restored.
pub fn open_dispatcher(
    config: &Config,
    clock: &Clock,
) -> Result<(Dispatcher, &'static str, String), ServeError> {
    // The network only: tickets and planning files are not the service's business.
    let network = servnet_core::io::read_network(&config.data)?;
    let mut policy = match &config.policy_file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| ServeError::Option {
                name: "policy-file",
                message: format!("{}: {e}", f.display()),
            })?;
            serde_json::from_str::<Policy>(&text).map_err(|e| ServeError::Option {
                name: "policy-file",
                message: format!("{}: {e}", f.display()),
            })?
        }
        None => Policy::default(),
    };
    if policy.start_date.is_none() {
        policy.start_date = Some(clock.today());
    }
    match (config.ledger.as_deref(), &config.state) {
        (Some("memory"), None) => Ok((
            Dispatcher::new(network, policy)?,
            "memory",
            "nothing restored (in memory)".into(),
        )),
        (None | Some("journal"), Some(dir)) => {
            let started = std::time::Instant::now();
            let (d, r) = Dispatcher::open_with(network, policy, dir, config.journal)?;
            let note = format!(
                "restored {} tickets from {} ({} records read, {} bytes of a torn last \
                 write dropped, {} network changes) in {:.2} s",
                r.tickets,
                dir.display(),
                r.entries,
                r.torn_bytes,
                r.changes.len(),
                started.elapsed().as_secs_f64()
            );
            Ok((d, "journal", note))
        }
        (Some(url), None) if servnet_redis::is_redis_url(url) => {
            let ledger = servnet_redis::open_ledger(url)?;
            let note = format!(
                "nothing to restore: the bookings are in Redis ({}), shared with every \
                 dispatcher on its namespace",
                servnet_redis::redact(url)
            );
            Ok((
                Dispatcher::with_ledger(network, policy, ledger)?,
                "redis",
                note,
            ))
        }
        (Some(url), Some(_)) if servnet_redis::is_redis_url(url) => Err(ServeError::Option {
            name: "ledger",
            message: "a Redis ledger keeps the bookings in Redis: drop --state, or drop --ledger"
                .into(),
        }),
        (Some("memory"), Some(_)) => Err(ServeError::Option {
            name: "ledger",
            message: "--ledger memory keeps nothing: drop --state, or drop --ledger".into(),
        }),
        (None | Some("journal"), None) => Err(ServeError::Option {
            name: "state",
            message: "give --state FOLDER (bookings survive a restart) or --ledger memory".into(),
        }),
        (Some(other), _) => Err(ServeError::Option {
            name: "ledger",
            message: format!(
                "expected memory, journal or redis://HOST:PORT/DB, got '{}'",
                servnet_redis::redact(other)
            ),
        }),
    }
}

/// Runs the service until SIGINT or SIGTERM.
pub fn serve(config: &Config) -> Result<(), ServeError> {
    let clock = Clock::parse(&config.utc_offset).map_err(|message| ServeError::Option {
        name: "utc-offset",
        message,
    })?;
    let tokens = Arc::new(Tokens::from_file(&config.token_file)?);
    let (dispatcher, ledger_kind, restored) = open_dispatcher(config, &clock)?;
    eprintln!("servnet serve: {restored}");
    let metrics = Arc::new(Metrics::new().map_err(|e| ServeError::Option {
        name: "metrics",
        message: e.to_string(),
    })?);
    let state = Arc::new(AppState {
        dispatcher: RwLock::new(dispatcher),
        clock,
        metrics,
        ledger_kind,
        local: matches!(ledger_kind, "memory" | "journal"),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(256)
        .build()
        .map_err(|source| ServeError::Io {
            what: "cannot start the runtime".into(),
            source,
        })?;
    let app = router(Arc::clone(&state), tokens, config.limits);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Io {
                what: format!("cannot listen on {}", config.listen),
                source,
            })?;
        let addr = listener.local_addr().unwrap_or(config.listen);
        tokio::spawn(tick(Arc::clone(&state)));
        eprintln!("servnet serve: listening on http://{addr} ({ledger_kind} ledger)");
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|source| ServeError::Io {
                what: "the server failed".into(),
                source,
            })
    })?;
    // Dropping the dispatcher flushes the journal.
    drop(state);
    Ok(())
}

/// Once a second: releases lapsed holds; applies the network changes other processes
/// recorded in a shared ledger; after midnight, rolls the days over.
async fn tick(state: Arc<AppState>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let s = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || {
            let now = s.clock.now();
            let (due, behind) = {
                let d = s.dispatcher.read().unwrap_or_else(|e| e.into_inner());
                let _ = d.expire_holds(now);
                (
                    d.date_of(d.first_day())
                        .is_some_and(|first| now.date() > first),
                    d.network_behind().unwrap_or(false),
                )
            };
            if due || behind {
                let mut d = s.dispatcher.write().unwrap_or_else(|e| e.into_inner());
                if behind {
                    match d.sync_network() {
                        Ok(n) if n > 0 => eprintln!(
                            "servnet serve: applied {n} network change list(s) recorded by another process"
                        ),
                        Ok(_) => {}
                        Err(e) => eprintln!("servnet serve: cannot apply the network changes another process recorded: {e}"),
                    }
                }
                if due {
                    let _ = d.roll_to(now.date());
                }
            }
        })
        .await;
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
