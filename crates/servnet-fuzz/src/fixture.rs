//! The valid fixture (`data/fixtures/valid/`), read once per process: the network and
//! tickets the JSON and operation-stream targets run against.

use servnet_core::io::DataSet;
use std::sync::OnceLock;

static VALID: OnceLock<Option<DataSet>> = OnceLock::new();

/// The valid fixture, or `None` if it cannot be read (then the targets do nothing; the
/// tests check that it reads).
pub(crate) fn valid() -> Option<&'static DataSet> {
    VALID
        .get_or_init(|| {
            servnet_core::io::read_dir(&servnet_core::testing::fixture_dir("valid")).ok()
        })
        .as_ref()
}
