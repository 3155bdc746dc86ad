use auth_core::{Role, User};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{ApiError, AuthState, CurrentUser};

/// An authenticated, store-checked user with the admin role; a plain user gets 403
/// (`forbidden`, `WWW-Authenticate: Bearer error="insufficient_scope"`).
///
/// ```
/// use auth_axum::Admin;
/// async fn only_for_admins(Admin(admin): Admin) -> String {
///     format!("hello {}", admin.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Admin(pub User);

impl<S> FromRequestParts<S> for Admin
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        AuthState::from_ref(state).auth.require_role(&user, Role::Admin)?;
        Ok(Self(user))
    }
}
