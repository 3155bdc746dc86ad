//! [`Require`]: the guard, generic over the [`Policy`] an application requires.

use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{AdminRole, Authorized, Policy};

use super::{ExtractorFuture, auth_state, in_argument_order};
use crate::{ApiError, CurrentUser};

/// An authenticated, store-checked user whom [`Auth::authorize`](auth_core::Auth::authorize)
/// lets through for the policy `P` (a role, a permission, or [`AnyOf`](auth_core::AnyOf) /
/// [`AllOf`](auth_core::AllOf) of them); anyone else gets 403 (`forbidden`,
/// `WWW-Authenticate: Bearer error="insufficient_scope"`), an unauthenticated request 401.
/// Derefs to the [`User`](auth_core::User).
///
/// As middleware for a whole scope, the same check is
/// [`Authorize`](crate::Authorize) (`.wrap(Authorize::policy::<P>())`).
///
/// ```
/// use auth_actix::{Admin, Require};
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
/// # let _ = actix_web::App::new()
/// #     .route("/a", actix_web::web::get().to(only_for_admins))
/// #     .route("/u", actix_web::web::get().to(any_active_user))
/// #     .route("/p", actix_web::web::post().to(publish));
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

impl<P: Policy> FromRequest for Require<P> {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let CurrentUser(user) = CurrentUser::resolve(&req).await?;
            Ok(Self(auth_state(&req)?.auth.authorize_as(user)?))
        })
    }
}
