//! Extractors, one file each: [`Claims`] (stateless), [`CurrentUser`] / [`MaybeUser`]
//! (store-checked), [`Admin`] (role guard), [`Client`] (IP and user agent), and bodies and
//! parameters with the API's rejections.
//!
//! On one request they run one after the other, in the order of the handler's arguments
//! (as in axum), so the first failing argument decides the answer: put the user first and a
//! bad body of an unauthenticated request is a 401, not a 400.

mod admin;
pub(crate) mod body;
mod claims;
mod client;
mod current_user;
mod params;
pub(crate) mod turn;

/// The `Authorization` header as text, if present and valid UTF-8.
pub(crate) fn authorization(req: &actix_web::HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

pub use admin::Admin;
pub use body::{ApiJson, BodyLimit, JsonOrForm, OptionalJsonOrForm};
pub use claims::Claims;
pub use client::Client;
pub use current_user::{CurrentUser, MaybeUser};
pub use params::{ApiPath, ApiQuery};
