//! Extractors, one file each: [`Claims`] (stateless), [`CurrentUser`] / [`MaybeUser`]
//! (store-checked), [`Admin`] (role guard), [`Client`] (IP and user agent), and bodies and
//! parameters with the API's rejections.

mod admin;
pub(crate) mod body;
mod claims;
mod client;
mod current_user;
mod params;

/// The `Authorization` header as text, if present and valid UTF-8.
pub(crate) fn authorization(parts: &axum::http::request::Parts) -> Option<&str> {
    parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

pub use admin::Admin;
pub use body::{ApiJson, JsonOrForm, OptionalJsonOrForm, form_rejection, json_rejection};
pub use claims::Claims;
pub use client::Client;
pub use current_user::{CurrentUser, MaybeUser};
pub use params::{ApiPath, ApiQuery};
