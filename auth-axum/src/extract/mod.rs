//! Extractors, one file each: [`Claims`] (stateless), [`CurrentUser`] / [`MaybeUser`]
//! (store-checked), [`RemoteClaims`] (feature `remote-keys`: a resource server's, against an
//! issuer's published keys), [`Require`] (the guard for a role, a permission or a combination,
//! [`Admin`] its alias for admins),
//! [`Client`] (IP and user agent), and bodies and parameters with the API's rejections.

mod body;
mod claims;
mod client;
mod current_user;
mod params;
#[cfg(feature = "remote-keys")]
mod remote_claims;
mod require;

pub(crate) use body::body_of;
pub use body::{ApiJson, JsonOrForm, OptionalJsonOrForm};
pub use claims::Claims;
pub use client::Client;
pub use current_user::{CurrentUser, MaybeUser, SecondFactorUser};
pub use params::{ApiPath, ApiQuery};
#[cfg(feature = "remote-keys")]
pub use remote_claims::RemoteClaims;
pub use require::{Admin, Require};

/// The `Authorization` header as text, if present and valid UTF-8.
pub(crate) fn authorization(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}
