//! Policy JSON (`--policy-file`): any bytes give an error or a policy; a policy that
//! validates dispatches the valid fixture's tickets without panicking, and every score
//! is finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servnet_core::dispatch::{Dispatcher, Outcome, Policy};
use servnet_core::io::DataSet;
use std::sync::OnceLock;

static DATA: OnceLock<Option<DataSet>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<Policy>(data) else {
        return;
    };
    if policy.validate().is_err() {
        return;
    }
    let Some(d) = DATA
        .get_or_init(|| {
            servnet_core::io::read_dir(&servnet_core::testing::fixture_dir("valid")).ok()
        })
        .as_ref()
    else {
        return;
    };
    let Ok(dispatcher) = Dispatcher::new(d.network.clone(), policy) else {
        return;
    };
    for t in &d.tickets {
        if let Ok(Outcome::Assigned(a)) = dispatcher.dispatch(t) {
            assert!(a.breakdown.score.is_finite(), "score {}", a.breakdown.score);
        }
    }
});
