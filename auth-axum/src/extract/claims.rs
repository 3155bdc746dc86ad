use auth_core::{AccessClaims, http::AuthState, http::require_bearer};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::ApiError;

/// The verified claims of the request's access token. Stateless: no store lookup, so a
/// revoked token or a deactivated user is only caught by [`CurrentUser`](crate::CurrentUser).
///
/// Fails with 401 (`not_authenticated` without a bearer, `invalid_token` for a bad one).
#[derive(Debug, Clone)]
pub struct Claims(pub AccessClaims);

impl<S> FromRequestParts<S> for Claims
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = require_bearer(super::authorization(&parts.headers))?;
        Ok(Self(AuthState::from_ref(state).auth.verify_access(token)?))
    }
}
