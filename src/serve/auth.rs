//! Who is calling: the client whose key is sent as `Authorization: Bearer <key>`. Never a
//! field of the body: a body's `platform` must match the key's, and only admin keys reach the
//! admin endpoints.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::clients::{Client, Role};
use super::error::ApiError;
use super::state::App;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Client);

impl Caller {
    /// The caller's platform, or 403 for an admin key on a platform endpoint.
    pub fn platform(&self) -> Result<&str, ApiError> {
        self.0.platform().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "auth.platform_key_required",
                "this endpoint is for client apps: use a platform's key",
            )
        })
    }

    /// 403 unless the caller is an admin.
    pub fn admin(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::Admin => Ok(()),
            Role::Platform(_) => Err(ApiError::admin_only()),
        }
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(ApiError::missing_key)?;
        let text = value.to_str().map_err(|_| ApiError::missing_key())?;
        let key = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(ApiError::missing_key)?;
        app.clients()
            .find(key)
            .cloned()
            .map(Caller)
            .ok_or_else(ApiError::unknown_key)
    }
}
