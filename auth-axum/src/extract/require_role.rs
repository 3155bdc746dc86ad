//! [`RequireRole`]: the role guard, generic over the role an application requires.

use std::{fmt, marker::PhantomData, ops::Deref};

use auth_core::{AdminRole, RequiredRole, User, http::AuthState};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{ApiError, CurrentUser};

/// An authenticated, store-checked user whom [`Auth::authorize`](auth_core::Auth::authorize)
/// lets act with the role `R` names; anyone else gets 403 (`forbidden`,
/// `WWW-Authenticate: Bearer error="insufficient_scope"`), an unauthenticated request 401.
///
/// ```
/// use auth_axum::{Admin, RequireRole};
/// use auth_core::UserRole;
///
/// async fn only_for_admins(admin: Admin) -> String {
///     format!("hello {}", admin.username)
/// }
///
/// async fn any_active_user(RequireRole { user, .. }: RequireRole<UserRole>) -> String {
///     format!("hello {}", user.username)
/// }
/// ```
pub struct RequireRole<R> {
    /// The user.
    pub user: User,
    role: PhantomData<fn() -> R>,
}

/// A user with the admin role: `RequireRole<AdminRole>`.
pub type Admin = RequireRole<AdminRole>;

impl<R> RequireRole<R> {
    /// The user.
    pub fn into_user(self) -> User {
        self.user
    }
}

impl<R> Deref for RequireRole<R> {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

impl<R> Clone for RequireRole<R> {
    fn clone(&self) -> Self {
        Self { user: self.user.clone(), role: PhantomData }
    }
}

impl<R> fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireRole")
            .field("role", &std::any::type_name::<R>())
            .field("user", &self.user)
            .finish()
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
        AuthState::from_ref(state).auth.authorize(&user, R::role())?;
        Ok(Self { user, role: PhantomData })
    }
}
