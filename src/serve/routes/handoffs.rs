//! `POST /v1/accounts/{id}/handoffs`: a Desktop client asks for a hand-off link explicitly
//! (for "Learn more", say). Decided like the client's `exchange` request (rolled over first when
//! due, refused when the exchange is not available), the hand-off is minted in the same
//! transaction, and the answer is `{ url, expires_at }`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use quotient::{Request, RequestKind};

use super::{json_of, policy_at};
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ApiResult, ErrorBody};
use crate::serve::state::App;
use crate::serve::store::Store;
use crate::serve::transition::{HandoffLink, plan_request};

/// Mint a hand-off link to the exchange page.
#[utoipa::path(
    post,
    path = "/v1/accounts/{id}/handoffs",
    params(
        ("id" = String, Path, description = "The account's id"),
        ("X-Client-Version" = Option<String>, Header, description = "The client's version, compared with the platform's minimum")
    ),
    responses(
        (status = 201, description = "The link and until when it holds", body = HandoffLink),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 403, description = "Not the key of a platform that hands off", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The exchange is not available for this account now; the reasons say why", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let platform = caller.platform()?.to_string();
    let now = app.clock().now();
    let policy = policy_at(&app, now)?;
    if !policy
        .platforms()
        .any(|p| p.name == platform && p.delegates_to.is_some())
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "handoff.platform_executes",
            format!(
                "platform `{platform}` does not hand exchanges off; it exchanges (or refuses) itself"
            ),
        ));
    }
    let mut request = Request::new(
        format!("handoff/{}", now.timestamp_micros()),
        RequestKind::Exchange,
    )
    .on(&platform);
    request.client_version = headers
        .get("x-client-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let spec = app.handoff_spec();
    let options = app.decide_options();
    let outcome = app
        .store()
        .transact(&id, None, now, &|stored| {
            let (mut plan, _, _) =
                plan_request(&policy, &id, stored, &request, now, spec.as_ref(), &options)?;
            // Only the link is answered; nothing is stored under a key.
            plan.store_response = false;
            Ok(plan)
        })
        .await
        .map_err(ApiError::from)??;
    super::requests::publish(&app, &id, outcome.written.as_ref());
    let body: serde_json::Value = serde_json::from_str(&outcome.response.body).unwrap_or_default();
    if let Ok(link) = serde_json::from_value::<HandoffLinkIn>(body["handoff"].clone()) {
        return Ok(json_of(
            201,
            &HandoffLink {
                url: link.url,
                expires_at: link.expires_at,
            },
        ));
    }
    let reasons = body["reasons"].as_array().cloned().unwrap_or_default();
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "handoff.not_available",
        reasons
            .first()
            .and_then(|r| r["message"].as_str())
            .unwrap_or("the exchange is not available for this account now")
            .to_string(),
    )
    .with_problems(reasons))
}

#[derive(serde::Deserialize)]
struct HandoffLinkIn {
    url: String,
    expires_at: chrono::DateTime<chrono::Utc>,
}
