//! [`Require`]: the guard, generic over the [`Policy`] an application requires.

use std::ops::Deref;

use auth_core::{AdminRole, Authorized, Policy, http::AuthState};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{ApiError, CurrentUser};

/// An authenticated, store-checked user whom [`Auth::authorize`](auth_core::Auth::authorize)
/// lets through for the policy `P` (a role, a permission, or [`AnyOf`](auth_core::AnyOf) /
/// [`AllOf`](auth_core::AllOf) of them); anyone else gets 403 (`forbidden`,
/// `WWW-Authenticate: Bearer error="insufficient_scope"`), an unauthenticated request 401.
/// Derefs to the [`User`](auth_core::User).
///
/// As route-level middleware, the same check is
/// `route_layer(axum::middleware::from_extractor_with_state::<Require<P>, _>(state))`, or
/// [`AuthorizeLayer`](crate::AuthorizeLayer) for a requirement built at run time.
///
/// ```
/// use auth_axum::{Admin, Require};
/// use auth_core::{AnyOf, UserRole};
///
/// auth_core::role!(pub Editor = "editor");
/// auth_core::permission!(pub PublishNotes = "notes:publish");
///
/// async fn only_for_admins(admin: Admin) -> String {
///     format!("hello {}", admin.username)
/// }
///
/// async fn any_active_user(Require(user): Require<UserRole>) -> String {
///     format!("hello {}", user.username)
/// }
///
/// async fn publish(Require(user): Require<AnyOf<(Editor, PublishNotes)>>) -> String {
///     format!("published by {}", user.username)
/// }
/// # let _: axum::Router<auth_core::http::AuthState> = axum::Router::new()
/// #     .route("/a", axum::routing::get(only_for_admins))
/// #     .route("/u", axum::routing::get(any_active_user))
/// #     .route("/p", axum::routing::post(publish));
/// ```
pub struct Require<P>(pub Authorized<P>);

// By hand: derives would ask `P: Debug + Clone` of the policy, which is only a name.
impl<P> Clone for Require<P> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<P> std::fmt::Debug for Require<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Require").field(&self.0).finish()
    }
}

/// A user with the admin role: `Require<AdminRole>`.
pub type Admin = Require<AdminRole>;

impl<P> Deref for Require<P> {
    type Target = Authorized<P>;

    fn deref(&self) -> &Authorized<P> {
        &self.0
    }
}

impl<S, P> FromRequestParts<S> for Require<P>
where
    AuthState: FromRef<S>,
    S: Send + Sync,
    P: Policy,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Self(AuthState::from_ref(state).auth.authorize_as(user)?))
    }
}
