//! Errors: what stops the service from starting ([`ServeError`]), and the JSON answer of
//! a refused request ([`ApiError`]), which names the field at fault.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Why the service cannot start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The data folder, state folder or ledger failed.
    #[error(transparent)]
    Core(#[from] servnet_core::Error),
    /// The token file is missing, unreadable or holds no usable token.
    #[error("token file {path}: {message}")]
    Tokens {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A bad option.
    #[error("invalid option '{name}': {message}")]
    Option {
        /// The option.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The listening socket or the runtime failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The body of every error answer: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status.
    pub status: u16,
    /// A stable code: `malformed_json`, `invalid`, `unknown_reference`, `not_found`,
    /// `conflict`, `unauthorized`, `payload_too_large`, `timeout`, `ledger_unavailable`,
    /// `internal`.
    pub code: String,
    /// The message (for core errors, the library's message).
    pub message: String,
    /// The request field at fault, as a path (`lon`, `ticket.created_at`), if known.
    pub field: Option<String>,
}

/// A refused request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Names the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400 for a bad field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message).field(field)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The field at fault, if named.
    pub fn field_name(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl From<servnet_core::Error> for ApiError {
    fn from(e: servnet_core::Error) -> Self {
        use servnet_core::Error as E;
        let message = e.to_string();
        match e {
            E::Invalid(issues) => {
                let field = issues.first().and_then(|i| i.at.field.clone());
                ApiError {
                    field,
                    ..Self::new(StatusCode::BAD_REQUEST, "invalid", message)
                }
            }
            E::Argument { name, .. } => {
                Self::new(StatusCode::BAD_REQUEST, "invalid", message).field(name)
            }
            E::Unknown { kind, .. } if kind == "ticket" || kind == "hold" => {
                Self::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            E::Unknown { kind, .. } => {
                Self::new(StatusCode::BAD_REQUEST, "unknown_reference", message).field(kind)
            }
            E::Conflict { .. } | E::NetworkConflict { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            E::Ledger { .. } | E::Interrupted => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ledger_unavailable",
                message,
            ),
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.status.as_u16(),
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

/// Puts every error answer in the JSON form, also those the router and its layers make
/// themselves (405 for a wrong method, 408 for a timeout, 413, a path that does not
/// parse): a client reads one error format.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 10)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let code = match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_client_error() => "invalid",
        _ => "internal",
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string()
    } else {
        text
    };
    let mut r = ApiError::new(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        r.headers_mut().insert(header::ALLOW, allow.clone());
    }
    r
}
