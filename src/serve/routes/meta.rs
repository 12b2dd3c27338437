//! `GET /healthz`, `GET /metrics` (Prometheus text) and `GET /openapi.json` (generated from
//! the handlers' own declarations). None needs a key.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::json_of;
use crate::serve::state::App;

/// The server is up.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// The policy and versions in force.
    pub policy: String,
}

/// Whether the server is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz(State(app): State<App>) -> Response {
    let set = app.policies();
    json_of(
        200,
        &Health {
            status: "ok",
            policy: format!(
                "{} {}",
                set.name(),
                set.versions()
                    .iter()
                    .map(|v| v.version().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    )
}

/// Counters and histograms, in Prometheus' text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String)))]
pub async fn metrics(State(app): State<App>) -> Response {
    let mut r = app.metrics().render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    json_of(200, &crate::serve::openapi::document())
}
