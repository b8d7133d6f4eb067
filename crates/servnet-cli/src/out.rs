//! Standard output that reports a closed pipe or a full disk as an error (`print!`
//! panics on them).

use servnet_core::{Error, Result};
use std::io::Write;

/// Writes `text` to standard output.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            path: "standard output".into(),
            source,
        })
}

/// `emit` with `format!` arguments and a newline.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::out::emit(&format!("{}\n", format_args!($($arg)*)))
    };
}
