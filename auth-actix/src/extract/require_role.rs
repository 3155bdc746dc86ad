//! [`RequireRole`]: the role guard, generic over the role an application requires.

use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{AdminRole, Authorized, RequiredRole};

use super::{ExtractorFuture, auth_state, in_argument_order};
use crate::{ApiError, CurrentUser};

/// An authenticated, store-checked user whom [`Auth::authorize`](auth_core::Auth::authorize)
/// lets act with the role `R` names; anyone else gets 403 (`forbidden`,
/// `WWW-Authenticate: Bearer error="insufficient_scope"`), an unauthenticated request 401.
/// Derefs to the [`User`](auth_core::User).
///
/// ```
/// use auth_actix::{Admin, RequireRole};
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

impl<R: RequiredRole> FromRequest for RequireRole<R> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let CurrentUser(user) = CurrentUser::resolve(&req).await?;
            Ok(Self(auth_state(&req)?.auth.authorize_as(user)?))
        })
    }
}
