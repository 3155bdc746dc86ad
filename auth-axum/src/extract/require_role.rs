//! [`RequireRole`]: the role guard, generic over the role an application requires.

use std::ops::Deref;

use auth_core::{AdminRole, Authorized, RequiredRole, http::AuthState};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{ApiError, CurrentUser};

/// An authenticated, store-checked user whom [`Auth::authorize`](auth_core::Auth::authorize)
/// lets act with the role `R` names; anyone else gets 403 (`forbidden`,
/// `WWW-Authenticate: Bearer error="insufficient_scope"`), an unauthenticated request 401.
/// Derefs to the [`User`](auth_core::User).
///
/// ```
/// use auth_axum::{Admin, RequireRole};
/// use auth_core::UserRole;
///
/// async fn only_for_admins(admin: Admin) -> String {
///     format!("hello {}", admin.username)
/// }
///
/// async fn any_active_user(RequireRole(user): RequireRole<UserRole>) -> String {
///     format!("hello {}", user.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RequireRole<R>(pub Authorized<R>);

/// A user with the admin role: `RequireRole<AdminRole>`.
pub type Admin = RequireRole<AdminRole>;

impl<R> Deref for RequireRole<R> {
    type Target = Authorized<R>;

    fn deref(&self) -> &Authorized<R> {
        &self.0
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    AuthState: FromRef<S>,
    S: Send + Sync,
    R: RequiredRole,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Self(AuthState::from_ref(state).auth.authorize_as(user)?))
    }
}
