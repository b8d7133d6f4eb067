//! The one error type of servnet-core.
//!
//! `Err` is for bad input only. "No outlet can take this ticket" or "the solver hit
//! its time limit" are status values in the results, not errors.

use std::fmt;

/// Where a problem was found: file (or frame), 1-based line or row, field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File path or data-frame name, e.g. `outlets.csv`.
    pub source: String,
    /// 1-based line number in the file (header is line 1), if known.
    pub line: Option<u64>,
    /// Record id (outlet id, ticket id...), if known.
    pub record: Option<String>,
    /// Column / field name, if known.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(record) = &self.record {
            write!(f, " record '{record}'")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field '{field}'")?;
        }
        Ok(())
    }
}

/// One problem with the input, located as precisely as the reader knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where it was found.
    pub at: Location,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Every error servnet-core returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One or more problems in input data; all found (up to a limit) are listed.
    #[error("{} problem(s) in input data:\n{}", .0.len(), list(.0))]
    Invalid(Vec<Issue>),
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An output could not be written (full disk, closed pipe, no permission).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file, or `standard output`.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A bad argument to an algorithm (e.g. p = 0 for p-median).
    #[error("invalid argument '{name}': {message}")]
    Argument {
        /// Parameter name.
        name: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A referenced id is not known (outlet, ticket, hold, skill).
    #[error("unknown {kind} '{id}'")]
    Unknown {
        /// What kind of id: "outlet", "ticket", "hold", "skill", "region".
        kind: &'static str,
        /// The id as the caller gave it.
        id: String,
    },
    /// A request contradicts the state of a ticket: its id is booked with other content,
    /// it is held where a firm booking is expected, or it is already completed.
    #[error("conflict for ticket '{id}': {message}")]
    Conflict {
        /// The ticket id.
        id: String,
        /// What the request asked and what the ticket already is.
        message: String,
    },
    /// Another process sharing the ledger recorded network changes in the same instant:
    /// nothing changed (send the changes again).
    #[error("conflict on the network: {message}")]
    NetworkConflict {
        /// What was recorded first.
        message: String,
    },
    /// The ledger's store failed (a state folder that cannot be written, a damaged
    /// journal, an unreachable shared store): nothing was acknowledged.
    #[error("ledger {store}: {message}")]
    Ledger {
        /// The store: a file of the state folder, or a store URL.
        store: String,
        /// What failed.
        message: String,
    },
    /// The LP/MIP solver failed in a way that is not a status (e.g. a numerical error).
    #[error("solver error: {0}")]
    Solver(String),
    /// The operation was interrupted by the caller (e.g. Ctrl-C from Python).
    #[error("interrupted")]
    Interrupted,
}

fn list(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// Shorthand for a single input problem.
    pub fn invalid(at: Location, message: impl Into<String>) -> Self {
        Error::Invalid(vec![Issue {
            at,
            message: message.into(),
        }])
    }

    /// Shorthand for a bad argument.
    pub fn argument(name: &str, message: impl Into<String>) -> Self {
        Error::Argument {
            name: name.to_string(),
            message: message.into(),
        }
    }

    /// The input problems, if this is an `Invalid` error.
    pub fn issues(&self) -> &[Issue] {
        match self {
            Error::Invalid(v) => v,
            _ => &[],
        }
    }
}

/// Result alias for servnet-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_so_threads_and_python_can_carry_it() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn message_names_file_line_record_and_field() {
        let e = Error::invalid(
            Location {
                source: "outlets.csv".into(),
                line: Some(7),
                record: Some("O12".into()),
                field: Some("lat".into()),
            },
            "expected a latitude in [-90, 90], got 123.4",
        );
        let s = e.to_string();
        assert!(s.contains("outlets.csv:7"), "{s}");
        assert!(s.contains("'O12'") && s.contains("'lat'"), "{s}");
    }
}
