//! The HTTP API: one file per resource, each handler thin (authenticate, parse, call one store
//! transaction, map the result to a status), and the layers every request passes through:
//! tracing (the path only, never a query string: hand-off tokens travel in one), request ids,
//! a timeout, a concurrency limit, a body limit, and the metrics.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod events;
pub(crate) mod handoffs;
pub(crate) mod meta;
pub(crate) mod requests;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::error::ApiError;
use super::state::App;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// The most requests served at once; more wait for a slot.
pub const MAX_CONCURRENT: usize = 512;

/// How long a request may take before it is answered with 503.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Every route of the service, with its layers.
pub fn router(app: App) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route(
            "/v1/accounts/{id}",
            put(accounts::put_account).get(accounts::get_account),
        )
        .route("/v1/accounts/{id}/requests", post(requests::post_request))
        .route("/v1/accounts/{id}/ledger", get(accounts::get_ledger))
        .route("/v1/accounts/{id}/events", get(events::events))
        .route("/v1/accounts/{id}/handoffs", post(handoffs::create))
        .route("/exchange", get(crate::serve::page::show))
        .route("/exchange/warning", post(crate::serve::page::warning))
        .route("/exchange/confirm", post(crate::serve::page::confirm))
        .route("/exchange/style.css", get(crate::serve::page::style))
        .route("/v1/admin/reload", post(admin::reload))
        .route("/v1/admin/clock", put(admin::set_clock))
        .route("/openapi.json", get(meta::openapi))
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), track))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|r: &Request| {
            let id = r
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            // The path only: a query string may hold a hand-off token.
            tracing::info_span!("request", method = %r.method(), path = %r.uri().path(), id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(app)
}

/// Counts every response and its latency.
async fn track(State(app): State<App>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics()
        .response(response.status().as_u16(), started.elapsed());
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route.not_found",
        "no such endpoint; see /openapi.json",
    )
}

/// A JSON response with `status` and exactly `body`.
pub fn json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A value as a JSON response.
pub fn json_of<T: serde::Serialize>(status: u16, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json(status, body),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            .into_response(),
    }
}

/// A request body that could not be read: too large (413) or broken (400).
pub fn body_error(e: &axum::extract::rejection::BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            format!("the body is larger than {MAX_BODY} bytes"),
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "request.unreadable", e.body_text())
    }
}

/// The body as UTF-8 JSON text, or 400.
pub fn body_text(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.malformed",
            "the body is not UTF-8 text",
        )
    })
}

/// The policy version in force at `now`, or 503.
pub fn policy_at(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::sync::Arc<quotient::Policy>, ApiError> {
    app.policies().at(now).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "policy.none_in_force",
            format!(
                "no version of the policy is in force at {}",
                now.to_rfc3339()
            ),
        )
    })
}
