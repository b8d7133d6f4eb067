//! Policy JSON (`--policy-file`).

use crate::fixture;
use servnet_core::dispatch::{Dispatcher, Outcome, Policy};

/// Any bytes give an error or a policy; a policy that validates dispatches the valid
/// fixture's tickets without panicking, and every score is finite.
pub fn policy_json(data: &[u8]) {
    let Ok(policy) = serde_json::from_slice::<Policy>(data) else {
        return;
    };
    if policy.validate().is_err() {
        return;
    }
    let Some(d) = fixture::valid() else {
        return;
    };
    let Ok(dispatcher) = Dispatcher::new(d.network.clone(), policy) else {
        return;
    };
    for t in &d.tickets {
        if let Ok(Outcome::Assigned(a)) = dispatcher.dispatch(t) {
            assert!(
                a.breakdown.score.is_finite(),
                "ticket {}: score {}",
                t.id,
                a.breakdown.score
            );
        }
    }
}
