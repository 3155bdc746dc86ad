use auth_core::{
    User,
    http::{AuthState, bearer_token, require_bearer},
};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::ApiError;

/// The authenticated user, checked against the store: the token verifies, the user exists
/// and is active, the token was issued after their last revocation (logout-all,
/// password or role change, deactivation), and its session (`sid`) is still open
/// (`Auth::current_user`).
///
/// Fails closed: 401 for a missing or refused token, 503 when the store is unavailable.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl<S> FromRequestParts<S> for CurrentUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let token = require_bearer(super::authorization(&parts.headers))?;
        let user = Self(AuthState::from_ref(state).auth.authenticate(token).await?);
        // Extractors later in the same request (e.g. a role guard) reuse the lookup.
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The authenticated user if the request carries a bearer token, `None` if it carries none.
/// A bearer that is present but refused is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

impl<S> FromRequestParts<S> for MaybeUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if bearer_token(super::authorization(&parts.headers)).is_none() {
            return Ok(Self(None));
        }
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Self(Some(user)))
    }
}

/// The authenticated user, as [`CurrentUser`], whose token's session proved a second factor
/// (its `amr` names `otp`, `hwk` or `swk`): for routes an application marks as needing one.
///
/// ```
/// use auth_axum::SecondFactorUser;
///
/// async fn export_everything(SecondFactorUser(user): SecondFactorUser) -> String {
///     format!("all of {}'s data", user.username)
/// }
/// # let _: axum::Router<auth_core::http::AuthState> =
/// #     axum::Router::new().route("/export", axum::routing::get(export_everything));
/// ```
///
/// Fails closed: 401 for a missing or refused token, 403 `second_factor_required` (with
/// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`, RFC 9470) for a
/// session signed in with a password alone, 503 when the store is unavailable.
#[derive(Debug, Clone)]
pub struct SecondFactorUser(pub User);

impl<S> FromRequestParts<S> for SecondFactorUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = require_bearer(super::authorization(&parts.headers))?;
        let auth = &AuthState::from_ref(state).auth;
        Ok(Self(auth.authenticate_second_factor(token).await?))
    }
}
