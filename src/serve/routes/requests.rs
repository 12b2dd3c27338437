//! `POST /v1/accounts/{id}/requests`: a request in the same format as `quotient eval` (`use`,
//! `quote`, `exchange`, `balance`), decided at the server's instant and applied in the same
//! transaction, answered with the decision (a denial is a normal 200). A state-changing request
//! needs an `Idempotency-Key`: its first answer is stored with a fingerprint of the request, a
//! retry with the same key and body gets that answer again byte for byte, the same key with
//! another body is 422, and a retry while the first is still being decided is 409.

use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use quotient::{Request, RequestKind};
use sha2::{Digest, Sha256};

use super::{body_error, body_text, json, policy_at};
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ApiResult, ErrorBody};
use crate::serve::state::{App, Change};
use crate::serve::store::{Backend, Idempotency, Store};
use crate::serve::transition::{RequestResponse, plan_request};

/// The longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Reads the request a client sent, holding it to the caller's platform.
fn read_request(text: &str, platform: &str) -> ApiResult<Request> {
    let mut request = Request::from_json(text).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.malformed",
            format!("{}: {}", e.name, e.message),
        )
        .located(e.name)
    })?;
    match request.platform.as_deref() {
        Some(p) if p != platform => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.platform_mismatch",
                format!("this key belongs to platform `{platform}`, but the request says `{p}`"),
            )
            .at("platform"));
        }
        Some(_) => {}
        None => request.platform = Some(platform.to_string()),
    }
    if request.kind == RequestKind::Rollover {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
            "the service rolls accounts over by itself, before any request that needs it",
        )
        .at("kind"));
    }
    if request.at.is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
            "the service decides at its own clock's instant; leave `at` out",
        )
        .at("at"));
    }
    Ok(request)
}

/// The `Idempotency-Key` header, checked.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency.bad_key",
            format!("an Idempotency-Key is 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(Some(key.to_string()))
}

/// What a key's first request asked: who, where, and the body, hashed.
pub fn fingerprint(caller: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(caller.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// Decide one request for one account.
#[utoipa::path(
    post,
    path = "/v1/accounts/{id}/requests",
    params(
        ("id" = String, Path, description = "The account's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Required for `use` and `exchange`: a retry with the same key gets the first answer")
    ),
    request_body(content = Request, description = "A request, as `quotient eval` reads it"),
    responses(
        (status = 200, description = "The decision (a denial too), and what was applied", body = RequestResponse),
        (status = 400, description = "Malformed JSON, or a state-changing request without an Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 403, description = "An admin key, or a body claiming another platform than the key's", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still running", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 422, description = "A field the request cannot have, or the key reused with another body", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn post_request(
    State(app): State<App>,
    Path(id): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let platform = caller.platform()?.to_string();
    let body = body.map_err(|e| body_error(&e))?;
    let request = read_request(body_text(&body)?, &platform)?;
    let key = idempotency_key(&headers)?;
    let changes_state = matches!(request.kind, RequestKind::Use | RequestKind::Exchange);
    if changes_state && key.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency.key_required",
            format!(
                "a `{}` request changes the account: send an Idempotency-Key header, and the same one when you retry",
                request.kind.as_str()
            ),
        ));
    }
    let idempotency = key.map(|key| Idempotency {
        fingerprint: fingerprint(
            &caller.0.name,
            &format!("/v1/accounts/{id}/requests"),
            &body,
        ),
        key,
    });
    let _guard = match &idempotency {
        Some(i) => Some(
            app.begin_key(&id, &i.key)
                .ok_or_else(ApiError::idempotency_in_flight)?,
        ),
        None => None,
    };
    let now = app.clock().now();
    let policy = policy_at(&app, now)?;
    let spec = app.handoff_spec();
    let options = app.decide_options();
    let decided = Mutex::new(None);
    let outcome = app
        .store()
        .transact(&id, idempotency.as_ref(), now, &|stored| {
            let (plan, kind, outcome) =
                plan_request(&policy, &id, stored, &request, now, spec.as_ref(), &options)?;
            *decided
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((kind, outcome));
            Ok(plan)
        })
        .await
        .map_err(ApiError::from)??;
    let metrics = app.metrics();
    metrics.retries(outcome.retries);
    if outcome.replayed {
        metrics.replay();
    } else if let Some((kind, o)) = *decided
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        metrics.decision(kind, o);
    }
    publish(&app, &id, outcome.written.as_ref());
    let mut response = json(outcome.response.status, outcome.response.body);
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Pushes what a transaction wrote to this process's subscribers. On PostgreSQL every server
/// (this one included) hears of it through `LISTEN` instead, so nothing is pushed twice.
pub fn publish(app: &App, account: &str, written: Option<&crate::serve::store::Write>) {
    let (Some(w), Backend::Sqlite(_)) = (written, app.store()) else {
        return;
    };
    for e in &w.events {
        app.publish(Change {
            account: account.to_string(),
            version: e.version,
            payload: e.payload.clone(),
        });
    }
}
