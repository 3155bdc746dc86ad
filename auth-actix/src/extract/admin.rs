use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{Role, User};

use crate::{ApiError, AuthState, CurrentUser, extract::turn};

/// An authenticated, store-checked user with the admin role; a plain user gets 403
/// (`forbidden`, `WWW-Authenticate: Bearer error="insufficient_scope"`).
///
/// ```
/// use auth_actix::Admin;
/// async fn only_for_admins(Admin(admin): Admin) -> String {
///     format!("hello {}", admin.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Admin(pub User);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let _turn = turn::take(&req).await;
            let CurrentUser(user) = CurrentUser::resolve(&req).await?;
            AuthState::of(&req)?.auth.require_role(&user, Role::Admin)?;
            Ok(Self(user))
        })
    }
}
