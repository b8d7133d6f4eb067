//! Waiting for durability without a thread per caller: [`defer_durability`] runs a
//! dispatcher call whose journal waits are deferred (the call returns as soon as its
//! records are appended) and hands back a [`Durability`] future that completes once
//! they are on disk. An async service runs the call on its own task and awaits the
//! future before answering; no thread blocks while the disk flushes.
//!
//! Only the journal ledger defers; with any other ledger the call waits as usual and
//! the future is ready at once.

use super::writer::Shared;
use crate::Result;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A journal and the last record a call appended to it.
type Target = Option<(Arc<Shared>, u64)>;

thread_local! {
    /// While a call defers on this thread (`Some`): what it must wait for.
    static DEFERRED: RefCell<Option<Target>> = const { RefCell::new(None) };
}

/// Records that the current call must wait for record `seq` of `shared`, if the call
/// defers its waits; returns whether it does (then the caller does not wait).
pub(super) fn capture(shared: &Arc<Shared>, seq: u64) -> bool {
    DEFERRED.with(|d| match &mut *d.borrow_mut() {
        None => false,
        Some(slot) => match slot {
            Some((s, last)) if Arc::ptr_eq(s, shared) => {
                *last = (*last).max(seq);
                true
            }
            // Another journal in the same call (never in servnet): it waits now.
            Some(_) => false,
            None => {
                *slot = Some((Arc::clone(shared), seq));
                true
            }
        },
    })
}

/// Ends deferral on this thread even if the call panics.
struct Reset(Option<Target>);

impl Drop for Reset {
    fn drop(&mut self) {
        let previous = self.0.take();
        DEFERRED.with(|d| *d.borrow_mut() = previous);
    }
}

/// Runs `f` with the journal's durability waits deferred: `f`'s answer, and a future
/// that completes (`Ok`) once every record `f` appended is on disk, or with the
/// journal's error. Do not act on the answer (e.g. send it to a client) before the
/// future completes `Ok`: until then the change may not survive a crash. `f` must run
/// to completion on this thread (no awaiting inside it).
pub fn defer_durability<T>(f: impl FnOnce() -> T) -> (T, Durability) {
    let previous = DEFERRED.with(|d| d.borrow_mut().replace(None));
    let reset = Reset(previous);
    let out = f();
    let target = DEFERRED.with(|d| d.borrow_mut().take()).flatten();
    drop(reset);
    (out, Durability { target })
}

/// Completes once the records a deferred call appended are on disk (see
/// [`defer_durability`]); ready at once when there were none.
#[must_use = "the answer is durable only once this completes"]
pub struct Durability {
    target: Target,
}

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durability")
            .field("record", &self.target.as_ref().map(|t| t.1))
            .finish()
    }
}

impl Durability {
    /// Whether there is nothing to wait for.
    pub fn is_ready(&self) -> bool {
        self.target.is_none()
    }

    /// Blocks this thread until the records are on disk.
    pub fn wait(self) -> Result<()> {
        let Some((s, seq)) = self.target else {
            return Ok(());
        };
        super::writer::wait(&s, seq)
    }
}

impl Future for Durability {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some((s, seq)) = &self.target else {
            return Poll::Ready(Ok(()));
        };
        let mut d = s.durable.lock().unwrap_or_else(|e| e.into_inner());
        if d.seq >= *seq {
            return Poll::Ready(Ok(()));
        }
        if let Some(f) = &d.failed {
            return Poll::Ready(Err(s.failure(f)));
        }
        if !d
            .wakers
            .iter()
            .any(|(w, k)| *w == *seq && k.will_wake(cx.waker()))
        {
            d.wakers.push((*seq, cx.waker().clone()));
        }
        Poll::Pending
    }
}
