//! Giving the C heap's free memory back to the system between the steps of a big call.
//!
//! glibc keeps memory freed below its (adaptive) mmap threshold in the process: after
//! `pd.read_csv` of 1M tickets about 60 MB of it, which a `dispatch_frame` right after
//! would otherwise stack its own memory on.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// glibc's `malloc_trim` through ctypes, if the C library has one.
static MALLOC_TRIM: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();

/// Calls with fewer rows than this do not trim: they leave little behind, and each trim
/// walks all of glibc's arenas (a caller dispatching small frames in a loop pays it per
/// call).
const TRIM_ROWS: usize = 65_536;

/// [`trim`] for a call over `rows` rows: only from [`TRIM_ROWS`] rows on.
pub(crate) fn trim_for(py: Python<'_>, rows: usize) {
    if rows >= TRIM_ROWS {
        trim(py);
    }
}

/// Hands the free pages of the C heap back to the system (glibc's `malloc_trim(0)`,
/// called through ctypes: no unsafe code here). Does nothing where the C library has no
/// such call (macOS, Windows) or ctypes fails.
fn trim(py: Python<'_>) {
    let f = MALLOC_TRIM.get_or_init(py, || {
        let find = || -> PyResult<Py<PyAny>> {
            let libc = py.import("ctypes")?.getattr("CDLL")?.call1((py.None(),))?;
            Ok(libc.getattr("malloc_trim")?.unbind())
        };
        find().ok()
    });
    if let Some(f) = f {
        // Only memory is at stake: a failure leaves it with the process.
        let _ = f.bind(py).call1((0,));
    }
}
