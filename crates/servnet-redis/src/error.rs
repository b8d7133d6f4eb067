/// What can go wrong between servnet and Redis. Every message names the server (without
/// its password) and the operation, and says what became of the change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ledger URL cannot be used.
    #[error("ledger URL '{url}': {message}")]
    Url {
        /// The URL as given, with any password masked.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// No connection could be made: nothing was sent, so nothing was booked or changed.
    #[error("Redis at {addr} is unreachable ({op}): {message}; nothing was booked or changed")]
    Unreachable {
        /// host:port/db.
        addr: String,
        /// The operation (e.g. "booking ticket 'T1'").
        op: String,
        /// The connection error.
        message: String,
    },
    /// The connection broke or timed out after the request was sent: the change may or
    /// may not have been made (a booking step is all or nothing, never half-made).
    #[error(
        "Redis at {addr} did not answer ({op}): {message}; the change may or may not have \
         been made (never half-made): {advice}"
    )]
    Interrupted {
        /// host:port/db.
        addr: String,
        /// The operation.
        op: String,
        /// The I/O error.
        message: String,
        /// What the caller can do to learn the outcome.
        advice: &'static str,
    },
    /// Redis answered with an error (e.g. out of memory, wrong password, a key of
    /// another type in the namespace): nothing was changed.
    #[error("Redis at {addr} refused {op}: {message}; nothing was changed")]
    Refused {
        /// host:port/db.
        addr: String,
        /// The operation.
        op: String,
        /// Redis's error.
        message: String,
    },
    /// Redis answered with something a servnet script does not return (another
    /// program's data under the namespace, or a mismatched servnet version).
    #[error("Redis at {addr} answered {op} unexpectedly: {message}")]
    Reply {
        /// host:port/db.
        addr: String,
        /// The operation.
        op: String,
        /// What was expected and what came.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
