//! Long calls: run on a worker thread with the GIL released, check for Ctrl-C and report
//! progress from the calling thread, and merge keyword options over serde defaults.

use crate::error::{self, ServnetError};
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use servnet_core::Error;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Runs `f` on a worker thread while the calling thread waits without the GIL, waking
/// every 100 ms to run Python's signal handlers (Ctrl-C raises `KeyboardInterrupt`
/// here at once) and to call `progress(elapsed_seconds, incumbent, bound, stage)` when
/// given: the solve's live figures so far (`servnet_core::Progress`; `None` until known).
///
/// After an interrupt the worker is left to finish in the background (the core solvers
/// have no cancellation hook; every solve is bounded by its time limit) and its answer
/// is dropped.
pub(crate) fn blocking<T: Send + 'static>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce() -> servnet_core::Result<T> + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = channel();
    let live = servnet_core::Progress::new();
    let observer = std::sync::Arc::clone(&live);
    std::thread::Builder::new()
        .name("servnet-solve".into())
        .spawn(move || {
            // The receiver is gone after an interrupt: nothing to report then.
            let _ = tx.send(servnet_core::observed(&observer, f));
        })
        .map_err(|e| ServnetError::new_err(format!("cannot start a solver thread: {e}")))?;
    let started = Instant::now();
    let mut rx = rx;
    loop {
        // The receiver moves into the GIL-free closure and back (it is Send, not Sync).
        let (got, back) = py.detach(move || (rx.recv_timeout(Duration::from_millis(100)), rx));
        rx = back;
        match got {
            Ok(answer) => return answer.map_err(|e| error::to_py(py, e)),
            Err(RecvTimeoutError::Timeout) => {
                py.check_signals()?;
                if let Some(cb) = progress {
                    cb.call1((
                        started.elapsed().as_secs_f64(),
                        live.incumbent(),
                        live.bound(),
                        live.stage(),
                    ))?;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(ServnetError::new_err(
                    "the solver thread stopped without an answer (internal error)",
                ))
            }
        }
    }
}

/// `base` with the options of `extra` laid over it (see [`servnet_core::io::overlay`]).
pub(crate) fn overlay<T: Serialize + DeserializeOwned>(
    base: &T,
    extra: &str,
    what: &str,
) -> servnet_core::Result<T> {
    servnet_core::io::overlay(base, extra, what)
}

/// A serde JSON text of `v` (a result or options) for pickling and the Python side.
pub(crate) fn to_json<T: Serialize>(v: &T) -> servnet_core::Result<String> {
    serde_json::to_string(v).map_err(|e| Error::argument("json", e.to_string()))
}
