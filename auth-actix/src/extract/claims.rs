use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{AccessClaims, http::require_bearer};

use super::{ExtractorFuture, auth_state, authorization, in_argument_order};
use crate::ApiError;

/// The verified claims of the request's access token. Stateless: no store lookup, so a
/// revoked token or a deactivated user is only caught by [`CurrentUser`](crate::CurrentUser).
///
/// Fails with 401 (`not_authenticated` without a bearer, `invalid_token` for a bad one).
#[derive(Debug, Clone)]
pub struct Claims(pub AccessClaims);

impl FromRequest for Claims {
    type Error = ApiError;
    type Future = ExtractorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        in_argument_order(req, |req| async move {
            let state = auth_state(&req)?;
            let token = require_bearer(authorization(&req))?;
            Ok(Self(state.auth.verify_access(token)?))
        })
    }
}
