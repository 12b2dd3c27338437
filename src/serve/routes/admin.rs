//! Admin endpoints: `POST /v1/admin/reload` re-reads the policy (refused with every diagnostic,
//! the old versions staying in force, when it does not load), and `PUT /v1/admin/clock` moves
//! a test server's clock (only one started with `--clock`).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::json_of;
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ApiResult, ErrorBody};
use crate::serve::state::App;

/// The policy versions now in force.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    /// The policy's name.
    pub policy: String,
    /// Every version loaded, oldest first, with the instant it takes effect.
    pub versions: Vec<String>,
}

/// Re-reads the policy from `app`'s path: the new versions, or every diagnostic (and the old
/// versions stay in force).
pub fn reload_policy(app: &App) -> Result<Reloaded, ApiError> {
    let loaded = quotient::load_paths(std::slice::from_ref(app.policy_path()), app.limits());
    let refused = |message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "policy.invalid", message).with_problems(
            loaded
                .located()
                .iter()
                .filter_map(|d| serde_json::to_value(d).ok())
                .collect(),
        )
    };
    if loaded.has_errors() {
        return Err(refused(format!(
            "the policy does not load ({} diagnostic(s)); the versions in force stay",
            loaded.diagnostics().len()
        )));
    }
    let Some(set) = loaded.single().cloned() else {
        return Err(refused("the policy path holds more than one policy".into()));
    };
    let old = app.policies();
    if set.name() != old.name() {
        return Err(refused(format!(
            "the path now holds policy `{}`, not `{}`",
            set.name(),
            old.name()
        )));
    }
    if let Some(latest) = set.latest() {
        let platforms: Vec<&str> = latest.platforms().map(|p| p.name).collect();
        if let Some(p) = app.clients().platforms().find(|p| !platforms.contains(p)) {
            return Err(refused(format!(
                "a client's platform `{p}` is not in the new policy"
            )));
        }
    }
    let versions = set
        .versions()
        .iter()
        .map(|v| format!("{} (from {})", v.version(), v.effective_from().to_rfc3339()))
        .collect();
    let reloaded = Reloaded {
        policy: set.name().to_string(),
        versions,
    };
    app.set_policies(set);
    Ok(reloaded)
}

/// Re-read the policy.
#[utoipa::path(
    post,
    path = "/v1/admin/reload",
    responses(
        (status = 200, description = "The versions now in force", body = Reloaded),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 422, description = "The policy does not load; every diagnostic is listed and the old versions stay", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn reload(State(app): State<App>, caller: Caller) -> ApiResult<Response> {
    caller.admin()?;
    let reloaded = reload_policy(&app)?;
    tracing::info!(versions = ?reloaded.versions, "policy reloaded");
    Ok(json_of(200, &reloaded))
}

/// Where a test server's clock should stand.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ClockSet {
    /// The instant.
    pub now: DateTime<Utc>,
}

/// Move a test server's clock.
#[utoipa::path(
    put,
    path = "/v1/admin/clock",
    request_body = ClockSet,
    responses(
        (status = 200, description = "The clock now", body = ClockSet),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 409, description = "This server runs on the machine's clock", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn set_clock(
    State(app): State<App>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    caller.admin()?;
    let body = body.map_err(|e| super::body_error(&e))?;
    let set: ClockSet = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "request.malformed", e.to_string()))?;
    if !app.clock().set(set.now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "clock.not_adjustable",
            "this server runs on the machine's clock (start it with --clock to test with a fixed one)",
        ));
    }
    Ok(json_of(
        200,
        &ClockSet {
            now: app.clock().now(),
        },
    ))
}
