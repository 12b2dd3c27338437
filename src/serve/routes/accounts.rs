//! Accounts: `PUT /v1/accounts/{id}` (admin) creates one from a snapshot, checked against the
//! policy in force with every problem listed; `GET /v1/accounts/{id}` shows it to any client
//! (rolled over first when a rollover is due, in the same transaction that reads it); `GET
//! /v1/accounts/{id}/ledger` lists its ledger groups in order.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use quotient::Snapshot;
use quotient::ledger::LedgerGroup;
use serde::{Deserialize, Serialize};

use super::{body_error, body_text, json, json_of, policy_at};
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ApiResult, ErrorBody};
use crate::serve::state::App;
use crate::serve::store::{Plan, Store, StoredResponse};
use crate::serve::transition::{AccountView, plan_read, rollover_due, view};

/// The most ledger groups one page lists.
pub const MAX_PAGE: u32 = 1_000;

/// A created account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountCreated {
    /// Whether it was created now (`false`: it existed with exactly this snapshot).
    pub created: bool,
    /// The account, as clients see it.
    pub account: AccountView,
}

/// Create or import an account from a snapshot.
#[utoipa::path(
    put,
    path = "/v1/accounts/{id}",
    params(("id" = String, Path, description = "The account's id (the snapshot's `id`)")),
    request_body(content = Snapshot, description = "The account snapshot, as `quotient eval` reads it"),
    responses(
        (status = 201, description = "Created", body = AccountCreated),
        (status = 200, description = "It existed with exactly this snapshot", body = AccountCreated),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody),
        (status = 409, description = "An account with this id exists with another snapshot", body = ErrorBody),
        (status = 422, description = "The snapshot does not fit the policy; every problem is listed", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn put_account(
    State(app): State<App>,
    Path(id): Path<String>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    caller.admin()?;
    let body = body.map_err(|e| body_error(&e))?;
    let snapshot = Snapshot::from_json(body_text(&body)?).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "account.malformed",
            format!("{}: {}", e.name, e.message),
        )
        .located(e.name)
    })?;
    if snapshot.id != id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account.invalid",
            format!(
                "the snapshot is account `{}`, but the path names `{id}`",
                snapshot.id
            ),
        )
        .at("id"));
    }
    if i64::try_from(snapshot.version).is_err() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account.invalid",
            format!(
                "version {} is larger than the service stores ({})",
                snapshot.version,
                i64::MAX
            ),
        )
        .at("version"));
    }
    let now = app.clock().now();
    let policy = policy_at(&app, now)?;
    let problems = quotient::validate(&snapshot, &policy);
    if !problems.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account.invalid",
            format!(
                "the snapshot does not fit policy `{}` {}: {} problem(s)",
                policy.name(),
                policy.version(),
                problems.len()
            ),
        )
        .with_problems(
            problems
                .iter()
                .map(|p| serde_json::json!({ "path": p.path, "message": p.message }))
                .collect(),
        ));
    }
    let account = view(&policy, &snapshot, now)?;
    if app.store().create(&snapshot, now).await? {
        return Ok(json_of(
            201,
            &AccountCreated {
                created: true,
                account,
            },
        ));
    }
    match app.store().account(&id).await? {
        Some(existing) if existing == snapshot => Ok(json_of(
            200,
            &AccountCreated {
                created: false,
                account,
            },
        )),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            "account.exists",
            format!(
                "account `{id}` exists with another snapshot; it changes only through requests"
            ),
        )),
    }
}

/// An account's balances, mode, cycle and version.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}",
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account now (rolled over first when a rollover is due)", body = AccountView),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn get_account(
    State(app): State<App>,
    Path(id): Path<String>,
    _caller: Caller,
) -> ApiResult<Response> {
    let now = app.clock().now();
    let policy = policy_at(&app, now)?;
    let snapshot = app
        .store()
        .account(&id)
        .await?
        .ok_or_else(|| ApiError::account_not_found(&id))?;
    // Most reads find nothing due: answer without taking the write lock.
    if !rollover_due(&policy, &snapshot, now)? {
        return Ok(json_of(200, &view(&policy, &snapshot, now)?));
    }
    let outcome = app
        .store()
        .transact(&id, None, now, &|stored| {
            let (write, view) = plan_read(&policy, &id, stored, now)?;
            let body = serde_json::to_string(&view).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            Ok(Plan {
                write,
                response: StoredResponse { status: 200, body },
                store_response: false,
                ..Plan::default()
            })
        })
        .await
        .map_err(ApiError::from)??;
    app.metrics().retries(outcome.retries);
    super::requests::publish(&app, &id, outcome.written.as_ref());
    Ok(json(outcome.response.status, outcome.response.body))
}

/// Which ledger groups to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// List groups after this seq (default 0: from the first).
    #[serde(default)]
    pub after: u64,
    /// At most this many (default and maximum 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One ledger group and its sequence number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerRow {
    /// The group's sequence number: the account version it made.
    pub seq: u64,
    /// The group.
    pub group: LedgerGroup,
}

/// A page of an account's ledger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    /// The account's id.
    pub account: String,
    /// The groups, in order.
    pub groups: Vec<LedgerRow>,
}

/// An account's ledger groups, in order.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}/ledger",
    params(("id" = String, Path, description = "The account's id"), LedgerQuery),
    responses(
        (status = 200, description = "Ledger groups in order", body = LedgerPage),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn get_ledger(
    State(app): State<App>,
    Path(id): Path<String>,
    q: Result<Query<LedgerQuery>, QueryRejection>,
    _caller: Caller,
) -> ApiResult<Response> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "request.malformed", e.body_text()))?;
    if app.store().account(&id).await?.is_none() {
        return Err(ApiError::account_not_found(&id));
    }
    let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let groups = app
        .store()
        .ledger(&id, q.after.min(i64::MAX as u64), limit)
        .await?
        .into_iter()
        .map(|(seq, group)| LedgerRow { seq, group })
        .collect();
    Ok(json_of(
        200,
        &LedgerPage {
            account: id,
            groups,
        },
    ))
}
