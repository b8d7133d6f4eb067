//! Connections to Redis, one per calling thread at a time, kept for reuse.
//!
//! Blocking connections, not a multiplexed async one: a dispatch is one request and one
//! answer, and a thread that writes its request and blocks on the socket answers
//! sooner than one that hands the request to a runtime and waits to be woken.

use crate::config::RedisConfig;
use crate::error::{Error, Result};
use redis::{Connection, ErrorKind, RedisError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Connections kept idle for reuse (more threads than this open and close their own).
const MAX_IDLE: usize = 256;

pub(crate) struct Pool {
    client: redis::Client,
    /// host:port/db (no password), for messages.
    pub(crate) addr: String,
    idle: Mutex<Vec<Connection>>,
    connect_timeout: Duration,
    timeout: Duration,
    /// Requests sent (each a round trip, but for the script loads after Redis restarts).
    pub(crate) requests: Arc<AtomicU64>,
}

/// What became of a request whose connection failed, for [`Error::Interrupted`].
pub(crate) type Advice = &'static str;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The idle list is only pushed to and popped from: a panic elsewhere cannot leave
    // it half-changed.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the error leaves the connection unusable (I/O, or a reply that could not be
/// read), as opposed to an error answer from Redis.
fn broken(e: &RedisError) -> bool {
    matches!(e.kind(), ErrorKind::Io | ErrorKind::Parse) || e.is_connection_dropped()
}

impl Pool {
    pub(crate) fn new(config: &RedisConfig) -> Result<Self> {
        let client = redis::Client::open(config.url.as_str()).map_err(|e| Error::Url {
            url: config.shown.clone(),
            message: e.to_string(),
        })?;
        let addr = config
            .shown
            .split_once("://")
            .map_or(config.shown.as_str(), |(_, rest)| rest)
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Pool {
            client,
            addr,
            idle: Mutex::new(Vec::new()),
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            requests: Arc::default(),
        })
    }

    fn connect(&self, op: &dyn Fn() -> String) -> Result<Connection> {
        let unreachable = |e: RedisError| Error::Unreachable {
            addr: self.addr.clone(),
            op: op(),
            message: e.to_string(),
        };
        let con = self
            .client
            .get_connection_with_timeout(self.connect_timeout)
            .map_err(|e| match e.kind() {
                // A wrong password or database number is a refusal, not an outage.
                ErrorKind::AuthenticationFailed | ErrorKind::Server(_) => Error::Refused {
                    addr: self.addr.clone(),
                    op: op(),
                    message: e.to_string(),
                },
                _ => unreachable(e),
            })?;
        con.set_read_timeout(Some(self.timeout))
            .and_then(|()| con.set_write_timeout(Some(self.timeout)))
            .map_err(unreachable)?;
        Ok(con)
    }

    /// Runs `f` on a connection. An error answer from Redis is [`Error::Refused`] (the
    /// connection stays usable). A broken connection is dropped with every idle one
    /// (after a restart of Redis they are all dead); when it was an idle one and the
    /// request is `idempotent`, it is sent once more on a new connection. A request that
    /// may have reached Redis before its connection broke is [`Error::Interrupted`],
    /// with `advice` on how to learn its outcome.
    pub(crate) fn run<T>(
        &self,
        op: &dyn Fn() -> String,
        idempotent: bool,
        advice: Advice,
        f: &mut dyn FnMut(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let reused = lock(&self.idle).pop();
        let fresh = reused.is_none();
        let mut con = match reused {
            Some(c) => c,
            None => self.connect(op)?,
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let e = match f(&mut con) {
            Ok(v) => {
                self.put(con);
                return Ok(v);
            }
            Err(e) => e,
        };
        if !broken(&e) {
            if e.kind() != ErrorKind::UnexpectedReturnType {
                self.put(con);
            }
            return Err(self.refused(op, &e));
        }
        drop(con);
        lock(&self.idle).clear();
        if fresh || !idempotent || e.is_timeout() {
            return Err(self.interrupted(op, &e, advice));
        }
        // An idle connection found dead: most likely Redis restarted (or a proxy closed
        // it) before this request, and sending it again is harmless.
        let mut con = match self.connect(op) {
            Ok(c) => c,
            // The first request may have been applied before the connection broke.
            Err(_) => return Err(self.interrupted(op, &e, advice)),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        match f(&mut con) {
            Ok(v) => {
                self.put(con);
                Ok(v)
            }
            Err(e) if broken(&e) => Err(self.interrupted(op, &e, advice)),
            Err(e) => {
                self.put(con);
                Err(self.refused(op, &e))
            }
        }
    }

    fn refused(&self, op: &dyn Fn() -> String, e: &RedisError) -> Error {
        Error::Refused {
            addr: self.addr.clone(),
            op: op(),
            message: e.to_string(),
        }
    }

    fn interrupted(&self, op: &dyn Fn() -> String, e: &RedisError, advice: Advice) -> Error {
        Error::Interrupted {
            addr: self.addr.clone(),
            op: op(),
            message: e.to_string(),
            advice,
        }
    }

    fn put(&self, con: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE {
            idle.push(con);
        }
    }
}
