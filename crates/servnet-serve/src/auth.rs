//! Bearer tokens: read from a file (one per line), compared in constant time.

use crate::error::{ApiError, ServeError};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Shortest token accepted (a guessable token is no protection).
pub const MIN_TOKEN_LEN: usize = 16;

/// The tokens that may call the service.
#[derive(Clone)]
pub struct Tokens(Vec<Vec<u8>>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} tokens)", self.0.len())
    }
}

impl Tokens {
    /// Reads one token per line (blank lines and lines starting with `#` skipped; at
    /// least [`MIN_TOKEN_LEN`] characters each).
    pub fn from_file(path: &Path) -> Result<Self, ServeError> {
        let fail = |message: String| ServeError::Tokens {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        Self::parse(&text).map_err(fail)
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if t.len() < MIN_TOKEN_LEN || t.chars().any(|c| c.is_whitespace()) {
                return Err(format!(
                    "line {}: a token needs at least {MIN_TOKEN_LEN} characters and no spaces",
                    i + 1
                ));
            }
            tokens.push(t.as_bytes().to_vec());
        }
        if tokens.is_empty() {
            return Err("no token in the file (one per line)".into());
        }
        Ok(Tokens(tokens))
    }

    /// Whether `presented` is one of the tokens: every token is compared, each in time
    /// independent of where it differs.
    pub fn admits(&self, presented: &[u8]) -> bool {
        let mut ok = subtle::Choice::from(0);
        for t in &self.0 {
            ok |= t.as_slice().ct_eq(presented);
        }
        ok.into()
    }
}

/// Refuses a request without a valid `Authorization: Bearer <token>` (401).
pub async fn require_token(
    State(tokens): State<Arc<Tokens>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .map(|t| t.trim_ascii());
    match presented {
        Some(t) if tokens.admits(t) => Ok(next.run(request).await),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token is not valid",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this endpoint needs an 'Authorization: Bearer <token>' header",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only listed tokens are admitted; comments, blanks and short tokens are handled.
    #[test]
    fn tokens_admit_only_what_the_file_lists() {
        let t = Tokens::parse("# ops\n\n  0123456789abcdef  \nfedcba9876543210\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.admits(b"0123456789abcdef") && t.admits(b"fedcba9876543210"));
        assert!(!t.admits(b"0123456789abcdeX") && !t.admits(b"") && !t.admits(b"0123"));
        assert!(Tokens::parse("short\n").is_err());
        assert!(Tokens::parse("# nothing\n").is_err());
    }
}
