//! The OpenAPI document, generated from the handlers' annotations (`docs/openapi.json`
//! is this document; a test checks they agree).

use crate::api::*;
use crate::error::{ErrorBody, ErrorDetail};
use crate::handlers;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "servnet dispatch service",
        description = "Per-ticket dispatch over an after-sales service network, with \
            bookings that survive a crash. Every endpoint but /healthz needs \
            `Authorization: Bearer <token>`. Errors are `{\"error\": {status, code, \
            message, field}}`."
    ),
    paths(
        handlers::healthz,
        handlers::metrics,
        handlers::openapi,
        handlers::dispatch,
        handlers::hold,
        handlers::confirm,
        handlers::booking,
        handlers::release,
        handlers::complete,
        handlers::candidates,
        handlers::explain,
        handlers::loads,
        handlers::set_load,
        handlers::change,
        handlers::assign,
    ),
    components(schemas(
        TicketIn, Avoid, HoldIn, CandidatesIn, ExplainIn, CompleteIn, LoadIn, AssignIn,
        BreakdownOut, BookingOut, CandidateOut, ExplanationOut, LoadOut, Health, ChangeIn,
        ChangeOut, ErrorBody, ErrorDetail
    )),
    modifiers(&Bearer)
)]
struct Doc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The document as JSON.
pub fn document() -> serde_json::Value {
    serde_json::to_value(Doc::openapi()).unwrap_or_default()
}

/// The document as pretty JSON text (what `docs/openapi.json` holds).
pub fn text() -> String {
    serde_json::to_string_pretty(&document()).unwrap_or_default() + "\n"
}
