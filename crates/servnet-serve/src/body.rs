//! The JSON body extractor: a size-limited body parsed with the failing field named
//! (`ticket.lon: invalid type ...`), malformed JSON and oversize bodies answered as JSON
//! errors (400, 413).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "malformed_json"
            };
            ApiError::new(status, code, e.body_text())
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses `bytes` as a `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("malformed JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        // Missing and unknown fields are reported at their object: name them.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|p| message.strip_prefix(p))
            .and_then(|rest| rest.split('`').next());
        let field = match (named, path.as_str()) {
            (Some(n), ".") => n.to_string(),
            (Some(n), p) => format!("{p}.{n}"),
            (None, p) => p.to_string(),
        };
        let message = format!("field '{field}': {message}");
        let e = ApiError::new(StatusCode::BAD_REQUEST, "invalid", message);
        if field == "." {
            e
        } else {
            e.field(field)
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("malformed JSON: {e}"),
        )
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{HoldIn, TicketIn};

    fn field_of<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> (u16, Option<String>) {
        match parse::<T>(json.as_bytes()) {
            Ok(v) => panic!("parsed {v:?}"),
            Err(e) => {
                let r = axum::response::IntoResponse::into_response(e);
                let status = r.status().as_u16();
                (
                    status,
                    format!("{r:?}").contains("field").then_some(String::new()),
                )
            }
        }
    }

    /// Bad fields are named by path; malformed JSON is 400 without a field.
    #[test]
    fn errors_name_the_field() {
        let bad_lon = r#"{"id":"T1","lon":"x","lat":1,"region":"R","skill":"repair:tv"}"#;
        match parse::<TicketIn>(bad_lon.as_bytes()) {
            Err(e) => assert_eq!(e.status(), StatusCode::BAD_REQUEST),
            Ok(_) => panic!("parsed"),
        }
        let nested = r#"{"ticket":{"id":"T1","lon":1,"lat":1,"region":"R"},"ttl_seconds":5}"#;
        let msg = match parse::<HoldIn>(nested.as_bytes()) {
            Err(e) => format!("{e:?}"),
            Ok(_) => panic!("parsed"),
        };
        assert!(msg.contains("ticket.skill"), "{msg}");
        let extra = r#"{"id":"T1","lon":1,"lat":1,"region":"R","skill":"s","colour":1}"#;
        let msg = format!("{:?}", parse::<TicketIn>(extra.as_bytes()).err());
        assert!(msg.contains("colour"), "{msg}");
        assert_eq!(field_of::<TicketIn>("{\"id\": ").0, 400);
        assert_eq!(field_of::<TicketIn>("[1, 2] x").0, 400);
    }
}
