//! Errors as the service answers them: an HTTP status and `{ "error": { "code", "message",
//! "field"?, "problems"? } }` with a stable code, so a client can act on the code and a person
//! can read the message. Every way a handler can fail ends here; nothing panics and nothing
//! answers 500 for input a caller sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of an error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code, such as `auth.unknown_key` or `request.invalid`.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The field of the request at fault, when there is one (`feature`, `params.video_seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where in the body a document that does not read goes wrong (`line 1 column 24`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Every problem, when there are several (a snapshot that does not fit the policy, a policy
    /// that does not load).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<serde_json::Value>,
}

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorDetail,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                location: None,
                problems: Vec::new(),
            },
        }
    }

    /// The same error, naming the request field at fault.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    /// The same error, saying where in the body it goes wrong.
    pub fn located(mut self, location: impl Into<String>) -> Self {
        self.body.location = Some(location.into());
        self
    }

    /// The same error, listing every problem.
    pub fn with_problems(mut self, problems: Vec<serde_json::Value>) -> Self {
        self.body.problems = problems;
        self
    }

    /// 401: no `Authorization: Bearer <key>`.
    pub fn missing_key() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.missing_key",
            "send your API key as `Authorization: Bearer <key>`",
        )
    }

    /// 401: a key no client has.
    pub fn unknown_key() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.unknown_key",
            "this API key belongs to no client",
        )
    }

    /// 403: an admin endpoint called with a platform's key.
    pub fn admin_only() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.admin_only",
            "this endpoint needs an admin key",
        )
    }

    /// 404: no such account.
    pub fn account_not_found(id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "account.not_found",
            format!("there is no account `{id}`"),
        )
    }

    /// 422: the idempotency key was used with another request.
    pub fn idempotency_mismatch() -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency.key_reused",
            "this Idempotency-Key was first used with another request; use a new key for a new request",
        )
    }

    /// 409: a request with this idempotency key is still being decided.
    pub fn idempotency_in_flight() -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "idempotency.in_flight",
            "a request with this Idempotency-Key is still running; retry when it has answered",
        )
    }

    /// 410: the hand-off was used or has expired (found in the transaction that would use it).
    pub fn handoff_spent() -> Self {
        ApiError::new(
            StatusCode::GONE,
            "handoff.spent",
            "this exchange link was already used or has expired",
        )
    }

    /// 500: stored data does not read (never caused by a caller).
    pub fn corrupt(message: String) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store.corrupt", message)
    }

    /// 503: the database failed or stayed too busy.
    pub fn unavailable(message: String) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store.unavailable",
            message,
        )
    }

    /// The body as the response sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&ErrorBody {
            error: self.body.clone(),
        })
        .unwrap_or_else(|_| String::from("{\"error\":{\"code\":\"internal\",\"message\":\"\"}}"))
    }
}

impl From<super::store::StoreError> for ApiError {
    fn from(e: super::store::StoreError) -> Self {
        match e {
            super::store::StoreError::Corrupt(m) => ApiError::corrupt(m),
            other => ApiError::unavailable(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.to_json()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
