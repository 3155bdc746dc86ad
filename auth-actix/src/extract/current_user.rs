use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use auth_core::{
    User,
    http::{bearer_token, require_bearer},
};

use super::{ExtractorFuture, auth_state, authorization, in_argument_order};
use crate::ApiError;

/// The authenticated user, checked against the store: the token verifies, the user exists
/// and is active, the token was issued after their last revocation (logout-all,
/// password or role change, deactivation), and its session (`sid`) is still open
/// (`Auth::current_user`).
///
/// Fails closed: 401 for a missing or refused token, 503 when the store is unavailable.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    /// The lookup itself, kept in the request so that later extractors (e.g. a role
    /// guard) reuse it.
    pub(crate) async fn resolve(req: &HttpRequest) -> Result<Self, ApiError> {
        if let Some(user) = req.extensions().get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let state = auth_state(req)?;
        let token = require_bearer(authorization(req))?;
        let user = Self(state.auth.authenticate(token).await?);
        req.extensions_mut().insert(user.clone());
        Ok(user)
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move { Self::resolve(&req).await })
    }
}

/// The authenticated user if the request carries a bearer token, `None` if it carries none.
/// A bearer that is present but refused is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            if bearer_token(authorization(&req)).is_none() {
                return Ok(Self(None));
            }
            let CurrentUser(user) = CurrentUser::resolve(&req).await?;
            Ok(Self(Some(user)))
        })
    }
}

/// The authenticated user, as [`CurrentUser`], whose token's session proved a second factor
/// (its `amr` names `otp`, `hwk` or `swk`): for routes an application marks as needing one.
///
/// ```
/// use auth_actix::SecondFactorUser;
///
/// async fn export_everything(SecondFactorUser(user): SecondFactorUser) -> String {
///     format!("all of {}'s data", user.username)
/// }
/// # let _ = actix_web::App::new().route("/export", actix_web::web::get().to(export_everything));
/// ```
///
/// Fails closed: 401 for a missing or refused token, 403 `second_factor_required` (with
/// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`, RFC 9470) for a
/// session signed in with a password alone, 503 when the store is unavailable.
#[derive(Debug, Clone)]
pub struct SecondFactorUser(pub User);

impl FromRequest for SecondFactorUser {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let state = auth_state(&req)?;
            let token = require_bearer(authorization(&req))?;
            Ok(Self(state.auth.authenticate_second_factor(token).await?))
        })
    }
}
