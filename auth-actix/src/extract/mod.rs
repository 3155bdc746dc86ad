//! Extractors, one file each: [`Claims`] (stateless), [`CurrentUser`] / [`MaybeUser`]
//! (store-checked), [`RemoteClaims`] (feature `remote-keys`: a resource server's, against an
//! issuer's published keys), [`Require`] (the guard for a role, a permission or a combination,
//! [`Admin`] its alias for admins),
//! [`Client`] (IP and user agent), and bodies and parameters with the API's rejections.
//!
//! On one request they run one after the other, in the order of the handler's arguments
//! (as in axum, see `argument_order`), so the first failing argument decides the answer:
//! put the user first and a bad body of an unauthenticated request is a 401, not a 400.

mod argument_order;
mod body;
mod claims;
mod client;
mod current_user;
mod params;
#[cfg(feature = "remote-keys")]
mod remote_claims;
mod require;

use actix_web::{HttpRequest, web::Data};
use auth_core::http::{AuthState, ErrorResponse};

pub(crate) use argument_order::{ExtractorFuture, in_argument_order};
pub(crate) use body::body_of;
pub use body::{ApiJson, BodyLimit, JsonOrForm, OptionalJsonOrForm};
pub use claims::Claims;
pub use client::Client;
pub use current_user::{CurrentUser, MaybeUser, SecondFactorUser};
pub use params::{ApiPath, ApiQuery};
#[cfg(feature = "remote-keys")]
pub use remote_claims::RemoteClaims;
pub use require::{Admin, Require};

use crate::ApiError;

/// The `Authorization` header as text, if present and valid UTF-8.
pub(crate) fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The [`AuthState`] registered on the app, or a 500 (logged) when there is none.
pub(crate) fn auth_state(req: &HttpRequest) -> Result<Data<AuthState>, ApiError> {
    req.app_data::<Data<AuthState>>().cloned().ok_or_else(|| {
        tracing::error!(
            "web::Data<AuthState> is missing: register it with \
             `App::new().app_data(web::Data::new(AuthState::new(auth)))`"
        );
        ErrorResponse::internal().into()
    })
}
